"""``/api/v1/stockpile-sizing-jobs``: stockpile sizing as background jobs over the API."""

from __future__ import annotations

import io
import time
from typing import Any

import pandas as pd
import pytest

from tests.api.conftest import Api

pytestmark = pytest.mark.default_data
URL = "/api/v1/stockpile-sizing-jobs"
BODY: dict[str, Any] = {
    "commodity": "graphite",
    "importer": "USA,JPN",
    "target": "cvar95<=5%",
    "runs": 1000,
    "seed": 1,
    "curve_points": 3,
}


def _wait(api: Api, job: dict[str, Any], user: str = "us_viewer") -> dict[str, Any]:
    end = time.monotonic() + 180
    while job["status"] not in ("done", "failed", "cancelled") and time.monotonic() < end:
        time.sleep(0.1)
        job = api.get(job["url"], user).json()
        assert 0.0 <= job["progress"] <= 1.0
    return job


def _error(r: Any) -> dict[str, Any]:
    body = r.json()
    assert set(body) == {"error"}
    err: dict[str, Any] = body["error"]
    return err


def test_sizing_job_runs_and_serves_tables(api: Api) -> None:
    r = api.post(URL, "us_analyst", json=BODY)
    assert r.status_code == 202, r.text
    job = _wait(api, r.json())
    assert job["kind"] == "stockpile-sizing" and job["status"] == "done", job["error"]
    payload = api.get(job["result_url"], "us_viewer").json()
    meta = payload["meta"]
    assert meta["table"] == "summary" and meta["target"] == "cvar95<=5%" and meta["runs"] == 1000
    assert meta["pooled_cost_usd_per_year"] <= meta["alone_cost_usd_per_year"] + 1e-6
    rows = {row["partner"]: row for row in payload["data"]}
    assert set(rows) == {"USA", "JPN"}
    for row in rows.values():
        assert row["pooled_risk_after_pct"] <= 5.0 + 1e-7
        assert row["alone_risk_after_pct"] <= 5.0 + 1e-7
    costs = api.get(job["result_url"], "us_viewer", params={"table": "costs"}).json()["data"]
    assert all(c["capital_source"] and c["storage_source"] and c["price_source"] for c in costs)
    r = api.get(job["result_url"], "us_viewer", params={"table": "curve", "format": "csv"})
    assert r.status_code == 200
    curve = pd.read_csv(io.StringIO(r.text))
    assert curve["is_target"].sum() == 1 and len(curve) >= 3
    # the same seed gives the same stocks from the CLI's Python API
    from minsec.disrupt.stockpile_sizing.study import size_stockpiles

    direct = size_stockpiles(
        api.state.stores.get(), "USA,JPN", "cvar95<=5%", commodity="graphite", runs=1000,
        seed=1, workers=1, curve_points=3,
    )  # fmt: skip
    assert direct.view("summary")["pooled_stock_t"].tolist() == pytest.approx(
        [rows["USA"]["pooled_stock_t"], rows["JPN"]["pooled_stock_t"]]
    )
    # another party cannot see it
    assert api.get(job["url"], "jp_viewer").status_code == 404
    assert api.get(job["result_url"], "jp_viewer").status_code == 404
    assert job["id"] in [j["id"] for j in api.get(URL, "us_viewer").json()]


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"commodity": "kryptonite"}, "commodity", ""),
        ({"importer": "USA,Atlantis"}, "importer", "Atlantis"),
        ({"importer": "USA,like-minded"}, "importer", "overlap"),
        ({"target": "cvar95=5%"}, "target", "not understood"),
        ({"target": "p10<=100%"}, "target", "probability cap"),
        ({"runs": 10_000_000}, "runs", "limit of 50,000"),
        ({"runs": 20_000, "verify": True}, "runs", "with verify"),
        ({"max_stock_t": {"KOR": 5.0}}, "max_stock_t", "not one of the partners"),
        ({"existing_t": {"USA": -1.0}}, "existing_t.USA", ""),
        ({"price_usd_per_t": 0}, "price_usd_per_t", ""),
        ({"stage": "slag"}, "stage", "stage"),
        ({"basis": "wish"}, "basis", ""),
        ({"curve_points": 1}, "curve_points", ""),
        ({"surprise": 1}, "surprise", ""),
    ],
)
def test_bad_requests_are_refused_before_queueing(
    api: Api, changes: dict[str, Any], field: str, words: str
) -> None:
    before = len(api.get(URL, "us_analyst").json())
    r = api.post(URL, "us_analyst", json={**BODY, **changes})
    assert r.status_code == 422, r.text
    err = _error(r)
    assert err["field"] == field
    assert words in err["message"]
    assert len(api.get(URL, "us_analyst").json()) == before


def test_viewers_cannot_start_a_sizing(api: Api) -> None:
    assert api.post(URL, "us_viewer", json=BODY).status_code == 403


def test_a_target_only_pooling_meets(api: Api) -> None:
    """The US cannot release enough alone; Japan's stock released to it can."""
    # a target below what the US's own inventories leave (CVaR95 about 4 % of consumption)
    body = {**BODY, "target": "cvar95<=1%", "release_t_per_month": {"USA": 0.0}, "runs": 500}
    job = _wait(api, api.post(URL, "us_analyst", json=body).json())
    assert job["status"] == "done", job["error"]
    payload = api.get(job["result_url"], "us_viewer").json()
    rows = {r["partner"]: r for r in payload["data"]}
    assert rows["USA"]["alone_stock_t"] is None and rows["USA"]["pooled_risk_after_pct"] <= 1.0
    assert payload["meta"]["saving_usd_per_year"] is None
    assert any("cannot be met for USA" in n for n in payload["meta"]["notes"])
    totals = api.get(job["result_url"], "us_viewer", params={"table": "totals"}).json()["data"]
    assert {t["mode"]: t["status"] for t in totals}["alone"] == "infeasible"


def test_unreachable_target_fails_with_a_clear_message(api: Api) -> None:
    body = {**BODY, "target": "cvar95<=0%", "max_stock_t": {"USA": 0, "JPN": 10}, "runs": 300}
    r = api.post(URL, "us_analyst", json=body)
    assert r.status_code == 202, r.text
    job = _wait(api, r.json())
    assert job["status"] == "failed"
    assert "cvar95<=0% cannot be met for USA, JPN with pooled releases" in job["error"]
    r = api.get(job["result_url"], "us_viewer")
    assert r.status_code == 409 and "failed" in _error(r)["message"]


def test_recorded_stockpiles_are_the_starting_point_of_their_party_only(api: Api) -> None:
    r = api.post(
        "/api/v1/stockpiles",
        "us_analyst",
        json={"commodity": "graphite", "tonnes": 4321.0, "max_release_t_per_month": 7000.0},
    )
    assert r.status_code == 201, r.text
    body = {**BODY, "use_recorded_stockpiles": True, "runs": 500}
    job = _wait(api, api.post(URL, "us_analyst", json=body).json())
    assert job["status"] == "done", job["error"]
    assert job["params"]["recorded_existing_t"] == {"USA": 4321.0}
    assert job["params"]["recorded_release_t_per_month"] == {"USA": 7000.0}
    rows = {r["partner"]: r for r in api.get(job["result_url"], "us_viewer").json()["data"]}
    assert rows["USA"]["pooled_stock_t"] >= 4321.0 - 1e-6
    assert rows["USA"]["alone_stock_t"] >= 4321.0 - 1e-6
    # Japan does not see the US stockpile (not shared), so its sizing starts from nothing
    jp = _wait(api, api.post(URL, "jp_analyst", json=body).json(), "jp_viewer")
    assert jp["status"] == "done", jp["error"]
    assert jp["params"]["recorded_existing_t"] == {}
    assert "4321" not in str(api.get(jp["result_url"], "jp_viewer").json())
