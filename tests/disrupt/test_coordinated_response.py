"""The coordinated allied allocation attached to a scenario run with allied sharing."""

from __future__ import annotations

from pathlib import Path

import pytest

from minsec.disrupt.scenario import build_responses, get_scenario, simulate
from minsec.store import Store
from tests.cli_helpers import run_cli

pytestmark = pytest.mark.default_data


def test_sharing_scenario_reports_both_outcomes(default_store: Store) -> None:
    result = simulate(default_store, get_scenario("china-graphite-like-minded"))
    short = result.response_shortfall
    assert not short.empty and set(short["coordinated"]) == {True, False}
    worst = short[short["need_t"] > 0].groupby("coordinated")["shortfall_pct"].max()
    # coordination never makes the worst-off partner worse
    assert worst[True] <= worst[False] + 1e-6
    flows = result.response
    assert (flows["tonnes"] >= 0).all()
    # released stock never exceeds what each holder had at the start
    sc = get_scenario("china-graphite-like-minded")
    b = result.baselines["ore"]
    resp, _ = build_responses(sc, b, list(result.baselines))
    initial = dict(zip(b.countries, resp.stockpile_t, strict=True))
    released = flows[(flows["source_kind"] == "stockpile") & flows["coordinated"]]
    assert released["tonnes"].sum() > 0
    for owner, tonnes in released.groupby("owner")["tonnes"].sum().items():
        assert tonnes <= initial[str(owner)] + 1e-6
    assert any("allied allocation" in n for n in result.notes)


def test_scenario_without_sharing_has_no_response(default_store: Store) -> None:
    result = simulate(default_store, get_scenario("china-graphite-2023"), baseline_year=2022)
    assert result.response.empty and result.response_shortfall.empty


def test_cli_response_view(default_store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(
        capsys,
        "simulate",
        "--scenario",
        "china-graphite-like-minded",
        "--view",
        "response",
        "--format",
        "csv",
        "--store",
        str(default_store_path),
    )
    assert res.code == 0, res.err
    header = res.out.splitlines()[0].split(",")
    assert {"source", "partner", "tonnes", "coordinated"} <= set(header)
