"""PDF printing with Chromium: the briefings print to multi-page A4 PDFs with their figures.

Chromium is required (``make test`` installs it): without it these tests FAIL and say how to
install it; they do not skip.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from minsec.assess.exposure import DEFAULT_PRODUCTION_SOURCE
from minsec.assess.supply import supply
from minsec.catalog import commodities
from minsec.report.incident_brief import render_incident_brief
from minsec.report.pdf import ChromiumMissingError, find_chromium, html_to_pdf
from minsec.store import Store
from tests.cli_helpers import run_cli
from tests.report._incident import sample_incident

A4_PT = (595.0, 842.0)


def _need_chromium() -> None:
    assert find_chromium(), (
        "Chromium is needed to print briefings to PDF: `apt-get install chromium` "
        "(or set MINSEC_CHROMIUM)"
    )


def _text(pdf: Path) -> tuple[PdfReader, str]:
    data = pdf.read_bytes()
    assert data[:5] == b"%PDF-"
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return reader, " ".join(text.split())


@pytest.mark.default_data
def test_cli_prints_the_gallium_briefing(
    default_store: Store,
    default_store_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _need_chromium()
    out = tmp_path / "ga"
    res = run_cli(
        capsys,
        "brief",
        "--mineral",
        "gallium",
        "--importer",
        "USA,JPN",
        "--pdf",
        "--out",
        str(out),
        "--store",
        str(default_store_path),
    )
    assert res.code == 0, res.err
    reader, text = _text(out / "index.pdf")
    assert len(reader.pages) > 1
    w, h = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (w, h) == pytest.approx(A4_PT, abs=2)
    oracle = supply(
        default_store,
        commodities="gallium",
        stage=commodities.get("gallium").wmd_stage,
        years=2024,
        sources=DEFAULT_PRODUCTION_SOURCE,
    ).iloc[0]
    for figure in (
        f"{oracle['hhi']:,.0f}",
        f"{100 * oracle['top1_share']:.1f} %",
        f"{100 * oracle['top3_share']:.1f} %",
        f"{100 * oracle['share_countries_of_concern']:.1f} %",
    ):
        assert figure in text, figure
    assert "No gallium trade data for 2024" in text
    assert "Sources and provenance" in text
    sha = str(default_store.status()["sha256"].iloc[0])
    assert sha[:16] in text.replace(" ", "")
    # the sources section starts on a page of its own (print CSS page break), and the
    # page footer numbers the pages
    pages = [p.extract_text() or "" for p in reader.pages]
    first = next(i for i, t in enumerate(pages) if "Sources and provenance" in t)
    body = re.sub(r"^\s*page \d+ of \d+\s*", "", pages[first])
    assert body.startswith("Sources and provenance")
    assert f"page {first + 1} of {len(pages)}" in pages[first]


def test_incident_briefing_pdf(tmp_path: Path) -> None:
    _need_chromium()
    html = render_incident_brief(sample_incident(), tmp_path, pdf=True)
    reader, text = _text(html.with_suffix(".pdf"))
    assert len(reader.pages) > 1
    assert "INC-2024-017" in text and "OVERDUE" in text and "48.2 %" in text


def test_missing_chromium_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("MINSEC_CHROMIUM", raising=False)
    assert find_chromium() is None
    html = tmp_path / "a.html"
    html.write_text("<p>x</p>", encoding="utf-8")
    with pytest.raises(ChromiumMissingError, match=r"apt-get install chromium.*--no-pdf"):
        html_to_pdf(html)
    assert not html.with_suffix(".pdf").exists()


def test_chromium_failure_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from minsec.report.pdf import PdfError

    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'cannot print' >&2\nexit 3\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("MINSEC_CHROMIUM", str(fake))
    html = tmp_path / "a.html"
    html.write_text("<p>x</p>", encoding="utf-8")
    with pytest.raises(PdfError, match=r"exit code 3.*cannot print"):
        html_to_pdf(html)
    assert not html.with_suffix(".pdf").exists()


@pytest.mark.default_data
def test_cli_without_chromium(
    default_store_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("MINSEC_CHROMIUM", raising=False)
    args = ["brief", "-m", "cobalt", "--store", str(default_store_path), "--out"]
    # by default the PDF is printed when Chromium is there; without it: HTML and a note
    res = run_cli(capsys, *args, str(tmp_path / "a"))
    assert res.code == 0, res.err
    assert (tmp_path / "a" / "index.html").exists()
    assert "no PDF" in res.err and "apt-get install chromium" in " ".join(res.err.split())
    # --pdf insists: exit code 2 and the same advice
    res = run_cli(capsys, *args, str(tmp_path / "b"), "--pdf")
    assert res.code == 2
    assert "apt-get install chromium" in " ".join(res.err.split())
    assert not (tmp_path / "b" / "index.pdf").exists()


def test_chromium_time_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from minsec.report.pdf import PdfError

    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\nsleep 30 &\nsleep 30\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("MINSEC_CHROMIUM", str(fake))
    html = tmp_path / "a.html"
    html.write_text("<p>x</p>", encoding="utf-8")
    with pytest.raises(PdfError, match="within 1 s"):
        html_to_pdf(html, timeout=1)
