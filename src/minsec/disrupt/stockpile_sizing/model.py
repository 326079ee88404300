"""The HiGHS model of a sizing: columns, rows and solve (CVaR LP or probability MIP).

Columns s (P) | a (P) | t (P, CVaR) | Y (K, pooled) | z or b (K) for the K kept
(run, partner) pairs; the rows and their meaning are in
:mod:`minsec.disrupt.stockpile_sizing.lp`. Tonnes are divided by the largest loss (or
existing stock) and costs by the largest cost, so the model's numbers are O(1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minsec.disrupt.stockpile_sizing.problem import BoolArray, FloatArray, IntArray, SizingProblem
from minsec.disrupt.stockpile_sizing.target import Target
from minsec.errors import MinsecError
from minsec.highs import csc_arrays, highs_lp, silent_highs

MIP_TIME_LIMIT_S = 60.0
"""Default time limit of a probability-target MIP (the best solution found is kept)."""
MIP_REL_GAP = 1e-6
"""Relative gap at which a probability-target MIP stops."""


@dataclass
class Layout:
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
        """K, the kept pairs."""
        return int(self.pair_run.size)

    @property
    def a0(self) -> int:
        """First a column."""
        return self.n_partners

    @property
    def t0(self) -> int:
        """First t column (CVaR)."""
        return self.a0 + self.n_partners

    @property
    def y0(self) -> int:
        """First Y column (pooled)."""
        return self.t0 + (self.n_partners if self.kind == "cvar" else 0)

    @property
    def z0(self) -> int:
        """First z (CVaR) or b (probability) column."""
        return self.y0 + (self.n_pairs if self.pooled else 0)

    @property
    def n_cols(self) -> int:
        """Columns of the model."""
        return self.z0 + self.n_pairs


@dataclass
class Model:
    """A HiGHS instance holding the model, with its layout, size and target rows."""

    layout: Layout
    h: Any
    size: dict[str, int]
    target_rows: IntArray


def layout(n: int, keep: BoolArray, pooled: bool, kind: str) -> Layout:
    """The columns of a model of ``n`` partners keeping the pairs ``keep`` (R, P)."""
    pr, pq = np.nonzero(keep)
    order = np.lexsort((pr, pq))  # by partner, then run
    pr, pq = pr[order].astype(np.int64), pq[order].astype(np.int64)
    runs = np.unique(pr).astype(np.int64)
    return Layout(n, pooled, kind, pr, pq, runs, np.searchsorted(runs, pr).astype(np.int64))


def build(
    problem: SizingProblem,
    lay: Layout,
    target: Target,
    bound: FloatArray,
    scale: tuple[float, float],
    pool_floor: float = 0.0,
) -> Model:
    """The model of the kept pairs.

    ``bound`` (P,) is each partner's target row bound (scaled τ C_q for CVaR, the number
    of runs allowed above x C_q for probability); ``pool_floor`` (tonnes) a lower bound
    Σ_p a_p ≥ floor on the pool (pooled; the runs left out may need it).
    """
    scale_t, scale_usd = scale
    n, k = problem.n, lay.n_pairs
    loss = problem.loss_t[lay.pair_run, lay.pair_partner] / scale_t
    cap = problem.cap() / scale_t
    parts = Rows()
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
    return Model(lay, h, size, target_rows)


@dataclass
class Rows:
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


def scale(problem: SizingProblem) -> tuple[float, float]:
    """Tonnes and USD that the model's numbers are divided by."""
    tonnes = float(max(problem.loss_t.max(initial=0.0), problem.lower().max(initial=0.0)))
    return tonnes or 1.0, float(problem.holding_usd_per_t_year.max(initial=0.0)) or 1.0


def run(model: Model, what: str) -> tuple[str, FloatArray, float]:
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


def unpack(
    problem: SizingProblem, lay: Layout, values: FloatArray, scale_t: float
) -> tuple[FloatArray, FloatArray]:
    """Stock (P,) and the solver's receipts (R, P) from a solution."""
    stock = np.maximum(values[: problem.n] * scale_t, problem.lower())
    first = np.zeros_like(problem.loss_t)
    if lay.pooled:
        receipts = values[lay.y0 : lay.z0]
        first[lay.pair_run, lay.pair_partner] = np.maximum(receipts, 0.0) * scale_t
    return stock, first
