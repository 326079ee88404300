"""World Mining Data 6.4, production by country 1984–2017 (one compiled sheet).

The sheet holds one block per mineral: a header row ``<mineral>, Unit, 1984, …, 2017``
followed by one row per country (``<country>, metr. tons, values…``) and a ``Total`` row.
Minerals are matched to catalog commodities by their World Mining Data name (``wmd`` in
the catalog; a qualifier in brackets may differ: ``Bauxite (crude ore)`` is ``Bauxite``);
countries by name, with the historical names World Mining Data uses (``Zaire``,
``Swaziland``, ``Russia, Asia`` + ``Russia, Europe`` = Russia). States that no longer exist
(USSR, Yugoslavia, Czechoslovakia, …) have no catalog id and are left out; the reader
returns their names so a caller can say so.

Units: ``metr. tons`` → t, ``kg`` → t / 1000; other units (``ct.``, ``Mio m3``) are not
tonnes and are left out.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pandas as pd

from minsec.catalog import commodities, countries
from minsec.errors import InputError

HISTORICAL_NAMES = {
    "zaire": "COD",
    "swaziland": "SWZ",
    "macedonia": "MKD",
    "russia, asia": "RUS",
    "russia, europe": "RUS",
}
UNIT_TO_T = {"metr. tons": 1.0, "kg": 0.001}


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, float) and math.isnan(cell)) or str(cell) == ""


def _base(name: str) -> str:
    return re.sub(r"\s*\(.*\)\s*$", "", name).strip().lower()


def _commodity(name: str) -> str | None:
    by_wmd = {c.wmd.lower(): c.id for c in commodities.commodities() if c.wmd}
    by_base = {_base(c.wmd): c.id for c in commodities.commodities() if c.wmd}
    return by_wmd.get(name.strip().lower()) or by_base.get(_base(name))


def read(path: Path | str) -> tuple[pd.DataFrame, list[str]]:
    """Production as ``commodity, country, year, production_t``, and names left out.

    Raises
    ------
    InputError
        When the sheet has no block header (``<mineral>, Unit, years…``) or a year cell
        is not a year.
    """
    p = Path(path)
    try:
        sheet = pd.read_excel(p, header=None)
    except (OSError, ValueError) as exc:
        raise InputError(f"not a readable xlsx file ({exc})", path=p) from None
    labels = sheet.iloc[:, 1].astype(str).str.strip()
    headers = list(sheet.index[labels == "Unit"])
    if not headers:
        raise InputError("no block header '<mineral>, Unit, 1984, …' found", path=p)
    rows: list[dict[str, object]] = []
    left_out: set[str] = set()
    ends = [*headers[1:], len(sheet)]
    for head, end in zip(headers, ends, strict=True):
        commodity = _commodity(str(sheet.iat[head, 0]))
        years: dict[int, int] = {}
        for col in range(2, sheet.shape[1]):
            cell: Any = sheet.iat[head, col]
            if _blank(cell):
                continue
            try:
                years[col] = int(float(cell))
            except ValueError:
                raise InputError(
                    f"year {cell!r} is not a year", path=p, row=head + 1, column=str(col + 1)
                ) from None
        if commodity is None:
            continue
        for r in range(head + 1, end):
            name = str(sheet.iat[r, 0]).strip()
            unit = str(sheet.iat[r, 1]).strip()
            if name in {"", "nan", "Total"} or unit not in UNIT_TO_T:
                continue
            country = HISTORICAL_NAMES.get(name.lower()) or countries.find(name)
            if country is None:
                left_out.add(name)
                continue
            for col, year in years.items():
                value: Any = sheet.iat[r, col]
                if not _blank(value):
                    rows.append(
                        {
                            "commodity": commodity,
                            "country": country,
                            "year": year,
                            "production_t": float(value) * UNIT_TO_T[unit],
                        }
                    )
    frame = pd.DataFrame(rows, columns=["commodity", "country", "year", "production_t"])
    summed = frame.groupby(["commodity", "country", "year"], as_index=False).agg(
        production_t=("production_t", "sum")
    )
    return summed, sorted(left_out)
