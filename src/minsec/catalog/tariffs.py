"""Tariffs as data: import duties by HS code × origin × destination × date, and freight.

The rows ship in ``data/tariffs.toml`` (its header documents the fields); a
``tariffs.toml`` in ``$MINSEC_HOME`` extends them (a row with the id of a packaged row
replaces it). :func:`book` reads and checks both (:mod:`minsec.catalog.tariff_schema`);
:func:`resolve` gives the duty of one
(HS6, origin, destination, date) with its components and their sources, applying the deal
rules as pure functions (:func:`deal_cap_component`, :func:`safeguard_rate`);
:func:`freight_usd_per_t` and :func:`landed_cost_usd_per_t` give the landed cost
``price × (1 + duty) + freight``.

The total duty of a good is::

    (preferential or MFN) + reciprocal + ieepa + section232 + section301
        + antidumping + countervailing

where, per kind, the most specific row in force applies (:func:`specificity`); a deal cap
turns the reciprocal (or Section 232) component into ``max(cap − MFN, 0)`` — "MFN below
15 % → 15 % in total; 15 % or more → MFN" — wherever that component applies at all; goods
under Section 232 pay no reciprocal duty (Executive Order 14257, sec. 3); a safeguard
limits the origin's Section 232 duty to the lowest any other origin pays; a ``user`` row
replaces the whole stack.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from minsec.catalog import countries
from minsec.catalog.tariff_schema import (
    ALL,
    CONFIDENCE,
    KINDS,
    MAX_DUTY,
    PACKAGED,
    FieldError,
    Freight,
    Measure,
    TariffBook,
    _packaged_text,
    book,
    catalog_hs,
    check_date,
    check_duty,
    check_hs,
    check_party,
    known_hs,
    parse_book,
    parse_freight,
    parse_measure,
    user_path,
)

__all__ = [
    "ALL",
    "CONFIDENCE",
    "KINDS",
    "MAX_DUTY",
    "PACKAGED",
    "Component",
    "Duty",
    "FieldError",
    "Freight",
    "Measure",
    "TariffBook",
    "_packaged_text",
    "applicable",
    "book",
    "catalog_hs",
    "check_date",
    "check_duty",
    "check_hs",
    "check_party",
    "deal_cap_component",
    "freight_row",
    "freight_usd_per_t",
    "known_hs",
    "landed_cost_usd_per_t",
    "parse_book",
    "parse_freight",
    "parse_measure",
    "resolve",
    "safeguard_rate",
    "specificity",
    "user_path",
]  # fmt: skip

_CONF_ORDER = {c: i for i, c in enumerate(("high", "medium", "user", "low", "judgement"))}


@dataclass(frozen=True)
class Component:
    """One part of a resolved duty."""

    kind: str
    duty: float
    measure_id: str
    legal_basis: str
    source: str
    confidence: str
    note: str = ""


@dataclass(frozen=True)
class Duty:
    """The duty on one (HS6, origin, destination, date) with its components.

    ``total`` is None when the base (MFN) rate is not in the data or is a specific duty
    with no ad valorem value; ``notes`` then says which.
    """

    hs6: str
    origin: str
    destination: str
    date: dt.date
    total: float | None
    components: tuple[Component, ...]
    notes: tuple[str, ...] = ()

    @property
    def confidence(self) -> str:
        """The weakest confidence among the components (``unknown`` without a total)."""
        if self.total is None:
            return "unknown"
        levels = [c.confidence for c in self.components] or ["assumption"]
        return max(levels, key=lambda c: _CONF_ORDER.get(c, 9))

    def sources(self) -> str:
        """The components' sources, one per line-part."""
        return "; ".join(f"{c.kind}: {c.source}" for c in self.components)


# -- pure rules --------------------------------------------------------------------------------


def deal_cap_component(mfn: float, cap: float) -> float:
    """The additional duty a deal cap leaves: ``max(cap − MFN, 0)``.

    The US–Japan order (EO 14345, sec. 2): for a product whose column 1 (MFN) rate is
    below 15 %, MFN + additional = 15 %; at 15 % or more the additional duty is 0.

    >>> round(deal_cap_component(0.025, 0.15), 6), deal_cap_component(0.20, 0.15)
    (0.125, 0.0)
    """
    return max(cap - mfn, 0.0)


def safeguard_rate(own: float, others: Iterable[float]) -> float:
    """An origin's Section 232 rate under a "no worse than any other country" clause.

    >>> safeguard_rate(0.25, [0.25, 0.15, 0.5])
    0.15
    """
    return min([own, *others])


def landed_cost_usd_per_t(price_usd_per_t: float, duty: float, freight_usd_per_t: float) -> float:
    """Landed cost = price × (1 + duty) + freight (the duty on the customs value, FOB).

    >>> landed_cost_usd_per_t(1000.0, 0.25, 100.0)
    1350.0
    """
    return price_usd_per_t * (1.0 + duty) + freight_usd_per_t


def _rank(party: str, book: TariffBook) -> int:
    if party == ALL:
        return 0
    return 2 if countries.find(party) == party else 1


def specificity(m: Measure, book: TariffBook) -> tuple[int, int, int, int, dt.date]:
    """Sort key of a row among rows of one kind in force (larger = more specific)."""
    return (len(m.hs), _rank(m.origin, book), _rank(m.destination, book), int(m.user), m.valid_from)


# -- resolution ----------------------------------------------------------------------------------


def applicable(
    b: TariffBook, hs6: str, origin: str, destination: str, day: dt.date
) -> list[Measure]:
    """Rows in force on ``day`` whose HS code, origin and destination cover the flow."""
    return [
        m
        for m in b.measures
        if hs6.startswith(m.hs)
        and m.in_force(day)
        and b.covers(m.origin, origin)
        and b.covers(m.destination, destination)
    ]


def _best(rows: Sequence[Measure], kind: str, b: TariffBook) -> Measure | None:
    found = [m for m in rows if m.kind == kind]
    return max(found, key=lambda m: specificity(m, b)) if found else None


def _component(m: Measure, duty: float, note: str = "") -> Component:
    return Component(m.kind, duty, m.id, m.legal_basis, m.source, m.confidence, note or m.note)


def _others_232(
    b: TariffBook, hs6: str, origin: str, destination: str, day: dt.date
) -> list[float]:
    """Section 232 rates other origins pay on the good (for a safeguard).

    One representative country per origin named in the 232 rows in force (a member other
    than ``origin`` for a bloc; for ``all``, a country no specific row names) gets the
    most specific row that covers it.
    """
    rows = [
        m
        for m in b.measures
        if m.kind == "section232"
        and hs6.startswith(m.hs)
        and m.in_force(day)
        and b.covers(m.destination, destination)
        and m.duty is not None
    ]
    rates: list[float] = []
    for party in sorted({m.origin for m in rows}):
        if party == ALL:
            rep = "ZZZ"  # covered by the "all" rows only
        else:
            members = sorted((b.members(party) or frozenset({party})) - {origin})
            if not members:
                continue
            rep = members[0]
        found = _best([m for m in rows if b.covers(m.origin, rep)], "section232", b)
        if found is not None and found.duty is not None:
            rates.append(found.duty)
    return rates


def _apply_cap(
    cap: Measure | None, mfn: float | None, rate: float, note: str, notes: list[str]
) -> tuple[float, str]:
    """A deal cap's component ``max(cap − MFN, 0)`` in place of ``rate`` (with its note)."""
    if cap is None or cap.duty is None:
        return rate, note
    if mfn is None:
        notes.append(f"{cap.id}: needs the MFN rate, which is not in the data")
        return rate, note
    return deal_cap_component(
        mfn, cap.duty
    ), f"{cap.id}: MFN + {cap.applies_to} = max(MFN, {cap.duty:.0%})"


def resolve(b: TariffBook, hs6: str, origin: str, destination: str, day: dt.date) -> Duty:
    """The duty on HS6 ``hs6`` from ``origin`` to ``destination`` (country ids) on ``day``.

    See the module docstring for the stacking and the deal rules. Within one country
    (origin = destination) the duty is 0.
    """
    if origin == destination:
        return Duty(hs6, origin, destination, day, 0.0, (), ("domestic supply: no duty",))
    rows = applicable(b, hs6, origin, destination, day)
    user = _best(rows, "user", b)
    if user is not None and user.duty is not None:
        return Duty(hs6, origin, destination, day, user.duty, (_component(user, user.duty),))
    notes: list[str] = []
    comps: list[Component] = []
    base = _best(rows, "preferential", b) or _best(rows, "mfn", b)
    mfn: float | None = None
    if base is None:
        notes.append(f"no MFN rate of {destination} for HS {hs6} in the data")
    elif base.duty is None:
        notes.append(f"{base.id}: specific duty ({base.specific}); no ad valorem rate")
    else:
        mfn = base.duty
        comps.append(_component(base, mfn))
    caps = {
        m.applies_to: m
        for m in sorted((m for m in rows if m.kind == "deal-cap"), key=lambda m: specificity(m, b))
    }
    s232 = _best(rows, "section232", b)
    rate_232: float | None = None
    if s232 is not None and s232.duty is not None:
        rate_232 = s232.duty
        note = ""
        guard = _best(rows, "safeguard", b)
        if guard is not None:
            others = _others_232(b, hs6, origin, destination, day)
            if safeguard_rate(rate_232, others) < rate_232:
                rate_232 = safeguard_rate(rate_232, others)
                note = f"{guard.id}: no higher than the lowest rate another origin pays"
        rate_232, note = _apply_cap(caps.get("section232"), mfn, rate_232, note, notes)
        comps.append(_component(s232, rate_232, note))
    rec = _best(rows, "reciprocal", b)
    if rec is not None and rec.duty is not None:
        if rate_232 is not None:
            notes.append(f"{rec.id}: not applied (goods under Section 232 pay no reciprocal duty)")
        else:
            # a cap applies where the reciprocal duty applies at all (not to Annex II goods)
            cap = caps.get("reciprocal") if rec.duty > 0 else None
            rate, note = _apply_cap(cap, mfn, rec.duty, "", notes)
            comps.append(_component(rec, rate, note))
    for kind in ("ieepa", "section301", "antidumping", "countervailing"):
        m = _best(rows, kind, b)
        if m is not None and m.duty is not None:
            comps.append(_component(m, m.duty))
    total = None if mfn is None else sum(c.duty for c in comps)
    return Duty(hs6, origin, destination, day, total, tuple(comps), tuple(notes))


def freight_row(b: TariffBook, origin: str, destination: str, hs6: str = "") -> Freight | None:
    """The most specific freight row for the lane (None within one country)."""
    if origin == destination:
        return None
    rows = [
        f
        for f in b.freight
        if hs6.startswith(f.hs)
        and b.covers(f.origin, origin)
        and b.covers(f.destination, destination)
    ]
    if not rows:
        return None
    return max(
        rows,
        key=lambda f: (len(f.hs), _rank(f.origin, b), _rank(f.destination, b), int(f.user)),
    )


def freight_usd_per_t(b: TariffBook, origin: str, destination: str, hs6: str = "") -> float:
    """Freight USD/t from origin to destination (0 within a country; NaN without a row)."""
    if origin == destination:
        return 0.0
    row = freight_row(b, origin, destination, hs6)
    return math.nan if row is None else row.usd_per_t
