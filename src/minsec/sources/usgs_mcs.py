"""USGS Mineral Commodity Summaries data releases (2023, 2024, 2025), as published.

``parse(path)`` takes a release folder, its world-data CSV (2025) or one per-commodity
world CSV (2023, 2024), or one salient-statistics CSV, and returns store tables:

* ``production``, ``capacity``, ``reserves`` from the world data (see
  :mod:`minsec.sources.usgs_world` for stages, units, bases and country ids);
* ``salient``: US statistics (production, trade, consumption, prices, stocks, employment,
  net import reliance) in long form, country ``USA`` (see
  :mod:`minsec.sources.usgs_salient`), plus the net-import-reliance figure (Fig. 2) of the
  industry-trends files when the folder has it.

Which layout a file has is read from its header, not its name. The release year comes
from the file or folder name (``mcs2025``), else from the ``Source`` column (``MCS2025``).
In a folder, a file named ``*_salient.csv`` that holds world data (three such files in the
2024 release: cobalt, gypsum, kyanite) is left out when the folder has the real world file
of that commodity; a warning and the provenance ``version`` say so.

Values keep the publisher's markers in ``flag`` (see :mod:`minsec.sources.usgs_common`).
A name the catalog does not know, a cell that is neither a number nor a USGS marker, or a
header of another shape raises :class:`~minsec.errors.InputError` naming file, row and
column, so nothing is dropped silently.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from minsec.errors import InputError
from minsec.sources import usgs_salient, usgs_world
from minsec.sources.base import Parsed, sha256_files
from minsec.sources.usgs_common import Table, clean, read_csv, release_year

KIND = "usgs-mcs"
LICENCE = "US public domain (USGS)"
DOIS = {
    2023: "10.5066/P9WCYUI6",
    2024: "10.5066/P144BA54",
    2025: "10.5066/P13XCP3R",
}

PRODUCTION_COLUMNS = [
    "commodity",
    "stage",
    "country",
    "year",
    "quantity",
    "unit",
    "flag",
    "basis",
    "source_commodity",
    "source_country",
    "source_row",
]
CAPACITY_COLUMNS = ["commodity", "stage", "country", "year", "quantity", "unit", "flag"]
RESERVES_COLUMNS = [
    "commodity",
    "country",
    "year",
    "quantity",
    "unit",
    "flag",
    "basis",
    "source_commodity",
]
SALIENT_COLUMNS = ["commodity", "country", "year", "statistic", "value", "unit", "flag"]

_WORLD_NAME = re.compile(r"(?i)^(mcs\d{4}_world_data|mcs\d{4}-?[a-z-]+_world)\.csv$")
_SALIENT_NAME = re.compile(r"(?i)^mcs\d{4}-?[a-z-]+_salient\.csv$")
_FIG2_NAME = re.compile(r"(?i)^mcs\d{4}_fig2_net_import_reliance\.csv$")


def _kind(table: Table) -> str | None:
    header = table.header
    if usgs_world.is_world(header):
        return "world"
    if usgs_salient.is_fig2(header):
        return "fig2"
    if usgs_salient.is_salient(header):
        return "salient"
    return None


def _discover(folder: Path) -> list[Path]:
    files = [
        p
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and (
            _WORLD_NAME.search(p.name) or _SALIENT_NAME.search(p.name) or _FIG2_NAME.search(p.name)
        )
    ]
    if not files:
        raise InputError(
            "no USGS MCS files here: expected MCS2025_World_Data.csv, mcs20YY-<code>_world.csv, "
            "mcs20YY-<code>_salient.csv or MCS20YY_Fig2_Net_Import_Reliance.csv",
            path=folder,
        )
    return files


def _code(path: Path) -> str:
    m = re.fullmatch(r"(?i)mcs\d{4}-?(.+?)_(world|salient)\.csv", path.name)
    return m.group(1).lower() if m else ""


def _release(path: Path, tables: list[Table]) -> int:
    years = {y for t in tables if (y := release_year(t.path)) is not None}
    if not years:
        for p in (path, *path.parents[:2]):
            if (y := release_year(p)) is not None:
                years.add(y)
                break
    if not years:
        for t in tables:
            keys = [h.strip().lower() for h in t.header]
            for key in ("source", "datasource"):
                if key in keys:
                    col = keys.index(key)
                    years |= {
                        int(m.group(1))
                        for _, cells in t.records()
                        if (m := re.fullmatch(r"(?i)mcs\s*(20\d\d)", clean(cells[col])))
                    }
    if len(years) != 1:
        raise InputError(
            "cannot tell the MCS release year: "
            + (
                f"files of several releases {sorted(years)}"
                if years
                else "no 'mcs20YY' in the file names and no 'MCS20YY' in a Source column"
            ),
            path=path,
        )
    return years.pop()


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def parse(path: Path, *, source_id: str | None = None) -> Parsed:
    """Parse a USGS MCS data release (folder) or one of its CSV files into store tables.

    Parameters
    ----------
    path:
        A release folder (world data, salient files and Fig. 2 are found in it and its
        subfolders), the world-data CSV, one per-commodity world CSV, one salient CSV, or
        the net-import-reliance figure CSV.
    source_id:
        Source id in the store; default ``usgs_mcs<release year>``.

    Returns
    -------
    Parsed
        Tables ``production``, ``capacity``, ``reserves`` and ``salient``.

    Raises
    ------
    InputError
        A file of another layout, an unreadable value, or a country or commodity name the
        catalog does not know (the message names file, row and column).
    """
    path = Path(path)
    if not path.exists():
        raise InputError("no such file or folder", path=path)
    folder = path.is_dir()
    tables = [read_csv(p) for p in (_discover(path) if folder else [path])]
    kinds = {t.path: _kind(t) for t in tables}
    for t in tables:
        if kinds[t.path] is None:
            raise InputError(
                f"not a USGS MCS data-release file: header {t.header}; expected world data "
                "(Source, Country, Type, Prod_t_2022, ... or SOURCE, COMMODITY, COUNTRY, TYPE, "
                "UNIT_MEAS, PROD_2023, ...), salient statistics (DataSource, Commodity, Year, "
                "...) or Fig. 2 (..., Commodity, Net_Import_Reliance_pct_2024, ...)",
                path=t.path,
                row=1,
            )
    release = _release(path, tables)
    skipped: list[str] = []
    if folder:
        world_codes = {
            _code(t.path)
            for t in tables
            if kinds[t.path] == "world" and _WORLD_NAME.search(t.path.name)
        }
        keep = []
        for t in tables:
            misnamed = kinds[t.path] == "world" and _SALIENT_NAME.search(t.path.name)
            if misnamed and _code(t.path) in world_codes:
                skipped.append(t.path.name)
                warnings.warn(
                    f"{t.path}: named salient but holds world data; not read, because "
                    f"the folder has the world file of '{_code(t.path)}'",
                    stacklevel=2,
                )
                continue
            keep.append(t)
        tables = keep
    world: dict[str, list[dict[str, Any]]] = {"production": [], "capacity": [], "reserves": []}
    salient: list[dict[str, Any]] = []
    fig2: list[dict[str, Any]] = []
    unread: list[str] = []
    for t in tables:
        kind = kinds[t.path]
        if kind == "world":
            for name, rows in usgs_world.parse_table(t, release=release).items():
                world[name] += rows
        elif kind == "salient":
            code = _code(t.path)
            rows, left = usgs_salient.parse_table(t, fallback_commodity=usgs_world.CODES.get(code))
            salient += rows
            if left:
                unread.append(f"{t.path.name} rows {', '.join(map(str, left))}")
        else:
            fig2 += usgs_salient.parse_fig2(t)
    have = {(r["commodity"], r["year"], r["statistic"]) for r in salient}
    salient += [r for r in fig2 if (r["commodity"], r["year"], r["statistic"]) not in have]
    out = {
        "production": _frame(world["production"], PRODUCTION_COLUMNS),
        "capacity": _frame(world["capacity"], CAPACITY_COLUMNS),
        "reserves": _frame(world["reserves"], RESERVES_COLUMNS),
        "salient": _frame(salient, SALIENT_COLUMNS),
    }
    doi = DOIS.get(release)
    version = f"MCS {release} data release" + (f" (doi:{doi})" if doi else "")
    if skipped:
        version += f"; not read (world data named salient): {', '.join(skipped)}"
    if unread:
        version += f"; not read (more cells than header names): {'; '.join(unread)}"
    return Parsed(
        source=source_id or f"usgs_mcs{release}",
        kind=KIND,
        sha256=sha256_files(t.path for t in tables),
        tables={k: v for k, v in out.items() if not v.empty},
        version=version,
        path=str(path),
        licence=LICENCE,
    )
