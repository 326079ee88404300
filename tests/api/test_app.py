"""Settings, a server without data, unexpected errors, the scenario simulation route."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import pandas as pd
import pytest

from minsec.api import Settings, create_app
from minsec.errors import InputError
from tests.api.conftest import Api, bearer, start

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SCENARIO = {
    "name": "cobalt-drc-halt",
    "commodity": "cobalt",
    "baseline_year": 2022,
    "events": [
        {
            "type": "export_restriction",
            "exporter": "COD",
            "start": "2025-02-01",
            "duration_months": 6,
            "fraction": 0.5,
        }
    ],
    "responses": [{"type": "stockpile_release", "holder": "JPN", "tonnes": 500}],
}


def test_settings_from_env(tmp_path: Path) -> None:
    env = {
        "MINSEC_STORE": str(tmp_path / "s.duckdb"),
        "MINSEC_APP_STATE": str(tmp_path / "a.duckdb"),
        "MINSEC_MAX_REQUEST_BYTES": "2_000",
        "MINSEC_API_MAX_RUNS": "5000",
        "MINSEC_CACHE_SIZE": "0",
    }
    s = Settings.from_env(env)
    assert s.store_path == tmp_path / "s.duckdb"
    assert s.state_path == tmp_path / "a.duckdb"
    assert (s.max_request_bytes, s.max_runs, s.cache_size) == (2000, 5000, 0)
    assert Settings.from_env(env, max_runs=7).max_runs == 7
    with pytest.raises(InputError, match="MINSEC_API_MAX_RUNS"):
        Settings.from_env({"MINSEC_API_MAX_RUNS": "lots"})
    with pytest.raises(InputError, match="must be ≥ 1"):
        Settings.from_env({"MINSEC_MAX_REQUEST_BYTES": "0"})


def test_without_a_store_data_is_409_and_health_is_200(tmp_path: Path) -> None:
    settings = Settings(store_path=tmp_path / "none.duckdb", state_path=tmp_path / "a.duckdb")
    for api in start(settings):
        assert api.client.get("/health").status_code == 200
        r = api.get("/api/v1/supply", "us_viewer")
        assert r.status_code == 409
        assert "minsec data fetch" in r.json()["error"]["message"]
        # private data does not need the store
        assert api.get("/api/v1/stockpiles", "us_viewer").status_code == 200


def test_unexpected_errors_are_a_logged_500_without_values(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(Settings(store_path=tmp_path / "x", state_path=tmp_path / "a.duckdb"))

    secret = 98765.4321

    def boom() -> None:
        raise ValueError(f"could not convert {secret} (a private value)")

    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.ERROR):
        r = client.get("/boom")
    assert r.status_code == 500
    assert r.json()["error"]["message"].startswith("internal error (ValueError)")
    logged = "\n".join(rec.getMessage() for rec in caplog.records)
    assert "ValueError" in logged
    assert "/boom" in logged
    assert "98765" not in logged


@pytest.mark.default_data
def test_simulate_a_scenario(api: Api) -> None:
    r = api.post("/api/v1/simulate", "jp_viewer", json=SCENARIO)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["meta"]["scenario"] == "cobalt-drc-halt"
    assert body["meta"]["table"] == "summary"
    parties = {row["party"] for row in body["data"]}
    assert {"USA", "JPN"} <= parties
    r = api.post("/api/v1/simulate?table=monthly&format=csv", "jp_viewer", json=SCENARIO)
    assert r.status_code == 200
    assert r.text.splitlines()[0].startswith("stage,month")


@pytest.mark.default_data
def test_simulate_runs_a_spec_once_for_all_its_tables(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    import minsec.disrupt.scenario as scenario_mod

    calls: list[str] = []
    real = scenario_mod.simulate

    def counting(*args: object, **kwargs: object) -> object:
        calls.append("run")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(scenario_mod, "simulate", counting)
    spec = {**SCENARIO, "name": "cobalt-drc-halt-once"}
    for table in ("summary", "monthly", "summary"):
        r = api.post(f"/api/v1/simulate?table={table}", "jp_viewer", json=spec)
        assert r.status_code == 200, r.text
    assert len(calls) == 1
    # another spec is another run, with another answer
    half = api.post("/api/v1/simulate", "jp_viewer", json=spec).json()["data"]
    quarter_spec = {**spec, "events": [{**SCENARIO["events"][0], "fraction": 0.25}]}  # type: ignore[dict-item]
    quarter = api.post("/api/v1/simulate", "jp_viewer", json=quarter_spec).json()["data"]
    assert len(calls) == 2
    assert half != quarter


@pytest.mark.default_data
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"fraction": -0.5}, "events.0.export_restriction.fraction"),
        ({"fraction": 1.5}, "events.0.export_restriction.fraction"),
        ({"exporter": "Kongo"}, "events.0.export_restriction.exporter"),
        ({"start": "2025-13-45"}, "events.0.export_restriction.start"),
    ],
)
def test_bad_scenarios_are_422(api: Api, change: dict[str, object], field: str) -> None:
    scenario = {**SCENARIO, "events": [{**SCENARIO["events"][0], **change}]}  # type: ignore[dict-item]
    r = api.post("/api/v1/simulate", "us_viewer", json=scenario)
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["field"] == field
    assert err["message"].startswith(field)


def test_bearer_helper() -> None:
    assert bearer("x") == {"Authorization": "Bearer x"}


@pytest.mark.default_data
def test_named_scenarios(api: Api) -> None:
    listed = api.get("/api/v1/scenarios", "jp_viewer").json()["data"]
    names = {row["name"] for row in listed}
    assert "drc-cobalt-quota-2025" in names
    spec = api.get("/api/v1/scenarios/drc-cobalt-quota-2025", "jp_viewer").json()
    assert spec["commodity"] == "cobalt"
    # the spec round-trips through /simulate
    r = api.post("/api/v1/simulate", "jp_viewer", json=spec)
    assert r.status_code == 200, r.text
    named = api.post("/api/v1/scenarios/drc-cobalt-quota-2025/simulate", "jp_viewer")
    assert named.status_code == 200
    # same numbers (to rounding: BLAS may run on another thread count in a job thread)
    pd.testing.assert_frame_equal(
        pd.DataFrame(named.json()["data"]), pd.DataFrame(r.json()["data"]), rtol=1e-9
    )
    r = api.post("/api/v1/scenarios/drc-cobalt-quota/simulate", "jp_viewer")
    assert r.status_code == 404
    assert "drc-cobalt-quota-2025" in r.json()["error"]["hint"]


@pytest.mark.default_data
def test_named_scenario_without_its_data_is_409(api: Api) -> None:
    r = api.post("/api/v1/scenarios/china-gallium-germanium-2023/simulate", "us_viewer")
    assert r.status_code == 409
    assert "gallium" in r.json()["error"]["message"]


@pytest.mark.default_data
def test_coordinated_response_table(api: Api) -> None:
    r = api.post(
        "/api/v1/scenarios/china-graphite-like-minded/simulate?table=response-shortfall",
        "jp_viewer",
    )
    assert r.status_code == 200, r.text
    rows = r.json()["data"]
    assert {row["coordinated"] for row in rows} == {True, False}
