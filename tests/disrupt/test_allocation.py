"""Coordinated allied allocation: hand-worked cases, properties and an independent LP.

The independent check writes the same lexicographic LP naively with dense matrices and
loops — the methods' inequality u ≥ need − Σx (no receipt cap), the stock limit as
cumulative releases instead of stock-level variables — and solves it with
``scipy.optimize.linprog`` (HiGHS behind a separate interface), then compares z* and the
total shortfall to 1e-7.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from minsec.disrupt import allocation as al
from minsec.disrupt.allocation import (
    DIVERTED,
    KINDS,
    SPARE_CAPACITY,
    STOCKPILE,
    Sources,
    allocate,
    allocation_from_outcome,
    flow_source,
    sharing_mask,
    stockpile_source,
)
from minsec.disrupt.model import Baseline, Outcome, Responses
from minsec.errors import InputError, MinsecError

pytest.importorskip("highspy")

TOL = 1e-7


def _row(frame: pd.DataFrame, **keys: Any) -> pd.Series:
    mask = np.ones(len(frame), dtype=bool)
    for k, v in keys.items():
        mask &= (frame[k] == v).to_numpy()
    assert mask.sum() == 1, (keys, frame[mask])
    return frame[mask].iloc[0]


def _tonnes(a: al.Allocation, coordinated: bool = True, **keys: Any) -> float:
    f = a.flows[a.flows["coordinated"] == coordinated]
    for k, v in keys.items():
        f = f[f[k] == v]
    return float(f["tonnes"].sum())


# ----------------------------------------------------------------- hand-worked cases


def test_hand_worked_two_partners_two_sources_one_month() -> None:
    """USA needs 100 t, JPN 50 t; the USA stockpile may release 60 t, Canada offers 30 t.

    Coordinated, stage 1 (max-min): all supply A = 60 + 30 = 90 t can go anywhere, so the
    best worst relative shortfall equalises u_j / need_j = z with Σ_j need_j (1 − z) = A:
    150 (1 − z) = 90  →  z* = 1 − 90/150 = 0.4, i.e. USA short 40 t, JPN short 20 t.
    Stage 2 (total at z ≤ z*): the total is Σ need − A = 150 − 90 = 60 t.
    Stage 3 (tie-break): the stockpile stays home (60 t → USA, cost 60 × 1) and Canada's
    30 t go to Japan (cost 30 × 0.5 = 15); total transfer cost 75.

    Uncoordinated: Canada's 30 t pro rata to need: USA 30·100/150 = 20 t, JPN 10 t; the
    USA then draws its own 60 t (rate). USA short 100 − 80 = 20 t (20 %), JPN short
    50 − 10 = 40 t (80 %): worst 0.8, total 60 t. Coordination halves the worst case.
    """
    src = Sources.stack(
        [
            stockpile_source("USA stockpile", "USA", stock_t=500, release_t_per_month=60, months=1),
            flow_source("CAN spare", SPARE_CAPACITY, "CAN", [30.0]),
        ]
    )
    a = allocate([[100.0, 50.0]], ["USA", "JPN"], src)
    assert a.status == "optimal"
    assert a.objectives["max_relative_shortfall"] == pytest.approx(0.4, abs=TOL)
    assert a.objectives["total_shortfall_t"] == pytest.approx(60.0, abs=TOL)
    assert a.objectives["transfer_cost_t"] == pytest.approx(75.0, abs=1e-6)
    assert a.max_shortfall_frac == pytest.approx(0.4, abs=TOL)
    assert a.total_shortfall_t == pytest.approx(60.0, abs=TOL)
    assert _tonnes(a, source="USA stockpile", partner="USA") == pytest.approx(60.0)
    assert _tonnes(a, source="CAN spare", partner="JPN") == pytest.approx(30.0)
    assert _tonnes(a, source="CAN spare", partner="USA") == 0.0
    short = a.shortfall[a.shortfall["coordinated"]]
    assert _row(short, partner="USA")["shortfall_t"] == pytest.approx(40.0)
    assert _row(short, partner="JPN")["shortfall_pct"] == pytest.approx(40.0)

    assert a.uncoordinated_max_shortfall_frac == pytest.approx(0.8)
    assert a.uncoordinated_total_shortfall_t == pytest.approx(60.0)
    assert _tonnes(a, False, source="CAN spare", partner="USA") == pytest.approx(20.0)
    assert _tonnes(a, False, source="CAN spare", partner="JPN") == pytest.approx(10.0)
    assert _tonnes(a, False, source="USA stockpile", partner="USA") == pytest.approx(60.0)
    unc = a.shortfall[~a.shortfall["coordinated"]]
    assert _row(unc, partner="JPN")["shortfall_pct"] == pytest.approx(80.0)
    # every tonne of either source is short: one more would remove one tonne of shortfall
    assert a.sources["shortfall_reduction_t_per_t"].to_numpy() == pytest.approx([1.0, 1.0])
    stock = _row(a.stocks, coordinated=True)
    assert (stock["stock_start_t"], stock["released_t"], stock["stock_end_t"]) == (
        pytest.approx(500.0),
        pytest.approx(60.0),
        pytest.approx(440.0),
    )


def test_hand_worked_second_stage_uses_what_fairness_leaves_open() -> None:
    """Diverted flow of 90 t can only reach the USA; JPN's stockpile (40 t/month) is shared.

    Needs: USA 100 t, JPN 50 t. JPN can only be served by its stockpile: at best
    u_JPN = 50 − 40 = 10 t → 10/50 = 0.2; giving any stock to the USA makes JPN worse,
    so z* = 0.2 with all 40 t to JPN. Stage 1 alone leaves the diverted flow open
    (any USA receipt ≥ 100 (1 − 0.2) = 80 t satisfies z ≤ 0.2); stage 2 ships all 90 t:
    u_USA = 10 t, total = 10 + 10 = 20 t.
    """
    src = Sources.stack(
        [
            flow_source("diverted to USA", DIVERTED, "AUS", [90.0]),
            stockpile_source("JPN stockpile", "JPN", 100.0, 40.0, 1),
        ]
    )
    allowed = np.array([[True, False], [True, True]])
    a = allocate([[100.0, 50.0]], ["USA", "JPN"], src, allowed=allowed)
    assert a.objectives["max_relative_shortfall"] == pytest.approx(0.2, abs=TOL)
    assert a.objectives["total_shortfall_t"] == pytest.approx(20.0, abs=TOL)
    assert _tonnes(a, source="diverted to USA", partner="USA") == pytest.approx(90.0)
    assert _tonnes(a, source="JPN stockpile", partner="JPN") == pytest.approx(40.0)
    # the disallowed arc carries nothing, in either outcome
    assert _tonnes(a, source="diverted to USA", partner="JPN") == 0.0
    assert _tonnes(a, False, source="diverted to USA", partner="JPN") == 0.0


def test_three_month_stockpile_rate_binds_and_stock_carries_over() -> None:
    """JPN holds 25 t and may release 20 t/month; needs (USA, JPN) by month:
    m0 (0, 10), m1 (0, 0), m2 (40, 40).

    In m2 at most 20 t can be released for 80 t of need: z ≥ 1 − 20/80 = 0.75, and
    z* = 0.75 needs both partners to receive 40 (1 − 0.75) = 10 t, i.e. the full rate.
    The stock must therefore carry 20 t through m0 and m1, so at most 25 − 20 = 5 t
    can go to JPN in m0 (relative shortfall 5/10 = 0.5 ≤ z*). Stage 2 releases all of
    it: total shortfall = (10 − 5) + (40 − 10) + (40 − 10) = 65 t. Stock path 25 → 20
    → 20 → 0. An extra tonne of m2 rate is worth nothing (the stock binds); an extra
    tonne of stock removes one tonne of shortfall.

    Uncoordinated: JPN draws myopically: 10 t in m0 (stock 15), 0 in m1, 15 t in m2;
    m2 shortfalls USA 40 t (100 %), JPN 25 t (62.5 %): worst 1.0, total 65 t.
    """
    src = stockpile_source("JPN stockpile", "JPN", 25.0, 20.0, 3)
    need = [[0.0, 10.0], [0.0, 0.0], [40.0, 40.0]]
    a = allocate(need, ["USA", "JPN"], src)
    assert a.objectives["max_relative_shortfall"] == pytest.approx(0.75, abs=TOL)
    assert a.objectives["total_shortfall_t"] == pytest.approx(65.0, abs=TOL)
    assert a.total_shortfall_t == pytest.approx(65.0, abs=TOL)
    coord = a.stocks[a.stocks["coordinated"]].sort_values("month")
    assert coord["released_t"].to_numpy() == pytest.approx([5.0, 0.0, 20.0], abs=1e-7)
    assert coord["stock_end_t"].to_numpy() == pytest.approx([20.0, 20.0, 0.0], abs=1e-7)
    assert coord["shortfall_reduction_t_per_t"].to_numpy() == pytest.approx([1, 1, 1])
    assert a.sources["used_t"].to_numpy()[2] == pytest.approx(20.0)  # rate binds in m2
    assert a.sources["shortfall_reduction_t_per_t"].to_numpy() == pytest.approx([0, 0, 0])
    assert _tonnes(a, month=2, partner="USA") == pytest.approx(10.0)
    assert _tonnes(a, month=2, partner="JPN") == pytest.approx(10.0)

    unc = a.stocks[~a.stocks["coordinated"]].sort_values("month")
    assert unc["released_t"].to_numpy() == pytest.approx([10.0, 0.0, 15.0])
    assert unc["stock_end_t"].to_numpy() == pytest.approx([15.0, 15.0, 0.0])
    assert a.uncoordinated_max_shortfall_frac == pytest.approx(1.0)
    assert a.uncoordinated_total_shortfall_t == pytest.approx(65.0)


def test_duals_match_finite_differences() -> None:
    base = Sources.stack(
        [
            stockpile_source("USA stockpile", "USA", 500, 60, 1),
            flow_source("CAN spare", SPARE_CAPACITY, "CAN", [30.0]),
        ]
    )
    a = allocate([[100.0, 50.0]], ["USA", "JPN"], base)
    more = Sources(
        base.names, base.kinds, base.owners, base.available_t + np.array([[0.0, 1.0]]), base.stock_t
    )
    b = allocate([[100.0, 50.0]], ["USA", "JPN"], more)
    assert a.total_shortfall_t - b.total_shortfall_t == pytest.approx(
        a.sources["shortfall_reduction_t_per_t"].iloc[1], abs=1e-7
    )
    src = stockpile_source("JPN stockpile", "JPN", 25.0, 20.0, 3)
    need = [[0.0, 10.0], [0.0, 0.0], [40.0, 40.0]]
    c = allocate(need, ["USA", "JPN"], src)
    d = allocate(need, ["USA", "JPN"], stockpile_source("JPN stockpile", "JPN", 26.0, 20.0, 3))
    assert c.total_shortfall_t - d.total_shortfall_t == pytest.approx(1.0, abs=1e-7)


# ----------------------------------------------------------------- degenerate cases


def test_zero_need_solves_nothing() -> None:
    src = stockpile_source("JPN stockpile", "JPN", 10.0, 5.0, 2)
    a = allocate(np.zeros((2, 2)), ["USA", "JPN"], src)
    assert a.status == "no need"
    assert a.flows.empty
    assert a.max_shortfall_frac == 0.0 and a.total_shortfall_t == 0.0
    assert (a.shortfall["shortfall_pct"] == 0).all()
    assert (a.stocks["stock_end_t"] == 10.0).all()


def test_no_sources_leaves_the_whole_need_short() -> None:
    a = allocate([[10.0, 0.0], [5.0, 5.0]], ["USA", "JPN"], Sources.empty(2))
    assert a.status == "optimal"
    assert a.flows.empty and a.sources.empty and a.stocks.empty
    assert a.max_shortfall_frac == pytest.approx(1.0)
    assert a.total_shortfall_t == pytest.approx(20.0)
    assert a.uncoordinated_total_shortfall_t == pytest.approx(20.0)
    zero_need = _row(a.shortfall, month=0, partner="JPN", coordinated=True)
    assert zero_need["shortfall_pct"] == 0.0


def test_no_allowed_arcs_behaves_like_no_sources() -> None:
    src = flow_source("CAN spare", SPARE_CAPACITY, "CAN", [50.0])
    a = allocate([[10.0, 5.0]], ["USA", "JPN"], src, allowed=np.zeros((1, 2), dtype=bool))
    assert a.flows.empty
    assert a.total_shortfall_t == pytest.approx(15.0)


def test_single_partner_matches_uncoordinated_when_alone() -> None:
    src = Sources.stack(
        [
            stockpile_source("JPN stockpile", "JPN", 30.0, 20.0, 2),
            flow_source("AUS spare", SPARE_CAPACITY, "AUS", [5.0, 5.0]),
        ]
    )
    a = allocate([[20.0], [20.0]], ["JPN"], src)
    # 20 t need per month, 5 t spare each month, 30 t stock at ≤ 20 t/month: 15 t of
    # stock each month leaves no shortfall in either month (20 − 5 − 15 = 0)
    assert a.max_shortfall_frac == pytest.approx(0.0, abs=TOL)
    assert a.total_shortfall_t == pytest.approx(0.0, abs=TOL)
    # the myopic baseline draws 15 t in m0 and 15 t in m1, the same here
    assert a.uncoordinated_total_shortfall_t == pytest.approx(0.0)


def test_reference_changes_the_fairness_denominator() -> None:
    """Both need 50 t, 60 t available; USA consumes 200 t/month, JPN 100 t/month.

    Relative to need: 100 (1 − z) = 60 → z* = 0.4, each short 20 t.
    Relative to consumption: u_USA = 200 z, u_JPN = 100 z, 300 z = 100 − 60 = 40 →
    z* = 2/15, USA short 26.7 t, JPN short 13.3 t (both ≤ their need of 50 t).
    """
    src = flow_source("CAN spare", SPARE_CAPACITY, "CAN", [60.0])
    by_need = allocate([[50.0, 50.0]], ["USA", "JPN"], src)
    assert by_need.objectives["max_relative_shortfall"] == pytest.approx(0.4, abs=TOL)
    a = allocate([[50.0, 50.0]], ["USA", "JPN"], src, reference_t=[200.0, 100.0])
    assert a.objectives["max_relative_shortfall"] == pytest.approx(2 / 15, abs=TOL)
    jpn = _row(a.shortfall, partner="JPN", coordinated=True)
    assert jpn["shortfall_t"] == pytest.approx(40 / 3, abs=1e-6)
    assert jpn["shortfall_pct"] == pytest.approx(100 * 2 / 15, abs=1e-5)
    assert jpn["reference_t"] == 100.0


def test_noise_level_needs_are_zeroed() -> None:
    """A need of 1e-13 t next to 100 t is float noise: it must not set the worst case."""
    a = allocate(
        [[100.0, 1e-13]],
        ["USA", "JPN"],
        flow_source("s", DIVERTED, "X", [50.0]),
        allowed=np.array([[True, False]]),
    )
    assert a.max_shortfall_frac == pytest.approx(0.5)
    assert _row(a.shortfall, partner="JPN", coordinated=True)["need_t"] == 0.0
    assert any("float noise" in note for note in a.notes)


def test_huge_availability_is_harmless() -> None:
    src = Sources.stack(
        [
            flow_source("big", SPARE_CAPACITY, "X", [1e12]),
            stockpile_source("deep", "USA", 1e15, 1e13, 1),
        ]
    )
    a = allocate([[1e-3, 2e-3]], ["USA", "JPN"], src)
    assert a.total_shortfall_t == pytest.approx(0.0, abs=1e-15)
    assert (a.sources["shortfall_reduction_t_per_t"] == 0).all()


def test_sharing_mask_keeps_stockpiles_home() -> None:
    src = Sources.stack(
        [
            stockpile_source("JPN stockpile", "JPN", 30.0, 20.0, 1),
            stockpile_source("KOR stockpile", "KOR", 30.0, 20.0, 1),
            flow_source("AUS spare", SPARE_CAPACITY, "AUS", [5.0]),
        ]
    )
    mask = sharing_mask(src, ["USA", "JPN"], share_stockpiles=False)
    assert mask.tolist() == [[False, True], [False, False], [True, True]]
    assert sharing_mask(src, ["USA", "JPN"]).all()


@pytest.mark.parametrize(
    ("kwargs", "column"),
    [
        ({"need_t": [[1.0, -1.0]]}, "need_t"),
        ({"need_t": [[1.0, np.nan]]}, "need_t"),
        ({"need_t": [1.0, 2.0]}, "need_t"),
        ({"partners": []}, "partners"),
        ({"partners": ["USA", "USA"]}, "partners"),
        ({"allowed": np.ones((2, 2))}, "allowed"),
        ({"allowed": np.ones((1, 3), dtype=bool)}, "allowed"),
        ({"reference_t": [0.0, 1.0]}, "reference_t"),
        ({"reference_t": [1.0, 2.0, 3.0]}, "reference_t"),
        ({"sources": Sources.empty(2)}, "available_t"),
    ],
)
def test_bad_inputs_name_the_field(kwargs: dict[str, Any], column: str) -> None:
    args: dict[str, Any] = {
        "need_t": [[1.0, 2.0]],
        "partners": ["USA", "JPN"],
        "sources": flow_source("s", SPARE_CAPACITY, "CAN", [1.0]),
    }
    args.update(kwargs)
    need, partners, sources = args.pop("need_t"), args.pop("partners"), args.pop("sources")
    with pytest.raises(InputError) as err:
        allocate(need, partners, sources, **args)
    assert err.value.column == column


def test_bad_sources_are_refused() -> None:
    with pytest.raises(InputError, match="unknown source kind"):
        Sources(("a",), ("mine",), ("X",), np.ones((1, 1)), np.zeros(1))
    with pytest.raises(InputError, match="unique"):
        Sources(("a", "a"), (DIVERTED, DIVERTED), ("X", "Y"), np.ones((1, 2)), np.zeros(2))
    with pytest.raises(InputError, match="negative"):
        stockpile_source("a", "X", -1.0, 1.0, 2)
    with pytest.raises(InputError, match="shape"):
        Sources(("a",), (DIVERTED,), ("X",), np.ones(3), np.zeros(1))
    with pytest.raises(InputError):
        flow_source("a", STOCKPILE, "X", [1.0])


def test_solver_failure_raises_minsec_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import highspy

    real = al._solver

    def failing() -> Any:
        h = real()

        class Failing:
            def __getattr__(self, name: str) -> Any:
                return getattr(h, name)

            def run(self) -> Any:
                h.run()
                return highspy.HighsStatus.kOk

            def getModelStatus(self) -> Any:
                return highspy.HighsModelStatus.kIterationLimit

        return Failing()

    monkeypatch.setattr(al, "_solver", failing)
    with pytest.raises(MinsecError, match="stage 1"):
        allocate([[1.0]], ["USA"], flow_source("s", SPARE_CAPACITY, "CAN", [1.0]))


# ----------------------------------------------------------------- random instances


@dataclass
class Case:
    need: np.ndarray
    partners: list[str]
    sources: Sources
    allowed: np.ndarray
    reference: np.ndarray | None


# tonnes: zero or a realistic magnitude (needs at float-noise level are zeroed by design,
# see test_noise_level_needs_are_zeroed)
_tonnes_elem = st.one_of(st.just(0.0), st.floats(0.01, 100.0))


@st.composite
def cases(draw: st.DrawFn, max_months: int = 3) -> Case:
    months = draw(st.integers(1, max_months))
    n_p = draw(st.integers(1, 4))
    n_s = draw(st.integers(0, 5))
    partners = [f"P{j}" for j in range(n_p)]
    need = draw(hnp.arrays(np.float64, (months, n_p), elements=_tonnes_elem))
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=n_s, max_size=n_s))
    owners = draw(st.lists(st.sampled_from([*partners, "OUT"]), min_size=n_s, max_size=n_s))
    avail = draw(hnp.arrays(np.float64, (months, n_s), elements=_tonnes_elem))
    stock = draw(hnp.arrays(np.float64, (n_s,), elements=st.floats(0.0, 200.0)))
    allowed = draw(hnp.arrays(np.bool_, (n_s, n_p)))
    sources = Sources(tuple(f"S{s}" for s in range(n_s)), tuple(kinds), tuple(owners), avail, stock)
    reference = None
    if draw(st.booleans()):
        reference = need + draw(hnp.arrays(np.float64, (n_p,), elements=st.floats(1.0, 500.0)))
    return Case(need, partners, sources, allowed, reference)


def _solve(case: Case, **kwargs: Any) -> al.Allocation:
    return allocate(
        case.need,
        case.partners,
        case.sources,
        allowed=case.allowed,
        reference_t=case.reference,
        **kwargs,
    )


def _flows_array(a: al.Allocation, case: Case, coordinated: bool) -> np.ndarray:
    months, n_p = case.need.shape
    x = np.zeros((months, case.sources.size, n_p))
    f = a.flows[a.flows["coordinated"] == coordinated]
    s_idx = {n: i for i, n in enumerate(case.sources.names)}
    p_idx = {n: i for i, n in enumerate(case.partners)}
    for m, s, j, t in zip(f["month"], f["source"], f["partner"], f["tonnes"], strict=True):
        x[m, s_idx[s], p_idx[j]] += t
    return x


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(cases())
def test_coordination_never_worsens_the_worst_off_nor_the_total(case: Case) -> None:
    a = _solve(case)
    scale = max(float(case.need.max(initial=0.0)), 1.0)
    assert a.max_shortfall_frac <= a.uncoordinated_max_shortfall_frac + TOL
    assert a.objectives["max_relative_shortfall"] <= a.uncoordinated_max_shortfall_frac + TOL
    # a network flow: the max-min stage costs no tonnes, so the total is never worse either
    assert a.total_shortfall_t <= a.uncoordinated_total_shortfall_t + TOL * scale


@PROPERTY
@given(cases())
def test_flows_respect_every_limit(case: Case) -> None:
    a = _solve(case)
    scale = max(float(case.need.max(initial=0.0)), 1.0)
    src = case.sources
    is_stock = src.is_stockpile
    for coordinated in (True, False):
        x = _flows_array(a, case, coordinated)
        assert (x >= 0).all()
        assert not x[:, ~case.allowed].any()  # only allowed arcs
        used = x.sum(axis=2)
        assert (used <= src.available_t + 1e-9 * scale).all()  # Σ_j x ≤ availability
        released = used[:, is_stock].sum(axis=0)
        assert (released <= src.stock_t[is_stock] + 1e-9 * scale).all()  # ≤ initial stock
        received = x.sum(axis=1)
        assert (received <= case.need + 1e-9 * scale).all()  # nobody gets more than needed
        short = a.shortfall[a.shortfall["coordinated"] == coordinated]
        got = short["received_t"].to_numpy().reshape(case.need.shape)
        assert got == pytest.approx(received, abs=1e-9 * scale)
        assert short["shortfall_t"].to_numpy() == pytest.approx(
            (case.need - received).reshape(-1), abs=1e-9 * scale
        )
        stocks = a.stocks[a.stocks["coordinated"] == coordinated]
        assert (stocks["stock_end_t"] >= 0).all()
        assert (stocks["stock_end_t"] <= stocks["stock_start_t"] + 1e-12).all()
    coord = a.shortfall[a.shortfall["coordinated"]]
    need_pos = coord["need_t"] > 0
    frac = coord["shortfall_t"][need_pos] / coord["reference_t"][need_pos]
    if need_pos.any():
        assert float(frac.max()) == pytest.approx(a.max_shortfall_frac, abs=1e-12)
    assert a.max_shortfall_frac <= a.objectives["max_relative_shortfall"] + 1e-7


@PROPERTY
@given(cases(), st.randoms(use_true_random=False))
def test_objectives_do_not_depend_on_partner_or_source_order(case: Case, rnd: Any) -> None:
    a = _solve(case)
    pp = list(range(len(case.partners)))
    ss = list(range(case.sources.size))
    rnd.shuffle(pp)
    rnd.shuffle(ss)
    src = case.sources
    permuted = Case(
        case.need[:, pp],
        [case.partners[j] for j in pp],
        Sources(
            tuple(src.names[s] for s in ss),
            tuple(src.kinds[s] for s in ss),
            tuple(src.owners[s] for s in ss),
            src.available_t[:, ss],
            src.stock_t[ss],
        ),
        case.allowed[np.ix_(ss, pp)],
        None if case.reference is None else case.reference[:, pp],
    )
    b = _solve(permuted)
    scale = max(float(case.need.max(initial=0.0)), 1.0)
    assert b.objectives["max_relative_shortfall"] == pytest.approx(
        a.objectives["max_relative_shortfall"], abs=TOL
    )
    assert b.objectives["total_shortfall_t"] == pytest.approx(
        a.objectives["total_shortfall_t"], abs=TOL * scale
    )


@settings(max_examples=40, deadline=None)
@given(
    need=hnp.arrays(np.float64, (1, 3), elements=st.floats(0.0, 100.0)),
    avail=hnp.arrays(np.float64, (1, 4), elements=st.floats(0.0, 60.0)),
    stock=hnp.arrays(np.float64, (4,), elements=st.floats(0.0, 60.0)),
)
def test_one_month_complete_sharing_has_a_closed_form(
    need: np.ndarray, avail: np.ndarray, stock: np.ndarray
) -> None:
    """Every source to every partner, one month: z* = max(0, 1 − A/N), total = max(0, N − A)
    with A = Σ spare + Σ min(rate, stock) and N = Σ need."""
    kinds = (SPARE_CAPACITY, DIVERTED, STOCKPILE, STOCKPILE)
    src = Sources(("a", "b", "c", "d"), kinds, ("P0", "X", "P1", "P2"), avail, stock)
    a = allocate(need, ["P0", "P1", "P2"], src)
    supply = avail[0, 0] + avail[0, 1] + min(avail[0, 2], stock[2]) + min(avail[0, 3], stock[3])
    total_need = need.sum()
    if total_need == 0:
        assert a.status == "no need"
        return
    assert a.objectives["max_relative_shortfall"] == pytest.approx(
        max(0.0, 1 - supply / total_need), abs=TOL
    )
    assert a.total_shortfall_t == pytest.approx(max(0.0, total_need - supply), abs=TOL * 100)


# ----------------------------------------------------------------- independent LP


#: The oracle solves to the same feasibility tolerances as the module (scipy's default 1e-7
#: let its own optimum sit 1e-7 off, as large as the agreement asked of the two).
_EXACT = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}


def _linprog_lexicographic(case: Case, z_tolerance: float = 1e-9) -> tuple[float, float, float]:
    """The methods' LP written naively, solved by scipy: (z*, total at z*, total alone)."""
    from scipy.optimize import linprog

    need = case.need
    months, n_p = need.shape
    src = case.sources
    n_s = src.size
    ref = need if case.reference is None else case.reference
    n_x = months * n_s * n_p

    def xi(m: int, s: int, j: int) -> int:
        return (m * n_s + s) * n_p + j

    def ui(m: int, j: int) -> int:
        return n_x + m * n_p + j

    zi = n_x + months * n_p
    n = zi + 1
    rows: list[np.ndarray] = []
    rhs: list[float] = []
    for m, j in itertools.product(range(months), range(n_p)):  # u ≥ need − Σ_s x
        r = np.zeros(n)
        r[ui(m, j)] = -1.0
        for s in range(n_s):
            r[xi(m, s, j)] = -1.0
        rows.append(r)
        rhs.append(-need[m, j])
    for m, s in itertools.product(range(months), range(n_s)):  # Σ_j x ≤ availability
        r = np.zeros(n)
        for j in range(n_p):
            r[xi(m, s, j)] = 1.0
        rows.append(r)
        rhs.append(src.available_t[m, s])
    for s in range(n_s):  # stock: cumulative releases to every month ≤ initial stock
        if src.kinds[s] != STOCKPILE:
            continue
        for m in range(months):
            r = np.zeros(n)
            for mm, j in itertools.product(range(m + 1), range(n_p)):
                r[xi(mm, s, j)] = 1.0
            rows.append(r)
            rhs.append(src.stock_t[s])
    for m, j in itertools.product(range(months), range(n_p)):  # u ≤ ref · z
        if need[m, j] > 0:
            r = np.zeros(n)
            r[ui(m, j)] = 1.0
            r[zi] = -ref[m, j]
            rows.append(r)
            rhs.append(0.0)
    a_ub = np.array(rows)
    b_ub = np.array(rhs)
    bounds = [(0.0, None)] * n
    for m, s, j in itertools.product(range(months), range(n_s), range(n_p)):
        if not case.allowed[s, j]:
            bounds[xi(m, s, j)] = (0.0, 0.0)

    c1 = np.zeros(n)
    c1[zi] = 1.0
    first = linprog(c1, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs", options=_EXACT)
    assert first.status == 0, first.message
    z_star = float(first.x[zi])
    c2 = np.zeros(n)
    c2[n_x:zi] = 1.0
    bounds2 = list(bounds)
    bounds2[zi] = (0.0, z_star + z_tolerance)
    second = linprog(c2, A_ub=a_ub, b_ub=b_ub, bounds=bounds2, method="highs", options=_EXACT)
    assert second.status == 0, second.message
    alone = linprog(c2, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs", options=_EXACT)
    assert alone.status == 0, alone.message
    return z_star, float(second.fun), float(alone.fun)


AGREEMENT: list[tuple[float, float]] = []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_agrees_with_an_independent_naive_lp(case: Case) -> None:
    pytest.importorskip("scipy")
    if case.need.max(initial=0.0) <= 0:
        return
    a = _solve(case)
    z_star, total, total_alone = _linprog_lexicographic(case)
    scale = float(case.need.max())
    dz = abs(a.objectives["max_relative_shortfall"] - z_star)
    dt = abs(a.objectives["total_shortfall_t"] - total) / scale
    AGREEMENT.append((dz, dt))
    assert dz <= 1e-7
    assert dt <= 1e-7
    assert abs(a.total_shortfall_t - total) / scale <= 1e-7
    # fairness first costs no tonnes: the same total as minimising the total alone
    assert abs(total - total_alone) / scale <= 1e-7


def test_hand_cases_agree_with_the_independent_lp() -> None:
    pytest.importorskip("scipy")
    src = stockpile_source("JPN stockpile", "JPN", 25.0, 20.0, 3)
    case = Case(
        np.array([[0.0, 10.0], [0.0, 0.0], [40.0, 40.0]]),
        ["USA", "JPN"],
        src,
        np.ones((1, 2), dtype=bool),
        None,
    )
    assert _linprog_lexicographic(case)[:2] == pytest.approx((0.75, 65.0), abs=1e-9)


# ----------------------------------------------------------------- adapter


def _engine_fixture(
    *, received: bool = True, spare: bool = False, bloc: tuple[str, ...] = ("USA", "JPN")
) -> tuple[Baseline, Outcome, Responses]:
    """A hand-made outcome: 2 runs × 2 months × (CHN, JPN, USA)."""
    countries = ("CHN", "JPN", "USA")
    n, runs, months = 3, 2, 2
    baseline = Baseline(
        commodity="gallium",
        stage="refinery",
        year=2022,
        hs6=("811292",),
        countries=countries,
        trade_t=np.zeros((n, n)),
        production_t=np.array([600.0, 10.0, 0.0]),
        consumption_t=np.array([300.0, 120.0, 240.0]),
        price_usd_per_t=300_000.0,
        spare_capacity=np.zeros(n),
    )
    shortfall = np.zeros((runs, months, n))
    release = np.zeros((runs, months, n))
    got = np.zeros((runs, months, n))
    # run 0: JPN drew 5 t/month of its stock; the engine's pool gave JPN 3 t, the USA 2 t
    shortfall[0] = [[0.0, 5.0, 10.0], [0.0, 5.0, 10.0]]
    release[0] = [[0.0, 5.0, 0.0], [0.0, 5.0, 0.0]]
    got[0] = [[0.0, 3.0, 2.0], [0.0, 3.0, 2.0]]
    shortfall[1] = 99.0  # another run, never read
    extra = {}
    if received:
        extra[al.STOCK_RECEIVED_KEY] = got
    if spare:
        capacity = np.zeros((runs, months, n))
        sold = np.zeros((runs, months, n))
        capacity[0, :, 2] = 5.0  # the USA ramped 5 t/month of spare capacity, sold 3 t
        sold[0, :, 2] = 3.0
        extra[al.SPARE_CAPACITY_KEY] = capacity
        extra[al.SPARE_OUTPUT_KEY] = sold
    outcome = Outcome(
        shortfall_t=shortfall,
        supply_t=np.zeros((runs, months, n)),
        stock_release_t=release,
        price_index=np.ones((runs, months)),
        baseline_monthly_t=np.array([25.0, 10.0, 20.0]),
        extra=extra,
    )
    responses = Responses(
        stockpile_t=np.array([0.0, 40.0, 0.0]),
        release_rate_t_per_month=np.array([0.0, 5.0, 0.0]),
        demand_restraint=np.zeros(n),
        sharing_bloc=bloc,
    )
    return baseline, outcome, responses


def test_adapter_builds_needs_and_sources_from_the_outcome() -> None:
    baseline, outcome, responses = _engine_fixture()
    a = allocation_from_outcome(baseline, outcome, responses)
    short = a.shortfall[a.shortfall["coordinated"]]
    # partners in the order of sharing_bloc; need = shortfall + what the stock delivered:
    # USA 10 + 2 = 12 t, JPN 5 + 3 = 8 t per month
    assert list(short["partner"][:2]) == ["USA", "JPN"]
    assert short["need_t"].tolist() == [12.0, 8.0, 12.0, 8.0]
    assert short["reference_t"].tolist() == [20.0, 10.0, 20.0, 10.0]
    assert set(a.sources["source"]) == {"JPN stockpile"}
    # uncoordinated = JPN draws its own 5 t/month: USA short 12 t (60 %), JPN 3 t (30 %)
    unc = a.shortfall[~a.shortfall["coordinated"]]
    assert unc["shortfall_t"].tolist() == pytest.approx([12.0, 3.0, 12.0, 3.0])
    assert a.uncoordinated_max_shortfall_frac == pytest.approx(0.6)
    # coordinated, in % of consumption: u_USA/20 = u_JPN/10 = z, u_USA + u_JPN = 20 − 5
    # → 30 z = 15, z* = 0.5 (USA short 10 t, JPN 5 t)
    assert a.objectives["max_relative_shortfall"] == pytest.approx(0.5, abs=TOL)
    assert any("no spare capacity" in note for note in a.notes)


def test_adapter_shares_unused_spare_capacity_and_honours_options() -> None:
    baseline, outcome, responses = _engine_fixture(spare=True)
    a = allocation_from_outcome(baseline, outcome, responses, ["JPN", "USA"], relative_to="need")
    assert set(a.sources["source"]) == {"JPN stockpile", "USA spare capacity"}
    assert a.sources["available_t"].tolist() == [5.0, 2.0, 5.0, 2.0]  # 5 − 3 t unused
    # in % of need: 1 − (5 + 2) / (8 + 12) = 13/20 per month
    assert a.objectives["max_relative_shortfall"] == pytest.approx(13 / 20, abs=TOL)
    home = allocation_from_outcome(baseline, outcome, responses, share_stockpiles=False)
    stock_flows = home.flows[home.flows["source"] == "JPN stockpile"]
    assert set(stock_flows["partner"]) == {"JPN"}


def test_adapter_without_received_stock_needs_an_engine_run_without_sharing() -> None:
    baseline, outcome, responses = _engine_fixture(received=False)
    with pytest.raises(InputError, match="stock_received_t"):
        allocation_from_outcome(baseline, outcome, responses)
    baseline, outcome, responses = _engine_fixture(received=False, bloc=())
    a = allocation_from_outcome(baseline, outcome, responses, ["USA", "JPN"])
    short = a.shortfall[a.shortfall["coordinated"]]
    assert short["need_t"].tolist() == [10.0, 10.0, 10.0, 10.0]  # shortfall + own draw


def test_adapter_refuses_bad_partners_and_runs() -> None:
    baseline, outcome, responses = _engine_fixture()
    with pytest.raises(InputError, match="not in the baseline"):
        allocation_from_outcome(baseline, outcome, responses, ["KOR"])
    with pytest.raises(InputError, match="no partners"):
        allocation_from_outcome(baseline, outcome, replace(responses, sharing_bloc=()))
    with pytest.raises(InputError, match="run 5"):
        allocation_from_outcome(baseline, outcome, responses, run=5)
    with pytest.raises(InputError, match="relative_to"):
        allocation_from_outcome(baseline, outcome, responses, relative_to="gdp")  # type: ignore[arg-type]


def test_adapter_on_the_engine() -> None:
    """End to end with the engine, when present: coordination helps the worst-off."""
    engine = pytest.importorskip("minsec.disrupt.engine")
    from minsec.disrupt.model import Parameters, Shocks

    countries = ("CHN", "JPN", "KOR", "USA")
    trade = np.zeros((4, 4))
    trade[0, 1], trade[0, 2], trade[0, 3] = 240.0, 120.0, 360.0  # t/year from CHN
    baseline = Baseline(
        commodity="gallium",
        stage="refinery",
        year=2022,
        hs6=("811292",),
        countries=countries,
        trade_t=trade,
        production_t=np.array([1200.0, 0.0, 0.0, 0.0]),
        consumption_t=np.array([480.0, 240.0, 120.0, 360.0]),
        price_usd_per_t=300_000.0,
        spare_capacity=np.zeros(4),
    )
    targets = np.zeros((4, 4), dtype=bool)
    targets[0, 1] = targets[0, 3] = True  # CHN restricts exports to JPN and the USA
    shocks = Shocks(
        export_fraction=np.array([[0.8, 0.0, 0.0, 0.0]]),
        targets=targets,
        outage_fraction=np.zeros((1, 4)),
        start_month=np.zeros((1, 4)),
        duration_months=np.full((1, 4), 12.0),
    )
    responses = Responses(
        stockpile_t=np.array([0.0, 30.0, 50.0, 0.0]),
        release_rate_t_per_month=np.array([0.0, 10.0, 10.0, 0.0]),
        demand_restraint=np.zeros(4),
        sharing_bloc=("JPN", "KOR", "USA"),
    )
    outcome = engine.propagate(baseline, shocks, Parameters(months=6), responses, detail=True)
    a = allocation_from_outcome(baseline, outcome, responses)
    assert a.status in {"optimal", "no need"}
    assert a.max_shortfall_frac <= a.uncoordinated_max_shortfall_frac + TOL
    need = a.shortfall[a.shortfall["coordinated"]]["need_t"].to_numpy().reshape(6, 3)
    idx = [baseline.index(p) for p in ("JPN", "KOR", "USA")]
    expected = outcome.shortfall_t[0][:, idx] + outcome.extra["stock_received_t"][0][:, idx]
    assert need == pytest.approx(np.clip(expected, 0.0, None))
