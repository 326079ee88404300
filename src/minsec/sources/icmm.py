"""ICMM Global Mining Dataset: mines, smelters, refineries and plants with coordinates.

ICMM publishes an xlsx with the sheets ``About``, ``External`` (the data) and
``Supplemental Sheet``; the data sheet's header is::

    ICMMID, Confidence Factor, Mine Name , Group Names, Latitude, Longitude,
    Asset Type, Country, Primary Commodity, Secondary Commodity, Other Commodities

(``Mine Name`` carries a trailing space in the 2025-09 release). A CSV export of the
``External`` sheet with the same header is read as well.

Written to the ``facilities`` table:

* ``facility_id`` = ICMMID, ``name`` = Mine Name, ``country`` mapped with the catalog;
* ``facility_type`` = Asset Type in lower case, ``;``-joined (``mine;plant``);
* ``commodities`` = catalog ids of the primary, secondary and other commodities, in that
  order, ``;``-joined, for the words the catalog (or the ICMM word list below) knows;
* ``source_commodities`` = the commodity words as published, primary first, ``;``-joined
  (coal, steel, alumina, ... stay here only). :func:`commodity_words` counts them;
* ``owner`` and ``status`` stay empty: the public dataset has neither, and its
  ``Confidence Factor`` and ``Group Names`` have no column in the store.

Coordinates are checked (latitude in [-90, 90], longitude in [-180, 180]); a typographic
minus sign (U+2212), which the 2025-09 release has once, is read as a minus.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from minsec.catalog import commodities, countries
from minsec.catalog._names import normalise, suggestion
from minsec.errors import InputError
from minsec.sources.base import Parsed, sha256_file

log = logging.getLogger(__name__)

KIND = "icmm"
LICENCE = (
    "ICMM Global Mining Dataset, CC BY 4.0; cite 'ICMM Global Mining Dataset, "
    "September 2025 (V1) release.'"
)
DATA_SHEET = "External"
HEADER = (
    "ICMMID",
    "Confidence Factor",
    "Mine Name",
    "Group Names",
    "Latitude",
    "Longitude",
    "Asset Type",
    "Country",
    "Primary Commodity",
    "Secondary Commodity",
    "Other Commodities",
)
REQUIRED = ("ICMMID", "Mine Name", "Latitude", "Longitude", "Country")
COMMODITY_COLUMNS = ("Primary Commodity", "Secondary Commodity", "Other Commodities")

#: ICMM commodity words the commodity catalog does not resolve itself → catalog id (the
#: catalog is asked first). Only unambiguous cases: minerals named by an ore or alloy of
#: one catalog commodity, single rare-earth and platinum-group elements, and misspellings
#: in the 2025-09 release. ``coal``, ``diamond``, acids and the like stay unmapped.
ICMM_WORDS: dict[str, str] = {
    "thermal coal": "steam_coal",
    "metallurgical coal": "coking_coal",
    "barium": "baryte",
    "ferrochrome": "chromium",
    "chormite": "chromium",
    "ferronickel": "nickel",
    "ferromanganese": "manganese",
    "silicomanganese": "manganese",
    "ferrosilicon manganese": "manganese",
    "ferromolybdenum": "molybdenum",
    "ferroniobium": "niobium",
    "ilmenite": "titanium",
    "rutile": "titanium",
    "leucoxene": "titanium",
    "spodumene": "lithium",
    "petalite": "lithium",
    "lanthanides": "rare_earths",
    "monazite": "rare_earths",
    "lanthanum": "rare_earths",
    "cerium": "rare_earths",
    "praseodymium": "rare_earths",
    "neodymium": "rare_earths",
    "europium": "rare_earths",
    "terbium": "rare_earths",
    "thulium": "rare_earths",
    "platinum group elements": "platinum_group_metals",
    "iridium": "platinum_group_metals",
    "ruthenium": "platinum_group_metals",
    "osmium": "platinum_group_metals",
    "phosphates": "phosphate_rock",
    "borates": "boron",
    "zicron": "zirconium",
    "cadmiuum": "cadmium",
    "cadimium": "cadmium",
    "aresnic": "arsenic",
}

_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2012": "-", "\u00a0": ""})


@dataclass
class IcmmParsed(Parsed):
    """:class:`Parsed` plus counts of the commodity words that did or did not map."""

    mapped_words: dict[str, int] = field(default_factory=dict)
    unmapped_words: dict[str, int] = field(default_factory=dict)

    @property
    def notes(self) -> list[str]:
        """One-line summaries for the user."""
        total = sum(self.mapped_words.values()) + sum(self.unmapped_words.values())
        top = ", ".join(f"{w} ({n})" for w, n in Counter(self.unmapped_words).most_common(8))
        return [
            f"{sum(self.unmapped_words.values())} of {total} commodity mentions "
            f"({len(self.unmapped_words)} distinct words) have no catalog id and are kept "
            f"only in source_commodities: {top}"
        ]


def commodity_id(word: str) -> str | None:
    """Catalog id of an ICMM commodity word, or None when it has none."""
    return commodities.find(word) or ICMM_WORDS.get(normalise(word))


def _rows_xlsx(path: Path) -> tuple[str, Iterator[tuple[int, list[Any]]], list[str], Any]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise InputError(
            f"not an Excel workbook (.xlsx) that openpyxl can read ({exc})", path=path
        ) from None
    order = sorted(wb.worksheets, key=lambda ws: ws.title != DATA_SHEET)
    found: list[str] = []
    for ws in order:
        it = ws.iter_rows(values_only=True)
        first = next(it, None)
        header = [str(v).strip() if v is not None else "" for v in (first or ())]
        if "ICMMID" in header or ws.title == DATA_SHEET:
            rows = ((r, list(v)) for r, v in enumerate(it, start=2))
            return ws.title, rows, header, wb
        found.append(ws.title)
    wb.close()
    raise InputError(
        f"no sheet {DATA_SHEET!r} and no sheet whose first row starts with ICMMID; sheets are "
        f"{found}",
        path=path,
    )


def _rows_csv(path: Path) -> tuple[Iterator[tuple[int, list[Any]]], list[str]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    return ((r, list(v)) for r, v in enumerate(reader, start=2)), header


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    text = str(value).strip()
    return text or None


def _coordinate(
    value: Any, *, path: Path, where: str, row: int, column: str, limit: float
) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        number = math.nan
    elif isinstance(value, int | float):
        number = float(value)
    else:
        try:
            number = float(str(value).translate(_MINUS).strip())
        except ValueError:
            number = math.nan
    if math.isnan(number):
        raise InputError(
            f"{where}expected a {column.lower()} in decimal degrees, found {value!r}",
            path=path,
            row=row,
            column=column,
        )
    if not -limit <= number <= limit:
        raise InputError(
            f"{where}{column.lower()} {number} is outside [-{limit:g}, {limit:g}]",
            path=path,
            row=row,
            column=column,
        )
    return number


def _words(value: str | None) -> list[str]:
    return [w.strip() for w in (value or "").split(";") if w.strip()]


def read(path: Path) -> tuple[pd.DataFrame, Counter[str], Counter[str]]:
    """Read the dataset into a ``facilities`` frame and counts of mapped/unmapped words."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=path)
    wb = None
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        sheet, rows, header, wb = _rows_xlsx(path)
        where = f"sheet {sheet!r}: "
    else:
        rows, header = _rows_csv(path)
        where = ""
    try:
        index = {h: i for i, h in reversed(list(enumerate(header))) if h}
        missing = [c for c in REQUIRED if c not in index]
        if missing:
            raise InputError(
                f"{where}missing column(s) {missing}; expected the ICMM header "
                f"{', '.join(HEADER)}; found {[h for h in header if h]}",
                path=path,
                row=1,
            )
        records: list[dict[str, Any]] = []
        seen_ids: dict[str, int] = {}
        country_rows: dict[str, int] = {}
        mapped: Counter[str] = Counter()
        unmapped: Counter[str] = Counter()
        for row_no, values in rows:
            if all(_text(v) is None for v in values):
                continue

            def get(col: str, _values: list[Any] = values) -> Any:
                i = index.get(col)
                return _values[i] if i is not None and i < len(_values) else None

            fid = _text(get("ICMMID"))
            if fid is None:
                raise InputError(
                    f"{where}the facility id is empty", path=path, row=row_no, column="ICMMID"
                )
            if fid in seen_ids:
                raise InputError(
                    f"{where}facility id {fid!r} is already used in row {seen_ids[fid]}",
                    path=path,
                    row=row_no,
                    column="ICMMID",
                )
            seen_ids[fid] = row_no
            name = _text(get("Mine Name"))
            if name is None:
                raise InputError(
                    f"{where}the facility name is empty", path=path, row=row_no, column="Mine Name"
                )
            lat = _coordinate(
                get("Latitude"), path=path, where=where, row=row_no, column="Latitude", limit=90
            )
            lon = _coordinate(
                get("Longitude"), path=path, where=where, row=row_no, column="Longitude", limit=180
            )
            if (lat is None) != (lon is None):
                raise InputError(
                    f"{where}latitude and longitude must both be given or both be empty",
                    path=path,
                    row=row_no,
                    column="Latitude" if lat is None else "Longitude",
                )
            country = _text(get("Country"))
            if country is None:
                raise InputError(
                    f"{where}the country is empty", path=path, row=row_no, column="Country"
                )
            country_rows.setdefault(country, row_no)
            words = [w for col in COMMODITY_COLUMNS for w in _words(_text(get(col)))]
            ids: list[str] = []
            for w in words:
                cid = commodity_id(w)
                if cid is None:
                    unmapped[w.lower()] += 1
                else:
                    mapped[w.lower()] += 1
                    if cid not in ids:
                        ids.append(cid)
            asset = _text(get("Asset Type"))
            records.append(
                {
                    "facility_id": fid,
                    "name": name,
                    "country": country,
                    "latitude": lat,
                    "longitude": lon,
                    "facility_type": ";".join(w.lower() for w in _words(asset)) or None,
                    "commodities": ";".join(ids) or None,
                    "source_commodities": ";".join(words) or None,
                }
            )
    finally:
        if wb is not None:
            wb.close()
    if not records:
        raise InputError(f"{where}no data rows below the header", path=path)
    ids_by_name: dict[str, str] = {}
    for name, row_no in country_rows.items():
        found = countries.find(name)
        if found is None:
            candidates = [c.name for c in countries.countries()]
            candidates += [a for c in countries.countries() for a in c.aliases]
            raise InputError(
                f"{where}country {name!r} is not in the country catalog",
                path=path,
                row=row_no,
                column="Country",
                hint=suggestion(name, candidates),
            )
        ids_by_name[name] = found
    frame = pd.DataFrame.from_records(records)
    frame["country"] = frame["country"].map(ids_by_name)
    frame["owner"] = None
    frame["status"] = None
    return frame, mapped, unmapped


def default_source_id(path: Path) -> str:
    """``icmm<release year>`` from the file name (``..._2025-09_V1.xlsx`` → ``icmm2025``)."""
    m = re.search(r"(20\d\d)", Path(path).stem)
    return f"icmm{m.group(1)}" if m else "icmm2025"


def parse(path: Path, *, source_id: str | None = None) -> IcmmParsed:
    """Parse the ICMM Global Mining Dataset (xlsx or CSV export) into ``facilities``.

    Parameters
    ----------
    path:
        ``ICMM_global-mining-dataset_<yyyy-mm>_V<n>.xlsx`` or a CSV of its data sheet.
    source_id:
        Source id in the store; defaults to ``icmm<year in the file name>``.
    """
    path = Path(path)
    frame, mapped, unmapped = read(path)
    m = re.search(r"(20\d\d)-(\d\d)", path.stem)
    parsed = IcmmParsed(
        source=source_id or default_source_id(path),
        kind=KIND,
        sha256=sha256_file(path),
        tables={"facilities": frame},
        version=f"ICMM Global Mining Dataset {m.group(0)}" if m else "ICMM Global Mining Dataset",
        path=str(path),
        licence=LICENCE,
        mapped_words=dict(mapped),
        unmapped_words=dict(unmapped),
    )
    for note in parsed.notes:
        log.info("%s: %s", path.name, note)
    return parsed
