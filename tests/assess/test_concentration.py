"""The pure concentration core: properties (Hypothesis) and hand-worked examples."""

from __future__ import annotations

import math
import random

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minsec.assess import concentration as conc
from minsec.errors import InputError

# quantities as a publisher prints them: whole or fractional tonnes, zeros allowed
quantity = st.floats(min_value=0.0, max_value=1e9, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=1e-3, max_value=1e9, allow_nan=False, allow_infinity=False)
quantities = st.lists(quantity, min_size=1, max_size=40).filter(lambda q: sum(q) > 0)


# -- properties ------------------------------------------------------------------------


@given(quantities, quantity)
def test_shares_and_other_sum_to_one(q: list[float], other: float) -> None:
    s = conc.shares(q, other=other)
    other_share = other / (sum(q) + other)
    assert math.isclose(s.sum() + other_share, 1.0, rel_tol=1e-9)
    assert np.all((s >= 0) & (s <= 1))


@given(quantities, quantity)
def test_hhi_between_0_and_10000(q: list[float], other: float) -> None:
    h = conc.hhi(conc.shares(q, other=other))
    assert 0.0 <= h <= conc.HHI_MAX * (1 + 1e-12)


@given(quantities, st.data())
def test_merging_two_producers_never_lowers_hhi(q: list[float], data: st.DataObject) -> None:
    if len(q) < 2:
        q = [*q, 1.0]
    i, j = data.draw(
        st.lists(st.integers(0, len(q) - 1), min_size=2, max_size=2, unique=True), label="pair"
    )
    merged = [x for k, x in enumerate(q) if k not in (i, j)] + [q[i] + q[j]]
    before = conc.hhi(conc.shares(q))
    after = conc.hhi(conc.shares(merged))
    # (a+b)² = a² + b² + 2ab ≥ a² + b²
    assert after >= before - 1e-9 * max(1.0, before)


@given(quantities, st.randoms(use_true_random=False))
def test_hhi_invariant_to_country_order(q: list[float], rnd: random.Random) -> None:
    shuffled = list(q)
    rnd.shuffle(shuffled)
    assert math.isclose(
        conc.hhi(conc.shares(q)), conc.hhi(conc.shares(shuffled)), rel_tol=1e-12, abs_tol=1e-9
    )


@given(positive)
def test_monopoly_is_10000(q: float) -> None:
    assert conc.hhi(conc.shares([q])) == pytest.approx(10_000.0)
    assert conc.hhi(conc.shares([q, 0.0, 0.0])) == pytest.approx(10_000.0)


@given(st.integers(1, 200), positive)
def test_n_equal_producers_is_10000_over_n(n: int, q: float) -> None:
    assert conc.hhi(conc.shares([q] * n)) == pytest.approx(10_000.0 / n, rel=1e-9)


@given(quantities)
def test_hhi_at_least_10000_over_number_of_producers(q: list[float]) -> None:
    n = sum(1 for x in q if x > 0)
    assert conc.hhi(conc.shares(q)) >= 10_000.0 / n * (1 - 1e-9)


@given(quantities, quantity, st.data())
def test_wgi_weighted_hhi_between_0_and_10_sum_s2(
    q: list[float], other: float, data: st.DataObject
) -> None:
    s = conc.shares(q, other=other)
    estimates = data.draw(
        st.lists(st.floats(-4.0, 4.0), min_size=len(q), max_size=len(q)), label="wgi"
    )
    w = conc.wgi_score(estimates)
    value = conc.wgi_weighted_hhi(s, w)
    assert 0.0 <= value <= 10.0 * float(np.sum(s**2)) * (1 + 1e-12)
    assert value <= 10.0


@given(st.lists(st.floats(-2.5, 2.5), min_size=2, max_size=2))
def test_wgi_score_linear_and_decreasing(x: list[float]) -> None:
    a, b = conc.wgi_score(x)
    assert 0.0 <= a <= 10.0 and 0.0 <= b <= 10.0
    assert a == pytest.approx(5.0 - 2.0 * x[0])
    if x[0] < x[1]:
        assert a >= b


@given(quantities)
def test_top_shares_ordered(q: list[float]) -> None:
    s = conc.shares(q)
    t1, t3 = conc.top_share(s, 1), conc.top_share(s, 3)
    assert t1 <= t3 + 1e-12 <= s.sum() + 2e-12
    assert t1 == pytest.approx(s.max())


# a random tidy table: groups of country rows plus OTHER, WORLD and withheld rows
@st.composite
def tidy_rows(draw: st.DrawFn) -> pd.DataFrame:
    records = []
    for g in range(draw(st.integers(1, 4))):
        n = draw(st.integers(1, 8))
        for i in range(n):
            withheld = draw(st.booleans()) and draw(st.booleans())
            records.append(
                {
                    "g": f"g{g}",
                    "country": f"C{i}",
                    "quantity": None if withheld else draw(quantity),
                    "wgi": draw(st.one_of(st.none(), st.floats(0.0, 10.0))),
                }
            )
        if draw(st.booleans()):
            records.append({"g": f"g{g}", "country": "OTHER", "quantity": draw(quantity)})
        if draw(st.booleans()):
            records.append({"g": f"g{g}", "country": "WORLD", "quantity": draw(positive)})
    frame = pd.DataFrame(records, columns=["g", "country", "quantity", "wgi"])
    return frame.sample(frac=1.0, random_state=draw(st.integers(0, 1000)))


@settings(max_examples=60, deadline=None)
@given(tidy_rows())
def test_structure_table_matches_array_functions(rows: pd.DataFrame) -> None:
    out = conc.structure_table(rows, ["g"], blocs={"B": ["C0", "C1", "OTHER"]}).set_index("g")
    for g, grp in rows.groupby("g"):
        c = grp[~grp["country"].isin(["OTHER", "WORLD"]) & grp["quantity"].notna()]
        other = float(grp.loc[grp["country"] == "OTHER", "quantity"].sum())
        row = out.loc[g]
        assert row["n_withheld"] == int(grp["quantity"].isna().sum())
        if c["quantity"].sum() <= 0:  # no country-level production: unknown, not 0
            assert math.isnan(row["hhi"]) and math.isnan(row["top1_share"])
            assert math.isnan(row["wgi_weighted_hhi"]) and row["n_producers_total"] == 0
            continue
        s = conc.shares(c["quantity"].to_numpy(), other=other)
        assert row["hhi"] == pytest.approx(conc.hhi(s), abs=1e-6)
        assert row["top1_share"] == pytest.approx(conc.top_share(s, 1), abs=1e-12)
        assert row["top3_share"] == pytest.approx(conc.top_share(s, 3), abs=1e-12)
        assert row["n_producers"] == conc.n_producers(s)
        assert row["n_producers_total"] == int((c["quantity"] > 0).sum())
        w = c["wgi"].astype(float).fillna(conc.WGI_DEFAULT_SCORE).to_numpy()
        assert row["wgi_weighted_hhi"] == pytest.approx(conc.wgi_weighted_hhi(s, w), abs=1e-12)
        assert row["n_wgi_missing"] == int((c["wgi"].isna() & (c["quantity"] > 0)).sum())
        # shares + other = 1; OTHER never counts towards a bloc
        assert s.sum() + row["other_share"] == pytest.approx(1.0)
        in_bloc = c["country"].isin(["C0", "C1"])
        assert row["share_b"] == pytest.approx(float(s[in_bloc.to_numpy()].sum()), abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(tidy_rows())
def test_country_share_table_components_sum_to_hhi(rows: pd.DataFrame) -> None:
    per = conc.country_share_table(rows, ["g"])
    out = conc.structure_table(rows, ["g"]).set_index("g")
    for g, grp in per.groupby("g"):
        assert grp["hhi_component"].sum() == pytest.approx(out.loc[g, "hhi"], abs=1e-6)
        assert list(grp["rank"]) == list(range(1, len(grp) + 1))
        assert grp["cumulative_share"].iloc[-1] + out.loc[g, "other_share"] == pytest.approx(1.0)
        top = grp[grp["rank"] == 1].iloc[0]
        assert top["country"] == out.loc[g, "top1_country"]


# -- hand-worked examples --------------------------------------------------------------


def _example() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "g": ["x"] * 6,
            "country": ["AAA", "BBB", "CCC", "DDD", "OTHER", "WORLD"],
            "quantity": [50.0, 30.0, 15.0, None, 5.0, 100.0],
            "wgi": [
                conc.wgi_score(1.0),
                conc.wgi_score(-0.5),
                None,
                conc.wgi_score(0.0),
                None,
                None,
            ],
        }
    )


def test_hand_worked_structure() -> None:
    out = conc.structure_table(_example(), ["g"], blocs={"ab": ["AAA", "BBB"]}).iloc[0]
    # T = 50 + 30 + 15 + 5 (OTHER) = 100; WORLD (100) is not a country and not in T;
    # DDD is withheld (NULL): out of T, counted.
    assert out["total"] == 100.0
    assert out["world_reported"] == 100.0 and out["coverage"] == 1.0
    assert out["n_withheld"] == 1
    assert out["other_share"] == pytest.approx(0.05)
    # HHI = 50² + 30² + 15² = 2500 + 900 + 225 = 3625 (OTHER's 5 % stays out of the squares)
    assert out["hhi"] == pytest.approx(3625.0)
    assert out["concentration"] == "high"
    assert out["top1_country"] == "AAA" and out["top1_share"] == pytest.approx(0.50)
    assert out["top3_share"] == pytest.approx(0.95)
    assert out["top3_countries"] == "AAA;BBB;CCC"
    assert out["n_producers"] == 3 and out["n_producers_total"] == 3
    # W: AAA +1.0 → 5 − 2·1.0 = 3; BBB −0.5 → 5 + 1 = 6; CCC no WGI → default 5
    # HHI_WGI = 0.5²·3 + 0.3²·6 + 0.15²·5 = 0.75 + 0.54 + 0.1125 = 1.4025
    assert out["wgi_weighted_hhi"] == pytest.approx(1.4025)
    assert out["n_wgi_missing"] == 1
    assert out["share_ab"] == pytest.approx(0.80)


def test_hand_worked_wgi_rescaling_of_six_estimates() -> None:
    # VA, PV, GE, RQ, RL, CC = 1.0, 0.5, 0.0, −0.5, 1.5, 0.5 → mean 3.0 / 6 = 0.5
    # W = 10·(2.5 − 0.5)/5 = 4.0
    mean = np.mean([1.0, 0.5, 0.0, -0.5, 1.5, 0.5])
    assert float(conc.wgi_score(mean)) == pytest.approx(4.0)
    assert list(conc.wgi_score([2.5, -2.5, 0.0, 3.0, -2.7])) == [0.0, 10.0, 5.0, 0.0, 10.0]


def test_hand_worked_equal_and_monopoly() -> None:
    # four equal producers: 4 · 25² = 2500; a monopoly: 100² = 10,000
    assert conc.hhi(conc.shares([7, 7, 7, 7])) == pytest.approx(2500.0)
    assert conc.hhi(conc.shares([3.0])) == 10_000.0
    # with an 'Other countries' of 20: shares 0.4 and 0.4 → HHI = 40² + 40² = 3200
    assert conc.hhi(conc.shares([40, 40], other=20)) == pytest.approx(3200.0)


def test_concentration_bands() -> None:
    assert conc.concentration_band(1499.9) == "unconcentrated"
    assert conc.concentration_band(1500.0) == "moderate"
    assert conc.concentration_band(2500.0) == "moderate"
    assert conc.concentration_band(2500.1) == "high"
    assert conc.concentration_band(float("nan")) is None


def test_bloc_column_names() -> None:
    assert conc.bloc_column("like-minded") == "share_like_minded"
    assert conc.bloc_column("countries-of-concern") == "share_countries_of_concern"
    assert conc.bloc_column("US") == "share_us"
    assert conc.bloc_column("EU27") == "share_eu27"


def test_zero_total_and_bad_input() -> None:
    assert np.all(np.isnan(conc.shares([0.0, 0.0])))
    assert math.isnan(conc.hhi(conc.shares([0.0, 0.0])))
    with pytest.raises(InputError, match="≥ 0"):
        conc.shares([1.0, -2.0])
    with pytest.raises(InputError, match="finite"):
        conc.shares([1.0, float("nan")])
    with pytest.raises(InputError, match="NaN"):
        conc.wgi_weighted_hhi([0.5, 0.5], [1.0, float("nan")])
    with pytest.raises(InputError, match="record 2"):
        conc.structure_table(
            pd.DataFrame({"g": ["a", "a"], "country": ["A", "B"], "quantity": [1.0, -1.0]}), ["g"]
        )


def test_duplicate_country_rows_are_summed() -> None:
    rows = pd.DataFrame(
        {"g": ["a"] * 3, "country": ["A", "A", "B"], "quantity": [30.0, 30.0, 40.0]}
    )
    out = conc.structure_table(rows, ["g"]).iloc[0]
    # A = 60, B = 40 → 3600 + 1600 = 5200
    assert out["hhi"] == pytest.approx(5200.0)
    assert out["top1_country"] == "A"


def test_add_changes_and_rising_by_hand() -> None:
    frame = pd.DataFrame(
        {
            "commodity": ["a", "a", "a", "b", "b"],
            "year": [2020, 2021, 2023, 2020, 2021],
            "hhi": [1000.0, 1500.0, 1200.0, 5000.0, 4000.0],
        }
    )
    out = conc.add_changes(frame, ["commodity"], ["hhi"])
    # a: 2021 − 2020 = +500; 2023 against 2021 (2022 missing) = −300
    assert out["hhi_change"].tolist()[:3] == [
        pytest.approx(float("nan"), nan_ok=True),
        500.0,
        -300.0,
    ]
    assert out["prev_year"].tolist()[2] == 2021
    ranked = conc.rising(frame, ["commodity"])
    # a rose 1000 → 1200 (+200, +20 %); b fell and is not listed
    assert ranked["commodity"].tolist() == ["a"]
    assert ranked.loc[0, "change"] == 200.0 and ranked.loc[0, "change_pct"] == pytest.approx(20.0)
    assert conc.rising(frame, ["commodity"], end=2021)["commodity"].tolist() == ["a"]
    assert conc.rising(frame, ["commodity"], end=2021).loc[0, "change"] == 500.0
