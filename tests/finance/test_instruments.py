"""Instruments: closed forms (subsidy element, guarantee loss, floor payout) and effects."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from minsec.finance.cashflow import ProjectInputs, annuity_payment, npv
from minsec.finance.instruments import (
    ConcessionalLoan,
    Equity,
    Grant,
    Guarantee,
    Insurance,
    Offtake,
    PriceFloor,
    evaluate,
    expected_put_payout,
    guarantee_expected_loss,
    subsidy_element,
)

BASE = ProjectInputs(
    project_id="p",
    capacity_t_per_y=1000.0,
    capex_usd=200e6,
    opex_usd_per_t=25_000.0,
    price_usd_per_t=45_000.0,
    construction_years=2,
    operating_years=15,
)


def test_subsidy_element_closed_form_annuity() -> None:
    p, rc, rm, n = 100e6, 0.02, 0.07, 12
    a = p * rc / (1 - (1 + rc) ** -n)
    expected = p - a * (1 - (1 + rm) ** -n) / rm
    assert subsidy_element(p, rc, rm, n) == pytest.approx(expected, rel=1e-12)
    assert subsidy_element(p, rm, rm, n) == pytest.approx(0.0, abs=1e-6)


def test_subsidy_element_closed_form_with_grace() -> None:
    p, rc, rm, n, g = 50e6, 0.01, 0.06, 10, 3
    interest_pv = p * rc * (1 - (1 + rm) ** -g) / rm
    a = annuity_payment(p, rc, n - g)
    annuity_pv = a * (1 - (1 + rm) ** -(n - g)) / rm * (1 + rm) ** -g
    assert subsidy_element(p, rc, rm, n, g) == pytest.approx(
        p - interest_pv - annuity_pv, rel=1e-12
    )


def test_loan_public_cost_is_subsidy_element_on_the_drawn_balance() -> None:
    inp = replace(BASE, construction_years=1)
    cf = evaluate(inp, (ConcessionalLoan(rate=0.03, tenor_years=10),))
    draw = 0.6 * 200e6  # drawn at t = 0, repaid from t = 1: no capitalised interest
    assert cf.instruments[0].public_cost(cf) == pytest.approx(
        subsidy_element(draw, 0.03, inp.debt_rate, 10), rel=1e-9
    )
    at_market = evaluate(inp, (ConcessionalLoan(rate=inp.debt_rate, tenor_years=12),))
    assert at_market.summary()["public_cost_usd"] == pytest.approx(0.0, abs=1e-3)


def test_guarantee_expected_loss_closed_form() -> None:
    x, pd_, rec, fee, r, n = 80e6, 0.03, 0.4, 0.01, 0.04, 7
    q, v = 1 - pd_, 1 / (1 + r)
    loss = pd_ * (1 - rec) * x * v * (1 - (q * v) ** n) / (1 - q * v)
    fees = fee * x * q * v * (1 - (q * v) ** n) / (1 - q * v)
    assert guarantee_expected_loss(np.full(n, x), pd_, rec, fee, r) == pytest.approx(loss - fees)
    # one year: PD·LGD·X·v − fee·X·q·v
    one = guarantee_expected_loss(np.array([x]), pd_, rec, fee, r)
    assert one == pytest.approx(pd_ * 0.6 * x * v - fee * x * q * v)


def test_guarantee_lowers_rate_and_costs_public() -> None:
    plain = evaluate(BASE)
    g = evaluate(BASE, (Guarantee(coverage=0.8, fee=0.005, pd_annual=0.03, recovery=0.3),))
    assert g.inputs.debt_rate == pytest.approx(0.8 * 0.05 + 0.2 * 0.08)
    assert g.table["interest_usd"].sum() < plain.table["interest_usd"].sum()
    assert g.summary()["public_cost_usd"] > 0


@pytest.mark.parametrize(
    ("k", "f", "sigma", "tau"),
    [(60e3, 69e3, 0.45, 3.0), (50e3, 45e3, 0.3, 1.0), (40e3, 45e3, 0.2, 10.0)],
)
def test_floor_closed_form_vs_monte_carlo(k: float, f: float, sigma: float, tau: float) -> None:
    closed = float(expected_put_payout(k, np.array([f]), sigma, np.array([tau]))[0])
    rng = np.random.default_rng(20251028)
    s = sigma * math.sqrt(tau)
    draws = f * np.exp(-0.5 * s**2 + s * rng.standard_normal(1_000_000))
    payoff = np.maximum(k - draws, 0.0)
    mc, se = payoff.mean(), payoff.std() / math.sqrt(payoff.size)
    # tolerance: 4 Monte Carlo standard errors (seeded, so deterministic)
    assert abs(mc - closed) < 4 * se + 1e-9
    assert closed >= max(k - f, 0.0)  # Jensen: the put is worth at least its intrinsic value


def test_floor_intrinsic_at_zero_horizon_and_cfd() -> None:
    assert expected_put_payout(50.0, np.array([40.0, 60.0]), 0.3, np.zeros(2)).tolist() == [
        10.0,
        0.0,
    ]
    cfd = evaluate(BASE, (PriceFloor(floor_usd_per_t=50_000.0, two_sided=True),))
    prod = cfd.table["production_t"].to_numpy()
    paid = prod * 5_000.0
    assert cfd.summary()["public_cost_usd"] == pytest.approx(npv(0.04, paid))


def test_offtake_and_equity_and_insurance() -> None:
    off = evaluate(BASE, (Offtake(volume_t=500.0, price_usd_per_t=50_000.0),))
    base = evaluate(BASE)
    extra = off.table["revenue_usd"] - base.table["revenue_usd"]
    expected = np.minimum(500.0, base.table["production_t"]) * 5_000.0
    assert extra.to_numpy() == pytest.approx(expected.to_numpy())
    eq = evaluate(BASE, (Equity(stake=0.25),))
    assert eq.summary()["sponsor_npv_usd"] == pytest.approx(
        0.75 * float(base.summary()["sponsor_npv_usd"])
    )
    assert eq.summary()["public_cost_usd"] == pytest.approx(
        -0.25 * float(base.summary()["sponsor_npv_usd"])
    )
    ins = evaluate(BASE, (Insurance(cover=0.9, premium=0.01, pd_annual=0.005, spread_cut=0.01),))
    assert ins.inputs.discount_rate == pytest.approx(0.09)
    assert ins.table["fees_usd"].iloc[2] == pytest.approx(0.01 * 0.9 * 200e6)


def test_apply_adds_to_existing_instruments_and_private_capital() -> None:
    cf = evaluate(BASE, (Grant(amount_usd=20e6),))
    both = ConcessionalLoan(rate=0.02, tenor_years=10).apply(cf)
    assert len(both.instruments) == 2
    s = both.summary()
    assert s["public_capital_usd"] == pytest.approx(20e6 + both.table["debt_draw_usd"].sum())
    assert s["private_capital_mobilised_usd"] == pytest.approx(
        200e6 - float(s["public_capital_usd"])
    )
    assert Grant(amount_usd=10e6).public_cost(
        evaluate(BASE, (Grant(amount_usd=10e6),))
    ) == pytest.approx(5e6 + 5e6 / 1.04)


def test_support_can_make_a_project_bankable() -> None:
    weak = replace(BASE, price_usd_per_t=33_000.0)
    assert not evaluate(weak).summary()["bankable"]
    helped = evaluate(
        weak,
        (
            Grant(amount_usd=60e6),
            ConcessionalLoan(rate=0.0, tenor_years=15, grace_years=2),
            PriceFloor(floor_usd_per_t=40_000.0),
        ),
    )
    assert helped.summary()["bankable"]


inputs_st = st.builds(
    lambda price, capex, opex, debt: replace(
        BASE, price_usd_per_t=price, capex_usd=capex, opex_usd_per_t=opex, debt_share=debt
    ),
    st.floats(10_000, 80_000),
    st.floats(1e6, 1e9),
    st.floats(1_000, 40_000),
    st.floats(0.0, 0.9),
)


@settings(max_examples=60, deadline=None)
@given(inputs_st, st.floats(0, 5e8))
def test_grant_never_lowers_sponsor_npv(inp: ProjectInputs, amount: float) -> None:
    before = float(evaluate(inp).summary()["sponsor_npv_usd"])
    after = float(evaluate(inp, (Grant(amount_usd=amount),)).summary()["sponsor_npv_usd"])
    assert after >= before - 1e-6 * max(1.0, abs(before))


@settings(max_examples=60, deadline=None)
@given(inputs_st, st.floats(0.0, 0.08), st.floats(0.0, 0.08))
def test_more_subsidy_never_lowers_dscr(inp: ProjectInputs, r1: float, r2: float) -> None:
    lo, hi = sorted((r1, r2))
    dear = evaluate(inp, (ConcessionalLoan(rate=hi, tenor_years=12),))
    # a ratio with a negative numerator falls as its denominator falls: the property is
    # stated for projects whose operating cash flow is positive
    assume(float(dear.table["cfads_usd"].iloc[inp.construction_years :].min()) > 0)
    d_cheap = evaluate(inp, (ConcessionalLoan(rate=lo, tenor_years=12),)).summary()["min_dscr"]
    d_dear = evaluate(inp, (ConcessionalLoan(rate=hi, tenor_years=12),)).summary()["min_dscr"]
    assert isinstance(d_cheap, float) and isinstance(d_dear, float)
    if math.isnan(d_dear):
        assert math.isnan(d_cheap)
    else:
        assert d_cheap >= d_dear - 1e-9 * max(1.0, abs(d_dear))


@settings(max_examples=100, deadline=None)
@given(
    st.floats(1, 1e6),
    st.lists(st.floats(0, 1e6), min_size=1, max_size=30),
    st.floats(-0.5, 1.0),
    st.floats(-0.5, 1.0),
)
def test_npv_decreasing_in_rate_for_conventional_flows(
    outlay: float, inflows: list[float], r1: float, r2: float
) -> None:
    flows = [-outlay, *inflows]
    lo, hi = sorted((r1, r2))
    assert npv(hi, flows) <= npv(lo, flows) + 1e-9 * max(1.0, abs(npv(lo, flows)))
