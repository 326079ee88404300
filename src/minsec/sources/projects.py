"""A user's project list: a CSV or Excel sheet with the columns of the ``projects`` table.

See ``docs/projects-csv.md`` for the columns and an example. In short: one row per
project, a header row with column names from :data:`COLUMNS` (``project_id``, ``name``,
``country``, ``commodity`` and ``stage`` are required, the others optional and in any
order); countries and commodities by name, alias or id (``Japan``, ``JPN``, ``Korea,
South``; ``Rare earths``, ``rare_earths``); numbers without thousands separators. An
``.xlsx`` file is read from its first sheet with the same rules (cells as displayed text).

Every check names the file, the row (header = row 1) and the column: unknown columns,
empty required cells, unknown countries or commodities (with the nearest names), numbers
that are not numbers, negative capacities or costs, years outside 1900–2100, coordinates
out of range, duplicate project ids, ramp-up profiles that are not shares in [0, 1],
permitting durations (negative, or pessimistic below expected), offtake lists
(``USA:0.5;JPN:0.3``: unknown countries or blocs, shares outside [0, 1] or summing above 1)
and unknown owner countries.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

from minsec.catalog import commodities, countries
from minsec.catalog._names import suggestion
from minsec.errors import InputError
from minsec.sources.base import Parsed, sha256_file
from minsec.store import schema

KIND = "projects-csv"
TABLE = "projects"
REQUIRED = ("project_id", "name", "country", "commodity", "stage")
NON_NEGATIVE = (
    "capacity_tpy",
    "capex_musd",
    "opex_usd_per_t",
    "construction_years",
    "permit_expected_months",
    "permit_pessimistic_months",
)
YEAR_RANGE = (1900, 2100)
LIMITS = {"latitude": 90.0, "longitude": 180.0}


def columns() -> tuple[str, ...]:
    """The columns a project CSV may have, in table order (all but ``source``)."""
    return tuple(c.name for c in schema.tables()[TABLE] if c.name != "source")


COLUMNS = columns()


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def _country_candidates() -> list[str]:
    out = [c.name for c in countries.countries()] + [c.id for c in countries.countries()]
    return out + [a for c in countries.countries() for a in c.aliases]


def _commodity_candidates() -> list[str]:
    out = [c.id for c in commodities.commodities()] + [c.name for c in commodities.commodities()]
    return out + [a for c in commodities.commodities() for a in (*c.usgs, *c.aliases)]


def _check_header(header: list[str], path: Path) -> None:
    if len(header) == 1 and ";" in header[0]:
        raise InputError(
            "the header has one column holding ';' — save the file with commas as separators "
            "(CSV, comma delimited)",
            path=path,
            row=1,
        )
    seen: set[str] = set()
    for name in header:
        if name == "":
            raise InputError("a column has no name", path=path, row=1)
        if name in seen:
            raise InputError(f"column {name!r} appears twice", path=path, row=1, column=name)
        seen.add(name)
        if name not in COLUMNS:
            raise InputError(
                f"unknown column {name!r}; a project CSV has the columns {', '.join(COLUMNS)}",
                path=path,
                row=1,
                column=name,
                hint=suggestion(name, list(COLUMNS)),
            )
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputError(
            f"missing required column(s) {missing}; the header has {header}",
            path=path,
            row=1,
        )


def _number(text: str, *, path: Path, row: int, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        hint = (
            "write numbers without thousands separators or units"
            if re.search(r"\d", text)
            else None
        )
        raise InputError(
            f"expected a number, found {text!r}", path=path, row=row, column=column, hint=hint
        ) from None
    if not math.isfinite(value):
        raise InputError(
            f"expected a finite number, found {text!r}", path=path, row=row, column=column
        )
    return value


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    """Rows of the first sheet of an ``.xlsx`` file as text (numbers without '.0')."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise InputError(f"cannot read the Excel file ({exc})", path=path) from None
    sheet = book.worksheets[0]
    for row in sheet.iter_rows(values_only=True):
        cells = []
        for v in row:
            if v is None:
                cells.append("")
            elif isinstance(v, float) and v.is_integer():
                cells.append(str(int(v)))
            else:
                cells.append(str(v))
        while cells and cells[-1] == "":
            cells.pop()
        yield cells
    book.close()


def _rows(path: Path) -> Iterator[list[str]]:
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        return _xlsx_rows(path)
    return csv.reader(io.StringIO(_decode(path), newline=""))


def parse_ramp_up(text: str) -> tuple[float, ...]:
    """``"0.4;0.7;1"`` → ``(0.4, 0.7, 1.0)``; raises ValueError unless shares in [0, 1]."""
    parts = [p.strip() for p in re.split(r"[;|]", text) if p.strip()]
    if not parts:
        raise ValueError("an empty ramp-up profile")
    values = tuple(float(p) for p in parts)
    if not all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in values):
        raise ValueError("ramp-up shares must be numbers in [0, 1]")
    return values


def parse_offtake(text: str) -> dict[str, float]:
    """``"USA:0.5;JPN:0.3"`` → ``{"USA": 0.5, "JPN": 0.3}`` (countries or blocs resolved).

    Raises :class:`InputError` (with a hint) for an unknown name and ValueError for a
    malformed item, a share outside [0, 1] or shares summing above 1.
    """
    from minsec.catalog import blocs

    out: dict[str, float] = {}
    for item in (p.strip() for p in re.split(r"[;|]", text) if p.strip()):
        name, sep, share = item.rpartition(":")
        if not sep or not name.strip():
            raise ValueError(f"{item!r} must be COUNTRY:SHARE")
        label, _ = blocs.resolve_party(name.strip())
        value = float(share)
        if not (math.isfinite(value) and 0.0 <= value <= 1.0):
            raise ValueError(f"the share of {name.strip()} must be in [0, 1], found {share}")
        out[label] = out.get(label, 0.0) + value
    if sum(out.values()) > 1.0 + 1e-9:
        raise ValueError(f"offtake shares sum to {sum(out.values()):g} > 1")
    return out


def read(path: Path) -> pd.DataFrame:
    """Read and check a project CSV or .xlsx; return a ``projects`` frame (no ``source``)."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=path)
    reader = _rows(path)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputError(
            f"the file is empty; expected a header with {', '.join(REQUIRED)}", path=path
        ) from None
    _check_header(header, path)
    types = {c.name: c.type for c in schema.tables()[TABLE]}
    records: list[dict[str, object]] = []
    ids: dict[str, int] = {}
    resolved: dict[tuple[str, str], str] = {}
    resolvers: dict[str, tuple[Callable[[str], str | None], Callable[[], list[str]]]] = {
        "country": (countries.find, _country_candidates),
        "owner_country": (countries.find, _country_candidates),
        "commodity": (commodities.find, _commodity_candidates),
    }
    for row_no, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(header):
            raise InputError(
                f"the row has {len(values)} cells but the header has {len(header)} columns "
                "(a comma inside a value must be quoted)",
                path=path,
                row=row_no,
            )
        cells = {h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(header)}
        rec: dict[str, object] = {}
        for col in header:
            text = cells[col]
            if text == "":
                if col in REQUIRED:
                    raise InputError("a value is required", path=path, row=row_no, column=col)
                rec[col] = None
                continue
            if col in resolvers:
                key = (col, text)
                if key not in resolved:
                    find, candidates = resolvers[col]
                    found = find(text)
                    if found is None:
                        raise InputError(
                            f"unknown {col} {text!r}",
                            path=path,
                            row=row_no,
                            column=col,
                            hint=suggestion(text, candidates()),
                        )
                    resolved[key] = found
                rec[col] = resolved[key]
            elif types[col] == "DOUBLE":
                value = _number(text, path=path, row=row_no, column=col)
                if col in NON_NEGATIVE and value < 0:
                    raise InputError(
                        f"{col} cannot be negative, found {text}", path=path, row=row_no, column=col
                    )
                if col in LIMITS and abs(value) > LIMITS[col]:
                    raise InputError(
                        f"{col} {text} is outside [-{LIMITS[col]:g}, {LIMITS[col]:g}]",
                        path=path,
                        row=row_no,
                        column=col,
                    )
                rec[col] = value
            elif types[col] in {"INTEGER", "BIGINT"}:
                value = _number(text, path=path, row=row_no, column=col)
                if not value.is_integer():
                    raise InputError(
                        f"expected a whole number, found {text!r}",
                        path=path,
                        row=row_no,
                        column=col,
                    )
                if col in NON_NEGATIVE and value < 0:
                    raise InputError(
                        f"{col} cannot be negative, found {text}", path=path, row=row_no, column=col
                    )
                if col == "start_year" and not YEAR_RANGE[0] <= value <= YEAR_RANGE[1]:
                    raise InputError(
                        f"start_year {text} is not a year between {YEAR_RANGE[0]} and "
                        f"{YEAR_RANGE[1]}",
                        path=path,
                        row=row_no,
                        column=col,
                    )
                rec[col] = int(value)
            elif col == "stage":
                rec[col] = text.lower()
            elif col in ("ramp_up", "offtake"):
                rec[col] = _profile(col, text, path=path, row=row_no)
            else:
                rec[col] = text
        pid = str(rec["project_id"])
        if pid in ids:
            raise InputError(
                f"project_id {pid!r} is already used in row {ids[pid]}",
                path=path,
                row=row_no,
                column="project_id",
            )
        ids[pid] = row_no
        lo, hi = rec.get("permit_expected_months"), rec.get("permit_pessimistic_months")
        if isinstance(lo, float) and isinstance(hi, float) and hi < lo:
            raise InputError(
                f"permit_pessimistic_months {hi:g} is below permit_expected_months {lo:g}",
                path=path,
                row=row_no,
                column="permit_pessimistic_months",
            )
        if (rec.get("latitude") is None) != (rec.get("longitude") is None):
            raise InputError(
                "latitude and longitude must both be given or both be empty",
                path=path,
                row=row_no,
                column="longitude" if rec.get("longitude") is None else "latitude",
            )
        records.append(rec)
    if not records:
        raise InputError("the file has a header but no projects", path=path)
    frame = pd.DataFrame.from_records(records, columns=header)
    for col in COLUMNS:
        if col not in frame.columns:
            frame[col] = None
    return frame[list(COLUMNS)]


def _profile(col: str, text: str, *, path: Path, row: int) -> str:
    """Check a ramp-up or offtake cell and return it in canonical form."""
    try:
        if col == "ramp_up":
            return ";".join(f"{v:g}" for v in parse_ramp_up(text))
        return ";".join(f"{k}:{v:g}" for k, v in parse_offtake(text).items())
    except InputError as exc:
        raise InputError(exc.message, path=path, row=row, column=col, hint=exc.hint) from None
    except ValueError as exc:
        example = "0.4;0.7;1" if col == "ramp_up" else "USA:0.5;JPN:0.3"
        raise InputError(
            f"{exc} in {text!r}", path=path, row=row, column=col, hint=f"e.g. {example}"
        ) from None


def default_source_id(path: Path) -> str:
    """``projects-<file stem>`` in lower case with dashes (``My Projects.csv`` → …)."""
    stem = re.sub(r"[^a-z0-9]+", "-", Path(path).stem.lower()).strip("-")
    return f"projects-{stem or 'list'}"


def parse(path: Path, *, source_id: str | None = None) -> Parsed:
    """Parse a user project list (CSV) into the ``projects`` table.

    Parameters
    ----------
    path:
        The CSV (UTF-8, comma-separated, header row) or ``.xlsx`` (first sheet); see
        ``docs/projects-csv.md``.
    source_id:
        Source id in the store; defaults to ``projects-<file stem>``.
    """
    path = Path(path)
    frame = read(path)
    return Parsed(
        source=source_id or default_source_id(path),
        kind=KIND,
        sha256=sha256_file(path),
        tables={TABLE: frame},
        version=None,
        path=str(path),
        licence=None,
    )
