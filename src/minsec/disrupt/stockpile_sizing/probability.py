"""Probability targets, P(shortfall > x C_q) ≤ β: exact alone, a MIP pooled.

With d_rq = (L_rq − x C_q)⁺ the tonnes that bring run r of partner q down to the
threshold, and m = ⌊β R⌋ the runs allowed above it:

* **alone** — partner q meets the target iff its stock covers all but its m largest
  d_rq: s_q = max(e_q, d_q,(m+1)), the (m + 1)-th largest (exact, no solver);
* **pooled** — the MIP of :mod:`~minsec.disrupt.stockpile_sizing.model` (one binary per
  kept run and partner). Only the pool A = Σ_p min(s_p, ρ_p) matters in every run, so:

  - the alone solution is feasible; moved to the cheapest holders (:func:`cheapest_split`)
    it is the MIP's start and gives an upper bound on the pool of any optimum,
    A_up = max(A_start, pool of the existing stock) (holding costs > 0);
  - any feasible pool is at least A_lo = max(max_q d_q,(m+1), pool of the existing stock);
  - a run whose deficits sum to at most A_lo is covered in full (its pairs leave the
    model, served from the pool, and the model gets the row Σ_p a_p ≥ A_lo); a pair
    with d_rq > A_up is above the threshold in every optimum (it leaves the model and
    uses one of q's m runs);
  - the rest keep their binary. These reductions are exact; the MIP stops at a relative
    gap of :data:`~minsec.disrupt.stockpile_sizing.model.MIP_REL_GAP` or its time limit
    (then the best stock found is kept, its gap reported).
"""

from __future__ import annotations

import math
import time

import numpy as np

from minsec.disrupt.stockpile_sizing import model as mdl
from minsec.disrupt.stockpile_sizing.policy import releases
from minsec.disrupt.stockpile_sizing.problem import (
    TOLERANCE,
    FloatArray,
    Sizing,
    SizingProblem,
    check_met,
    infeasible_error,
    make_sizing,
)
from minsec.disrupt.stockpile_sizing.target import Target
from minsec.errors import InputError


def deficits(problem: SizingProblem, target: Target) -> FloatArray:
    """``(R, P)`` d_rq = L_rq − x C_q where L is above the threshold, else 0.

    Above the threshold as in :func:`~minsec.disrupt.stockpile_sizing.problem.risk`.
    """
    limit = (target.threshold + TOLERANCE) * problem.consumption_t
    over = problem.loss_t > limit[None, :]
    return np.where(over, problem.loss_t - target.threshold * problem.consumption_t[None, :], 0.0)


def allowed_runs(level: float, runs: int) -> int:
    """M = ⌊β R⌋, the runs each partner may spend above the threshold."""
    return math.floor(level * runs + 1e-9)


def alone_stock(problem: SizingProblem, target: Target) -> FloatArray:
    """``(P,)`` the cheapest stock of each partner alone: max(e_q, d_q,(m+1))."""
    d = deficits(problem, target)
    m = allowed_runs(target.level, problem.runs)
    need = np.zeros(problem.n)
    if m < problem.runs:
        need = -np.partition(-d, m, axis=0)[m]
    return np.maximum(problem.lower(), need)


def cheapest_split(problem: SizingProblem, pool_t: float) -> FloatArray:
    """``(P,)`` the cheapest stocks whose pool Σ_p min(s_p, ρ_p) reaches ``pool_t``.

    Start from the existing stock and fill the cheapest holders first, each up to its
    storage or release limit (a tonne above the release limit adds nothing to the pool).
    """
    stock = problem.lower().copy()
    cap = problem.cap()
    reach = np.minimum(problem.upper(), cap)
    need = pool_t - float(np.minimum(stock, cap).sum())
    for p in np.argsort(problem.holding_usd_per_t_year, kind="stable"):
        if need <= 0:
            break
        add = min(max(float(reach[p] - stock[p]), 0.0), need)
        stock[p] += add
        need -= add
    if need > TOLERANCE * max(pool_t, 1.0):
        raise InputError(
            f"a pool of {pool_t:,.0f} t is above what the storage and release limits allow",
            column="max_stock_t",
        )
    return stock


def solve_probability(
    problem: SizingProblem,
    target: Target,
    pooled: bool,
    before: FloatArray,
    time_limit: float | None = None,
) -> Sizing:
    """The cheapest stock for a probability target (``target.level`` is the cap β)."""
    started = time.perf_counter()
    alone = alone_stock(problem, target)
    if not pooled:
        got, out = releases(problem, alone, pooled=False)
        result = make_sizing(
            problem, target, False, alone, got, out, before, "optimal",
            solver="exact: the (m+1)-th largest deficit of each partner",
            seconds=time.perf_counter() - started,
        )  # fmt: skip
        check_met(problem, result, target.level)
        return result
    d = deficits(problem, target)
    m = allowed_runs(target.level, problem.runs)
    cap = problem.cap()
    avail_alone = np.minimum(alone, cap)
    start_stock = cheapest_split(problem, float(avail_alone.sum()))
    existing_pool = float(np.minimum(problem.lower(), cap).sum())
    if (problem.holding_usd_per_t_year > 0).all():
        pool_up = max(float(avail_alone.sum()), existing_pool)
    else:  # free storage somewhere: no upper bound on the pool of an optimum
        pool_up = np.inf
    need_alone = np.zeros(problem.n)
    if m < problem.runs:
        need_alone = -np.partition(-d, m, axis=0)[m]
    pool_lo = max(float(need_alone.max(initial=0.0)), existing_pool)
    slack = TOLERANCE * max(float(problem.loss_t.max(initial=0.0)), 1e-300)
    covered_run = d.sum(axis=1) <= pool_lo + slack
    fixed = (d > pool_up + slack) & ~covered_run[:, None]
    keep = (d > 0) & ~covered_run[:, None] & ~fixed
    floor = np.where(covered_run[:, None], d, 0.0)
    allowed = m - fixed.sum(axis=0)
    notes = (
        f"probability target, pooled: {int(keep.sum()):,} (run, partner) pairs with a binary; "
        f"{int(covered_run.sum()):,} runs covered in full by any feasible pool "
        f"(≥ {pool_lo:,.0f} t), {int(fixed.sum()):,} pairs above any optimal pool "
        f"(> {pool_up:,.0f} t)",
    )
    if not keep.any():  # the reductions decide everything: the smallest pool suffices
        stock = cheapest_split(problem, pool_lo)
        got, out = releases(problem, stock, True, None, floor)
        result = make_sizing(
            problem, target, True, stock, got, out, before, "optimal",
            solver="exact: every run decided by the pool bounds",
            seconds=time.perf_counter() - started, notes=notes,
        )  # fmt: skip
        check_met(problem, result, target.level)
        return result
    scale = mdl.scale(problem)
    lay = mdl.layout(problem.n, keep, True, "probability")
    # the pool must reach pool_lo: the runs covered in full are out of the model
    model = mdl.build(problem, lay, target, allowed.astype(np.float64), scale, pool_lo)
    model.h.setOptionValue(
        "time_limit", float(mdl.MIP_TIME_LIMIT_S if time_limit is None else time_limit)
    )
    _set_start(problem, lay, model, start_stock, d, avail_alone, scale[0])
    state, values, gap = mdl.run(model, "pooled probability MIP")
    if state == "infeasible":
        raise infeasible_error(problem, target, True, ())
    stock, first = mdl.unpack(problem, lay, values, scale[0])
    got, out = releases(problem, stock, True, first, floor)
    extra: tuple[str, ...] = ()
    if state == "time limit":
        extra = (
            f"the MIP stopped at its time limit with a relative gap of {gap:.2%}: the stock "
            "meets the target, a cheaper one may exist",
        )
    result = make_sizing(
        problem, target, True, stock, got, out, before, state, model.size,
        solver=f"HiGHS {model.h.version()} (MIP)", seconds=time.perf_counter() - started,
        rounds=1, kept_pairs=int(keep.sum()), gap=gap, notes=notes + extra,
    )  # fmt: skip
    check_met(problem, result, target.level)
    return result


def _set_start(
    problem: SizingProblem,
    lay: mdl.Layout,
    model: mdl.Model,
    stock: FloatArray,
    d: FloatArray,
    avail_alone: FloatArray,
    scale_t: float,
) -> None:
    """The alone solution, pooled at the cheapest holders, as the MIP's start."""
    values = np.zeros(lay.n_cols)
    n = problem.n
    values[:n] = stock / scale_t
    values[lay.a0 : lay.a0 + n] = np.minimum(stock, problem.cap()) / scale_t
    dk = d[lay.pair_run, lay.pair_partner]
    above = dk > avail_alone[lay.pair_partner]
    if lay.pooled:
        values[lay.y0 : lay.z0] = np.where(above, 0.0, dk) / scale_t
    values[lay.z0 :] = above.astype(np.float64)
    idx = np.arange(lay.n_cols, dtype=np.int32)
    model.h.setSolution(lay.n_cols, idx, values)
