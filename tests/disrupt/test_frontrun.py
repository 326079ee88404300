"""Buying ahead of an announced ban: the excess over trend, worked by hand, and its use in a
scenario and a back-test on a toy store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from minsec.disrupt.backtest import backtest_one, load_observations
from minsec.disrupt.frontrun import excess_imports, without_stockbuilding
from minsec.disrupt.model import Baseline
from minsec.disrupt.scenario import parse_scenario, simulate
from minsec.errors import InputError
from minsec.store import Store
from tests.disrupt.toy_store import graphite_store


def _baseline(year: int, trade: dict[tuple[str, str], float], consumption: dict[str, float],
              production: dict[str, float]) -> Baseline:  # fmt: skip
    names = ("AUS", "CHN", "IDN", "JPN")
    pos = {c: i for i, c in enumerate(names)}
    t = np.zeros((4, 4))
    for (e, i), q in trade.items():
        t[pos[e], pos[i]] = q
    return Baseline(
        commodity="bauxite", stage="ore", year=year, hs6=("260600",), countries=names,
        trade_t=t, production_t=np.array([production.get(c, 0.0) for c in names]),
        consumption_t=np.array([consumption.get(c, 0.0) for c in names]),
        price_usd_per_t=50.0, spare_capacity=np.zeros(4),
    )  # fmt: skip


def test_excess_over_the_two_years_before_by_hand() -> None:
    # Indonesia shipped China 30 and 34 t, then 50 t in the year before its ban: 18 t ahead;
    # Japan 10, 10, then 9 t: nothing ahead; Australia→China is not the announcing exporter
    before = [
        _baseline(2011, {("IDN", "CHN"): 30, ("IDN", "JPN"): 10, ("AUS", "CHN"): 5}, {}, {}),
        _baseline(2012, {("IDN", "CHN"): 34, ("IDN", "JPN"): 10, ("AUS", "CHN"): 5}, {}, {}),
    ]
    now = _baseline(
        2013, {("IDN", "CHN"): 50, ("IDN", "JPN"): 9, ("AUS", "CHN"): 20},
        consumption={"CHN": 100.0, "JPN": 9.0}, production={"IDN": 70.0, "AUS": 25.0},
    )  # fmt: skip
    targets = np.ones(4, dtype=bool)
    ahead = excess_imports(now, before, [("IDN", targets)])
    assert ahead[2, 1] == pytest.approx(18.0)  # IDN → CHN
    assert ahead.sum() == pytest.approx(18.0)
    # only the restriction's targets count
    only_japan = np.array([False, False, False, True])
    assert excess_imports(now, before, [("IDN", only_japan)]).sum() == 0.0
    # taken out of China's consumption, of the flow and of Indonesia's output
    b = without_stockbuilding(now, ahead)
    assert b.consumption_t[1] == pytest.approx(82.0)
    assert b.trade_t[2, 1] == pytest.approx(32.0)
    assert b.production_t[2] == pytest.approx(52.0)

    # apparent consumption P + M − X is unchanged for the exporter, less for the importer
    def apparent(x: Baseline) -> np.ndarray:
        return x.production_t + x.trade_t.sum(axis=0) - x.trade_t.sum(axis=1)

    assert apparent(b)[2] == pytest.approx(apparent(now)[2])
    assert apparent(b)[1] == pytest.approx(apparent(now)[1] - 18.0)
    assert any(n.startswith("bought ahead: 18 t") for n in b.notes)
    # nothing ahead: the same object
    assert without_stockbuilding(now, np.zeros((4, 4))) is now


def test_what_went_beyond_consumption_was_re_exported() -> None:
    before = [_baseline(y, {("IDN", "JPN"): 10}, {}, {}) for y in (2011, 2012)]
    now = _baseline(2013, {("IDN", "JPN"): 40}, consumption={"JPN": 12.0}, production={})
    ahead = excess_imports(now, before, [("IDN", np.ones(4, dtype=bool))])
    assert ahead.sum() == pytest.approx(12.0)  # 30 t above trend, 12 t consumed: 12 t stock


def _trade(year: int, flows: dict[tuple[str, str], float]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"hs6": "250410", "hs_revision": "HS92", "year": year, "exporter": e,
             "importer": i, "value_kusd": q, "quantity_t": q}
            for (e, i), q in flows.items()
        ]
    )  # fmt: skip


@pytest.fixture
def ahead_store(tmp_path: Path) -> Store:
    """Graphite: China ships Japan 120 t a year in 2019-2020, 240 t in 2021 (ahead of a ban
    announced in 2021 and in force from 2022); Australia ships Japan 60 t every year."""
    flows = {2019: 120.0, 2020: 120.0, 2021: 240.0, 2022: 0.0}
    trade = pd.concat(
        [_trade(y, {("CHN", "JPN"): q, ("AUS", "JPN"): 60.0}) for y, q in flows.items()]
    )
    return graphite_store(tmp_path / "ahead.duckdb", trade, {"CHN": 1000.0, "AUS": 60.0}, 2021)


def _ban(**extra: object) -> dict[str, object]:
    return {
        "name": "toy-ahead",
        "commodity": "graphite",
        "baseline_year": 2021,
        "stages": ["ore"],
        "months": 12,
        "events": [{"type": "export_restriction", "exporter": "China", "targets": ["Japan"],
                    "fraction": 1.0, "start": "2022-01-01", **extra}],
        "parameters": {"spare_capacity": 0.0, "spot_share": 0.0, "inventory_months": 0.0,
                       "producer_inventory_months": 0.0, "substitution_share": 0.0,
                       "inventory_draw_share": 1.0, "transit_months": 0.0},
        "backtest": {"set": "holdout", "observed_years": [2022]},
    }  # fmt: skip


def test_a_ban_announced_a_year_ahead_starts_with_the_stock_bought(
    ahead_store: Store, tmp_path: Path
) -> None:
    # Japan consumed 120 + 60 = 180 t a year and bought 120 t more from China in 2021: its
    # stock covers the 10 t a month China no longer ships for 12 months
    announced = simulate(ahead_store, parse_scenario(_ban(announced="2021-03-01")))
    plain = simulate(ahead_store, parse_scenario(_ban()))
    jpn = announced.summary.set_index("party").loc["JPN"]
    assert jpn["shortfall_t"] == pytest.approx(0.0, abs=1e-9)
    assert plain.summary.set_index("party").loc["JPN", "shortfall_t"] > 100
    assert any("bought ahead: 120 t imported in 2021" in n for n in announced.notes)
    # the back-test compares with 2021 as observed: China's 240 t → 0 is -100 %, Australia's
    # flow did not move
    csv = tmp_path / "none.csv"
    csv.write_text(
        "scenario,stage,kind,flow,importers,basis,baseline_period,baseline,period,observed,"
        "series,publisher,dataset,file,method\n"
    )
    frame = backtest_one(
        ahead_store, parse_scenario(_ban(announced="2021-03-01")),
        observations=load_observations(csv),
    )  # fmt: skip
    rows = frame[frame["kind"] == "trade"].set_index("flow")
    assert rows.loc["from restricting", "baseline"] == pytest.approx(240.0)
    assert rows.loc["from restricting", "predicted_change_pct"] == pytest.approx(-100.0)
    assert rows.loc["from others", "predicted_change_pct"] == pytest.approx(0.0, abs=1e-9)
    assert rows.loc["from others", "observed_change_pct"] == pytest.approx(0.0)


def test_an_announcement_after_the_baseline_year_is_said(ahead_store: Store) -> None:
    spec = _ban(announced="2021-03-01")
    spec["baseline_year"] = 2020  # the baseline year ends before the announcement
    result = simulate(ahead_store, parse_scenario(spec))
    assert any(
        "announced on 2021-03-01, after the baseline year" in n and "not in the model" in n
        for n in result.notes
    )
    assert not any("bought ahead: " in n for n in result.notes)


def test_announced_after_the_start_is_refused() -> None:
    with pytest.raises(InputError, match=r"events\[0\]: announced 2022-02-01 is after start"):
        parse_scenario(_ban(announced="2022-02-01"))
