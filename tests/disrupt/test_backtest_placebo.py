"""Placebo back-test: event-free year pairs and the noise floor, by hand on a toy store, and
their consistency with the back-test on the default data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from minsec.disrupt import backtest_placebo as pl
from minsec.disrupt.backtest import (
    FROM_OTHERS,
    FROM_RESTRICTING,
    PRICE,
    case_rows,
    finish,
    load_observations,
    prepare,
    prepare_case,
)
from minsec.disrupt.scenario import Scenario, parse_scenario
from minsec.store import Store
from tests.disrupt.toy_store import graphite_store

HEADER = (
    "scenario,stage,kind,flow,importers,basis,baseline_period,baseline,period,observed,"
    "series,publisher,dataset,file,method\n"
)

#: Tonnes per year: China to the US and Japan, Australia to the US and Japan; and the price
#: every flow's value is at (kUSD per t).
_YEARS = {
    2016: ((20, 20, 5, 5), 1.0),
    2017: ((24, 20, 6, 6), 1.0),
    2018: ((25, 25, 7, 8), 1.2),
    2019: ((25, 20, 9, 9), 1.0),
    2020: ((30, 30, 10, 10), 1.0),
    2021: ((25, 25, 10, 10), 1.0),
    2022: ((30, 20, 10, 10), 1.0),
    2024: ((15, 5, 12, 13), 2.0),
}
_ROUTES = (("CHN", "USA"), ("CHN", "JPN"), ("AUS", "USA"), ("AUS", "JPN"))


@pytest.fixture
def toy_store(tmp_path: Path) -> Store:
    """Graphite, 2016–2022 and 2024 (see ``_YEARS``); production 2022: CHN 100 t, AUS 50 t."""
    trade = pd.DataFrame(
        [
            {"hs6": "250410", "hs_revision": "HS92", "year": year, "exporter": e,
             "importer": i, "quantity_t": q, "value_kusd": q * price}
            for year, (tonnes, price) in _YEARS.items()
            for (e, i), q in zip(_ROUTES, tonnes, strict=True)
        ]
    )  # fmt: skip
    return graphite_store(tmp_path / "toy.duckdb", trade, {"CHN": 100.0, "AUS": 50.0}, 2022)


def _scenario(name: str, events: list[dict[str, object]], **backtest: object) -> Scenario:
    return parse_scenario(
        {
            "name": name,
            "commodity": "graphite",
            "baseline_year": 2022 if name == "toy-licensing" else 2019,
            "stages": ["ore"],
            "events": events,
            "backtest": {"set": "calibration", **backtest},
        }
    )


_BAN = [{"type": "export_restriction", "exporter": "China", "fraction": 0.5,
         "start": "2023-01-01"}]  # fmt: skip
#: Another graphite case: an outage in 2020, observed in 2020 (its window: 2020).
_OTHER = _scenario(
    "toy-outage-2020",
    [{"type": "production_outage", "country": "Australia", "fraction": 0.5,
      "start": "2020-03-01"}],
    observed_years=[2020],
)  # fmt: skip


def _run(
    store: Store, tmp_path: Path, others: list[Scenario], rows: str = ""
) -> tuple[pd.DataFrame, pl.Placebo]:
    csv = tmp_path / "obs.csv"
    csv.write_text(HEADER + rows)
    sc = _scenario("toy-licensing", _BAN, observed_years=[2024])
    cases, _ = prepare_case(store, sc, observations=load_observations(csv))
    frame = finish([case_rows(c) for c in cases])
    found = pl.placebo(store, cases, other_cases=others)
    return pl.with_floor(frame, found), found


def test_pairs_and_floor_by_hand(toy_store: Store, tmp_path: Path) -> None:
    frame, found = _run(toy_store, tmp_path, [_OTHER])
    # base 2022, observed 2024: pairs two years apart ending by 2022, avoiding 2020 (the other
    # case) and 2023–2024 (this one): 2016→2018 and 2017→2019 (no trade before 2016)
    p = found.pairs.set_index(["flow", "year_from"])
    assert sorted(found.pairs["year_from"].unique()) == [2016, 2017]
    assert (found.pairs["lag_years"] == 2).all()
    # targets (USA, JPN, AUS) from China: 40 → 50 t and 44 → 45 t
    assert p.loc[(FROM_RESTRICTING, 2016), "baseline"] == 40
    assert p.loc[(FROM_RESTRICTING, 2016), "change_pct"] == pytest.approx(25.0)
    assert p.loc[(FROM_RESTRICTING, 2017), "change_pct"] == pytest.approx(100 / 44)
    # from Australia: 10 → 15 t and 12 → 18 t
    assert p.loc[(FROM_OTHERS, 2016), "change_pct"] == pytest.approx(50.0)
    assert p.loc[(FROM_OTHERS, 2017), "change_pct"] == pytest.approx(50.0)
    # unit value: 1,000 → 1,200 USD/t and 1,000 → 1,000
    assert p.loc[(PRICE, 2016), "change_pct"] == pytest.approx(20.0)
    assert p.loc[(PRICE, 2017), "change_pct"] == pytest.approx(0.0)
    rows = frame.set_index("flow")
    # median |change| from China (25 + 2.27) / 2 %, on the 40 % of the flow the ban left
    median = (25.0 + 100 / 44) / 2
    assert rows.loc[FROM_RESTRICTING, "placebo_median_abs_change_pct"] == pytest.approx(median)
    assert rows.loc[FROM_RESTRICTING, "observed_change_pct"] == pytest.approx(-60.0)
    assert rows.loc[FROM_RESTRICTING, "noise_floor_pp"] == pytest.approx(median * 0.4)
    assert rows.loc[FROM_OTHERS, "noise_floor_pp"] == pytest.approx(50.0)
    assert rows.loc[PRICE, "noise_floor_pp"] == pytest.approx(10.0)
    assert rows.loc[PRICE, "placebo_mean_abs_change_pct"] == pytest.approx(10.0)
    assert (rows["placebo_pairs"].dropna() == 2).all()
    # the total, 50 → 65 t and 56 → 63 t, has its placebo too, but with a split it is not
    # in the MAE, so not in the floor table below
    assert rows.loc["total", "noise_floor_pp"] == pytest.approx((30.0 + 12.5) / 2)
    # the floor against the model: trade rows of the MAE, then prices
    table = pl.floor_table(frame).set_index(["kind", "set"])
    assert table.loc[("trade", "all"), "rows"] == 2
    assert table.loc[("trade", "all"), "noise_floor_pp"] == pytest.approx((median * 0.4 + 50) / 2)
    err = frame[frame["in_mae"].astype(bool)]["error_pp"].abs().mean()
    assert table.loc[("trade", "all"), "model_mae_pp"] == pytest.approx(err)
    assert table.loc[("price", "calibration"), "noise_floor_pp"] == pytest.approx(10.0)
    text = "\n".join(pl.placebo_lines(frame, found))
    assert "from others, 2 y apart: median 50 %, mean 50 % (2 pairs)" in text


def test_without_the_other_case_its_years_count(toy_store: Store, tmp_path: Path) -> None:
    _, found = _run(toy_store, tmp_path, [])
    direct = found.pairs[found.pairs["flow"] == FROM_RESTRICTING].set_index("year_from")
    assert list(direct.index) == [2016, 2017, 2018, 2019, 2020]
    # 50 → 60, 45 → 50, 60 → 50 t: |change| 25, 2.3, 20, 11.1, 16.7 %: median 16.7 %
    assert direct.loc[2020, "change_pct"] == pytest.approx(-100 / 6)
    swing = pl.swing_table(found).set_index(["kind", "flow", "lag_years"])
    assert swing.loc[("trade", FROM_RESTRICTING, 2), "median_abs_pct"] == pytest.approx(100 / 6)
    assert swing.loc[("trade", FROM_RESTRICTING, 2), "pairs"] == 5


def test_rows_without_a_placebo_say_why(toy_store: Store, tmp_path: Path) -> None:
    rows = (
        "toy-licensing,ore,trade,from restricting,USA,kg,2022,30000,2024-06,1000,s,p,d,f,m\n"
        "toy-licensing,,price,,,USD/t,2022,100,2024,150,s,p,d,f,m\n"
    )
    frame, found = _run(toy_store, tmp_path, [_OTHER], rows)
    reasons = dict(zip(found.skipped["period"], found.skipped["reason"], strict=True))
    assert reasons["2024-06"].startswith("not whole calendar years")
    assert found.skipped.set_index("kind").loc[PRICE, "reason"].startswith("a published price")
    assert frame.loc[frame["period"] == "2024-06", "noise_floor_pp"].isna().all()
    text = "\n".join(pl.skipped_lines(found))
    assert "rows without a placebo: 2" in text and "(toy-licensing)" in text


def test_windows_and_overlaps(toy_store: Store) -> None:
    sc = _scenario("toy-licensing", _BAN, observed_years=[2024, 2025])
    assert pl.event_windows([sc, _OTHER]) == {"graphite": [(2023, 2025), (2020, 2020)]}
    assert pl.overlaps(2018, 2020, [(2020, 2020)])
    assert pl.overlaps(2021, 2022, [(2019, 2021)])
    assert not pl.overlaps(2017, 2019, [(2020, 2020), (2010, 2016)])
    # what the event left of the flow carries the swing; elsewhere the whole flow
    assert pl.noise_floor_pp(20.0, FROM_RESTRICTING, -100.0) == 0.0
    assert pl.noise_floor_pp(20.0, FROM_RESTRICTING, -75.0) == pytest.approx(5.0)
    assert pl.noise_floor_pp(20.0, FROM_OTHERS, -75.0) == 20.0
    with pytest.raises(ValueError, match="at least 1"):
        pl.placebo(toy_store, [], years=0)


@pytest.mark.default_data
def test_placebo_agrees_with_the_backtest_on_the_default_data(default_store: Store) -> None:
    cases, status = prepare(default_store, ["indonesia-nickel-ore-2020", "china-graphite-2023"])
    found = pl.placebo(default_store, cases)
    frame = pl.with_floor(finish([*(case_rows(c) for c in cases), status]), found)
    pairs = found.pairs
    assert not pairs.empty
    windows = pl.event_windows(c.scenario for c in cases)
    nickel = windows["nickel"]
    assert not any(
        pl.overlaps(a, b, nickel)
        for a, b in pairs.loc[pairs["scenario"] == "indonesia-nickel-ore-2020",
                              ["year_from", "year_to"]].itertuples(index=False)
    )  # fmt: skip
    # a pair ending in the base year has, as its later level, the back-test row's baseline
    rows = frame[frame["status"] == "ok"]
    ends = 0
    for rec in rows[rows["placebo_pairs"].notna()].to_dict("records"):
        mine = pairs[(pairs["scenario"] == rec["scenario"]) & (pairs["kind"] == rec["kind"])
                     & (pairs["flow"] == rec["flow"])
                     & (pairs["importers"] == rec["importers"])]  # fmt: skip
        lag = int(rec["period"]) - int(rec["baseline_period"])
        mine = mine[mine["lag_years"] == lag]
        assert len(mine) == rec["placebo_pairs"]
        swing = mine["change_pct"].abs()
        assert rec["placebo_median_abs_change_pct"] == pytest.approx(swing.median())
        end = mine[mine["year_to"] == int(rec["baseline_period"])]
        if len(end):
            ends += 1
            assert end["observed"].iloc[0] == pytest.approx(rec["baseline"], rel=1e-9)
    assert ends >= 3  # nickel 2018 → 2019: from Indonesia, from others, the unit value
    # the pooled floor: the median swing of both cases' pairs of the same flow and lag
    both = pairs[(pairs["kind"] == "trade") & (pairs["flow"] == FROM_OTHERS)
                 & (pairs["lag_years"] == 2)]  # fmt: skip
    assert both["scenario"].nunique() == 2
    typical = both["change_pct"].abs().median()
    graphite = rows[(rows["scenario"] == "china-graphite-2023") & (rows["flow"] == FROM_OTHERS)]
    assert graphite["noise_floor_pooled_pp"].iloc[0] == pytest.approx(typical)
