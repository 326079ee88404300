"""Kill ``minsec serve`` in the middle of writes: after a restart, state and audit agree.

The server runs as a subprocess on a free port of 127.0.0.1; three clients create
incidents and actions as fast as it answers; it is killed with SIGKILL while requests are
in flight, then restarted. Every write acknowledged (201) must be there; every incident and
action must have its audit entry and every audit entry its record (they are written in one
transaction); the hash chain must verify; the restarted server must take new writes.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from minsec.api.accounts import Accounts
from minsec.state import AuditLog, Principal, Role, StateDB
from tests.state.pgcluster import BACKENDS, postgres_server

__all__ = ["postgres_server"]

pytestmark = pytest.mark.default_data

BOOT = Principal("crash-test", "USA", Role.admin)
MINSEC = Path(sys.executable).with_name("minsec")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``minsec serve`` in a subprocess."""

    def __init__(self, state: str, store: Path, home: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "MINSEC_HOME": str(home)}
        self.proc = subprocess.Popen(
            [str(MINSEC), "serve", "--port", str(self.port), "--state", state, "--store",
             str(store), "--no-access-log"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise AssertionError(f"minsec serve exited with {self.proc.returncode}: {err}")
            try:
                if httpx.get(self.base + "/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.kill()
        raise AssertionError("minsec serve did not answer /health within 60 s")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM and wait."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


@pytest.fixture(params=BACKENDS)
def state_and_tokens(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[str, dict[str, str]]]:
    if request.param == "postgresql":
        target = request.getfixturevalue("postgres_server").create_database()
    else:
        target = str(tmp_path / "app.duckdb")
    db = StateDB(target)
    acc = Accounts(db, AuditLog(db))
    tokens = {
        party: acc.add_user(f"crash-{party.lower()}", party, "analyst", by=BOOT)[2]
        for party in ("USA", "JPN")
    }
    db.close()
    yield target, tokens


def _writer(base: str, token: str, stop: threading.Event, acked: list[tuple[str, str]]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
        n = 0
        while not stop.is_set():
            n += 1
            try:
                r = client.post(
                    "/api/v1/incidents",
                    json={"title": f"crash {n}", "event": {
                        "exporter": "China", "commodities": ["gallium"],
                        "effective_date": "2026-01-01"}},
                )  # fmt: skip
                if r.status_code != 201:
                    continue
                iid = r.json()["id"]
                acked.append(("incident", iid))
                r = client.post(
                    f"/api/v1/incidents/{iid}/actions",
                    json={"kind": "diplomatic", "title": f"call {n}"},
                )
                if r.status_code == 201:
                    acked.append(("action", r.json()["id"]))
            except httpx.TransportError:
                return


def test_kill_during_writes_leaves_a_consistent_state(
    state_and_tokens: tuple[str, dict[str, str]], tmp_path: Path, default_store_path: Path
) -> None:
    target, tokens = state_and_tokens
    server = Server(target, default_store_path, tmp_path / "home")
    stop = threading.Event()
    acked: list[tuple[str, str]] = []
    workers = [
        threading.Thread(target=_writer, args=(server.base, tokens[p], stop, acked))
        for p in ("USA", "JPN", "USA")
    ]
    try:
        for w in workers:
            w.start()
        deadline = time.monotonic() + 60
        while len(acked) < 40 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(acked) >= 40, "the server took too few writes before the kill"
        server.kill()  # requests are in flight
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=30)
        server.kill()

    # restart: it answers, lists what was written, and takes new writes
    again = Server(target, default_store_path, tmp_path / "home")
    try:
        headers = {"Authorization": f"Bearer {tokens['JPN']}"}
        listed = httpx.get(again.base + "/api/v1/incidents", headers=headers, timeout=30)
        assert listed.status_code == 200
        r = httpx.post(
            again.base + "/api/v1/incidents",
            headers=headers,
            json={"title": "after restart", "event": {
                "exporter": "China", "commodities": ["gallium"],
                "effective_date": "2026-01-01"}},
            timeout=30,
        )  # fmt: skip
        assert r.status_code == 201, r.text
    finally:
        again.stop()

    db = StateDB(target)
    try:
        audit = AuditLog(db)
        assert audit.verify() is None, "the audit hash chain breaks"
        incidents = {str(r[0]) for r in db.fetchall("SELECT id FROM incidents")}
        actions = {str(r[0]) for r in db.fetchall("SELECT id FROM incident_actions")}
        rows = db.fetchall(
            "SELECT count(*) FROM incidents WHERE title IS NULL OR version < 1 OR "
            "commodities IS NULL OR owner_party IS NULL"
        )
        assert rows == [(0,)], "a half-written incident"
        opened = {
            str(r[0]).removeprefix("incident:")
            for r in db.fetchall("SELECT object FROM audit WHERE action = 'incident.open'")
        }
        added = {
            str(r[0]).rsplit("/action:", 1)[1]
            for r in db.fetchall("SELECT object FROM audit WHERE action = 'action.add'")
        }
        assert incidents == opened, "an incident without its audit entry, or the reverse"
        assert actions == added, "an action without its audit entry, or the reverse"
        for kind, oid in acked:
            assert oid in (incidents if kind == "incident" else actions), f"lost {kind} {oid}"
        assert len(incidents) == len(listed.json()["data"]) + 1
        orphans = db.fetchall(
            "SELECT count(*) FROM incident_actions a WHERE NOT EXISTS "
            "(SELECT 1 FROM incidents i WHERE i.id = a.incident_id)"
        )
        assert orphans == [(0,)]
    finally:
        db.close()
