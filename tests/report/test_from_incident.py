"""``minsec brief --incident``: an incident's briefing, as its reader's party sees it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from minsec.report._render import fmt_num
from tests.cli_helpers import run_cli

pytestmark = pytest.mark.default_data


def test_incident_briefing_shows_the_assessment_and_respects_private_records(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, default_store_path: Path
) -> None:
    state = ["--state", str(tmp_path / "app.duckdb")]
    store = ["--store", str(default_store_path)]

    def cli(*args: str) -> str:
        res = run_cli(capsys, *args)
        assert res.code == 0, res.err
        return res.out

    for name, party in (("ann", "USA"), ("ken", "JPN")):
        cli("users", "add", name, "--party", party, "--role", "analyst", *state)
    inc = json.loads(
        cli(
            "incidents",
            "create",
            "--as",
            "ann",
            "--title",
            "China licenses graphite",
            "--exporter",
            "China",
            "-c",
            "graphite",
            "--effective",
            "2025-12-01",
            "--fraction",
            "0.5",
            "-f",
            "json",
            *state,
        )
    )
    iid = inc["id"]
    cli("incidents", "assess", iid, "--as", "ann", *store, *state)
    cli(
        "incidents", "action", "add", iid, "--as", "ann", "--kind", "diplomatic",
        "--title", "US-PRIVATE-DEMARCHE", "--due", "2025-12-15", "--private", *state,
    )  # fmt: skip
    cli(
        "incidents", "action", "add", iid, "--as", "ken", "--kind", "diplomatic",
        "--title", "Joint statement", "--due", "2025-12-20", *state,
    )  # fmt: skip
    shown = json.loads(cli("incidents", "show", iid, "--as", "ken", "-f", "json", *state))

    out_us, out_jp = tmp_path / "us", tmp_path / "jp"
    for user, out in (("ann", out_us), ("ken", out_jp)):
        res = run_cli(
            capsys, "brief", "--incident", iid, "--as", user, "--no-pdf", "--out", str(out),
            *store, *state,
        )  # fmt: skip
        assert res.code == 0, res.err
        assert "worst partner shortfall" in res.err
    us_html = (out_us / "index.html").read_text(encoding="utf-8")
    jp_html = (out_jp / "index.html").read_text(encoding="utf-8")

    # the impact table carries the assessment's numbers (as the API/CLI report them)
    assert "China licenses graphite" in jp_html
    for row in shown["assessment"]["impact"]:
        assert f"{fmt_num(row['shortfall_pct'], 1)} %" in jp_html
    # the store's data version is cited with its checksum
    assert "e259a2e33b20a0ad276b7cd37529ce9643125282065fed9d3fcf64b170fddac5" in jp_html
    # both actions are past due (the clocks are read today): both flagged, in words
    assert "Joint statement" in jp_html and "OVERDUE" in jp_html
    # the US party's private action is in its own briefing only
    assert "US-PRIVATE-DEMARCHE" in us_html
    assert "US-PRIVATE-DEMARCHE" not in jp_html


def test_incident_briefing_needs_the_reader(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MINSEC_USER", raising=False)
    res = run_cli(capsys, "brief", "--incident", "inc_x", "--no-pdf")
    assert res.code == 2
    assert "--as" in res.err
