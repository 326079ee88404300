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


# --------------------------------------------------------------------------- general model

from minsec.finance.portfolio import (  # noqa: E402
    Problem,
    acceleration_value,
    group_added,
    reduce_scenarios,
    scenario_losses,
    solve,
)

# Two groups (g0 = USA, g1 = JPN), two scenarios, one year. A: 10 t/y, all to the USA;
# B: 10 t/y, half to each. Need s0: USA 6, JPN 4; s1: USA 0, JPN 8 (π = 1/2 each).
#   {}  : s0 6 + 4 = 10, s1 8              -> E 9,   CVaR_0.5 10
#   {A} : s0 0 + 4 = 4,  s1 8              -> E 6,   CVaR_0.5 8
#   {B} : s0 (6−5) + 0 = 1, s1 8 − 5 = 3   -> E 2,   CVaR_0.5 3
#   {A,B}: cost 110 > 100                  -> infeasible
# Weights (1, 2): {A}: s0 8, s1 16 -> E 12; {B}: s0 1, s1 6 -> E 3.5.
# USA pays half of each project: A 25, B 30; a USA budget of 25 leaves only {A}.
TWO = {
    "cost_usd": np.array([[50.0], [60.0]]),
    "supply_t": np.full((2, 1, 2), 10.0),
    "need_t": np.array([[[6.0, 4.0]], [[0.0, 8.0]]]),
    "offtake": np.array([[1.0, 0.0], [0.5, 0.5]]),
    "weight": np.ones(2),
    "budget_usd": 100.0,
    "capacity_t": np.array([10.0, 10.0]),
}


@pytest.mark.parametrize(
    ("objective", "weight", "chosen", "value"),
    [("expected", [1, 1], (1,), 2.0), ("cvar", [1, 1], (1,), 3.0), ("expected", [1, 2], (1,), 3.5)],
)
def test_two_groups_hand_worked(objective, weight, chosen, value) -> None:  # type: ignore[no-untyped-def]
    r = solve(
        Problem(**{**TWO, "weight": np.asarray(weight, float)}), objective=objective, alpha=0.5
    )
    assert r.chosen == chosen
    assert r.objective_value == pytest.approx(value)
    assert r.group_shortfall_before_t.tolist() == pytest.approx([3.0, 6.0])
    assert r.group_shortfall_after_t.tolist() == pytest.approx([0.5, 1.5])


def test_partner_budget_binds_and_has_a_dual() -> None:
    p = Problem(**TWO, partner_budget_usd=np.array([25.0, 100.0]), cost_share=np.full((2, 2), 0.5))
    r = solve(p)
    assert r.chosen == (0,) and r.objective_value == pytest.approx(6.0)
    # LP over a, b in [0, 1] with 25a + 30b ≤ 25 (USA), minimising
    #   E = ½[(6 − 10a − 5b)⁺ + (4 − 5b)⁺] + ½(8 − 5b)⁺.
    # While all terms are positive: ∂E/∂b = −7.5 (0.25 t per USA dollar), ∂E/∂a = −5 (0.2 t/$),
    # so b first, up to b = 0.8 where (4 − 5b) hits 0 (spent 24); then ∂E/∂b = −5 (1/6 t/$)
    # < 0.2 t/$ of a, so the last dollar buys a = 1/25: E = ½(6 − 0.4 − 4) + ½(8 − 4) = 2.8,
    # and one more USA dollar buys more a: dual 0.2 t/$.
    lp = solve(p, binary=False)
    assert lp.share.tolist() == pytest.approx([0.04, 0.8])
    assert lp.objective_value == pytest.approx(2.8)
    assert lp.partner_budget_dual[0] == pytest.approx(0.2)
    assert lp.partner_budget_dual[1] == pytest.approx(0.0)
    more = Problem(
        **{**TWO, "partner_budget_usd": np.array([26.0, 100.0]), "cost_share": np.full((2, 2), 0.5)}
    )
    assert lp.objective_value - solve(more, binary=False).objective_value == pytest.approx(0.2)
    assert lp.budget_dual == pytest.approx(0.0)
    with pytest.raises(InputError, match="cost shares"):
        solve(Problem(**TWO, partner_budget_usd=np.array([1.0, 1.0])))


@st.composite
def general_problems(draw):  # type: ignore[no-untyped-def]
    n_p, n_k, n_s = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 3))
    n_t, n_g = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    num = st.integers(0, 10).map(float)

    def arr(shape):  # type: ignore[no-untyped-def]
        size = int(np.prod(shape))
        return np.array(draw(st.lists(num, min_size=size, max_size=size))).reshape(shape)

    cost = arr((n_p, n_k))
    cost[
        np.array(draw(st.lists(st.booleans(), min_size=n_p * n_k, max_size=n_p * n_k))).reshape(
            n_p, n_k
        )
    ] = NAN
    off = arr((n_p, n_g)) / 10.0
    off = off / np.maximum(off.sum(axis=1, keepdims=True), 1.0)
    return Problem(
        cost_usd=cost,
        supply_t=arr((n_s, n_t, n_p)),
        need_t=arr((n_s, n_t, n_g)),
        offtake=off,
        weight=arr((n_g,)) / 5.0,
        budget_usd=draw(num) * 2,
        capacity_t=arr((n_p,)),
        partner_budget_usd=arr((2,)),
        cost_share=np.tile(arr((1, 2)) / 10.0, (n_p, 1)),
    )


def general_brute_force(p: Problem, objective: str, alpha: float) -> float:
    best = np.inf
    n_s = p.need_t.shape[0]
    for choice in itertools.product(*[[-1, *np.flatnonzero(~np.isnan(c))] for c in p.cost_usd]):
        spend = np.array([p.cost_usd[i, k] if k >= 0 else 0.0 for i, k in enumerate(choice)])
        assert p.cost_share is not None and p.partner_budget_usd is not None
        if spend.sum() > p.budget_usd or np.any(spend @ p.cost_share > p.partner_budget_usd):
            continue
        x = np.array([1.0 if k >= 0 else 0.0 for k in choice])
        added = group_added(p.supply_t, p.offtake, x)
        if objective == "tonnes_per_dollar":
            val = -np.einsum("stg,g->s", added, p.weight).mean()
        else:
            loss = scenario_losses(p.need_t, added, p.weight)
            val = (
                loss.mean() if objective == "expected" else cvar(loss, alpha, np.full(n_s, 1 / n_s))
            )
        best = min(best, val)
    return float(best)


@settings(max_examples=60, deadline=None)
@given(general_problems(), OBJ)
def test_general_model_matches_brute_force(problem, objective) -> None:  # type: ignore[no-untyped-def]
    r = solve(problem, objective=objective, alpha=0.6)
    sign = -1.0 if objective == "tonnes_per_dollar" else 1.0
    scale = max(1.0, float(problem.need_t.sum()), float(problem.supply_t.sum()))
    assert sign * r.objective_value == pytest.approx(
        general_brute_force(problem, objective, 0.6), abs=1e-8 * scale
    )
    spend = np.array(
        [problem.cost_usd[i, k] if k >= 0 else 0.0 for i, k in enumerate(r.instrument)]
    )
    assert spend.sum() <= problem.budget_usd + 1e-9
    assert np.all(spend @ problem.cost_share <= problem.partner_budget_usd + 1e-9)
    assert np.all(r.partner_budget_dual >= 0.0) and r.budget_dual >= 0.0


@settings(max_examples=40, deadline=None)
@given(general_problems(), st.integers(2, 4), st.data())
def test_bucket_reduction_is_a_lower_bound_and_exact_at_full_size(problem, buckets, data) -> None:  # type: ignore[no-untyped-def]
    n_s, _, n_p = problem.supply_t.shape
    prob = np.full(n_s, 1.0 / n_s)
    need, supply, p = reduce_scenarios(
        problem.need_t, problem.supply_t, prob, problem.weight, buckets
    )
    assert p.sum() == pytest.approx(1.0) and p.size <= max(buckets, 1)
    x = np.array(data.draw(st.lists(st.floats(0, 1), min_size=n_p, max_size=n_p)))
    exact = prob @ scenario_losses(
        problem.need_t, group_added(problem.supply_t, problem.offtake, x), problem.weight
    )
    reduced = p @ scenario_losses(need, group_added(supply, problem.offtake, x), problem.weight)
    assert reduced <= exact + 1e-9 * max(1.0, exact)  # Jensen: E max(·,0) ≥ max(E ·, 0)
    full = solve(problem, buckets=n_s + 1)  # no reduction when buckets ≥ S
    assert full.objective_value == pytest.approx(solve(problem).objective_value)
    r = solve(problem, buckets=buckets)
    assert r.expected_shortfall_after_t == pytest.approx(r.objective_value)  # exact re-evaluation


@settings(max_examples=40, deadline=None)
@given(general_problems(), st.sampled_from(["expected", "cvar"]), st.data())
def test_acceleration_never_hurts(problem, objective, data) -> None:  # type: ignore[no-untyped-def]
    n_p = problem.supply_t.shape[2]
    i = data.draw(st.integers(0, n_p - 1))
    share = np.array(data.draw(st.lists(st.floats(0, 1), min_size=n_p, max_size=n_p)))
    # acceleration: each year gets at least its old output (here: the next year's)
    current = problem.supply_t[:, :, i]
    faster = np.maximum(current, np.concatenate([current[:, 1:], current[:, -1:]], axis=1))
    assert acceleration_value(problem, share, faster, i, objective=objective, alpha=0.6) >= -1e-9
