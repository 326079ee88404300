"""The app-state database: users, tokens, audit log, party-private records, jobs.

It is a DuckDB file (``$MINSEC_HOME/app.duckdb``), separate from the data store, which
the API only reads. Repositories (:mod:`~minsec.api.accounts`, :mod:`~minsec.api.audit`,
:mod:`~minsec.api.private`, :mod:`~minsec.api.jobs`) talk to it through
:class:`StateDB` only: plain SQL with ``?`` parameters on a :class:`Tx`, standard types,
no DuckDB-specific features, so that a PostgreSQL backend can replace this class (with
``%s`` parameters and a connection pool) without touching the repositories' logic.

A write and its audit entry go through one :meth:`StateDB.transaction`: both are
committed, or neither is.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import duckdb

from minsec.errors import MinsecError

SCHEMA_VERSION = 1


class Tx(Protocol):
    """What a repository may do inside a transaction."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run a statement."""

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a query and return all rows."""

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """Run a query and return the first row, or None."""


class _DuckTx:
    """:class:`Tx` on a DuckDB connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._con.execute(sql, list(params))

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self._con.execute(sql, list(params)).fetchall())

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        row = self._con.execute(sql, list(params)).fetchone()
        return None if row is None else tuple(row)


class StateDB:
    """The app-state database, one connection guarded by a lock (writes are small).

    Parameters
    ----------
    path:
        DuckDB file (created with its tables if missing); ``":memory:"`` for tests.
    ddl:
        ``CREATE TABLE IF NOT EXISTS`` statements of the repositories.
    """

    def __init__(self, path: Path | str, ddl: Sequence[str]) -> None:
        self.path = path
        target = str(path)
        if target != ":memory:":
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(target)
        except duckdb.IOException as exc:
            raise MinsecError(
                f"cannot open the app state {target}: {exc}. If `minsec serve` is running "
                "it holds this file; stop it first (or manage users through the API as an admin)"
            ) from exc
        self._lock = threading.RLock()
        with self.transaction() as tx:
            tx.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            for statement in ddl:
                tx.execute(statement)
            if tx.fetchone("SELECT version FROM schema_version") is None:
                tx.execute("INSERT INTO schema_version VALUES (?)", [SCHEMA_VERSION])

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """One transaction: committed when the block ends, rolled back on any error."""
        with self._lock:
            self._con.execute("BEGIN TRANSACTION")
            try:
                yield _DuckTx(self._con)
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
            else:
                self._con.execute("COMMIT")

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """A read outside an explicit transaction."""
        with self._lock:
            return list(self._con.execute(sql, list(params)).fetchall())

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """First row of a read, or None."""
        with self._lock:
            row = self._con.execute(sql, list(params)).fetchone()
        return None if row is None else tuple(row)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._con.close()
