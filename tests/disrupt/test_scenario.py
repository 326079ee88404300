"""Scenario spec (validation, named scenarios), building shocks, simulate on the default data."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from minsec.disrupt import baseline as bl
from minsec.disrupt.scenario import (
    Chokepoint,
    ExportRestriction,
    ProductionOutage,
    Scenario,
    StockpileRelease,
    build_responses,
    build_shocks,
    get_scenario,
    load_scenario,
    month_index,
    named_scenarios,
    parse_scenario,
    simulate,
)
from minsec.errors import DataMissingError, InputError, UnknownNameError
from minsec.store import Store
from tests.disrupt.test_engine import make_baseline

BASE = {
    "name": "test-case",
    "commodity": "graphite",
    "baseline_year": 2022,
    "events": [
        {"type": "export_restriction", "exporter": "China", "fraction": 0.5, "start": "2023-12-01"}
    ],
}


def _with(**changes: object) -> dict[str, object]:
    data = json.loads(json.dumps(BASE))
    data.update(changes)
    return data


def _event(**changes: object) -> dict[str, object]:
    ev = dict(BASE["events"][0])  # type: ignore[index]
    ev.update(changes)
    return _with(events=[ev])


# -- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_event(fraction=1.5), "events[0].fraction: must be between 0 and 1"),
        (_event(fraction="a lot"), "events[0].fraction: Input should be a valid number"),
        (_event(exporter="Chna"), "events[0].exporter: unknown country 'Chna'"),
        (_event(targets=["like-mindd"]), "events[0].targets"),
        (_event(start="Dec 2023"), "events[0].start: expected a date like 2023-12-01"),
        (_event(fractoin=0.5), "events[0].fractoin: unknown field"),
        (_event(type="embargo"), "events[0]: unknown type 'embargo'"),
        (_event(duration_months=3, end="2024-03-01"), "give either duration_months or end"),
        (_with(events=[{"exporter": "CHN", "start": "2023-12-01"}]), "events[0]: needs `type:`"),
        (_with(events=[]), "events: List should have at least 1 item"),
        (_with(commodity="unobtainium"), "commodity: unknown commodity 'unobtainium'"),
        (_with(baseline_year=1900), "baseline_year: Input should be greater than or equal to 1995"),
        (_with(name="Bad Name"), "name: String should match pattern"),
        (
            _with(parameters={"demand_elasticity": 0.2}),
            "parameters.demand_elasticity: must be negative",
        ),
        (_with(parameters={"leakage": 2}), "parameters.leakage: must be between 0 and 1"),
        (
            _with(responses=[{"type": "stockpile_release", "holder": "JPN"}]),
            "responses[0]: give exactly one of tonnes or days_of_cover",
        ),
        (
            _with(responses=[{"type": "demand_restraint", "countries": "JPN", "fraction": -1}]),
            "responses[0].fraction: must be between 0 and 1",
        ),
        (_with(commodity=None, events=None), "commodity"),
    ],
)
def test_validation_errors_name_the_field(data: dict[str, object], message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_scenario(data, path="case.yaml")
    text = str(info.value)
    assert message in text
    assert text.startswith("case.yaml: ")


def test_several_errors_are_all_reported() -> None:
    data = _with(
        events=[
            {"type": "export_restriction", "exporter": "Chna", "fraction": 2, "start": "2023-12-01"}
        ]
    )
    with pytest.raises(InputError) as info:
        parse_scenario(data)
    assert "events[0].exporter" in str(info.value) and "events[0].fraction" in str(info.value)


def test_python_objects_and_name_resolution() -> None:
    sc = Scenario(
        name="py-case",
        commodity="Graphite",
        baseline_year=2022,
        events=[
            ExportRestriction(
                exporter="China", targets="like-minded", fraction=0.4, start="2023-12"
            ),  # type: ignore[arg-type]
            ProductionOutage(country="Mozambique", fraction=0.2, start=dt.date(2024, 1, 1)),
        ],
        responses=[StockpileRelease(holder="Japan", days_of_cover=60)],
    )
    ev = sc.events[0]
    assert isinstance(ev, ExportRestriction)
    assert (
        ev.exporter == "CHN" and ev.targets == ["like-minded"] and ev.start == dt.date(2023, 12, 1)
    )
    assert sc.first_start() == dt.date(2023, 12, 1)
    assert parse_scenario(sc.model_dump(mode="json")) == sc


def test_load_yaml_and_json(tmp_path: Path) -> None:
    y = tmp_path / "s.yaml"
    y.write_text(
        "name: file-case\ncommodity: graphite\nbaseline_year: 2022\nevents:\n"
        "  - type: export_restriction\n    exporter: CHN\n    targets: [JPN, USA]\n"
        "    fraction: 0.5\n    start: 2023-12-01\n"
    )
    sc = load_scenario(y)
    assert sc.events[0].targets == ["JPN", "USA"]  # type: ignore[union-attr]
    j = tmp_path / "s.json"
    j.write_text(json.dumps(sc.model_dump(mode="json")))
    assert load_scenario(j) == sc
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nevents: [\n")
    with pytest.raises(InputError, match="not valid YAML"):
        load_scenario(bad)
    with pytest.raises(InputError, match="not found"):
        load_scenario(tmp_path / "missing.yaml")
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("just text\n")
    with pytest.raises(InputError, match="a scenario is a mapping"):
        load_scenario(scalar)


# -- named scenarios -----------------------------------------------------------------------------


def test_named_scenarios_load_with_real_dates_and_sources() -> None:
    found = named_scenarios()
    starts = {
        "china-gallium-germanium-2023": [dt.date(2023, 8, 1)],
        "china-gallium-germanium-us-ban-2024": [dt.date(2023, 8, 1), dt.date(2024, 12, 3)],
        "china-graphite-2023": [dt.date(2023, 12, 1)],
        "china-rare-earths-2025": [dt.date(2025, 4, 4)],
        "drc-cobalt-quota-2025": [dt.date(2025, 2, 22), dt.date(2025, 10, 16)],
        "indonesia-nickel-ore-2020": [dt.date(2020, 1, 1)],
    }
    for name, dates in starts.items():
        assert [e.start for e in found[name].events] == dates, name
    for name, sc in found.items():
        assert sc.sources, f"{name} cites no source"
        assert sc.title
    with pytest.raises(UnknownNameError, match="did you mean"):
        get_scenario("china-graphite")


def test_month_index_is_fractional_by_day() -> None:
    start = dt.date(2024, 12, 1)
    assert month_index(dt.date(2024, 12, 3), start) == pytest.approx(2 / 31)
    assert month_index(dt.date(2025, 2, 1), start) == 2
    assert month_index(dt.date(2023, 8, 1), start) == -16


# -- shocks and responses on a small network ------------------------------------------------------


def _small() -> tuple[bl.Baseline, list[str]]:
    trade = np.zeros((4, 4))
    trade[0, 1] = 120  # CHN -> JPN
    trade[0, 2] = 240  # CHN -> USA
    trade[3, 1] = 60  # MOZ -> JPN
    b = make_baseline(trade, np.array([600.0, 0, 0, 200.0]))
    names = ["CHN", "JPN", "USA", "MOZ"]
    return bl.Baseline(**{**b.__dict__, "countries": tuple(names)}), names


def test_two_events_of_one_exporter_become_layers() -> None:
    b, _ = _small()
    sc = Scenario(
        name="two",
        commodity="graphite",
        baseline_year=2022,
        start=dt.date(2024, 1, 1),  # type: ignore[arg-type]
        events=[
            ExportRestriction(exporter="CHN", fraction=0.5, start=dt.date(2024, 1, 1)),
            ExportRestriction(
                exporter="CHN", targets=["USA"], fraction=1.0, start=dt.date(2024, 3, 1)
            ),  # type: ignore[arg-type]
            Chokepoint(
                links=[{"exporter": "MOZ", "importer": "JPN"}],
                fraction=0.5,
                start=dt.date(2024, 1, 1),
            ),  # type: ignore[list-item]
        ],
    )
    shocks, notes = build_shocks(None, sc, b, dt.date(2024, 1, 1))
    assert len(shocks.layers) == 1 and not notes
    assert shocks.export_fraction[0, 0] == 0.5 and shocks.targets[0, [1, 2, 3]].all()
    assert shocks.export_fraction[0, 3] == 0.5 and shocks.targets[3].tolist() == [
        False,
        True,
        False,
        False,
    ]
    layer = shocks.layers[0]
    assert layer.start_month[0, 0] == 2 and layer.targets[0].tolist() == [False, False, True, False]


def test_responses_days_of_cover_and_sharing() -> None:
    b, _ = _small()
    sc = parse_scenario(
        _with(
            responses=[
                {
                    "type": "stockpile_release",
                    "holder": "JPN",
                    "days_of_cover": 73,
                    "max_rate_t_per_month": 2,
                },
                {"type": "demand_restraint", "countries": ["USA"], "fraction": 0.1},
                {"type": "allied_sharing", "bloc": "Quad"},
            ]
        )
    )
    resp, _ = build_responses(sc, b, ["ore"])
    assert resp.stockpile_t[1] == pytest.approx(b.consumption_t[1] * 73 / 365)
    assert resp.release_rate_t_per_month[1] == 2
    assert resp.demand_restraint.tolist() == [0, 0, 0.1, 0]
    assert "JPN" in resp.sharing_bloc and "USA" in resp.sharing_bloc


# -- simulate on the default data ---------------------------------------------------------------


@pytest.mark.default_data
def test_graphite_to_like_minded_japan_short_in_first_month(default_store: Store) -> None:
    sc = get_scenario("china-graphite-2023")
    ev = sc.events[0]
    like_minded = sc.model_copy(
        update={"events": [ev.model_copy(update={"targets": ["like-minded"], "fraction": 1.0})]}
    )
    res = simulate(default_store, like_minded, baseline_year=2022)
    m = res.monthly
    jpn_months = m[m["party"] == "JPN"].sort_values("month")
    assert jpn_months.iloc[0]["date"] == "2023-12"
    # Japan's inventories soften the first months; once they drain it is short
    worst = jpn_months.loc[jpn_months["shortfall_t"].idxmax()]
    jpn = worst
    assert jpn["shortfall_t"] > 0 and 0 < jpn["shortfall_pct"] < 100
    assert jpn["shortfall_t"] > jpn_months.iloc[0]["shortfall_t"]
    assert jpn["value_at_risk_usd"] > 0 and jpn["price_change_pct"] > 0
    # China itself (the restricting exporter) loses only what comes back through re-exports
    assert m[m["party"] == "CHN"]["shortfall_pct"].max() < 1
    lm = res.summary[res.summary["party"] == "like-minded"].iloc[0]
    assert lm["party_type"] == "bloc" and lm["shortfall_t"] > jpn["shortfall_t"]
    assert (m["shortfall_pct"].dropna().between(0, 100)).all()
    assert (res.market["price_index"] >= 1).all()
    assert res.meta()["parameters"]["ore"]["leakage"] == pytest.approx(0.3)


@pytest.mark.default_data
def test_untargeted_licensing_and_responses(default_store: Store) -> None:
    plain = simulate(default_store, get_scenario("china-graphite-2023"))
    # a 30 % licensing cut: imports from China fall, and the buyers' inventories and
    # synthetic graphite cover what is missing before the price has to ration it
    assert plain.summary["imports_change_t"].min() < 0
    assert plain.summary["inventory_draw_t"].max() > 0
    assert plain.summary["substitute_t"].max() > 0
    assert plain.meta()["months_at_price_cap"] == {"ore": 0}
    helped = simulate(default_store, get_scenario("china-graphite-like-minded"))
    jpn = helped.monthly[helped.monthly["party"] == "JPN"]
    assert jpn["stock_release_t"].sum() > 0
    assert set(helped.summary["party"]) >= {"USA", "JPN", "EU27", "like-minded"}


@pytest.mark.default_data
def test_ban_that_targets_nobody_changes_nothing(default_store: Store) -> None:
    sc = parse_scenario(_event(targets=[]))
    res = simulate(default_store, sc)
    assert res.monthly["shortfall_t"].abs().max() == 0
    assert (res.market["price_index"] == 1).all()


@pytest.mark.default_data
def test_two_stages_where_the_data_has_both(default_store: Store) -> None:
    sc = parse_scenario(
        _with(commodity="tungsten", events=[{**BASE["events"][0], "fraction": 0.5}])
    )  # type: ignore[index]
    res = simulate(default_store, sc)
    assert set(res.monthly["stage"]) == {"ore", "refined"}
    assert any("no production data for the refined stage" in n for n in res.notes)


def test_production_implied_by_net_exports_by_hand() -> None:
    # A ships 10 to B and 2 to C; B ships 3 to A and 4 to C; C ships nothing.
    # A: exports 12, imports 3 -> makes at least 9; B: exports 7, imports 10 -> 0; C -> 0
    trade = np.array([[0.0, 10.0, 2.0], [3.0, 0.0, 4.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(bl.implied_production(trade), [9.0, 0.0, 0.0])


@pytest.mark.default_data
def test_outage_of_a_stage_without_production_figures_still_bites(default_store: Store) -> None:
    # World Mining Data has no tungsten metal: China's refined output is implied by its net
    # exports, so an outage there takes supply away (it used to change nothing, with a note)
    ref = bl.build_baseline(default_store, "tungsten", 2022, stage="refined")
    k = ref.index("CHN")
    net = ref.trade_t[k].sum() - ref.trade_t[:, k].sum()
    assert net > 0
    assert ref.production_t[k] == pytest.approx(net)
    assert ref.consumption_t[k] == 0
    np.testing.assert_allclose(
        ref.consumption_t, np.maximum(ref.trade_t.sum(0) - ref.trade_t.sum(1), 0)
    )
    assert any("net exports" in n for n in ref.notes)
    sc = parse_scenario(
        _with(commodity="tungsten", stages=["refined"],
              events=[{"type": "production_outage", "country": "China", "fraction": 0.5,
                       "start": "2023-01-01"}])
    )  # fmt: skip
    res = simulate(default_store, sc)
    assert not any("changes nothing" in n for n in res.notes)
    assert res.monthly["shortfall_t"].sum() > 0
    assert res.summary["imports_change_t"].min() < 0


@pytest.mark.default_data
def test_missing_data_says_what_to_import(default_store: Store) -> None:
    with pytest.raises(DataMissingError) as info:
        simulate(default_store, get_scenario("china-gallium-germanium-2023"))
    text = str(info.value)
    assert "HS17" in text and "811292" in text and "minsec data import baci" in text
    with pytest.raises(DataMissingError, match="stops in 2016"):
        bl.build_baseline(default_store, "germanium", 2022)
    with pytest.raises(DataMissingError, match="1995–2024 but not 1990"):
        bl.build_baseline(default_store, "graphite", 1990)


@pytest.mark.default_data
def test_event_hs_codes_scale_the_fraction(default_store: Store) -> None:
    sc = parse_scenario(_event(hs6=["250410"]))
    res = simulate(default_store, sc)
    note = next(n for n in res.notes if "carry" in n)
    assert "HS 250410 carry" in note


@pytest.mark.default_data
def test_baseline_units_and_notes(default_store: Store) -> None:
    nickel = bl.build_baseline(default_store, "nickel", 2019)
    assert nickel.stage == "ore" and nickel.hs6 == ("260400",)
    assert any("60 t ore per t Ni" in n for n in nickel.notes)
    cobalt = bl.build_baseline(default_store, "cobalt", 2024)
    assert any("contained metal" in n for n in cobalt.notes)
    graphite = bl.build_baseline(default_store, "graphite", 2022)
    assert graphite.price_usd_per_t > 0
    np.testing.assert_allclose(
        graphite.consumption_t,
        np.maximum(graphite.production_t + graphite.trade_t.sum(0) - graphite.trade_t.sum(1), 0),
    )
    assert graphite.spare_capacity[graphite.index("MOZ")] == 0.5


def test_parameters_file_has_documented_defaults() -> None:
    p = bl.commodity_parameters("graphite")
    assert -0.3 <= p.demand_elasticity <= -0.05
    assert p.stages["ore"].hs92 == ("250410", "250490")
    assert bl.commodity_parameters("copper").stages  # from the catalog basket
    text = (Path(bl.__file__).parent / "data" / "parameters.toml").read_text()
    assert text.count("JUDGEMENT") >= 10 and "USGS25" in text


def test_user_parameters_file_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home2"
    home.mkdir()
    (home / "parameters.toml").write_text("[graphite]\ndemand_elasticity = -0.2\n")
    monkeypatch.setenv("MINSEC_HOME", str(home))
    assert bl.commodity_parameters("graphite").demand_elasticity == -0.2


@pytest.mark.default_data
def test_baselines_from_the_store_are_bit_identical_every_time(default_store: Store) -> None:
    # DuckDB aggregates on several threads; the store reads must sum in a fixed order, or
    # the same baseline differs in its last bits from one read to the next
    first = bl.build_baseline(default_store, "graphite", 2024)
    for _ in range(6):
        again = bl.build_baseline(default_store, "graphite", 2024)
        assert again.countries == first.countries
        assert np.array_equal(again.trade_t, first.trade_t)
        assert np.array_equal(again.production_t, first.production_t)
        assert np.array_equal(again.consumption_t, first.consumption_t)
        assert again.price_usd_per_t == first.price_usd_per_t


@pytest.mark.default_data
@pytest.mark.parametrize(
    ("commodity", "stage", "measure"),
    [("graphite", "ore", "quantity"), ("nickel", "ore", "quantity"),
     ("cobalt", "refined", "value")],
)  # fmt: skip
def test_many_years_at_once_equal_one_baseline_a_year(
    default_store: Store, commodity: str, stage: str, measure: bl.Measure
) -> None:
    """yearly_trade (one query per source) gives each year's baseline trade and price."""
    years = range(2005, 2025, 3)
    many = bl.yearly_trade(default_store, commodity, years, stage=stage, measure=measure)
    assert set(many) == set(years)
    for year in years:
        b = bl.build_baseline(default_store, commodity, year, stage=stage, measure=measure)
        got = many[year]
        pos = {c: i for i, c in enumerate(b.countries)}
        trade = np.zeros_like(b.trade_t)
        for e, i, q in zip(got.exporter, got.importer, got.quantity, strict=True):
            trade[pos[e], pos[i]] += q
        np.testing.assert_allclose(trade, b.trade_t, rtol=1e-12, atol=1e-9)
        assert got.price_usd_per_t == pytest.approx(b.price_usd_per_t, rel=1e-12)
    # a year without the basket's trade is left out, not an error
    assert bl.yearly_trade(default_store, "graphite", [1990], stage="ore") == {}
