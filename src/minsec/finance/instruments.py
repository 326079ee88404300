"""Public support instruments: how each changes a project's cash flows and what it costs.

Every instrument is a frozen dataclass with

* ``modify(inputs) -> inputs`` — changes to the financing terms (loan, guarantee, insurance);
* ``support(inputs, table) -> Support`` — flows it adds (grant, offtake, floor, fees);
* ``public_cost(cf) -> float`` — expected present cost to the public side, USD, at
  ``inputs.public_discount_rate`` unless stated;
* ``public_capital_usd(cf) -> float`` — capital the public side provides (for "private
  capital mobilised");
* ``apply(cf) -> CashFlows`` — the cash flows with this instrument added.

Closed forms (``v = 1/(1+r)``, ``q = 1 − PD``):

* loan subsidy element = PV at the market rate of the payments saved
  = ``P − PV_market(concessional payments)``; for an annuity without grace
  ``P − A_c·(1 − (1+r_m)^−n)/r_m`` with ``A_c = P·r_c/(1 − (1+r_c)^−n)``;
* guarantee expected loss = ``Σ_k v^k·q^(k−1)·PD·LGD·X_k − Σ_k v^k·q^k·fee·X_k``
  (exposure ``X_k`` at the start of repayment year ``k``; fees paid while the loan
  survives); for one year this is ``PD·LGD·X·v − fee·X·q·v``;
* price floor expected payout per year = ``volume·E[max(K − S, 0)]`` with ``S`` lognormal
  of mean ``F`` and log-volatility ``σ√τ``: the undiscounted Black-76 put
  ``K·N(−d2) − F·N(−d1)``, ``d1 = (ln(F/K) + σ²τ/2)/(σ√τ)``, ``d2 = d1 − σ√τ``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
import pandas as pd

from minsec.errors import InputError
from minsec.finance.cashflow import FloatArray, ProjectInputs, Support, build, summary


def pv(rate: float, flows: FloatArray, *, t0: int = 0) -> float:
    """``Σ_t CF_t/(1+r)^(t+t0)``, flows indexed by model year."""
    return float(np.sum(flows / (1.0 + rate) ** (np.arange(flows.size) + t0)))


def norm_cdf(x: FloatArray) -> FloatArray:
    """Standard normal CDF ``Φ(x) = (1 + erf(x/√2))/2``."""
    erf = np.vectorize(math.erf, otypes=[float])
    return np.asarray(0.5 * (1.0 + erf(np.asarray(x, dtype=float) / math.sqrt(2.0))), dtype=float)


# -- closed forms ----------------------------------------------------------------------------


def subsidy_element(
    principal_usd: float, rate: float, market_rate: float, tenor_years: int, grace_years: int = 0
) -> float:
    """``P − PV_market(payments)`` of a loan repaid from year 1.

    Payments: ``grace`` years interest-only, then a level annuity (see ``loan_schedule``).
    """
    from minsec.finance.cashflow import loan_schedule

    sched = loan_schedule(principal_usd, rate, tenor_years, grace_years)
    pay = sched["payment_usd"].to_numpy()
    return principal_usd - pv(market_rate, pay, t0=1)


def guarantee_expected_loss(
    exposure_usd: FloatArray, pd_annual: float, recovery: float, fee: float, rate: float
) -> float:
    """``Σ_k v^k·q^(k−1)·PD·LGD·X_k − Σ_k v^k·q^k·fee·X_k``, ``k = 1…n`` (see module doc)."""
    x = np.asarray(exposure_usd, dtype=float)
    k = np.arange(1, x.size + 1)
    q = 1.0 - pd_annual
    v = (1.0 + rate) ** -k
    loss = np.sum(v * q ** (k - 1) * pd_annual * (1.0 - recovery) * x)
    fees = np.sum(v * q**k * fee * x)
    return float(loss - fees)


def expected_put_payout(
    floor_usd_per_t: float,
    forward_usd_per_t: FloatArray,
    volatility: float,
    horizon_years: FloatArray,
) -> FloatArray:
    """``E[max(K − S, 0)]`` for lognormal ``S`` with mean ``F`` (undiscounted Black-76 put)."""
    f = np.asarray(forward_usd_per_t, dtype=float)
    tau = np.asarray(horizon_years, dtype=float)
    k = floor_usd_per_t
    s = volatility * np.sqrt(np.maximum(tau, 0.0))
    intrinsic = np.maximum(k - f, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = (np.log(f / k) + 0.5 * s**2) / s
        d2 = d1 - s
        put = k * norm_cdf(-d2) - f * norm_cdf(-d1)
    return np.where(s > 0, put, intrinsic)


# -- evaluation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CashFlows:
    """A project's cash flows under a list of instruments."""

    base: ProjectInputs
    instruments: tuple[Instrument, ...]
    inputs: ProjectInputs
    table: pd.DataFrame
    sponsor_share: float = 1.0

    def sponsor_flows(self) -> FloatArray:
        """Equity cash flows that stay with the sponsor (after any public equity stake)."""
        return self.sponsor_share * self.table["equity_cf_usd"].to_numpy()

    def summary(self) -> dict[str, float | bool | str | None]:
        """NPV, IRR, min DSCR, bankable, public cost and private capital mobilised."""
        table = self.table.copy()
        table["equity_cf_usd"] = self.sponsor_flows()
        out = summary(table, self.inputs)
        cost = sum(i.public_cost(self) for i in self.instruments)
        public_capital = sum(i.public_capital_usd(self) for i in self.instruments)
        out["public_cost_usd"] = float(cost)
        out["public_capital_usd"] = float(public_capital)
        out["private_capital_mobilised_usd"] = float(max(self.base.capex_usd - public_capital, 0.0))
        return out


def evaluate(inputs: ProjectInputs, instruments: tuple[Instrument, ...] = ()) -> CashFlows:
    """Cash flows of ``inputs`` with ``instruments`` (terms first, then added flows)."""
    mod = inputs
    for inst in instruments:
        mod = inst.modify(mod)
    plain = build(mod)
    n = mod.years
    total = {"revenue_usd": np.zeros(n), "fees_usd": np.zeros(n), "grant_usd": np.zeros(n)}
    for inst in instruments:
        s = inst.support(mod, plain)
        for name, acc in total.items():
            arr = getattr(s, name)
            if arr is not None:
                total[name] = acc + arr
    table = build(mod, Support(**total))
    share = 1.0
    for inst in instruments:
        if isinstance(inst, Equity):
            share *= 1.0 - inst.stake
    return CashFlows(inputs, instruments, mod, table, share)


@dataclass(frozen=True)
class Instrument:
    """Base class: no change and no cost."""

    kind: ClassVar[str] = "none"

    def modify(self, inputs: ProjectInputs) -> ProjectInputs:
        """Inputs with this instrument's financing terms."""
        return inputs

    def support(self, inputs: ProjectInputs, table: pd.DataFrame) -> Support:
        """Flows this instrument adds, given the table without support."""
        return Support()

    def public_cost(self, cf: CashFlows) -> float:
        """Expected present cost to the public side, USD."""
        return 0.0

    def public_capital_usd(self, cf: CashFlows) -> float:
        """Capital the public side provides, USD."""
        return 0.0

    def apply(self, cf: CashFlows) -> CashFlows:
        """``cf`` with this instrument added."""
        return evaluate(cf.base, (*cf.instruments, self))


def _operating(inputs: ProjectInputs) -> FloatArray:
    return (np.arange(inputs.years) >= inputs.construction_years).astype(float)


@dataclass(frozen=True)
class Grant(Instrument):
    """A capital grant of ``amount_usd``, paid pro rata with capex (not taxed)."""

    kind: ClassVar[str] = "grant"
    amount_usd: float = 0.0

    def support(self, inputs: ProjectInputs, table: pd.DataFrame) -> Support:
        """Flows this instrument adds."""
        capex = table["capex_usd"].to_numpy()
        share = capex / capex.sum() if capex.sum() > 0 else np.eye(inputs.years)[0]
        return Support(grant_usd=self.amount_usd * share)

    def public_cost(self, cf: CashFlows) -> float:
        """PV of the grant at the public discount rate."""
        return pv(cf.inputs.public_discount_rate, cf.table["grant_usd"].to_numpy())

    def public_capital_usd(self, cf: CashFlows) -> float:
        """Capital the public side provides, USD."""
        return self.amount_usd


@dataclass(frozen=True)
class ConcessionalLoan(Instrument):
    """Public loan replacing the market debt: ``rate``, ``tenor_years``, ``grace_years``.

    ``share`` (of capex) replaces the debt share when given.
    Public cost = subsidy element = PV at the market rate of the payments saved
    = ``PV_m(draws) − PV_m(debt service)`` (zero for a loan at the market rate).
    """

    kind: ClassVar[str] = "loan"
    rate: float = 0.03
    tenor_years: int = 12
    grace_years: int = 0
    share: float | None = None

    def modify(self, inputs: ProjectInputs) -> ProjectInputs:
        """Inputs with this instrument's financing terms."""
        if self.tenor_years > inputs.operating_years:
            raise InputError(
                f"tenor {self.tenor_years} is longer than the operating life "
                f"{inputs.operating_years}",
                column="tenor",
            )
        return replace(
            inputs,
            debt_rate=self.rate,
            debt_tenor_years=self.tenor_years,
            debt_grace_years=self.grace_years,
            debt_share=inputs.debt_share if self.share is None else self.share,
            extra={
                **inputs.extra,
                "market_debt_rate": inputs.extra.get("market_debt_rate", inputs.debt_rate),
            },
        )

    def public_cost(self, cf: CashFlows) -> float:
        """Expected present cost to the public side, USD (see the class docstring)."""
        market = cf.inputs.extra.get("market_debt_rate", cf.base.debt_rate)
        t = cf.table
        return pv(market, t["debt_draw_usd"].to_numpy()) - pv(
            market, t["debt_service_usd"].to_numpy()
        )

    def public_capital_usd(self, cf: CashFlows) -> float:
        """Capital the public side provides, USD."""
        return float(cf.table["debt_draw_usd"].sum())


def _balances(table: pd.DataFrame) -> FloatArray:
    """Debt outstanding at the start of each year (after construction draws)."""
    principal = table["principal_usd"].to_numpy()
    remaining = np.cumsum(principal[::-1])[::-1]
    return np.where(table["debt_service_usd"].to_numpy() > 0, remaining, 0.0)


@dataclass(frozen=True)
class Guarantee(Instrument):
    """Loan guarantee covering ``coverage`` of the debt for an annual ``fee`` on the cover.

    The covered part borrows at ``guaranteed_rate`` (default: market rate − 3 points,
    floored at 0), so the blended rate falls. Public cost = expected loss − PV(fees) with
    annual default probability ``pd_annual`` and ``recovery`` (``LGD = 1 − recovery``).
    """

    kind: ClassVar[str] = "guarantee"
    coverage: float = 0.8
    fee: float = 0.01
    pd_annual: float = 0.02
    recovery: float = 0.4
    guaranteed_rate: float | None = None

    def modify(self, inputs: ProjectInputs) -> ProjectInputs:
        """Inputs with this instrument's financing terms."""
        g = (
            self.guaranteed_rate
            if self.guaranteed_rate is not None
            else max(inputs.debt_rate - 0.03, 0.0)
        )
        return replace(inputs, debt_rate=self.coverage * g + (1 - self.coverage) * inputs.debt_rate)

    def _exposure(self, table: pd.DataFrame) -> FloatArray:
        return self.coverage * _balances(table)

    def support(self, inputs: ProjectInputs, table: pd.DataFrame) -> Support:
        """Flows this instrument adds."""
        return Support(fees_usd=self.fee * self._exposure(table))

    def public_cost(self, cf: CashFlows) -> float:
        """Expected present cost to the public side, USD (see the class docstring)."""
        x = self._exposure(cf.table)
        first = int(np.argmax(x > 0)) if (x > 0).any() else 0
        el = guarantee_expected_loss(
            x[first:], self.pd_annual, self.recovery, self.fee, cf.inputs.public_discount_rate
        )
        return el / (1 + cf.inputs.public_discount_rate) ** (first - 1)


@dataclass(frozen=True)
class Equity(Instrument):
    """A public equity ``stake`` (share of every equity flow).

    Public cost = expected-return shortfall = ``−stake·NPV`` of the equity flows at the
    market equity return ``required_return`` (default: the sponsor's discount rate).
    """

    kind: ClassVar[str] = "equity"
    stake: float = 0.2
    required_return: float | None = None

    def public_cost(self, cf: CashFlows) -> float:
        """Expected present cost to the public side, USD (see the class docstring)."""
        r = self.required_return if self.required_return is not None else cf.inputs.discount_rate
        return -self.stake * pv(r, cf.table["equity_cf_usd"].to_numpy())

    def public_capital_usd(self, cf: CashFlows) -> float:
        """Capital the public side provides, USD."""
        eq = cf.table["equity_cf_usd"].to_numpy()
        return float(-self.stake * eq[eq < 0].sum())


@dataclass(frozen=True)
class Offtake(Instrument):
    """A (public) buyer takes ``volume_t`` a year at ``price_usd_per_t`` instead of the market.

    Extra revenue per year = ``min(volume, production)·(contract − market price)``; the
    public cost is its PV at the public rate (negative when the contract is below market).
    """

    kind: ClassVar[str] = "offtake"
    volume_t: float = 0.0
    price_usd_per_t: float = 0.0

    def _delta(self, inputs: ProjectInputs, table: pd.DataFrame) -> FloatArray:
        q = np.minimum(self.volume_t, table["production_t"].to_numpy())
        return np.asarray(
            q * (self.price_usd_per_t - table["price_usd_per_t"].to_numpy()), dtype=float
        )

    def support(self, inputs: ProjectInputs, table: pd.DataFrame) -> Support:
        """Flows this instrument adds."""
        return Support(revenue_usd=self._delta(inputs, table))

    def public_cost(self, cf: CashFlows) -> float:
        """Expected present cost to the public side, USD (see the class docstring)."""
        return pv(cf.inputs.public_discount_rate, self._delta(cf.inputs, cf.table))


@dataclass(frozen=True)
class PriceFloor(Instrument):
    """Price floor (one-sided) or contract for difference (``two_sided``) at ``floor_usd_per_t``.

    Expected payout in year ``t`` = ``volume_t·E[max(K − S_t, 0)]`` (floor) or
    ``volume_t·(K − F_t)`` (CfD), ``S_t`` lognormal with mean the price path ``F_t`` and
    volatility ``σ√t`` (``σ`` = ``volatility`` or the project's ``price_volatility``).
    ``volume_t`` defaults to all production. The sponsor's revenue gains the expected
    payout; the public cost is its PV at the public rate.
    """

    kind: ClassVar[str] = "floor"
    floor_usd_per_t: float = 0.0
    volume_t: float | None = None
    volatility: float | None = None
    two_sided: bool = False

    def payout(self, inputs: ProjectInputs, table: pd.DataFrame) -> FloatArray:
        """Expected payout per model year, USD."""
        prod = table["production_t"].to_numpy()
        q = prod if self.volume_t is None else np.minimum(self.volume_t, prod)
        f = table["price_usd_per_t"].to_numpy()
        if self.two_sided:
            per_t = self.floor_usd_per_t - f
        else:
            sigma = self.volatility if self.volatility is not None else inputs.price_volatility
            per_t = expected_put_payout(
                self.floor_usd_per_t, f, sigma, np.arange(inputs.years, dtype=float)
            )
        return q * per_t

    def support(self, inputs: ProjectInputs, table: pd.DataFrame) -> Support:
        """Flows this instrument adds."""
        return Support(revenue_usd=self.payout(inputs, table))

    def public_cost(self, cf: CashFlows) -> float:
        """Expected present cost to the public side, USD (see the class docstring)."""
        return pv(cf.inputs.public_discount_rate, self.payout(cf.inputs, cf.table))


@dataclass(frozen=True)
class Insurance(Instrument):
    """Political-risk insurance of ``cover`` × capex against total loss (prob. ``pd_annual``).

    The project pays ``premium`` a year on the insured amount in operating years; the
    sponsor's required return falls by ``spread_cut`` (the insured risk is no longer
    priced). Public cost = expected claims − PV(premiums), same form as the guarantee.
    """

    kind: ClassVar[str] = "insurance"
    cover: float = 0.9
    premium: float = 0.01
    pd_annual: float = 0.005
    spread_cut: float = 0.01

    def modify(self, inputs: ProjectInputs) -> ProjectInputs:
        """Inputs with this instrument's financing terms."""
        return replace(inputs, discount_rate=max(inputs.discount_rate - self.spread_cut, 0.0))

    def _exposure(self, inputs: ProjectInputs) -> FloatArray:
        return self.cover * inputs.capex_usd * _operating(inputs)

    def support(self, inputs: ProjectInputs, table: pd.DataFrame) -> Support:
        """Flows this instrument adds."""
        return Support(fees_usd=self.premium * self._exposure(inputs))

    def public_cost(self, cf: CashFlows) -> float:
        """Expected present cost to the public side, USD (see the class docstring)."""
        c = cf.inputs.construction_years
        x = self._exposure(cf.inputs)[c:]
        el = guarantee_expected_loss(
            x, self.pd_annual, 0.0, self.premium, cf.inputs.public_discount_rate
        )
        return el / (1 + cf.inputs.public_discount_rate) ** (c - 1)


KINDS: dict[str, type[Instrument]] = {
    cls.kind: cls
    for cls in (Grant, ConcessionalLoan, Guarantee, Equity, Offtake, PriceFloor, Insurance)
}

__all__ = [
    "KINDS",
    "CashFlows",
    "ConcessionalLoan",
    "Equity",
    "Grant",
    "Guarantee",
    "Instrument",
    "Insurance",
    "Offtake",
    "PriceFloor",
    "evaluate",
    "expected_put_payout",
    "guarantee_expected_loss",
    "subsidy_element",
]
