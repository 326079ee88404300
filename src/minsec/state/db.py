"""The app-state database behind one small interface, on DuckDB or PostgreSQL.

Repositories (accounts, audit, private records, jobs, incidents) talk to it through
:class:`StateDB` only: plain SQL with ``?`` parameters on a :class:`Tx`, standard types
(``VARCHAR``, ``BIGINT``, ``INTEGER``, ``DOUBLE PRECISION``, ``BOOLEAN``, ``DATE``,
``TIMESTAMP``), no engine-specific syntax. :class:`StateDB` runs that SQL on a SQLAlchemy 2
engine chosen by a URL:

* ``duckdb:///path/app.duckdb`` (default: ``$MINSEC_HOME/app.duckdb``; a plain path means
  the same) — the embedded database, through ``duckdb-engine``. One process holds the file;
  one connection serves all threads, guarded by a lock (writes are small).
* ``postgresql://user@host:port/db`` (``postgresql+psycopg://`` is the same) — a server
  shared by several API processes and the CLI, through psycopg 3 and a connection pool;
  ``?`` becomes ``%s`` on the way to the driver.

The schema is created and upgraded by the Alembic revisions in ``minsec/state/migrations``,
applied when the database is opened (``alembic upgrade head`` in code, under an advisory
lock on PostgreSQL so that two processes starting together do not race).

A write and its audit entry go through one :meth:`StateDB.transaction`: both are committed,
or neither is.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from alembic.ddl.impl import DefaultImpl
from sqlalchemy.engine import Connection, Engine

from minsec.errors import InputError, MinsecError

MIGRATIONS = Path(__file__).with_name("migrations")
"""Folder of the Alembic environment and revisions shipped with minsec."""

_MIGRATION_LOCK = 72_670_001
"""Key of the PostgreSQL advisory lock taken while migrating."""


class _DuckDBAlembicImpl(DefaultImpl):
    """Alembic's DDL implementation for the ``duckdb`` dialect (registered by subclassing)."""

    __dialect__ = "duckdb"
    transactional_ddl = True


class Tx(Protocol):
    """What a repository may do inside a transaction."""

    @property
    def dialect(self) -> str:
        """``duckdb`` or ``postgresql``."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run a statement."""

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a query and return all rows."""

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """Run a query and return the first row, or None."""


def to_format_style(sql: str) -> str:
    """``?`` placeholders → ``%s`` (and a literal ``%`` → ``%%``), outside quoted text."""
    out: list[str] = []
    quote: str | None = None
    for ch in sql:
        if quote is not None:
            out.append("%%" if ch == "%" else ch)
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append("%s")
        elif ch == "%":
            out.append("%%")
        else:
            out.append(ch)
    return "".join(out)


class _SATx:
    """:class:`Tx` on a SQLAlchemy connection."""

    def __init__(self, conn: Connection, dialect: str) -> None:
        self._conn = conn
        self._dialect = dialect

    @property
    def dialect(self) -> str:
        return self._dialect

    def _run(self, sql: str, params: Sequence[Any]) -> sa.CursorResult[Any]:
        if not params:
            return self._conn.exec_driver_sql(sql)
        if self._dialect == "postgresql":
            sql = to_format_style(sql)
        return self._conn.exec_driver_sql(sql, tuple(params))

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._run(sql, params)

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self._run(sql, params).fetchall()]

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        row = self._run(sql, params).fetchone()
        return None if row is None else tuple(row)


def state_url(target: Path | str) -> str:
    """The SQLAlchemy URL for a path (a DuckDB file), ``:memory:`` or a URL.

    ``postgresql://`` and ``postgres://`` become ``postgresql+psycopg://`` (psycopg 3).
    """
    text = str(target).strip()
    if "://" not in text:
        if text != ":memory:":
            text = str(Path(text).expanduser())
        return f"duckdb:///{text}"
    scheme, rest = text.split("://", 1)
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return f"postgresql+psycopg://{rest}"
    if scheme == "duckdb":
        return text
    raise InputError(
        f"unsupported app-state URL scheme {scheme!r}",
        column="MINSEC_STATE_URL",
        hint="duckdb:///PATH (default) or postgresql://USER@HOST:PORT/DB",
    )


def configured_target(env: Mapping[str, str] | None = None) -> str:
    """The app state the environment names (a URL or a DuckDB file path).

    ``MINSEC_STATE_URL``, else ``MINSEC_APP_STATE`` (a file), else ``$MINSEC_HOME/app.duckdb``.
    """
    from minsec import config

    e = os.environ if env is None else env
    url = (e.get("MINSEC_STATE_URL") or "").strip()
    if url:
        return url
    path = (e.get("MINSEC_APP_STATE") or "").strip()
    return str(Path(path).expanduser()) if path else str(config.home() / "app.duckdb")


def redact(url: str) -> str:
    """The URL without its password (for messages and logs)."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<invalid URL>"


def _engine(url: str) -> Engine:
    if url.startswith("duckdb:"):
        path = url.removeprefix("duckdb:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return sa.create_engine(url, poolclass=sa.pool.StaticPool)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise MinsecError(
            "a PostgreSQL app state needs psycopg: pip install 'minsec[postgres]'"
        ) from None
    return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def migrate(conn: Connection) -> None:
    """Upgrade the schema on ``conn`` to the newest revision (``alembic upgrade head``)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


class StateDB:
    """The app-state database for a URL or a DuckDB path; migrated to the newest schema.

    Parameters
    ----------
    target:
        A SQLAlchemy URL (``duckdb:///…``, ``postgresql://…``), a DuckDB file path (created
        if missing), or ``":memory:"`` for a throwaway DuckDB database.
    """

    def __init__(self, target: Path | str) -> None:
        self.url = state_url(target)
        self.path = target
        self.engine = _engine(self.url)
        self.dialect = str(self.engine.dialect.name)
        self._lock = threading.RLock()
        self._conn: Connection | None = None
        try:
            if self.dialect == "duckdb":
                self._conn = self.engine.connect()
                migrate(self._conn)
                self._conn.commit()
            else:
                with self.engine.connect() as conn:
                    conn.exec_driver_sql(f"SELECT pg_advisory_lock({_MIGRATION_LOCK})")
                    conn.commit()
                    try:
                        migrate(conn)
                        conn.commit()
                    finally:
                        conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_MIGRATION_LOCK})")
                        conn.commit()
        except sa.exc.DBAPIError as exc:
            self.engine.dispose()
            hint = ""
            if self.dialect == "duckdb":
                hint = (
                    ". If `minsec serve` is running it holds this file; stop it first (or "
                    "work through the API, or use a PostgreSQL app state for several users)"
                )
            raise MinsecError(
                f"cannot open the app state {redact(self.url)}: {exc.orig or exc}{hint}"
            ) from exc

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        if self._conn is not None:
            with self._lock:
                yield self._conn
        else:
            with self.engine.connect() as conn:
                yield conn

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """One transaction: committed when the block ends, rolled back on any error."""
        with self._connection() as conn:
            if conn.in_transaction():
                # re-entrant use by the thread that holds the lock: join its transaction
                yield _SATx(conn, self.dialect)
                return
            with conn.begin():
                yield _SATx(conn, self.dialect)

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """A read in a transaction of its own."""
        with self.transaction() as tx:
            return tx.fetchall(sql, params)

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """First row of a read, or None."""
        with self.transaction() as tx:
            return tx.fetchone(sql, params)

    def revision(self) -> str | None:
        """The schema revision the database is at (Alembic's ``alembic_version``)."""
        row = self.fetchone("SELECT version_num FROM alembic_version")
        return None if row is None else str(row[0])

    def close(self) -> None:
        """Close the connection(s)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self.engine.dispose()
