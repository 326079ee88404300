"""Countries: minsec ids (ISO 3166 alpha-3 where one exists), BACI codes and names.

BACI numbers countries with UN M49-like codes that have quirks (842 USA, 251 France,
699 India, 757 Switzerland, 579 Norway, 490 "Other Asia, nes" = Taiwan) and keeps
historical entities. minsec maps each BACI code to exactly one id; historical entities
whose ISO3 a current country uses get ``<ISO3>_<last year>`` (``BEL_1998`` for
Belgium-Luxembourg, ``DEU_1990``, ``SDN_2011``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from minsec.catalog._names import normalise, suggestion
from minsec.errors import UnknownNameError


@dataclass(frozen=True)
class Country:
    """One country or territory of the catalog."""

    id: str
    name: str
    iso2: str
    baci_code: int | None
    until_year: int | None
    aliases: tuple[str, ...]


@cache
def countries() -> tuple[Country, ...]:
    """All countries of the catalog, in file order."""
    text = resources.files("minsec.catalog").joinpath("data/countries.csv").read_text("utf-8")
    out = []
    for row in csv.DictReader(text.splitlines()):
        out.append(
            Country(
                id=row["id"],
                name=row["name"],
                iso2=row["iso2"],
                baci_code=int(row["baci_code"]) if row["baci_code"] else None,
                until_year=int(row["until_year"]) if row["until_year"] else None,
                aliases=tuple(a for a in row["aliases"].split("|") if a),
            )
        )
    return tuple(out)


@cache
def _by_id() -> dict[str, Country]:
    return {c.id: c for c in countries()}


@cache
def _by_name() -> dict[str, str]:
    """Folded name, alias, ISO2 or id → country id. Current entities win over historical."""
    table: dict[str, str] = {}
    ordered = sorted(countries(), key=lambda c: c.until_year is not None)
    for c in ordered:
        for key in (c.id, c.name, *c.aliases):
            table.setdefault(normalise(key), c.id)
        if c.iso2:
            table.setdefault(normalise(c.iso2), c.id)
    return table


@cache
def baci_to_id() -> dict[int, str]:
    """BACI numeric country code → minsec country id."""
    return {c.baci_code: c.id for c in countries() if c.baci_code is not None}


@cache
def id_to_baci() -> dict[str, int]:
    """Minsec country id → BACI numeric code (countries BACI does not list are absent)."""
    return {c.id: c.baci_code for c in countries() if c.baci_code is not None}


def get(country_id: str) -> Country:
    """The catalog entry of a minsec country id."""
    try:
        return _by_id()[country_id]
    except KeyError:
        raise UnknownNameError(
            f"unknown country id {country_id!r}",
            hint=suggestion(country_id, [c.id for c in countries()]),
        ) from None


def find(name: str) -> str | None:
    """Country id for a name, alias, ISO2/ISO3 code or BACI code; None if unknown."""
    key = name.strip()
    if key.isdigit():
        return baci_to_id().get(int(key))
    return _by_name().get(normalise(key))


def resolve(name: str, *, field: str = "country") -> str:
    """Country id for ``name``; raise :class:`UnknownNameError` with a suggestion if unknown."""
    found = find(name)
    if found is None:
        candidates = [c.name for c in countries()] + [a for c in countries() for a in c.aliases]
        raise UnknownNameError(
            f"unknown {field} {name!r}: not a country name, alias or ISO code in the catalog",
            column=None,
            hint=suggestion(name, candidates),
        )
    return found


def name_of(country_id: str) -> str:
    """Display name of a country id (the id itself when unknown)."""
    c = _by_id().get(country_id)
    return c.name if c else country_id
