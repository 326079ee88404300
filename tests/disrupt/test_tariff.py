"""Tariff events: Armington translation by hand, the engine's trade shift, tables, errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from minsec.catalog import tariffs as tf
from minsec.disrupt import baseline as bl
from minsec.disrupt import tariff as tm
from minsec.disrupt import tariff_report as tr
from minsec.disrupt.engine import propagate
from minsec.disrupt.scenario import (
    Scenario,
    build_responses,
    build_shocks,
    engine_parameters,
    get_scenario,
    parse_scenario,
    simulate,
)
from minsec.errors import InputError
from minsec.store import Store
from tests.cli_helpers import run_cli
from tests.disrupt.test_engine import make_baseline

START = dt.date(2026, 1, 1)


def toy(hs6: str = "000000") -> bl.Baseline:
    """CHN (P 900) ships 300 t to the USA and 200 t to Japan; Japan (P 300) ships 100 t
    to the USA. Consumption: CHN 400, JPN 400, USA 400."""
    trade = np.zeros((3, 3))
    trade[0, 2] = 300.0  # CHN -> USA
    trade[0, 1] = 200.0  # CHN -> JPN
    trade[1, 2] = 100.0  # JPN -> USA
    b = make_baseline(trade, np.array([900.0, 300.0, 0.0]), sigma=0.0)
    return bl.Baseline(**{**b.__dict__, "countries": ("CHN", "JPN", "USA"), "hs6": (hs6,)})


def scenario(**event: object) -> Scenario:
    ev: dict[str, object] = {
        "type": "tariff", "importer": "USA", "exporters": "CHN", "duty": 0.25,
        "from_duty": 0.0, "elasticity": 2.0, "start": "2026-01-01",
    }  # fmt: skip
    ev.update(event)
    return parse_scenario(
        {"name": "toy-tariff", "commodity": "graphite", "baseline_year": 2024, "months": 12,
         "parameters": {"spot_share": 0.5, "transit_months": 0.0}, "events": [ev]}
    )  # fmt: skip


# -- the Armington fall, by hand -----------------------------------------------------------


def test_small_share_is_the_textbook_formula() -> None:
    # 1 - ((1 + 0.25) / 1)^-2 = 1 - 0.64
    assert tm.armington_reduction(0.0, 0.25, 2.0) == pytest.approx(0.36)
    # 10 % -> 93.5 %, sigma 2: 1 - (1.935 / 1.1)^-2
    assert tm.armington_reduction(0.10, 0.935, 2.0) == pytest.approx(1 - (1.1 / 1.935) ** 2)
    assert tm.armington_reduction(0.3, 0.3, 2.0) == pytest.approx(0.0)
    assert tm.armington_reduction(0.0, 0.5, 0.0) == pytest.approx(0.0)


def test_large_share_falls_less() -> None:
    # q = 0.75: 1 - 0.64 / (0.25 + 0.75 * 0.64) = 1 - 0.64 / 0.73
    assert tm.armington_reduction(0.0, 0.25, 2.0, share=0.75) == pytest.approx(1 - 0.64 / 0.73)
    assert tm.armington_reduction(0.0, 0.25, 2.0, share=1.0) == pytest.approx(0.0)


def test_two_taxed_origins_by_hand() -> None:
    # imports 50 / 30 / 20; origins 0 and 1 taxed 0 -> 0.25 and 0 -> 1.0, sigma 1
    f = tm.reductions(np.array([50.0, 30.0, 20.0]), {0: (0.0, 0.25), 1: (0.0, 1.0)}, 1.0)
    denom = 0.5 * 0.8 + 0.3 * 0.5 + 0.2 * 1.0  # 0.75
    assert f[0] == pytest.approx(1 - 0.8 / denom)
    assert f[1] == pytest.approx(1 - 0.5 / denom)
    # tonnes kept: what the taxed lose, the untaxed gain
    lost = 50 * f[0] + 30 * f[1]
    assert 20 * (1 / denom - 1) == pytest.approx(lost)


# -- translation on the toy baseline ---------------------------------------------------------


def test_translation_is_one_targeted_layer() -> None:
    b = toy()
    shocks, notes = build_shocks(None, scenario(), b, START)
    f = 1 - 0.64 / 0.73  # q = 300/400 of US imports from China
    assert shocks.export_fraction[0].tolist() == pytest.approx([f, 0.0, 0.0])
    assert shocks.targets[0].tolist() == [False, False, True]
    assert not shocks.layers
    assert any("USA from CHN: duty 0.0% → 25.0%" in n for n in notes)
    assert any("diversion λ = 1" in n for n in notes)
    assert engine_parameters(scenario(), bl.commodity_parameters("graphite")).leakage == 1.0


def test_duty_before_comes_from_the_tariff_data() -> None:
    # HS 250410 from China to the US on 31 Dec 2025: MFN free + IEEPA 10 % (Annex II)
    b = toy("250410")
    sc = scenario(from_duty=None, duty=0.935)
    shocks, notes = build_shocks(None, sc, b, START)
    rho = (1.935 / 1.10) ** -2
    assert shocks.export_fraction[0, 0] == pytest.approx(1 - rho / (0.25 + 0.75 * rho))
    assert any("duty 10.0% → 93.5%" in n for n in notes)
    inc = build_shocks(None, scenario(from_duty=None, duty=None, increase=0.835), b, START)[0]
    assert inc.export_fraction[0, 0] == pytest.approx(shocks.export_fraction[0, 0])


def test_trade_shift_on_the_toy_conserves_tonnes() -> None:
    b = toy()
    sc = scenario()
    shocks, _ = build_shocks(None, sc, b, START)
    params = engine_parameters(sc, bl.commodity_parameters("graphite"))
    out = propagate(b, shocks, params, build_responses(sc, b, ["ore"])[0], detail=True)
    e = {k: v[0] for k, v in out.extra.items()}
    cut = (1 - 0.64 / 0.73) * 300.0 / 12.0  # tonnes per month
    usa, jpn = 2, 1
    assert e["imports_change_from_restricting_t"][:, usa] == pytest.approx(np.full(12, -cut))
    # full diversion: the US replaces every tonne from others, nobody is short
    assert e["imports_change_t"][:, usa] == pytest.approx(np.zeros(12), abs=1e-9)
    assert e["diverted_t"][:, usa] == pytest.approx(np.full(12, cut))
    assert out.shortfall_t[0].max() == pytest.approx(0.0, abs=1e-9)
    assert out.price_index[0] == pytest.approx(np.ones(12))
    # the engine's identity: supply = consumption - withheld + diverted
    supply = out.supply_t[0].sum(axis=1)
    d0 = b.consumption_t.sum() / 12.0
    assert supply == pytest.approx(d0 - e["withheld_t"].sum(axis=1) + e["diverted_t"].sum(axis=1))
    # the report: the US turns to others; Japan takes China's freed tonnes and ships its
    # own output to the US instead (Japan imports nothing from others to displace)
    shift = tr.country_shift(b, out, shocks).set_index("country")
    assert shift.at["USA", "from_taxed_change_t"] == pytest.approx(-12 * cut)
    assert shift.at["USA", "from_others_change_t"] == pytest.approx(12 * cut)
    assert shift.at["JPN", "from_taxed_change_t"] == pytest.approx(12 * cut)
    assert shift.at["JPN", "from_others_change_t"] == pytest.approx(0.0)
    assert shift.at["CHN", "imports_change_t"] == 0.0
    assert shift.at["USA", "from_taxed_baseline_t"] == 300.0
    assert shift.at["JPN", "from_others_baseline_t"] == 0.0
    del jpn


def test_partial_diversion_leaves_a_priced_shortfall() -> None:
    b = toy()
    sc = scenario(diversion=0.5)
    shocks, _ = build_shocks(None, sc, b, START)
    params = engine_parameters(sc, bl.commodity_parameters("graphite"))
    assert params.leakage == 0.5
    # the diversion alone: no inventories, producers' stocks or substitutes to soften it
    params = dataclasses.replace(
        params, inventory_months=0.0, producer_inventory_months=0.0, substitution_share=0.0
    )
    out = propagate(b, shocks, params, None, detail=True)
    e = {k: v[0] for k, v in out.extra.items()}
    cut = (1 - 0.64 / 0.73) * 300.0 / 12.0
    assert e["imports_change_from_restricting_t"][:, 2] == pytest.approx(np.full(12, -cut))
    rise = e["imports_change_t"][:, 2] - e["imports_change_from_restricting_t"][:, 2]
    assert (rise > 0).all() and (rise < cut).all()  # others replace part of it
    assert (out.price_index[0] > 1).all()
    supply = out.supply_t[0].sum(axis=1)
    d0 = b.consumption_t.sum() / 12.0
    made = e["spare_output_t"].sum(axis=1)
    assert supply == pytest.approx(
        d0 - e["withheld_t"].sum(axis=1) + e["diverted_t"].sum(axis=1) + made
    )


def test_mixed_scenario_keeps_the_leakage_and_says_so() -> None:
    sc = parse_scenario(
        {"name": "mixed", "commodity": "graphite", "baseline_year": 2024, "events": [
            {"type": "tariff", "importer": "USA", "exporters": "CHN", "duty": 0.5,
             "from_duty": 0, "start": "2026-01-01"},
            {"type": "production_outage", "country": "JPN", "fraction": 0.1,
             "start": "2026-01-01"},
        ]}
    )  # fmt: skip
    assert engine_parameters(sc, bl.commodity_parameters("graphite")).leakage == 0.3
    _, notes = build_shocks(None, sc, toy(), START)
    assert any("one leakage λ per run" in n for n in notes)


def test_nothing_to_tax_changes_nothing() -> None:
    b = toy()
    shocks, notes = build_shocks(None, scenario(importer="JPN", exporters="USA"), b, START)
    assert not shocks.export_fraction.any()
    assert any("no baseline trade from USA to JPN" in n for n in notes)
    other_code = scenario(hs6=["250490"])
    shocks, notes = build_shocks(None, other_code, b, START)
    assert not shocks.export_fraction.any() and "not in the ore basket" in notes[-1]


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"increase": 0.1}, "give exactly one of duty (the new all-in rate) or increase"),
        ({"duty": None}, "give exactly one of duty"),
        ({"duty": 93.5}, "events[0].duty: duty 93.5 is a fraction"),
        ({"duty": -0.1}, "events[0].duty: duty must be 0 or more"),
        ({"importer": "all"}, "not 'all'"),
        ({"exporters": ["Chna"]}, "events[0].exporters[0]: unknown importer 'Chna'"),
        ({"diversion": 1.5}, "events[0].diversion: must be between 0 and 1"),
        ({"elasticity": -2}, "events[0].elasticity: must be 0 or more"),
        ({"tarif": 1}, "events[0].tarif: unknown field"),
    ],
)
def test_bad_events_name_the_field(event: dict[str, object], message: str) -> None:
    with pytest.raises(InputError) as info:
        scenario(**event)
    assert message in str(info.value)


def test_a_cut_or_an_unknown_duty_is_a_clear_error() -> None:
    with pytest.raises(InputError, match=r"below the duty in force .* the target cannot be met"):
        build_shocks(None, scenario(from_duty=0.5, duty=0.25), toy(), START)
    with pytest.raises(InputError) as info:
        build_shocks(None, scenario(from_duty=None), toy("000000"), START)
    text = str(info.value)
    assert "events[0].from_duty" in text and "not in the tariff data" in text


# -- the report helpers --------------------------------------------------------------------------


def test_spread_capped_fills_then_shares_the_rest() -> None:
    got = tr.spread_capped(10.0, np.array([1.0, 1.0, 2.0]), np.array([1.0, 100.0, 3.0]))
    assert got.tolist() == pytest.approx([1.0, 6.0, 3.0])
    over = tr.spread_capped(10.0, np.array([1.0, 1.0]), np.array([1.0, 1.0]))
    assert over.sum() == pytest.approx(10.0) and over.tolist() == pytest.approx([5.0, 5.0])
    assert tr.spread_capped(0.0, np.array([1.0]), np.array([1.0])).tolist() == [0.0]


def test_sources_on_the_toy_attribute_the_rise_to_japan() -> None:
    b = toy()
    sc = scenario()
    shocks, _ = build_shocks(None, sc, b, START)
    out = propagate(b, shocks, engine_parameters(sc, bl.commodity_parameters("graphite")),
                    None, detail=True)  # fmt: skip
    book = tf.book(user=False)
    plan = tm.translate(sc.events[0], "events[0]", b, None, book, 2.0)  # type: ignore[arg-type]
    frame = tr.sources(b, out, shocks, [("events[0]", sc.events[0], plan)], None, book)  # type: ignore[list-item]
    cut = 12 * (1 - 0.64 / 0.73) * 300.0 / 12.0
    rows = frame.set_index("origin")
    assert rows.at["CHN", "role"] == "taxed"
    assert rows.at["CHN", "change_t"] == pytest.approx(-cut)
    assert rows.at["JPN", "change_t"] == pytest.approx(cut)  # its own output, redirected
    # landed cost: the baseline price (no store), duty and freight from the data
    assert rows.at["CHN", "landed_before_usd_per_t"] == pytest.approx(100.0 + 100.0)
    assert rows.at["CHN", "landed_after_usd_per_t"] == pytest.approx(100.0 * 1.25 + 100.0)


# -- on the default data -------------------------------------------------------------------------


@pytest.mark.default_data
def test_named_us_tariff_on_chinese_graphite(default_store: Store) -> None:
    res = simulate(default_store, get_scenario("us-tariff-china-graphite-2026"))
    shift = res.trade_shift.set_index("party")
    usa = shift.loc["USA"]
    assert usa["from_taxed_change_t"] < 0 < usa["from_others_change_t"]
    # the US keeps its tonnes: what it stops buying from China it buys elsewhere
    assert usa["from_taxed_change_t"] + usa["from_others_change_t"] == pytest.approx(0, abs=1e-6)
    assert usa["imports_change_t"] == pytest.approx(0, abs=1e-6)
    # untaxed buyers take China's tonnes
    for buyer in ("JPN", "KOR", "EU27"):
        assert shift.loc[buyer, "from_taxed_change_t"] > 0, buyer
    assert res.summary["shortfall_t"].max() == pytest.approx(0, abs=1e-6)
    # the US turns to other origins cheapest landed cost first
    src = res.tariff_sources
    others = src[(src["role"] == "other") & src["rank"].notna()].sort_values("rank")
    taken = others["change_t"].to_numpy()
    assert taken.sum() > 0
    first_zero = int(np.argmax(taken == 0)) if (taken == 0).any() else len(taken)
    assert (taken[first_zero:] == 0).all()  # filled in order of landed cost
    assert others["landed_after_usd_per_t"].is_monotonic_increasing
    attributed = src.loc[src["role"] != "taxed", "change_t"].sum()
    assert attributed == pytest.approx(usa["from_others_change_t"])
    china = src[src["origin"] == "CHN"].iloc[0]
    assert china["duty_before_pct"] == pytest.approx(10.0) and china["duty_after_pct"] == 93.5
    assert any("duty 10.0% → 93.5%" in n for n in res.notes)


@pytest.mark.default_data
def test_simulate_cli_shows_the_trade_shift(
    capsys: pytest.CaptureFixture[str], default_store_path: Path
) -> None:
    res = run_cli(
        capsys, "simulate", "-s", "us-tariff-china-graphite-2026", "--view", "trade-shift",
        "--format", "json", "--store", str(default_store_path),
    )  # fmt: skip
    assert res.code == 0, res.err
    rows = pd.DataFrame(json.loads(res.out)["data"]).set_index("party")
    assert rows.at["USA", "from_taxed_change_pct"] < -40
    table = run_cli(
        capsys, "simulate", "-s", "us-tariff-china-graphite-2026", "--view", "tariff-sources",
        "--store", str(default_store_path),
    )  # fmt: skip
    assert table.code == 0, table.err
    assert "taxed" in table.out and "CHN" in table.out and "TZA" in table.out
    plain = run_cli(
        capsys, "simulate", "-s", "china-graphite-2023", "--view", "trade-shift",
        "--format", "json", "--store", str(default_store_path),
    )  # fmt: skip
    assert plain.code == 0 and json.loads(plain.out)["data"] == []
