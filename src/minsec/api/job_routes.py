"""The routes every kind of background job has: list, status, cancel and result.

``/api/v1/risk-jobs`` and ``/api/v1/plan-jobs`` differ in what they submit and in the
tables of their result; :func:`add_job_routes` adds the rest to their router.

(No ``from __future__ import annotations`` here: FastAPI reads the annotations of the
route functions made inside :func:`add_job_routes`, which name its local ``tables``.)
"""

from enum import StrEnum
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel

from minsec.api.answer import FormatQ, TableResponse, file_response
from minsec.api.auth import Analyst, State, Viewer
from minsec.api.errors import ApiError
from minsec.api.jobs import Job
from minsec.api.serialize import FILE_RESPONSES, Format, body

JobPath = Annotated[str, Path(max_length=64, description="Job id (job_…).")]


class JobOut(BaseModel):
    """A job: status, progress (0–1) and where its result will be."""

    id: str
    kind: str
    user: str
    status: str
    progress: float
    params: dict[str, Any]
    created_at: str
    started_at: str | None
    finished_at: str | None
    error: str | None
    url: str
    result_url: str
    cancel_url: str


def job_out(job: Job, prefix: str) -> dict[str, Any]:
    """The :class:`JobOut` fields of ``job``, its URLs under ``prefix``."""
    url = f"{prefix}/{job.id}"
    return {
        "id": job.id,
        "kind": job.kind,
        "user": job.user,
        "status": job.status,
        "progress": round(job.progress, 4),
        "params": job.params,
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "error": job.error,
        "url": url,
        "result_url": f"{url}/result",
        "cancel_url": f"{url}/cancel",
    }


def add_job_routes(
    router: APIRouter, kind: str, label: str, tables: type[StrEnum], default_table: StrEnum
) -> None:
    """Add ``GET ""``, ``GET /{id}``, ``POST /{id}/cancel`` and ``GET /{id}/result``.

    ``kind`` is the job kind the router submits, ``label`` its name in summaries and
    errors ("risk", "plan"), ``tables`` the tables of its result.
    """
    prefix = router.prefix

    def find(state: State, party: str, job_id: str) -> Job:
        job = state.jobs.get(party, job_id)
        if job.kind != kind:
            raise ApiError(404, f"no {label} job {job_id!r}", field="job_id")
        return job

    @router.get("", response_model=list[JobOut], summary=f"{label.capitalize()} jobs of your party")
    def list_jobs(
        who: Viewer, state: State, limit: Annotated[int, Query(ge=1, le=1000)] = 100
    ) -> list[dict[str, Any]]:
        """Recent jobs of your party, newest first."""
        return [job_out(j, prefix) for j in state.jobs.list(who.party, kind, limit)]

    @router.get("/{job_id}", response_model=JobOut, summary=f"Status and progress of a {label} job")
    def get_job(job_id: JobPath, who: Viewer, state: State) -> dict[str, Any]:
        """404 when it does not exist or belongs to another party."""
        return job_out(find(state, who.party, job_id), prefix)

    @router.post("/{job_id}/cancel", response_model=JobOut, summary=f"Cancel a {label} job")
    def cancel_job(job_id: JobPath, who: Analyst, state: State) -> dict[str, Any]:
        """Stop a queued or running job (its owner or an admin); a finished job is unchanged."""
        find(state, who.party, job_id)
        return job_out(state.jobs.cancel(who, job_id), prefix)

    @router.get(
        "/{job_id}/result",
        response_model=TableResponse,
        responses=FILE_RESPONSES,
        summary=f"Result of a finished {label} job",
    )
    async def job_result(
        job_id: JobPath,
        who: Viewer,
        state: State,
        table: Annotated[tables, Query(description="Which table of the result.")] = default_table,  # type: ignore[valid-type]
        format: FormatQ = Format.json,
    ) -> Response:
        """One table of the result (409 while the job is not done)."""
        name = str(table)

        def work() -> bytes:
            find(state, who.party, job_id)
            result = state.jobs.result(who.party, job_id)
            frame = pd.DataFrame(result.get(name, []))
            return body(frame, format, {"job": job_id, "table": name, **result["meta"]})

        return file_response(await run_in_threadpool(work), format, f"{job_id}-{name}")
