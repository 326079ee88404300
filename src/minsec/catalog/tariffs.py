"""Tariffs as data: import duties by HS code × origin × destination × date, and freight.

The rows ship in ``data/tariffs.toml`` (its header documents the fields); a
``tariffs.toml`` in ``$MINSEC_HOME`` extends them (a row with the id of a packaged row
replaces it). :func:`book` reads and checks both; :func:`resolve` gives the duty of one
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
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from minsec import config
from minsec.catalog import blocs, commodities, countries
from minsec.catalog._names import suggestion
from minsec.errors import InputError, UnknownNameError

ALL = "all"
USER_FILE = "tariffs.toml"
PACKAGED = "minsec/catalog/data/tariffs.toml"

#: Kinds of measure, in the order their components are listed.
KINDS = (
    "mfn",
    "preferential",
    "reciprocal",
    "ieepa",
    "section232",
    "section301",
    "antidumping",
    "countervailing",
    "deal-cap",
    "safeguard",
    "user",
)
#: Kinds whose duty adds to the total (after the deal rules).
STACKED = ("reciprocal", "ieepa", "section232", "section301", "antidumping", "countervailing")
CONFIDENCE = ("high", "medium", "low", "judgement", "assumption", "user")
#: Duties above this are taken for percent-for-fraction mistakes (0.935, not 93.5).
MAX_DUTY = 10.0
_CONF_ORDER = {c: i for i, c in enumerate(("high", "medium", "user", "low", "judgement"))}


class FieldError(ValueError):
    """A bad value in one field of a row (``field`` names it)."""

    def __init__(self, field_name: str, message: str) -> None:
        text = message if message.startswith(field_name) else f"{field_name}: {message}"
        super().__init__(text)
        self.field = field_name


@dataclass(frozen=True)
class Measure:
    """One row of ``[[measure]]`` (see the header of ``data/tariffs.toml``)."""

    id: str
    kind: str
    hs: str
    origin: str
    destination: str
    duty: float | None
    valid_from: dt.date
    valid_to: dt.date | None
    legal_basis: str
    source: str
    confidence: str
    note: str = ""
    specific: str = ""
    applies_to: str = ""
    file: str = PACKAGED
    user: bool = False

    def in_force(self, day: dt.date) -> bool:
        """Whether the row applies on ``day`` (both ends inclusive)."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class Freight:
    """One row of ``[[freight]]``: USD per tonne from origin to destination."""

    id: str
    origin: str
    destination: str
    hs: str
    usd_per_t: float
    source: str
    confidence: str
    note: str = ""
    user: bool = False


@dataclass(frozen=True)
class TariffBook:
    """Every measure and freight row, and the HS codes rows may name."""

    measures: tuple[Measure, ...]
    freight: tuple[Freight, ...]
    hs_extra: Mapping[str, str]
    user_file: Path | None = None
    _members: dict[str, frozenset[str]] = field(default_factory=dict, compare=False, repr=False)

    def members(self, party: str) -> frozenset[str]:
        """Country ids a party (country, bloc or ``all``) stands for (``all``: empty set)."""
        if party == ALL:
            return frozenset()
        hit = self._members.get(party)
        if hit is None:
            hit = frozenset(blocs.resolve_party(party)[1])
            self._members[party] = hit
        return hit

    def covers(self, party: str, country: str) -> bool:
        """Whether ``country`` is ``party`` (a country), one of its members (a bloc) or all."""
        return party in (ALL, country) or country in self.members(party)


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


# -- reading and checking ------------------------------------------------------------------------


def _packaged_text() -> str:
    return resources.files("minsec.catalog").joinpath("data/tariffs.toml").read_text("utf-8")


def user_path() -> Path:
    """Where the user's tariff file lives (``$MINSEC_HOME/tariffs.toml``)."""
    return config.home() / USER_FILE


@cache
def catalog_hs() -> frozenset[str]:
    """HS6 codes of every commodity basket (HS92 and HS17)."""
    return frozenset(code for c in commodities.commodities() for code in (*c.hs92, *c.hs17))


def known_hs(extra: Mapping[str, str]) -> frozenset[str]:
    """Codes a row may name: the catalog's baskets and the file's ``[hs]`` table."""
    return catalog_hs() | frozenset(extra)


def check_hs(value: Any, extra: Mapping[str, str], *, allow_all: bool = True) -> str:
    """An HS code (``""``, 2, 4 or 6 digits) that names codes minsec knows, or ValueError."""
    text = str(value).strip().replace(".", "")
    if text in ("", ALL):
        if not allow_all:
            raise ValueError("give an HS code (6 digits, or a 2/4-digit chapter or heading)")
        return ""
    if not re.fullmatch(r"\d{2}|\d{4}|\d{6}", text):
        raise ValueError(
            f"an HS code has 2 (chapter), 4 (heading) or 6 (subheading) digits, got {value!r}"
        )
    known = known_hs(extra)
    if text in known or any(code.startswith(text) for code in known):
        return text
    near = sorted(c for c in known if len(c) == 6 and c[:4] == text[:4])
    near = near or sorted(c for c in known if len(c) == 6 and c[:2] == text[:2])
    hint = f"; known codes near it: {', '.join(near[:6])}" if near else ""
    raise ValueError(
        f"unknown HS code {text!r}: in no commodity basket of the catalog (`minsec catalog "
        f"commodities`) nor in the [hs] table of tariffs.toml{hint}"
    )


def check_party(value: Any, what: str) -> str:
    """A country id, a bloc id or ``all``; ValueError naming the nearest names otherwise."""
    text = str(value).strip()
    if text.lower() == ALL:
        return ALL
    cid = countries.find(text) if text else None
    if cid is not None:
        return cid
    bloc = blocs.find(text) if text else None
    if bloc is not None:
        return bloc.id
    names = [c.id for c in countries.countries()] + [c.name for c in countries.countries()]
    hint = suggestion(text, names + list(blocs.blocs()))
    raise ValueError(
        f"unknown {what} {text!r}: a country (ISO3 or name), a bloc id or 'all'"
        + (f" ({hint})" if hint else "")
    )


def check_duty(value: Any, what: str = "duty") -> float:
    """An ad valorem duty as a fraction: finite, ≥ 0 and at most :data:`MAX_DUTY`."""
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{what} must be 0 or more (a fraction: 0.25 = 25 %), got {value!r}")
    if number > MAX_DUTY:
        raise ValueError(
            f"{what} {number:g} is a fraction of the price (0.935 = 93.5 %); values above "
            f"{MAX_DUTY:g} are taken for percentages — did you mean {number / 100:g}?"
        )
    return number


def check_date(value: Any, what: str) -> dt.date:
    """A date from TOML (a date) or text (``2026-01-01``)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{what} must be a date like 2026-01-01, got {value!r}") from None


def _text(d: Mapping[str, Any], key: str, required: bool = False) -> str:
    value = d.get(key, "")
    if not isinstance(value, str):
        raise ValueError(f"{key} must be text, got {value!r}")
    if required and not value.strip():
        raise ValueError(f"{key} is required (every number comes with its source)")
    return value.strip()


_MEASURE_FIELDS = {
    "id", "kind", "hs", "origin", "destination", "duty", "valid_from", "valid_to",
    "legal_basis", "source", "confidence", "note", "specific", "applies_to",
}  # fmt: skip
_FREIGHT_FIELDS = {
    "id", "origin", "destination", "hs", "usd_per_t", "source", "confidence", "note",
}  # fmt: skip


def parse_measure(
    d: Mapping[str, Any], extra: Mapping[str, str], *, file: str = PACKAGED, user: bool = False
) -> Measure:
    """Check one ``[[measure]]`` table; ValueError naming the field at fault."""
    unknown = sorted(set(d) - _MEASURE_FIELDS)
    if unknown:
        raise FieldError(
            unknown[0],
            f"unknown field {unknown[0]!r} (fields: {', '.join(sorted(_MEASURE_FIELDS))})",
        )
    kind = _text(d, "kind", required=True).lower()
    if kind not in KINDS:
        hint = suggestion(kind, list(KINDS))
        raise FieldError(
            "kind",
            f"unknown kind {kind!r}; kinds are {', '.join(KINDS)}" + (f" ({hint})" if hint else ""),
        )

    def field_(name: str, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except ValueError as exc:
            raise FieldError(name, str(exc)) from None

    hs = field_("hs", check_hs, d.get("hs", ""), extra)
    origin = field_("origin", check_party, d.get("origin", ALL), "origin")
    destination = field_("destination", check_party, d.get("destination", ""), "destination")
    if destination == ALL and kind not in ("mfn", "user"):
        raise FieldError("destination", f"a {kind} measure needs a destination country or bloc")
    specific = _text(d, "specific")
    duty: float | None
    if "duty" in d:
        duty = field_("duty", check_duty, d["duty"])
    elif kind == "safeguard" or (kind == "mfn" and specific):
        duty = None
    else:
        raise FieldError("duty", "duty is required (an ad valorem fraction, 0.25 = 25 %)")
    if kind == "deal-cap":
        assert duty is not None
        if not 0.0 < duty <= 1.0:
            raise FieldError(
                "duty",
                f"a deal cap is the all-in rate the deal sets, between 0 and 1 "
                f"(got {duty:g}): no MFN-plus-additional duty can meet that target",
            )
        if origin == ALL:
            raise FieldError("origin", "a deal cap applies to the deal partner; name the country")
    applies_to = _text(d, "applies_to").lower()
    if kind == "deal-cap":
        applies_to = applies_to or "reciprocal"
        if applies_to not in ("reciprocal", "section232"):
            raise FieldError("applies_to", f"reciprocal or section232, got {applies_to!r}")
    elif applies_to:
        raise FieldError("applies_to", "applies_to is only for deal-cap rows")
    start = field_("valid_from", check_date, d.get("valid_from", ""), "valid_from")
    end = field_("valid_to", check_date, d["valid_to"], "valid_to") if "valid_to" in d else None
    if end is not None and end < start:
        raise FieldError("valid_to", f"valid_to {end} is before valid_from {start}")
    confidence = _text(d, "confidence") or ("user" if user else "")
    if confidence not in CONFIDENCE:
        raise FieldError("confidence", f"one of {', '.join(CONFIDENCE)}, got {confidence!r}")
    source = field_("source", _text, d, "source", True)
    mid = _text(d, "id") or f"{kind}-{hs or 'all'}-{origin}-{destination}-{start.isoformat()}"
    return Measure(
        id=mid,
        kind=kind,
        hs=hs,
        origin=origin,
        destination=destination,
        duty=duty,
        valid_from=start,
        valid_to=end,
        legal_basis=_text(d, "legal_basis"),
        source=source,
        confidence=confidence,
        note=_text(d, "note"),
        specific=specific,
        applies_to=applies_to,
        file=file,
        user=user,
    )


def parse_freight(d: Mapping[str, Any], extra: Mapping[str, str], *, user: bool = False) -> Freight:
    """Check one ``[[freight]]`` table; ValueError naming the field at fault."""
    unknown = sorted(set(d) - _FREIGHT_FIELDS)
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r}")
    try:
        cost = float(d.get("usd_per_t", math.nan))
    except (TypeError, ValueError):
        cost = math.nan
    if not math.isfinite(cost) or cost < 0:
        raise ValueError(f"usd_per_t must be 0 or more, got {d.get('usd_per_t')!r}")
    confidence = _text(d, "confidence") or ("user" if user else "")
    if confidence not in CONFIDENCE:
        raise ValueError(f"confidence: one of {', '.join(CONFIDENCE)}, got {confidence!r}")
    origin = check_party(d.get("origin", ALL), "origin")
    destination = check_party(d.get("destination", ALL), "destination")
    hs = check_hs(d.get("hs", ""), extra)
    return Freight(
        id=_text(d, "id") or f"freight-{origin}-{destination}-{hs or 'all'}",
        origin=origin,
        destination=destination,
        hs=hs,
        usd_per_t=cost,
        source=_text(d, "source", required=True),
        confidence=confidence,
        note=_text(d, "note"),
        user=user,
    )


def _load_toml(text: str, where: str | Path) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", path=where) from None


def _tables(data: Mapping[str, Any], key: str, where: str | Path) -> list[dict[str, Any]]:
    rows = data.get(key, [])
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise InputError(f"[[{key}]] must be an array of tables", path=where, column=key)
    return rows


def parse_book(packaged: str, user: str | None = None, user_file: Path | None = None) -> TariffBook:
    """Check the packaged rows and the user's (which replace rows of the same id)."""
    layers: list[tuple[dict[str, Any], str | Path, bool]] = [
        (_load_toml(packaged, PACKAGED), PACKAGED, False)
    ]
    if user is not None:
        where = user_file or USER_FILE
        layers.append((_load_toml(user, where), where, True))
    extra: dict[str, str] = {}
    for data, where, _ in layers:
        table = data.get("hs", {})
        if not isinstance(table, dict):
            raise InputError("[hs] must be a table of code = description", path=where)
        for code, text in table.items():
            if not re.fullmatch(r"\d{2}|\d{4}|\d{6}", str(code)) or not isinstance(text, str):
                raise InputError(
                    f"[hs] {code!r}: codes have 2, 4 or 6 digits and a description",
                    path=where,
                    column=f"hs.{code}",
                )
            extra[str(code)] = text
    unknown_top = {k for data, _, _ in layers for k in data} - {"hs", "measure", "freight"}
    if unknown_top:
        name = sorted(unknown_top)[0]
        raise InputError(f"unknown table {name!r}; tables are [hs], [[measure]], [[freight]]")
    measures: dict[str, Measure] = {}
    freight: dict[str, Freight] = {}
    for data, where, is_user in layers:
        seen: set[str] = set()
        for i, row in enumerate(_tables(data, "measure", where)):
            try:
                m = parse_measure(row, extra, file=str(where), user=is_user)
            except (ValueError, UnknownNameError) as exc:
                text = exc.message if isinstance(exc, InputError) else str(exc)
                raise InputError(text, path=where, column=f"measure[{i}]") from None
            if m.id in seen:
                raise InputError(f"id {m.id!r} is used twice", path=where, column=f"measure[{i}]")
            seen.add(m.id)
            measures[m.id] = m
        seen_f: set[str] = set()
        for i, row in enumerate(_tables(data, "freight", where)):
            try:
                f = parse_freight(row, extra, user=is_user)
            except (ValueError, UnknownNameError) as exc:
                text = exc.message if isinstance(exc, InputError) else str(exc)
                raise InputError(text, path=where, column=f"freight[{i}]") from None
            if f.id in seen_f:
                raise InputError(f"id {f.id!r} is used twice", path=where, column=f"freight[{i}]")
            seen_f.add(f.id)
            freight[f.id] = f
    return TariffBook(tuple(measures.values()), tuple(freight.values()), extra, user_file)


def book(*, user: bool = True) -> TariffBook:
    """The packaged tariff data plus ``$MINSEC_HOME/tariffs.toml`` (when ``user``)."""
    path = user_path()
    text = path.read_text("utf-8") if user and path.exists() else None
    return parse_book(_packaged_text(), text, path if text is not None else None)


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
        cap = caps.get("section232")
        if cap is not None and cap.duty is not None:
            if mfn is None:
                notes.append(f"{cap.id}: needs the MFN rate, which is not in the data")
            else:
                rate_232 = deal_cap_component(mfn, cap.duty)
                note = f"{cap.id}: MFN + 232 = max(MFN, {cap.duty:.0%})"
        comps.append(_component(s232, rate_232, note))
    rec = _best(rows, "reciprocal", b)
    if rec is not None and rec.duty is not None:
        if rate_232 is not None:
            notes.append(f"{rec.id}: not applied (goods under Section 232 pay no reciprocal duty)")
        else:
            rate = rec.duty
            note = ""
            cap = caps.get("reciprocal")
            if cap is not None and cap.duty is not None and rate > 0:
                if mfn is None:
                    notes.append(f"{cap.id}: needs the MFN rate, which is not in the data")
                else:
                    rate = deal_cap_component(mfn, cap.duty)
                    note = f"{cap.id}: MFN + reciprocal = max(MFN, {cap.duty:.0%})"
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
