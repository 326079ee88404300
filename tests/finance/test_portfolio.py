"""Tests of the two-stage stochastic portfolio optimiser (minsec.finance.portfolio)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minsec.errors import InputError
from minsec.finance.portfolio import added_tonnes, cvar, optimise, scenario_shortfall

NAN = np.nan
# Hand-worked problem: 3 projects, 2 instruments (k0 grant, k1 loan), 2 equiprobable
# scenarios, 2 years, budget 110.
COST = [[60.0, 40.0], [50.0, NAN], [90.0, 70.0]]  # cheapest: P0 40, P1 50, P2 70
CAP = [10.0, 8.0, 20.0]
START = [[0, 0, 0], [1, 0, 2]]  # in s1, P0 starts in year 1 and P2 never (T = 2)
NEED = [[10.0, 10.0], [15.0, 15.0]]
# Before: s0 loss 20, s1 loss 30 -> E = 25, CVaR_0.5 = worst = 30.
# Subsets (cheapest instrument; shortfall s0 | s1):
#   {}        cost 0   : 20 | 30          -> E 25,  CVaR 30
#   {P0}      cost 40  : 0  | 15 + 5 = 20 -> E 10,  CVaR 20
#   {P1}      cost 50  : 2+2 | 7+7 = 14   -> E 9,   CVaR 14
#   {P2}      cost 70  : 0  | 30          -> E 15,  CVaR 30
#   {P0,P1}   cost 90  : 0  | 7 + 0 = 7   -> E 3.5, CVaR 7
#   {P0,P2}   cost 110 : 0  | 15 + 5 = 20 -> E 10,  CVaR 20
#   {P1,P2}   cost 120 > 110, {P0,P1,P2} cost 160 > 110: infeasible.
# Optimum for both: {P0 with the loan, P1 with the grant}, cost 90, E 3.5, CVaR_0.5 7.


@pytest.mark.parametrize(("objective", "value"), [("expected", 3.5), ("cvar", 7.0)])
def test_hand_worked(objective: str, value: float) -> None:
    r = optimise(COST, CAP, START, NEED, 110.0, objective=objective, alpha=0.5)  # type: ignore[arg-type]
    assert r.chosen == (0, 1)
    assert r.instrument.tolist() == [1, 0, -1]
    assert r.public_cost_usd == pytest.approx(90.0)
    assert r.objective_value == pytest.approx(value, abs=1e-9)
    assert r.expected_shortfall_before_t == pytest.approx(25.0)
    assert r.cvar_before_t == pytest.approx(30.0)
    assert r.expected_shortfall_after_t == pytest.approx(3.5)
    assert r.cvar_after_t == pytest.approx(7.0)
    assert r.status == "optimal"


def test_tonnes_per_dollar_benchmark() -> None:
    # expected tonnes added over the horizon: P0 (20+10)/2 = 15, P1 16, P2 (40+0)/2 = 20;
    # best within 110: {P0, P2} = 35 (P0+P1 = 31)
    r = optimise(COST, CAP, START, NEED, 110.0, objective="tonnes_per_dollar")
    assert r.chosen == (0, 2)
    assert r.objective_value == pytest.approx(35.0)


def test_lp_budget_dual_matches_finite_difference() -> None:
    b, h = 30.0, 1.0
    r0 = optimise(COST, CAP, START, NEED, b, binary=False)
    r1 = optimise(COST, CAP, START, NEED, b + h, binary=False)
    assert r0.budget_dual == pytest.approx((r0.objective_value - r1.objective_value) / h, rel=1e-6)
    assert r0.budget_dual > 0
    assert "marginal" in r0.budget_dual_note
    assert "relaxation" in optimise(COST, CAP, START, NEED, b).budget_dual_note


def test_cvar_helper_and_inputs() -> None:
    assert cvar([1.0, 2.0, 3.0, 4.0], 0.5) == pytest.approx(3.5)
    assert cvar([1.0, 2.0, 3.0, 4.0], 0.75) == pytest.approx(4.0)
    with pytest.raises(InputError):
        optimise(COST, CAP, START, NEED, -1.0)
    with pytest.raises(InputError):
        optimise(COST, CAP, START, NEED, 1.0, objective="nope")  # type: ignore[arg-type]
    with pytest.raises(InputError):
        optimise(COST, CAP, [[0, 0, 0]], NEED, 1.0)


def test_country_share_limit() -> None:
    r = optimise(COST, CAP, START, NEED, 110.0, max_share_country=0.6, country=["A", "A", "B"])
    caps = np.asarray(CAP) * r.share
    assert caps[:2].sum() <= 0.6 * caps.sum() + 1e-9
    assert caps[2] <= 0.6 * caps.sum() + 1e-9


# --------------------------------------------------------------------------- brute force


def brute_force(cost, cap, start, need, budget, objective, alpha):  # type: ignore[no-untyped-def]
    cost = np.asarray(cost)
    n_p, n_t = cost.shape[0], np.asarray(need).shape[1]
    best = np.inf
    for choice in itertools.product(*[[-1, *np.flatnonzero(~np.isnan(c))] for c in cost]):
        spend = sum(cost[p, k] for p, k in enumerate(choice) if k >= 0)
        if spend > budget:
            continue
        y = np.array([1.0 if k >= 0 else 0.0 for k in choice])
        added = added_tonnes(cap, start, y, n_t)
        if objective == "tonnes_per_dollar":
            val = -added.sum(axis=1).mean()
        else:
            losses = scenario_shortfall(np.asarray(need, dtype=float), added)
            val = losses.mean() if objective == "expected" else cvar(losses, alpha)
        best = min(best, val)
    assert n_p >= 1
    return best


@st.composite
def problems(draw):  # type: ignore[no-untyped-def]
    n_p = draw(st.integers(1, 4))
    n_k = draw(st.integers(1, 2))
    n_s = draw(st.integers(1, 3))
    n_t = draw(st.integers(1, 3))
    num = st.integers(0, 20).map(float)
    cost = np.array([[draw(st.one_of(num, st.just(NAN))) for _ in range(n_k)] for _ in range(n_p)])
    cap = np.array([draw(num) for _ in range(n_p)])
    start = np.array([[draw(st.integers(0, n_t)) for _ in range(n_p)] for _ in range(n_s)])
    need = np.array([[draw(num) for _ in range(n_t)] for _ in range(n_s)])
    budget = draw(st.integers(0, 40).map(float))
    return cost, cap, start, need, budget


OBJ = st.sampled_from(["expected", "cvar", "tonnes_per_dollar"])


@settings(max_examples=60, deadline=None)
@given(problems(), OBJ)
def test_matches_brute_force(problem, objective) -> None:  # type: ignore[no-untyped-def]
    cost, cap, start, need, budget = problem
    alpha = 0.6
    r = optimise(cost, cap, start, need, budget, objective=objective, alpha=alpha)
    sign = -1.0 if objective == "tonnes_per_dollar" else 1.0
    scale = max(1.0, float(need.sum()), float(cap.sum() * need.shape[1]))
    assert sign * r.objective_value == pytest.approx(
        brute_force(cost, cap, start, need, budget, objective, alpha), abs=1e-9 * scale
    )
    assert r.public_cost_usd <= budget + 1e-9


@settings(max_examples=40, deadline=None)
@given(problems(), OBJ, st.booleans(), st.integers(0, 30).map(float))
def test_more_budget_never_worse(problem, objective, binary, extra) -> None:  # type: ignore[no-untyped-def]
    cost, cap, start, need, budget = problem
    r0 = optimise(cost, cap, start, need, budget, objective=objective, binary=binary)
    r1 = optimise(cost, cap, start, need, budget + extra, objective=objective, binary=binary)
    sign = -1.0 if objective == "tonnes_per_dollar" else 1.0
    assert sign * r1.objective_value <= sign * r0.objective_value + 1e-7 * (
        1 + abs(r0.objective_value)
    )
    assert r0.budget_dual >= 0.0


@settings(max_examples=40, deadline=None)
@given(problems(), st.sampled_from(["expected", "cvar"]), st.booleans())
def test_never_starting_project_not_chosen(problem, objective, binary) -> None:  # type: ignore[no-untyped-def]
    cost, cap, start, need, budget = problem
    start = start.copy()
    start[:, 0] = need.shape[1] + 5  # project 0 starts after the horizon everywhere
    r = optimise(cost, cap, start, need, budget, objective=objective, binary=binary)
    assert 0 not in r.chosen
    assert r.instrument[0] == -1


@settings(max_examples=30, deadline=None)
@given(problems(), OBJ, st.booleans())
def test_zero_budget_chooses_nothing_costly(problem, objective, binary) -> None:  # type: ignore[no-untyped-def]
    cost, cap, start, need, _ = problem
    cost = np.where(np.isnan(cost), NAN, cost + 1.0)  # every option costs > 0
    r = optimise(cost, cap, start, need, 0.0, objective=objective, binary=binary)
    assert r.chosen == ()
    assert r.public_cost_usd == 0.0
    assert r.expected_shortfall_after_t == pytest.approx(r.expected_shortfall_before_t)
