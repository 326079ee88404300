"""``minsec incidents …`` and ``minsec clocks`` on both backends, as a user runs them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.cli_helpers import run_cli

pytestmark = pytest.mark.default_data


def test_incident_workflow_from_the_shell(
    capsys: pytest.CaptureFixture[str], state_target: str, default_store_path: Path
) -> None:
    st = ["--state", state_target]

    def cli(*args: str) -> tuple[int, str, str]:
        res = run_cli(capsys, *args, *st)
        return res.code, res.out, res.err

    for name, party in (("ann", "USA"), ("ken", "JPN")):
        code, _, err = cli("users", "add", name, "--party", party, "--role", "analyst")
        assert code == 0, err
    code, _, err = cli("users", "add", "vic", "--party", "USA")
    assert code == 0, err

    code, out, err = cli(
        "incidents", "create", "--as", "ann", "--title", "China licenses graphite",
        "--exporter", "China", "-c", "graphite", "--effective", "2025-12-01",
        "--fraction", "0.5", "--due", "2026-01-15", "--note", "hold", "--private-note",
        "-f", "json",
    )  # fmt: skip
    assert code == 0, err
    inc = json.loads(out)
    iid = inc["id"]
    assert (inc["exporter"], inc["version"], inc["note"]) == ("CHN", 1, None)
    assert "note_private" not in inc
    assert f"minsec incidents assess {iid}" in err
    assert "private note" in err

    code, out, err = cli("incidents", "assess", iid, "--as", "ken", "--store",
                         str(default_store_path), "-f", "csv")  # fmt: skip
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["party"] for r in rows} == {"USA", "JPN", "like-minded"}
    assert "assessment 1" in err
    # the assessment did not change the incident's version: an edit from version 1 works
    code, _, err = cli("incidents", "update", iid, "--as", "ann", "--version", "1",
                       "--baseline-year", "2022")  # fmt: skip
    assert code == 0, err
    code, out, _ = cli("incidents", "list", "--as", "ken", "--today", "2026-01-01", "-f", "csv")
    row = next(csv.DictReader(io.StringIO(out)))
    assert (row["id"], row["assessment_seq"], row["assessment_stale"]) == (iid, "1", "True")
    assert row["stale_reasons"] == "the baseline year changed (2024 → 2022)"
    assert row["overdue_items"] == "0"
    code, out, _ = cli("incidents", "list", "--as", "ken", "--today", "2026-01-16", "-f", "json")
    assert json.loads(out)["data"][0]["overdue_items"] == 1  # the incident's own due date
    code, out, err = cli("incidents", "reassess", "--as", "ken", "--store",
                         str(default_store_path), "-f", "csv")  # fmt: skip
    assert code == 0, err
    redone = list(csv.DictReader(io.StringIO(out)))
    assert [(r["incident_id"], r["seq"], r["baseline_year"]) for r in redone] == [
        (iid, "2", "2022")
    ]
    assert redone[0]["reason"] == "the baseline year changed (2024 → 2022)"

    code, out, err = cli(
        "incidents", "action", "add", iid, "--as", "ken", "--kind", "stockpile_release",
        "--title", "JOGMEC release", "--param", "commodity=graphite", "--param", "tonnes=500",
        "--due", "2026-01-10", "--private", "-f", "json",
    )  # fmt: skip
    assert code == 0, err
    action = json.loads(out)
    assert action["params"] == {"commodity": "graphite", "tonnes": 500.0}
    code, out, err = cli("incidents", "action", "set", action["id"], "--as", "ken",
                         "--version", "1", "--status", "agreed", "-f", "json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["version"] == 2
    code, _, err = cli("incidents", "action", "set", action["id"], "--as", "ken",
                       "--version", "1", "--status", "done")  # fmt: skip
    assert code == 2
    assert "changed by someone else" in err

    code, out, err = cli(
        "incidents", "decide", iid, "--as", "ann", "--summary", "coordinate releases",
        "--rationale", "shortfall above 10 %", "--decided-by", "the co-leads", "-f", "json",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["decided_by"] == "the co-leads"

    # Japan writes a private note of its own; it changes nothing on the incident
    code, out, _ = cli("incidents", "show", iid, "--as", "ann", "-f", "json")
    before = json.loads(out)
    code, out, err = cli("incidents", "note", iid, "--as", "ken", "--text", "JP line",
                         "-f", "json")  # fmt: skip
    assert code == 0, err
    jp_note = json.loads(out)
    assert (jp_note["party"], jp_note["version"], jp_note["text"]) == ("JPN", 1, "JP line")
    code, _, err = cli("incidents", "note", iid, "--as", "ken", "--text", "again")
    assert code == 2
    assert "already has a private note" in err
    code, out, err = cli("incidents", "note", iid, "--as", "ken", "--text", "JP line 2",
                         "--version", "1", "-f", "json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["version"] == 2

    # the private notes and the private action exist only for their parties
    code, out, _ = cli("incidents", "show", iid, "--as", "ken", "-f", "json")
    jp = json.loads(out)
    assert jp["note"] is None
    assert "hold" not in out
    assert [(n["party"], n["text"]) for n in jp["private_notes"]] == [("JPN", "JP line 2")]
    assert [a["id"] for a in jp["actions"]] == [action["id"]]
    code, out, _ = cli("incidents", "show", iid, "--as", "ann", "-f", "json")
    us = json.loads(out)
    assert "JP line" not in out
    assert (us["note"], us["actions"], us["assessment"]["seq"]) == (None, [], 2)
    assert [(n["party"], n["text"]) for n in us["private_notes"]] == [("USA", "hold")]
    assert (us["version"], us["updated_at"]) == (before["version"], before["updated_at"])
    code, out, err = cli("incidents", "show", iid, "--as", "ann")
    assert code == 0, err
    assert "Private notes" in out and "hold" in out

    code, out, _ = cli("incidents", "list", "--as", "ann", "--overdue", "--today",
                       "2026-01-20", "-f", "csv")  # fmt: skip
    assert code == 0
    assert [r["id"] for r in csv.DictReader(io.StringIO(out))] == [iid]
    code, out, _ = cli("incidents", "list", "--as", "ann", "--overdue", "--today",
                       "2026-01-01", "-f", "csv")  # fmt: skip
    assert list(csv.DictReader(io.StringIO(out))) == []

    code, out, _ = cli("clocks", "--as", "ken", "--overdue", "--today", "2026-04-27", "-f", "csv")
    clocks = {r["id"]: r for r in csv.DictReader(io.StringIO(out))}
    assert set(clocks) == {"framework:ministerial", action["id"], f"incident:{iid}"}
    assert clocks["framework:ministerial"]["due_date"] == "2026-04-26"
    code, _, err = cli("incidents", "deadline", "met", "framework:ministerial", "--as", "ken")
    assert code == 0, err

    code, _, err = cli("incidents", "update", iid, "--as", "vic", "--version", "4",
                       "--title", "x")  # fmt: skip
    assert code == 2
    assert "analyst" in err
    code, _, err = cli("incidents", "close", iid, "--as", "ann", "--reason", "resolved")
    assert code == 0, err
    code, out, _ = cli("incidents", "history", iid, "--as", "ann", "-f", "csv")
    actions = [r["action"] for r in csv.DictReader(io.StringIO(out))]
    assert actions == [
        "incident.open", "note.set", "incident.update", "decision.record", "incident.close"
    ]  # fmt: skip
    code, out, _ = cli("incidents", "history", iid, "--as", "ken", "-f", "csv")
    assert "hold" not in out
    jp_history = [(r["action"], r["object"]) for r in csv.DictReader(io.StringIO(out))]
    assert ("note.set", f"incident:{iid}/note:{jp_note['id']}") in jp_history
    assert [a for a, _ in jp_history].count("note.set") == 2
    code, _, err = cli("incidents", "list", "--as", "nobody")
    assert code == 2
    assert "no user 'nobody'" in err


def test_create_needs_one_origin(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    state = str(tmp_path / "app.duckdb")
    run_cli(capsys, "users", "add", "ann", "--party", "USA", "--role", "analyst", "--state", state)
    res = run_cli(capsys, "incidents", "create", "--as", "ann", "--state", state)
    assert res.code == 2
    assert "exactly one of an event" in res.err
    res = run_cli(capsys, "incidents", "create", "--as", "ann", "--state", state,
                  "--scenario", "china-graphite-2023", "-f", "json")  # fmt: skip
    assert res.code == 0, res.err
    assert json.loads(res.out)["scenario_name"] == "china-graphite-2023"


def test_no_command_changes_or_deletes_audit_entries_or_incidents() -> None:
    """The audit log is read-only in every interface; incidents are closed, not deleted."""
    from typing import Any

    import typer

    from minsec.cli import app

    def paths(cmd: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
        out = [prefix]
        if hasattr(cmd, "commands"):
            for name, sub in cmd.commands.items():
                out.extend(paths(sub, (*prefix, name)))
        return out

    every = paths(typer.main.get_command(app))
    assert ("incidents", "close") in every
    assert ("clocks",) in every
    for path in every:
        words = set(path)
        assert not words & {"delete", "remove", "rm", "purge", "drop", "edit-audit"}, path
        if "audit" in words or "history" in words:
            assert path[-1] in ("audit", "history"), path
