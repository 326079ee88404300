"""The $550 bn vehicle split (hand-worked) and instrument spec parsing."""

from __future__ import annotations

import math

import numpy_financial as npf
import pytest

from minsec.errors import InputError
from minsec.finance import spec, vehicle
from minsec.finance.instruments import ConcessionalLoan, Grant, Guarantee, PriceFloor


def test_vehicle_split_hand_worked() -> None:
    # Japan funds 100; deemed allocation 100 → Japan needs 200 of cash at 50/50.
    # Year 1: 120 → 60/60 (Japan recovered 60). Year 2: 120 → first 80 at 50/50 (40/40,
    # Japan reaches 100), remaining 40 at 10/90 (4/36): Japan 44, US 76.
    # Year 3: 100 → 10/90.
    f = vehicle.split([-100.0, 120.0, 120.0, 100.0], 100.0)
    assert f["japan_usd"].tolist() == pytest.approx([-100.0, 60.0, 44.0, 10.0])
    assert f["us_usd"].tolist() == pytest.approx([0.0, 60.0, 76.0, 90.0])
    assert f["japan_recovered_usd"].tolist() == pytest.approx([0.0, 60.0, 100.0, 100.0])
    r = vehicle.returns(f, 0.05).set_index("party")
    assert r.loc["Japan", "irr"] == pytest.approx(
        float(npf.irr([-100.0, 60.0, 44.0, 10.0])), abs=1e-9
    )
    assert r.loc["Japan", "npv_usd"] == pytest.approx(
        -100 + 60 / 1.05 + 44 / 1.05**2 + 10 / 1.05**3
    )
    assert math.isnan(r.loc["US", "irr"]) and "sign" in str(r.loc["US", "irr_note"])


def test_vehicle_default_deemed_is_funding_and_shares_sum() -> None:
    flows = [-50.0, -50.0, 30.0, 400.0]
    f = vehicle.split(flows)
    assert (f["japan_usd"] + f["us_usd"]).tolist() == pytest.approx(flows)
    assert f["japan_recovered_usd"].iloc[-1] == pytest.approx(100.0)
    with pytest.raises(InputError, match="deemed"):
        vehicle.split(flows, -1.0)


def test_spec_parses_each_kind() -> None:
    loan = spec.parse("loan:rate=0.03,tenor=12,grace=2")
    assert loan == ConcessionalLoan(rate=0.03, tenor_years=12, grace_years=2)
    assert spec.parse("grant:amount=5e7") == Grant(amount_usd=5e7)
    assert spec.parse("guarantee") == Guarantee()
    assert spec.parse("cfd:strike=65000") == PriceFloor(floor_usd_per_t=65000.0, two_sided=True)
    assert spec.parse(" Floor:price=60_000, vol=0.4 ") == PriceFloor(60000.0, volatility=0.4)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("lone:rate=0.03", "unknown instrument 'lone'.*loan"),
        ("loan:rate=0.03", "needs field.*tenor"),
        ("loan:rate=abc,tenor=12", "field 'rate' must be a number"),
        ("loan:rat=0.03,tenor=12", "no field 'rat'.*rate"),
        ("loan:rate=0.03,tenor=12.5", "whole number"),
        ("loan:rate=0.03,tenor=5,grace=5", "grace"),
        ("loan:rate=0.03,rate=0.04,tenor=5", "twice"),
        ("guarantee:coverage=1.5", "coverage.*outside"),
        ("grant:50", "FIELD=VALUE"),
    ],
)
def test_spec_errors_name_the_field(text: str, match: str) -> None:
    with pytest.raises(InputError, match=match) as info:
        spec.parse(text)
    assert "--instrument" in str(info.value)
