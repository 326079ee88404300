"""Background jobs: the generic machinery, and Monte Carlo risk jobs over the API."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from minsec.api.accounts import Principal, Role
from minsec.api.errors import ApiError
from minsec.api.jobs import JobContext, JobManager
from minsec.errors import InputError
from minsec.state.audit import AuditLog
from minsec.state.db import StateDB
from tests.api.conftest import Api

US = Principal("ann", "USA", Role.analyst)
US2 = Principal("bill", "USA", Role.analyst)
US_ADMIN = Principal("boss", "USA", Role.admin)
JP = Principal("ken", "JPN", Role.analyst)


@pytest.fixture
def manager(tmp_path: Path) -> Iterator[JobManager]:
    db = StateDB(tmp_path / "state.duckdb")
    jm = JobManager(db, AuditLog(db), workers=1, max_active=2)
    yield jm
    jm.shutdown()
    db.close()


def wait(jm: JobManager, party: str, job_id: str, until: tuple[str, ...], timeout: float = 10):  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        job = jm.get(party, job_id)
        if job.status in until:
            return job
        time.sleep(0.01)
    raise AssertionError(f"job {job_id} still {job.status}")


def steps(n: int, gate: threading.Event | None = None) -> Callable[[JobContext], dict[str, Any]]:
    def fn(ctx: JobContext) -> dict[str, Any]:
        for i in range(n):
            if gate is not None:
                gate.wait(5)
            ctx.progress((i + 1) / n)
        return {"meta": {"n": n}, "summary": [{"x": 1.0, "y": float("nan")}]}

    return fn


def test_done_with_progress_and_result(manager: JobManager) -> None:
    job = manager.submit(US, "demo", {"n": 3}, steps(3))
    assert job.status == "queued"
    done = wait(manager, "USA", job.id, ("done",))
    assert done.progress == 1.0
    assert done.started_at is not None and done.finished_at is not None
    assert manager.result("USA", job.id) == {"meta": {"n": 3}, "summary": [{"x": 1.0, "y": None}]}
    assert [e.action for e in manager.audit.entries("USA")] == ["demo.submit"]


def test_invisible_to_other_parties(manager: JobManager) -> None:
    job = manager.submit(US, "demo", {}, steps(1))
    wait(manager, "USA", job.id, ("done",))
    with pytest.raises(ApiError) as exc:
        manager.get("JPN", job.id)
    assert exc.value.status == 404
    assert manager.list("JPN") == []
    with pytest.raises(ApiError):
        manager.cancel(JP, job.id)


def test_failure_is_recorded_with_its_message(manager: JobManager) -> None:
    def bad(ctx: JobContext) -> dict[str, Any]:
        raise InputError("no trade data for 1999", column="year")

    def broken(ctx: JobContext) -> dict[str, Any]:
        raise ZeroDivisionError("secret value 123")

    j1 = manager.submit(US, "demo", {}, bad)
    j2 = manager.submit(US, "demo", {}, broken)
    f1 = wait(manager, "USA", j1.id, ("failed",))
    f2 = wait(manager, "USA", j2.id, ("failed",))
    assert "no trade data for 1999" in str(f1.error)
    assert f2.error == "internal error (ZeroDivisionError)"  # no values leak
    with pytest.raises(ApiError) as exc:
        manager.result("USA", j1.id)
    assert exc.value.status == 409


def test_cancel_running_and_queued(manager: JobManager) -> None:
    gate = threading.Event()
    running = manager.submit(US, "demo", {}, steps(1000, gate))
    queued = manager.submit(US2, "demo", {}, steps(1))
    wait(manager, "USA", running.id, ("running",))
    assert manager.cancel(US2, queued.id).status == "cancelled"  # never started
    with pytest.raises(ApiError) as exc:
        manager.cancel(US2, running.id)  # not the owner, not an admin
    assert exc.value.status == 403
    manager.cancel(US_ADMIN, running.id)
    gate.set()
    job = wait(manager, "USA", running.id, ("cancelled",))
    assert job.progress < 1.0
    actions = [e.action for e in manager.audit.entries("USA")]
    assert actions.count("demo.cancel") == 2


def test_active_job_limit_is_429(manager: JobManager) -> None:
    gate = threading.Event()
    a = manager.submit(US, "demo", {}, steps(1, gate))
    manager.submit(US, "demo", {}, steps(1, gate))
    with pytest.raises(ApiError) as exc:
        manager.submit(US, "demo", {}, steps(1))
    assert exc.value.status == 429
    manager.submit(JP, "demo", {}, steps(1))  # the limit is per user
    gate.set()
    wait(manager, "USA", a.id, ("done",))


def test_unfinished_jobs_fail_at_restart(tmp_path: Path) -> None:
    db = StateDB(tmp_path / "s.duckdb")
    with db.transaction() as tx:  # what a server that died mid-job leaves behind
        for status in ("queued", "running", "done"):
            tx.execute(
                "INSERT INTO jobs (id, kind, user_name, party, status, progress, params, "
                "created_at) VALUES (?, 'demo', 'ann', 'USA', ?, 0.5, '{}', now())",
                [f"job_{status}", status],
            )
    jm = JobManager(db, AuditLog(db))
    assert jm.get("USA", "job_queued").status == "failed"
    running = jm.get("USA", "job_running")
    assert running.status == "failed"
    assert "submit it again" in str(running.error)
    assert jm.get("USA", "job_done").status == "done"
    jm.shutdown()
    db.close()


# -- Monte Carlo risk jobs over the API ----------------------------------------------


@pytest.mark.default_data
def test_risk_job_over_the_api(api: Api) -> None:
    r = api.post(
        "/api/v1/risk-jobs",
        "us_analyst",
        json={"commodity": "cobalt", "importer": "USA,JPN", "runs": 2000, "seed": 7},
    )
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] in ("queued", "running")
    url = job["url"]
    end = time.monotonic() + 60
    while job["status"] not in ("done", "failed") and time.monotonic() < end:
        time.sleep(0.1)
        job = api.get(url, "us_viewer").json()
        assert 0.0 <= job["progress"] <= 1.0
    assert job["status"] == "done", job
    assert api.get(url, "jp_analyst").status_code == 404
    assert api.get(job["result_url"], "jp_analyst").status_code == 404
    res = api.get(job["result_url"], "us_viewer").json()
    assert {row["importer"] for row in res["data"]} == {"USA", "JPN"}
    assert res["meta"]["runs"] == 2000
    assert res["meta"]["seed"] == 7
    csv = api.get(job["result_url"] + "?table=exporters&format=csv", "us_viewer")
    assert csv.status_code == 200
    assert "p_restrict" in csv.text
    pq = api.get(job["result_url"] + "?table=price&format=parquet", "us_viewer")
    assert len(pd.read_parquet(io.BytesIO(pq.content))) == 2
    assert api.post(job["cancel_url"], "us_analyst").json()["status"] == "done"
    assert (
        api.post("/api/v1/risk-jobs", "us_viewer", json={"commodity": "cobalt"}).status_code == 403
    )


@pytest.mark.default_data
def test_risk_job_cancel_over_the_api(api: Api) -> None:
    r = api.post(
        "/api/v1/risk-jobs", "us_analyst", json={"commodity": "cobalt", "runs": 50_000, "seed": 1}
    )
    job = r.json()
    r = api.post(job["cancel_url"], "us_analyst")
    assert r.status_code == 200
    end = time.monotonic() + 30
    while job["status"] not in ("cancelled", "done", "failed") and time.monotonic() < end:
        time.sleep(0.1)
        job = api.get(job["url"], "us_analyst").json()
    assert job["status"] == "cancelled"
    r = api.get(job["result_url"], "us_analyst")
    assert r.status_code == 409
    assert "cancelled" in r.json()["error"]["message"]
