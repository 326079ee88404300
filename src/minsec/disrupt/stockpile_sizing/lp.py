"""The smallest-cost stockpiles that bring each partner's shortfall risk under a target.

A two-stage stochastic program over the R Monte Carlo runs (``docs/stockpile-sizing.md``),
solved with HiGHS through ``highspy``. Pure functions over arrays: no store, no engine.

Data: partners q = 1 … P; L_rq ≥ 0 the loss (t over the horizon) of partner q in run r
that stock releases can cover; C_q its consumption over the horizon (t); c_p the cost of
holding a tonne for a year at partner p (USD/t/y); optional existing stock e_p (a lower
bound), storage limit u_p and release limit ρ_p (t over the horizon).

First stage: s_p ≥ 0 tonnes held by partner p (e_p ≤ s_p ≤ u_p). Second stage, per run:
Y_rq ≥ 0 tonnes partner q receives from stocks.

``alone``    (no sharing)  Y_rq ≤ min(s_q, ρ_q): each partner draws its own stock only.
``pooled``   (coordinated releases) Σ_q Y_rq ≤ Σ_p a_p with a_p ≤ s_p, a_p ≤ ρ_p: any
             holder releases to any partner (the flow network of the allied allocation,
             :mod:`minsec.disrupt.allocation`, with one period and every arc open: a
             receipt vector is deliverable iff its sum is at most the pool). a_p, what
             holder p can release in a run, needs no run index: releasing less than
             min(s_p, ρ_p) in some run never helps.

Residual shortfall: R_rq = (L_rq − Y_rq)⁺. Targets (:class:`~.target.Target`):

* CVaR_α(R_q) ≤ τ C_q for every q, linearised (Rockafellar & Uryasev 2002) as
  ``t_q + Σ_r z_rq / ((1 − α) R) ≤ τ C_q`` with ``z_rq ≥ L_rq − Y_rq − t_q``, z, t ≥ 0
  (t ≥ 0 loses nothing: a minimiser of t + E[(R − t)⁺]/(1 − α) is VaR_α(R) ≥ 0);
* P(R_q > x C_q) ≤ β for every q: a MIP with one binary b_rq per run and partner,
  ``Y_rq + (L_rq − x C_q) b_rq ≥ L_rq − x C_q`` and ``Σ_r b_rq ≤ ⌊β R⌋``
  (:mod:`~minsec.disrupt.stockpile_sizing.probability`, with its own exact reductions).

Objective: min Σ_p c_p s_p, the annual cost of holding the stock.

Run reduction, exact (constraint generation)
-------------------------------------------
Only the pairs (r, q) with the largest losses enter the model: at first the ⌈1.2(1 − α)R⌉
largest losses of each partner (:data:`START_SHARE`), more when needed. A pair left out
has no z and no Y. The reduced model is a relaxation of the full one: every full
solution, restricted to the kept pairs, is feasible for it (fewer rows, and Σ over kept
z ≤ Σ over all z). Its optimum is optimal for the full model when it can be completed:
each left-out pair must get at least ``(L_rq − θ_q)⁺`` from the stock the kept pairs
leave in its run (θ_q = t_q), for then its z is 0 and the completed solution is feasible
with the same cost. After each solve this is checked on every run (alone:
min(s_q, ρ_q) ≥ (L_rq − θ_q)⁺; pooled: the stock left in the run covers the sum over its
left-out pairs); violated pairs are
added and the model solved again, until none is. No approximation remains.

Release policy and exact evaluation
-----------------------------------
Given the stock, each run's releases are: the solver's Y on kept pairs; then each left-out
pair its ``(L − θ)⁺`` from what is left; then what is still left (pooled: the whole pool;
alone: each partner's own stock) tops up every partner's remaining shortfall, pro rata
to it. Risk figures are recomputed on all R runs from these releases
(:func:`minsec.disrupt.montecarlo.var_cvar`), never taken from the solver.

Numerics: tonnes divided by the largest loss (or stock bound) and costs by the largest
cost, so the model's numbers are O(1); HiGHS tolerances 1e-9. A pair counts as above the
threshold x C_q when it exceeds it by more than :data:`TOLERANCE` · C_q.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace

import numpy as np

from minsec.disrupt.montecarlo import var_cvar
from minsec.disrupt.stockpile_sizing import model as mdl
from minsec.disrupt.stockpile_sizing.policy import releases
from minsec.disrupt.stockpile_sizing.probability import solve_probability
from minsec.disrupt.stockpile_sizing.problem import (
    TOLERANCE,
    BoolArray,
    FloatArray,
    Sizing,
    SizingProblem,
    check_met,
    infeasible_error,
    infeasible_partners,
    make_sizing,
    meets,
    risk,
)
from minsec.disrupt.stockpile_sizing.target import Target
from minsec.errors import MinsecError

START_SHARE = 1.2
"""The first model keeps this many times (1 − α)R largest losses per partner."""
MIN_START_PAIRS = 200
"""…and at least this many (all pairs with a loss when fewer)."""
MAX_ROUNDS = 30
"""Constraint-generation rounds before giving up (each round adds the violated pairs)."""


def _start(problem: SizingProblem, target: Target) -> BoolArray:
    """The pairs of the first CVaR model: the largest losses of each partner."""
    loss = problem.loss_t
    runs, n = loss.shape
    k = max(MIN_START_PAIRS, math.ceil(START_SHARE * (1.0 - target.alpha) * runs))
    keep = np.zeros_like(loss, dtype=bool)
    for q in range(n):
        if k >= runs:
            keep[:, q] = True
        else:
            keep[np.argpartition(-loss[:, q], k - 1)[:k], q] = True
    return keep & (loss > _noise(problem))


def _noise(problem: SizingProblem) -> float:
    """Losses at or below this are rounding noise (no release needed)."""
    return TOLERANCE * float(problem.loss_t.max(initial=0.0))


def _violations(
    problem: SizingProblem,
    keep: BoolArray,
    stock: FloatArray,
    first: FloatArray,
    theta: FloatArray,
    pooled: bool,
) -> tuple[BoolArray, FloatArray]:
    """Left-out pairs the stock cannot bring to θ, and the floor ``(L − θ)⁺`` served."""
    slack = TOLERANCE * max(float(problem.loss_t.max(initial=0.0)), 1e-300)
    floor = np.where(keep, 0.0, np.maximum(problem.loss_t - theta[None, :], 0.0))
    avail = np.minimum(stock, problem.cap())
    if pooled:
        left = float(avail.sum()) - first.sum(axis=1)
        short = floor.sum(axis=1) > left + slack * problem.n
        bad = short[:, None] & (floor > 0)
    else:
        bad = floor > avail[None, :] + slack
    return bad, floor


class Sizer:
    """Sizes one problem, pooled or alone, for one kind of target at any cap.

    For CVaR targets the HiGHS model is kept between calls of :meth:`at`: a new cap only
    changes the bounds of the target rows (the parametric solves of the curve), and the
    model is rebuilt only when the run reduction needs more pairs. Probability targets
    are solved afresh for each cap (:mod:`~minsec.disrupt.stockpile_sizing.probability`).
    """

    def __init__(
        self,
        problem: SizingProblem,
        target: Target,
        pooled: bool,
        time_limit: float | None = None,
        *,
        exact_alone: bool = True,
    ) -> None:
        problem.check()
        self.problem = problem
        self.target = target
        self.pooled = pooled
        self.time_limit = time_limit
        self.exact_alone = exact_alone
        self.before = risk(problem.loss_t, problem.consumption_t, target)
        self.kept = _start(problem, target) if target.kind == "cvar" else None
        self.scale = mdl.scale(problem)
        self._model: mdl.Model | None = None

    def at(self, level: float | None = None) -> Sizing:
        """The cheapest stock with the target's cap at ``level`` (default: the target's).

        Raises :class:`InputError` naming the partner and the target when it cannot be met
        (storage or release limits).
        """
        problem, pooled = self.problem, self.pooled
        bounded = self.target.with_level(self.target.level if level is None else float(level))
        started = time.perf_counter()
        blocked = infeasible_partners(problem, bounded, pooled)
        if blocked:
            raise infeasible_error(problem, bounded, pooled, blocked)
        existing = problem.lower().copy()
        got, out = releases(problem, existing, pooled)
        if meets(risk(problem.loss_t - got, problem.consumption_t, bounded), bounded).all():
            return make_sizing(
                problem, bounded, pooled, existing, got, out, self.before, "nothing to hold"
            )
        if bounded.kind == "probability":
            result = solve_probability(problem, bounded, pooled, self.before, self.time_limit)
            return replace(result, solve_seconds=time.perf_counter() - started)
        if not pooled and self.exact_alone:
            stock = alone_cvar_stock(problem, bounded)
            got, out = releases(problem, stock, pooled=False)
            result = make_sizing(
                problem, bounded, False, stock, got, out, self.before, "optimal",
                solver="exact: CVaR of (L − s)⁺ is piecewise linear in s, per partner",
                seconds=time.perf_counter() - started,
            )  # fmt: skip
            check_met(problem, result, bounded.level)
            return result
        return self._cvar(bounded, started)

    def _cvar(self, bounded: Target, started: float) -> Sizing:
        problem, pooled = self.problem, self.pooled
        assert self.kept is not None
        bound = bounded.level * problem.consumption_t / self.scale[0]
        for rounds in range(1, MAX_ROUNDS + 1):
            if self._model is None:
                lay = mdl.layout(problem.n, self.kept, pooled, "cvar")
                self._model = mdl.build(problem, lay, bounded, bound, self.scale)
                # interior point: measured 2-8x faster than dual simplex on these LPs, cold
                # or warm-started from the basis of another cap (the stock moves a lot)
                self._model.h.setOptionValue("solver", "ipm")
            else:  # a new cap: the same model, new bounds of the target rows
                rows = self._model.target_rows
                self._model.h.changeRowsBounds(
                    rows.size, rows.astype(np.int32), np.full(rows.size, -np.inf), bound
                )
            model, lay = self._model, self._model.layout
            state, values, _ = mdl.run(model, f"{'pooled' if pooled else 'alone'}, round {rounds}")
            if state == "infeasible":
                raise infeasible_error(problem, bounded, pooled, ())
            stock, first = mdl.unpack(problem, lay, values, self.scale[0])
            theta = values[lay.t0 : lay.t0 + problem.n] * self.scale[0]
            bad, floor = _violations(problem, self.kept, stock, first, theta, pooled)
            if not bad.any():
                break
            self.kept |= bad
            self._model = None
        else:
            raise MinsecError(
                f"stockpile sizing: the run reduction did not settle in {MAX_ROUNDS} rounds "
                f"({int(self.kept.sum()):,} pairs kept)"
            )
        got, out = releases(problem, stock, pooled, first, floor)
        result = make_sizing(
            problem, bounded, pooled, stock, got, out, self.before, state, model.size,
            solver=f"HiGHS {model.h.version()}", seconds=time.perf_counter() - started,
            rounds=rounds, kept_pairs=int(self.kept.sum()),
        )  # fmt: skip
        check_met(problem, result, bounded.level)
        return result


def alone_cvar_stock(problem: SizingProblem, target: Target) -> FloatArray:
    """``(P,)`` each partner's cheapest stock alone for a CVaR target, exactly.

    With a = min(s, ρ) released in every run, the residual (L − a)⁺ is monotone in L, so
    (the definitions of :func:`minsec.disrupt.montecarlo.var_cvar`, V = VaR_α(L)):
    CVaR_α((L − a)⁺) = CVaR_α(L) − a for a ≤ V, and Σ_r (L_r − a)⁺ / ((1 − α) R) for
    a ≥ V — continuous, decreasing and piecewise linear in a. The smallest a with a value
    ≤ τ C is on the first piece if CVaR_α(L) − V ≤ τ C, else where Σ_r (L_r − a)⁺ =
    (1 − α) R τ C, found on the sorted losses. The stock is max(e, a).
    """
    out = problem.lower().copy()
    runs = problem.runs
    budget = (1.0 - target.alpha) * runs * target.level * problem.consumption_t
    for q in range(problem.n):
        loss = problem.loss_t[:, q]
        cap = target.level * problem.consumption_t[q]
        var, cvar = var_cvar(loss, target.alpha)
        if cvar <= cap:
            a = 0.0
        elif cvar - var <= cap:
            a = cvar - cap
        else:  # Σ_{i ≤ k} (L_(i) − a) = B with L_(k+1) ≤ a ≤ L_(k), losses descending
            desc = -np.sort(-loss[loss > var])
            k = np.arange(1, desc.size + 1)
            a_k = (np.cumsum(desc) - budget[q]) / k
            below = np.append(desc[1:], var)
            ok = np.flatnonzero((a_k >= below - 1e-12 * max(desc[0], 1.0)) & (a_k <= desc))
            a = float(a_k[ok[0]]) if ok.size else float(desc[0])
        out[q] = max(out[q], a)
    return out


def solve(
    problem: SizingProblem,
    target: Target,
    *,
    pooled: bool = True,
    level: float | None = None,
    time_limit: float | None = None,
) -> Sizing:
    """The cheapest stock meeting ``target`` (at cap ``level``, default the target's).

    CVaR targets: pooled, the LP with exact run reduction; alone, exact per partner
    (:func:`alone_cvar_stock`). Probability targets: exact by sorting for each partner
    alone, a MIP pooled (``time_limit``, default
    :data:`MIP_TIME_LIMIT_S`). Raises :class:`InputError` naming the partner and the
    target when the target cannot be met (storage or release limits).
    """
    return Sizer(problem, target, pooled, time_limit).at(level)
