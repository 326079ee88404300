"""Tariff data and resolution: the deal rules on hand-worked cases, dates, overrides, errors."""

from __future__ import annotations

import datetime as dt
import math
import textwrap

import pytest

from minsec.catalog import commodities
from minsec.catalog import tariffs as tf
from minsec.errors import InputError

D = dt.date

# A small book: the real packaged file has its own tests below.
TOY = textwrap.dedent(
    """
    [hs]
    "8703" = "cars"
    "8541" = "semiconductors"

    [[measure]]
    id = "mfn-cars"
    kind = "mfn"
    hs = "8703"
    destination = "USA"
    duty = 0.025
    valid_from = 2020-01-01
    source = "toy"
    confidence = "high"

    [[measure]]
    id = "mfn-lithium"
    kind = "mfn"
    hs = "283691"
    destination = "USA"
    duty = 0.20
    valid_from = 2020-01-01
    source = "toy"
    confidence = "high"

    [[measure]]
    id = "mfn-ore"
    kind = "mfn"
    hs = "26"
    destination = "USA"
    duty = 0.0
    valid_from = 2020-01-01
    source = "toy"
    confidence = "high"

    [[measure]]
    id = "mfn-graphite"
    kind = "mfn"
    hs = "2504"
    destination = "USA"
    duty = 0.0
    valid_from = 2020-01-01
    source = "toy"
    confidence = "high"

    [[measure]]
    id = "mfn-semis"
    kind = "mfn"
    hs = "8541"
    destination = "USA"
    duty = 0.0
    valid_from = 2020-01-01
    source = "toy"
    confidence = "high"

    [[measure]]
    id = "reciprocal-jpn"
    kind = "reciprocal"
    origin = "JPN"
    destination = "USA"
    duty = 0.15
    valid_from = 2025-08-07
    source = "toy"
    confidence = "high"

    [[measure]]
    id = "jpn-cap"
    kind = "deal-cap"
    origin = "JPN"
    destination = "USA"
    duty = 0.15
    valid_from = 2025-08-07
    source = "toy"
    confidence = "high"

    [[measure]]
    id = "cars-232"
    kind = "section232"
    hs = "8703"
    destination = "USA"
    duty = 0.25
    valid_from = 2025-04-03
    source = "toy"
    confidence = "high"

    [[measure]]
    id = "cars-cap"
    kind = "deal-cap"
    applies_to = "section232"
    hs = "8703"
    origin = "JPN"
    destination = "USA"
    duty = 0.15
    valid_from = 2025-09-16
    source = "toy"
    confidence = "high"

    [[measure]]
    id = "semis-232"
    kind = "section232"
    hs = "8541"
    destination = "USA"
    duty = 0.25
    valid_from = 2026-01-01
    source = "toy"
    confidence = "high"

    [[measure]]
    id = "semis-232-eu"
    kind = "section232"
    hs = "8541"
    origin = "EU27"
    destination = "USA"
    duty = 0.15
    valid_from = 2026-01-01
    source = "toy"
    confidence = "high"

    [[measure]]
    id = "semis-guard"
    kind = "safeguard"
    hs = "8541"
    origin = "JPN"
    destination = "USA"
    valid_from = 2025-09-04
    source = "toy"
    confidence = "high"

    [[measure]]
    id = "s301"
    kind = "section301"
    hs = "2504"
    origin = "CHN"
    destination = "USA"
    duty = 0.25
    valid_from = 2026-01-01
    valid_to = 2026-12-31
    source = "toy"
    confidence = "high"
    """
)


@pytest.fixture
def toy() -> tf.TariffBook:
    return tf.parse_book(TOY)


def total(b: tf.TariffBook, hs6: str, origin: str, day: dt.date, dest: str = "USA") -> float:
    t = tf.resolve(b, hs6, origin, dest, day).total
    assert t is not None
    return t


# -- the order's own rules, hand-worked --------------------------------------------------------


def test_deal_cap_component_is_the_orders_rule() -> None:
    # EO 14345 sec. 2: MFN 2.5 % -> 12.5 points more, 15 % in all; MFN 20 % -> nothing more
    assert tf.deal_cap_component(0.025, 0.15) == pytest.approx(0.125)
    assert tf.deal_cap_component(0.20, 0.15) == 0.0
    assert tf.deal_cap_component(0.15, 0.15) == 0.0
    assert tf.deal_cap_component(0.0, 0.15) == pytest.approx(0.15)


def test_japan_mfn_below_15_pays_15_in_all(toy: tf.TariffBook) -> None:
    # a Japanese good with MFN 0 % (graphite, before any Annex II exemption) pays 15 %
    d = tf.resolve(toy, "250410", "JPN", "USA", D(2025, 8, 20))
    assert d.total == pytest.approx(0.15)
    assert [(c.kind, c.duty) for c in d.components] == [("mfn", 0.0), ("reciprocal", 0.15)]


def test_japan_mfn_at_20_pays_mfn_only(toy: tf.TariffBook) -> None:
    d = tf.resolve(toy, "283691", "JPN", "USA", D(2025, 8, 20))
    assert d.total == pytest.approx(0.20)
    assert [c.duty for c in d.components if c.kind == "reciprocal"] == [0.0]


def test_other_origins_stack_reciprocal_on_mfn(toy: tf.TariffBook) -> None:
    # no cap for Korea: MFN 20 % and no reciprocal row for KOR in the toy -> 20 %
    assert total(toy, "283691", "KOR", D(2025, 8, 20)) == pytest.approx(0.20)


def test_zero_duty_natural_resource(toy: tf.TariffBook) -> None:
    # EO 14345 sec. 5: the reciprocal rate on an unavailable natural resource of Japan can
    # be set to 0; a reciprocal row of 0 % for that good leaves the MFN rate, here free
    before = total(toy, "261100", "JPN", D(2025, 10, 1))
    assert before == pytest.approx(0.15)  # MFN 0 -> 15 % all-in without the exemption
    text = TOY + textwrap.dedent(
        """
        [[measure]]
        id = "ptaap-tungsten-ore"
        kind = "reciprocal"
        hs = "261100"
        origin = "JPN"
        destination = "USA"
        duty = 0.0
        valid_from = 2025-10-01
        source = "toy: Commerce lists tungsten ore as unavailable"
        confidence = "high"
        """
    )
    b = tf.parse_book(text)
    assert total(b, "261100", "JPN", D(2025, 10, 1)) == 0.0
    assert total(b, "261100", "JPN", D(2025, 9, 30)) == pytest.approx(0.15)


def test_japanese_cars_232_all_in_15(toy: tf.TariffBook) -> None:
    # before the auto terms (16 Sep 2025): 232 25 % + MFN 2.5 %, no reciprocal on 232 goods
    assert total(toy, "870323", "JPN", D(2025, 9, 15)) == pytest.approx(0.275)
    d = tf.resolve(toy, "870323", "JPN", "USA", D(2025, 9, 16))
    assert d.total == pytest.approx(0.15)
    assert {c.kind: c.duty for c in d.components} == pytest.approx(
        {"mfn": 0.025, "section232": 0.125}
    )
    assert any("Section 232 pay no reciprocal" in n for n in d.notes)
    assert total(toy, "870323", "DEU", D(2025, 9, 16)) == pytest.approx(0.275)


def test_safeguard_japan_no_worse_than_any_other(toy: tf.TariffBook) -> None:
    # 232 on semiconductors: 25 % for all, 15 % for the EU; Japan gets the lowest, 15 %
    assert total(toy, "854110", "CHN", D(2026, 2, 1)) == pytest.approx(0.25)
    assert total(toy, "854110", "DEU", D(2026, 2, 1)) == pytest.approx(0.15)
    assert total(toy, "854110", "JPN", D(2026, 2, 1)) == pytest.approx(0.15)
    assert tf.safeguard_rate(0.25, []) == 0.25


def test_dates_are_inclusive_at_both_ends(toy: tf.TariffBook) -> None:
    assert total(toy, "250410", "CHN", D(2025, 12, 31)) == 0.0
    assert total(toy, "250410", "CHN", D(2026, 1, 1)) == pytest.approx(0.25)
    assert total(toy, "250410", "CHN", D(2026, 12, 31)) == pytest.approx(0.25)
    assert total(toy, "250410", "CHN", D(2027, 1, 1)) == 0.0
    assert total(toy, "250410", "JPN", D(2025, 8, 6)) == 0.0  # before the Japan rates


def test_unknown_mfn_gives_no_total(toy: tf.TariffBook) -> None:
    d = tf.resolve(toy, "282200", "JPN", "USA", D(2025, 10, 1))
    assert d.total is None and d.confidence == "unknown"
    assert "no MFN rate" in d.notes[0]
    assert tf.resolve(toy, "282200", "USA", "USA", D(2025, 10, 1)).total == 0.0  # domestic


def test_most_specific_row_wins_and_user_rows_override() -> None:
    user = textwrap.dedent(
        """
        [[measure]]
        id = "mfn-graphite"
        kind = "mfn"
        hs = "2504"
        destination = "USA"
        duty = 0.01
        valid_from = 2020-01-01
        source = "user override of a packaged row by id"

        [[measure]]
        id = "what-if"
        kind = "user"
        hs = "250490"
        origin = "CHN"
        destination = "USA"
        duty = 0.935
        valid_from = 2026-01-01
        source = "what if"
        """
    )
    b = tf.parse_book(TOY, user)
    assert total(b, "250410", "MOZ", D(2026, 2, 1)) == pytest.approx(0.01)  # replaced by id
    d = tf.resolve(b, "250490", "CHN", "USA", D(2026, 2, 1))
    assert d.total == pytest.approx(0.935)  # all-in, replaces MFN + 301
    assert [c.measure_id for c in d.components] == ["what-if"] and d.confidence == "user"
    assert total(b, "250410", "CHN", D(2026, 2, 1)) == pytest.approx(0.26)  # not covered
    # a 6-digit row beats a chapter row, a country row beats 'all'
    mfn = [m for m in b.measures if m.id in ("mfn-ore", "mfn-graphite")]
    assert max(mfn, key=lambda m: tf.specificity(m, b)).id == "mfn-graphite"


def test_freight_and_landed_cost() -> None:
    b = tf.book(user=False)
    assert tf.freight_usd_per_t(b, "CHN", "USA", "250410") == 100.0
    assert tf.freight_usd_per_t(b, "AUS", "USA", "260400") == 40.0  # bulk ores
    assert tf.freight_usd_per_t(b, "CAN", "USA", "250410") == 60.0
    assert tf.freight_usd_per_t(b, "USA", "USA", "250410") == 0.0
    assert tf.landed_cost_usd_per_t(1000.0, 0.935, 100.0) == pytest.approx(2035.0)


# -- the packaged data ---------------------------------------------------------------------------


def test_packaged_rows_all_cite_a_source_and_a_confidence() -> None:
    b = tf.book(user=False)
    assert len(b.measures) > 50
    for m in b.measures:
        assert m.source and m.confidence in tf.CONFIDENCE, m.id
        assert m.legal_basis, m.id
    for f in b.freight:
        assert f.source and f.confidence == "judgement", f.id


@pytest.mark.parametrize(
    "commodity", ["graphite", "lithium", "cobalt", "nickel", "rare_earths", "manganese",
                  "tungsten", "antimony", "gallium"],
)  # fmt: skip
def test_us_mfn_known_for_the_critical_minerals(commodity: str) -> None:
    b = tf.book(user=False)
    c = commodities.get(commodity)
    for code in sorted(set(c.hs92) | set(c.hs17)):
        rows = [m for m in tf.applicable(b, code, "ZZZ", "USA", D(2025, 10, 1)) if m.kind == "mfn"]
        assert rows, f"{commodity} HS {code}: no US MFN row"
        best = max(rows, key=lambda m: tf.specificity(m, b))
        assert best.destination == "USA", f"{commodity} HS {code}: only the default row"
        assert best.duty is not None or best.specific


def test_packaged_deal_terms() -> None:
    b = tf.book(user=False)
    # the order's examples on the real rows: Japanese cars 15 % all-in, German 27.5 %
    assert total(b, "870323", "JPN", D(2025, 10, 1)) == pytest.approx(0.15)
    assert total(b, "870323", "DEU", D(2025, 10, 1)) == pytest.approx(0.275)
    # Japanese graphite: 15 % all-in from 7 Aug 2025, MFN (free) once in Annex II
    assert total(b, "250410", "JPN", D(2025, 8, 20)) == pytest.approx(0.15)
    assert total(b, "250410", "JPN", D(2025, 10, 1)) == 0.0
    # Chinese graphite in 2026: Section 301 25 % + IEEPA 10 %, reciprocal exempt
    d = tf.resolve(b, "250410", "CHN", "USA", D(2026, 1, 15))
    assert d.total == pytest.approx(0.35)
    assert {c.kind: c.duty for c in d.components} == pytest.approx(
        {"mfn": 0.0, "reciprocal": 0.0, "ieepa": 0.10, "section301": 0.25}
    )
    # Australian lithium carbonate: AUSFTA replaces MFN 3.7 %
    assert total(b, "283691", "AUS", D(2025, 10, 1)) == 0.0
    # aluminium from Japan: Section 232 50 %, no reciprocal, no deal cap
    assert total(b, "760110", "JPN", D(2025, 10, 1)) == pytest.approx(0.5)
    # tungsten concentrates carry a specific duty: no ad valorem total
    assert tf.resolve(b, "261100", "CHN", "USA", D(2025, 10, 1)).total is None


# -- bad input ---------------------------------------------------------------------------------


def _row(**fields: object) -> str:
    base: dict[str, object] = {
        "kind": "user", "hs": "250490", "origin": "CHN", "destination": "USA",
        "duty": 0.5, "valid_from": "2026-01-01", "source": "x",
    }  # fmt: skip
    base.update(fields)
    lines = ["[[measure]]"]
    for k, v in base.items():
        if v is not None:
            lines.append(f"{k} = {v!r}".replace("'", '"') if isinstance(v, str) else f"{k} = {v}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"hs": "999999"}, "unknown HS code '999999'"),
        ({"hs": "250499"}, "known codes near it: 250410, 250490"),
        ({"hs": "25049"}, "2 (chapter), 4 (heading) or 6 (subheading) digits"),
        ({"duty": -0.1}, "duty must be 0 or more"),
        ({"duty": 93.5}, "did you mean 0.935"),
        ({"origin": "Chna"}, "unknown origin 'Chna'"),
        ({"destination": "Atlantis"}, "unknown destination 'Atlantis'"),
        ({"valid_to": "2025-01-01"}, "valid_to 2025-01-01 is before valid_from 2026-01-01"),
        ({"valid_from": "Jan 2026"}, "valid_from must be a date like 2026-01-01"),
        ({"kind": "embargo"}, "unknown kind 'embargo'"),
        ({"source": ""}, "source is required"),
        ({"kind": "deal-cap", "duty": 1.5}, "no MFN-plus-additional duty can meet that target"),
        ({"kind": "deal-cap", "origin": "all"}, "a deal cap applies to the deal partner"),
        ({"colour": "red"}, "unknown field 'colour'"),
        ({"confidence": "sure"}, "confidence: one of"),
    ],
)
def test_bad_rows_name_file_row_and_field(fields: dict[str, object], message: str) -> None:
    with pytest.raises(InputError) as info:
        tf.parse_book(TOY, _row(**fields))
    text = str(info.value)
    assert message in text
    assert "tariffs.toml, column 'measure[0]'" in text


def test_bad_files() -> None:
    with pytest.raises(InputError, match="not valid TOML"):
        tf.parse_book(TOY, "[[measure]\n")
    with pytest.raises(InputError, match="id 'a' is used twice"):
        tf.parse_book(TOY, _row(id="a") + _row(id="a"))
    with pytest.raises(InputError, match="unknown table 'tariff'"):
        tf.parse_book(TOY, "[tariff]\nx = 1\n")
    with pytest.raises(InputError, match="usd_per_t must be 0 or more"):
        tf.parse_book(TOY, '[[freight]]\norigin = "CHN"\nusd_per_t = -1\nsource = "x"\n')


def test_duty_checks() -> None:
    assert tf.check_duty(0.935) == 0.935
    for bad in (math.nan, math.inf, -1e-9, "x", True):
        with pytest.raises(ValueError):
            tf.check_duty(bad)
