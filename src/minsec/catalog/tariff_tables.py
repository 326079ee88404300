"""The tariff data as tables: the rows in force, and resolved duties (``minsec tariffs show``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from minsec.catalog import blocs, commodities
from minsec.catalog.tariffs import ALL, KINDS, TariffBook, check_hs, check_party, resolve
from minsec.errors import InputError

MEASURE_COLUMNS = [
    "id", "kind", "hs", "origin", "destination", "duty_pct", "applies_to", "specific",
    "valid_from", "valid_to", "confidence", "legal_basis", "source", "note", "file",
]  # fmt: skip


def _field(fn: object, value: str, *args: object, column: str) -> str:
    try:
        out = fn(value, *args)  # type: ignore[operator]
    except ValueError as exc:
        raise InputError(str(exc), column=column) from None
    return str(out)


def hs_codes(b: TariffBook, hs: str | None, commodity: str | None) -> list[str]:
    """HS6 codes named by ``--hs6`` (a code or prefix) and/or ``--commodity`` (its basket)."""
    codes: set[str] = set()
    if commodity:
        c = commodities.get(commodities.resolve(commodity))
        codes |= set(c.hs92) | set(c.hs17)
        if not codes:
            raise InputError(f"{c.id} has no HS code in the catalog", column="--commodity")
    if hs:
        prefix = _field(check_hs, hs, b.hs_extra, column="--hs6")
        known = {code for code in (*b.hs_extra, *_catalog_codes()) if len(code) == 6}
        found = {code for code in known if code.startswith(prefix)} or {prefix}
        codes = (codes & found) if commodity else found
    return sorted(codes)


def _catalog_codes() -> set[str]:
    return {code for c in commodities.commodities() for code in (*c.hs92, *c.hs17)}


def parties(text: str | None, column: str) -> list[str]:
    """Country ids from ``"CHN,AUS"`` or a bloc (its members); empty for None."""
    if not text:
        return []
    out: list[str] = []
    for item in (p.strip() for p in text.split(",") if p.strip()):
        party = _field(check_party, item, column.lstrip("-"), column=column)
        if party == ALL:
            raise InputError("name countries or blocs, not 'all'", column=column)
        out.extend(m for m in blocs.resolve_party(party)[1] if m not in out)
    return out


def measures_frame(
    b: TariffBook,
    *,
    hs: str | None = None,
    origin: str | None = None,
    destination: str | None = None,
    day: dt.date | None = None,
    kind: str | None = None,
) -> pd.DataFrame:
    """Rows of the tariff data that concern the filters (all when none is given).

    A row concerns ``hs`` when one code is a prefix of the other, ``origin`` /
    ``destination`` when it covers the country (or any member of the bloc), ``day`` when it
    is in force then.
    """
    if kind is not None and kind not in KINDS:
        raise InputError(f"unknown kind {kind!r}; kinds are {', '.join(KINDS)}", column="--kind")
    prefix = _field(check_hs, hs, b.hs_extra, column="--hs6") if hs else None
    origins = parties(origin, "--origin")
    destinations = parties(destination, "--destination")
    rows = []
    for m in b.measures:
        if kind is not None and m.kind != kind:
            continue
        if prefix is not None and not (prefix.startswith(m.hs) or m.hs.startswith(prefix)):
            continue
        if origins and not any(b.covers(m.origin, c) for c in origins):
            continue
        if destinations and not any(b.covers(m.destination, c) for c in destinations):
            continue
        if day is not None and not m.in_force(day):
            continue
        rows.append(
            {
                "id": m.id,
                "kind": m.kind,
                "hs": m.hs or "(all)",
                "origin": m.origin,
                "destination": m.destination,
                "duty_pct": None if m.duty is None else round(100.0 * m.duty, 6),
                "applies_to": m.applies_to or None,
                "specific": m.specific or None,
                "valid_from": m.valid_from.isoformat(),
                "valid_to": m.valid_to.isoformat() if m.valid_to else None,
                "confidence": m.confidence,
                "legal_basis": m.legal_basis,
                "source": m.source,
                "note": m.note or None,
                "file": "user" if m.user else "packaged",
            }
        )
    return pd.DataFrame(rows, columns=MEASURE_COLUMNS)


def duties_frame(
    b: TariffBook,
    codes: Sequence[str],
    origins: Sequence[str],
    destinations: Sequence[str],
    day: dt.date,
) -> pd.DataFrame:
    """The resolved duty of every (HS6, origin, destination) on ``day``, with its parts."""
    rows = []
    for code in codes:
        for dest in destinations:
            for org in origins:
                if org == dest:
                    continue
                d = resolve(b, code, org, dest, day)
                rows.append(
                    {
                        "hs6": code,
                        "origin": org,
                        "destination": dest,
                        "date": day.isoformat(),
                        "duty_pct": None if d.total is None else round(100.0 * d.total, 6),
                        "components": " + ".join(
                            f"{c.kind} {100 * c.duty:.4g} %" for c in d.components
                        )
                        or None,
                        "confidence": d.confidence,
                        "measures": ", ".join(c.measure_id for c in d.components) or None,
                        "notes": "; ".join(
                            [
                                *d.notes,
                                *(f"{c.measure_id}: {c.note}" for c in d.components if c.note),
                            ]
                        )
                        or None,
                        "sources": d.sources() or None,
                    }
                )
    return pd.DataFrame(
        rows,
        columns=[
            "hs6", "origin", "destination", "date", "duty_pct", "components", "confidence",
            "measures", "notes", "sources",
        ],
    )  # fmt: skip
