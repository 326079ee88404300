"""The data and the answer of a stockpile sizing: problem, result, risk metrics.

See :mod:`minsec.disrupt.stockpile_sizing.lp` for the program and
``docs/stockpile-sizing.md`` for the definitions. Tonnes over the horizon, USD per year.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from minsec.disrupt.montecarlo import var_cvar
from minsec.disrupt.stockpile_sizing.target import Target
from minsec.errors import InputError, MinsecError

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

TOLERANCE = 1e-7
"""Slack in the checks, and in "above the threshold": (x + TOLERANCE) · C."""


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


def make_sizing(
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
    """A :class:`Sizing` from the stock and the receipts and releases of its policy."""
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


def infeasible_error(
    problem: SizingProblem, target: Target, pooled: bool, blocked: tuple[int, ...]
) -> InputError:
    """The error for an unreachable target, naming it and the ``blocked`` partners."""
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
