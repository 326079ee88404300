"""``/api/v1/plan-jobs``: portfolio plans as background jobs over the API."""

from __future__ import annotations

import io
import time
from typing import Any

import pandas as pd
import pytest

from tests.api.conftest import Api

PROJECT = {
    "id": "li-busch-009",
    "name": "Thacker Pass",
    "country": "USA",
    "commodity": "lithium",
    "stage": "mine",
    "status": "construction",
    "capacity_tpy": 14277.66,
    "capex_musd": 1181.2,
    "opex_usd_per_t": 38314.95,
    "offtake": {"USA": 0.8},
}
SPEC: dict[str, Any] = {
    "name": "api test",
    "budget_usd": 5e8,
    "objective": "cvar95",
    "runs": 50,
    "horizon_years": 5,
    "seed": 3,
    "projects": [
        PROJECT,
        {**PROJECT, "id": "jadar", "name": "Jadar", "country": "SRB", "status": "evaluation",
         "capacity_tpy": 10900, "capex_musd": 1151.76, "offtake": {"EU27": 0.6, "JPN": 0.2},
         "permit_expected_months": 36, "permit_pessimistic_months": 96},
    ],
}  # fmt: skip


def _wait(api: Api, job: dict[str, Any], user: str = "us_viewer") -> dict[str, Any]:
    end = time.monotonic() + 120
    while job["status"] not in ("done", "failed", "cancelled") and time.monotonic() < end:
        time.sleep(0.1)
        job = api.get(job["url"], user).json()
        assert 0.0 <= job["progress"] <= 1.0
    return job


@pytest.mark.default_data
def test_plan_job_runs_and_serves_tables(api: Api) -> None:
    r = api.post("/api/v1/plan-jobs", "us_analyst", json=SPEC)
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["kind"] == "plan" and job["params"]["objective"] == "cvar"
    job = _wait(api, job)
    assert job["status"] == "done", job["error"]
    r = api.get(job["result_url"], "us_viewer")
    assert r.status_code == 200
    payload = r.json()
    assert payload["meta"]["table"] == "portfolio" and payload["meta"]["runs"] == 50
    ids = {row["project_id"] for row in payload["data"]}
    assert ids == {"li-busch-009", "jadar"}
    chosen = [row for row in payload["data"] if row["chosen"]]
    assert sum(row["public_cost_usd"] for row in chosen) <= 5e8
    r = api.get(job["result_url"], "us_viewer", params={"table": "summary"})
    summary = {row["metric"]: row["value"] for row in r.json()["data"]}
    assert summary["cvar95_after_t"] <= summary["cvar95_before_t"]
    assert summary["budget_dual_per_usd"] >= 0
    r = api.get(job["result_url"], "us_viewer", params={"table": "accelerations", "format": "csv"})
    assert r.status_code == 200
    frame = pd.read_csv(io.StringIO(r.text))
    assert frame["project_id"].tolist() == ["jadar"]  # the only project still in permitting
    # another party cannot see the job
    assert api.get(job["url"], "jp_viewer").status_code == 404
    listed = api.get("/api/v1/plan-jobs", "us_viewer").json()
    assert job["id"] in [j["id"] for j in listed]


@pytest.mark.default_data
@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"budget_usd": -1}, "budget_usd", "greater than or equal"),
        ({"budjet": 1}, "budjet", "Extra inputs"),
        ({"objective": "best"}, "objective", "unknown objective"),
        ({"runs": 20_000}, "runs", "above this server's limit"),
        ({"projects": [{**PROJECT, "country": "Atlantis"}]}, "projects.0", "Atlantis"),
        ({"projects": [{**PROJECT, "capacity_tpy": "lots"}]}, "projects.0.capacity_tpy", "number"),
        ({"projects": [{"id": "x"}]}, "projects.0.name", "not in the store and has no name"),
    ],
)
def test_bad_plans_are_422_and_name_the_field(
    api: Api, change: dict[str, Any], field: str, message: str
) -> None:
    r = api.post("/api/v1/plan-jobs", "us_analyst", json={**SPEC, **change})
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["field"] == field
    assert message in error["message"]


@pytest.mark.default_data
def test_viewers_cannot_start_plans_and_results_wait(api: Api) -> None:
    assert api.post("/api/v1/plan-jobs", "us_viewer", json=SPEC).status_code == 403
    r = api.post("/api/v1/plan-jobs", "us_analyst", json={**SPEC, "runs": 2000})
    job = r.json()
    early = api.get(job["result_url"], "us_analyst")
    assert early.status_code in (200, 409)  # 409 while queued or running
    assert api.post(job["cancel_url"], "us_analyst").status_code == 200
    job = _wait(api, job, "us_analyst")
    assert job["status"] in ("cancelled", "done")
    assert api.get("/api/v1/plan-jobs/job_nope", "us_viewer").status_code == 404
