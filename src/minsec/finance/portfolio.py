"""Two-stage stochastic project portfolio: which projects to back, with which instrument.

A pure function over arrays (no store, no CLI), solved with HiGHS through ``highspy``
(``docs/methods.md``, "Finance"; ``docs/finance.md``, "Portfolio optimiser (core)").

Index sets: projects p (P), instrument options k (K), scenarios s (S, probability
π_s, equal by default), years t (T, 0-based). Data: public cost c_pk (USD; NaN = option
not allowed), capacity cap_p (t/y at full output), first year of output start_sp
(≥ T = never), need n_st (t of shortfall in year t of scenario s without new projects),
budget B (USD).

Variables: y_pk ∈ {0, 1} (``binary=True``, a MIP) or [0, 1]; u_st ≥ 0 shortfall (t);
for CVaR also η (free) and v_s ≥ 0. Constraint families (row order):

``one-instrument``      Σ_k y_pk ≤ 1 per project;
``budget``              Σ_pk c_pk y_pk ≤ B;
``scenario-year-shortfall``
                        u_st + Σ_pk cap_p [t ≥ start_sp] y_pk ≥ n_st;
``scenario-cvar``       v_s − Σ_t u_st + η ≥ 0 (objective ``"cvar"`` only);
``country-share``       Σ_{p∈c} cap_p Σ_k y_pk − m Σ_p cap_p Σ_k y_pk ≤ 0 per country c
                        (only with ``max_share_country`` = m).

Objectives: ``"expected"`` min Σ_s π_s Σ_t u_st (t); ``"cvar"`` (Rockafellar–Uryasev)
min η + 1/(1−α) Σ_s π_s v_s (t), the mean of the worst (1−α) share of scenario
shortfalls; ``"tonnes_per_dollar"`` max Σ_pk π_s cap_p [t ≥ start_sp] y_pk, the expected
tonnes added over the horizon whether needed or not — the naive "most tonnes for the
budget" benchmark (u, η, v are not in that model; its shortfall is evaluated afterwards).

Post-processing (changes no objective value): each chosen project gets its cheapest
allowed instrument (capacity and start do not depend on the instrument here, so the
cheapest is always at least as good); with ``binary=True`` chosen projects whose removal
leaves the objective unchanged (within 1e-9 relative) and the country-share limit met
are dropped, most expensive first. Projects that add no tonnes within the horizon in
any scenario (zero capacity or never starting) are excluded before solving.

Budget dual: the marginal value of one more dollar, in objective units per USD (t of
expected shortfall or CVaR removed, or t added, per USD), from the LP. It is a true
marginal value only with ``binary=False``; with ``binary=True`` it comes from the LP
relaxation (solved separately) and is only indicative, since the MIP value is a step
function of B.

Numerics: tonnes are divided by the largest need or capacity and dollars by the largest
of B and the finite costs, so the model's numbers are O(1); tolerances 1e-9 and a MIP
relative gap ``mip_rel_gap`` (default 1e-9). Reported shortfalls and CVaRs are
recomputed from the chosen y, not read from the solver.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from minsec.errors import InputError, MinsecError
from minsec.highs import silent_highs

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Objective = Literal["expected", "cvar", "tonnes_per_dollar"]
OBJECTIVES: tuple[str, ...] = ("expected", "cvar", "tonnes_per_dollar")
FAMILIES = (
    "one-instrument",
    "budget",
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


@dataclass(frozen=True)
class Portfolio:
    """The chosen portfolio.

    Attributes
    ----------
    chosen:
        Indices of the projects backed (y_p > 0), ascending.
    instrument:
        ``(P,)`` instrument option index per project, −1 where not chosen.
    share:
        ``(P,)`` y_p = Σ_k y_pk (0/1 with ``binary=True``, else in [0, 1]).
    public_cost_usd:
        Σ c_pk y_pk (USD).
    expected_shortfall_before_t, expected_shortfall_after_t:
        Σ_s π_s Σ_t shortfall (t), without and with the portfolio.
    cvar_before_t, cvar_after_t:
        CVaR_α of the scenario total shortfall Σ_t u_st (t), without and with.
    objective, objective_value:
        The objective and its value with the portfolio (t; for ``"tonnes_per_dollar"``
        the expected tonnes added over the horizon).
    budget_dual:
        Objective improvement per extra USD of budget (≥ 0; see ``budget_dual_note``).
    budget_dual_note:
        Whether the dual is a marginal value (LP) or from the LP relaxation (MIP).
    status:
        ``"optimal"``, ``"time limit"`` (best solution found) or ``"nothing to choose"``.
    solver_status, solver, solve_seconds, model_size, notes:
        HiGHS model status text, solver name/version, wall time (s) of all solves,
        columns/rows/nonzeros of the model, caveats.
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
    start = np.asarray(start_year, dtype=np.float64)
    y = np.asarray(share, dtype=np.float64)
    online = np.arange(years)[None, None, :] >= start[:, :, None]  # (S, P, T)
    out: FloatArray = np.einsum("spt,p->st", online, cap * y)
    return out


def scenario_shortfall(need_t: FloatArray, added: FloatArray) -> FloatArray:
    """``(S,)`` Σ_t max(need − added, 0) (t)."""
    out: FloatArray = np.maximum(need_t - added, 0.0).sum(axis=1)
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


def _check(
    cost: FloatArray, cap: FloatArray, start: FloatArray, need: FloatArray, budget: float
) -> None:
    if cost.ndim != 2:
        raise InputError(f"cost_usd has shape {cost.shape}; expected (P, K)", column="cost_usd")
    n_p = cost.shape[0]
    if cap.shape != (n_p,):
        raise InputError(
            f"capacity_t has shape {cap.shape}; expected ({n_p},)", column="capacity_t"
        )
    if need.ndim != 2 or need.shape[0] < 1 or need.shape[1] < 1:
        raise InputError(f"need_t has shape {need.shape}; expected (S, T)", column="need_t")
    if start.shape != (need.shape[0], n_p):
        raise InputError(
            f"start_year has shape {start.shape}; expected ({need.shape[0]}, {n_p})",
            column="start_year",
        )
    finite = cost[~np.isnan(cost)]
    if np.any(~np.isfinite(finite)) or np.any(finite < 0):
        raise InputError("cost_usd must be finite and ≥ 0 (NaN = not allowed)", column="cost_usd")
    for name, arr in (("capacity_t", cap), ("need_t", need)):
        if not np.all(np.isfinite(arr)) or np.any(arr < 0):
            raise InputError(f"{name} must be finite and ≥ 0", column=name)
    if np.any(np.isnan(start)):
        raise InputError(
            "start_year must not be NaN (use ≥ horizon for never)", column="start_year"
        )
    if not np.isfinite(budget) or budget < 0:
        raise InputError(f"budget_usd must be finite and ≥ 0, got {budget}", column="budget_usd")


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


def _build(
    pair_cost: FloatArray,  # (J,) scaled
    pair_project: IntArray,  # (J,)
    n_projects: int,
    contrib: FloatArray,  # (S, T, P) scaled tonnes per unit y
    need: FloatArray,  # (S, T) scaled
    budget: float,  # scaled
    prob: FloatArray,
    objective: str,
    alpha: float,
    cap: FloatArray,  # (P,) scaled
    country_code: IntArray | None,
    max_share: float | None,
) -> _Model:
    n_s, n_t = need.shape
    n_j = pair_cost.size
    with_u = objective != "tonnes_per_dollar"
    with_cvar = objective == "cvar"
    n_u = n_s * n_t if with_u else 0
    eta = n_j + n_u
    v0 = eta + 1
    n_cols = n_j + n_u + (1 + n_s if with_cvar else 0)
    jj = np.arange(n_j, dtype=np.int64)
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    vals: list[FloatArray] = []
    lower: list[FloatArray] = []
    upper: list[FloatArray] = []
    inf = np.inf
    # one-instrument: rows 0..P-1
    rows.append(pair_project)
    cols.append(jj)
    vals.append(np.ones(n_j))
    lower.append(np.full(n_projects, -inf))
    upper.append(np.ones(n_projects))
    # budget
    budget_row = n_projects
    rows.append(np.full(n_j, budget_row, dtype=np.int64))
    cols.append(jj)
    vals.append(pair_cost)
    lower.append(np.array([-inf]))
    upper.append(np.array([budget]))
    row0 = budget_row + 1
    if with_u:
        # scenario-year-shortfall: row row0 + s*T + t
        a_y = contrib[:, :, pair_project].reshape(n_u, n_j)
        rr, cc = np.nonzero(a_y)
        rows += [row0 + rr.astype(np.int64), row0 + np.arange(n_u, dtype=np.int64)]
        cols += [cc.astype(np.int64), n_j + np.arange(n_u, dtype=np.int64)]
        vals += [a_y[rr, cc], np.ones(n_u)]
        lower.append(need.reshape(-1))
        upper.append(np.full(n_u, inf))
        row0 += n_u
    if with_cvar:
        # scenario-cvar: v_s − Σ_t u_st + η ≥ 0
        s_rows = row0 + np.arange(n_s, dtype=np.int64)
        rows += [np.repeat(s_rows, n_t), s_rows, s_rows]
        cols += [
            n_j + np.arange(n_u, dtype=np.int64),
            np.full(n_s, eta, dtype=np.int64),
            v0 + np.arange(n_s, dtype=np.int64),
        ]
        vals += [-np.ones(n_u), np.ones(n_s), np.ones(n_s)]
        lower.append(np.zeros(n_s))
        upper.append(np.full(n_s, inf))
        row0 += n_s
    if max_share is not None and country_code is not None:
        # country-share
        n_c = int(country_code.max()) + 1
        in_c = (country_code[pair_project][None, :] == np.arange(n_c)[:, None]).astype(np.float64)
        coef = (in_c - max_share) * cap[pair_project][None, :]
        rr, cc = np.nonzero(coef)
        rows.append(row0 + rr.astype(np.int64))
        cols.append(cc.astype(np.int64))
        vals.append(coef[rr, cc])
        lower.append(np.full(n_c, -inf))
        upper.append(np.zeros(n_c))
        row0 += n_c

    cost = np.zeros(n_cols)
    if objective == "expected":
        cost[n_j : n_j + n_u] = np.repeat(prob, n_t)
    elif objective == "cvar":
        cost[eta] = 1.0
        cost[v0:] = prob / (1.0 - alpha)
    else:
        cost[:n_j] = -np.einsum("s,stj->j", prob, contrib[:, :, pair_project])
    col_lower = np.zeros(n_cols)
    col_upper = np.full(n_cols, inf)
    col_upper[:n_j] = 1.0
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


# --------------------------------------------------------------------------- API


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
) -> Portfolio:
    """Choose projects and one instrument each within the budget (see the module doc).

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
        HiGHS MIP relative gap and time limit (s).
    """
    cost = np.asarray(cost_usd, dtype=np.float64)
    if cost.ndim == 1:
        cost = cost[:, None]
    cap = np.asarray(capacity_t, dtype=np.float64).reshape(-1)
    start = np.asarray(start_year, dtype=np.float64)
    need = np.asarray(need_t, dtype=np.float64)
    budget = float(budget_usd)
    _check(cost, cap, start, need, budget)
    if objective not in OBJECTIVES:
        raise InputError(
            f"unknown objective {objective!r}; expected one of {OBJECTIVES}", column="objective"
        )
    if not 0.0 < alpha < 1.0:
        raise InputError(f"alpha must be in (0, 1), got {alpha}", column="alpha")
    n_p = cost.shape[0]
    n_s, n_t = need.shape
    p = _probabilities(prob, n_s)
    codes: IntArray | None = None
    if max_share_country is not None:
        if country is None:
            raise InputError("max_share_country needs country (P,)", column="country")
        labels = np.asarray(country, dtype=object).reshape(-1)
        if labels.shape != (n_p,):
            raise InputError(f"country has {labels.size} labels; expected {n_p}", column="country")
        if not 0.0 < max_share_country <= 1.0:
            raise InputError("max_share_country must be in (0, 1]", column="max_share_country")
        _, inverse = np.unique(labels.astype(str), return_inverse=True)
        codes = inverse.astype(np.int64)

    losses_before = need.sum(axis=1)
    before_exp = float(np.dot(p, losses_before))
    before_cvar = cvar(losses_before, alpha, p)
    notes: list[str] = []

    online = np.arange(n_t)[None, None, :] >= start[:, :, None]  # (S, P, T)
    useful = (cap > 0) & online.any(axis=(0, 2))
    allowed = ~np.isnan(cost) & useful[:, None]
    if not useful.all():
        notes.append(
            f"{int((~useful).sum())} project(s) add no tonnes within the horizon; excluded"
        )
    pair_project, _ = np.nonzero(allowed)
    pair_project = pair_project.astype(np.int64)

    t_scale = float(max(need.max(initial=0.0), cap.max(initial=0.0))) or 1.0
    finite_cost = cost[allowed]
    c_scale = float(max(budget, finite_cost.max(initial=0.0))) or 1.0
    started = time.perf_counter()
    share = np.zeros(n_p)
    instrument = np.full(n_p, -1, dtype=np.int64)
    dual = 0.0
    size: dict[str, int] = {}
    solver_status, status = "", "nothing to choose"
    solver = ""
    if pair_project.size:
        import highspy

        solver = f"HiGHS {getattr(highspy, '__version__', '')}".strip()
        contrib = np.transpose(online, (0, 2, 1)) * (cap / t_scale)[None, None, :]  # (S, T, P)
        model = _build(
            cost[allowed] / c_scale,
            pair_project,
            n_p,
            contrib,
            need / t_scale,
            budget / c_scale,
            p,
            objective,
            alpha,
            cap / t_scale,
            codes,
            max_share_country,
        )
        size = {
            "columns": model.n_cols,
            "rows": model.n_rows,
            "nonzeros": int(model.value.size),
        }
        values, duals, solver_status, limited = _solve(model, binary, mip_rel_gap, time_limit)
        status = "time limit" if limited else "optimal"
        if binary:
            _, duals, _, _ = _solve(model, False, mip_rel_gap, time_limit)
        # HiGHS: row_dual = ∂(min objective)/∂(row bound) ≤ 0 for an active ≤ row
        dual = max(0.0, -float(duals[model.budget_row])) * t_scale / c_scale
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
                share,
                instrument,
                cost,
                cap,
                start,
                need,
                p,
                objective,
                alpha,
                codes,
                max_share_country,
            )
            instrument = np.where(share > 0, instrument, -1)
    seconds = time.perf_counter() - started

    after_losses = scenario_shortfall(need, added_tonnes(cap, start, share, n_t))
    public = float(sum(cost[i, instrument[i]] * share[i] for i in np.flatnonzero(instrument >= 0)))
    value = _objective_value(share, cap, start, need, p, objective, alpha)
    return Portfolio(
        chosen=tuple(int(i) for i in np.flatnonzero(share > 1e-12)),
        instrument=instrument,
        share=share,
        public_cost_usd=public,
        expected_shortfall_before_t=before_exp,
        expected_shortfall_after_t=float(np.dot(p, after_losses)),
        cvar_before_t=before_cvar,
        cvar_after_t=cvar(after_losses, alpha, p),
        objective=objective,
        objective_value=value,
        budget_dual=dual,
        budget_dual_note=DUAL_NOTE_MIP if binary else DUAL_NOTE_LP,
        status=status,
        solver_status=solver_status,
        solver=solver,
        solve_seconds=seconds,
        model_size=size,
        notes=tuple(notes),
    )


def _objective_value(
    share: FloatArray,
    cap: FloatArray,
    start: FloatArray,
    need: FloatArray,
    p: FloatArray,
    objective: str,
    alpha: float,
) -> float:
    added = added_tonnes(cap, start, share, need.shape[1])
    if objective == "tonnes_per_dollar":
        return float(np.dot(p, added.sum(axis=1)))
    losses = scenario_shortfall(need, added)
    return float(np.dot(p, losses)) if objective == "expected" else cvar(losses, alpha, p)


def _share_ok(share: FloatArray, cap: FloatArray, codes: IntArray | None, m: float | None) -> bool:
    if m is None or codes is None:
        return True
    chosen = cap * share
    total = chosen.sum()
    per = np.bincount(codes, weights=chosen, minlength=int(codes.max()) + 1)
    return bool(np.all(per <= m * total + 1e-9 * max(total, 1.0)))


def _prune(
    share: FloatArray,
    instrument: IntArray,
    cost: FloatArray,
    cap: FloatArray,
    start: FloatArray,
    need: FloatArray,
    p: FloatArray,
    objective: str,
    alpha: float,
    codes: IntArray | None,
    m: float | None,
) -> FloatArray:
    """Drop chosen projects (most expensive first) that do not change the objective."""
    share = share.copy()
    sign = -1.0 if objective == "tonnes_per_dollar" else 1.0
    base = sign * _objective_value(share, cap, start, need, p, objective, alpha)
    scale = max(abs(base), float(need.sum(axis=1).max(initial=0.0)), 1e-300)
    chosen = np.flatnonzero(share > 0)
    order = chosen[np.argsort(-cost[chosen, instrument[chosen]], kind="stable")]
    for i in order:
        trial = share.copy()
        trial[i] = 0.0
        val = sign * _objective_value(trial, cap, start, need, p, objective, alpha)
        if val <= base + 1e-9 * scale and _share_ok(trial, cap, codes, m):
            share, base = trial, min(base, val)
    return share
