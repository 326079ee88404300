"""USGS MCS salient statistics (US production, trade, consumption, prices, net import reliance).

One file per commodity with the columns ``DataSource, Commodity, Year`` and one column per
statistic. The column names differ per commodity and release; each is read with one
grammar, ``[product_]measure[_qualifier...]_unit``:

* the **measure**: ``USprod``/``Prod`` → ``production``, ``Imports``, ``Exports``,
  ``Consump`` → ``consumption`` (``apparent_consumption``, ``reported_consumption``,
  ``estimated_consumption`` when qualified so), ``Price``, ``Stocks``, ``NIR`` →
  ``net_import_reliance_pct``, ``Employment``, ``Shipments``, ``Sales``/``Sold``,
  ``Supply``, ``Recycled``, ``Extracted``, ``Withdrawn``;
* **qualifiers** and product prefixes follow the measure in ``snake_case``:
  ``USprod_Mine_t`` → ``production_mine``, ``Bauxite_Imports_kt`` → ``imports_bauxite``,
  ``Price_LME_dlb`` → ``price_lme``;
* the **unit** code ends the name, with or without ``_`` (``Imports_Metalkg``):
  quantities are scaled to ``t``, ``kg``, ``ct``, ``m3``; prices become ``USD/t``,
  ``USD/kg``, ``USD/lb``, ``USc/lb``, ``USD/troy oz``…; ``pct`` → ``%``, ``num`` → ``count``,
  ``mdol`` → ``MUSD``. Net import reliance is always ``%`` and employment ``count``
  whatever the header says; a price whose header gives a quantity unit gets no unit
  (the publisher's header is wrong and the true unit unknown); ``g`` next to ``kg``
  columns is read as ``kg`` (a USGS typo in gallium 2024 and germanium 2025).

Headers the publisher garbled keep what can be read: a leading "CASE STATEMENT ERROR" is
dropped (a price unit then still makes a ``price``, otherwise ``unlabelled``); two columns
with one name and unit get ``_2``, ``_3``. Records with cells beyond the named columns
are not read (their values are shifted against the header); a warning and the provenance
say which.

The industry-trends figure 2 (``MCS2025_Fig2_Net_Import_Reliance.csv``) adds the net
import reliance of commodities without a salient file (cesium, rubidium, palladium…); its
rows repeat salient values elsewhere, and those repeats are not imported twice. Its
"major import sources" have no store table and are not imported.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Any

from minsec.catalog import commodities
from minsec.errors import InputError
from minsec.sources.usgs_common import (
    PRICE_CODES,
    UNIT_CODES,
    Table,
    Unit,
    cell_at,
    clean,
    commodity_at,
    snake,
)

NIR = "net_import_reliance_pct"

MEASURES: dict[str, str] = {
    "usprod": "production",
    "prod": "production",
    "production": "production",
    "imports": "imports",
    "import": "imports",
    "exports": "exports",
    "export": "exports",
    "consump": "consumption",
    "consumption": "consumption",
    "consumtion": "consumption",
    "price": "price",
    "prices": "price",
    "stocks": "stocks",
    "stock": "stocks",
    "nir": NIR,
    "employment": "employment",
    "shipments": "shipments",
    "sales": "sales",
    "sold": "sales",
    "supply": "supply",
    "recycled": "recycled",
    "extracted": "extracted",
    "withdrawn": "withdrawn",
}
#: Words that name a measure only when nothing else does (``Bauxite_Mine_kt``).
FALLBACK: dict[str, str] = {"mine": "production", "refinery": "production"}
CONSUMPTION_KINDS: dict[str, str] = {
    "apparent": "apparent",
    "apprnt": "apparent",
    "app": "apparent",
    "reported": "reported",
    "rprtd": "reported",
    "rpt": "reported",
    "est": "estimated",
    "estimated": "estimated",
}
#: Abbreviations spelt out in qualifiers (``Supply_Apprnt`` → ``supply_apparent``).
SPELLINGS: dict[str, str] = {"apprnt": "apparent", "rprtd": "reported", "rpt": "reported"}
_GLUED = ("mcm", "pct", "dkg", "kg", "kt", "dt", "t")
_GLITCH = re.compile(r"(?i)^\s*case statement error")


@dataclass(frozen=True)
class Statistic:
    """What one salient column holds."""

    index: int
    name: str
    statistic: str
    unit: Unit | None


def split_unit(name: str) -> tuple[str, list[str]]:
    """Split the unit code(s) off a column name: ``("Imports_Metal", ["kg"])``."""
    tokens = name.split("_")
    while tokens and not tokens[-1].strip():
        tokens.pop()
    if not tokens:
        return "", []
    last = tokens[-1].strip()
    if last.lower() in UNIT_CODES and (len(tokens) > 1 or len(last) > 1):
        return "_".join(tokens[:-1]), [last.lower()]
    words = last.split()
    if len(tokens) > 1 and len(words) > 1 and words[0].lower() in UNIT_CODES:
        return "_".join(tokens[:-1]), [w.lower() for w in words if w.lower() in UNIT_CODES]
    for code in _GLUED:
        if last.lower().endswith(code) and len(last) > len(code):
            stem = last[: -len(code)]
            if code == "t" and not re.search(r"[eyrdt]$", stem, re.I):
                continue
            if code == "dt" and stem.lower().endswith("e"):  # "Reportedt": Reported + t
                continue
            return "_".join([*tokens[:-1], stem]), [code]
    return "_".join(tokens), []


def _words(text: str) -> list[str]:
    out: list[str] = []
    for token in re.split(r"[_\s,\-()]+", text):
        # split "USprodCrude", "OldScrap", not formulas such as "SiC", "GeO2", "FeSi2"
        for word in re.split(r"(?<=[a-z])(?=[A-Z][a-z]{2,})", token):
            if not word:
                continue
            low = word.lower()
            for key in MEASURES:
                n = len(key)
                if low.endswith(key) and len(word) > n and word[-n].isupper():
                    out += [word[:-n], word[-n:]]
                    break
            else:
                out.append(word)
    return out


def statistic_of(name: str, code: str | None) -> tuple[str, Unit | None]:
    """Statistic name and unit of one salient column (see the module docstring)."""
    words = _words(_GLITCH.sub("", name))
    unit = UNIT_CODES.get(code) if code else None
    lows = [w.lower() for w in words]
    idx = next((i for i, w in enumerate(lows) if w in MEASURES), None)
    measure: str | None
    if idx is not None:
        measure = MEASURES[lows[idx]]
        quals = words[:idx] + words[idx + 1 :]
    else:
        idx = next((i for i, w in enumerate(lows) if w in FALLBACK), None)
        measure = FALLBACK[lows[idx]] if idx is not None else None
        quals = list(words)
    if measure == "consumption" or (measure is None and "apparent" in lows):
        kinds = [CONSUMPTION_KINDS[q.lower()] for q in quals if q.lower() in CONSUMPTION_KINDS]
        quals = [q for q in quals if q.lower() not in CONSUMPTION_KINDS]
        measure = f"{kinds[0]}_consumption" if kinds else "consumption"
    quals = [SPELLINGS.get(q.lower(), q) for q in quals]
    if measure is None and unit is not None and unit in PRICE_CODES.values():
        measure = "price"
    if measure is not None:
        same = {k for k, v in MEASURES.items() if v == measure} | {measure}
        quals = [q for q in quals if q.lower() not in same]
    parts = [snake(q) for q in quals]
    parts = [p for p in parts if p]
    statistic = "_".join([measure, *parts]) if measure else "_".join(parts) or "unlabelled"
    if measure == NIR:
        unit = Unit("%")
    elif measure == "employment":
        unit = Unit("count")
    elif measure == "price":
        if "index" in lows or (unit is not None and unit.unit == "index"):
            unit = Unit("index")
        elif unit is not None and unit not in PRICE_CODES.values():
            unit = None
    return statistic, unit


def is_salient(header: list[str]) -> bool:
    """Whether a header is the salient-statistics layout."""
    keys = {h.strip().lower() for h in header}
    return "commodity" in keys and "year" in keys


def columns(table: Table) -> tuple[int, int, list[Statistic]]:
    """Commodity column, year column and the statistic columns of a salient file."""
    header = table.header
    keys = [h.strip().lower() for h in header]
    if "commodity" not in keys or "year" not in keys:
        raise InputError(
            f"not a USGS MCS salient-statistics header: {header}; expected DataSource, "
            "Commodity, Year and statistic columns such as USprod_t, Imports_t, NIR_pct",
            path=table.path,
            row=1,
        )
    commodity, year = keys.index("commodity"), keys.index("year")
    raw: list[tuple[int, str, list[str]]] = []
    for i, name in enumerate(header):
        if i in (commodity, year) or not name or keys[i] in ("datasource", "source"):
            continue
        rest, codes = split_unit(name)
        raw.append((i, rest, codes))
    has_kg = any("kg" in codes for _, _, codes in raw)
    seen: dict[str, int] = {}
    stats: list[Statistic] = []
    for i, rest, codes in raw:
        k = seen.get(header[i], 0)
        seen[header[i]] = k + 1
        code = codes[min(k, len(codes) - 1)] if codes else None
        statistic, unit = statistic_of(rest, code)
        if code == "g" and has_kg and unit is not None and unit.unit == "kg":
            unit = Unit("kg")
        stats.append(Statistic(i, header[i], statistic, unit))
    taken: dict[tuple[str, str | None], int] = {}
    out = []
    for s in stats:
        key = (s.statistic, s.unit.unit if s.unit else None)
        n = taken.get(key, 0) + 1
        taken[key] = n
        out.append(s if n == 1 else Statistic(s.index, s.name, f"{s.statistic}_{n}", s.unit))
    return commodity, year, out


def parse_table(
    table: Table, *, fallback_commodity: str | None
) -> tuple[list[dict[str, Any]], list[int]]:
    """Rows of the ``salient`` table (country USA) of one salient file.

    Returns the rows and the file rows left out: records with cells beyond the named
    columns, whose values the header does not describe (in the 2024 release feldspar and
    fluorspar rows are shifted by one column against their header).
    """
    commodity_col, year_col, stats = columns(table)
    path = table.path
    ids: dict[str, str] = {}
    rows: list[dict[str, Any]] = []
    skipped: list[int] = []
    for line, cells in table.records():
        if any(clean(c) for i, c in enumerate(cells) if not table.header[i]):
            skipped.append(line)
            continue
        name = clean(cells[commodity_col]) or fallback_commodity or ""
        if name not in ids:
            ids[name] = commodity_at(name, path=path, row=line, column=table.header[commodity_col])
        year_text = clean(cells[year_col])
        if not re.fullmatch(r"(19|20)\d\d", year_text):
            raise InputError(
                f"year {year_text!r} is not a calendar year",
                path=path,
                row=line,
                column=table.header[year_col],
            )
        for s in stats:
            cell = cell_at(cells[s.index], path=path, row=line, column=s.name)
            if cell is None:
                continue
            unit = Unit(cell.unit) if cell.unit else s.unit
            rows.append(
                {
                    "commodity": ids[name],
                    "country": "USA",
                    "year": int(year_text),
                    "statistic": s.statistic,
                    "value": unit.scale(cell.value) if unit else _plain(cell.value),
                    "unit": unit.unit if unit else None,
                    "flag": cell.flag,
                }
            )
    if skipped:
        warnings.warn(
            f"{path}: rows {skipped} not read: they have more cells than the header has "
            "names, so their values cannot be matched to statistics",
            stacklevel=2,
        )
    return rows, skipped


def _plain(value: Any) -> float | None:
    return None if value is None else float(value)


# -- figure 2: net import reliance -------------------------------------------------------


def is_fig2(header: list[str]) -> bool:
    """Whether a header is the industry-trends net-import-reliance figure."""
    return any(re.fullmatch(r"(?i)net_import_reliance_pct_\d{4}", h.strip()) for h in header)


def _fig2_commodity(name: str, *, table: Table, line: int, column: str) -> tuple[str, str]:
    full = clean(name)
    found = commodities.find(full)
    if found is not None:
        return found, ""
    head, _, tail = full.partition(",")
    found = commodities.find(head)
    if found is not None:
        return found, tail.strip()
    return commodity_at(full, path=table.path, row=line, column=column), ""


def parse_fig2(table: Table) -> list[dict[str, Any]]:
    """Rows of the ``salient`` table from the net-import-reliance figure."""
    header = table.header
    keys = [h.strip().lower() for h in header]
    nir = [i for i, h in enumerate(header) if re.fullmatch(r"(?i)net_import_reliance_pct_\d{4}", h)]
    if "commodity" not in keys or not nir:
        raise InputError(
            f"not a USGS MCS net-import-reliance figure: {header}; expected Source, "
            "Import_Share_Order, Commodity, Net_Import_Reliance_pct_YYYY, ...",
            path=table.path,
            row=1,
        )
    ccol = keys.index("commodity")
    found: list[tuple[int, str, str, int]] = []
    for line, cells in table.records():
        cid, qual = _fig2_commodity(cells[ccol], table=table, line=line, column=header[ccol])
        for i in nir:
            found.append((line, cid, qual, i))
    counts: dict[str, int] = {}
    for _, cid, _, _ in found:
        counts[cid] = counts.get(cid, 0) + 1
    rows: list[dict[str, Any]] = []
    cells_of = dict(table.records())
    for line, cid, qual, i in found:
        cell = cell_at(cells_of[line][i], path=table.path, row=line, column=header[i])
        if cell is None:
            continue
        statistic = NIR if counts[cid] == len(nir) or not qual else f"{NIR}_{snake(qual)}"
        rows.append(
            {
                "commodity": cid,
                "country": "USA",
                "year": int(header[i].strip()[-4:]),
                "statistic": statistic,
                "value": _plain(cell.value),
                "unit": "%",
                "flag": cell.flag,
            }
        )
    return rows
