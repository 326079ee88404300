"""A throwaway local PostgreSQL server for the tests that run on both backends.

:func:`postgres_server` (session fixture) runs ``initdb`` and ``pg_ctl`` from Debian's
``postgresql`` package into a temporary folder (as the ``postgres`` user when the tests
run as root, since PostgreSQL refuses to run as root), listening on a free port of
127.0.0.1 with trust authentication, and stops it at the end of the session. Each xdist
worker that needs it starts its own (the PG tests are in the ``postgres`` xdist group, so
normally one worker does). :func:`postgres_url` gives each test a fresh database.

When the binaries are missing the tests FAIL (they do not skip): ``make test`` installs them
(scripts/system-deps.sh).
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

MISSING = (
    "PostgreSQL server binaries (initdb, pg_ctl) are not installed; `make test` installs them "
    "(apt-get install -y postgresql, as root) — or install that package, or set "
    "MINSEC_PG_BINDIR to a directory with initdb and pg_ctl, to run the PostgreSQL half of "
    "the state tests"
)


def _binaries() -> Path | None:
    env = os.environ.get("MINSEC_PG_BINDIR")
    if env:
        return Path(env)
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return found[-1].parent
    which = shutil.which("initdb")
    return Path(which).resolve().parent if which else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    """A running server: its port, the admin URL and how to make fresh databases."""

    port: int
    data: Path
    bindir: Path

    def url(self, database: str = "postgres") -> str:
        """URL of ``database`` as the ``postgres`` superuser (trust auth)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; its URL."""
        import psycopg

        name = "minsec_" + secrets.token_hex(6)
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def start_server() -> tuple[PgServer, Path]:
    """Start a server in a new temporary folder (the caller stops it with :func:`stop`)."""
    bindir = _binaries()
    if bindir is None:
        pytest.fail(MISSING, pytrace=False)
    if os.geteuid() == 0:
        import pwd

        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail(
                "tests run as root need the `postgres` system user to run PostgreSQL; " + MISSING,
                pytrace=False,
            )
    root = Path(tempfile.mkdtemp(prefix="minsec-pg-"))
    data = root / "data"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(data, "postgres")
        root.chmod(0o755)
    subprocess.run(
        _as_postgres(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        ),
        check=True,
        capture_output=True,
    )
    for _ in range(5):
        port = _free_port()
        opts = (
            f"-p {port} -c listen_addresses=127.0.0.1 -k {root} -c fsync=off "
            "-c full_page_writes=off -c max_connections=50"
        )
        started = subprocess.run(
            _as_postgres(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    opts,
                    "-l",
                    str(root / "log"),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            ),
            check=False,
            capture_output=True,
        )
        if started.returncode == 0:
            return PgServer(port, data, bindir), root
        time.sleep(0.2)
    log = (root / "log").read_text(errors="replace") if (root / "log").exists() else ""
    raise RuntimeError(f"PostgreSQL did not start: {started.stderr!r}\n{log[-2000:]}")


def stop(server: PgServer, root: Path) -> None:
    """Stop the server and remove its folder."""
    subprocess.run(
        _as_postgres(
            [str(server.bindir / "pg_ctl"), "-D", str(server.data), "-m", "immediate", "stop"]
        ),
        check=False,
        capture_output=True,
    )
    shutil.rmtree(root, ignore_errors=True)


_RUNNING: list[tuple[PgServer, Path]] = []


def shared_server() -> PgServer:
    """The server of this process, started on first use and stopped when the process ends.

    One per process (so one per xdist worker), whichever test folder asks for it first.
    """
    if not _RUNNING:
        server, root = start_server()
        _RUNNING.append((server, root))
        atexit.register(stop, server, root)
    return _RUNNING[0][0]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PgServer]:
    """A PostgreSQL server for this test session (per xdist worker), stopped at the end."""
    yield shared_server()
    while _RUNNING:
        server, root = _RUNNING.pop()
        stop(server, root)


BACKENDS = ["duckdb", pytest.param("postgresql", marks=pytest.mark.xdist_group("postgres"))]
"""Parameters of :func:`state_url`: every workflow test runs on both backends."""


@pytest.fixture(params=BACKENDS)
def state_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty app state: a DuckDB file, or a fresh database on the test server."""
    if request.param == "duckdb":
        return str(tmp_path / "app.duckdb")
    server: PgServer = request.getfixturevalue("postgres_server")
    return server.create_database()
