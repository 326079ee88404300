"""The tariff data's schema: rows, checks and reading (``data/tariffs.toml`` + the user's).

The rows ship in ``data/tariffs.toml`` (its header documents the fields); a
``tariffs.toml`` in ``$MINSEC_HOME`` extends them (a row with the id of a packaged row
replaces it). :func:`book` reads and checks both; every error names the file, the row
(``measure[3]``) and the field. Resolution is in :mod:`minsec.catalog.tariffs`.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from minsec import config
from minsec.catalog import blocs, commodities, countries
from minsec.catalog._names import suggestion
from minsec.dates import to_date
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
    try:
        return to_date(value)
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


R = TypeVar("R", Measure, Freight)


def _checked(
    data: Mapping[str, Any], key: str, where: str | Path, parse: Callable[[dict[str, Any]], R]
) -> dict[str, R]:
    """The rows of ``[[key]]`` by id, each checked by ``parse``; errors name the row."""
    out: dict[str, R] = {}
    for i, row in enumerate(_tables(data, key, where)):
        try:
            item = parse(row)
        except (ValueError, UnknownNameError) as exc:
            text = exc.message if isinstance(exc, InputError) else str(exc)
            raise InputError(text, path=where, column=f"{key}[{i}]") from None
        if item.id in out:
            raise InputError(f"id {item.id!r} is used twice", path=where, column=f"{key}[{i}]")
        out[item.id] = item
    return out


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
        on_file = functools.partial(parse_measure, extra=extra, file=str(where), user=is_user)
        measures.update(_checked(data, "measure", where, on_file))
        lanes = functools.partial(parse_freight, extra=extra, user=is_user)
        freight.update(_checked(data, "freight", where, lanes))
    return TariffBook(tuple(measures.values()), tuple(freight.values()), extra, user_file)


def book(*, user: bool = True) -> TariffBook:
    """The packaged tariff data plus ``$MINSEC_HOME/tariffs.toml`` (when ``user``)."""
    path = user_path()
    text = path.read_text("utf-8") if user and path.exists() else None
    return parse_book(_packaged_text(), text, path if text is not None else None)
