"""Background jobs: long computations (Monte Carlo runs) off the request path.

A job is submitted with a function ``fn(ctx) -> result`` and runs on a thread pool of
``job_workers`` threads. Its life: ``queued`` → ``running`` → ``done`` | ``failed`` |
``cancelled``. The function reports progress with ``ctx.progress(fraction)``, which also
raises :class:`Cancelled` once a cancel was asked for, so a cancelled job stops at its next
progress report. A queued job that is cancelled never starts.

Jobs, their parameters and results are kept in the app-state database (the ``jobs``
table); live progress is kept in memory. Jobs still queued or running when the server
stopped are marked ``failed`` at the next start. A job belongs to the user who submitted
it and is visible to that user's party only.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from minsec.api.errors import ApiError
from minsec.api.serialize import json_safe
from minsec.errors import MinsecError
from minsec.state.audit import AuditLog
from minsec.state.db import StateDB
from minsec.state.principal import Principal, now

log = logging.getLogger("minsec.api.jobs")

ACTIVE = ("queued", "running")
FINISHED = ("done", "failed", "cancelled")


class Cancelled(Exception):  # noqa: N818 (a signal, not an error)
    """Raised inside a job when its cancellation was asked for."""


@dataclass(frozen=True)
class Job:
    """A job as reported to users."""

    id: str
    kind: str
    user: str
    party: str
    status: str
    progress: float
    params: dict[str, Any]
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    error: str | None = None


@dataclass
class JobContext:
    """Handed to a job function: report progress, learn of cancellation."""

    job_id: str
    _cancel: threading.Event = field(default_factory=threading.Event)
    _progress: float = 0.0

    def progress(self, fraction: float) -> None:
        """Report progress (0–1); raise :class:`Cancelled` if the job was cancelled."""
        self._progress = min(1.0, max(self._progress, float(fraction)))
        if self._cancel.is_set():
            raise Cancelled

    @property
    def cancelled(self) -> bool:
        """True once a cancel was asked for."""
        return self._cancel.is_set()


JobFn = Callable[[JobContext], dict[str, Any]]


@dataclass
class _Live:
    job: Job
    ctx: JobContext
    future: Future[None] | None = None


class JobManager:
    """Runs jobs on a thread pool and keeps their records in the app state."""

    def __init__(
        self, db: StateDB, audit: AuditLog, *, workers: int = 1, max_active: int = 4
    ) -> None:
        self.db = db
        self.audit = audit
        self.max_active = max_active
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="minsec-job")
        self._live: dict[str, _Live] = {}
        self._lock = threading.RLock()
        with db.transaction() as tx:
            tx.execute(
                "UPDATE jobs SET status = 'failed', error = ?, finished_at = ? "
                "WHERE status IN ('queued', 'running')",
                ["the server stopped before the job finished; submit it again", now()],
            )

    # -- submitting and cancelling -------------------------------------------------------
    def submit(self, by: Principal, kind: str, params: dict[str, Any], fn: JobFn) -> Job:
        """Queue ``fn``; 429 when ``by`` already has ``max_active`` queued or running jobs."""
        with self._lock:
            active = sum(
                1
                for live in self._live.values()
                if live.job.user == by.user and live.job.status in ACTIVE
            )
            if active >= self.max_active:
                raise ApiError(
                    429,
                    f"you have {active} jobs queued or running (the limit is {self.max_active})",
                    hint="wait for one to finish or cancel one",
                )
            job = Job(
                id="job_" + secrets.token_hex(8),
                kind=kind,
                user=by.user,
                party=by.party,
                status="queued",
                progress=0.0,
                params=params,
                created_at=now(),
            )
            with self.db.transaction() as tx:
                tx.execute(
                    "INSERT INTO jobs (id, kind, user_name, party, status, progress, params, "
                    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        job.id,
                        kind,
                        by.user,
                        by.party,
                        "queued",
                        0.0,
                        json.dumps(params, default=str),
                        job.created_at,
                    ],
                )
                self.audit.append(tx, by, f"{kind}.submit", f"job:{job.id}", params)
            live = _Live(job, JobContext(job.id))
            self._live[job.id] = live
            live.future = self._pool.submit(self._run, job.id, fn)
        return job

    def cancel(self, by: Principal, job_id: str) -> Job:
        """Ask a job to stop (owner or an admin of its party); a finished job is unchanged."""
        job = self.get(by.party, job_id)
        if job.user != by.user and by.role.value != "admin":
            raise ApiError(
                403, f"job {job_id!r} belongs to {job.user}; only they or an admin may cancel it"
            )
        if job.status in FINISHED:
            return job
        with self._lock:
            live = self._live.get(job_id)
            if live is not None:
                live.ctx._cancel.set()
                if live.future is not None and live.future.cancel():
                    self._finish(job_id, "cancelled", None, None)
        with self.db.transaction() as tx:
            self.audit.append(tx, by, f"{job.kind}.cancel", f"job:{job_id}", {})
        return self.get(by.party, job_id)

    # -- reading ------------------------------------------------------------------------
    def get(self, party: str, job_id: str) -> Job:
        """A job of ``party``; 404 when absent or of another party."""
        live = self._live.get(job_id)
        if live is not None and live.job.party == party:
            job = live.job
            if job.status == "running":
                job = replace(job, progress=live.ctx._progress)
            return job
        row = self.db.fetchone(
            "SELECT id, kind, user_name, party, status, progress, params, created_at, "
            "started_at, finished_at, error FROM jobs WHERE id = ? AND party = ?",
            [job_id, party],
        )
        if row is None:
            raise ApiError(404, f"no job {job_id!r}", field="job_id")
        return Job(
            id=str(row[0]),
            kind=str(row[1]),
            user=str(row[2]),
            party=str(row[3]),
            status=str(row[4]),
            progress=float(row[5]),
            params=json.loads(row[6]),
            created_at=row[7],
            started_at=row[8],
            finished_at=row[9],
            error=row[10],
        )

    def list(self, party: str, kind: str | None = None, limit: int = 100) -> list[Job]:
        """Recent jobs of ``party`` (newest first)."""
        sql = "SELECT id FROM jobs WHERE party = ?"
        params: list[Any] = [party]
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        sql += " ORDER BY created_at DESC, id LIMIT ?"
        params.append(limit)
        return [self.get(party, str(r[0])) for r in self.db.fetchall(sql, params)]

    def result(self, party: str, job_id: str) -> dict[str, Any]:
        """The result of a finished job; 409 while it is not done."""
        job = self.get(party, job_id)
        if job.status != "done":
            raise ApiError(
                409,
                f"job {job_id!r} is {job.status}; a result exists once it is done"
                + (f" ({job.error})" if job.error else ""),
            )
        row = self.db.fetchone("SELECT result FROM jobs WHERE id = ?", [job_id])
        assert row is not None
        result: dict[str, Any] = json.loads(row[0])
        return result

    # -- running ------------------------------------------------------------------------
    def _run(self, job_id: str, fn: JobFn) -> None:
        live = self._live[job_id]
        if live.ctx.cancelled:
            self._finish(job_id, "cancelled", None, None)
            return
        started = now()
        live.job = replace(live.job, status="running", started_at=started)
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE jobs SET status = 'running', started_at = ? WHERE id = ?",
                [started, job_id],
            )
        try:
            result = fn(live.ctx)
        except Cancelled:
            self._finish(job_id, "cancelled", None, None)
        except MinsecError as exc:
            self._finish(job_id, "failed", None, str(exc))
        except Exception as exc:
            log.error("job %s (%s) failed with %s", job_id, live.job.kind, type(exc).__name__)
            self._finish(job_id, "failed", None, f"internal error ({type(exc).__name__})")
        else:
            if live.ctx.cancelled:
                self._finish(job_id, "cancelled", None, None)
            else:
                self._finish(job_id, "done", result, None)

    def _finish(
        self, job_id: str, status: str, result: dict[str, Any] | None, error: str | None
    ) -> None:
        live = self._live.get(job_id)
        finished = now()
        progress = 1.0 if status == "done" else (live.ctx._progress if live else 0.0)
        text = None if result is None else json.dumps(json_safe(result), allow_nan=False)
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE jobs SET status = ?, progress = ?, result = ?, error = ?, "
                "finished_at = ? WHERE id = ?",
                [status, progress, text, error, finished, job_id],
            )
        with self._lock:
            self._live.pop(job_id, None)

    def shutdown(self) -> None:
        """Cancel everything and stop the pool (waits for running jobs' next progress)."""
        with self._lock:
            lives = list(self._live.values())
        for live in lives:
            live.ctx._cancel.set()
            if live.future is not None:
                live.future.cancel()
        self._pool.shutdown(wait=True, cancel_futures=True)
