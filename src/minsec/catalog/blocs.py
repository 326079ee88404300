"""Blocs: named groups of countries, kept as editable data.

Defaults ship in ``data/blocs.toml``; a ``blocs.toml`` in ``$MINSEC_HOME`` adds blocs or
replaces blocs of the same id. Members may reference other blocs as ``"@ID"``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from minsec import config
from minsec.catalog import countries
from minsec.catalog._names import normalise, suggestion
from minsec.errors import InputError, UnknownNameError


@dataclass(frozen=True)
class Bloc:
    """A named group of countries (members are expanded country ids, sorted)."""

    id: str
    name: str
    members: tuple[str, ...]
    source: str = ""


def _raw() -> dict[str, dict[str, Any]]:
    text = resources.files("minsec.catalog").joinpath("data/blocs.toml").read_text("utf-8")
    data: dict[str, dict[str, Any]] = tomllib.loads(text)
    user = config.home() / "blocs.toml"
    if user.exists():
        try:
            data.update(tomllib.loads(user.read_text("utf-8")))
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"not valid TOML: {exc}", path=user) from exc
    return data


def blocs(path: Path | None = None) -> dict[str, Bloc]:
    """All blocs, members expanded; ``path`` reads an extra TOML file on top of the defaults."""
    raw = _raw()
    if path is not None:
        raw.update(tomllib.loads(Path(path).read_text("utf-8")))
    out: dict[str, Bloc] = {}

    def expand(bid: str, stack: tuple[str, ...]) -> set[str]:
        if bid in stack:
            raise InputError(f"bloc {bid!r} includes itself via {' -> '.join(stack)}")
        entry = raw[bid]
        members: set[str] = set()
        for m in entry.get("members", []):
            if m.startswith("@"):
                ref = m[1:]
                if ref not in raw:
                    raise UnknownNameError(
                        f"bloc {bid!r} refers to unknown bloc {ref!r}",
                        hint=suggestion(ref, list(raw)),
                    )
                members |= expand(ref, (*stack, bid))
            else:
                cid = countries.find(m)
                if cid is None:
                    raise UnknownNameError(
                        f"bloc {bid!r} lists unknown country {m!r}",
                        hint=suggestion(m, [c.id for c in countries.countries()]),
                    )
                members.add(cid)
        return members

    for bid, entry in raw.items():
        out[bid] = Bloc(
            id=bid,
            name=str(entry.get("name", bid)),
            members=tuple(sorted(expand(bid, ()))),
            source=str(entry.get("source", "")),
        )
    return out


def find(name: str) -> Bloc | None:
    """The bloc called ``name`` (id or display name, case-insensitive), or None."""
    key = normalise(name)
    for b in blocs().values():
        if normalise(b.id) == key or normalise(b.name) == key:
            return b
    return None


def resolve_party(name: str) -> tuple[str, tuple[str, ...]]:
    """Resolve a country or bloc name to ``(label, member country ids)``.

    A country resolves to itself (one member); a bloc to its members. Bloc ids win over
    country names only when they are not also a country code (``JPN`` is the country).
    """
    cid = countries.find(name)
    if cid is not None:
        return cid, (cid,)
    bloc = find(name)
    if bloc is not None:
        return bloc.id, bloc.members
    names = [c.name for c in countries.countries()] + [c.id for c in countries.countries()]
    names += list(blocs())
    raise UnknownNameError(
        f"unknown importer {name!r}: neither a country nor a bloc",
        hint=suggestion(name, names),
    )


def party_id(name: str, field: str = "party") -> str:
    """Canonical id of a party: a country (``US`` → ``USA``) or a bloc (``like-minded``).

    An unknown name is an :class:`~minsec.errors.UnknownNameError` naming ``field`` with
    the nearest known id.
    """
    text = str(name).strip()
    cid = countries.find(text) if text else None
    if cid is not None:
        return cid
    bloc = find(text) if text else None
    if bloc is not None:
        return bloc.id
    names = [c.id for c in countries.countries()] + list(blocs())
    raise UnknownNameError(
        f"unknown {field} {name!r}: a party is a country (ISO3 code or name) or a bloc id",
        column=field,
        hint=suggestion(text, names) or "e.g. USA, JPN, AUS, EU27, like-minded",
    )


def parties(names: str | list[str] | tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Resolve importers given as ``"USA,JPN,like-minded"`` or a list to label → members.

    >>> list(parties("USA,EU27"))
    ['USA', 'EU27']
    """
    items = names.split(",") if isinstance(names, str) else list(names)
    out: dict[str, tuple[str, ...]] = {}
    for item in items:
        if item.strip():
            label, members = resolve_party(item.strip())
            out[label] = members
    if not out:
        raise InputError("no importer given; name countries (ISO3 or names) or blocs")
    return out
