"""The app-state database on both backends: URLs, migrations, transactions, the audit chain."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import duckdb
import pytest

from minsec.api.accounts import Accounts
from minsec.errors import InputError, MinsecError
from minsec.state import AuditLog, Principal, Role, StateDB, state_url
from minsec.state.db import redact, to_format_style
from tests.state import pgcluster

ADMIN = Principal("boot", "USA", Role.admin)
TABLES = {
    "audit",
    "users",
    "tokens",
    "stockpiles",
    "stockpile_shares",
    "jobs",
    "incidents",
    "incident_assessments",
    "incident_actions",
    "incident_decisions",
    "incident_deadlines",
    "incident_shares",
    "incident_notes",
}
HEAD = "0002"


def _tables(db: StateDB) -> set[str]:
    rows = db.fetchall(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
        ["main" if db.dialect == "duckdb" else "public"],
    )
    return {str(r[0]) for r in rows}


def test_urls() -> None:
    assert state_url("/x/app.duckdb") == "duckdb:////x/app.duckdb"
    assert state_url(":memory:") == "duckdb:///:memory:"
    assert state_url("postgresql://u@h:5/db") == "postgresql+psycopg://u@h:5/db"
    assert state_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    with pytest.raises(InputError, match="unsupported app-state URL scheme 'mysql'") as exc:
        state_url("mysql://u@h/db")
    assert exc.value.column == "MINSEC_STATE_URL"
    assert "secret" not in redact("postgresql+psycopg://u:secret@h/db")


def test_placeholders_become_format_style_outside_quotes() -> None:
    sql = "SELECT '?', \"a?\" FROM t WHERE a = ? AND b LIKE 'x%' AND c % 2 = ?"
    assert to_format_style(sql) == (
        "SELECT '?', \"a?\" FROM t WHERE a = %s AND b LIKE 'x%%' AND c %% 2 = %s"
    )


def test_migrated_on_open_and_reopened(state_target: str) -> None:
    db = StateDB(state_target)
    assert db.revision() == HEAD
    assert _tables(db) >= TABLES
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO users (name, party, role, created_at, created_by) VALUES (?, ?, ?, ?, ?)",
            ["a", "USA", "admin", dt.datetime(2026, 1, 1, 12), "t"],
        )
        assert tx.dialect == db.dialect
    db.close()
    again = StateDB(state_target)
    assert again.revision() == HEAD
    assert again.fetchall("SELECT name, created_at FROM users") == [
        ("a", dt.datetime(2026, 1, 1, 12))
    ]
    again.close()


def test_a_failed_transaction_leaves_nothing(state_target: str) -> None:
    db = StateDB(state_target)
    audit = AuditLog(db)
    with pytest.raises(RuntimeError), db.transaction() as tx:
        tx.execute(
            "INSERT INTO users (name, party, role, created_at, created_by) VALUES (?, ?, ?, ?, ?)",
            ["a", "USA", "admin", dt.datetime(2026, 1, 1), "t"],
        )
        audit.append(tx, ADMIN, "user.add", "user:a")
        raise RuntimeError("crash between write and commit")
    assert db.fetchall("SELECT * FROM users") == []
    assert db.fetchall("SELECT * FROM audit") == []
    db.close()


def test_accounts_and_the_audit_chain(state_target: str) -> None:
    db = StateDB(state_target)
    audit = AuditLog(db)
    acc = Accounts(db, audit)
    _, _, token = acc.add_user("ann", "USA", "analyst", by=ADMIN)
    acc.add_user("ken", "JPN", "viewer", by=ADMIN)
    acc.revoke("ken", by=ADMIN)
    assert [(u.name, u.active_tokens) for u in acc.users()] == [("ken", 0), ("ann", 1)]
    assert acc.authenticate(token) == Principal("ann", "USA", Role.analyst)
    assert [e.action for e in audit.entries("JPN")] == ["user.add", "token.revoke"]
    assert audit.verify() is None
    db.close()


def test_audit_appends_from_many_threads_keep_the_chain(state_target: str) -> None:
    """On PostgreSQL each thread has its own connection: the table lock orders appends."""
    db = StateDB(state_target)
    audit = AuditLog(db)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(10):
                with db.transaction() as tx:
                    audit.append(tx, Principal(f"u{n}", "USA", Role.analyst), "x", f"o:{n}:{i}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(audit.entries("USA")) == 40
    assert audit.verify() is None
    db.close()


def test_tampering_is_found(state_target: str) -> None:
    db = StateDB(state_target)
    audit = AuditLog(db)
    with db.transaction() as tx:
        for i in range(3):
            audit.append(tx, ADMIN, "x", f"o:{i}")
    with db.transaction() as tx:
        tx.execute("UPDATE audit SET detail = ? WHERE id = ?", ['{"x": 1}', 2])
    assert audit.verify() == 2
    db.close()


def test_an_app_state_made_before_migrations_is_adopted(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE users (name VARCHAR PRIMARY KEY, party VARCHAR NOT NULL, role VARCHAR "
        "NOT NULL, created_at TIMESTAMP NOT NULL, created_by VARCHAR NOT NULL)"
    )
    con.execute("INSERT INTO users VALUES ('old', 'JPN', 'admin', TIMESTAMP '2025-01-01', 'x')")
    con.close()
    db = StateDB(path)
    assert db.revision() == HEAD
    assert db.fetchall("SELECT name FROM users") == [("old",)]
    assert "incidents" in _tables(db)
    db.close()


def test_a_held_duckdb_file_is_a_clear_error(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "held.duckdb"
    StateDB(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('ok', flush=True); "
         "time.sleep(30)"],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ok"
        with pytest.raises(MinsecError, match="minsec serve"):
            StateDB(path)
    finally:
        holder.kill()
        holder.wait()


def test_missing_postgres_binaries_fail_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pgcluster, "_binaries", lambda: None)
    with pytest.raises(pytest.fail.Exception, match=r"`make test` installs them"):
        pgcluster.start_server()


def test_which_app_state_the_environment_names(tmp_path: Path) -> None:
    from minsec.api.settings import Settings
    from minsec.state.db import configured_target

    url = "postgresql://minsec@db:5432/minsec"
    both = {"MINSEC_STATE_URL": url, "MINSEC_APP_STATE": str(tmp_path / "a.duckdb")}
    assert configured_target(both) == url
    assert configured_target({"MINSEC_APP_STATE": str(tmp_path / "a.duckdb")}) == str(
        tmp_path / "a.duckdb"
    )
    assert configured_target({}).endswith("app.duckdb")
    assert Settings.from_env(both).state_target == url
    assert Settings.from_env({"MINSEC_APP_STATE": "/x/s.duckdb"}).state_target == "/x/s.duckdb"


def test_migrations_go_down_and_up(state_target: str) -> None:
    import sqlalchemy as sa
    from alembic import command
    from alembic.config import Config

    from minsec.state.db import MIGRATIONS

    StateDB(state_target).close()
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    engine = sa.create_engine(state_url(state_target))
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
        conn.commit()
        left = set(sa.inspect(conn).get_table_names())
    assert "incidents" not in left
    assert {"users", "audit", "jobs"} <= left  # the tables that predate migrations stay
    engine.dispose()
    db = StateDB(state_target)  # upgraded again on open
    assert db.revision() == HEAD
    assert _tables(db) >= TABLES
    db.close()


def test_an_app_state_at_0001_upgrades_its_private_notes(state_target: str) -> None:
    """A private note of 0001 (a flag on the incident) becomes a note record of its party."""
    import sqlalchemy as sa
    from alembic import command
    from alembic.config import Config

    from minsec.respond import Incidents
    from minsec.state.db import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    engine = sa.create_engine(state_url(state_target))
    at = dt.datetime(2026, 1, 2, 3, 4)
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.commit()
        for iid, note, private in (
            ("inc_private", "US secret note", True),
            ("inc_public", "public line", False),
            ("inc_none", None, True),
        ):
            conn.execute(
                sa.text(
                    "INSERT INTO incidents (id, title, description, origin, exporter, "
                    "commodities, targets, partners, responses, parameters, status, "
                    "owner_party, note, note_private, version, created_at, created_by, "
                    "updated_at, updated_by) VALUES (:id, 'China licenses graphite', '', "
                    "'event', 'CHN', '[\"graphite\"]', 'null', '[\"USA\", \"JPN\"]', '[]', "
                    "'{}', 'open', 'USA', :note, :private, 2, :at, 'ann', :at, 'ann')"
                ),
                {"id": iid, "note": note, "private": private, "at": at},
            )
        conn.exec_driver_sql(
            "INSERT INTO incident_shares (object_id, party) VALUES "
            "('inc_private#note', 'KOR'), ('inc_public#note', 'CAN')"
        )
        conn.commit()
    engine.dispose()

    db = StateDB(state_target)  # upgraded on open
    try:
        assert db.revision() == HEAD
        cols = {
            str(r[0])
            for r in db.fetchall(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
                ["incidents"],
            )
        }
        assert "note_private" not in cols
        assert db.fetchall("SELECT object_id, party FROM incident_shares") == [
            ("note_inc_private", "KOR")
        ]
        incidents = Incidents(db, AuditLog(db))
        for party in ("USA", "JPN", "KOR"):
            inc = incidents.get(party, "inc_private")
            assert (inc.note, inc.version) == (None, 2)
        assert incidents.get("JPN", "inc_public").note == "public line"
        (note,) = incidents.notes.visible("USA", "inc_private")
        assert (note.id, note.party, note.text, note.version) == (
            "note_inc_private", "USA", "US secret note", 1
        )  # fmt: skip
        assert (note.shared_with, note.updated_at, note.updated_by) == (("KOR",), at, "ann")
        assert [n.text for n in incidents.notes.visible("KOR", "inc_private")] == ["US secret note"]
        assert incidents.notes.visible("JPN", "inc_private") == []
        assert "US secret note" not in str(incidents.detail("JPN", "inc_private"))
        assert incidents.notes.visible("USA", "inc_none") == []
        # the migrated note is written like any other: from its version
        after = incidents.notes.set(ADMIN, "inc_private", "revised", version=1)
        assert (after.version, incidents.get("JPN", "inc_private").version) == (2, 2)
    finally:
        db.close()

    # and back: the owner party's note returns to its incident, with its share list
    engine = sa.create_engine(state_url(state_target))
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
        conn.commit()
        rows = conn.exec_driver_sql(
            "SELECT id, note, note_private FROM incidents ORDER BY id"
        ).fetchall()
        shares = conn.exec_driver_sql("SELECT object_id, party FROM incident_shares").fetchall()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("inc_none", None, False),
        ("inc_private", "revised", True),
        ("inc_public", "public line", False),
    ]
    assert [tuple(r) for r in shares] == [("inc_private#note", "KOR")]
