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
  ``Y_rq + (L_rq − x C_q) b_rq ≥ L_rq − x C_q`` and ``Σ_r b_rq ≤ ⌊β R⌋``.

Objective: min Σ_p c_p s_p, the annual cost of holding the stock.

Run reduction, exact (constraint generation)
-------------------------------------------
Only the pairs (r, q) with the largest losses enter the model: at first the ⌈2(1 − α)R⌉
largest losses of each partner (``2βR`` for probability targets), more when needed. A
pair left out has no z (or b) and no Y. The reduced model is a relaxation of the full
one: every full solution, restricted to the kept pairs, is feasible for it (fewer rows,
and Σ over kept z ≤ Σ over all z). Its optimum is optimal for the full model when it can
be completed: each left-out pair must get at least ``(L_rq − θ_q)⁺`` from the stock the
kept pairs leave in its run (θ_q = t_q for CVaR, x C_q for probability targets), for then
its z is 0 (its b is 0) and the completed solution is feasible with the same cost. After
each solve this is checked on every run (alone: min(s_q, ρ_q) ≥ (L_rq − θ_q)⁺; pooled:
the stock left in the run covers the sum over its left-out pairs); violated pairs are
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
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from minsec.disrupt.montecarlo import var_cvar
from minsec.disrupt.stockpile_sizing.target import Target
from minsec.errors import InputError, MinsecError
from minsec.highs import csc_arrays, highs_lp, silent_highs

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

TOLERANCE = 1e-7
"""Slack (share of the largest loss) in the checks and in "above the threshold"."""
START_SHARE = 1.2
"""The first model keeps this many times (1 − α)R (or βR) largest losses per partner."""
MIN_START_PAIRS = 200
"""…and at least this many (all pairs with a loss when fewer)."""
MAX_ROUNDS = 30
"""Constraint-generation rounds before giving up (each round adds the violated pairs)."""
MIP_TIME_LIMIT_S = 60.0
"""Default time limit of a probability-target MIP (the best solution found is kept)."""
MIP_REL_GAP = 1e-6
"""Relative gap at which a probability-target MIP stops."""


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class SizingProblem:
    """What is sized (see the module doc for the symbols).

    Attributes
    ----------
    partners:
        P partner labels (countries or blocs).
    loss_t:
        ``(R, P)`` L_rq, tonnes over the horizon that stock releases can cover.
    consumption_t:
        ``(P,)`` C_q, tonnes over the horizon (the denominator of the target).
    holding_usd_per_t_year:
        ``(P,)`` c_p, USD per tonne held for a year (storage + capital).
    existing_t:
        ``(P,)`` e_p, stock already held (a lower bound; default 0).
    max_stock_t:
        ``(P,)`` u_p, the most partner p can hold (default: no limit).
    release_cap_t:
        ``(P,)`` ρ_p, the most holder p can release over the horizon (default: no limit).
    """

    partners: tuple[str, ...]
    loss_t: FloatArray
    consumption_t: FloatArray
    holding_usd_per_t_year: FloatArray
    existing_t: FloatArray | None = None
    max_stock_t: FloatArray | None = None
    release_cap_t: FloatArray | None = None

    @property
    def runs(self) -> int:
        """R."""
        return int(self.loss_t.shape[0])

    @property
    def n(self) -> int:
        """P."""
        return len(self.partners)

    def lower(self) -> FloatArray:
        """e_p (zeros when not given)."""
        return np.zeros(self.n) if self.existing_t is None else self.existing_t

    def upper(self) -> FloatArray:
        """u_p (inf when not given)."""
        return np.full(self.n, np.inf) if self.max_stock_t is None else self.max_stock_t

    def cap(self) -> FloatArray:
        """ρ_p (inf when not given)."""
        return np.full(self.n, np.inf) if self.release_cap_t is None else self.release_cap_t

    def check(self) -> None:
        """Raise :class:`InputError` naming the array (and partner) that is wrong."""
        n = len(self.partners)
        if n == 0:
            raise InputError("name at least one partner", column="partners")
        if len(set(self.partners)) != n:
            raise InputError(f"partners repeat: {list(self.partners)}", column="partners")
        if self.loss_t.ndim != 2 or self.loss_t.shape[1] != n or self.loss_t.shape[0] < 1:
            raise InputError(
                f"loss_t has shape {self.loss_t.shape}; expected (runs ≥ 1, {n})",
                column="loss_t",
            )
        _nonneg(self.loss_t, "loss_t", self.partners, axis=1)
        for name, arr, allow_inf in (
            ("consumption_t", self.consumption_t, False),
            ("holding_usd_per_t_year", self.holding_usd_per_t_year, False),
            ("existing_t", self.existing_t, False),
            ("max_stock_t", self.max_stock_t, True),
            ("release_cap_t", self.release_cap_t, True),
        ):
            if arr is None:
                continue
            if arr.shape != (n,):
                raise InputError(f"{name} has shape {arr.shape}; expected ({n},)", column=name)
            _nonneg(arr, name, self.partners, allow_inf=allow_inf)
        low, high = self.lower(), self.upper()
        bad = np.flatnonzero(low > high)
        if bad.size:
            q = int(bad[0])
            raise InputError(
                f"{self.partners[q]}: existing stock {low[q]:,.0f} t is above its storage "
                f"limit {high[q]:,.0f} t",
                column="existing_t",
            )


def _nonneg(
    arr: FloatArray,
    name: str,
    partners: tuple[str, ...],
    *,
    axis: int = 0,
    allow_inf: bool = False,
) -> None:
    ok = (arr >= 0) & (np.isfinite(arr) | (allow_inf & (arr > 0)))
    if not ok.all():
        bad = np.argwhere(~ok)[0]
        q = int(bad[axis]) if arr.ndim > 1 else int(bad[0])
        value = arr[tuple(bad)]
        raise InputError(
            f"{name} of {partners[q]} is {value!r}; expected a finite number ≥ 0",
            column=name,
        )


# --------------------------------------------------------------------------- metrics


def risk(residual_t: FloatArray, consumption_t: FloatArray, target: Target) -> FloatArray:
    """``(P,)`` each partner's risk on the target's scale, from ``(R, P)`` residuals.

    CVaR targets: CVaR_α of the residual as a share of consumption (NaN where C = 0);
    probability targets: the share of runs whose residual exceeds x·C by more than
    :data:`TOLERANCE` · C (solver rounding).
    """
    n = residual_t.shape[1]
    out = np.full(n, np.nan)
    if target.kind == "cvar":
        for q in range(n):
            if consumption_t[q] > 0:
                out[q] = var_cvar(residual_t[:, q], target.alpha)[1] / consumption_t[q]
        return out
    over = residual_t > _limit(target, consumption_t)[None, :]
    return np.asarray(over.mean(axis=0), dtype=np.float64)


def _limit(target: Target, consumption_t: FloatArray) -> FloatArray:
    """(P,) the shortfall that counts as above the threshold: (x + TOLERANCE) · C."""
    return np.asarray((target.threshold + TOLERANCE) * consumption_t, dtype=np.float64)


def meets(value: FloatArray, target: Target, level: float | None = None) -> BoolArray:
    """Whether each risk ``value`` is within the target's cap (or ``level``), to rounding."""
    cap = target.level if level is None else level
    return np.asarray(value <= cap + 1e-9 * max(cap, 1.0), dtype=np.bool_) | np.isnan(value)


# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class Sizing:
    """The stock of each partner and what it achieves.

    Attributes
    ----------
    pooled:
        True: coordinated releases between partners; False: each partner alone.
    target:
        The target met.
    stock_t:
        ``(P,)`` tonnes held by each partner.
    cost_usd_per_year:
        Σ_p c_p s_p, the annual cost of holding.
    receipts_t:
        ``(R, P)`` tonnes each partner receives from stocks in each run (the policy).
    releases_t:
        ``(R, P)`` tonnes each holder releases in each run.
    residual_t:
        ``(R, P)`` shortfall left, (L − receipts)⁺.
    risk_before, risk_after:
        ``(P,)`` each partner's risk without stock and with it (on the target's scale:
        share of consumption for CVaR, probability otherwise), on all runs.
    status:
        ``"optimal"``, ``"time limit"`` (probability targets: the best solution found) or
        ``"nothing to hold"`` (the target is met without stock beyond what exists).
    solver, solve_seconds, rounds, model_size, kept_pairs, mip_gap, notes:
        How it was solved: solver name, wall time (s) of all solves, constraint-generation
        rounds, columns/rows/nonzeros of the last model, (run, partner) pairs it kept,
        the MIP's relative gap (probability targets), caveats.
    """

    pooled: bool
    target: Target
    stock_t: FloatArray
    cost_usd_per_year: float
    receipts_t: FloatArray
    releases_t: FloatArray
    residual_t: FloatArray
    risk_before: FloatArray
    risk_after: FloatArray
    status: str
    solver: str = ""
    solve_seconds: float = 0.0
    rounds: int = 0
    model_size: dict[str, int] = field(default_factory=dict)
    kept_pairs: int = 0
    mip_gap: float = 0.0
    notes: tuple[str, ...] = ()

    @property
    def total_t(self) -> float:
        """Σ_p s_p."""
        return float(self.stock_t.sum())


# --------------------------------------------------------------------------- policy


def releases(
    problem: SizingProblem,
    stock_t: FloatArray,
    pooled: bool,
    first_t: FloatArray | None = None,
    floor_t: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """``(receipts, releases)``, each ``(R, P)``, of the release policy for ``stock_t``.

    ``first_t`` (R, P): receipts decided by the solver (kept pairs; 0 elsewhere), served
    first; ``floor_t`` (R, P): receipts the left-out pairs must get next (their
    ``(L − θ)⁺``); then what is left of the stock tops up every partner's remaining
    shortfall pro rata to it (see the module doc). Receipts never exceed the loss, and a
    run's receipts never exceed what the holders can release (alone: each partner's own;
    pooled: the pool, scaling down the solver's and the floors' where rounding exceeds it).
    """
    loss = problem.loss_t
    avail = np.minimum(stock_t, problem.cap())  # (P,) what each holder can release
    if not pooled:  # each partner draws its own stock as far as it goes
        got = np.minimum(loss, avail[None, :])
        return got, got.copy()
    pool = float(avail.sum())
    got = np.zeros_like(loss) if first_t is None else np.minimum(first_t, loss)
    got *= _within(got.sum(axis=1), pool)[:, None]  # solver rounding above the pool
    if floor_t is not None:
        extra = np.minimum(floor_t, loss - got)
        got += extra * _within(extra.sum(axis=1), pool - got.sum(axis=1))[:, None]
    left = np.maximum(pool - got.sum(axis=1), 0.0)  # (R,)
    rest = loss - got
    need = rest.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(need > 0, np.minimum(1.0, left / need), 0.0)
    got = got + rest * share[:, None]
    return got, _holder_releases(got, avail)


def _within(amount: FloatArray, room: FloatArray | float) -> FloatArray:
    """Factor (≤ 1) that scales ``amount`` down to ``room`` where it is larger."""
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.where(amount > room, np.maximum(room, 0.0) / amount, 1.0)
    return out


def _holder_releases(receipts: FloatArray, avail: FloatArray) -> FloatArray:
    """Pooled: who releases the receipts of a run.

    Each holder serves its own partner first; the rest comes from the holders with stock
    left, pro rata to it.
    """
    own = np.minimum(receipts, avail[None, :])
    spare = avail[None, :] - own
    extra = (receipts - own).sum(axis=1)
    room = spare.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(room > 0, np.minimum(1.0, extra / room), 0.0)
    out: FloatArray = own + spare * share[:, None]
    return out


def flow_matrix(receipts_t: FloatArray, releases_t: FloatArray) -> FloatArray:
    """``(P, P)`` expected tonnes per run from holder p (rows) to partner q (columns).

    Each holder serves its own partner first (the diagonal, min(release, receipt)); the
    rest of each holder's release goes to the partners still short, pro rata to what they
    still need, in every run.
    """
    own = np.minimum(receipts_t, releases_t)
    give = releases_t - own  # (R, P) holders' surplus
    take = receipts_t - own  # (R, P) partners' deficit
    total = take.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(total[:, None] > 0, take / total[:, None], 0.0)
    out: FloatArray = np.einsum("rp,rq->pq", give, frac) / receipts_t.shape[0]
    out[np.diag_indices_from(out)] += own.mean(axis=0)
    return out


# --------------------------------------------------------------------------- model


@dataclass
class _Layout:
    """Columns of one model: s (P) | a (P) | t (P, CVaR) | Y (K, pooled) | z or b (K).

    Alone, partner q receives min(L_rq, a_q) in every run, so its receipts need no column
    of their own: a_q stands in for Y_rq in the cover rows.
    """

    n_partners: int
    pooled: bool
    kind: str  # cvar or probability
    pair_run: IntArray  # (K,) run of each kept pair, sorted by partner then run
    pair_partner: IntArray  # (K,) partner of each kept pair
    runs: IntArray  # (N,) kept runs (unique, ascending)
    pair_local: IntArray  # (K,) position of the pair's run in ``runs``

    @property
    def n_pairs(self) -> int:
        return int(self.pair_run.size)

    @property
    def a0(self) -> int:
        return self.n_partners

    @property
    def t0(self) -> int:
        return self.a0 + self.n_partners

    @property
    def y0(self) -> int:
        return self.t0 + (self.n_partners if self.kind == "cvar" else 0)

    @property
    def z0(self) -> int:
        return self.y0 + (self.n_pairs if self.pooled else 0)

    @property
    def n_cols(self) -> int:
        return self.z0 + self.n_pairs


@dataclass
class _Model:
    layout: _Layout
    h: Any
    size: dict[str, int]
    target_rows: IntArray


def _layout(n: int, keep: BoolArray, pooled: bool, kind: str) -> _Layout:
    pr, pq = np.nonzero(keep)
    order = np.lexsort((pr, pq))  # by partner, then run
    pr, pq = pr[order].astype(np.int64), pq[order].astype(np.int64)
    runs = np.unique(pr).astype(np.int64)
    return _Layout(n, pooled, kind, pr, pq, runs, np.searchsorted(runs, pr).astype(np.int64))


def _build(
    problem: SizingProblem,
    lay: _Layout,
    target: Target,
    bound: FloatArray,
    scale: tuple[float, float],
    pool_floor: float = 0.0,
) -> _Model:
    """The model of the kept pairs.

    ``bound`` (P,) is each partner's target row bound (scaled τ C_q for CVaR, the number
    of runs allowed above x C_q for probability); ``pool_floor`` (tonnes) a lower bound
    Σ_p a_p ≥ floor on the pool (pooled; the runs left out may need it).
    """
    scale_t, scale_usd = scale
    n, k = problem.n, lay.n_pairs
    loss = problem.loss_t[lay.pair_run, lay.pair_partner] / scale_t
    cap = problem.cap() / scale_t
    parts = _Rows()
    pairs = np.arange(k, dtype=np.int64)
    partners = np.arange(n, dtype=np.int64)
    z_cols = lay.z0 + pairs
    # a_p − s_p ≤ 0 (a_p ≤ ρ_p as a bound): what holder p can release in any run
    parts.add([partners, partners], [lay.a0 + partners, partners], [1.0, -1.0], -np.inf, 0.0, n)
    if lay.pooled:
        if pool_floor > 0:  # Σ_p a_p ≥ floor
            parts.add([np.zeros(n, dtype=np.int64)], [lay.a0 + partners], [1.0],
                      pool_floor / scale_t, np.inf, 1)  # fmt: skip
        y_cols = lay.y0 + pairs
        # Σ_q Y_rq − Σ_p a_p ≤ 0 per kept run
        m = lay.runs.size
        local = np.arange(m, dtype=np.int64)
        parts.add(
            [lay.pair_local, *([local] * n)],
            [y_cols, *(np.full(m, lay.a0 + p, dtype=np.int64) for p in range(n))],
            [1.0, *([-1.0] * n)],
            -np.inf,
            0.0,
            m,
        )
    else:  # alone: the receipt of pair (r, q) is a_q
        y_cols = lay.a0 + lay.pair_partner
    if target.kind == "cvar":
        # z + t_q + Y ≥ L, then t_q + Σ z / ((1 − α) R) ≤ τ C_q
        parts.add(
            [pairs] * 3, [z_cols, lay.t0 + lay.pair_partner, y_cols], [1.0] * 3, loss, np.inf, k
        )
        kappa = 1.0 / ((1.0 - target.alpha) * problem.runs)
        target_rows = parts.add(
            [partners, lay.pair_partner],
            [lay.t0 + partners, z_cols],
            [1.0, kappa],
            -np.inf,
            bound,
            n,
        )
    else:
        # Y + (L − xC) b ≥ L − xC, then Σ_r b_rq ≤ allowed_q
        excess = loss - target.threshold * problem.consumption_t[lay.pair_partner] / scale_t
        parts.add([pairs, pairs], [y_cols, z_cols], [np.ones(k), excess], excess, np.inf, k)
        target_rows = parts.add([lay.pair_partner], [z_cols], [1.0], -np.inf, bound, n)

    n_cols = lay.n_cols
    cost = np.zeros(n_cols)
    cost[:n] = problem.holding_usd_per_t_year / scale_usd
    col_lower = np.zeros(n_cols)
    col_upper = np.full(n_cols, np.inf)
    col_lower[:n] = problem.lower() / scale_t
    col_upper[:n] = problem.upper() / scale_t
    col_upper[lay.a0 : lay.a0 + n] = cap
    integer = None
    options: dict[str, float | bool | str] = {}
    if target.kind == "probability":
        col_upper[z_cols] = 1.0
        integer = z_cols.astype(np.intp)
        options = {"mip_rel_gap": MIP_REL_GAP, "mip_feasibility_tolerance": 1e-9}
    matrix = csc_arrays(parts.rows, parts.cols, parts.vals, n_cols)
    lp = highs_lp(cost, (col_lower, col_upper), parts.bounds(), matrix, integer)
    h = silent_highs("stockpile sizing", **options)
    import highspy

    if h.passModel(lp) == highspy.HighsStatus.kError:
        raise MinsecError("stockpile sizing: HiGHS rejected the model (passModel failed)")
    size = {"columns": n_cols, "rows": parts.n_rows, "nonzeros": int(matrix[2].size)}
    return _Model(lay, h, size, target_rows)


@dataclass
class _Rows:
    """Row blocks as COO triplets (``add`` numbers the rows of each block from 0)."""

    rows: list[IntArray] = field(default_factory=list)
    cols: list[IntArray] = field(default_factory=list)
    vals: list[FloatArray] = field(default_factory=list)
    lower: list[FloatArray] = field(default_factory=list)
    upper: list[FloatArray] = field(default_factory=list)
    n_rows: int = 0

    def add(
        self,
        rows: list[IntArray],
        cols: list[IntArray],
        vals: list[Any],
        lower: Any,
        upper: Any,
        count: int,
    ) -> IntArray:
        """A block of ``count`` rows: entries (rows[i], cols[i], vals[i]) for each i.

        Returns the block's row indices.
        """
        first = self.n_rows
        for r, c, v in zip(rows, cols, vals, strict=True):
            self.rows.append(self.n_rows + r)
            self.cols.append(c)
            self.vals.append(np.broadcast_to(np.asarray(v, dtype=np.float64), r.shape))
        self.lower.append(np.broadcast_to(np.asarray(lower, dtype=np.float64), (count,)))
        self.upper.append(np.broadcast_to(np.asarray(upper, dtype=np.float64), (count,)))
        self.n_rows += count
        return np.arange(first, first + count, dtype=np.int64)

    def bounds(self) -> tuple[FloatArray, FloatArray]:
        """Row lower and upper bounds."""
        return np.concatenate(self.lower), np.concatenate(self.upper)


# --------------------------------------------------------------------------- solve


def _scale(problem: SizingProblem) -> tuple[float, float]:
    tonnes = float(max(problem.loss_t.max(initial=0.0), problem.lower().max(initial=0.0)))
    return tonnes or 1.0, float(problem.holding_usd_per_t_year.max(initial=0.0)) or 1.0


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


def _run(model: _Model, what: str) -> tuple[str, FloatArray, float]:
    """Solve; returns status ('optimal', 'time limit' or 'infeasible'), columns, MIP gap."""
    import highspy

    h = model.h
    h.run()
    status = h.getModelStatus()
    text = str(h.modelStatusToString(status))
    if status == highspy.HighsModelStatus.kOptimal:
        state = "optimal"
    elif status in (
        highspy.HighsModelStatus.kInfeasible,
        highspy.HighsModelStatus.kUnboundedOrInfeasible,
    ):
        return "infeasible", np.zeros(0), 0.0
    elif status in (highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kIterationLimit):
        state = "time limit"
    else:
        raise MinsecError(f"stockpile sizing ({what}): HiGHS returned {text!r}")
    values = np.asarray(h.getSolution().col_value, dtype=np.float64)
    if values.size != model.layout.n_cols:
        raise MinsecError(f"stockpile sizing ({what}): HiGHS found no solution ({text})")
    gap = float(h.getInfo().mip_gap) if model.layout.kind == "probability" else 0.0
    return state, values, gap


def _unpack(
    problem: SizingProblem, lay: _Layout, values: FloatArray, scale_t: float
) -> tuple[FloatArray, FloatArray]:
    """Stock (P,) and the solver's receipts (R, P) from a solution."""
    stock = np.maximum(values[: problem.n] * scale_t, problem.lower())
    first = np.zeros_like(problem.loss_t)
    if lay.pooled:
        receipts = values[lay.y0 : lay.z0]
        first[lay.pair_run, lay.pair_partner] = np.maximum(receipts, 0.0) * scale_t
    return stock, first


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
    changes the bounds of the target rows, so HiGHS restarts from the last basis (the
    parametric solves of the curve); the model is rebuilt only when the run reduction
    needs more pairs. Probability targets are solved afresh for each cap
    (:mod:`~minsec.disrupt.stockpile_sizing.probability`).
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
        self.scale = _scale(problem)
        self._model: _Model | None = None

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
            raise _infeasible(problem, bounded, pooled, blocked)
        existing = problem.lower().copy()
        got, out = releases(problem, existing, pooled)
        if meets(risk(problem.loss_t - got, problem.consumption_t, bounded), bounded).all():
            return _sizing(
                problem, bounded, pooled, existing, got, out, self.before, "nothing to hold"
            )
        if bounded.kind == "probability":
            from minsec.disrupt.stockpile_sizing.probability import solve_probability

            result = solve_probability(problem, bounded, pooled, self.before, self.time_limit)
            return replace(result, solve_seconds=time.perf_counter() - started)
        if not pooled and self.exact_alone:
            stock = alone_cvar_stock(problem, bounded)
            got, out = releases(problem, stock, pooled=False)
            result = _sizing(
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
            if self._model is None:  # a cold start: interior point (faster on these LPs)
                lay = _layout(problem.n, self.kept, pooled, "cvar")
                self._model = _build(problem, lay, bounded, bound, self.scale)
                self._model.h.setOptionValue("solver", "ipm")
            else:  # a new cap: dual simplex from the last basis
                rows = self._model.target_rows
                self._model.h.changeRowsBounds(
                    rows.size, rows.astype(np.int32), np.full(rows.size, -np.inf), bound
                )
                self._model.h.setOptionValue("solver", "simplex")
            model, lay = self._model, self._model.layout
            state, values, _ = _run(model, f"{'pooled' if pooled else 'alone'}, round {rounds}")
            if state == "infeasible":
                raise _infeasible(problem, bounded, pooled, ())
            stock, first = _unpack(problem, lay, values, self.scale[0])
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
        result = _sizing(
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


def unmet(problem: SizingProblem, target: Target, before: FloatArray, why: str) -> Sizing:
    """A :class:`Sizing` for a target that cannot be met alone.

    No stock (NaN), status ``"infeasible"``, ``why`` in its notes.
    """
    nan = np.full(problem.n, np.nan)
    zeros = np.zeros_like(problem.loss_t)
    return Sizing(
        pooled=False,
        target=target,
        stock_t=nan,
        cost_usd_per_year=math.nan,
        receipts_t=zeros,
        releases_t=zeros,
        residual_t=problem.loss_t,
        risk_before=before,
        risk_after=nan,
        status="infeasible",
        notes=(why,),
    )


def check_met(problem: SizingProblem, result: Sizing, level: float) -> None:
    """Raise if ``result`` misses the target when re-evaluated on all runs (a bug)."""
    if not meets(result.risk_after, result.target, level).all():
        worst = int(np.nanargmax(result.risk_after - level))
        raise MinsecError(
            f"stockpile sizing: the solution misses the target for {problem.partners[worst]} "
            f"when re-evaluated on all runs ({result.risk_after[worst]:.6g} > {level:.6g})"
        )


def _sizing(
    problem: SizingProblem,
    target: Target,
    pooled: bool,
    stock: FloatArray,
    got: FloatArray,
    out: FloatArray,
    before: FloatArray,
    status: str,
    size: dict[str, int] | None = None,
    *,
    solver: str = "",
    seconds: float = 0.0,
    rounds: int = 0,
    kept_pairs: int = 0,
    gap: float = 0.0,
    notes: tuple[str, ...] = (),
) -> Sizing:
    residual = np.maximum(problem.loss_t - got, 0.0)
    return Sizing(
        pooled=pooled,
        target=target,
        stock_t=stock,
        cost_usd_per_year=float(problem.holding_usd_per_t_year @ stock),
        receipts_t=got,
        releases_t=out,
        residual_t=residual,
        risk_before=before,
        risk_after=risk(residual, problem.consumption_t, target),
        status=status,
        solver=solver,
        solve_seconds=seconds,
        rounds=rounds,
        model_size=size or {},
        kept_pairs=kept_pairs,
        mip_gap=gap,
        notes=notes,
    )


# --------------------------------------------------------------------------- feasibility


def infeasible_partners(problem: SizingProblem, target: Target, pooled: bool) -> tuple[int, ...]:
    """Partners whose target cannot be met even if every tonne went to them.

    The most partner q can receive in a run is min(u_q, ρ_q) alone, Σ_p min(u_p, ρ_p)
    pooled; a target missed with that is missed whatever the split. (With no storage or
    release limit every target ≥ 0 can be met: hold the largest loss.)
    """
    most = np.minimum(problem.upper(), problem.cap())
    reach = np.full(problem.n, most.sum()) if pooled else most
    if np.isinf(reach).all():
        return ()
    residual = np.maximum(problem.loss_t - reach[None, :], 0.0)
    value = risk(residual, problem.consumption_t, target)
    return tuple(int(q) for q in np.flatnonzero(~meets(value, target)))


def _infeasible(
    problem: SizingProblem, target: Target, pooled: bool, blocked: tuple[int, ...]
) -> InputError:
    label = target.label()
    mode = "with pooled releases" if pooled else "with each partner's own stock"
    hint = "loosen the target or raise the storage/release limits"
    if blocked:
        names = ", ".join(problem.partners[q] for q in blocked)
        return InputError(
            f"the target {label} cannot be met for {names} {mode}: even all the stock the "
            "storage and release limits allow leaves a larger shortfall",
            column="target",
            hint=hint,
        )
    return InputError(
        f"the target {label} cannot be met for all partners at once {mode} within the storage "
        "and release limits (each could be met alone, not together)",
        column="target",
        hint=hint,
    )
