"""Two-stage stochastic project portfolio: which projects to back, with which instrument.

Pure functions over arrays (no store, no CLI), solved with HiGHS through ``highspy`` by
default or with SCIP through ``pyscipopt`` (``solver="scip"``; ``docs/finance.md``,
"Portfolio optimiser" and "Solvers"). :func:`solve` is the general model; :func:`optimise`
is the one-mineral, one-partner form with step start dates.

Index sets: projects p (P), instrument options k (K), scenarios s (S, probability π_s),
years t (T, 0-based), groups g (G: one mineral × partner each), partners q (Q, for
per-partner budgets). Data:

* c_pk public cost of backing p with option k (USD; NaN = not allowed);
* a_stp tonnes p adds in year t of scenario s at full participation (capacity × ramp-up ×
  the share of the year it runs, after its scenario's permitting and construction);
* o_pg share of p's output that counts against group g's shortfall (offtake);
* n_stg shortfall of group g in year t of scenario s without new projects (t);
* w_g weight of a tonne of group g in the objective (1 = plain tonnes);
* B total public budget (USD); optionally B_q per partner with cost shares h_pq.

Variables: y_pk ∈ {0, 1} (``binary=True``, a MIP) or [0, 1]; x_p = Σ_k y_pk ∈ [0, 1]
participation; u_stg ≥ 0 shortfall (only where n_stg > 0); for CVaR η (free), v_s ≥ 0.
Constraint families (row order, absent ones skipped):

``participation``      x_p − Σ_k y_pk = 0 per project;
``budget``             Σ_pk c_pk y_pk ≤ B;
``partner-budget``     Σ_pk h_pq c_pk y_pk ≤ B_q per partner q;
``scenario-year-shortfall``
                       u_stg + Σ_p a_stp o_pg x_p ≥ n_stg;
``scenario-cvar``      v_s − Σ_tg w_g u_stg + η ≥ 0 (objective ``"cvar"`` only);
``country-share``      Σ_{p∈c} cap_p x_p − m Σ_p cap_p x_p ≤ 0 per country c.

Scenario loss L_s = Σ_tg w_g u_stg. Objectives: ``"expected"`` min Σ_s π_s L_s;
``"cvar"`` (Rockafellar–Uryasev) min η + 1/(1−α) Σ_s π_s v_s, the mean of the worst
(1−α) share of scenario losses; ``"tonnes_per_dollar"`` max Σ_s π_s Σ_tgp w_g a_stp o_pg
x_p, the expected (weighted) tonnes added whether needed or not, for the budget — the naive
"most tonnes per dollar" benchmark (its shortfall is evaluated afterwards).

Scenario reduction (``buckets``): the S scenarios are sorted by their loss without
projects; scenarios without any loss form one bucket and the others are cut into at most
``buckets − 1`` buckets of equal count; each bucket is one scenario with the summed
probability and the probability-weighted mean need and supply. By Jensen's inequality the
reduced model's shortfall is a lower bound of the true one for a fixed portfolio; the
selection is approximate, but every figure reported (shortfalls, CVaR, objective) is
recomputed exactly on all S scenarios.

Post-processing (changes no objective value): each chosen project gets its cheapest
allowed instrument (supply does not depend on the instrument, and cost shares per partner
are the same for every option, so the cheapest is at least as good); with ``binary=True``
chosen projects whose removal leaves the exact objective unchanged (within 1e-9
relative) and the country-share limit met are dropped, most expensive first. Projects
that add no counted tonnes within the horizon in any scenario are excluded before solving.

Budget dual: the marginal value of one more dollar of the total budget (and of each
partner's budget), in objective units per USD, from the LP. A true marginal value only with
``binary=False`` and without scenario reduction; with ``binary=True`` it comes from the LP
relaxation (solved separately) and is only indicative, since the MIP value is a step
function of B. The duals always come from an LP solved by HiGHS, whichever ``solver``
chooses the portfolio: with ``solver="scip"`` SCIP solves the MIP (or, with
``binary=False``, the LP for the portfolio) and HiGHS solves the same LP once more for the
duals, so HiGHS is needed in every case.

Numerics: tonnes are divided by the largest need or supply, weights by the largest
weight and dollars by the largest of B and the finite costs, so the model's numbers are
O(1); tolerances 1e-9 and a MIP relative gap ``mip_rel_gap`` (default 1e-9).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from minsec.errors import InputError, MinsecError
from minsec.highs import silent_highs

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Objective = Literal["expected", "cvar", "tonnes_per_dollar"]
OBJECTIVES: tuple[str, ...] = ("expected", "cvar", "tonnes_per_dollar")
Solver = Literal["highs", "scip"]
SOLVERS: tuple[str, ...] = ("highs", "scip")
"""MIP solvers of :func:`solve` (the budget duals always come from HiGHS' LP)."""
FAMILIES = (
    "participation",
    "budget",
    "partner-budget",
    "scenario-year-shortfall",
    "scenario-cvar",
    "country-share",
)
"""Constraint families of the model, in row order (absent ones are skipped)."""

DUAL_NOTE_LP = "budget dual from the LP itself (binary=False): a marginal value"
DUAL_NOTE_MIP = (
    "budget dual from the LP relaxation (binary=True): indicative only, the MIP "
    "objective is a step function of the budget"
)
DUAL_NOTE_REDUCED = "; scenarios were reduced to buckets, so the dual is of the reduced model"


@dataclass(frozen=True)
class Portfolio:
    """The chosen portfolio.

    Attributes
    ----------
    chosen:
        Indices of the projects backed (x_p > 0), ascending.
    instrument:
        ``(P,)`` instrument option index per project, −1 where not chosen.
    share:
        ``(P,)`` participation x_p (0/1 with ``binary=True``, else in [0, 1]).
    public_cost_usd:
        Σ c_pk y_pk (USD).
    expected_shortfall_before_t, expected_shortfall_after_t:
        E[L_s], the expected weighted scenario loss Σ_tg w_g shortfall (t when w = 1),
        without and with the portfolio.
    cvar_before_t, cvar_after_t:
        CVaR_α of L_s, without and with.
    objective, objective_value:
        The objective and its exact value with the portfolio (for ``"tonnes_per_dollar"``
        the expected weighted tonnes added over the horizon).
    budget_dual:
        Objective improvement per extra USD of the total budget (≥ 0).
    budget_dual_note:
        Whether the dual is a marginal value (LP) or from the LP relaxation (MIP).
    status:
        ``"optimal"``, ``"time limit"`` (best solution found) or ``"nothing to choose"``.
    solver_status, solver, solve_seconds, model_size, notes:
        Status text of the solver that chose the portfolio, its name/version (with
        ``solver="scip"`` also the HiGHS version used for the duals), wall time (s) of all
        solves, columns/rows/nonzeros of the model, caveats.
    partner_budget_dual:
        ``(Q,)`` objective improvement per extra USD of each partner's budget (≥ 0).
    group_shortfall_before_t, group_shortfall_after_t:
        ``(G,)`` expected shortfall per group over the horizon, t (unweighted).
    loss_before, loss_after:
        ``(S,)`` scenario losses L_s without and with the portfolio.
    build_seconds:
        Wall time (s) spent building the model (inside ``solve_seconds``' total call).
    highs_seconds:
        Wall time (s) of each solver run: ``"mip"`` (or ``"lp"``; SCIP's time with
        ``solver="scip"``) and, with ``binary=True`` or SCIP, ``"lp_dual"`` (the LP, or
        LP relaxation, solved by HiGHS for the budget dual).
    buckets:
        Number of scenarios in the solved model (S without reduction).
    """

    chosen: tuple[int, ...]
    instrument: IntArray
    share: FloatArray
    public_cost_usd: float
    expected_shortfall_before_t: float
    expected_shortfall_after_t: float
    cvar_before_t: float
    cvar_after_t: float
    objective: str
    objective_value: float
    budget_dual: float
    budget_dual_note: str
    status: str
    solver_status: str = ""
    solver: str = ""
    solve_seconds: float = 0.0
    model_size: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    partner_budget_dual: FloatArray = field(default_factory=lambda: np.zeros(0))
    group_shortfall_before_t: FloatArray = field(default_factory=lambda: np.zeros(0))
    group_shortfall_after_t: FloatArray = field(default_factory=lambda: np.zeros(0))
    loss_before: FloatArray = field(default_factory=lambda: np.zeros(0))
    loss_after: FloatArray = field(default_factory=lambda: np.zeros(0))
    build_seconds: float = 0.0
    buckets: int = 0
    highs_seconds: dict[str, float] = field(default_factory=dict)


# --------------------------------------------------------------------------- metrics


def cvar(losses: npt.ArrayLike, alpha: float, prob: npt.ArrayLike | None = None) -> float:
    """CVaR_α of a discrete loss distribution: min_η η + E[(L − η)⁺]/(1 − α).

    The minimum is attained at η = VaR_α, the smallest loss whose cumulative
    probability reaches α (Rockafellar–Uryasev).
    """
    loss = np.asarray(losses, dtype=np.float64).reshape(-1)
    p = _probabilities(prob, loss.size)
    order = np.argsort(loss, kind="stable")
    cum = np.cumsum(p[order])
    idx = int(np.searchsorted(cum, alpha - 1e-12, side="left"))
    var = float(loss[order][min(idx, loss.size - 1)])
    return var + float(np.dot(p, np.maximum(loss - var, 0.0))) / (1.0 - alpha)


def added_tonnes(
    capacity_t: npt.ArrayLike, start_year: npt.ArrayLike, share: npt.ArrayLike, years: int
) -> FloatArray:
    """``(S, T)`` tonnes added in each scenario and year by shares y_p ``(P,)``."""
    cap = np.asarray(capacity_t, dtype=np.float64)
    y = np.asarray(share, dtype=np.float64)
    out: FloatArray = np.einsum("stp,p->st", step_supply(cap, start_year, years), y)
    return out


def step_supply(capacity_t: npt.ArrayLike, start_year: npt.ArrayLike, years: int) -> FloatArray:
    """``(S, T, P)`` supply a_stp = cap_p · [t ≥ start_sp] (full output from the start year)."""
    cap = np.asarray(capacity_t, dtype=np.float64).reshape(-1)
    start = np.asarray(start_year, dtype=np.float64)
    online = np.arange(years)[None, :, None] >= start[:, None, :]  # (S, T, P)
    out: FloatArray = online * cap[None, None, :]
    return out


def scenario_shortfall(need_t: FloatArray, added: FloatArray) -> FloatArray:
    """``(S,)`` Σ_t max(need − added, 0) (t)."""
    out: FloatArray = np.maximum(need_t - added, 0.0).sum(axis=1)
    return out


def group_added(supply_t: FloatArray, offtake: FloatArray, share: FloatArray) -> FloatArray:
    """``(S, T, G)`` tonnes counted for each group: Σ_p a_stp o_pg x_p."""
    n_s, n_t, n_p = supply_t.shape
    out: FloatArray = (supply_t.reshape(n_s * n_t, n_p) @ (offtake * share[:, None])).reshape(
        n_s, n_t, -1
    )
    return out


def scenario_losses(need_t: FloatArray, added: FloatArray, weight: FloatArray) -> FloatArray:
    """``(S,)`` L_s = Σ_tg w_g max(n_stg − added_stg, 0)."""
    out: FloatArray = np.einsum("stg,g->s", np.maximum(need_t - added, 0.0), weight)
    return out


# --------------------------------------------------------------------------- inputs


def _probabilities(prob: npt.ArrayLike | None, n: int) -> FloatArray:
    if prob is None:
        return np.full(n, 1.0 / n)
    p = np.asarray(prob, dtype=np.float64).reshape(-1)
    if p.shape != (n,) or not np.all(np.isfinite(p)) or np.any(p < 0):
        raise InputError(f"prob must be {n} finite non-negative numbers", column="prob")
    if abs(p.sum() - 1.0) > 1e-9:
        raise InputError(f"prob sums to {p.sum()}, expected 1", column="prob")
    return p


def _nonneg(name: str, arr: FloatArray) -> None:
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise InputError(f"{name} must be finite and ≥ 0", column=name)


@dataclass(frozen=True)
class Problem:
    """The data of the general model (see the module doc for the symbols).

    Attributes
    ----------
    cost_usd:
        ``(P, K)`` c_pk, NaN where not allowed.
    supply_t:
        ``(S, T, P)`` a_stp, t per year at full participation.
    need_t:
        ``(S, T, G)`` n_stg, t.
    offtake:
        ``(P, G)`` o_pg in [0, 1].
    weight:
        ``(G,)`` w_g ≥ 0.
    budget_usd:
        B.
    capacity_t:
        ``(P,)`` capacity for the country-share limit (t/y).
    prob:
        ``(S,)`` π_s, equal when None.
    partner_budget_usd, cost_share:
        ``(Q,)`` B_q and ``(P, Q)`` h_pq (both or neither).
    country:
        ``(P,)`` labels for the country-share limit.
    """

    cost_usd: FloatArray
    supply_t: FloatArray
    need_t: FloatArray
    offtake: FloatArray
    weight: FloatArray
    budget_usd: float
    capacity_t: FloatArray
    prob: FloatArray | None = None
    partner_budget_usd: FloatArray | None = None
    cost_share: FloatArray | None = None
    country: npt.NDArray[Any] | None = None

    def check(self) -> None:
        """Raise :class:`InputError` naming the array whose shape or values are wrong."""
        cost = self.cost_usd
        if cost.ndim != 2:
            raise InputError(f"cost_usd has shape {cost.shape}; expected (P, K)", column="cost_usd")
        n_p = cost.shape[0]
        if self.need_t.ndim != 3 or min(self.need_t.shape) < 1:
            raise InputError(
                f"need_t has shape {self.need_t.shape}; expected (S, T, G)", column="need_t"
            )
        n_s, n_t, n_g = self.need_t.shape
        expect = {
            "supply_t": (self.supply_t.shape, (n_s, n_t, n_p)),
            "offtake": (self.offtake.shape, (n_p, n_g)),
            "weight": (self.weight.shape, (n_g,)),
            "capacity_t": (self.capacity_t.shape, (n_p,)),
        }
        for name, (got, want) in expect.items():
            if got != want:
                raise InputError(f"{name} has shape {got}; expected {want}", column=name)
        finite = cost[~np.isnan(cost)]
        if np.any(~np.isfinite(finite)) or np.any(finite < 0):
            raise InputError(
                "cost_usd must be finite and ≥ 0 (NaN = not allowed)", column="cost_usd"
            )
        for name, arr in (
            ("supply_t", self.supply_t),
            ("need_t", self.need_t),
            ("offtake", self.offtake),
            ("weight", self.weight),
            ("capacity_t", self.capacity_t),
        ):
            _nonneg(name, arr)
        if np.any(self.offtake > 1 + 1e-12):
            raise InputError("offtake shares must be ≤ 1", column="offtake")
        if not np.isfinite(self.budget_usd) or self.budget_usd < 0:
            raise InputError(
                f"budget_usd must be finite and ≥ 0, got {self.budget_usd}", column="budget_usd"
            )
        if (self.partner_budget_usd is None) != (self.cost_share is None):
            raise InputError(
                "partner budgets need cost shares (P, Q) and vice versa", column="cost_share"
            )
        if self.partner_budget_usd is not None and self.cost_share is not None:
            n_q = self.partner_budget_usd.size
            if self.cost_share.shape != (n_p, n_q):
                raise InputError(
                    f"cost_share has shape {self.cost_share.shape}; expected ({n_p}, {n_q})",
                    column="cost_share",
                )
            _nonneg("partner_budget_usd", self.partner_budget_usd)
            _nonneg("cost_share", self.cost_share)


# --------------------------------------------------------------------------- reduction


def reduce_scenarios(
    need_t: FloatArray, supply_t: FloatArray, prob: FloatArray, weight: FloatArray, buckets: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Bucket scenarios by their loss without projects (see the module doc).

    Returns the reduced need ``(B, T, G)``, supply ``(B, T, P)`` and probabilities ``(B,)``.
    """
    if buckets < 2:
        raise InputError(f"buckets must be ≥ 2, got {buckets}", column="buckets")
    loss = np.einsum("stg,g->s", need_t, weight)
    order = np.argsort(loss, kind="stable")
    zero = order[loss[order] <= 0.0]
    positive = order[loss[order] > 0.0]
    groups: list[npt.NDArray[np.intp]] = [zero] if zero.size else []
    n_pos = min(buckets - len(groups), positive.size)
    if n_pos > 0:
        groups += [g for g in np.array_split(positive, n_pos) if g.size]
    n_b = len(groups)
    need = np.empty((n_b, *need_t.shape[1:]))
    supply = np.empty((n_b, *supply_t.shape[1:]))
    p = np.empty(n_b)
    for b, idx in enumerate(groups):
        w = prob[idx]
        total = float(w.sum())
        p[b] = total
        frac = w / total if total > 0 else np.full(idx.size, 1.0 / idx.size)
        need[b] = np.tensordot(frac, need_t[idx], axes=1)
        supply[b] = np.tensordot(frac, supply_t[idx], axes=1)
    return need, supply, p / p.sum()


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class _Model:
    start: npt.NDArray[np.int32]  # CSC column starts
    index: npt.NDArray[np.int32]
    value: FloatArray
    n_rows: int
    cost: FloatArray
    col_lower: FloatArray
    col_upper: FloatArray
    row_lower: FloatArray
    row_upper: FloatArray
    n_y: int
    budget_row: int
    partner_rows: IntArray

    @property
    def n_cols(self) -> int:
        return int(self.cost.size)


def _csc(
    rows: list[IntArray], cols: list[IntArray], vals: list[FloatArray], n_cols: int
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32], FloatArray]:
    """Column-wise (CSC) arrays from triplets (no duplicates, zeros dropped)."""
    r = np.concatenate(rows)
    c = np.concatenate(cols)
    v = np.concatenate(vals)
    keep = v != 0.0
    r, c, v = r[keep], c[keep], v[keep]
    order = np.lexsort((r, c))
    r, c, v = r[order], c[order], v[order]
    start = np.searchsorted(c, np.arange(n_cols + 1)).astype(np.int32)
    return start, r.astype(np.int32), v.astype(np.float64)


CHEAPEST_AFTER_S = 5.0
"""The cheapest-among-optima solve runs when the first solve took less than this (s)."""
CHEAPEST_LIMIT_S = 10.0
"""Time limit (s) of the cheapest-among-optima solve."""


def _cheapest_model(model: _Model, optimum: float, rel_tol: float) -> _Model:
    """The model restricted to (near-)optimal solutions, minimising public cost instead.

    Adds the row ``cost · x ≤ optimum + rel_tol · max(|optimum|, 1)`` and makes the budget
    row's coefficients (each option's public cost) the objective: among portfolios as good
    as the optimum, the cheapest.
    """
    n_cols = model.n_cols
    cols = np.repeat(np.arange(n_cols, dtype=np.int64), np.diff(model.start))
    in_budget = model.index == model.budget_row
    public = np.zeros(n_cols)
    public[cols[in_budget]] = model.value[in_budget]
    on = np.flatnonzero(model.cost != 0.0)
    start, index, value = _csc(
        [model.index.astype(np.int64), np.full(on.size, model.n_rows, dtype=np.int64)],
        [cols, on.astype(np.int64)],
        [model.value, model.cost[on]],
        n_cols,
    )
    bound = optimum + rel_tol * max(abs(optimum), 1.0)
    return replace(
        model,
        start=start,
        index=index,
        value=value,
        n_rows=model.n_rows + 1,
        cost=public,
        row_lower=np.append(model.row_lower, -np.inf),
        row_upper=np.append(model.row_upper, bound),
    )


def _build(
    pair_cost: FloatArray,  # (J,) scaled
    pair_project: IntArray,  # (J,)
    n_projects: int,
    project_open: npt.NDArray[np.bool_],  # (P,)
    supply: FloatArray,  # (S, T, P) scaled
    offtake: FloatArray,  # (P, G)
    need: FloatArray,  # (S, T, G) scaled
    weight: FloatArray,  # (G,) scaled
    budget: float,  # scaled
    partner_budget: FloatArray | None,  # (Q,) scaled
    cost_share: FloatArray | None,  # (P, Q)
    prob: FloatArray,
    objective: str,
    alpha: float,
    cap: FloatArray,  # (P,) scaled
    country_code: IntArray | None,
    max_share: float | None,
) -> _Model:
    n_s, _, n_g = need.shape
    n_j = pair_cost.size
    n_p = n_projects
    x0 = n_j
    with_u = objective != "tonnes_per_dollar"
    with_cvar = objective == "cvar"
    # active shortfall rows: (s, t, g) with n > 0 and w > 0
    if with_u:
        active = (need > 0.0) & (weight[None, None, :] > 0.0)
        s_idx, t_idx, g_idx = np.nonzero(active)
    else:
        s_idx = t_idx = g_idx = np.zeros(0, dtype=np.int64)
    n_u = int(s_idx.size)
    u0 = x0 + n_p
    eta = u0 + n_u
    v0 = eta + 1
    n_cols = u0 + n_u + (1 + n_s if with_cvar else 0)
    jj = np.arange(n_j, dtype=np.int64)
    pp = np.arange(n_p, dtype=np.int64)
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    vals: list[FloatArray] = []
    lower: list[FloatArray] = []
    upper: list[FloatArray] = []
    inf = np.inf
    # participation: x_p − Σ_k y_pk = 0, rows 0..P-1
    rows += [pair_project, pp]
    cols += [jj, x0 + pp]
    vals += [-np.ones(n_j), np.ones(n_p)]
    lower.append(np.zeros(n_p))
    upper.append(np.zeros(n_p))
    # budget
    budget_row = n_p
    rows.append(np.full(n_j, budget_row, dtype=np.int64))
    cols.append(jj)
    vals.append(pair_cost)
    lower.append(np.array([-inf]))
    upper.append(np.array([budget]))
    row0 = budget_row + 1
    partner_rows = np.zeros(0, dtype=np.int64)
    if partner_budget is not None and cost_share is not None:
        n_q = partner_budget.size
        coef = cost_share[pair_project, :] * pair_cost[:, None]  # (J, Q)
        jr, qr = np.nonzero(coef)
        rows.append(row0 + qr.astype(np.int64))
        cols.append(jr.astype(np.int64))
        vals.append(coef[jr, qr])
        lower.append(np.full(n_q, -inf))
        upper.append(partner_budget.astype(np.float64))
        partner_rows = row0 + np.arange(n_q, dtype=np.int64)
        row0 += n_q
    if with_u:
        # scenario-year-shortfall rows row0 + r for active r = (s, t, g)
        urows = np.arange(n_u, dtype=np.int64)
        rows.append(row0 + urows)
        cols.append(u0 + urows)
        vals.append(np.ones(n_u))
        for g in range(n_g):
            in_g = np.flatnonzero(g_idx == g)
            projects = np.flatnonzero((offtake[:, g] > 0) & project_open)
            if in_g.size == 0 or projects.size == 0:
                continue
            block = supply[s_idx[in_g], t_idx[in_g]][:, projects] * offtake[projects, g][None, :]
            rr, cc = np.nonzero(block)
            rows.append(row0 + in_g[rr].astype(np.int64))
            cols.append(x0 + projects[cc].astype(np.int64))
            vals.append(block[rr, cc])
        lower.append(need[s_idx, t_idx, g_idx])
        upper.append(np.full(n_u, inf))
        row0 += n_u
    if with_cvar:
        # scenario-cvar: v_s − Σ_tg w_g u_stg + η ≥ 0
        s_rows = row0 + np.arange(n_s, dtype=np.int64)
        rows += [row0 + s_idx.astype(np.int64), s_rows, s_rows]
        cols += [
            u0 + np.arange(n_u, dtype=np.int64),
            np.full(n_s, eta, dtype=np.int64),
            v0 + np.arange(n_s, dtype=np.int64),
        ]
        vals += [-weight[g_idx], np.ones(n_s), np.ones(n_s)]
        lower.append(np.zeros(n_s))
        upper.append(np.full(n_s, inf))
        row0 += n_s
    if max_share is not None and country_code is not None:
        n_c = int(country_code.max()) + 1
        in_c = (country_code[None, :] == np.arange(n_c)[:, None]).astype(np.float64)
        coef = (in_c - max_share) * cap[None, :]
        rr, cc = np.nonzero(coef)
        rows.append(row0 + rr.astype(np.int64))
        cols.append(x0 + cc.astype(np.int64))
        vals.append(coef[rr, cc])
        lower.append(np.full(n_c, -inf))
        upper.append(np.zeros(n_c))
        row0 += n_c

    cost = np.zeros(n_cols)
    if objective == "expected":
        cost[u0 : u0 + n_u] = prob[s_idx] * weight[g_idx]
    elif objective == "cvar":
        cost[eta] = 1.0
        cost[v0:] = prob / (1.0 - alpha)
    else:
        per_year = np.einsum("s,stp->p", prob, supply)  # Σ_s π_s Σ_t a_stp
        cost[x0 : x0 + n_p] = -per_year * (offtake @ weight)
    col_lower = np.zeros(n_cols)
    col_upper = np.full(n_cols, inf)
    col_upper[:n_j] = 1.0
    col_upper[x0 : x0 + n_p] = project_open.astype(np.float64)
    if with_cvar:
        col_lower[eta] = -inf
    start, index, value = _csc(rows, cols, vals, n_cols)
    return _Model(
        start,
        index,
        value,
        row0,
        cost,
        col_lower,
        col_upper,
        np.concatenate(lower),
        np.concatenate(upper),
        n_j,
        budget_row,
        partner_rows,
    )


def _solver(mip_rel_gap: float, time_limit: float | None) -> Any:
    """A silent HiGHS instance for the portfolio MIP/LP."""
    limits: dict[str, float] = {} if time_limit is None else {"time_limit": float(time_limit)}
    return silent_highs(
        "portfolio optimiser",
        mip_feasibility_tolerance=1e-9,
        mip_rel_gap=mip_rel_gap,
        mip_abs_gap=0.0,
        **limits,
    )


def _solve(
    model: _Model, integer: bool, mip_rel_gap: float, time_limit: float | None
) -> tuple[FloatArray, FloatArray, str, bool]:
    """Solve; returns column values, row duals, status text and whether it hit a limit."""
    import highspy

    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = model.n_cols
    lp.num_row_ = model.n_rows
    lp.col_cost_ = model.cost
    lp.col_lower_ = np.where(np.isinf(model.col_lower), -inf, model.col_lower)
    lp.col_upper_ = np.where(np.isinf(model.col_upper), inf, model.col_upper)
    lp.row_lower_ = np.where(np.isinf(model.row_lower), -inf, model.row_lower)
    lp.row_upper_ = np.where(np.isinf(model.row_upper), inf, model.row_upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = model.n_cols
    lp.a_matrix_.num_row_ = model.n_rows
    lp.a_matrix_.start_ = model.start
    lp.a_matrix_.index_ = model.index
    lp.a_matrix_.value_ = model.value
    if integer:
        kinds = [highspy.HighsVarType.kContinuous] * model.n_cols
        for j in range(model.n_y):
            kinds[j] = highspy.HighsVarType.kInteger
        lp.integrality_ = kinds
    h = _solver(mip_rel_gap, time_limit)
    if h.passModel(lp) == highspy.HighsStatus.kError:
        raise MinsecError("portfolio model: HiGHS rejected the model (passModel failed)")
    run_status = h.run()
    status = h.getModelStatus()
    text = str(h.modelStatusToString(status))
    limited = status in (
        highspy.HighsModelStatus.kTimeLimit,
        highspy.HighsModelStatus.kIterationLimit,
    )
    solution = h.getSolution()
    values = np.asarray(solution.col_value, dtype=np.float64)
    ok = status == highspy.HighsModelStatus.kOptimal or (limited and values.size == model.n_cols)
    if run_status == highspy.HighsStatus.kError or not ok:
        raise MinsecError(
            f"portfolio {'MIP' if integer else 'LP'}: HiGHS returned {text!r} (run status "
            f"{run_status}); y = 0 is always feasible, so this is a numerical failure or a "
            "time limit without any solution"
        )
    duals = np.asarray(solution.row_dual, dtype=np.float64)
    return values, duals, text, limited


def _scip_module() -> Any:
    try:
        import pyscipopt
    except ImportError as exc:
        raise MinsecError(
            "solver 'scip' needs PySCIPOpt (its wheels bundle SCIP): pip install pyscipopt "
            "(or install minsec with the 'optimize' extra: pip install 'minsec[optimize]')"
        ) from exc
    return pyscipopt


def _scip_name() -> str:
    """``"SCIP x.y.z (PySCIPOpt v)"``."""
    scip = _scip_module()
    m = scip.Model()
    version = f"{m.getMajorVersion()}.{m.getMinorVersion()}.{m.getTechVersion()}"
    return f"SCIP {version} (PySCIPOpt {getattr(scip, '__version__', '?')})"


def _solve_scip(
    model: _Model, integer: bool, mip_rel_gap: float, time_limit: float | None
) -> tuple[FloatArray, str, bool]:
    """Solve with SCIP; returns column values, status text and whether it hit a limit.

    The same model as :func:`_solve` (bounds, integrality of the first ``n_y`` columns,
    rows from the CSR form of the CSC matrix), the same relative gap, feasibility
    tolerance 1e-9 and time limit, output off. No duals: those come from HiGHS' LP.
    """
    import scipy.sparse as sp  # type: ignore[import-untyped]  # via linopy (optimize extra)

    scip = _scip_module()
    m = scip.Model("portfolio")
    m.hideOutput()
    m.setParam("limits/gap", float(mip_rel_gap))
    m.setParam("limits/absgap", 0.0)
    m.setParam("numerics/feastol", 1e-9)
    if time_limit is not None:
        m.setParam("limits/time", float(time_limit))

    def bound(v: float) -> float | None:
        return None if np.isinf(v) else float(v)

    cols = [
        m.addVar(
            name=f"c{j}",
            vtype="I" if integer and j < model.n_y else "C",
            lb=bound(model.col_lower[j]),
            ub=bound(model.col_upper[j]),
        )
        for j in range(model.n_cols)
    ]
    csr = sp.csc_matrix(
        (model.value, model.index, model.start), shape=(model.n_rows, model.n_cols)
    ).tocsr()
    for i in range(model.n_rows):
        lo, hi = csr.indptr[i], csr.indptr[i + 1]
        if lo == hi:  # an empty row (e.g. a budget with only free options): 0 in its range?
            if model.row_lower[i] > 1e-9 or model.row_upper[i] < -1e-9:
                raise MinsecError(f"portfolio model: empty row {i} is infeasible")
            continue
        expr = scip.quicksum(
            float(v) * cols[int(j)]
            for j, v in zip(csr.indices[lo:hi], csr.data[lo:hi], strict=True)
        )
        m.addCons(
            scip.scip.ExprCons(expr, lhs=bound(model.row_lower[i]), rhs=bound(model.row_upper[i])),
            name=f"r{i}",
        )
    nz = np.flatnonzero(model.cost)
    m.setObjective(scip.quicksum(float(model.cost[j]) * cols[j] for j in nz), "minimize")
    m.optimize()
    text = str(m.getStatus())
    limited = text in ("timelimit", "nodelimit", "totalnodelimit", "stallnodelimit", "memlimit")
    ok = text in ("optimal", "gaplimit") or (limited and m.getNSols() > 0)
    if not ok:
        raise MinsecError(
            f"portfolio {'MIP' if integer else 'LP'}: SCIP returned {text!r}; y = 0 is always "
            "feasible, so this is a numerical failure or a time limit without any solution"
        )
    sol = m.getBestSol()
    values = np.array([m.getSolVal(sol, c) for c in cols], dtype=np.float64)
    return values, text, limited


# --------------------------------------------------------------------------- API


def solve(
    problem: Problem,
    *,
    objective: Objective = "expected",
    alpha: float = 0.95,
    binary: bool = True,
    max_share_country: float | None = None,
    mip_rel_gap: float = 1e-9,
    time_limit: float | None = None,
    buckets: int | None = None,
    solver: Solver = "highs",
    cheapest: bool = True,
) -> Portfolio:
    """Choose projects and one instrument each within the budgets (the general model).

    ``cheapest``: after the optimum, a second solve picks the least public cost among the
    portfolios that reach it (within the gap); off, the solver's first optimum is kept.

    ``buckets`` reduces the scenarios before solving (None = solve all of them; see the
    module doc). ``solver`` chooses the portfolio: ``"highs"`` (default) or ``"scip"``
    (needs ``pyscipopt``); the budget duals always come from an LP solved by HiGHS. Other
    parameters as in :func:`optimise`.
    """
    problem.check()
    if solver not in SOLVERS:
        raise InputError(f"unknown solver {solver!r}; expected one of {SOLVERS}", column="solver")
    if solver == "scip":
        _scip_module()  # fail early, with the install hint
    if objective not in OBJECTIVES:
        raise InputError(
            f"unknown objective {objective!r}; expected one of {OBJECTIVES}", column="objective"
        )
    if not 0.0 < alpha < 1.0:
        raise InputError(f"alpha must be in (0, 1), got {alpha}", column="alpha")
    cost = problem.cost_usd
    supply, need, off, w = problem.supply_t, problem.need_t, problem.offtake, problem.weight
    cap = problem.capacity_t
    budget = float(problem.budget_usd)
    n_p = cost.shape[0]
    n_s, n_t, _ = need.shape
    p = _probabilities(problem.prob, n_s)
    codes: IntArray | None = None
    if max_share_country is not None:
        if problem.country is None:
            raise InputError("max_share_country needs country (P,)", column="country")
        labels = np.asarray(problem.country, dtype=object).reshape(-1)
        if labels.shape != (n_p,):
            raise InputError(f"country has {labels.size} labels; expected {n_p}", column="country")
        if not 0.0 < max_share_country <= 1.0:
            raise InputError("max_share_country must be in (0, 1]", column="max_share_country")
        _, inverse = np.unique(labels.astype(str), return_inverse=True)
        codes = inverse.astype(np.int64)

    zero_added = np.zeros_like(need)
    loss_before = scenario_losses(need, zero_added, w)
    before_exp = float(np.dot(p, loss_before))
    before_cvar = cvar(loss_before, alpha, p)
    notes: list[str] = []

    counted = supply.reshape(n_s * n_t, n_p).max(axis=0, initial=0.0) * (off @ w)
    useful = counted > 0
    allowed = ~np.isnan(cost) & useful[:, None]
    if not useful.all():
        notes.append(
            f"{int((~useful).sum())} project(s) add no counted tonnes within the horizon; excluded"
        )
    pair_project, _ = np.nonzero(allowed)
    pair_project = pair_project.astype(np.int64)
    project_open = allowed.any(axis=1)

    started = time.perf_counter()
    build_seconds = 0.0
    highs_seconds: dict[str, float] = {}
    share = np.zeros(n_p)
    instrument = np.full(n_p, -1, dtype=np.int64)
    dual = 0.0
    partner_dual = np.zeros(
        0 if problem.partner_budget_usd is None else problem.partner_budget_usd.size
    )
    size: dict[str, int] = {}
    solver_status, status = "", "nothing to choose"
    solver_name = ""
    n_model_s = n_s
    if pair_project.size:
        import highspy

        highs_name = f"HiGHS {getattr(highspy, '__version__', '')}".strip()
        solver_name = highs_name
        if solver == "scip":
            solver_name = f"{_scip_name()}; budget dual by {highs_name} (LP)"
        m_need, m_supply, m_prob = need, supply, p
        if buckets is not None and buckets < n_s:
            m_need, m_supply, m_prob = reduce_scenarios(need, supply, p, w, buckets)
            notes.append(f"{n_s} scenarios reduced to {m_prob.size} buckets for the solve")
        n_model_s = m_prob.size
        t_scale = float(max(m_need.max(initial=0.0), m_supply.max(initial=0.0))) or 1.0
        w_scale = float(w.max(initial=0.0)) or 1.0
        finite_cost = cost[allowed]
        c_scale = float(max(budget, finite_cost.max(initial=0.0))) or 1.0
        pb = None if problem.partner_budget_usd is None else problem.partner_budget_usd / c_scale
        model = _build(
            cost[allowed] / c_scale,
            pair_project,
            n_p,
            project_open,
            m_supply / t_scale,
            off,
            m_need / t_scale,
            w / w_scale,
            budget / c_scale,
            pb,
            problem.cost_share,
            m_prob,
            objective,
            alpha,
            cap / (float(cap.max(initial=0.0)) or 1.0),
            codes,
            max_share_country,
        )
        build_seconds = time.perf_counter() - started
        size = {"columns": model.n_cols, "rows": model.n_rows, "nonzeros": int(model.value.size)}
        t0 = time.perf_counter()
        if solver == "scip":
            values, solver_status, limited = _solve_scip(model, binary, mip_rel_gap, time_limit)
        else:
            values, duals, solver_status, limited = _solve(model, binary, mip_rel_gap, time_limit)
        first = time.perf_counter() - t0
        highs_seconds["mip" if binary else "lp"] = first
        if cheapest and not limited and objective != "tonnes_per_dollar":
            # among portfolios as good as the optimum (equal optima are common: several
            # projects can cover the same need), the one with the least public cost: a
            # second solve, run when the first was quick (< 5 s) and given at most 10 s; its
            # portfolio is kept only when solved to the end and cheaper
            if first < CHEAPEST_AFTER_S:
                t0 = time.perf_counter()
                tie = _cheapest_model(model, float(model.cost @ values), max(mip_rel_gap, 1e-9))
                tie_gap = max(mip_rel_gap, 1e-6)
                tie_limit = min(CHEAPEST_LIMIT_S, time_limit or CHEAPEST_LIMIT_S)
                if solver == "scip":
                    tied, _, tie_limited = _solve_scip(tie, binary, tie_gap, tie_limit)
                else:
                    tied, _, _, tie_limited = _solve(tie, binary, tie_gap, tie_limit)
                if not tie_limited and float(tie.cost @ tied) < float(tie.cost @ values):
                    values = tied
                highs_seconds["cheapest"] = time.perf_counter() - t0
                if tie_limited:
                    notes.append(
                        "the search for the cheapest among equally good portfolios hit its "
                        f"{tie_limit:g} s limit: the first optimum is kept (it may cost more "
                        "than an equally good one)"
                    )
            else:
                notes.append(
                    f"the first solve took {first:.0f} s, so no search for a cheaper portfolio "
                    "among equally good ones was made (it runs when the first takes < "
                    f"{CHEAPEST_AFTER_S:g} s; fewer buckets or scenarios make it quicker)"
                )
        status = "time limit" if limited else "optimal"
        if binary or solver == "scip":
            t0 = time.perf_counter()
            _, duals, _, _ = _solve(model, False, mip_rel_gap, time_limit)
            highs_seconds["lp_dual"] = time.perf_counter() - t0
        # HiGHS: row_dual = ∂(min objective)/∂(row bound) ≤ 0 for an active ≤ row
        unit = t_scale * w_scale / c_scale
        dual = max(0.0, -float(duals[model.budget_row])) * unit
        partner_dual = np.maximum(0.0, -duals[model.partner_rows]) * unit
        y = np.clip(values[: model.n_y], 0.0, 1.0)
        if binary:
            y = np.round(y)
        np.add.at(share, pair_project, y)
        share = np.clip(share, 0.0, 1.0)
        masked = np.where(allowed, cost, np.inf)
        instrument = np.where(share > 1e-12, np.argmin(masked, axis=1), -1).astype(np.int64)
        share = np.where(instrument >= 0, share, 0.0)
        if binary:
            share = _prune(
                problem, p, share, instrument, objective, alpha, codes, max_share_country
            )
            instrument = np.where(share > 0, instrument, -1)
    seconds = time.perf_counter() - started

    added = group_added(supply, off, share)
    loss_after = scenario_losses(need, added, w)
    public = float(sum(cost[i, instrument[i]] * share[i] for i in np.flatnonzero(instrument >= 0)))
    value = _value(need, added, w, p, objective, alpha)
    note = DUAL_NOTE_MIP if binary else DUAL_NOTE_LP
    if n_model_s < n_s:
        note += DUAL_NOTE_REDUCED
    return Portfolio(
        chosen=tuple(int(i) for i in np.flatnonzero(share > 1e-12)),
        instrument=instrument,
        share=share,
        public_cost_usd=public,
        expected_shortfall_before_t=before_exp,
        expected_shortfall_after_t=float(np.dot(p, loss_after)),
        cvar_before_t=before_cvar,
        cvar_after_t=cvar(loss_after, alpha, p),
        objective=objective,
        objective_value=value,
        budget_dual=dual,
        budget_dual_note=note,
        status=status,
        solver_status=solver_status,
        solver=solver_name,
        solve_seconds=seconds,
        model_size=size,
        notes=tuple(notes),
        partner_budget_dual=partner_dual,
        group_shortfall_before_t=np.einsum("s,stg->g", p, need),
        group_shortfall_after_t=np.einsum("s,stg->g", p, np.maximum(need - added, 0.0)),
        loss_before=loss_before,
        loss_after=loss_after,
        build_seconds=build_seconds,
        buckets=n_model_s,
        highs_seconds=highs_seconds,
    )


def optimise(
    cost_usd: npt.ArrayLike,
    capacity_t: npt.ArrayLike,
    start_year: npt.ArrayLike,
    need_t: npt.ArrayLike,
    budget_usd: float,
    *,
    objective: Objective = "expected",
    alpha: float = 0.95,
    binary: bool = True,
    max_share_country: float | None = None,
    country: npt.ArrayLike | None = None,
    prob: npt.ArrayLike | None = None,
    mip_rel_gap: float = 1e-9,
    time_limit: float | None = None,
    solver: Solver = "highs",
    cheapest: bool = True,
) -> Portfolio:
    """One mineral, one partner, full output from each project's start year.

    Parameters
    ----------
    cost_usd:
        ``(P, K)`` public cost of backing project p with instrument option k (USD);
        NaN where the option is not allowed.
    capacity_t:
        ``(P,)`` tonnes per year added at full output.
    start_year:
        ``(S, P)`` first year (0-based) of output per scenario; ≥ T means never.
    need_t:
        ``(S, T)`` shortfall per scenario and year without new projects (t).
    budget_usd:
        Public budget B (USD).
    objective:
        ``"expected"``, ``"cvar"`` or ``"tonnes_per_dollar"``.
    alpha:
        CVaR level in (0, 1).
    binary:
        y ∈ {0, 1} (MIP) if True, else y ∈ [0, 1] (LP).
    max_share_country, country:
        Optional limit m ∈ (0, 1] on any country's share of the chosen capacity, with
        ``country`` ``(P,)`` labels (required when m is given).
    prob:
        ``(S,)`` scenario probabilities; equal if omitted.
    mip_rel_gap, time_limit:
        MIP relative gap and time limit (s) of the solver.
    solver:
        ``"highs"`` (default) or ``"scip"`` (through ``pyscipopt``) for the MIP (or LP);
        the budget dual always comes from an LP solved by HiGHS.
    cheapest:
        Among portfolios that reach the optimum, fund the one with the least public cost
        (a second solve; default). Off: the solver's first optimum.
    """
    cost = np.asarray(cost_usd, dtype=np.float64)
    if cost.ndim == 1:
        cost = cost[:, None]
    cap = np.asarray(capacity_t, dtype=np.float64).reshape(-1)
    start = np.asarray(start_year, dtype=np.float64)
    need = np.asarray(need_t, dtype=np.float64)
    if cost.ndim != 2:
        raise InputError(f"cost_usd has shape {cost.shape}; expected (P, K)", column="cost_usd")
    if need.ndim != 2 or min(need.shape, default=0) < 1:
        raise InputError(f"need_t has shape {need.shape}; expected (S, T)", column="need_t")
    n_p = cost.shape[0]
    if cap.shape != (n_p,):
        raise InputError(
            f"capacity_t has shape {cap.shape}; expected ({n_p},)", column="capacity_t"
        )
    if start.shape != (need.shape[0], n_p):
        raise InputError(
            f"start_year has shape {start.shape}; expected ({need.shape[0]}, {n_p})",
            column="start_year",
        )
    if np.any(np.isnan(start)):
        raise InputError(
            "start_year must not be NaN (use ≥ horizon for never)", column="start_year"
        )
    _nonneg("capacity_t", cap)
    problem = Problem(
        cost_usd=cost,
        supply_t=step_supply(cap, start, need.shape[1]),
        need_t=need[:, :, None],
        offtake=np.ones((n_p, 1)),
        weight=np.ones(1),
        budget_usd=float(budget_usd),
        capacity_t=cap,
        prob=None if prob is None else np.asarray(prob, dtype=np.float64),
        country=None if country is None else np.asarray(country, dtype=object),
    )
    return solve(
        problem,
        objective=objective,
        alpha=alpha,
        binary=binary,
        max_share_country=max_share_country,
        mip_rel_gap=mip_rel_gap,
        time_limit=time_limit,
        solver=solver,
        cheapest=cheapest,
    )


def _value(
    need: FloatArray,
    added: FloatArray,
    w: FloatArray,
    p: FloatArray,
    objective: str,
    alpha: float,
) -> float:
    if objective == "tonnes_per_dollar":
        return float(np.dot(p, np.einsum("stg,g->s", added, w)))
    losses = scenario_losses(need, added, w)
    return float(np.dot(p, losses)) if objective == "expected" else cvar(losses, alpha, p)


def _share_ok(share: FloatArray, cap: FloatArray, codes: IntArray | None, m: float | None) -> bool:
    if m is None or codes is None:
        return True
    chosen = cap * share
    total = chosen.sum()
    per = np.bincount(codes, weights=chosen, minlength=int(codes.max()) + 1)
    return bool(np.all(per <= m * total + 1e-9 * max(total, 1.0)))


def _prune(
    problem: Problem,
    p: FloatArray,
    share: FloatArray,
    instrument: IntArray,
    objective: str,
    alpha: float,
    codes: IntArray | None,
    m: float | None,
) -> FloatArray:
    """Drop chosen projects (most expensive first) that do not change the objective."""
    need, supply, off, w = problem.need_t, problem.supply_t, problem.offtake, problem.weight
    share = share.copy()
    sign = -1.0 if objective == "tonnes_per_dollar" else 1.0
    added = group_added(supply, off, share)
    base = sign * _value(need, added, w, p, objective, alpha)
    total_need = float(np.einsum("stg,g->s", need, w).max(initial=0.0))
    scale = max(abs(base), total_need, 1e-300)
    chosen = np.flatnonzero(share > 0)
    order = chosen[np.argsort(-problem.cost_usd[chosen, instrument[chosen]], kind="stable")]
    for i in order:
        trial_added = added - supply[:, :, i, None] * (off[i] * share[i])[None, None, :]
        val = sign * _value(need, trial_added, w, p, objective, alpha)
        trial = share.copy()
        trial[i] = 0.0
        if val <= base + 1e-9 * scale and _share_ok(trial, problem.capacity_t, codes, m):
            share, added, base = trial, trial_added, min(base, val)
    return share


def acceleration_value(
    problem: Problem,
    share: FloatArray,
    accelerated_supply_t: FloatArray,
    project: int,
    *,
    objective: Objective = "expected",
    alpha: float = 0.95,
) -> float:
    """Objective gain when project ``project``'s supply becomes ``accelerated_supply_t``.

    ``accelerated_supply_t`` is its ``(S, T)`` supply with permitting shortened; the gain
    is evaluated exactly on all scenarios for the portfolio ``share`` (positive = better:
    less shortfall, or more tonnes for ``"tonnes_per_dollar"``).
    """
    p = _probabilities(problem.prob, problem.need_t.shape[0])
    added = group_added(problem.supply_t, problem.offtake, share)
    delta = (accelerated_supply_t - problem.supply_t[:, :, project])[:, :, None] * (
        problem.offtake[project] * share[project]
    )[None, None, :]
    before = _value(problem.need_t, added, problem.weight, p, objective, alpha)
    after = _value(problem.need_t, added + delta, problem.weight, p, objective, alpha)
    return after - before if objective == "tonnes_per_dollar" else before - after
