"""Coordinated allied allocation: who ships or releases how many tonnes to whom, per month.

A linear program, solved with HiGHS through ``highspy``, shares the supply available to a
bloc of partners — spare production capacity, diverted flows and each partner's
stockpile — over a horizon of ``M`` months so as to minimise first the **worst**
partner-month relative shortfall and then the **total** shortfall (``docs/methods.md``,
"Coordinated allied allocation"; ``docs/allocation.md`` explains how to read the output).

Units: tonnes (t) and months; relative shortfalls are fractions 0–1 (``*_frac``) or
percent (``*_pct``).

The linear program
------------------
Index sets: months m, partners j, sources s (stockpiles k ⊆ s), arcs a = (s, j) allowed
by the ``allowed`` mask. Data: need n_mj ≥ 0 (t), reference r_mj > 0 where n_mj > 0
(t, the denominator of the relative shortfall, by default the need), availability
A_ms ≥ 0 (t in month m; for a stockpile its maximum release in month m) and initial stock
Q_k ≥ 0 (t).

Variables (all ≥ 0): x_m,a tonnes over arc a in month m; u_mj shortfall (t); z the worst
relative shortfall (fraction); L_mk stock of stockpile k at the end of month m (t).

Constraint families (one builder function each, named as in the code and docs):

``partner-month-balance``
    u_mj + Σ_{a→j} x_m,a = n_mj. This is the methods' u_mj ≥ n_mj − Σ x together with
    "no partner receives more than it needs" (Σ x ≤ n, implied by u ≥ 0); the optimal
    values are the same because a surplus delivery can always be trimmed.
``source-month-availability``
    Σ_{a from s} x_m,a ≤ A_ms: spare capacity and diverted flows are use-it-or-lose-it
    each month; for a stockpile this is its release-rate limit.
``stockpile-month-balance``
    L_mk = L_(m−1)k − Σ_{a from k} x_m,a with L_(−1)k = Q_k and L ≥ 0: stock not released
    in month m is still there in month m + 1, and releases never exceed the stock.
``partner-month-max-relative-shortfall``
    u_mj − r_mj · z ≤ 0 for every partner-month with n_mj > 0.

Lexicographic objective, three solves of one HiGHS model (warm-started):

1. minimise z (max-min fairness over all partner-months) → z*;
2. fix z ≤ z* + ``z_tolerance`` and minimise Σ u_mj (total shortfall, t) → U*;
3. (``tie_break``) add ``total-shortfall-cap`` Σ u ≤ U* and minimise a
   small transfer cost: 1 per tonne drawn from a stockpile plus 0.5 per tonne that goes
   to a partner other than the source's owner. This only picks, among the solutions of
   stage 2, the one that keeps stockpiles and ships least across borders; it changes
   neither z* nor U*.

The problem is a network flow (sources → partner-months, stockpiles through their
months), so the deliverable receipt vectors form a polymatroid: stage 2 reaches the
largest total delivery whatever z is, i.e. fairness costs no tonnes in total. The LP is
never infeasible (u absorbs any gap); a solver failure raises :class:`MinsecError`.

Numerics: tonnes are divided by the largest need so the LP's numbers are O(1); a source's
availability and a stockpile's stock are capped at the need they could serve (no solution
changes; the dual of a capped, hence slack, constraint is reported as 0); needs at or
below 1e-9 of the largest need are float noise and set to 0 (noted); HiGHS runs with
1e-9 feasibility tolerances, dual simplex for stage 1, primal simplex from the stage-1
basis for stage 2 and dual for stage 3. The reported flows are finally scaled down where
the solver's tolerance let them exceed a limit, so every limit holds to rounding.

The uncoordinated baseline
--------------------------
What partners get without coordination, using the same sources and ``allowed`` arcs:

* each spare-capacity or diverted source is split among the partners it may serve
  **pro rata to their need in that month**; a partner takes at most its need, and a share
  it cannot use is not passed on (that re-routing is what coordination adds);
* each partner then draws **its own** stockpiles (owner = the partner, and the arc to
  itself allowed), in source order, greedily and myopically: in each month it releases
  min(rate, remaining stock, remaining need). Stockpiles of non-partners are not used.

This allocation is feasible for the LP, so the coordinated worst relative shortfall is
never above the uncoordinated one (and, by the polymatroid property, neither is the
coordinated total).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from minsec.disrupt.model import Baseline, BoolArray, FloatArray, Outcome, Responses
from minsec.errors import InputError, MinsecError
from minsec.highs import silent_highs

IntArray = npt.NDArray[np.int64]

SPARE_CAPACITY = "spare_capacity"
DIVERTED = "diverted"
STOCKPILE = "stockpile"
KINDS = (SPARE_CAPACITY, DIVERTED, STOCKPILE)
"""The kinds of source the allocation knows."""

STOCKPILE_WEIGHT = 1.0
"""Tie-break cost (stage 3) per tonne drawn from a stockpile."""
CROSS_BORDER_WEIGHT = 0.5
"""Tie-break cost (stage 3) per tonne delivered to a partner other than the owner."""

SIMPLEX_DUAL = 1
SIMPLEX_PRIMAL = 4
"""HiGHS ``simplex_strategy`` values."""
NEED_NOISE = 1e-9
"""Needs at or below this fraction of the largest need are float noise and set to 0."""
REFERENCE_FLOOR = 1e-8
"""A reference must exceed this fraction of the largest need where the need is > 0."""

FAMILIES = (
    "partner-month-balance",
    "source-month-availability",
    "stockpile-month-balance",
    "partner-month-max-relative-shortfall",
)
"""Constraint families of the LP, in row order."""

SHORTFALL_BEFORE_STOCK_KEY = "shortfall_before_stock_t"
"""Optional ``Outcome.extra`` key, ``(R, M, n)`` t: shortfall had no stockpile been drawn."""
STOCK_RECEIVED_KEY = "stock_received_t"
"""``Outcome.extra`` key (engine, ``detail=True``), ``(R, M, n)`` t received from stocks."""
SPARE_UNUSED_KEY = "spare_capacity_unused_t"
"""Optional ``Outcome.extra`` key, ``(R, M, n)`` t: spare capacity the market left unused."""
SPARE_CAPACITY_KEY = "spare_capacity_t"
"""Optional ``Outcome.extra`` key, ``(R, M, n)`` t: ramped spare capacity K = σ P ρ(m)."""
SPARE_OUTPUT_KEY = "spare_output_t"
"""``Outcome.extra`` key (engine, ``detail=True``), ``(R, M, n)`` t of spare capacity sold."""


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Sources:
    """The supply the bloc may share, one column per source.

    Attributes
    ----------
    names:
        ``S`` unique source ids (e.g. ``"JPN stockpile"``).
    kinds:
        ``S`` kinds, each one of :data:`KINDS`.
    owners:
        ``S`` country ids owning each source (a partner or not; only a partner's own
        stockpile is used in the uncoordinated baseline).
    available_t:
        ``(M, S)`` tonnes available in each month: for spare capacity and diverted flows
        what can be shipped that month (unused tonnes are lost); for a stockpile its
        maximum release in that month (t/month).
    stock_t:
        ``(S,)`` initial stock of each stockpile (t); ignored for other kinds.
    """

    names: tuple[str, ...]
    kinds: tuple[str, ...]
    owners: tuple[str, ...]
    available_t: FloatArray
    stock_t: FloatArray

    def __post_init__(self) -> None:
        names, kinds, owners = tuple(self.names), tuple(self.kinds), tuple(self.owners)
        available = np.asarray(self.available_t, dtype=np.float64)
        stock = np.asarray(self.stock_t, dtype=np.float64).reshape(-1)
        n = len(names)
        if len(kinds) != n or len(owners) != n:
            raise InputError(
                f"sources: {n} names, {len(kinds)} kinds and {len(owners)} owners; "
                "expected one of each per source",
                column="kinds/owners",
            )
        if len(set(names)) != n:
            dupes = sorted({x for x in names if names.count(x) > 1})
            raise InputError(f"source names must be unique, repeated: {dupes}", column="names")
        bad = sorted({k for k in kinds if k not in KINDS})
        if bad:
            raise InputError(
                f"unknown source kind(s) {bad}; expected one of {KINDS}", column="kinds"
            )
        if available.ndim != 2 or available.shape[1] != n:
            raise InputError(
                f"available_t has shape {available.shape}; expected (months, {n})",
                column="available_t",
            )
        if stock.shape != (n,):
            raise InputError(f"stock_t has shape {stock.shape}; expected ({n},)", column="stock_t")
        _check_nonnegative(available, "available_t")
        is_stock = np.array([k == STOCKPILE for k in kinds], dtype=bool)
        _check_nonnegative(stock[is_stock], "stock_t")
        stock = np.where(is_stock, stock, 0.0)
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "kinds", kinds)
        object.__setattr__(self, "owners", owners)
        object.__setattr__(self, "available_t", available)
        object.__setattr__(self, "stock_t", stock)

    @property
    def months(self) -> int:
        """Number of months M."""
        return int(self.available_t.shape[0])

    @property
    def size(self) -> int:
        """Number of sources S."""
        return len(self.names)

    @property
    def is_stockpile(self) -> BoolArray:
        """``(S,)`` True for stockpiles."""
        return np.array([k == STOCKPILE for k in self.kinds], dtype=bool)

    @classmethod
    def empty(cls, months: int) -> Sources:
        """No sources at all over ``months`` months."""
        return cls((), (), (), np.zeros((months, 0)), np.zeros(0))

    @classmethod
    def stack(cls, parts: Sequence[Sources], months: int | None = None) -> Sources:
        """Concatenate sources (all over the same months); ``months`` if ``parts`` is empty."""
        if not parts:
            if months is None:
                raise InputError("Sources.stack of no parts needs months", column="months")
            return cls.empty(months)
        return cls(
            tuple(n for p in parts for n in p.names),
            tuple(k for p in parts for k in p.kinds),
            tuple(o for p in parts for o in p.owners),
            np.hstack([p.available_t for p in parts]),
            np.concatenate([p.stock_t for p in parts]),
        )

    def frame(self) -> pd.DataFrame:
        """Tidy view: month, source, source_kind, owner, available_t, stock_t."""
        months, size = self.available_t.shape
        return pd.DataFrame(
            {
                "month": np.repeat(np.arange(months), size),
                "source": np.tile(np.array(self.names, dtype=object), months),
                "source_kind": np.tile(np.array(self.kinds, dtype=object), months),
                "owner": np.tile(np.array(self.owners, dtype=object), months),
                "available_t": self.available_t.reshape(-1),
                "stock_t": np.tile(self.stock_t, months),
            }
        )


def flow_source(name: str, kind: str, owner: str, available_t: npt.ArrayLike) -> Sources:
    """One spare-capacity or diverted source with ``available_t`` tonnes per month ``(M,)``."""
    if kind == STOCKPILE:
        raise InputError("use stockpile_source for stockpiles", column="kind")
    avail = np.asarray(available_t, dtype=np.float64).reshape(-1, 1)
    return Sources((name,), (kind,), (owner,), avail, np.zeros(1))


def stockpile_source(
    name: str,
    owner: str,
    stock_t: float,
    release_t_per_month: float | npt.ArrayLike,
    months: int,
) -> Sources:
    """One stockpile: ``stock_t`` tonnes at the start, at most ``release_t_per_month``.

    ``release_t_per_month`` is a scalar or an ``(M,)`` array of t/month.
    """
    rate = np.broadcast_to(np.asarray(release_t_per_month, dtype=np.float64), (months,))
    return Sources(
        (name,), (STOCKPILE,), (owner,), rate.reshape(-1, 1).copy(), np.array([float(stock_t)])
    )


def sharing_mask(
    sources: Sources, partners: Sequence[str], *, share_stockpiles: bool = True
) -> BoolArray:
    """``(S, P)`` allowed arcs: flows to every partner; stockpiles to all or their owner.

    With ``share_stockpiles=False`` a stockpile may only go to its owner (and nowhere if
    its owner is not a partner); spare capacity and diverted flows may go to any partner.
    """
    partners = tuple(partners)
    mask = np.ones((sources.size, len(partners)), dtype=bool)
    if not share_stockpiles:
        for s in np.flatnonzero(sources.is_stockpile):
            mask[s] = [p == sources.owners[s] for p in partners]
    return mask


# --------------------------------------------------------------------------- output


@dataclass(frozen=True)
class Allocation:
    """The coordinated allocation and the uncoordinated baseline.

    Attributes
    ----------
    flows:
        One row per month × source × partner with tonnes > 0, for both outcomes:
        ``month`` (0-based), ``source``, ``source_kind``, ``owner``, ``partner``,
        ``tonnes`` (t shipped or released to the partner in that month), ``coordinated``.
    shortfall:
        One row per month × partner and outcome: ``need_t``, ``reference_t`` (the
        denominator of the relative shortfall), ``received_t`` (Σ flows), ``shortfall_t``
        = need − received, ``shortfall_pct`` = 100 · shortfall / reference (0 where the
        need is 0), ``coordinated``.
    sources:
        One row per month × source: ``available_t``, ``used_t`` (coordinated),
        ``used_t_uncoordinated`` and ``shortfall_reduction_t_per_t``, the stage-2 dual
        of ``source-month-availability``: tonnes of total shortfall one more tonne of
        that source in that month would remove (0–1, worst shortfall held at z*; one
        valid value where the LP is degenerate).
    stocks:
        One row per month × stockpile and outcome: ``stock_start_t``, ``released_t``,
        ``stock_end_t`` (t), ``coordinated`` and ``shortfall_reduction_t_per_t``, the
        stage-2 dual of ``stockpile-month-balance``: tonnes of total shortfall one more
        tonne added to the stockpile in that month (known in advance) would remove
        (0–1; NaN on the uncoordinated rows, which come from no LP).
    max_shortfall_frac, total_shortfall_t:
        Coordinated: worst relative shortfall over partner-months with need > 0
        (fraction 0–1) and Σ shortfall (t), from the reported flows.
    uncoordinated_max_shortfall_frac, uncoordinated_total_shortfall_t:
        The same for the uncoordinated baseline.
    objectives:
        Stage values: ``max_relative_shortfall`` (z*, fraction), ``total_shortfall_t``
        (U*, t) and, with the tie-break, ``transfer_cost_t`` (weighted t).
    status:
        ``"optimal"`` (every stage solved to optimality) or ``"no need"`` (all needs
        were 0; no LP was solved).
    stage_status:
        HiGHS model status of each stage solved.
    solver, solve_seconds, lp_size:
        Solver name and version; wall time of the solves (s); columns, rows and
        nonzeros of the LP (before the stage-3 row).
    notes:
        Definitions and caveats shown with the result.
    """

    flows: pd.DataFrame
    shortfall: pd.DataFrame
    sources: pd.DataFrame
    stocks: pd.DataFrame
    max_shortfall_frac: float
    total_shortfall_t: float
    uncoordinated_max_shortfall_frac: float
    uncoordinated_total_shortfall_t: float
    objectives: dict[str, float]
    status: str
    stage_status: tuple[str, ...] = ()
    solver: str = ""
    solve_seconds: float = 0.0
    lp_size: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = field(default_factory=tuple)

    def summary(self) -> dict[str, Any]:
        """Headline figures: worst and total shortfall with and without coordination."""
        return {
            "max_shortfall_pct": 100.0 * self.max_shortfall_frac,
            "uncoordinated_max_shortfall_pct": 100.0 * self.uncoordinated_max_shortfall_frac,
            "total_shortfall_t": self.total_shortfall_t,
            "uncoordinated_total_shortfall_t": self.uncoordinated_total_shortfall_t,
            "status": self.status,
        }


# --------------------------------------------------------------------------- the LP


@dataclass(frozen=True)
class _Layout:
    """Column layout: x (M·A), u (M·P), z (1), L (M·K), in that order."""

    months: int
    partners: int
    arc_source: IntArray
    arc_partner: IntArray
    stockpiles: IntArray  # source index of each stockpile k
    stock_position: IntArray  # (S,) k of each source, −1 if not a stockpile

    @property
    def arcs(self) -> int:
        return int(self.arc_source.size)

    @property
    def n_x(self) -> int:
        return self.months * self.arcs

    @property
    def u0(self) -> int:
        return self.n_x

    @property
    def z(self) -> int:
        return self.u0 + self.months * self.partners

    @property
    def l0(self) -> int:
        return self.z + 1

    @property
    def n_cols(self) -> int:
        return self.l0 + self.months * int(self.stockpiles.size)


@dataclass(frozen=True)
class _Block:
    """Rows of one constraint family, in local row numbers."""

    family: str
    n_rows: int
    rows: IntArray
    cols: IntArray
    vals: FloatArray
    lower: FloatArray
    upper: FloatArray


def _x_cols(lay: _Layout) -> IntArray:
    """``(M, A)`` column of x_m,a."""
    return np.arange(lay.n_x, dtype=np.int64).reshape(lay.months, lay.arcs)


def _partner_month_balance(lay: _Layout, need: FloatArray) -> _Block:
    """``partner-month-balance``: u_mj + Σ_{a→j} x_m,a = n_mj (row m·P + j)."""
    months, partners = need.shape
    x_rows = (np.arange(months)[:, None] * partners + lay.arc_partner[None, :]).reshape(-1)
    u_idx = np.arange(months * partners, dtype=np.int64)
    rows = np.concatenate([x_rows, u_idx])
    cols = np.concatenate([_x_cols(lay).reshape(-1), lay.u0 + u_idx])
    rhs = need.reshape(-1)
    return _Block(FAMILIES[0], months * partners, rows, cols, np.ones(rows.size), rhs, rhs)


def _source_month_availability(lay: _Layout, available: FloatArray) -> _Block:
    """``source-month-availability``: Σ_{a from s} x_m,a ≤ A_ms (row m·S + s)."""
    months, size = available.shape
    rows = (np.arange(months)[:, None] * size + lay.arc_source[None, :]).reshape(-1)
    cols = _x_cols(lay).reshape(-1)
    n_rows = months * size
    return _Block(
        FAMILIES[1],
        n_rows,
        rows,
        cols,
        np.ones(rows.size),
        np.full(n_rows, -np.inf),
        available.reshape(-1),
    )


def _stockpile_month_balance(lay: _Layout, stock: FloatArray) -> _Block:
    """``stockpile-month-balance``: L_mk − L_(m−1)k + Σ_{a from k} x_m,a = Q_k·[m = 0]."""
    months, n_stock = lay.months, int(lay.stockpiles.size)
    stock_arcs = np.flatnonzero(lay.stock_position[lay.arc_source] >= 0)
    k_of_arc = lay.stock_position[lay.arc_source[stock_arcs]]
    x_rows = (np.arange(months)[:, None] * n_stock + k_of_arc[None, :]).reshape(-1)
    x_cols = _x_cols(lay)[:, stock_arcs].reshape(-1)
    level = np.arange(months * n_stock, dtype=np.int64)  # row = column offset of L_mk
    carried = level[n_stock:]  # rows of months ≥ 1 take −L_(m−1)k
    rows = np.concatenate([x_rows, level, carried])
    cols = np.concatenate([x_cols, lay.l0 + level, lay.l0 + carried - n_stock])
    vals = np.concatenate([np.ones(x_rows.size + level.size), -np.ones(carried.size)])
    rhs = np.zeros(months * n_stock)
    rhs[:n_stock] = stock[lay.stockpiles]
    return _Block(FAMILIES[2], months * n_stock, rows, cols, vals, rhs, rhs)


def _max_relative_shortfall(lay: _Layout, need: FloatArray, reference: FloatArray) -> _Block:
    """``partner-month-max-relative-shortfall``: u_mj − r_mj·z ≤ 0 where n_mj > 0."""
    where = np.flatnonzero(need.reshape(-1) > 0)
    n_rows = int(where.size)
    local = np.arange(n_rows, dtype=np.int64)
    rows = np.concatenate([local, local])
    cols = np.concatenate([lay.u0 + where, np.full(n_rows, lay.z, dtype=np.int64)])
    vals = np.concatenate([np.ones(n_rows), -reference.reshape(-1)[where]])
    return _Block(FAMILIES[3], n_rows, rows, cols, vals, np.full(n_rows, -np.inf), np.zeros(n_rows))


@dataclass(frozen=True)
class _Model:
    """The assembled LP in column-wise (CSC) arrays, and where each family's rows start."""

    n_cols: int
    n_rows: int
    start: npt.NDArray[np.int32]
    index: npt.NDArray[np.int32]
    value: FloatArray
    row_lower: FloatArray
    row_upper: FloatArray
    row_offset: dict[str, int]


def _assemble(lay: _Layout, blocks: Sequence[_Block]) -> _Model:
    """Stack the families' rows and convert COO triplets to CSC (sort by column, row)."""
    offsets: dict[str, int] = {}
    offset = 0
    rows, cols, vals = [], [], []
    for block in blocks:
        offsets[block.family] = offset
        rows.append(block.rows + offset)
        cols.append(block.cols)
        vals.append(block.vals)
        offset += block.n_rows
    row = np.concatenate(rows)
    col = np.concatenate(cols)
    order = np.lexsort((row, col))
    counts = np.bincount(col, minlength=lay.n_cols)
    start = np.zeros(lay.n_cols + 1, dtype=np.int32)
    np.cumsum(counts, out=start[1:])
    return _Model(
        n_cols=lay.n_cols,
        n_rows=offset,
        start=start,
        index=row[order].astype(np.int32),
        value=np.concatenate(vals)[order],
        row_lower=np.concatenate([b.lower for b in blocks]),
        row_upper=np.concatenate([b.upper for b in blocks]),
        row_offset=offsets,
    )


@dataclass(frozen=True)
class _Solved:
    """Primal values and stage results, in scaled tonnes."""

    col_value: FloatArray
    availability_dual: FloatArray  # stage-2 duals of source-month-availability, flat
    stock_dual: FloatArray  # stage-2 duals of stockpile-month-balance, flat (M·K)
    objectives: dict[str, float]
    stage_status: tuple[str, ...]
    solver: str
    seconds: float
    lp_size: dict[str, int] = field(default_factory=dict)


def _solver() -> Any:
    """A silent HiGHS instance for the allocation LP."""
    return silent_highs("allocation")


def _run(h: Any, stage: str) -> str:
    """Solve and insist on an optimal model status; returns the status text."""
    import highspy

    run_status = h.run()
    model_status = h.getModelStatus()
    text = str(h.modelStatusToString(model_status))
    if (
        run_status == highspy.HighsStatus.kError
        or model_status != highspy.HighsModelStatus.kOptimal
    ):
        raise MinsecError(
            f"allocation LP, {stage}: HiGHS returned {text!r} "
            f"(run status {run_status}); the problem should always be feasible since "
            "shortfall variables absorb any gap, so this is a numerical failure: "
            "check the inputs for huge or tiny magnitudes"
        )
    return text


def _solve(
    lay: _Layout,
    model: _Model,
    weights: FloatArray,
    z_tolerance: float,
    tie_break: bool,
) -> _Solved:
    """The three lexicographic stages on one warm-started HiGHS model."""
    import highspy

    inf = highspy.kHighsInf
    started = time.perf_counter()
    lp = highspy.HighsLp()
    lp.num_col_ = model.n_cols
    lp.num_row_ = model.n_rows
    cost = np.zeros(model.n_cols)
    cost[lay.z] = 1.0  # stage 1: minimise z
    lp.col_cost_ = cost
    lp.col_lower_ = np.zeros(model.n_cols)
    lp.col_upper_ = np.full(model.n_cols, inf)
    lp.row_lower_ = np.where(np.isinf(model.row_lower), -inf, model.row_lower)
    lp.row_upper_ = np.where(np.isinf(model.row_upper), inf, model.row_upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = model.n_cols
    lp.a_matrix_.num_row_ = model.n_rows
    lp.a_matrix_.start_ = model.start
    lp.a_matrix_.index_ = model.index
    lp.a_matrix_.value_ = model.value

    h = _solver()
    if h.passModel(lp) == highspy.HighsStatus.kError:
        raise MinsecError("allocation LP: HiGHS rejected the model (passModel failed)")
    statuses = [_run(h, "stage 1 (minimise the worst relative shortfall)")]
    z_star = float(np.asarray(h.getSolution().col_value)[lay.z])

    u_cols = np.arange(lay.u0, lay.z, dtype=np.int32)
    n_u = int(u_cols.size)
    h.changeColBounds(lay.z, 0.0, z_star + z_tolerance)
    h.changeColCost(lay.z, 0.0)
    h.changeColsCost(n_u, u_cols, np.ones(n_u))
    # the stage-1 basis stays primal feasible (only z's bound and the costs changed), so
    # primal simplex restarts from it in a handful of iterations; dual simplex would not
    h.setOptionValue("simplex_strategy", SIMPLEX_PRIMAL)
    statuses.append(_run(h, "stage 2 (minimise the total shortfall at z*)"))
    solution = h.getSolution()
    values = np.asarray(solution.col_value, dtype=np.float64)
    total = float(values[lay.u0 : lay.z].sum())
    row_dual = np.asarray(solution.row_dual, dtype=np.float64)
    first, second, third = (model.row_offset[f] for f in FAMILIES[1:])
    duals = row_dual[first:second].copy()
    stock_duals = row_dual[second:third].copy()
    objectives = {"max_relative_shortfall": z_star, "total_shortfall_t": total}

    if tie_break and lay.n_x > 0:
        h.changeColsCost(n_u, u_cols, np.zeros(n_u))
        x_cols = np.arange(lay.n_x, dtype=np.int32)
        h.changeColsCost(lay.n_x, x_cols, weights)
        # total-shortfall-cap, exact: the stage-2 solution satisfies it, and any slack
        # would be used to deliver less (deliveries carry a positive tie-break cost)
        h.addRow(-inf, total, n_u, u_cols, np.ones(n_u))
        h.setOptionValue("simplex_strategy", SIMPLEX_DUAL)  # measured faster here
        statuses.append(_run(h, "stage 3 (tie-break: fewest stock draws and transfers)"))
        values = np.asarray(h.getSolution().col_value, dtype=np.float64)
        objectives["transfer_cost_t"] = float(weights @ values[: lay.n_x])
    version = f"HiGHS {h.version()}" if hasattr(h, "version") else "HiGHS"
    return _Solved(
        values,
        duals,
        stock_duals,
        objectives,
        tuple(statuses),
        version,
        time.perf_counter() - started,
        {"columns": model.n_cols, "rows": model.n_rows, "nonzeros": int(model.value.size)},
    )


# --------------------------------------------------------------------------- baseline


def _uncoordinated(
    need: FloatArray,
    sources: Sources,
    owner_partner: IntArray,
    allowed: BoolArray,
) -> FloatArray:
    """``(M, S, P)`` tonnes of the uncoordinated baseline.

    Flow sources: pro rata to need among the partners each may serve, capped at need.
    Stockpiles: each partner draws its own, greedily, month by month.
    """
    months = need.shape[0]
    available = sources.available_t
    is_stock = sources.is_stockpile
    flow_arcs = allowed & ~is_stock[:, None]
    eligible = need[:, None, :] * flow_arcs[None, :, :]  # (M, S, P) t
    eligible_total = eligible.sum(axis=2, keepdims=True)
    share = np.divide(
        available[:, :, None] * eligible,
        eligible_total,
        out=np.zeros_like(eligible),
        where=eligible_total > 0,
    )
    offered = share.sum(axis=1)  # (M, P) t
    take = np.divide(need, offered, out=np.ones_like(need), where=offered > need)
    flows = share * take[:, None, :]
    residual = np.clip(need - flows.sum(axis=1), 0.0, None)

    level = sources.stock_t.copy()
    own = [
        int(s)
        for s in np.flatnonzero(is_stock)
        if owner_partner[s] >= 0 and allowed[s, owner_partner[s]]
    ]
    for m in range(months):  # stock carries over: a sequential loop over months
        for s in own:
            j = owner_partner[s]
            release = min(available[m, s], level[s], residual[m, j])
            flows[m, s, j] = release
            level[s] -= release
            residual[m, j] -= release
    out: FloatArray = flows
    return out


# --------------------------------------------------------------------------- allocate


def _check_nonnegative(values: FloatArray, name: str) -> None:
    if values.size and not np.all(np.isfinite(values)):
        raise InputError(
            f"{name} holds NaN or infinite values; expected finite tonnes", column=name
        )
    if values.size and values.min() < 0:
        raise InputError(
            f"{name} holds negative values (min {values.min():g}); expected tonnes ≥ 0", column=name
        )


def _inputs(
    need_t: npt.ArrayLike,
    partners: Sequence[str],
    sources: Sources,
    allowed: npt.ArrayLike | None,
    reference_t: npt.ArrayLike | None,
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Validated need (M, P), reference (M, P) and allowed (S, P)."""
    if not partners:
        raise InputError("at least one partner is needed", column="partners")
    if len(set(partners)) != len(partners):
        raise InputError(f"partners must be unique: {list(partners)}", column="partners")
    need = np.asarray(need_t, dtype=np.float64)
    if need.ndim != 2 or need.shape[1] != len(partners) or need.shape[0] < 1:
        raise InputError(
            f"need_t has shape {need.shape}; expected (months ≥ 1, {len(partners)} partners)",
            column="need_t",
        )
    _check_nonnegative(need, "need_t")
    if sources.months != need.shape[0]:
        raise InputError(
            f"sources cover {sources.months} months but need_t {need.shape[0]}",
            column="available_t",
        )
    if reference_t is None:
        reference = need.copy()
    else:
        try:
            reference = np.broadcast_to(
                np.asarray(reference_t, dtype=np.float64), need.shape
            ).copy()
        except ValueError as exc:
            raise InputError(
                f"reference_t does not broadcast to {need.shape}", column="reference_t"
            ) from exc
        _check_nonnegative(reference, "reference_t")
        floor = REFERENCE_FLOOR * float(need.max(initial=0.0))
        if np.any((need > 0) & (reference <= floor)):
            raise InputError(
                "reference_t must be > 0 wherever need_t > 0 (and above 1e-8 of the "
                "largest need, the solver's precision)",
                column="reference_t",
            )
    if allowed is None:
        mask = np.ones((sources.size, len(partners)), dtype=bool)
    else:
        mask = np.asarray(allowed)
        if mask.shape != (sources.size, len(partners)) or mask.dtype != np.bool_:
            raise InputError(
                f"allowed has shape {mask.shape} and dtype {mask.dtype}; expected bool "
                f"({sources.size} sources, {len(partners)} partners)",
                column="allowed",
            )
    return need, reference, mask


def allocate(
    need_t: npt.ArrayLike,
    partners: Sequence[str],
    sources: Sources,
    *,
    allowed: npt.ArrayLike | None = None,
    reference_t: npt.ArrayLike | None = None,
    z_tolerance: float = 1e-9,
    tie_break: bool = True,
) -> Allocation:
    """Share the bloc's supply to minimise the worst, then the total, relative shortfall.

    Parameters
    ----------
    need_t:
        ``(M, P)`` tonnes each partner lacks in each month before sharing (≥ 0).
    partners:
        ``P`` unique partner ids, the columns of ``need_t``.
    sources:
        The supply that may be shared (see :class:`Sources`), over the same M months.
    allowed:
        ``(S, P)`` bool: may source s serve partner j (default: every arc). Build it
        with :func:`sharing_mask`. The uncoordinated baseline uses the same arcs.
    reference_t:
        ``(M, P)`` or ``(P,)`` tonnes: denominator of the relative shortfall u/r (default
        the need itself, as in the methods; pass baseline consumption to be fair in
        percent of consumption). Must be > 0 wherever the need is.
    z_tolerance:
        Slack (fraction) on the worst relative shortfall when stage 2 minimises the total.
    tie_break:
        Run stage 3 (prefer flows over stock draws, own over others' supply).

    Returns
    -------
    Allocation
        Flows, shortfall with and without coordination, source use and marginal values,
        stock paths, the stage objectives and the solver status.

    Raises
    ------
    InputError
        Shapes, names or values that are not as documented.
    MinsecError
        HiGHS is missing or does not reach an optimal solution.
    """
    need, reference, mask = _inputs(need_t, partners, sources, allowed, reference_t)
    noise = (need > 0) & (need <= NEED_NOISE * float(need.max(initial=0.0)))
    need = np.where(noise, 0.0, need)
    partners = tuple(partners)
    months, n_partners = need.shape
    owner_partner = np.array(
        [partners.index(o) if o in partners else -1 for o in sources.owners], dtype=np.int64
    )
    x_unc = _uncoordinated(need, sources, owner_partner, mask)

    arc_source, arc_partner = (a.astype(np.int64) for a in np.nonzero(mask))
    stockpiles = np.flatnonzero(sources.is_stockpile).astype(np.int64)
    stock_position = np.full(sources.size, -1, dtype=np.int64)
    stock_position[stockpiles] = np.arange(stockpiles.size)
    lay = _Layout(months, n_partners, arc_source, arc_partner, stockpiles, stock_position)

    notes = [
        "relative shortfall = shortfall / reference"
        + (" (reference = need)" if reference_t is None else " (reference given)"),
        "uncoordinated: flows pro rata to need among allowed partners, own stockpiles "
        "drawn greedily",
    ]
    if noise.any():
        notes.append(
            f"{int(noise.sum())} partner-month need(s) below {NEED_NOISE:g} of the largest "
            "need set to 0 (float noise, below the solver's precision)"
        )
    if float(need.max(initial=0.0)) <= 0.0:
        x = np.zeros((months, sources.size, n_partners))
        solved = _Solved(
            col_value=np.zeros(0),
            availability_dual=np.zeros(months * sources.size),
            stock_dual=np.zeros(months * lay.stockpiles.size),
            objectives={"max_relative_shortfall": 0.0, "total_shortfall_t": 0.0},
            stage_status=(),
            solver="",
            seconds=0.0,
        )
        return _result(need, reference, partners, sources, x, x_unc, solved, "no need", notes)

    scale = float(need.max())  # solve in units of the largest need: values O(1)
    # no source can deliver more than the need it may serve: capping the right-hand sides
    # there changes no solution and keeps every number of the LP within O(M·P)
    reach = need @ mask.T.astype(np.float64)  # (M, S) t
    available_lp = np.minimum(sources.available_t, reach)
    stock_lp = np.minimum(sources.stock_t, reach.sum(axis=0))
    blocks = [
        _partner_month_balance(lay, need / scale),
        _source_month_availability(lay, available_lp / scale),
        _stockpile_month_balance(lay, stock_lp / scale),
        _max_relative_shortfall(lay, need, reference / scale),
    ]
    model = _assemble(lay, blocks)
    is_stock = sources.is_stockpile
    arc_weight = STOCKPILE_WEIGHT * is_stock[arc_source] + CROSS_BORDER_WEIGHT * (
        owner_partner[arc_source] != arc_partner
    )
    weights = np.tile(arc_weight, months).astype(np.float64)
    solved = _solve(lay, model, weights, z_tolerance, tie_break)

    x_arcs = solved.col_value[: lay.n_x].reshape(months, lay.arcs) * scale
    x = np.zeros((months, sources.size, n_partners))
    x[:, arc_source, arc_partner] = x_arcs
    x = _within_limits(x, need, sources)
    # where a cap applied, the original constraint is slack: its dual is 0
    availability_dual = np.where(
        (sources.available_t > reach).reshape(-1), 0.0, solved.availability_dual
    )
    slack_stock = (sources.stock_t > reach.sum(axis=0))[stockpiles]
    stock_dual = np.where(np.tile(slack_stock, months), 0.0, solved.stock_dual)
    objectives = dict(solved.objectives)
    objectives["total_shortfall_t"] *= scale
    if "transfer_cost_t" in objectives:
        objectives["transfer_cost_t"] *= scale
    solved = replace(
        solved,
        objectives=objectives,
        availability_dual=availability_dual,
        stock_dual=stock_dual,
    )
    return _result(need, reference, partners, sources, x, x_unc, solved, "optimal", notes)


def _within_limits(x: FloatArray, need: FloatArray, sources: Sources) -> FloatArray:
    """Remove the solver's feasibility slack (≤ ~1e-9 relative) from ``(M, S, P)`` tonnes.

    Flows below 1e-9 of the largest need are dropped; then every source-month is scaled
    down to its availability, every stockpile to its stock, and every partner-month to its
    need, so that the reported flows satisfy the limits exactly (to rounding).
    """
    tiny = 1e-9 * float(need.max(initial=0.0))
    x = np.where(x > tiny, x, 0.0)
    used = x.sum(axis=2)  # (M, S)
    factor = np.divide(
        sources.available_t, used, out=np.ones_like(used), where=used > sources.available_t
    )
    x = x * factor[:, :, None]
    drawn = x.sum(axis=(0, 2))  # (S,)
    is_stock = sources.is_stockpile
    factor_s = np.divide(
        sources.stock_t, drawn, out=np.ones_like(drawn), where=is_stock & (drawn > sources.stock_t)
    )
    x = x * factor_s[None, :, None]
    received = x.sum(axis=1)  # (M, P)
    factor_p = np.divide(need, received, out=np.ones_like(received), where=received > need)
    out: FloatArray = x * factor_p[:, None, :]
    return out


def _stock_end(x: FloatArray, sources: Sources) -> FloatArray:
    """``(M, S)`` stock at the end of each month (t) after the releases in ``x``."""
    released = np.cumsum(x.sum(axis=2), axis=0)
    out: FloatArray = np.clip(sources.stock_t[None, :] - released, 0.0, None)
    return out


def _result(
    need: FloatArray,
    reference: FloatArray,
    partners: tuple[str, ...],
    sources: Sources,
    x_full: FloatArray,
    x_unc: FloatArray,
    solved: _Solved,
    status: str,
    notes: list[str],
) -> Allocation:
    """Frames and headline figures from coordinated and uncoordinated ``(M, S, P)`` t."""
    months, n_partners = need.shape
    tiny = 1e-9 * max(float(need.max(initial=0.0)), 1.0)
    stockpiles = np.flatnonzero(sources.is_stockpile)
    duals = -solved.availability_dual.reshape(months, sources.size)
    stock_duals = -solved.stock_dual.reshape(months, stockpiles.size)
    names = np.array(sources.names, dtype=object)
    kinds = np.array(sources.kinds, dtype=object)
    owners = np.array(sources.owners, dtype=object)
    partner_arr = np.array(partners, dtype=object)

    def flow_rows(tonnes: FloatArray, coordinated: bool) -> pd.DataFrame:
        m, s, j = np.nonzero(tonnes > tiny)
        return pd.DataFrame(
            {
                "month": m.astype(np.int64),
                "source": names[s],
                "source_kind": kinds[s],
                "owner": owners[s],
                "partner": partner_arr[j],
                "tonnes": tonnes[m, s, j],
                "coordinated": coordinated,
            }
        )

    def shortfall_rows(tonnes: FloatArray, coordinated: bool) -> tuple[pd.DataFrame, float]:
        received = np.minimum(tonnes.sum(axis=1), need)
        short = need - received
        frac = np.divide(short, reference, out=np.zeros_like(short), where=need > 0)
        frame = pd.DataFrame(
            {
                "month": np.repeat(np.arange(months), n_partners),
                "partner": np.tile(partner_arr, months),
                "need_t": need.reshape(-1),
                "reference_t": reference.reshape(-1),
                "received_t": received.reshape(-1),
                "shortfall_t": short.reshape(-1),
                "shortfall_pct": 100.0 * frac.reshape(-1),
                "coordinated": coordinated,
            }
        )
        return frame, float(frac.max(initial=0.0))

    flows = pd.concat([flow_rows(x_full, True), flow_rows(x_unc, False)], ignore_index=True)
    short_c, worst_c = shortfall_rows(x_full, True)
    short_u, worst_u = shortfall_rows(x_unc, False)
    shortfall = pd.concat([short_c, short_u], ignore_index=True)

    size = sources.size
    source_frame = pd.DataFrame(
        {
            "month": np.repeat(np.arange(months), size),
            "source": np.tile(names, months),
            "source_kind": np.tile(kinds, months),
            "owner": np.tile(owners, months),
            "available_t": sources.available_t.reshape(-1),
            "used_t": x_full.sum(axis=2).reshape(-1),
            "used_t_uncoordinated": x_unc.sum(axis=2).reshape(-1),
            "shortfall_reduction_t_per_t": duals.reshape(-1),
        }
    )

    def stock_rows(tonnes: FloatArray, coordinated: bool) -> pd.DataFrame:
        k = stockpiles
        released = tonnes.sum(axis=2)[:, k]
        end_k = _stock_end(tonnes, sources)[:, k]
        start_k = np.vstack([sources.stock_t[k][None, :], end_k[:-1]])
        return pd.DataFrame(
            {
                "month": np.repeat(np.arange(months), k.size),
                "source": np.tile(names[k], months),
                "owner": np.tile(owners[k], months),
                "stock_start_t": start_k.reshape(-1),
                "released_t": released.reshape(-1),
                "stock_end_t": end_k.reshape(-1),
                "shortfall_reduction_t_per_t": (
                    stock_duals.reshape(-1) if coordinated else np.full(end_k.size, np.nan)
                ),
                "coordinated": coordinated,
            }
        )

    stocks = pd.concat(
        [stock_rows(x_full, True), stock_rows(x_unc, False)],
        ignore_index=True,
    )
    out = Allocation(
        flows=flows,
        shortfall=shortfall,
        sources=source_frame,
        stocks=stocks,
        max_shortfall_frac=worst_c,
        total_shortfall_t=float(short_c["shortfall_t"].sum()),
        uncoordinated_max_shortfall_frac=worst_u,
        uncoordinated_total_shortfall_t=float(short_u["shortfall_t"].sum()),
        objectives=solved.objectives,
        status=status,
        stage_status=solved.stage_status,
        solver=solved.solver,
        solve_seconds=solved.seconds,
        lp_size=solved.lp_size,
        notes=tuple(notes),
    )
    for frame in (out.flows, out.shortfall, out.sources, out.stocks):
        frame.attrs["units"] = "tonnes (t); months 0-based from the start of the horizon"
    return out


# --------------------------------------------------------------------------- adapter


def allocation_from_outcome(
    baseline: Baseline,
    outcome: Outcome,
    responses: Responses,
    partners: Sequence[str] | None = None,
    *,
    run: int = 0,
    share_stockpiles: bool = True,
    relative_to: Literal["consumption", "need"] = "consumption",
    **options: Any,
) -> Allocation:
    """Allocate among ``partners`` after one engine run (by default run 0).

    Inputs built from the engine's :class:`~minsec.disrupt.model.Outcome` (for the
    ``extra`` arrays, run :func:`minsec.disrupt.engine.propagate` with ``detail=True``):

    * need (t/month) = each partner's shortfall **before any stockpile draw**, because the
      allocation re-decides every draw: ``extra["shortfall_before_stock_t"]`` if present;
      else ``shortfall_t + extra["stock_received_t"]`` (what the engine's stock draws
      delivered is added back); else ``shortfall_t + stock_release_t``, which is right only
      when the engine ran without a sharing bloc (then each holder receives its own draw;
      with a bloc and no ``stock_received_t`` this raises). The price and spare-capacity
      response to the removed draws is ignored (partial equilibrium, one pass);
    * one stockpile source per partner with stock > 0: ``responses.stockpile_t`` and
      ``responses.release_rate_t_per_month`` (the same rate every month);
    * one spare-capacity source per partner with spare capacity the market left unused:
      ``extra["spare_capacity_unused_t"]`` if present, else
      ``extra["spare_capacity_t"] − extra["spare_output_t"]`` (ramped capacity minus what
      was sold); without either, no spare capacity is shared (noted in the result) —
      capacity already sold is already in ``supply_t``;
    * relative shortfall in percent of baseline monthly consumption
      (``outcome.baseline_monthly_t``, ``relative_to="consumption"``; of the need where
      the need exceeds consumption, so it stays ≤ 100 %) or of the need
      (``relative_to="need"``, as in the methods).

    ``partners`` defaults to ``responses.sharing_bloc``; ``share_stockpiles=False`` keeps
    each stockpile at home. Further keyword ``options`` go to :func:`allocate`.
    """
    partners = tuple(responses.sharing_bloc if partners is None else partners)
    if not partners:
        raise InputError(
            "no partners: pass partners or set Responses.sharing_bloc", column="partners"
        )
    unknown = [p for p in partners if p not in baseline.countries]
    if unknown:
        raise InputError(f"partners not in the baseline's countries: {unknown}", column="partners")
    runs = outcome.shortfall_t.shape[0]
    if not 0 <= run < runs:
        raise InputError(f"run {run} is outside the outcome's {runs} runs", column="run")
    idx = np.array([baseline.index(p) for p in partners], dtype=np.int64)
    extra = outcome.extra

    def pick(key: str) -> FloatArray:
        out: FloatArray = np.asarray(extra[key], dtype=np.float64)[run][:, idx]
        return out

    notes: list[str] = []
    shortfall = np.asarray(outcome.shortfall_t, dtype=np.float64)[run][:, idx]
    if SHORTFALL_BEFORE_STOCK_KEY in extra:
        need = pick(SHORTFALL_BEFORE_STOCK_KEY)
        notes.append(f"need = extra[{SHORTFALL_BEFORE_STOCK_KEY!r}]")
    elif STOCK_RECEIVED_KEY in extra:
        need = shortfall + pick(STOCK_RECEIVED_KEY)
        notes.append(f"need = shortfall_t + extra[{STOCK_RECEIVED_KEY!r}]")
    else:
        release = np.asarray(outcome.stock_release_t, dtype=np.float64)[run]
        if responses.sharing_bloc and release.any():
            raise InputError(
                "the outcome was computed with a sharing bloc, so stock_release_t (what "
                "each holder drew) is not what each member received: pass an outcome "
                f"with extra[{STOCK_RECEIVED_KEY!r}] (propagate(..., detail=True))",
                column="extra",
            )
        need = shortfall + release[:, idx]
        notes.append("need = shortfall_t + stock_release_t (engine draws added back)")
    need = np.clip(need, 0.0, None)
    months = need.shape[0]

    parts: list[Sources] = []
    for p, i in zip(partners, idx, strict=True):
        if responses.stockpile_t[i] > 0:
            rate = float(responses.release_rate_t_per_month[i])
            stock = float(responses.stockpile_t[i])
            parts.append(stockpile_source(f"{p} stockpile", p, stock, rate, months))
    spare: FloatArray | None = None
    if SPARE_UNUSED_KEY in extra:
        spare = pick(SPARE_UNUSED_KEY)
    elif SPARE_CAPACITY_KEY in extra and SPARE_OUTPUT_KEY in extra:
        spare = pick(SPARE_CAPACITY_KEY) - pick(SPARE_OUTPUT_KEY)
    else:
        notes.append(
            f"no spare capacity shared: the outcome has neither extra[{SPARE_UNUSED_KEY!r}] "
            f"nor extra[{SPARE_CAPACITY_KEY!r}] with extra[{SPARE_OUTPUT_KEY!r}]"
        )
    if spare is not None:
        spare = np.clip(spare, 0.0, None)
        for k, p in enumerate(partners):
            if spare[:, k].max(initial=0.0) > 0:
                parts.append(flow_source(f"{p} spare capacity", SPARE_CAPACITY, p, spare[:, k]))
    sources = Sources.stack(parts, months=months)
    mask = sharing_mask(sources, partners, share_stockpiles=share_stockpiles)
    reference: FloatArray | None = None
    if relative_to == "consumption":
        base = np.asarray(outcome.baseline_monthly_t, dtype=np.float64)[idx]
        reference = np.broadcast_to(base, need.shape).copy()
        low = (need > 0) & (reference < need)
        reference[low] = need[low]  # need above consumption (or none recorded): the need
        notes.append("relative shortfall in % of baseline monthly consumption")
    elif relative_to != "need":
        raise InputError(
            f"relative_to={relative_to!r}; expected 'consumption' or 'need'", column="relative_to"
        )
    result = allocate(need, partners, sources, allowed=mask, reference_t=reference, **options)
    return replace(result, notes=result.notes + tuple(notes))
