"""Annual project cash flows, NPV, IRR and DSCR.

Years are indexed ``t = 0 … T−1`` (``t = 0`` is the first construction year); every flow
is in nominal US dollars at the end of year ``t``, quantities in tonnes of product.

Per year (``methods.md``, Finance)::

    production_t  = capacity_t_per_y · ramp_t                       (0 during construction)
    revenue_t     = production_t · price_t  + support revenue (offtake, floor, CfD)
    royalty_t     = royalty_rate · revenue_t
    depreciation  = capex / depreciation_years, straight line from the first operating year
    taxable_t     = revenue − opex − royalty − depreciation − interest − fees
    tax_t         = tax_rate · max(taxable_t, 0)          (no loss carry-forward)
    CFADS_t       = revenue − opex − royalty − tax − fees  (cash flow available for debt service)
    equity_t      = −capex_t + debt_draw_t + grant_t + CFADS_t − debt_service_t

Debt: ``debt_share · capex`` drawn pro rata with capex; interest during construction is
capitalised; then ``grace`` years interest-only and a level annuity over the remaining
``tenor − grace`` years.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from minsec.errors import InputError

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class ProjectInputs:
    """What the cash-flow model needs about one project (units in the names).

    ``price_usd_per_t`` is a number (flat) or one price per model year.
    ``ramp_up`` gives the share of capacity reached in operating years 1, 2, …; later
    years run at the last value.
    """

    project_id: str
    capacity_t_per_y: float
    capex_usd: float
    opex_usd_per_t: float
    price_usd_per_t: float | tuple[float, ...]
    start_year: int = 2026
    construction_years: int = 2
    operating_years: int = 20
    ramp_up: tuple[float, ...] = (0.5, 0.8, 1.0)
    royalty_rate: float = 0.05
    tax_rate: float = 0.25
    depreciation_years: int = 10
    debt_share: float = 0.6
    debt_rate: float = 0.08
    debt_tenor_years: int = 12
    debt_grace_years: int = 0
    discount_rate: float = 0.10
    public_discount_rate: float = 0.04
    dscr_threshold: float = 1.3
    price_volatility: float = 0.35
    extra: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        checks = {
            "capacity_t_per_y": self.capacity_t_per_y >= 0,
            "capex_usd": self.capex_usd >= 0,
            "opex_usd_per_t": self.opex_usd_per_t >= 0,
            "construction_years": self.construction_years >= 1,
            "operating_years": self.operating_years >= 1,
            "debt_share": 0 <= self.debt_share <= 1,
            "debt_tenor_years": 1 <= self.debt_tenor_years <= self.operating_years,
            "debt_grace_years": 0 <= self.debt_grace_years < self.debt_tenor_years,
            "depreciation_years": self.depreciation_years >= 1,
            "royalty_rate": 0 <= self.royalty_rate < 1,
            "tax_rate": 0 <= self.tax_rate < 1,
            "debt_rate": self.debt_rate > -1,
            "ramp_up": len(self.ramp_up) >= 1 and all(0 <= r <= 1 for r in self.ramp_up),
        }
        for name, ok in checks.items():
            if not ok:
                raise InputError(f"{name}={getattr(self, name)!r} is out of range", column=name)

    @property
    def years(self) -> int:
        """Model length: construction plus operating years."""
        return self.construction_years + self.operating_years

    def prices(self) -> FloatArray:
        """Price per model year, USD/t."""
        if isinstance(self.price_usd_per_t, (int, float)):
            return np.full(self.years, float(self.price_usd_per_t))
        p = np.asarray(self.price_usd_per_t, dtype=float)
        if p.size < self.years:
            p = np.concatenate([p, np.full(self.years - p.size, p[-1])])
        return p[: self.years]


@dataclass(frozen=True)
class Support:
    """Flows added by instruments, one value per model year (USD)."""

    revenue_usd: FloatArray | None = None
    fees_usd: FloatArray | None = None
    grant_usd: FloatArray | None = None


def annuity_payment(principal_usd: float, rate: float, years: int) -> float:
    """Level payment ``A = P·r / (1 − (1+r)^−n)`` (``P/n`` when ``r = 0``)."""
    if years <= 0:
        raise InputError(f"annuity over {years} years", column="tenor")
    if abs(rate) < 1e-9:
        return principal_usd / years
    return principal_usd * rate / -math.expm1(-years * math.log1p(rate))


def loan_schedule(
    principal_usd: float, rate: float, tenor_years: int, grace_years: int = 0
) -> pd.DataFrame:
    """Repayment of ``principal_usd`` from year 1: ``grace`` years interest-only, then annuity.

    Columns: ``year`` (1…tenor), ``balance_start_usd``, ``interest_usd``,
    ``principal_usd``, ``payment_usd``.
    """
    if not 0 <= grace_years < tenor_years:
        raise InputError(
            f"grace {grace_years} must be ≥ 0 and below the tenor {tenor_years}", column="grace"
        )
    rows = []
    balance = principal_usd
    pay = annuity_payment(principal_usd, rate, tenor_years - grace_years)
    for k in range(1, tenor_years + 1):
        interest = balance * rate
        repay = 0.0 if k <= grace_years else pay - interest
        if k == tenor_years:
            repay = balance
        rows.append((k, balance, interest, repay, interest + repay))
        balance -= repay
    return pd.DataFrame(
        rows,
        columns=["year", "balance_start_usd", "interest_usd", "principal_usd", "payment_usd"],
    )


def build(inputs: ProjectInputs, support: Support | None = None) -> pd.DataFrame:
    """The annual cash-flow table of a project (see the module docstring for formulas)."""
    n, c = inputs.years, inputs.construction_years
    support = support or Support()
    zeros = np.zeros(n)
    t = np.arange(n)
    operating = t >= c
    capex = np.where(~operating, inputs.capex_usd / c, 0.0)
    ramp = np.zeros(n)
    for k in range(inputs.operating_years):
        ramp[c + k] = inputs.ramp_up[min(k, len(inputs.ramp_up) - 1)]
    production = inputs.capacity_t_per_y * ramp
    price = inputs.prices()
    revenue = production * price + (
        support.revenue_usd if support.revenue_usd is not None else zeros
    )
    opex = production * inputs.opex_usd_per_t
    royalty = inputs.royalty_rate * np.maximum(revenue, 0.0)
    fees = support.fees_usd if support.fees_usd is not None else zeros
    grant = support.grant_usd if support.grant_usd is not None else zeros
    depreciation = np.zeros(n)
    dep_years = min(inputs.depreciation_years, inputs.operating_years)
    depreciation[c : c + dep_years] = inputs.capex_usd / dep_years

    draw = inputs.debt_share * capex
    interest = np.zeros(n)
    principal = np.zeros(n)
    balance = 0.0
    for k in range(c):  # construction: draw, capitalise interest
        balance = balance * (1 + inputs.debt_rate) + draw[k]
    if balance > 0:
        sched = loan_schedule(
            balance, inputs.debt_rate, inputs.debt_tenor_years, inputs.debt_grace_years
        )
        idx = c + sched["year"].to_numpy() - 1
        interest[idx] = sched["interest_usd"].to_numpy()
        principal[idx] = sched["principal_usd"].to_numpy()
    debt_service = interest + principal
    taxable = revenue - opex - royalty - depreciation - interest - fees
    tax = inputs.tax_rate * np.maximum(taxable, 0.0)
    cfads = revenue - opex - royalty - tax - fees
    equity = -capex + draw + grant + cfads - debt_service
    return pd.DataFrame(
        {
            "t": t,
            "year": inputs.start_year + t,
            "capex_usd": capex,
            "production_t": production,
            "price_usd_per_t": price,
            "revenue_usd": revenue,
            "opex_usd": opex,
            "royalty_usd": royalty,
            "fees_usd": fees,
            "depreciation_usd": depreciation,
            "debt_draw_usd": draw,
            "interest_usd": interest,
            "principal_usd": principal,
            "debt_service_usd": debt_service,
            "tax_usd": tax,
            "cfads_usd": cfads,
            "grant_usd": grant,
            "project_cf_usd": -capex + cfads,
            "equity_cf_usd": equity,
        }
    )


def _bisect(f: Callable[[float], float], a: float, b: float, tol: float = 1e-13) -> float:
    """Root of ``f`` in ``[a, b]`` where ``f(a)·f(b) < 0``, by bisection to ``tol``."""
    fa = f(a)
    for _ in range(200):
        m = 0.5 * (a + b)
        fm = f(m)
        if fm == 0 or b - a < tol:
            return m
        if (fa < 0) == (fm < 0):
            a, fa = m, fm
        else:
            b = m
    return 0.5 * (a + b)


def npv(rate: float, flows: ArrayLike) -> float:
    """``NPV = Σ_t CF_t / (1+r)^t`` with ``t = 0`` undiscounted (numpy-financial convention)."""
    cf = np.asarray(flows, dtype=float)
    if rate <= -1:
        raise InputError(f"discount rate {rate} must be above −1", column="discount_rate")
    return float(np.sum(cf / (1.0 + rate) ** np.arange(cf.size)))


@dataclass(frozen=True)
class IrrResult:
    """An IRR and, when it is NaN, why."""

    value: float
    reason: str | None = None


def irr_result(flows: ArrayLike, *, lo: float = -0.99, hi: float = 10.0) -> IrrResult:
    """IRR by bracketed root-finding (bisection) on ``NPV(r) = 0`` over ``r ∈ [lo, hi]``.

    The bracket is scanned on a grid for sign changes of NPV; with several roots
    (non-conventional flows) the one closest to zero is returned. NaN with a reason when
    the flows do not change sign or NPV has no root in the bracket.
    """
    cf = np.asarray(flows, dtype=float)
    if cf.size < 2 or not (np.any(cf > 0) and np.any(cf < 0)):
        return IrrResult(math.nan, "the cash flows do not change sign")
    grid = np.concatenate([np.linspace(lo, 0.0, 200, endpoint=False), np.geomspace(1e-6, hi, 400)])
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        vals = np.sum(cf[None, :] / (1.0 + grid[:, None]) ** np.arange(cf.size)[None, :], axis=1)
    roots: list[float] = []
    for a, b, fa, fb in zip(grid[:-1], grid[1:], vals[:-1], vals[1:], strict=True):
        if fa == 0:
            roots.append(float(a))
        elif fa * fb < 0:
            roots.append(_bisect(lambda r: npv(r, cf), float(a), float(b)))
    if vals[-1] == 0:
        roots.append(float(grid[-1]))
    if not roots:
        return IrrResult(math.nan, f"NPV has no root for rates in [{lo}, {hi}]")
    return IrrResult(min(roots, key=abs))


def irr(flows: ArrayLike) -> float:
    """Internal rate of return (NaN when undefined; see :func:`irr_result`)."""
    return irr_result(flows).value


def min_dscr(
    cfads_usd: Sequence[float] | FloatArray, debt_service_usd: Sequence[float] | FloatArray
) -> float:
    """``min_t CFADS_t / DS_t`` over years with debt service > 0; NaN when there is no debt."""
    cf = np.asarray(cfads_usd, dtype=float)
    ds = np.asarray(debt_service_usd, dtype=float)
    mask = ds > 1e-9
    if not mask.any():
        return math.nan
    return float(np.min(cf[mask] / ds[mask]))


def summary(table: pd.DataFrame, inputs: ProjectInputs) -> dict[str, float | bool | str | None]:
    """Sponsor NPV and IRR (equity flows), project NPV/IRR, min DSCR, bankable."""
    eq = table["equity_cf_usd"].to_numpy()
    eq_irr = irr_result(eq)
    dscr = min_dscr(table["cfads_usd"].to_numpy(), table["debt_service_usd"].to_numpy())
    sponsor_npv = npv(inputs.discount_rate, eq)
    bankable = sponsor_npv >= 0 and (math.isnan(dscr) or dscr >= inputs.dscr_threshold)
    return {
        "sponsor_npv_usd": sponsor_npv,
        "sponsor_irr": eq_irr.value,
        "sponsor_irr_note": eq_irr.reason,
        "project_npv_usd": npv(inputs.discount_rate, table["project_cf_usd"].to_numpy()),
        "project_irr": irr(table["project_cf_usd"].to_numpy()),
        "min_dscr": dscr,
        "dscr_threshold": inputs.dscr_threshold,
        "bankable": bool(bankable),
    }
