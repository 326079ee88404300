"""Back-test: row arithmetic on a toy store (hand-worked), periods, MAE and direction rules,
the observation table, and the real cases on the default data and the HS17 extracts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from minsec.disrupt import scenario as scenario_module
from minsec.disrupt.backtest import (
    FRAME_COLUMNS,
    TRADE_CLEAN,
    Period,
    backtest,
    backtest_markdown,
    backtest_one,
    direction_ok,
    finish,
    known_defects,
    load_observations,
    packaged_production,
    parse_period,
    summarize,
    summary_frame,
)
from minsec.disrupt.scenario import Scenario, get_scenario, named_scenarios, parse_scenario
from minsec.errors import InputError
from minsec.sources import baci
from minsec.store import Store
from tests.conftest import shared_data
from tests.disrupt.toy_store import graphite_store

ATLAS = ("trade", "critical-materials-atlas")
HEADER = (
    "scenario,stage,kind,flow,importers,basis,baseline_period,baseline,period,observed,"
    "series,publisher,dataset,file,method\n"
)


# -- a toy store, worked by hand -----------------------------------------------------------------


def _trade(year: int, flows: dict[tuple[str, str], tuple[float, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "hs6": "250410",
                "hs_revision": "HS92",
                "year": year,
                "exporter": e,
                "importer": i,
                "value_kusd": v,
                "quantity_t": q,
            }
            for (e, i), (q, v) in flows.items()
        ]
    )


@pytest.fixture
def toy_store(tmp_path: Path) -> Store:
    """Graphite: China and Australia ship to the US and Japan in 2022 and 2024.

    2022 (t, kUSD): CHN→USA 30/30, CHN→JPN 20/20, AUS→USA 10/10, AUS→JPN 10/10.
    2024: CHN→USA 15/30, CHN→JPN 5/10, AUS→USA 12/24, AUS→JPN 13/26.
    Production 2022: CHN 100 t, AUS 50 t.
    """
    trade = pd.concat(
        [
            _trade(2022, {("CHN", "USA"): (30, 30), ("CHN", "JPN"): (20, 20),
                          ("AUS", "USA"): (10, 10), ("AUS", "JPN"): (10, 10)}),
            _trade(2024, {("CHN", "USA"): (15, 30), ("CHN", "JPN"): (5, 10),
                          ("AUS", "USA"): (12, 24), ("AUS", "JPN"): (13, 26)}),
        ]
    )  # fmt: skip
    return graphite_store(tmp_path / "toy.duckdb", trade, {"CHN": 100.0, "AUS": 50.0}, 2022)


def _toy_scenario(transit_months: float = 0.0, **backtest: object) -> Scenario:
    return parse_scenario(
        {
            "name": "toy-licensing",
            "commodity": "graphite",
            "baseline_year": 2022,
            "stages": ["ore"],
            "events": [
                {"type": "export_restriction", "exporter": "China", "fraction": 0.5,
                 "start": "2023-01-01"}
            ],
            # no spare capacity, no spot resale: imports from others cannot move; by
            # default no cargo in transit (the event reaches the buyers on its dates); the
            # short-run demand elasticity throughout
            "parameters": {"spare_capacity": 0.0, "spot_share": 0.0,
                           "transit_months": transit_months,
                           "long_run_elasticity_multiple": 1.0},
            "backtest": {"set": "calibration", **backtest},
        }
    )  # fmt: skip


def _empty_table(tmp_path: Path) -> pd.DataFrame:
    csv = tmp_path / "none.csv"
    csv.write_text(HEADER)
    return load_observations(csv)


def test_toy_rows_by_hand(toy_store: Store, tmp_path: Path) -> None:
    sc = _toy_scenario(observed_years=[2024])
    frame = backtest_one(toy_store, sc, observations=_empty_table(tmp_path))
    rows = frame.set_index("flow")
    # targets: USA, JPN and AUS (all but China); base 2022: 50 t from China, 20 t from others
    assert rows.loc["from restricting", "baseline"] == 50
    assert rows.loc["from others", "baseline"] == 20
    assert rows.loc["from restricting", "n_importers"] == 3
    # half of China's exports withheld all of 2024; nothing else can reach the targets
    assert rows.loc["from restricting", "predicted_change_pct"] == pytest.approx(-50.0)
    assert rows.loc["from others", "predicted_change_pct"] == pytest.approx(0.0, abs=1e-9)
    assert rows.loc["total", "predicted_change_pct"] == pytest.approx(100 * (45 / 70 - 1))
    # observed 2024: 20 t from China (-60 %), 25 t from others (+25 %), 45 t in total
    assert rows.loc["from restricting", "observed_change_pct"] == pytest.approx(-60.0)
    assert rows.loc["from others", "observed_change_pct"] == pytest.approx(25.0)
    assert rows.loc["from restricting", "error_pp"] == pytest.approx(10.0)
    assert rows.loc["from others", "error_pp"] == pytest.approx(-25.0)
    assert rows.loc["total", "error_pp"] == pytest.approx(0.0, abs=1e-9)
    assert rows.loc["from restricting", "predicted"] == pytest.approx(25.0)
    # price: no spare output and no resale, so no price clears the market: the cap (10x);
    # the unit value went from 70/70 to 90/45 kUSD per t, i.e. 1,000 → 2,000 USD/t
    assert rows.loc["price", "predicted_change_pct"] == pytest.approx(900.0)
    assert rows.loc["price", "observed_change_pct"] == pytest.approx(100.0)
    assert rows.loc["price", "baseline"] == pytest.approx(1000.0)
    # ... in every month of 2024, which the row and the summary count; trade rows have none
    assert rows.loc["price", "months_at_cap"] == 12
    assert rows.loc[["from restricting", "from others", "total"], "months_at_cap"].isna().all()
    # what counts in the MAE, and the direction rule
    assert list(rows["in_mae"]) == [True, True, False, False]
    assert list(rows["direction_ok"]) == [True, False, True, True]
    s = summarize(frame)
    assert s.mae("trade", "all") == pytest.approx(17.5)
    assert s.mae("trade", "calibration") == pytest.approx(17.5)
    assert np.isnan(s.mae("trade", "holdout"))
    assert s.mae("price", "all") == pytest.approx(800.0)
    assert list(s.wrong_direction["flow"]) == ["from others"]
    text = "\n".join(s.lines())
    assert "calibration 17.5 pp (2 rows, 1 case)" in text
    assert "toy-licensing 2024 from others: predicted +0.0 %, observed +25.0 %" in text
    assert "(the price rows' periods): all 12 of 12; calibration 12 of 12" in text
    assert "  toy-licensing 2024: 12 of 12" in text
    assert s.as_dict()["price_cap"] == [
        {"scenario": "toy-licensing", "set": "calibration", "stage": "ore", "period": "2024",
         "months_at_cap": 12, "months": 12}
    ]  # fmt: skip


#: June 2024 from China to the US against 2022, and against the first half of 2023 (USA, JPN)
_MONTHLY_ROWS = (
    "toy-licensing,ore,trade,from restricting,USA,kg,2022,30000,2024-06,1000,s,p,d,f,m\n"
    "toy-licensing,,trade,from restricting,USA JPN,kg,2023-01..2023-06,25000,2024-06,"
    "4000,s,p,d,f,m\n"
)


def _observations(tmp_path: Path, rows: str) -> pd.DataFrame:
    csv = tmp_path / "obs.csv"
    csv.write_text(HEADER + rows)
    return load_observations(csv)


def test_toy_rows_from_a_table_monthly_and_within_the_run(toy_store: Store, tmp_path: Path) -> None:
    price = "toy-licensing,,price,,,USD/t,2022,100,2024,150,s,p,d,f,m\n"
    table = _observations(tmp_path, _MONTHLY_ROWS + price)
    frame = backtest_one(toy_store, _toy_scenario(), observations=table)
    assert (frame["status"] == "ok").all() and len(frame) == 3
    june, within, price = frame.to_dict("records")
    # 30 t a year from China to the US → 1 t in June 2024 against 2.5 t a month: -60 %
    assert june["observed_change_pct"] == pytest.approx(-60.0)
    assert june["predicted_change_pct"] == pytest.approx(-50.0)
    assert june["error_pp"] == pytest.approx(10.0) and june["n_importers"] == 1
    assert june["series"] == "s" and june["source"] == "p: d (f)" and june["method"] == "m"
    # base period inside the run: the restriction was already in force, so no change
    assert within["predicted_change_pct"] == pytest.approx(0.0, abs=1e-9)
    assert within["observed_change_pct"] == pytest.approx(100 * ((4 / 1) / (25 / 6) - 1))
    assert price["predicted_change_pct"] == pytest.approx(900.0)
    assert price["observed_change_pct"] == pytest.approx(50.0)


def test_toy_cargo_in_transit_delays_the_event_by_a_month(toy_store: Store, tmp_path: Path) -> None:
    sc = _toy_scenario(transit_months=1.0)
    table = _observations(tmp_path, _MONTHLY_ROWS)
    june, within = backtest_one(toy_store, sc, observations=table).to_dict("records")
    # long after the start the lag changes nothing: half of China's tonnes still missing
    assert june["predicted_change_pct"] == pytest.approx(-50.0)
    # January 2023's cargoes were loaded before the start and land in full: the first half
    # of 2023 had 1 + 5 x 0.5 = 3.5 months' worth, June 2024 half a month's -> 0.5 / (3.5/6)
    assert within["predicted_change_pct"] == pytest.approx(100 * (0.5 / (3.5 / 6) - 1))


def test_toy_outage_counts_the_exporter_in_outage_as_restricting(
    toy_store: Store, tmp_path: Path
) -> None:
    """A production outage: every buyer is compared; "from restricting" is the country in
    outage, which ships the share of its availability it lost less on every flow."""
    sc = parse_scenario(
        {
            "name": "toy-outage",
            "commodity": "graphite",
            "baseline_year": 2022,
            "stages": ["ore"],
            "events": [{"type": "production_outage", "country": "Australia", "fraction": 0.5,
                        "start": "2023-01-01"}],
            "parameters": {"spare_capacity": 0.0, "spot_share": 0.0, "inventory_months": 0.0,
                           "producer_inventory_months": 0.0},
            "backtest": {"set": "holdout", "observed_years": [2024]},
        }
    )  # fmt: skip
    frame = backtest_one(toy_store, sc, observations=_empty_table(tmp_path))
    rows = frame.set_index("flow")
    # Australia: production 50 t, exports 20 t, so consumption 30 t and availability 50 t;
    # half its output lost = 25 t = half its availability: it ships half as much.
    # Importers: USA, JPN and CHN (all but Australia); 20 t from Australia, 50 t from China
    assert rows.loc["from restricting", "restricting"] == "AUS"
    assert rows.loc["from restricting", "baseline"] == 20
    assert rows.loc["from others", "baseline"] == 50
    assert rows.loc["from restricting", "predicted_change_pct"] == pytest.approx(-50.0)
    assert rows.loc["from others", "predicted_change_pct"] == pytest.approx(0.0, abs=1e-9)
    # observed 2024: 25 t from Australia (+25 %), 20 t from China (-60 %)
    assert rows.loc["from restricting", "observed_change_pct"] == pytest.approx(25.0)
    assert rows.loc["from others", "observed_change_pct"] == pytest.approx(-60.0)
    assert rows.loc["from restricting", "error_pp"] == pytest.approx(-75.0)
    assert summarize(frame).mae("trade", "holdout") == pytest.approx(67.5)


def test_a_case_without_observations_says_so(toy_store: Store, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no observed_years"):
        backtest_one(toy_store, _toy_scenario(), observations=_empty_table(tmp_path))


# -- periods, directions, the MAE rows -----------------------------------------------------------


def test_periods() -> None:
    assert parse_period("2024") == Period(dt.date(2024, 1, 1), dt.date(2024, 12, 1))
    assert parse_period("2024-12").months == 1
    p = parse_period("2024-06..2025-01")
    assert p.months == 8 and str(p) == "2024-06..2025-01"
    assert str(parse_period("2024")) == "2024" and str(parse_period("2024-03")) == "2024-03"
    assert list(parse_period("2024-11..2025-02").offsets(dt.date(2024, 12, 1))) == [-1, 0, 1, 2]
    for bad in ("2024-13", "24", "2025..2024", "2024..2025..2026"):
        with pytest.raises(ValueError):
            parse_period(bad)


def test_direction_rule() -> None:
    predicted = np.array([0.3, -5.0, 5.0, 0.0, -40.0])
    observed = np.array([0.2, -1.0, -1.0, 30.0, -0.4])
    assert list(direction_ok(predicted, observed)) == [True, True, False, False, False]


def _row(**values: object) -> dict[str, object]:
    base: dict[str, object] = {
        "scenario": "a", "set": "holdout", "stage": "ore", "kind": "trade", "importers": "x",
        "baseline_period": "2022", "period": "2024", "status": "ok",
        "predicted_change_pct": 0.0, "observed_change_pct": 0.0,
    }  # fmt: skip
    base.update(values)
    base["error_pp"] = float(base["predicted_change_pct"]) - float(base["observed_change_pct"])  # type: ignore[arg-type]
    return base


def test_mae_counts_totals_only_without_a_split() -> None:
    frame = finish(
        [
            pd.DataFrame(
                [
                    _row(flow="from restricting", predicted_change_pct=-50,
                         observed_change_pct=-30),
                    _row(flow="from others", predicted_change_pct=10, observed_change_pct=-30),
                    _row(flow="total", predicted_change_pct=-20, observed_change_pct=-30),
                    _row(scenario="b", set="calibration", flow="total",
                         predicted_change_pct=-20, observed_change_pct=-10),
                    _row(kind="price", flow="price", predicted_change_pct=100,
                         observed_change_pct=40),
                    _row(scenario="c", set="calibration", flow="total", data_note="bad",
                         predicted_change_pct=0, observed_change_pct=-50),
                ]
            )
        ]
    )  # fmt: skip
    assert list(frame["in_mae"]) == [True, True, False, True, False, True]
    s = summarize(frame)
    assert s.mae("trade", "all") == pytest.approx((20 + 40 + 10 + 50) / 4)
    assert s.mae("trade", "holdout") == pytest.approx(30.0)
    assert s.mae("trade", "calibration") == pytest.approx(30.0)
    assert s.mae("price", "all") == pytest.approx(60.0)
    # without the row a known data defect touches
    assert s.mae(TRADE_CLEAN, "all") == pytest.approx(70 / 3)
    # the direct effect (-50 vs -30) and the response (+10 vs -30) apart; totals in neither
    assert s.mae("trade from restricting", "all") == pytest.approx(20.0)
    assert s.mae("trade from others", "holdout") == pytest.approx(40.0)
    assert np.isnan(s.mae("trade from others", "calibration"))
    assert (
        "MAE of the response (from others): all 40.0 pp (1 row, 1 case); "
        "holdout 40.0 pp (1 row, 1 case)"
    ) in s.lines()
    assert s.mae(TRADE_CLEAN, "calibration") == pytest.approx(10.0)
    # |observed| > 20 % and the wrong sign: "others", and the defective total (flagged)
    assert list(s.wrong_direction["flow"]) == ["from others", "total"]
    assert "observed -50.0 % (known data defect)" in "\n".join(s.lines())
    rows = summary_frame(s)
    assert list(rows.columns) == list(FRAME_COLUMNS)
    mae = rows[(rows["kind"] == "trade") & (rows["set"] == "all")].iloc[0]
    assert mae["error_pp"] == pytest.approx(30.0) and mae["n_rows"] == 4


def test_conditioned_on_the_observed_total_by_hand() -> None:
    # base 100 t from the restricting exporter and 100 t from others; the model says 50 t
    # and 110 t (160 t), the importers bought 40 t and 180 t (220 t): given the observed
    # total the model's split is 50 × 220/160 = 68.75 t and 151.25 t
    frame = finish(
        [
            pd.DataFrame(
                [
                    _row(flow="from restricting", baseline=100.0, predicted_change_pct=-50,
                         observed_change_pct=-60),
                    _row(flow="from others", baseline=100.0, predicted_change_pct=10,
                         observed_change_pct=80),
                    _row(flow="total", baseline=200.0, predicted_change_pct=-20,
                         observed_change_pct=10),
                    _row(scenario="b", set="calibration", flow="total", baseline=10.0,
                         predicted_change_pct=-20, observed_change_pct=-10),
                ]
            )
        ]
    )  # fmt: skip
    got = frame.set_index(["scenario", "flow"])
    assert got.loc[("a", "from restricting"), "conditioned_change_pct"] == pytest.approx(-31.25)
    assert got.loc[("a", "from others"), "conditioned_change_pct"] == pytest.approx(51.25)
    assert got.loc[("a", "from restricting"), "conditioned_error_pp"] == pytest.approx(28.75)
    assert got.loc[("a", "from others"), "conditioned_error_pp"] == pytest.approx(-28.75)
    # no pair, no diagnostic
    assert np.isnan(got.loc[("a", "total"), "conditioned_change_pct"])
    assert np.isnan(got.loc[("b", "total"), "conditioned_error_pp"])
    s = summarize(frame)
    assert s.mae("trade conditioned on the observed total, without known data defects",
                 "holdout") == pytest.approx(28.75)  # fmt: skip
    # the plain MAE is untouched: |-50 - -60| and |10 - 80|, and b's total
    assert s.mae("trade", "holdout") == pytest.approx(40.0)


# -- the observation table -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        ("x,,trade,from china,USA,kg,2022,1,2024,1,s,p,d,f,m", "flow", "a trade row needs flow"),
        ("x,,stock,,USA,kg,2022,1,2024,1,s,p,d,f,m", "kind", "expected trade or price"),
        ("x,,trade,total,Atlantis,kg,2022,1,2024,1,s,p,d,f,m", "importers", "unknown"),
        ("x,,trade,total,USA,kg,2022-13,1,2024,1,s,p,d,f,m", "baseline_period", "expected a"),
        ("x,,trade,total,USA,kg,2022,0,2024,1,s,p,d,f,m", "baseline", "a number above 0"),
        ("x,,trade,total,USA,kg,2022,1,2024,lots,s,p,d,f,m", "observed", "expected a number"),
        ("x,,price,,,USD/t,2022,1,2024,1,s,p,d,f,", "method", "every observation names"),
        ("x,mine,price,,,USD/t,2022,1,2024,1,s,p,d,f,m", "stage", "expected ore, refined"),
    ],
)
def test_observation_table_errors_name_row_and_column(
    tmp_path: Path, line: str, column: str, message: str
) -> None:
    csv = tmp_path / "obs.csv"
    csv.write_text(HEADER + "x,,price,,,USD/t,2022,1,2024,2,s,p,d,f,m\n" + line + "\n")
    with pytest.raises(InputError) as exc:
        load_observations(csv)
    text = str(exc.value)
    assert f"{csv}, row 3, column '{column}'" in text and message in text


def test_observation_table_needs_its_columns(tmp_path: Path) -> None:
    csv = tmp_path / "obs.csv"
    csv.write_text("scenario,kind\nx,trade\n")
    with pytest.raises(InputError, match="missing columns"):
        load_observations(csv)


def test_packaged_tables_name_real_cases_and_sources() -> None:
    table = load_observations()
    found = named_scenarios()
    assert set(table["scenario"]) <= {k for k, v in found.items() if v.backtest is not None}
    assert (table["publisher"] != "").all() and (table["method"] != "").all()
    assert table["file"].str.contains("sha256").all()
    defects = known_defects()
    for rec in defects.to_dict("records"):  # each names a real case, one of its years, flows
        spec = found[rec["scenario"]].backtest
        packaged = set(table.loc[table["scenario"] == rec["scenario"], "period"].astype(str))
        assert spec is not None
        assert int(rec["period"]) in spec.observed_years or rec["period"] in packaged
        assert set(rec["flows"].split(";")) <= {"from restricting", "from others", "total",
                                               "price"}  # fmt: skip
    production = packaged_production()
    # the pre-2018 baselines of the back-test (the default store's production starts in 2018)
    for name in ("china-rare-earths-quota-2010", "indonesia-nickel-ore-2014",
                 "indonesia-bauxite-2014"):  # fmt: skip
        sc = found[name]
        rows = production[
            (production["commodity"] == sc.commodity) & (production["year"] == sc.baseline_year)
        ]
        assert rows["production_t"].sum() > 0, name
    # every case declares its set; at least five real cases, both sets used
    cases = {k: v.backtest for k, v in found.items() if v.backtest is not None}
    assert len(cases) >= 5
    assert {b.set for b in cases.values() if b is not None} == {"calibration", "holdout"}


def test_old_names_still_import() -> None:
    assert scenario_module.backtest is backtest
    assert scenario_module.backtest_markdown is backtest_markdown
    with pytest.raises(AttributeError):
        _ = scenario_module.no_such_name


# -- the real cases --------------------------------------------------------------------------


@pytest.mark.default_data
def test_backtest_runs_on_the_default_data(default_store: Store) -> None:
    frame = backtest(default_store)
    ok = frame[frame["status"] == "ok"]
    assert {"china-graphite-2023", "indonesia-nickel-ore-2020", "china-rare-earths-quota-2010",
            "indonesia-nickel-ore-2014", "indonesia-bauxite-2014", "indonesia-bauxite-2023",
            "drc-cobalt-quota-2025", "australia-manganese-2024", "new-caledonia-nickel-2024",
            "panama-copper-2023", "myanmar-tin-2023"} <= set(ok["scenario"])  # fmt: skip
    # a production outage: "from restricting" is the country in outage, every buyer compared
    mn = ok[(ok["scenario"] == "australia-manganese-2024") & (ok["kind"] == "trade")]
    assert set(mn["restricting"]) == {"AUS"} and set(mn["flow"]) == {
        "from restricting", "from others", "total"}  # fmt: skip
    assert mn.set_index("flow").loc["from restricting", "predicted_change_pct"] < -40
    # the screen notes the tin case's event flow that is barely in the store
    tin = ok[(ok["scenario"] == "myanmar-tin-2023") & (ok["flow"] == "from restricting")]
    assert tin["data_note"].str.contains("screen: the store holds").all()
    nickel = ok[(ok["scenario"] == "indonesia-nickel-ore-2020") & (ok["kind"] == "trade")]
    assert sorted(set(nickel["period"])) == ["2020", "2021", "2022", "2023", "2024"]
    # a full ban from 1 January 2020: no more imports from Indonesia once the cargoes
    # loaded in December (a month in transit) have landed
    restr = nickel[nickel["flow"] == "from restricting"].set_index("period")
    assert restr.loc["2021", "predicted_change_pct"] == pytest.approx(-100.0)
    assert -100.0 < restr.loc["2020", "predicted_change_pct"] < -100.0 * 11 / 12
    numbers = ["baseline", "predicted", "observed", "error_pp", "predicted_change_pct"]
    assert ok[numbers].notna().all().all()
    # a pre-2018 baseline takes the packaged World Mining Data production
    ree = ok[ok["scenario"] == "china-rare-earths-quota-2010"]
    assert set(ree["period"]) == {"2010", "2011", "2012"}
    # a known defect of the observed data is noted on the rows it touches
    bauxite = ok[(ok["scenario"] == "indonesia-bauxite-2023") & (ok["period"] == "2023")]
    noted = dict(zip(bauxite["flow"], bauxite["data_note"] != "", strict=True))
    assert noted == {"from restricting": False, "from others": True, "total": True, "price": True}
    assert "Guinea" in bauxite["data_note"].iloc[1]
    # the DR Congo case: 2025 World totals of the reporting importers (packaged table)
    cobalt = ok[ok["scenario"] == "drc-cobalt-quota-2025"]
    assert list(cobalt["flow"]) == ["total"] and bool(cobalt["in_mae"].iloc[0])
    # Ga/Ge and antimony need the HS17 files: their rows say so instead of returning zeros
    for name in ("china-gallium-germanium-2023", "china-antimony-2024"):
        rows = frame[frame["scenario"] == name]
        assert len(rows) == 1 and "data missing" in rows["status"].iloc[0]
    s = summarize(frame)
    assert s.table.set_index(["kind", "set"]).loc[("trade", "all"), "rows"] >= 20
    table = backtest_markdown(frame)
    assert table.startswith("| case | set |") and "MAE of trade rows" in table
    assert "not compared: china-antimony-2024" in table


def _hs17_store(path: Path) -> Store:
    """The default data's shape is not needed: BACI HS17 2024 (atlas) and 2022 values."""
    parquet = shared_data(*ATLAS, "baci_hs17_2024_critical30.parquet")
    values = shared_data(*ATLAS, "baci_hs17_2022_critical30_values.csv")
    st = Store(path)
    baci.parse(parquet, hs_revision="HS17", source_id="baci-hs17-2024").write(st)
    baci.parse_atlas_values(values, year=2022, source_id="baci-hs17-2022-values").write(st)
    return st


@pytest.mark.integration
def test_backtest_gallium_germanium_and_antimony_on_hs17(tmp_path: Path) -> None:
    with _hs17_store(tmp_path / "hs17.duckdb") as st:
        gage = backtest_one(st, get_scenario("china-gallium-germanium-2023"))
        sb = backtest_one(st, get_scenario("china-antimony-2024"))
    assert (gage["status"] == "ok").all() and (sb["status"] == "ok").all()
    trade = gage[gage["kind"] == "trade"]
    assert set(trade["basis"]) == {"kg"} and set(trade["period"]) == {"2024"}
    restricting = trade[trade["flow"] == "from restricting"].iloc[0]
    assert restricting["predicted_change_pct"] < 0
    assert set(gage.loc[gage["kind"] == "price", "basis"]) == {"USD/kg"}
    # antimony: the 2024 year and December 2024, the month after the US ban
    dec = sb[(sb["period"] == "2024-12") & (sb["flow"] == "from restricting")].iloc[0]
    year = sb[(sb["period"] == "2024") & (sb["flow"] == "from restricting")].iloc[0]
    assert dec["predicted_change_pct"] < year["predicted_change_pct"] < 0
    assert "811292" in backtest_markdown(gage)


@pytest.mark.integration
def test_backtest_on_the_packaged_extract_equals_the_atlas_files(
    gage_store: Store, tmp_path: Path
) -> None:
    """`minsec data fetch` alone back-tests Ga/Ge, with the numbers of the public files."""
    scenario = get_scenario("china-gallium-germanium-2023")
    packaged = backtest_one(gage_store, scenario)
    with _hs17_store(tmp_path / "hs17.duckdb") as st:
        atlas = backtest_one(st, scenario)
    # three trade rows (from China, from others, total) and two price rows (Ga, Ge)
    assert (packaged["status"] == "ok").all() and len(packaged) == len(atlas) == 5
    assert (packaged["kind"] == "trade").sum() == 3
    cols = ["kind", "flow", "baseline", "predicted", "observed", "error_pp"]
    pd.testing.assert_frame_equal(
        packaged[cols].reset_index(drop=True), atlas[cols].reset_index(drop=True), rtol=1e-9
    )
