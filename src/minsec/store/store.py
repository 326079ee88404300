"""The embedded DuckDB store: tidy tables, transactional imports, provenance.

Every import runs in one transaction: it replaces all rows of its source id in every
table and records a provenance row, or it changes nothing at all. Importing a file whose
checksum is already recorded for that source is a no-op.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from minsec import config
from minsec.errors import InputError, MinsecError
from minsec.store import schema

Writer = Callable[[duckdb.DuckDBPyConnection], dict[str, int]]


@dataclass
class ImportResult:
    """What an import did."""

    source: str
    rows: dict[str, int] = field(default_factory=dict)
    skipped: bool = False

    @property
    def total(self) -> int:
        """Rows written over all tables."""
        return sum(self.rows.values())


_INTEGER_TYPES = {"INTEGER", "BIGINT"}


def _coerce(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Check ``frame`` against the schema of ``table`` and return it with schema columns."""
    cols = schema.tables()[table]
    names = [c.name for c in cols]
    unknown = [c for c in frame.columns if c not in names]
    if unknown:
        raise InputError(f"table {table!r} has no column(s) {unknown}; expected some of {names}")
    out = pd.DataFrame(index=frame.index)
    for c in cols:
        if c.name not in frame.columns:
            if not c.nullable:
                raise InputError(f"table {table!r} needs column {c.name!r}", column=c.name)
            values = pd.Series([None] * len(frame), index=frame.index, dtype="object")
        else:
            values = frame[c.name]
        if not c.nullable and values.isna().any():
            bad = int(values.isna().to_numpy().nonzero()[0][0])
            raise InputError(
                f"table {table!r}, column {c.name!r} is empty in record {bad + 1}; "
                "a value is required",
                column=c.name,
            )
        if c.type == "DOUBLE":
            values = pd.to_numeric(values, errors="raise").astype("float64")
        elif c.type in _INTEGER_TYPES:
            values = pd.to_numeric(values, errors="raise").astype("Int64")
        elif c.type == "VARCHAR":
            values = values.astype("object").where(values.notna(), None)
            values = values.map(lambda v: v if v is None else str(v))
        out[c.name] = values
    return out


class Store:
    """A minsec data store in one DuckDB file.

    Parameters
    ----------
    path:
        DuckDB file; defaults to ``$MINSEC_HOME/minsec.duckdb``. ``":memory:"`` for tests.
    read_only:
        Open without write access (several readers may share the file).
    """

    def __init__(self, path: Path | str | None = None, *, read_only: bool = False) -> None:
        where = config.store_location() if path is None else None
        self.path: Path | str = where.path if where is not None else (path or ":memory:")
        target = str(self.path)
        if read_only and target != ":memory:" and not Path(target).exists():
            chosen = f" (chosen by {where.reason})" if where is not None else ""
            raise MinsecError(
                f"no store at {target}{chosen}: run `minsec data fetch` (default data) or "
                "`minsec data import SOURCE PATH` first, or point MINSEC_HOME at the "
                "directory that holds minsec.duckdb (`make demo` keeps it in ./.minsec)"
            )
        self.con = duckdb.connect(target, read_only=read_only)
        if not read_only:
            try:
                self.ensure_schema()
            except BaseException:
                self.con.close()
                raise

    # -- lifecycle -------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection."""
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def ensure_schema(self) -> None:
        """Create missing tables and add missing columns (idempotent, one transaction).

        A store written by an older minsec gains the columns added to the schema since
        (nullable ones as NULL in existing rows); a missing NOT NULL column can be added only
        while its table is empty, otherwise a clear error says how to rebuild the store.
        """
        with self.transaction() as con:
            for table, cols in schema.tables().items():
                con.execute(schema.ddl(table))
                have = {
                    str(r[0])
                    for r in con.execute(
                        "SELECT column_name FROM information_schema.columns "
                        "WHERE table_name = ? AND table_schema = current_schema()",
                        [table],
                    ).fetchall()
                }
                for c in cols:
                    if c.name in have:
                        continue
                    if not c.nullable:
                        rows = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()
                        if rows is not None and rows[0] > 0:
                            raise MinsecError(
                                f"the store {self.path} predates column {table}.{c.name} "
                                "(NOT NULL) and holds rows: it cannot be upgraded in place. "
                                "Move it aside and run `minsec data fetch` / re-import."
                            )
                    null = "" if c.nullable else " NOT NULL"
                    con.execute(f'ALTER TABLE "{table}" ADD COLUMN "{c.name}" {c.type}{null}')

    def existing_tables(self) -> set[str]:
        """Tables the store holds (a store written by an older minsec may lack new ones)."""
        rows = self.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchall()
        return {str(r[0]) for r in rows}

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Run a block in one transaction; roll back on any error."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        else:
            self.con.execute("COMMIT")

    # -- imports ---------------------------------------------------------------------
    def imported_sha256(self, source: str) -> str | None:
        """Checksum recorded for ``source``, or None when it was never imported."""
        row = self.con.execute(
            "SELECT sha256 FROM provenance WHERE source = ?", [source]
        ).fetchone()
        return None if row is None else str(row[0])

    def is_imported(self, source: str, sha256: str, version: str | None = None) -> bool:
        """True when ``source`` was imported from the same file by the same parser version."""
        row = self.con.execute(
            "SELECT sha256, version FROM provenance WHERE source = ?", [source]
        ).fetchone()
        return row is not None and row[0] == sha256 and (version is None or row[1] == version)

    def write_source(
        self,
        *,
        source: str,
        kind: str,
        sha256: str,
        tables: dict[str, pd.DataFrame] | None = None,
        writer: Writer | None = None,
        version: str | None = None,
        path: str | None = None,
        licence: str | None = None,
        force: bool = False,
    ) -> ImportResult:
        """Replace everything of ``source`` by new data, in one transaction.

        ``tables`` maps table names to frames with schema columns (``source`` is filled in).
        ``writer`` is called inside the transaction for imports that stream with SQL; it
        returns rows written per table. A source whose checksum is already recorded is
        skipped unless ``force``.
        """
        if not force and self.is_imported(source, sha256, version):
            return ImportResult(source=source, skipped=True)
        prepared = {}
        for name, frame in (tables or {}).items():
            prepared[name] = _coerce(name, frame.assign(source=source))
        result = ImportResult(source=source)
        try:
            with self.transaction() as con:
                for table in schema.tables():
                    if table != "provenance":
                        con.execute(f'DELETE FROM "{table}" WHERE source = ?', [source])
                con.execute("DELETE FROM provenance WHERE source = ?", [source])
                for name, frame in prepared.items():
                    con.register("_incoming", frame)
                    cols = ", ".join(f'"{c}"' for c in frame.columns)
                    con.execute(f'INSERT INTO "{name}" ({cols}) SELECT {cols} FROM _incoming')
                    con.unregister("_incoming")
                    result.rows[name] = result.rows.get(name, 0) + len(frame)
                if writer is not None:
                    for name, n in writer(con).items():
                        result.rows[name] = result.rows.get(name, 0) + n
                tables_text = ";".join(f"{k}={v}" for k, v in sorted(result.rows.items()))
                con.execute(
                    "INSERT INTO provenance VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        source,
                        kind,
                        version,
                        path,
                        sha256,
                        result.total,
                        tables_text,
                        licence,
                        dt.datetime.now(dt.UTC).replace(tzinfo=None),
                    ],
                )
        except duckdb.IOException as exc:
            raise MinsecError(
                f"could not write the store {self.path} ({exc}); nothing was imported — "
                "check free disk space and permissions"
            ) from exc
        return result

    # -- reading ---------------------------------------------------------------------
    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run SQL and return a data frame."""
        return self.con.execute(sql, params or []).df()

    def table(self, name: str) -> pd.DataFrame:
        """A whole table as a data frame."""
        if name not in schema.tables():
            raise InputError(f"no table {name!r}; tables are {sorted(schema.tables())}")
        return self.query(f'SELECT * FROM "{name}"')

    def status(self) -> pd.DataFrame:
        """One row per imported source: kind, version, rows per table, checksum, time."""
        return self.query(
            "SELECT source, kind, version, rows, tables, sha256, licence, imported_at, path "
            "FROM provenance ORDER BY source"
        )

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        return {
            t: int(self.con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0])  # type: ignore[index]
            for t in schema.tables()
        }
