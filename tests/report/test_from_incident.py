"""``minsec brief --incident``: an incident's briefing, as its reader's party sees it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from minsec.report._render import fmt_num
from minsec.store import Store
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


def test_response_rows_sum_the_transfers_per_partner(tmp_path: Path, default_store: Store) -> None:
    from minsec.report.from_incident import incident_briefing
    from minsec.respond import Incidents
    from minsec.state import AuditLog, Principal, Role, StateDB

    db = StateDB(str(tmp_path / "app.duckdb"))
    try:
        repo = Incidents(db, AuditLog(db), lambda: default_store, lambda: "data-v1")
        ann = Principal("ann", "USA", Role.analyst)
        inc = repo.open_scenario(ann, scenario="china-graphite-like-minded")
        assessment = repo.assess(ann, inc.id)
        b = incident_briefing(
            repo.get("USA", inc.id), [assessment], [], [], [], default_store.status()
        )
    finally:
        db.close()
    flows = assessment.response["flows"]
    to_japan = sum(f["tonnes"] for f in flows if f["partner"] == "JPN")
    coord = next(c for c in assessment.response["coordination"] if c["partner"] == "JPN")
    base = next(r["baseline_t"] for r in assessment.impact if r["party"] == "JPN")
    japan = next(r for r in b.response if r.partner == "Japan")
    assert japan.tonnes == pytest.approx(to_japan)
    assert japan.shortfall_coordinated_pct == pytest.approx(
        100 * coord["shortfall_coordinated_t"] / base
    )
    assert japan.shortfall_uncoordinated_pct == pytest.approx(
        100 * coord["shortfall_uncoordinated_t"] / base
    )
    # the partners first, then at most ten others, the rest summed in one row
    receivers = [r for r in b.response if not r.measure.startswith("proposed")]
    assert {r.partner for r in receivers[:2]} == {"United States", "Japan"}
    assert len(receivers) <= 2 + 10 + 1
    total = sum(f["tonnes"] for f in flows)
    assert sum(r.tonnes or 0.0 for r in receivers) == pytest.approx(total, abs=len(flows) * 1.0)
    from minsec.disrupt.scenario import get_scenario

    assert b.measure == get_scenario("china-graphite-like-minded").title
