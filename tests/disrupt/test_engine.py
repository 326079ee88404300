"""Disruption engine: hand-worked cases, fidelity to the loop oracle, invariants."""

from __future__ import annotations

import dataclasses
import itertools
import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from minsec.disrupt.engine import no_shocks, passthrough, propagate
from minsec.disrupt.model import Baseline, Parameters, Responses, Shocks
from tests.disrupt.oracle import run_oracle

# MINSEC_HYPOTHESIS_EXAMPLES raises the number of random cases for a stress run
SETTINGS = settings(
    max_examples=int(os.environ.get("MINSEC_HYPOTHESIS_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def make_baseline(trade: np.ndarray, production: np.ndarray, sigma: float = 0.2) -> Baseline:
    trade = np.asarray(trade, dtype=float)
    np.fill_diagonal(trade, 0.0)
    production = np.asarray(production, dtype=float)
    n = len(production)
    consumption = np.maximum(production + trade.sum(0) - trade.sum(1), 0.0)
    return Baseline(
        commodity="test",
        stage="ore",
        year=2022,
        hs6=("000000",),
        countries=tuple(f"C{i}" for i in range(n)),
        trade_t=trade,
        production_t=production,
        consumption_t=consumption,
        price_usd_per_t=100.0,
        spare_capacity=np.full(n, sigma),
    )


def ban(
    b: Baseline,
    exporter: int,
    targets: list[int] | None,
    fraction: float = 1.0,
    *,
    start: float = 0.0,
    duration: float = 12.0,
    outage: float = 0.0,
) -> Shocks:
    s = no_shocks(b)
    ef = s.export_fraction.copy()
    ef[0, exporter] = fraction
    of = s.outage_fraction.copy()
    of[0, exporter] = outage
    tg = np.zeros((b.n, b.n), dtype=bool)
    tg[exporter, [j for j in range(b.n) if j != exporter] if targets is None else targets] = True
    st_ = np.zeros((1, b.n))
    st_[0, exporter] = start
    du = np.zeros((1, b.n))
    du[0, exporter] = duration
    return Shocks(ef, tg, of, st_, du)


# -- hand-worked ---------------------------------------------------------------------------


def test_hand_worked_direct_loss_price_and_spare() -> None:
    # A (0) produces 240/yr and exports 120 to B (1); C (2) produces 120, consumes it.
    # Monthly: B consumes 10, all from A. A full ban on B: B loses 10/month.
    # C may add min(K, P_C (p^es - 1)) with K = 0.5 * 10 = 5 (no ramp).
    trade = np.zeros((3, 3))
    trade[0, 1] = 120
    b = make_baseline(trade, np.array([240.0, 0.0, 120.0]), sigma=0.5)
    params = Parameters(
        months=2, leakage=0.0, ramp_months=0.0, demand_elasticity=-0.5,
        supply_elasticity=1.0, max_price_multiple=100.0,
    )  # fmt: skip
    out = propagate(b, ban(b, 0, [1]), params, detail=True)
    # B's gap at price p is 10 p^-0.5 (it has nothing left); C adds 10 (p - 1) up to 5.
    # Uncapped: 10 p^-0.5 = 10 (p - 1) -> p = 2.1479 > 1.5 where C hits K = 5,
    # so 10 p^-0.5 = 5 -> p = 4.
    assert out.price_index[0, 0] == pytest.approx(4.0)
    assert out.supply_t[0, 0, 1] == pytest.approx(5.0)
    assert out.shortfall_t[0, 0, 1] == pytest.approx(5.0)
    assert out.extra["withheld_t"][0, 0, 0] == pytest.approx(10.0)
    assert out.extra["spare_output_t"][0, 0, 2] == pytest.approx(5.0)
    # A keeps its own consumption (withheld tonnes leave the market), C is untouched
    assert out.supply_t[0, 0, 0] == pytest.approx(b.consumption_t[0] / 12)
    assert out.shortfall_t[0, 0, [0, 2]] == pytest.approx([0.0, 0.0])


def test_hand_worked_leakage_through_non_targets() -> None:
    # A exports 120/yr to B and 240/yr to C; ban on B only, leakage 0.5.
    # Withheld 10/month; C's consumption (20) leaves room for all of it, so 5 reaches B.
    trade = np.zeros((3, 3))
    trade[0, 1] = 120
    trade[0, 2] = 240
    b = make_baseline(trade, np.array([600.0, 0.0, 0.0]), sigma=0.0)
    params = Parameters(months=1, leakage=0.5, demand_elasticity=-0.2, supply_elasticity=0.0)
    out = propagate(b, ban(b, 0, [1]), params, detail=True)
    assert out.extra["diverted_t"][0, 0, 1] == pytest.approx(5.0)
    assert out.extra["imports_change_t"][0, 0, 1] == pytest.approx(-5.0)
    assert out.extra["imports_change_from_restricting_t"][0, 0, 1] == pytest.approx(-10.0)
    # no spare capacity: price rises until B's demand falls to its supply 5: p = 2^(1/0.2)
    assert out.price_index[0, 0] == pytest.approx(min(2**5, params.max_price_multiple))
    # untargeted ban: no third country to route through, nothing leaks
    out_all = propagate(b, ban(b, 0, None), params, detail=True)
    assert out_all.extra["diverted_t"][0, 0].sum() == 0.0


def test_hand_worked_pass_through_hub() -> None:
    # A (0) exports 120/yr to hub H (1), which keeps 24 and re-exports 96 to D (2).
    trade = np.zeros((3, 3))
    trade[0, 1] = 120
    trade[1, 2] = 96
    b = make_baseline(trade, np.array([120.0, 0.0, 0.0]), sigma=0.0)
    pt = passthrough(b)
    assert pt.c[1] == pytest.approx(0.2) and pt.W[1, 2] == pytest.approx(0.8)
    assert (pt.c + pt.W.sum(axis=1)) == pytest.approx(np.ones(3))
    params = Parameters(months=1, leakage=0.0, max_price_multiple=1.0)
    out = propagate(b, ban(b, 0, [1]), params)
    # H loses 10/month: consumes 2 less, passes 8 on to D
    assert out.shortfall_t[0, 0] == pytest.approx([0.0, 2.0, 8.0])


def test_stockpile_release_and_sharing() -> None:
    trade = np.zeros((3, 3))
    trade[0, 1] = 120
    trade[0, 2] = 120
    b = make_baseline(trade, np.array([300.0, 0.0, 0.0]), sigma=0.0)
    params = Parameters(months=3, leakage=0.0, max_price_multiple=1.0)
    resp = Responses(
        stockpile_t=np.array([0.0, 0.0, 12.0]),
        release_rate_t_per_month=np.array([0.0, 0.0, 6.0]),
        demand_restraint=np.zeros(3),
    )
    out = propagate(b, ban(b, 0, [1, 2]), params, resp)
    # C2 draws 6, 6, then 0 (12 t in stock); C1 has none
    assert out.stock_release_t[0, :, 2] == pytest.approx([6.0, 6.0, 0.0])
    assert out.shortfall_t[0, :, 2] == pytest.approx([4.0, 4.0, 10.0])
    assert out.shortfall_t[0, :, 1] == pytest.approx([10.0, 10.0, 10.0])
    shared = propagate(
        b, ban(b, 0, [1, 2]), params, dataclasses.replace(resp, sharing_bloc=("C1", "C2"))
    )
    # pooled: 6 a month split by need (10 and 10)
    assert shared.shortfall_t[0, 0, 1:] == pytest.approx([7.0, 7.0])
    assert shared.stock_release_t[0, :, 2] == pytest.approx([6.0, 6.0, 0.0])


def test_event_timing_is_fractional_overlap() -> None:
    trade = np.zeros((2, 2))
    trade[0, 1] = 120
    b = make_baseline(trade, np.array([120.0, 0.0]), sigma=0.0)
    params = Parameters(months=4, leakage=0.0, max_price_multiple=1.0)
    out = propagate(b, ban(b, 0, [1], start=0.5, duration=2.0), params)
    assert out.shortfall_t[0, :, 1] == pytest.approx([5.0, 10.0, 5.0, 0.0])


def test_bad_inputs_raise() -> None:
    b = make_baseline(np.array([[0, 12.0], [0, 0]]), np.array([12.0, 0]))
    s = ban(b, 0, [1])
    with pytest.raises(ValueError, match="between 0 and 1"):
        propagate(b, dataclasses.replace(s, export_fraction=s.export_fraction * 2), Parameters())
    with pytest.raises(ValueError, match="negative"):
        propagate(b, s, Parameters(demand_elasticity=0.1))
    with pytest.raises(ValueError, match="shape"):
        propagate(b, dataclasses.replace(s, start_month=np.zeros((2, 2))), Parameters())


# -- random networks -----------------------------------------------------------------------


@st.composite
def networks(draw: st.DrawFn) -> Baseline:
    n = draw(st.integers(2, 6))
    cells = st.one_of(st.just(0.0), st.integers(1, 60).map(float))
    trade = np.array(draw(st.lists(cells, min_size=n * n, max_size=n * n))).reshape(n, n)
    production = np.array(
        draw(
            st.lists(
                st.one_of(st.just(0.0), st.integers(1, 300).map(float)), min_size=n, max_size=n
            )
        )
    )
    sigma = draw(st.sampled_from([0.0, 0.1, 0.5, 2.0]))
    b = make_baseline(trade, production, sigma)
    assume(b.trade_t.sum() > 0)
    return b


def _layer(draw: st.DrawFn, n: int, runs: int) -> Shocks:
    frac = st.one_of(st.just(0.0), st.floats(0.05, 1.0))
    ef = np.array(draw(st.lists(frac, min_size=runs * n, max_size=runs * n))).reshape(runs, n)
    small = st.one_of(st.just(0.0), st.just(0.0), st.floats(0.05, 0.8))
    of = np.array(draw(st.lists(small, min_size=runs * n, max_size=runs * n))).reshape(runs, n)
    starts = st.sampled_from([0.0, 0.0, 0.5, 1.0, 2.0])
    sm = np.array(draw(st.lists(starts, min_size=runs * n, max_size=runs * n))).reshape(runs, n)
    durs = st.sampled_from([0.5, 1.0, 3.0, 12.0, math.inf])
    du = np.array(draw(st.lists(durs, min_size=runs * n, max_size=runs * n))).reshape(runs, n)
    tg = np.array(draw(st.lists(st.booleans(), min_size=n * n, max_size=n * n))).reshape(n, n)
    return Shocks(ef, tg, of, sm, du)


@st.composite
def cases(draw: st.DrawFn) -> tuple[Baseline, Shocks, Parameters, Responses | None]:
    b = draw(networks())
    n = b.n
    runs = draw(st.integers(1, 3))
    main = _layer(draw, n, runs)
    if draw(st.booleans()):
        main = dataclasses.replace(main, layers=(_layer(draw, n, runs),))
    params = Parameters(
        months=draw(st.integers(1, 6)),
        leakage=draw(st.floats(0.0, 1.0)),
        ramp_months=draw(st.sampled_from([0.0, 1.0, 3.0, 6.0])),
        demand_elasticity=draw(st.floats(-0.6, -0.02)),
        # ε_s > 1 makes the clearing function non-convex (the bisection fallback)
        supply_elasticity=draw(st.sampled_from([0.0, 0.05, 0.3, 1.0, 2.5])),
        max_price_multiple=draw(st.sampled_from([1.0, 1.5, 5.0, 20.0])),
        spot_share=draw(st.sampled_from([0.0, 0.0, 0.3, 0.5, 1.0])),
        inventory_months=draw(st.sampled_from([0.0, 0.0, 0.5, 2.0])),
        inventory_draw_share=draw(st.sampled_from([0.2, 0.5, 1.0])),
        producer_inventory_months=draw(st.sampled_from([0.0, 0.0, 0.3, 1.5])),
        substitution_share=draw(st.sampled_from([0.0, 0.0, 0.4, 1.0])),
        substitution_ramp_months=draw(st.sampled_from([0.0, 2.0, 6.0])),
        transit_months=draw(st.sampled_from([0.0, 0.0, 0.5, 1.0, 2.0])),
        long_run_elasticity_multiple=draw(st.sampled_from([1.0, 1.0, 2.0, 4.0])),
        adjustment_months=draw(st.sampled_from([0.0, 3.0, 12.0])),
    )
    if draw(st.booleans()):
        vals = st.one_of(st.just(0.0), st.integers(1, 40).map(float))
        resp: Responses | None = Responses(
            stockpile_t=np.array(draw(st.lists(vals, min_size=n, max_size=n))),
            release_rate_t_per_month=np.array(draw(st.lists(vals, min_size=n, max_size=n))),
            demand_restraint=np.array(
                draw(st.lists(st.sampled_from([0.0, 0.1, 0.3]), min_size=n, max_size=n))
            ),
            sharing_bloc=tuple(c for c in b.countries if draw(st.booleans()))
            if draw(st.booleans())
            else (),
            commercial_stock_t=np.array(draw(st.lists(vals, min_size=n, max_size=n)))
            if draw(st.booleans())
            else None,
        )
    else:
        resp = None
    return b, main, params, resp


def _close(a: np.ndarray, b: np.ndarray, scale: float) -> None:
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9 * max(scale, 1.0))


@SETTINGS
@given(cases())
def test_engine_matches_loop_oracle(
    case: tuple[Baseline, Shocks, Parameters, Responses | None],
) -> None:
    b, shocks, params, resp = case
    out = propagate(b, shocks, params, resp, detail=True)
    scale = float(b.consumption_t.sum() + b.trade_t.sum() + b.production_t.sum()) / 12
    for r in range(shocks.runs):
        ref = run_oracle(b, shocks, params, resp, run=r)
        _close(out.price_index[r], np.array(ref.price), 1.0)
        _close(out.shortfall_t[r], np.array(ref.shortfall), scale)
        _close(out.supply_t[r], np.array(ref.supply), scale)
        _close(out.stock_release_t[r], np.array(ref.release), scale)
        _close(out.extra["withheld_t"][r], np.array(ref.withheld), scale)
        _close(out.extra["diverted_t"][r], np.array(ref.diverted), scale)
        _close(out.extra["spare_output_t"][r], np.array(ref.spare_output), scale)
        _close(out.extra["substitute_t"][r], np.array(ref.substitute), scale)
        _close(out.extra["inventory_draw_t"][r], np.array(ref.inventory_draw), scale)
        _close(out.extra["producer_stock_sold_t"][r], np.array(ref.producer_stock_sold), scale)
        _close(out.extra["resale_t"][r], np.array(ref.resale), scale)
        _close(out.extra["imports_change_t"][r], np.array(ref.imports_change), scale)
        _close(
            out.extra["imports_change_from_restricting_t"][r],
            np.array(ref.imports_change_from_restricting),
            scale,
        )


@SETTINGS
@given(cases())
def test_conservation_and_supply_bound(
    case: tuple[Baseline, Shocks, Parameters, Responses | None],
) -> None:
    b, shocks, params, resp = case
    out = propagate(b, shocks, params, resp, detail=True)
    e = out.extra
    d0 = out.baseline_monthly_t
    scale = max(float(d0.sum() + b.trade_t.sum() / 12 + b.production_t.sum() / 12), 1.0)
    # tonnes are conserved in every run and month
    lhs = out.supply_t.sum(axis=2)
    rhs = (
        d0.sum()
        - e["withheld_t"].sum(axis=2)
        + e["diverted_t"].sum(axis=2)
        - e["outage_t"].sum(axis=2)
        + out.stock_release_t.sum(axis=2)
        + e["spare_output_t"].sum(axis=2)
        + e["excess_loss_t"].sum(axis=2)
        + e["substitute_t"].sum(axis=2)
        + e["inventory_draw_t"].sum(axis=2)
        + e["producer_stock_sold_t"].sum(axis=2)
    )
    np.testing.assert_allclose(lhs, rhs, rtol=1e-9, atol=1e-9 * scale)
    # exact model: no loss beyond a country's consumption (except in closed loops of
    # traders that consume nothing, which absorb what they lose), none beyond availability
    pt = passthrough(b)
    absorbing = (b.consumption_t == 0) & (pt.c == 1)
    assert (e["excess_loss_t"][:, :, ~absorbing] <= 1e-9 * scale).all()
    availability = (b.production_t + b.trade_t.sum(axis=0)) / 12
    assert (e["availability_loss_t"] <= availability + 1e-9 * scale).all()
    assert (e["diverted_t"].sum(axis=2) <= e["withheld_t"].sum(axis=2) + 1e-9 * scale).all()
    assert np.allclose(e["stock_received_t"].sum(axis=2), out.stock_release_t.sum(axis=2))
    # nobody ends with more than its baseline plus what stockpiles gave it
    assert (out.supply_t <= d0 + e["stock_received_t"] + 1e-9 * scale).all()
    # inventories never go negative and fall by exactly what was drawn
    start = np.asarray(params.inventory_months) * d0
    if resp is not None and resp.commercial_stock_t is not None:
        start = start + resp.commercial_stock_t  # bought ahead of the event
    drawn = e["inventory_draw_t"].cumsum(axis=1)
    np.testing.assert_allclose(
        e["inventory_remaining_t"], start - drawn, rtol=1e-9, atol=1e-9 * scale
    )
    assert (e["inventory_remaining_t"] >= -1e-9 * scale).all()
    assert (out.shortfall_t >= 0).all() and (out.price_index >= 1.0).all()
    np.testing.assert_allclose(out.shortfall_t, np.maximum(d0 - out.supply_t, 0), atol=1e-9 * scale)


@SETTINGS
@given(cases(), st.floats(0.0, 1.0))
def test_shortfall_monotone_in_ban_fraction(
    case: tuple[Baseline, Shocks, Parameters, Responses | None], scale_down: float
) -> None:
    b, shocks, params, resp = case
    shocks = dataclasses.replace(shocks, layers=())
    weaker = dataclasses.replace(shocks, export_fraction=shocks.export_fraction * scale_down)
    # keep who is restricting the same (the ramp starts with the first event)
    assume(((weaker.export_fraction > 0) == (shocks.export_fraction > 0)).all())
    hi = propagate(b, shocks, params, resp)
    lo = propagate(b, weaker, params, resp)
    tol = 1e-9 * max(float(b.consumption_t.sum()), 1.0)
    assert (hi.shortfall_t >= lo.shortfall_t - tol).all()
    assert (hi.price_index >= lo.price_index - 1e-9).all()


@SETTINGS
@given(networks(), st.floats(0.0, 1.0), st.integers(0, 5))
def test_ban_that_targets_nobody_changes_nothing(b: Baseline, fraction: float, k: int) -> None:
    k = k % b.n
    s = ban(b, k, [], fraction)
    out = propagate(b, s, Parameters(months=3, leakage=0.7), detail=True)
    assert (out.shortfall_t == 0).all() and (out.price_index == 1).all()
    np.testing.assert_allclose(
        out.supply_t, np.broadcast_to(out.baseline_monthly_t, out.supply_t.shape)
    )
    assert (out.extra["withheld_t"] == 0).all()


def test_runs_are_independent_and_deterministic() -> None:
    rng = np.random.default_rng(7)
    trade = rng.integers(0, 50, size=(8, 8)).astype(float)
    b = make_baseline(trade, rng.integers(0, 300, size=8).astype(float))
    runs = 5
    s = Shocks(
        export_fraction=rng.uniform(0, 1, (runs, 8)) * (rng.uniform(size=(runs, 8)) < 0.4),
        targets=rng.uniform(size=(8, 8)) < 0.6,
        outage_fraction=np.zeros((runs, 8)),
        start_month=rng.integers(0, 3, (runs, 8)).astype(float),
        duration_months=np.full((runs, 8), 6.0),
    )
    params = Parameters(months=6)
    batch = propagate(b, s, params)
    again = propagate(b, s, params)
    np.testing.assert_array_equal(batch.shortfall_t, again.shortfall_t)
    for r in range(runs):
        one = Shocks(
            s.export_fraction[r : r + 1],
            s.targets,
            s.outage_fraction[r : r + 1],
            s.start_month[r : r + 1],
            s.duration_months[r : r + 1],
        )
        single = propagate(b, one, params)
        np.testing.assert_allclose(
            single.shortfall_t[0], batch.shortfall_t[r], rtol=1e-12, atol=1e-9
        )
        np.testing.assert_allclose(single.price_index[0], batch.price_index[r], rtol=1e-12)


def test_parameters_per_run() -> None:
    trade = np.zeros((3, 3))
    trade[0, 1] = 120
    trade[2, 1] = 60
    b = make_baseline(trade, np.array([200.0, 0.0, 200.0]), sigma=0.5)
    s1 = ban(b, 0, [1])
    fields = ("export_fraction", "outage_fraction", "start_month", "duration_months")
    twice = {f: np.repeat(getattr(s1, f), 2, axis=0) for f in fields}
    s = dataclasses.replace(s1, **twice)
    elast = np.array([-0.1, -0.4])
    both = propagate(b, s, Parameters(months=2, demand_elasticity=elast))  # type: ignore[arg-type]
    for r in range(2):
        one = propagate(b, s1, Parameters(months=2, demand_elasticity=float(elast[r])))
        np.testing.assert_allclose(both.price_index[r], one.price_index[0], rtol=1e-12)


# -- spot resale and horizon totals ----------------------------------------------------------


def test_hand_worked_spot_resale() -> None:
    # A exports 120/yr to B and 240/yr to C; a full ban on B; no leakage, no spare capacity.
    # Monthly: B short 10, C intact at 20. ε_d = -0.5, y = p^-0.5.
    trade = np.zeros((3, 3))
    trade[0, 1] = 120
    trade[0, 2] = 240
    b = make_baseline(trade, np.array([600.0, 0.0, 0.0]), sigma=0.0)
    base = Parameters(months=1, leakage=0.0, demand_elasticity=-0.5, max_price_multiple=100.0)
    # θ = 0: B clears alone and nothing clears it: the price goes to the cap
    alone = propagate(b, ban(b, 0, [1]), base, detail=True)
    assert alone.price_index[0, 0] == pytest.approx(100.0)
    assert alone.supply_t[0, 0, 1] == pytest.approx(0.0)
    # θ = 0.5: B's gap 10 y is met by C's resale 0.5 (20 − 20 y): y = 1/2, p = 4
    out = propagate(b, ban(b, 0, [1]), dataclasses.replace(base, spot_share=0.5), detail=True)
    assert out.price_index[0, 0] == pytest.approx(4.0)
    assert out.supply_t[0, 0, 1:] == pytest.approx([5.0, 15.0])
    assert out.shortfall_t[0, 0, 1:] == pytest.approx([5.0, 5.0])
    assert out.extra["resale_t"][0, 0] == pytest.approx([0.0, 0.0, 5.0])
    assert out.extra["imports_change_t"][0, 0, 1:] == pytest.approx([-5.0, -5.0])
    # the restricting exporter, under an event of its own, does not resell
    assert out.supply_t[0, 0, 0] == pytest.approx(b.consumption_t[0] / 12)


def test_spot_resale_spreads_the_loss_and_lowers_the_price() -> None:
    rng = np.random.default_rng(11)
    trade = rng.integers(0, 60, size=(7, 7)).astype(float)
    trade[0] *= 6  # a dominant exporter
    b = make_baseline(trade, rng.integers(50, 400, size=7).astype(float), sigma=0.1)
    shocks = ban(b, 0, [1, 2, 3], 0.8)
    prices, worst = [], []
    for theta in (0.0, 0.25, 0.5, 1.0):
        out = propagate(b, shocks, Parameters(months=6, spot_share=theta), detail=True)
        prices.append(out.price_index.max())
        worst.append(float((out.shortfall_t[0].sum(0) / b.consumption_t.clip(1e-9)).max()))
    # more of the market at the spot price: a lower price and a less hit worst-off buyer
    assert all(hi >= lo - 1e-12 for hi, lo in itertools.pairwise(prices))
    assert all(hi >= lo - 1e-12 for hi, lo in itertools.pairwise(worst))
    assert prices[-1] < prices[0]


def test_default_price_caps_only_extreme_shocks() -> None:
    # exporter 0 ships most of what the others consume; a total ban is the extreme case
    from minsec.disrupt.baseline import commodity_parameters

    trade = np.zeros((6, 6))
    trade[0, 1:] = [300.0, 200.0, 150.0, 100.0, 50.0]
    trade[5, 1:5] = [100.0, 100.0, 100.0, 100.0]
    b = make_baseline(trade, np.array([1200.0, 50.0, 50.0, 40.0, 30.0, 600.0]), sigma=0.05)
    params = commodity_parameters("graphite").engine_parameters(12)
    # a 30 % cut (about a fifth of the importers' consumption): a higher price once the
    # buyers' inventories run low, far from the cap
    moderate = propagate(b, ban(b, 0, None, 0.3), params)
    assert 1.0 < moderate.price_index.max() < 0.8 * params.max_price_multiple
    # a total ban: inventories and producers' stocks hold the price in the first month,
    # then the cap binds once they are gone
    extreme = propagate(b, ban(b, 0, None, 1.0), params)
    assert extreme.price_index[0, 0] < 2.0
    assert extreme.price_index.max() == pytest.approx(params.max_price_multiple)
    first_cap = int(np.argmax(extreme.price_index[0] >= params.max_price_multiple - 1e-9))
    assert first_cap >= 2  # not before the inventories are gone


@SETTINGS
@given(cases())
def test_totals_are_the_monthly_sums(
    case: tuple[Baseline, Shocks, Parameters, Responses | None],
) -> None:
    b, shocks, params, resp = case
    monthly = propagate(b, shocks, params, resp)
    totals = propagate(b, shocks, params, resp, totals=True)
    scale = max(float(b.consumption_t.sum() + b.trade_t.sum() + b.production_t.sum()), 1.0)
    for name in ("shortfall_t", "supply_t", "stock_release_t"):
        got = getattr(totals, name)
        assert got.shape == (shocks.runs, 1, b.n)
        np.testing.assert_allclose(
            got[:, 0], getattr(monthly, name).sum(axis=1), rtol=1e-12, atol=1e-12 * scale
        )
    np.testing.assert_array_equal(totals.price_index, monthly.price_index)
    with pytest.raises(ValueError, match="detail and totals"):
        propagate(b, shocks, params, resp, detail=True, totals=True)


def test_hand_worked_inventories_substitution_and_producer_stocks() -> None:
    # A (0) ships 120/yr to B (1): B consumes 10 a month, all from A. C (2) produces 120/yr
    # and consumes it. A bans B for good; nobody has spare capacity; ε_d = −0.5.
    trade = np.zeros((3, 3))
    trade[0, 1] = 120
    b = make_baseline(trade, np.array([240.0, 0.0, 120.0]), sigma=0.0)
    base = Parameters(
        months=3, ramp_months=0.0, demand_elasticity=-0.5, supply_elasticity=0.0,
        max_price_multiple=100.0,
    )  # fmt: skip
    # consumers' inventory of one month (10 t), half of the missing need drawn each month:
    # months 0 and 1 draw 5 t, so B bids for the other 5 t: 10 p^-0.5 = 5 -> p = 4;
    # month 2 has nothing left and nothing to buy: the price hits the cap
    inv = dataclasses.replace(base, inventory_months=1.0, inventory_draw_share=0.5)
    out = propagate(b, ban(b, 0, [1]), inv, detail=True)
    assert out.extra["inventory_draw_t"][0, :, 1] == pytest.approx([5.0, 5.0, 0.0])
    assert out.extra["inventory_remaining_t"][0, :, 1] == pytest.approx([5.0, 0.0, 0.0])
    assert out.price_index[0] == pytest.approx([4.0, 4.0, 100.0])
    assert out.shortfall_t[0, :, 1] == pytest.approx([5.0, 5.0, 10.0])
    # inventory draws are not imports
    assert out.extra["imports_change_t"][0, 0, 1] == pytest.approx(-10.0)
    # substitution of half the need at once (no ramp): 5 t of another product, p = 4
    sub = dataclasses.replace(base, substitution_share=0.5, substitution_ramp_months=0.0)
    out = propagate(b, ban(b, 0, [1]), sub, detail=True)
    assert out.extra["substitute_t"][0, :, 1] == pytest.approx([5.0, 5.0, 5.0])
    assert out.price_index[0] == pytest.approx([4.0, 4.0, 4.0])
    # ... ramping over 2 months: 2.5 t in month 0 (10 p^-0.5 = 2.5: p = 16), then 5 t
    ramped = dataclasses.replace(sub, substitution_ramp_months=2.0)
    out = propagate(b, ban(b, 0, [1]), ramped, detail=True)
    assert out.extra["substitute_t"][0, :, 1] == pytest.approx([2.5, 5.0, 5.0])
    assert out.price_index[0] == pytest.approx([16.0, 4.0, 4.0])
    # producers' stocks: C holds one month of its output and sells up to 10 t a month at
    # any price, so B is covered at p = 1 in month 0; then C's stock is gone
    pst = dataclasses.replace(base, producer_inventory_months=1.0)
    out = propagate(b, ban(b, 0, [1]), pst, detail=True)
    assert out.extra["producer_stock_sold_t"][0, :, 2] == pytest.approx([10.0, 0.0, 0.0])
    assert out.price_index[0] == pytest.approx([1.0, 100.0, 100.0])
    assert out.shortfall_t[0, 0, 1] == pytest.approx(0.0)
    assert out.extra["imports_change_t"][0, 0, 1] == pytest.approx(0.0)  # 10 lost, 10 bought
    # cargo in transit: with a month between loading and arrival the ban reaches B in
    # month 1, exactly as a ban starting a month later without the lag (here p = 4 as in
    # the inventory case's first month: B draws 5 t and bids for 5 t)
    lag = dataclasses.replace(inv, transit_months=1.0)
    out = propagate(b, ban(b, 0, [1]), lag, detail=True)
    assert out.extra["imports_change_t"][0, :, 1] == pytest.approx([0.0, -10.0, -10.0])
    assert out.price_index[0] == pytest.approx([1.0, 4.0, 4.0])
    same = propagate(b, ban(b, 0, [1], start=1.0), inv, detail=True)
    assert same.price_index == pytest.approx(out.price_index)
    assert same.shortfall_t == pytest.approx(out.shortfall_t)
    # demand that grows more elastic: twice the short-run elasticity after 2 months, so
    # eps = -0.5 (1 + 0.5) = -0.75 in month 0 and -1 from month 1: B draws 5 t and bids
    # for 5 t, 10 p^eps = 5 -> p = 2^(1/0.75), then 2; month 2 has nothing left: the cap
    adj = dataclasses.replace(inv, long_run_elasticity_multiple=2.0, adjustment_months=2.0)
    out = propagate(b, ban(b, 0, [1]), adj, detail=True)
    assert out.price_index[0] == pytest.approx([2.0 ** (1 / 0.75), 2.0, 100.0])
    with pytest.raises(ValueError, match="long_run_elasticity_multiple"):
        propagate(b, ban(b, 0, [1]), dataclasses.replace(inv, long_run_elasticity_multiple=0.5))
