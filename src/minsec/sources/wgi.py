"""World Bank Worldwide Governance Indicators (WGI), long-format xlsx (2024 update).

The World Bank publishes ``wgidataset.xlsx`` with one row per economy, year and
indicator, header on the first row of one sheet::

    [codeindyr, code,] countryname, year, indicator, estimate, stddev, nsource,
    pctrank, pctranklower, pctrankupper

``indicator`` is ``va``, ``pv``, ``ge``, ``rq``, ``rl`` or ``cc``; cells without a number
hold ``..`` (or ``#N/A`` after a round trip through Excel). Some copies lack the ``code``
column, so economies are mapped by name (then by code) with the country catalog.

Written to the ``governance`` table:

* ``VA``, ``PV``, ``GE``, ``RQ``, ``RL``, ``CC`` — the estimates (about -2.5 .. 2.5);
* ``VA.SE`` … ``CC.SE`` — their standard errors (``stddev``), for uncertainty ranges.

A cell without a number gives ``value`` NULL and keeps its raw text in ``flag``.
Percentile ranks and source counts are not kept (they are derived from the estimates).
"""

from __future__ import annotations

import math
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from minsec.catalog import countries
from minsec.catalog._names import normalise, suggestion
from minsec.errors import InputError
from minsec.sources.base import Parsed, sha256_file

KIND = "wgi"
LICENCE = (
    "World Bank, Worldwide Governance Indicators (Kaufmann & Kraay), CC BY 4.0; "
    "www.govindicators.org"
)
INDICATORS = ("va", "pv", "ge", "rq", "rl", "cc")
HEADER = (
    "countryname",
    "year",
    "indicator",
    "estimate",
    "stddev",
    "nsource",
    "pctrank",
    "pctranklower",
    "pctrankupper",
)
REQUIRED = ("countryname", "year", "indicator", "estimate")
HEADER_SEARCH_ROWS = 10
_HAS_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class _Cell:
    """A number read from a cell, or the raw text of a cell that holds none."""

    value: float | None
    flag: str | None


def _where(sheet: str) -> str:
    return f"sheet {sheet!r}: "


def _number(raw: Any, *, path: Path, sheet: str, row: int, column: str) -> _Cell:
    """A WGI cell as a number; text without digits ('..', '#N/A') is a missing marker."""
    if raw is None:
        return _Cell(None, None)
    if isinstance(raw, bool):
        raise InputError(
            f"{_where(sheet)}expected a number, found {raw!r}", path=path, row=row, column=column
        )
    if isinstance(raw, int | float):
        value = float(raw)
        return _Cell(None, "nan") if math.isnan(value) else _Cell(value, None)
    text = str(raw).strip()
    try:
        value = float(text)
    except ValueError:
        if _HAS_DIGIT.search(text):
            raise InputError(
                f"{_where(sheet)}expected a number or a missing-value marker such as '..', "
                f"found {text!r}",
                path=path,
                row=row,
                column=column,
            ) from None
        return _Cell(None, text)
    return _Cell(None, text) if math.isnan(value) else _Cell(value, None)


def _year(raw: Any, *, path: Path, sheet: str, row: int) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    text = "" if raw is None else str(raw).strip()
    if text.isdigit():
        return int(text)
    raise InputError(
        f"{_where(sheet)}expected a year (e.g. 2022), found {raw!r}",
        path=path,
        row=row,
        column="year",
    )


def _find_header(path: Path) -> tuple[str, int, dict[str, int], Any]:
    """Open the workbook and find the sheet and row of the long-format header."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    if not path.exists():
        raise InputError("file not found", path=path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise InputError(
            f"not an Excel workbook (.xlsx) that openpyxl can read ({exc}); expected the WGI "
            "long-format file wgidataset.xlsx",
            path=path,
        ) from None
    seen: list[str] = []
    for ws in wb.worksheets:
        for r, values in enumerate(
            ws.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True), start=1
        ):
            names = [normalise(str(v)).replace(" ", "") if v is not None else "" for v in values]
            if all(col in names for col in REQUIRED):
                index = {n: i for i, n in reversed(list(enumerate(names))) if n}
                return ws.title, r, index, wb
            if r == 1:
                seen.append(f"sheet {ws.title!r} row 1: {[v for v in values if v is not None]}")
    wb.close()
    raise InputError(
        "no sheet holds the WGI long-format header; expected the columns "
        f"{', '.join(HEADER)} (optionally preceded by codeindyr, code); found " + "; ".join(seen),
        path=path,
        row=1,
    )


def _country_candidates() -> list[str]:
    return [c.name for c in countries.countries()] + [
        a for c in countries.countries() for a in c.aliases
    ]


def default_source_id(path: Path) -> str:
    """``wgi<edition year>`` from the file name (``wgidataset_2024update.xlsx`` → ``wgi2024``)."""
    m = re.search(r"(19|20)\d\d", Path(path).stem)
    return f"wgi{m.group(0)}" if m else "wgi2024"


def read(path: Path) -> pd.DataFrame:
    """Read a WGI long-format workbook into a ``governance`` frame (no ``source`` column)."""
    path = Path(path)
    sheet, header_row, index, wb = _find_header(path)
    try:
        ws = wb[sheet]
        col_name, col_year = index["countryname"], index["year"]
        col_ind, col_est = index["indicator"], index["estimate"]
        col_sd = index.get("stddev")
        col_code = index.get("code")
        records: list[dict[str, Any]] = []
        first_row: dict[tuple[str, str], int] = {}
        for row_no, values in enumerate(
            ws.iter_rows(min_row=header_row + 1, values_only=True), start=header_row + 1
        ):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue

            def cell(i: int | None, _values: tuple[Any, ...] = values) -> Any:
                return _values[i] if i is not None and i < len(_values) else None

            name = cell(col_name)
            if name is None or not str(name).strip():
                raise InputError(
                    f"{_where(sheet)}the economy name is empty",
                    path=path,
                    row=row_no,
                    column="countryname",
                )
            name = str(name).strip()
            code_raw = cell(col_code)
            code = None if code_raw is None else str(code_raw).strip() or None
            year = _year(cell(col_year), path=path, sheet=sheet, row=row_no)
            ind_raw = cell(col_ind)
            ind = "" if ind_raw is None else str(ind_raw).strip().lower()
            if ind not in INDICATORS:
                raise InputError(
                    f"{_where(sheet)}unknown indicator {ind_raw!r}; WGI indicators are "
                    f"{', '.join(INDICATORS)}",
                    path=path,
                    row=row_no,
                    column="indicator",
                )
            first_row.setdefault((name, code or ""), row_no)
            est = _number(cell(col_est), path=path, sheet=sheet, row=row_no, column="estimate")
            records.append(
                {
                    "name": name,
                    "code": code,
                    "year": year,
                    "indicator": ind.upper(),
                    "value": est.value,
                    "flag": est.flag,
                    "source_row": row_no,
                }
            )
            if col_sd is not None:
                sd = _number(cell(col_sd), path=path, sheet=sheet, row=row_no, column="stddev")
                if sd.value is not None and sd.value < 0:
                    raise InputError(
                        f"{_where(sheet)}a standard error cannot be negative, found {sd.value}",
                        path=path,
                        row=row_no,
                        column="stddev",
                    )
                records.append(
                    {
                        "name": name,
                        "code": code,
                        "year": year,
                        "indicator": f"{ind.upper()}.SE",
                        "value": sd.value,
                        "flag": sd.flag,
                        "source_row": row_no,
                    }
                )
    finally:
        wb.close()
    if not records:
        raise InputError(f"{_where(sheet)}no data rows below the header", path=path)

    ids: dict[tuple[str, str], str] = {}
    for (name, code), row_no in first_row.items():
        found = countries.find(name) or (countries.find(code) if code else None)
        if found is None:
            raise InputError(
                f"{_where(sheet)}economy {name!r} is not in the country catalog; add it as an "
                "alias in catalog/data/countries.csv",
                path=path,
                row=row_no,
                column="countryname",
                hint=suggestion(name, _country_candidates()),
            )
        ids[(name, code)] = found

    frame = pd.DataFrame.from_records(records)
    frame["country"] = [ids[(r["name"], r["code"] or "")] for r in records]
    dup = frame.duplicated(["country", "year", "indicator"], keep=False)
    if dup.any():
        clash = frame[dup].sort_values("source_row")
        first = clash.iloc[0]
        other = clash[
            (clash["country"] == first["country"])
            & (clash["year"] == first["year"])
            & (clash["indicator"] == first["indicator"])
        ].iloc[1]
        raise InputError(
            f"{_where(sheet)}{first['name']!r} and {other['name']!r} both give "
            f"{first['indicator']} {first['year']} for {first['country']} (rows "
            f"{first['source_row']} and {other['source_row']})",
            path=path,
            row=int(other["source_row"]),
            column="countryname",
        )
    return pd.DataFrame(
        {
            "country": frame["country"],
            "year": frame["year"].astype("int64"),
            "indicator": frame["indicator"],
            "value": frame["value"].astype("float64"),
            "flag": frame["flag"],
            "source_country_code": frame["code"],
            "source_row": frame["source_row"].astype("int64"),
        }
    )


def parse(path: Path, *, source_id: str | None = None) -> Parsed:
    """Parse a WGI long-format xlsx into the ``governance`` table.

    Parameters
    ----------
    path:
        The workbook (``wgidataset.xlsx``, 2024 update layout).
    source_id:
        Source id in the store; defaults to ``wgi<year in the file name>`` (``wgi2024``).
    """
    path = Path(path)
    governance = read(path)
    source = source_id or default_source_id(path)
    edition = source.removeprefix("wgi") if source.startswith("wgi") else None
    return Parsed(
        source=source,
        kind=KIND,
        sha256=sha256_file(path),
        tables={"governance": governance},
        version=f"WGI {edition} update" if edition and edition.isdigit() else "WGI",
        path=str(path),
        licence=LICENCE,
    )
