"""Offtake netbacks against a rival's landed cost, by hand, and wired into `minsec plan`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from minsec.catalog import tariff_file
from minsec.catalog import tariffs as tf
from minsec.errors import InputError
from minsec.finance import instruments as ins
from minsec.finance import netback, plan
from minsec.finance import projects as fin_projects
from tests.finance.test_plan import PROJECTS, fake_simulate

DAY = dt.date(2026, 1, 1)


def _japan_mfn_free() -> None:
    """Japan's duty on lithium carbonate is not in the packaged data: a user row."""
    tariff_file.set_measure(
        {"kind": "mfn", "hs": "283691", "origin": "all", "destination": "JPN", "duty": 0.0,
         "valid_from": "2020-01-01", "source": "test: Japan's tariff schedule"}
    )  # fmt: skip


def test_netback_by_hand() -> None:
    _japan_mfn_free()
    book = tf.book()
    # Chinese lithium carbonate into the US on 1 Jan 2026: MFN 3.7 % + Section 301 25 %
    # + IEEPA 10 % (reciprocal: Annex II) = 38.7 %; freight 100 USD/t
    assert tf.resolve(book, "283691", "CHN", "USA", DAY).total == pytest.approx(0.387)
    price, parts = netback.netback_price(
        10_000.0, "AUS", {"USA": 0.5, "JPN": 0.3}, hs6="283691", rival="CHN", day=DAY, book=book
    )
    by = {n.destination: n for n in parts}
    # USA: rival landed 10,000 × 1.387 + 100 = 13,970; Australia pays no duty (AUSFTA),
    # 100 freight: netback 13,870. Japan: no duty on either, same freight: 10,000
    assert by["USA"].rival_landed_usd_per_t == pytest.approx(13_970.0)
    assert by["USA"].netback_usd_per_t == pytest.approx(13_870.0)
    assert by["JPN"].netback_usd_per_t == pytest.approx(10_000.0)
    # 20 % unsold at the world price
    assert price == pytest.approx(0.5 * 13_870 + 0.3 * 10_000 + 0.2 * 10_000)
    assert "USA 50% at 13,870" in netback.describe(price, parts, "CHN")


def test_domestic_sale_and_a_dutiable_project() -> None:
    book = tf.book()
    # a US project selling at home competes with the landed Chinese tonne, no duty or freight
    price, _ = netback.netback_price(
        10_000.0, "USA", {"USA": 1.0}, hs6="283691", rival="CHN", day=DAY, book=book
    )
    assert price == pytest.approx(13_970.0)
    # an Argentine project pays MFN only (lithium compounds are exempt from the reciprocal
    # duty, Annex II): (13,970 − 100) / 1.037
    price, _ = netback.netback_price(
        10_000.0, "ARG", {"USA": 1.0}, hs6="283691", rival="CHN", day=DAY, book=book
    )
    assert price == pytest.approx(13_870.0 / 1.037)
    # before the tariffs of 2025: MFN 3.7 % + 301 25 % on China
    old = dt.date(2024, 6, 1)
    price, _ = netback.netback_price(
        10_000.0, "AUS", {"EU27": 0.0, "USA": 1.0}, hs6="283691", rival="CHN", day=old, book=book
    )
    assert price == pytest.approx(10_000 * 1.287)


def test_unknown_duty_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="not in the tariff data") as info:
        netback.netback_price(
            10_000.0, "AUS", {"JPN": 1.0}, hs6="283691", rival="CHN", day=DAY, book=tf.book(),
            where="minerals.lithium.landed_cost",
        )  # fmt: skip
    assert info.value.column == "minerals.lithium.landed_cost"
    assert "minsec tariffs set --kind mfn --hs6 283691" in str(info.value)


def _spec(**landed: Any) -> plan.PlanSpec:
    return plan.load_spec(
        {
            "runs": 8, "horizon_years": 4, "budget_usd": 1e9, "buckets": None, "seed": 1,
            "projects": PROJECTS[:2],
            "minerals": {"lithium": {"price_usd_per_t": 10_000.0,
                                     **({"landed_cost": landed} if landed else {})}},
        }
    )  # fmt: skip


def test_plan_prices_offtake_by_netback() -> None:
    _japan_mfn_free()
    base = plan.run_plan(_spec(), None, simulate=fake_simulate([], 4))
    landed = plan.run_plan(
        _spec(rival="CHN", hs6="283691", date="2026-01-01"), None, simulate=fake_simulate([], 4)
    )
    price = landed.portfolio.set_index("project_id")["price_usd_per_t"]
    # fast: AUS, offtake USA 0.5 / JPN 0.5 -> 0.5 × 13,870 + 0.5 × 10,000
    assert price["fast"] == pytest.approx(11_935.0)
    # slow: USA, all sold at home against the landed Chinese tonne
    assert price["slow"] == pytest.approx(13_970.0)
    assert (base.portfolio["price_usd_per_t"] == 10_000.0).all()
    # the options' finance is the cash-flow model's at that price
    row = {**PROJECTS[0], "project_id": "fast"}
    inputs = fin_projects.inputs_for(row, price_usd_per_t=11_935.0, start_year=2026)
    loan = ins.ConcessionalLoan(rate=0.03, tenor_years=12, grace_years=2)  # option 0
    expected = ins.evaluate(inputs, (loan,)).summary()
    opts = landed.options.set_index(["project_id", "option"])
    assert opts.loc[("fast", 0), "sponsor_npv_usd"] == pytest.approx(expected["sponsor_npv_usd"])
    before = base.options.set_index(["project_id", "option"]).loc[("fast", 0), "sponsor_npv_usd"]
    assert opts.loc[("fast", 0), "sponsor_npv_usd"] > before  # a higher price pays more
    assert any(
        "fast: price 11,935 USD/t from netbacks against CHN" in n for n in landed.meta["notes"]
    )


@pytest.mark.parametrize(
    ("landed", "column", "message"),
    [
        ({"rival": "Chna"}, "minerals.lithium.landed_cost.rival", "unknown country 'Chna'"),
        ({"rival": "CHN", "hs6": "999999"}, "minerals.lithium.landed_cost.hs6", "unknown HS"),
        ({"rival": "CHN", "hs6": "2836"}, "minerals.lithium.landed_cost.hs6", "6-digit"),
        ({"rival": "CHN", "date": "soon"}, "minerals.lithium.landed_cost.date", "date"),
        ({"rivals": "CHN"}, "minerals.lithium.landed_cost.rival", "Field required"),
    ],
)
def test_bad_landed_cost_spec(landed: dict[str, Any], column: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        _spec(**landed)
    assert info.value.column == column


def test_plan_without_the_duty_says_what_to_add() -> None:
    # Japan's rate is not in the packaged data: the fast project (JPN offtake) cannot be priced
    with pytest.raises(InputError, match="destination JPN") as info:
        plan.run_plan(_spec(rival="CHN"), None, simulate=fake_simulate([], 4))
    assert info.value.column == "minerals.lithium.landed_cost"
