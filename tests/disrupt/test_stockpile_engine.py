"""Stockpile sizing against the disruption engine: the need, the re-simulation, the CLI.

The need basis rests on one property of the engine, checked here with the real
``propagate``: a partner holding s tonnes (released as needed, no sharing) is left with an
annual shortfall of at most (need − s)⁺ when buyers resell nothing (spot share θ = 0);
with θ > 0 it may exceed it by at most the resale a supplied buyer makes at high prices,
θ × its demand × (1 − p_max^ε_d) per month. End to end on the default data: the sized
stocks re-simulated through the engine's Responses.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from minsec.disrupt.engine import propagate
from minsec.disrupt.model import Parameters, Responses
from minsec.disrupt.montecarlo import run_risk, sample_shocks
from minsec.disrupt.risk_model import compile_model
from minsec.disrupt.stockpile_sizing.need import NeedEngine
from minsec.disrupt.stockpile_sizing.study import size_stockpiles
from minsec.disrupt.stockpile_sizing.verify import responses_for
from minsec.errors import InputError
from tests.cli_helpers import run_cli
from tests.disrupt.test_montecarlo import SCORES, model, toy_baseline

PARAMS = Parameters(months=12, spot_share=0.0, supply_elasticity=0.1, demand_elasticity=-0.15)


def _shocks(runs: int = 400, seed: int = 3):  # type: ignore[no-untyped-def]
    base = toy_baseline()
    shock_model = compile_model(model(p_best=0.05, p_worst=0.6), base, SCORES)
    return base, sample_shocks(base, shock_model, seed, runs)


@pytest.mark.parametrize("spot_share", [0.0, 0.5])
def test_stock_leaves_at_most_the_need_less_the_stock(spot_share: float) -> None:
    base, shocks = _shocks()
    base = dataclasses.replace(base, spare_capacity=np.full(base.n, 0.1))
    params = dataclasses.replace(PARAMS, spot_share=spot_share)
    cols = [base.index("USA"), base.index("JPN")]
    need = NeedEngine(tuple(cols))(base, shocks, params, None).shortfall_t[:, 0, cols]
    assert (need > 0).any(axis=0).all()
    d0 = base.consumption_t[cols]
    resale = spot_share * d0 * (1.0 - params.max_price_multiple**params.demand_elasticity)
    for stock in (0.0, 5.0, 30.0, 1e6):
        held = np.zeros(base.n)
        held[cols] = stock
        out = propagate(base, shocks, params, Responses(held, held.copy(), np.zeros(base.n)),
                        totals=True)  # fmt: skip
        np.testing.assert_allclose(out.stock_release_t[:, 0, cols], np.minimum(stock, need))
        short = out.shortfall_t[:, 0, cols]
        bound = np.maximum(need - stock, 0.0)
        assert (short <= bound + resale[None, :] + 1e-9).all()
        if spot_share == 0.0:
            assert (short <= bound + 1e-9).all()


def test_need_is_independent_of_other_partners_stocks() -> None:
    base, shocks = _shocks(200)
    usa, jpn = base.index("USA"), base.index("JPN")
    alone = NeedEngine((usa,))(base, shocks, PARAMS, None).shortfall_t[:, 0, usa]
    both = NeedEngine((usa, jpn))(base, shocks, PARAMS, None).shortfall_t[:, 0, usa]
    np.testing.assert_allclose(alone, both)


def test_need_engine_in_the_monte_carlo_is_reproducible() -> None:
    base = toy_baseline()
    args = {"runs": 1500, "seed": 4, "scores": SCORES, "keep_runs": True, "params": PARAMS,
            "model": model(p_best=0.05, p_worst=0.6), "workers": 1}  # fmt: skip
    engine = NeedEngine((base.index("USA"), base.index("JPN")))
    first = run_risk(base, "USA,JPN", engine=engine, **args)  # type: ignore[arg-type]
    again = run_risk(base, "USA,JPN", engine=engine, workers=2, parallel="processes",
                     **{k: v for k, v in args.items() if k != "workers"})  # type: ignore[arg-type]  # fmt: skip
    assert first.shortfall_runs_t is not None
    np.testing.assert_array_equal(first.shortfall_runs_t, again.shortfall_runs_t)


def test_responses_split_a_bloc_by_consumption() -> None:
    from minsec.disrupt.montecarlo import resolve_parties

    base = toy_baseline()
    parties, _ = resolve_parties(base, "EU27,JPN", 12)
    resp = responses_for(base, parties, np.array([100.0, 50.0]), True, None, 12)
    deu = base.index("DEU")
    assert resp.stockpile_t[deu] == pytest.approx(100.0)  # DEU is the only EU member here
    assert resp.stockpile_t[base.index("JPN")] == pytest.approx(50.0)
    assert "DEU" in resp.sharing_bloc and "JPN" in resp.sharing_bloc
    unlimited = responses_for(base, parties, np.array([np.inf, np.inf]), False, None, 12)
    assert np.isfinite(unlimited.stockpile_t[base.index("USA")])
    assert unlimited.sharing_bloc == ()


# -- end to end on the default data ------------------------------------------------------


@pytest.mark.default_data
def test_sizing_on_the_default_data(default_store) -> None:  # type: ignore[no-untyped-def]
    result = size_stockpiles(
        default_store, "USA,JPN", "cvar95<=5%", commodity="graphite", runs=2000, seed=1,
        workers=1, curve_points=4, verify=True,
    )  # fmt: skip
    meta = result.meta
    assert meta["basis"] == "need" and meta["target"] == "cvar95<=5%" and meta["runs"] == 2000
    assert "import unit value" in meta["price_source"] and meta["price_usd_per_t"] > 0
    summary = result.view("summary")
    assert list(summary["partner"]) == ["USA", "JPN"]
    assert (summary["pooled_risk_after_pct"] <= 5.0 + 1e-7).all()
    assert (summary["alone_risk_after_pct"] <= 5.0 + 1e-7).all()
    assert meta["pooled_cost_usd_per_year"] <= meta["alone_cost_usd_per_year"] + 1e-6
    costs = result.view("costs")
    assert costs["capital_source"].str.len().gt(0).all()
    assert costs["storage_source"].str.contains("JUDGEMENT").all()
    curve = result.view("curve").sort_values("level_pct")
    assert curve["pooled_stock_t"].is_monotonic_decreasing
    assert curve["alone_stock_t"].is_monotonic_decreasing
    target_row = curve[curve["is_target"]].iloc[0]
    assert target_row["pooled_cost_usd_per_year"] == pytest.approx(meta["pooled_cost_usd_per_year"])
    totals = result.view("totals").set_index("mode")
    assert totals.loc["pooled", "stock_t"] == pytest.approx(summary["pooled_stock_t"].sum())
    verify = result.view("verify")
    assert set(verify["stocks"]) == {"none", "alone", "pooled", "unlimited"}
    engine = verify.pivot(index="partner", columns="stocks", values="engine_risk_pct")
    # stock lowers the engine's risk; no stock can go below what unlimited stock leaves
    assert (engine["alone"] < engine["none"]).all() and (engine["pooled"] < engine["none"]).all()
    assert (engine["unlimited"] <= engine["alone"] + 1e-9).all()
    flows = result.view("flows")
    assert set(flows["mode"]) == {"pooled", "alone"}


@pytest.mark.default_data
def test_sized_stocks_meet_the_target_in_the_engine_without_resale(default_store) -> None:  # type: ignore[no-untyped-def]
    """With θ = 0 (no resale) the need basis is conservative in the engine: the alone stocks
    re-simulated through the engine's Responses meet the target."""
    from minsec.disrupt.baseline import commodity_parameters

    params = commodity_parameters("graphite").engine_parameters(spot_share=0.0)
    result = size_stockpiles(
        default_store, "USA,JPN", "cvar95<=5%", commodity="graphite", runs=2000, seed=2,
        workers=1, curve_points=2, verify=True, params=params,
    )  # fmt: skip
    verify = result.view("verify").set_index(["stocks", "partner"])
    for partner in ("USA", "JPN"):
        assert verify.loc[("alone", partner), "engine_risk_pct"] <= 5.0 + 1e-7
        assert verify.loc[("unlimited", partner), "engine_risk_pct"] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.default_data
def test_bad_requests(default_store) -> None:  # type: ignore[no-untyped-def]
    base = {"commodity": "graphite", "runs": 200, "seed": 1, "workers": 1}
    with pytest.raises(InputError, match="overlap"):
        size_stockpiles(default_store, "USA,like-minded", "cvar95<=5%", **base)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="not understood"):
        size_stockpiles(default_store, "USA,JPN", "cvar95=5%", **base)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="not one of the partners") as info:
        size_stockpiles(default_store, "USA,JPN", "cvar95<=5%", max_stock_t={"KOR": 1.0}, **base)  # type: ignore[arg-type]
    assert info.value.column == "max_stock_t"
    with pytest.raises(InputError, match=r"cvar95<=0% cannot be met for USA, JPN with pooled"):
        size_stockpiles(default_store, "USA,JPN", "cvar95<=0%", max_stock_t={"USA": 0, "JPN": 9},  # type: ignore[arg-type]
                        **base)  # fmt: skip
    # alone the US cannot release anything, pooled Japan's stock covers it (a target below
    # what the US's own inventories leave: CVaR95 about 4 % of its consumption)
    only_pooled = size_stockpiles(
        default_store, "USA,JPN", "cvar95<=1%", release_t_per_month={"USA": 0.0},
        curve_points=2, **base,  # type: ignore[arg-type]
    )  # fmt: skip
    assert only_pooled.alone.status == "infeasible" and only_pooled.meta["saving_pct"] is None
    assert (only_pooled.pooled.risk_after <= 0.01 + 1e-9).all()


# -- CLI -------------------------------------------------------------------------------


@pytest.mark.default_data
def test_cli_json_and_errors(capsys: pytest.CaptureFixture[str], default_store_path: Path) -> None:
    args = ("stockpile", "size", "-c", "graphite", "-i", "USA,JPN", "--target", "cvar95<=5%",
            "--runs", "1000", "--seed", "1", "--workers", "1", "--curve-points", "3",
            "--store", str(default_store_path))  # fmt: skip
    res = run_cli(capsys, *args, "--format", "json")
    assert res.code == 0, res.err
    payload = json.loads(res.out)
    assert [r["partner"] for r in payload["data"]] == ["USA", "JPN"]
    meta = payload["meta"]
    assert meta["seed"] == 1 and meta["runs"] == 1000 and meta["target"] == "cvar95<=5%"
    assert {r["mode"] for r in meta["tables"]["totals"]} == {"pooled", "alone"}
    assert len(meta["tables"]["curve"]) >= 3
    again = run_cli(capsys, *args, "--format", "json")
    assert json.loads(again.out)["data"] == payload["data"]  # same seed, same stocks
    table = run_cli(capsys, *args, "--view", "curve", "--format", "csv")
    assert table.code == 0 and table.out.startswith("level_pct,is_target,")
    bad = run_cli(capsys, *args, "--target", "cvar95<=-5%")  # the last --target wins
    assert bad.code == 2 and "target 'cvar95<=-5%' is not understood" in bad.err
    bad = run_cli(capsys, *args, "--max-stock", "USA=lots")
    assert bad.code == 2 and "--max-stock 'USA=lots'" in bad.err
