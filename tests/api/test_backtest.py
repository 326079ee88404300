"""The back-test over the web API: every case, some cases, CSV, bad input."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from minsec.disrupt.backtest import backtest, summarize
from minsec.store import Store
from tests.api.conftest import Api

pytestmark = pytest.mark.default_data


def test_backtest_rows_and_summary_equal_the_library(api: Api, default_store: Store) -> None:
    expected = backtest(default_store)
    r = api.get("/api/v1/backtest", "jp_viewer")
    assert r.status_code == 200, r.text
    body = r.json()
    got = pd.DataFrame(body["data"])
    assert len(got) == len(expected)
    ok = got[got["status"] == "ok"].reset_index(drop=True)
    want = expected[expected["status"] == "ok"].reset_index(drop=True)
    assert list(ok["scenario"]) == list(want["scenario"])
    assert ok["error_pp"].to_numpy() == pytest.approx(want["error_pp"].to_numpy())
    # the summary: MAE by statistic and set, the cases and their sets, what is missing
    mae = {(m["kind"], m["set"]): m for m in body["meta"]["summary"]["mae"]}
    table = summarize(expected).table.set_index(["kind", "set"])
    for key in (("trade", "holdout"), ("trade from restricting", "calibration")):
        assert mae[key]["mae_pp"] == pytest.approx(table.loc[key, "mae_pp"])
        assert mae[key]["rows"] == table.loc[key, "rows"]
    assert body["meta"]["cases"]["australia-manganese-2024"] == "holdout"
    assert body["meta"]["cases"]["indonesia-nickel-ore-2020"] == "calibration"
    missing = {m["scenario"] for m in body["meta"]["summary"]["missing"]}
    assert "china-antimony-2024" in missing  # needs the HS17 files
    assert any(line.startswith("MAE of the direct effect") for line in body["meta"]["lines"])


def test_backtest_of_some_cases_as_csv(api: Api) -> None:
    r = api.get(
        "/api/v1/backtest?case=china-graphite-2023,australia-manganese-2024&format=csv",
        "us_viewer",
    )
    assert r.status_code == 200, r.text
    frame = pd.read_csv(io.StringIO(r.text))
    assert set(frame["scenario"]) == {"china-graphite-2023", "australia-manganese-2024"}
    mn = frame[(frame["scenario"] == "australia-manganese-2024") & (frame["kind"] == "trade")]
    assert set(mn["restricting"]) == {"AUS"}


def test_backtest_with_the_placebo(api: Api, default_store: Store) -> None:
    from minsec.disrupt import backtest_placebo as pl
    from minsec.disrupt.backtest import prepare

    r = api.get("/api/v1/backtest?case=australia-manganese-2024&placebo=true", "jp_viewer")
    assert r.status_code == 200, r.text
    body = r.json()
    got = pd.DataFrame(body["data"]).set_index(["kind", "flow", "period"])
    cases, _ = prepare(default_store, ["australia-manganese-2024"])
    rows = pl.placebo(default_store, cases).rows
    want = rows[rows["kind"] == "trade"].set_index(["kind", "flow", "period"])
    assert len(want) >= 2
    for key, rec in want.iterrows():
        assert got.loc[key, "noise_floor_pp"] == pytest.approx(rec["noise_floor_pp"])
        assert got.loc[key, "placebo_pairs"] == rec["placebo_pairs"]
    floor = {(f["kind"], f["set"]): f for f in body["meta"]["placebo"]["floor"]}
    assert ("trade", "holdout") in floor
    # without the flag: neither the columns nor the meta (and a separate cache entry)
    plain = api.get("/api/v1/backtest?case=australia-manganese-2024", "jp_viewer").json()
    assert "placebo" not in plain["meta"] and "noise_floor_pp" not in plain["data"][0]


def test_backtest_bad_input(api: Api) -> None:
    r = api.get("/api/v1/backtest?case=china-graphite", "jp_viewer")
    assert r.status_code == 422, r.text
    assert "china-graphite-2023" in r.json()["error"]["hint"]
    r = api.get("/api/v1/backtest?case=china-graphite-like-minded", "jp_viewer")
    assert r.status_code == 422 and "no backtest section" in r.json()["error"]["message"]
    r = api.get("/api/v1/backtest?case=,", "jp_viewer")
    assert r.status_code == 422 and r.json()["error"]["field"] == "case"
