"""Cash-flow model: NPV/IRR against numpy-financial and hand-worked values, loan schedules."""

from __future__ import annotations

import math

import numpy as np
import numpy_financial as npf
import pytest

from minsec.errors import InputError
from minsec.finance.cashflow import (
    ProjectInputs,
    annuity_payment,
    build,
    irr,
    irr_result,
    loan_schedule,
    min_dscr,
    npv,
)

TEXTBOOK = [
    [-100.0, 39.0, 59.0, 55.0, 20.0],  # numpy-financial docstring, IRR 0.28095
    [-100.0, 0.0, 0.0, 74.0],
    [-100.0, 100.0, 0.0, -7.0],
    [-5.0, 10.5, 1.0, -8.0, 1.0],
    [-1000.0, 300.0, 400.0, 500.0, 200.0],
]


@pytest.mark.parametrize("flows", TEXTBOOK)
def test_npv_matches_numpy_financial(flows: list[float]) -> None:
    for r in (0.0, 0.05, 0.1, 0.281):
        assert npv(r, flows) == pytest.approx(float(npf.npv(r, flows)), rel=1e-12, abs=1e-9)


@pytest.mark.parametrize("flows", TEXTBOOK)
def test_irr_matches_numpy_financial(flows: list[float]) -> None:
    ours, ref = irr(flows), float(npf.irr(flows))
    assert ours == pytest.approx(ref, abs=1e-8)
    assert npv(ours, flows) == pytest.approx(0.0, abs=1e-6)


def test_hand_worked_npv_and_irr() -> None:
    # −100 now, 110 in a year: IRR 10 %; at 5 % NPV = −100 + 110/1.05
    assert irr([-100, 110]) == pytest.approx(0.10, abs=1e-12)
    assert npv(0.05, [-100, 110]) == pytest.approx(-100 + 110 / 1.05)
    # −100, 60, 60: (1+r)² − 0.6(1+r) − 0.6 = 0 → 1+r = (0.6 + √(0.36+2.4))/2
    assert irr([-100, 60, 60]) == pytest.approx((0.6 + math.sqrt(2.76)) / 2 - 1, abs=1e-10)


def test_irr_nan_with_reason() -> None:
    res = irr_result([100.0, 50.0])
    assert math.isnan(res.value) and res.reason is not None and "sign" in res.reason
    assert math.isnan(irr([-1.0, -2.0]))
    assert math.isnan(irr([]))


def test_annuity_closed_form() -> None:
    p, r, n = 1_000_000.0, 0.06, 10
    a = annuity_payment(p, r, n)
    assert a == pytest.approx(-float(npf.pmt(r, n, p)))
    sched = loan_schedule(p, r, n)
    assert sched["payment_usd"].to_numpy() == pytest.approx(np.full(n, a))
    assert sched["principal_usd"].sum() == pytest.approx(p)
    # balance after k payments: P(1+r)^k − A((1+r)^k − 1)/r
    k = 4
    assert sched["balance_start_usd"].iloc[k] == pytest.approx(
        p * (1 + r) ** k - a * ((1 + r) ** k - 1) / r
    )
    assert annuity_payment(120.0, 0.0, 12) == 10.0


def test_grace_is_interest_only() -> None:
    sched = loan_schedule(100.0, 0.05, 5, grace_years=2)
    assert sched["principal_usd"].iloc[:2].tolist() == [0.0, 0.0]
    assert sched["interest_usd"].iloc[:2].tolist() == pytest.approx([5.0, 5.0])
    assert sched["payment_usd"].iloc[2] == pytest.approx(annuity_payment(100.0, 0.05, 3))
    with pytest.raises(InputError, match="grace"):
        loan_schedule(100.0, 0.05, 5, grace_years=5)


def _simple(**kw: object) -> ProjectInputs:
    base: dict[str, object] = {
        "project_id": "p",
        "capacity_t_per_y": 1000.0,
        "capex_usd": 100e6,
        "opex_usd_per_t": 20_000.0,
        "price_usd_per_t": 40_000.0,
        "construction_years": 2,
        "operating_years": 10,
        "ramp_up": (1.0,),
        "royalty_rate": 0.0,
        "tax_rate": 0.0,
        "debt_share": 0.0,
        "debt_tenor_years": 8,
    }
    base.update(kw)
    return ProjectInputs(**base)  # type: ignore[arg-type]


def test_unlevered_no_tax_table_is_hand_worked() -> None:
    t = build(_simple())
    assert t["capex_usd"].tolist()[:3] == [50e6, 50e6, 0.0]
    # 1000 t × (40 000 − 20 000) USD/t = 20 MUSD a year for 10 years
    assert t["project_cf_usd"].iloc[2:].tolist() == pytest.approx([20e6] * 10)
    assert t["equity_cf_usd"].tolist() == pytest.approx(t["project_cf_usd"].tolist())
    assert math.isnan(min_dscr(t["cfads_usd"], t["debt_service_usd"]))


def test_tax_royalty_and_debt() -> None:
    inp = _simple(
        royalty_rate=0.05, tax_rate=0.25, debt_share=0.5, debt_rate=0.06, debt_tenor_years=8
    )
    t = build(inp)
    op = t.iloc[2]
    assert op["royalty_usd"] == pytest.approx(0.05 * 40e6)
    # debt: 25 MUSD in year 0 and year 1, interest capitalised once: 25·1.06 + 25
    balance = 25e6 * 1.06 + 25e6
    assert op["interest_usd"] == pytest.approx(0.06 * balance)
    assert op["debt_service_usd"] == pytest.approx(annuity_payment(balance, 0.06, 8))
    taxable = 40e6 - 20e6 - 2e6 - 10e6 - 0.06 * balance
    assert op["tax_usd"] == pytest.approx(0.25 * taxable)
    assert t["principal_usd"].sum() == pytest.approx(balance)
    dscr = min_dscr(t["cfads_usd"], t["debt_service_usd"])
    assert dscr == pytest.approx((t["cfads_usd"] / t["debt_service_usd"]).iloc[2:10].min())


def test_bad_inputs_name_the_field() -> None:
    with pytest.raises(InputError, match="debt_share"):
        _simple(debt_share=1.5)
    with pytest.raises(InputError, match="discount rate"):
        npv(-1.0, [1.0])
