"""CEPII BACI bilateral trade, streamed from the files CEPII publishes.

A BACI release is one CSV per year, ``BACI_HS17_Y2024_V202501.csv``, with the header
``t,i,j,k,v,q``: year, exporter and importer (BACI numeric country codes), HS6 product
(written without leading zeros), value in thousand current USD and quantity in metric
tonnes (blank, or ``NA`` padded with spaces in old releases, where there is none). Beside
the data CEPII ships ``country_codes_V202501.csv`` and ``product_codes_HS17_V202501.csv``.

``parse`` takes one file or a folder of such files. The HS revision, version and year
come from the file names; ``hs_revision=`` and ``version=`` override them. Nothing is read
into Python: the returned :class:`~minsec.sources.base.Parsed` carries a ``writer`` that,
inside the store's import transaction, first checks every row with one DuckDB query and
then inserts with ``INSERT … SELECT … FROM read_csv(…)`` joined to a table of BACI
country codes → minsec ids (``catalog.countries.baci_to_id()``). A full multi-GB release
thus loads with constant Python memory.

Checks, each raising :class:`~minsec.errors.InputError` with the file, row and column:
exact header; integer year (and equal to the ``Y`` of the file name); country codes that
are integers and in the catalog (the name from ``country_codes_*.csv`` is quoted when that
file is present); HS6 codes of at most six digits (zero-padded to six); values and
quantities that are finite numbers and not negative. Rows are file lines with the header as
row 1 (blank lines, which BACI files do not have, are not counted).

Parquet files with the columns ``t,i,j,k,v,q`` are read the same way, and so are parquet
extracts with ISO3 countries and the columns ``year, exporter, importer, hs6, value_kusd,
qty_t`` (the layout of the critical-materials-atlas BACI HS17 extract); for parquet,
"row" is the 1-based record number.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import duckdb
import pandas as pd

from minsec.catalog import countries
from minsec.errors import InputError
from minsec.sources.base import Parsed, sha256_files

KIND = "baci-csv"
LICENCE = "CEPII BACI, Etalab Open Licence 2.0; cite Gaulier & Zignago (2010), CEPII WP 2010-23"
HEADER = ("t", "i", "j", "k", "v", "q")
ISO3_COLUMNS = ("year", "exporter", "importer", "hs6", "value_kusd", "qty_t")
REVISIONS = ("HS92", "HS96", "HS02", "HS07", "HS12", "HS17", "HS22")
#: BACI's own three-letter codes for entities without an ISO3 (country_codes_*.csv).
BACI_PSEUDO_ISO3 = {"S19": 490, "R20": 697, "ZA1": 711}

_CANONICAL = re.compile(r"^BACI_HS(\d\d)_Y(\d{4})_V(\d{6}[A-Za-z]?)$", re.IGNORECASE)
_REVISION = re.compile(r"(?<![A-Za-z0-9])HS(\d\d)(?!\d)", re.IGNORECASE)
_VERSION = re.compile(r"(?<![A-Za-z0-9])V(\d{6}[A-Za-z]?)(?![0-9])", re.IGNORECASE)
_DUCKDB_LINE = re.compile(r"Line:\s*(\d+)")
_CODES = "_minsec_baci_codes"

Layout = Literal["csv", "parquet", "parquet-iso3"]


@dataclass(frozen=True)
class BaciFile:
    """One data file of a BACI release and what its name says."""

    path: Path
    layout: Layout
    revision: str | None
    year: int | None
    version: str | None


# -- file discovery and names -----------------------------------------------------------


def _is_data_file(p: Path) -> bool:
    name = p.name.lower()
    if "country_codes" in name or "product_codes" in name:
        return False
    return p.is_file() and p.suffix.lower() in {".csv", ".parquet"} and not name.startswith(".")


def data_files(path: Path) -> list[Path]:
    """The data files ``path`` stands for: the file itself, or a folder's BACI files."""
    path = Path(path)
    if not path.exists():
        raise InputError("file or folder not found", path=path)
    if path.is_file():
        return [path]
    files = sorted(p for p in path.iterdir() if _is_data_file(p))
    named = [p for p in files if p.name.upper().startswith("BACI_")]
    chosen = named or files
    if not chosen:
        found = sorted(p.name for p in path.iterdir())
        raise InputError(
            "no BACI data file in this folder; expected files like BACI_HS17_Y2024_V202501.csv "
            f"(found {found[:10]}{' …' if len(found) > 10 else ''})",
            path=path,
        )
    return chosen


def _revision(text: str) -> str:
    code = text.upper().removeprefix("HS")
    rev = f"HS{code}"
    if rev not in REVISIONS:
        raise InputError(f"unknown HS revision {text!r}; BACI uses {', '.join(REVISIONS)}")
    return rev


def _read_first_line(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.readline(65536)
    return head.decode("utf-8-sig", errors="replace").strip("\r\n")


def describe(path: Path) -> BaciFile:
    """Check the header of one data file and read revision, year and version from its name."""
    path = Path(path)
    m = _CANONICAL.match(path.stem)
    if m:
        revision: str | None = _revision(m.group(1))
        year: int | None = int(m.group(2))
        version: str | None = m.group(3)
    else:
        r = _REVISION.search(path.stem)
        v = _VERSION.search(path.stem)
        revision = _revision(r.group(1)) if r and f"HS{r.group(1)}" in REVISIONS else None
        version = v.group(1) if v else None
        year = None
    if path.suffix.lower() == ".parquet":
        try:
            with duckdb.connect() as con:
                cols = [
                    str(row[0])
                    for row in con.execute(
                        f"DESCRIBE SELECT * FROM read_parquet({_literal(path)})"
                    ).fetchall()
                ]
        except duckdb.Error as exc:
            raise InputError(f"not a readable parquet file ({exc})", path=path) from None
        if tuple(cols) == HEADER:
            return BaciFile(path, "parquet", revision, year, version)
        if all(c in cols for c in ISO3_COLUMNS):
            return BaciFile(path, "parquet-iso3", revision, year, version)
        raise InputError(
            f"the columns are {cols}; expected exactly {list(HEADER)} (CEPII BACI) or an "
            f"extract with ISO3 countries and the columns {list(ISO3_COLUMNS)}",
            path=path,
        )
    first = _read_first_line(path)
    found = [c.strip().strip('"').strip() for c in first.split(",")]
    if tuple(found) != HEADER:
        hint = None
        if found and found[0] == "country_code":
            hint = "this is BACI's country-code table; import the BACI_*.csv data files"
        raise InputError(
            f"the header is {first!r}; expected exactly {','.join(HEADER)} (CEPII BACI: year, "
            "exporter, importer, HS6 product, value in kUSD, quantity in t)",
            path=path,
            row=1,
            hint=hint,
        )
    return BaciFile(path, "csv", revision, year, version)


def country_names(folder: Path) -> dict[int, str]:
    """BACI code → name from a ``country_codes_*.csv`` in ``folder`` (empty when absent)."""
    out: dict[int, str] = {}
    for p in sorted(Path(folder).glob("*country_codes*.csv")):
        raw = p.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        for row in csv.DictReader(io.StringIO(text, newline="")):
            code = (row.get("country_code") or "").strip()
            name = (
                row.get("country_name")
                or row.get("country_name_full")
                or row.get("country_name_abbreviation")
                or ""
            ).strip()
            if code.isdigit() and name:
                out.setdefault(int(code), name)
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def default_source_id(
    files: list[BaciFile], *, revision: str, version: str | None, root: Path
) -> str:
    """``baci-hs17-v202501-2024`` (years ``2022-2024`` for several files) from the names."""
    years = sorted({f.year for f in files if f.year is not None})
    if version and years and len(years) == len(files):
        span = str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"
        return f"baci-{revision.lower()}-v{version.lower()}-{span}"
    stem = _slug(root.stem if root.is_file() else root.name)
    stem = stem.removeprefix("baci-").removeprefix(revision.lower() + "-")
    parts = ["baci", revision.lower()]
    if version and f"v{version.lower()}" not in stem:
        parts.append(f"v{version.lower()}")
    return "-".join([*parts, stem] if stem else parts)


# -- SQL --------------------------------------------------------------------------------


def _literal(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _relation(f: BaciFile, *, numbered: bool) -> str:
    """SQL of the file: raw VARCHAR columns t,i,j,k,v,q, and n, the 1-based record."""
    if f.layout == "csv":
        cols = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in HEADER) + "}"
        scan = (
            f"read_csv({_literal(f.path)}, header = true, auto_detect = false, delim = ',', "
            f"quote = '\"', escape = '\"', columns = {cols})"
        )
        if numbered:
            return f"(SELECT ordinality AS n, t, i, j, k, v, q FROM {scan} WITH ORDINALITY)"
        return f"(SELECT NULL AS n, t, i, j, k, v, q FROM {scan})"
    scan = f"read_parquet({_literal(f.path)}, file_row_number = true)"
    names = HEADER if f.layout == "parquet" else ISO3_COLUMNS
    exprs = ", ".join(
        f'CAST("{src}" AS VARCHAR) AS {dst}' for src, dst in zip(names, HEADER, strict=True)
    )
    return f"(SELECT file_row_number + 1 AS n, {exprs} FROM {scan})"


def _typed(f: BaciFile, *, numbered: bool) -> str:
    """The raw columns plus parsed ones: t_, i_, j_ (country keys), k_, v_, qs_, q_."""
    if f.layout == "parquet-iso3":
        i_, j_ = "nullif(upper(trim(i)), '')", "nullif(upper(trim(j)), '')"
    else:
        i_, j_ = "TRY_CAST(trim(i) AS INTEGER)", "TRY_CAST(trim(j) AS INTEGER)"
    return f"""(
        SELECT n, t, i, j, k, v, q,
               TRY_CAST(trim(t) AS INTEGER) AS t_, {i_} AS i_, {j_} AS j_, trim(k) AS k_,
               TRY_CAST(trim(v) AS DOUBLE) AS v_, trim(q) AS qs_,
               TRY_CAST(trim(q) AS DOUBLE) AS q_
        FROM {_relation(f, numbered=numbered)})"""


def codes_frame(layout: Layout) -> pd.DataFrame:
    """Country keys of a layout → minsec ids (BACI numeric codes, or ISO3 for extracts)."""
    if layout == "parquet-iso3":
        by_code = countries.baci_to_id()
        keys = {c.id: c.id for c in countries.countries() if "_" not in c.id}
        keys.update({k: by_code[v] for k, v in BACI_PSEUDO_ISO3.items() if v in by_code})
        return pd.DataFrame({"code": list(keys), "id": list(keys.values())})
    mapping = countries.baci_to_id()
    return pd.DataFrame(
        {"code": pd.Series(list(mapping), dtype="int32"), "id": list(mapping.values())}
    )


@dataclass(frozen=True)
class _Check:
    column: str
    condition: str
    message: Callable[[Any], str]


def _checks(f: BaciFile, names: dict[int, str]) -> list[_Check]:
    """Row checks as SQL conditions over :func:`_typed` (true = the row is bad)."""

    def unknown(role: str) -> Callable[[Any], str]:
        def text(raw: Any) -> str:
            code = str(raw).strip()
            if f.layout == "parquet-iso3":
                label = f"country code {code!r}"
            else:
                label = f"BACI country code {code}"
                if code.isdigit() and int(code) in names:
                    label += f" ({names[int(code)]!r} in CEPII's country_codes file)"
            return (
                f"{label} ({role}) is not in the minsec country catalog; add it to "
                "catalog/data/countries.csv"
            )

        return text

    checks = [_Check("t", "t_ IS NULL", lambda raw: f"the year must be an integer, found {raw!r}")]
    if f.year is not None:
        checks.append(
            _Check(
                "t",
                f"t_ <> {int(f.year)}",
                lambda raw: f"the year is {raw!r} but the file name says Y{f.year}",
            )
        )
    kind = "an ISO3 code" if f.layout == "parquet-iso3" else "a BACI country code (an integer)"

    def malformed(role: str) -> Callable[[Any], str]:
        return lambda raw: f"the {role} must be {kind}, found {raw!r}"

    for col, role in (("i", "exporter"), ("j", "importer")):
        checks += [
            _Check(col, f"{col}_ IS NULL", malformed(role)),
            _Check(col, f"{col}_ NOT IN (SELECT code FROM {_CODES})", unknown(role)),
        ]
    checks += [
        _Check(
            "k",
            "k_ IS NULL OR length(k_) > 6 OR NOT regexp_full_match(k_, '[0-9]+')",
            lambda raw: f"the product must be an HS6 code of up to six digits, found {raw!r}",
        ),
        _Check(
            "v",
            "v_ IS NULL OR NOT isfinite(v_)",
            lambda raw: f"the value (kUSD) must be a number, found {raw!r}",
        ),
        _Check("v", "v_ < 0", lambda raw: f"the value (kUSD) is negative: {raw}"),
        _Check(
            "q",
            f"{_Q_GIVEN} AND (q_ IS NULL OR NOT isfinite(q_))",
            lambda raw: f"the quantity (t) must be a number, blank or NA, found {raw!r}",
        ),
        _Check("q", "q_ < 0", lambda raw: f"the quantity (t) is negative: {raw}"),
    ]
    return checks


_Q_GIVEN = "(qs_ IS NOT NULL AND qs_ NOT IN ('', 'NA'))"


def _duckdb_error(exc: duckdb.Error, path: Path) -> InputError:
    text = str(exc)
    m = _DUCKDB_LINE.search(text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    detail = " ".join(lines[:3])
    return InputError(
        f"not a well-formed BACI file: {detail}",
        path=path,
        row=int(m.group(1)) if m else None,
    )


def validate(con: duckdb.DuckDBPyConnection, f: BaciFile, names: dict[int, str]) -> None:
    """Scan one file once; raise :class:`InputError` at its first bad row (needs the codes).

    The scan only finds the first bad row; which check it fails and its raw cells are then
    looked up for that row alone, so the common case (a good file) costs one pass.
    """
    checks = _checks(f, names)
    relation = _typed(f, numbered=True)
    where = " OR ".join(f"({c.condition})" for c in checks)
    try:
        first = con.execute(f"SELECT min(n) FROM {relation} WHERE {where}").fetchone()
        if first is None or first[0] is None:
            return
        n = int(first[0])
        flags = ", ".join(f"coalesce({c.condition}, false)" for c in checks)
        found = con.execute(
            f"SELECT t, i, j, k, v, q, {flags} FROM {relation} WHERE n = ?", [n]
        ).fetchone()
    except duckdb.Error as exc:
        raise _duckdb_error(exc, f.path) from None
    assert found is not None
    raw = dict(zip(HEADER, found[:6], strict=True))
    check = next(c for c, bad in zip(checks, found[6:], strict=True) if bad)
    is_csv = f.layout == "csv"
    message = check.message(raw[check.column])
    raise InputError(
        message if is_csv else f"record {n}: {message}",
        path=f.path,
        row=n + 1 if is_csv else None,
        column=check.column,
    )


def insert(con: duckdb.DuckDBPyConnection, f: BaciFile, *, revision: str, source: str) -> int:
    """Insert one validated file into ``trade``; return the number of rows written."""
    sql = f"""
        INSERT INTO trade (hs6, hs_revision, year, exporter, importer, value_kusd,
                           quantity_t, source)
        SELECT lpad(r.k_, 6, '0'), ?, r.t_, ce.id, cm.id, r.v_,
               CASE WHEN {_Q_GIVEN} THEN r.q_ END, ?
        FROM {_typed(f, numbered=False)} AS r
        JOIN {_CODES} AS ce ON ce.code = r.i_
        JOIN {_CODES} AS cm ON cm.code = r.j_
    """
    try:
        row = con.execute(sql, [revision, source]).fetchone()
    except duckdb.Error as exc:
        raise _duckdb_error(exc, f.path) from None
    return int(row[0]) if row else 0


def make_writer(
    files: list[BaciFile], *, revision: str, source: str, names: dict[int, str]
) -> Callable[[duckdb.DuckDBPyConnection], dict[str, int]]:
    """The streaming writer: validate, then insert each file, inside the transaction."""

    def writer(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
        setting = con.execute("SELECT current_setting('enable_progress_bar')").fetchone()
        con.execute("SET enable_progress_bar = false")
        total = 0
        registered: str | None = None
        try:
            for f in files:
                layout_key = "iso3" if f.layout == "parquet-iso3" else "numeric"
                if registered != layout_key:
                    if registered is not None:
                        con.unregister(_CODES)
                    con.register(_CODES, codes_frame(f.layout))
                    registered = layout_key
                validate(con, f, names)
                total += insert(con, f, revision=revision, source=source)
        finally:
            _quietly(lambda: con.unregister(_CODES))
            if setting is not None:
                _quietly(lambda: con.execute(f"SET enable_progress_bar = {bool(setting[0])}"))
        return {"trade": total}

    return writer


def _quietly(action: Callable[[], object]) -> None:
    """Run a clean-up step; a transaction already aborted by an error may refuse it."""
    with contextlib.suppress(duckdb.Error):
        action()


def _agree(values: Iterable[str | None], what: str, files: list[BaciFile]) -> str | None:
    found = sorted({v for v in values if v is not None})
    if len(found) > 1:
        raise InputError(
            f"the files mix {what}s {found}; import one BACI release at a time "
            f"({', '.join(f.path.name for f in files[:5])})",
            path=files[0].path.parent,
        )
    return found[0] if found else None


def parse(
    path: Path,
    *,
    source_id: str | None = None,
    hs_revision: str | None = None,
    version: str | None = None,
) -> Parsed:
    """Describe a BACI file or folder and return a streaming :class:`Parsed`.

    Parameters
    ----------
    path:
        ``BACI_HS17_Y2024_V202501.csv``, a folder of such files (one release), or a parquet
        extract (see the module docstring).
    source_id:
        Source id in the store; defaults to ``baci-hs17-v202501-2024`` from the names.
    hs_revision:
        HS revision of the product codes (``HS17``), when the file name does not say it or
        says it wrong.
    version:
        BACI version (``202501``), to override or complete the file name.
    """
    path = Path(path)
    files = [describe(p) for p in data_files(path)]
    if hs_revision is not None:
        revision: str | None = _revision(hs_revision)
    else:
        revision = _agree((f.revision for f in files), "HS revision", files)
    if revision is None:
        raise InputError(
            "the file name does not tell the HS revision (BACI names files "
            "BACI_HS17_Y2024_V202501.csv); pass hs_revision='HS17' (or HS92, HS12, HS22, …)",
            path=path,
        )
    if version is not None:
        release: str | None = version.strip().removeprefix("V").removeprefix("v")
    else:
        release = _agree((f.version for f in files), "version", files)
    source = source_id or default_source_id(files, revision=revision, version=release, root=path)
    folder = path if path.is_dir() else path.parent
    names = country_names(folder)
    return Parsed(
        source=source,
        kind=KIND if all(f.layout == "csv" for f in files) else "baci-parquet",
        sha256=sha256_files(f.path for f in files),
        writer=make_writer(files, revision=revision, source=source, names=names),
        version=f"BACI {revision}" + (f" V{release}" if release else ""),
        path=str(path),
        licence=LICENCE,
    )


# -- the critical-materials-atlas values extract ------------------------------------------


def parse_atlas_values(
    path: Path,
    *,
    year: int,
    source_id: str,
    hs_revision: str = "HS17",
    codes: Iterable[str] | None = None,
) -> Parsed:
    """BACI values in the atlas's ``i,j,cmd,value`` layout (ISO3 countries, value in USD).

    The critical-materials-atlas ships ``baci_hs17_2022_critical30_values.csv`` (BACI
    values for 30 HS6 codes, no quantities, no year column). Rows become ``trade`` rows of
    ``year`` with ``quantity_t`` empty; ``codes`` keeps some HS6 codes. Countries are ISO3
    codes or BACI's pseudo codes (``S19`` = Taiwan); a code the catalog does not know is
    an error naming the row.
    """
    p = Path(path)
    raw = pd.read_csv(p, dtype=str, keep_default_na=False)
    missing = [c for c in ("i", "j", "cmd", "value") if c not in raw.columns]
    if missing:
        raise InputError(f"missing column(s) {missing}; expected i,j,cmd,value", path=p, row=1)
    raw["cmd"] = raw["cmd"].str.strip().str.zfill(6)
    if codes is not None:
        raw = raw[raw["cmd"].isin({str(c).zfill(6) for c in codes})]
    by_code = countries.baci_to_id()

    def cid(code: str, row: int, column: str) -> str:
        text = code.strip()
        if text in BACI_PSEUDO_ISO3:
            found = by_code.get(BACI_PSEUDO_ISO3[text])
        else:
            found = countries.find(text)
        if found is None:
            raise InputError(f"unknown country code {code!r}", path=p, row=row, column=column)
        return found

    rows = [i + 2 for i in raw.index]
    value = pd.to_numeric(raw["value"], errors="coerce")
    if value.isna().any() or (value < 0).any():
        bad = int(raw.index[(value.isna() | (value < 0)).to_numpy()][0]) + 2
        raise InputError("expected a value in USD, 0 or more", path=p, row=bad, column="value")
    trade = pd.DataFrame(
        {
            "hs6": raw["cmd"].to_numpy(),
            "hs_revision": _revision(hs_revision),
            "year": int(year),
            "exporter": [cid(c, r, "i") for c, r in zip(raw["i"], rows, strict=True)],
            "importer": [cid(c, r, "j") for c, r in zip(raw["j"], rows, strict=True)],
            "value_kusd": (value / 1000.0).to_numpy(),
            "quantity_t": None,
        }
    )
    return Parsed(
        source=source_id,
        kind="baci-atlas-values",
        sha256=sha256_files([p]),
        tables={"trade": trade},
        version=f"BACI {_revision(hs_revision)} values (critical-materials-atlas)",
        path=str(p),
        licence=LICENCE,
    )
