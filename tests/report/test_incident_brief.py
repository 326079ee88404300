"""The incident briefing renders a hand-built IncidentBriefing (no store needed)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

import pytest

from minsec.report.incident_brief import Action, Clock, IncidentBriefing, render_incident_brief
from tests.report._html import key_figures, links
from tests.report._incident import AS_OF, sample_incident


def _render(b: IncidentBriefing, tmp_path: Path) -> str:
    return render_incident_brief(b, tmp_path, pdf=False).read_text("utf-8")


def test_incident_content(tmp_path: Path) -> None:
    b = sample_incident()
    page = _render(b, tmp_path)
    assert b.title in page and "INC-2024-017" in page and "Status: response active" in page
    assert "China" in page and "gallium, germanium" in page and "2024-12-03" in page
    values, refs = key_figures(page)
    assert values["worst_partner"] == "USA"
    assert values["worst_shortfall"] == f"{48.25:,.1f} %"
    assert values["worst_var"] == "151.0 m USD" and refs["worst_var"]
    # partners without an assessment say so; no zero is invented
    kor = re.search(r"<tr><td>KOR.*?</tr>", page, re.S)
    assert kor and "not assessed" in kor.group(0) and ">0<" not in kor.group(0)
    assert "JOGMEC release to the US" in page and "21.8 %" in page
    for d in b.decisions:
        assert d.decision in page and d.who in page and d.why in page
    assert "2024-12-10 09:30 UTC" in page
    assert "HS17 data added" in page and page.count("<svg") == 1  # history chart


def test_overdue_flags_follow_as_of(tmp_path: Path) -> None:
    b = sample_incident()
    expected = sum(a.overdue(AS_OF) for a in b.actions) + sum(c.overdue(AS_OF) for c in b.clocks)
    assert expected == 2  # "Confirm stockpile volumes" and "Ministerial call"
    page = _render(b, tmp_path / "a")
    assert page.count('class="overdue"') == 2 and "2 OVERDUE" in page
    rows = re.findall(r'<tr class="overdue"><td>(.*?)</td>', page)
    assert rows == ["Ministerial call", "Confirm stockpile volumes"]
    # done items are never overdue; a later as_of makes the WTO window overdue too
    later = dataclasses.replace(b, as_of=dt.datetime(2025, 3, 1, tzinfo=dt.UTC))
    page = _render(later, tmp_path / "b")
    assert page.count('class="overdue"') == 4
    assert not Action("x", "y", due=dt.date(2020, 1, 1), status="Done").overdue(AS_OF)
    assert Clock("c", dt.date(2025, 1, 10)).remaining(AS_OF) == "0 d 11 h left"


def test_provenance_and_self_contained(tmp_path: Path) -> None:
    b = sample_incident()
    page = _render(b, tmp_path)
    sources = page[page.index('id="sources"') :]
    for s in b.sources:
        assert s.dataset in sources
        if s.sha256:
            assert s.sha256 in sources
    assert b.source_link in sources and "minsec " in sources
    external = [x for x in links(page) if re.match(r"(https?:)?//", x[1])]
    assert len(external) == 2 and all(inside for _, _, inside in external)
    assert "<script" not in page and "<link" not in page


def test_unknown_source_key_is_an_error(tmp_path: Path) -> None:
    b = sample_incident()
    bad = dataclasses.replace(b, impacts=[dataclasses.replace(b.impacts[0], sources=("nowhere",))])
    with pytest.raises(ValueError, match="nowhere"):
        render_incident_brief(bad, tmp_path, pdf=False)


def test_dict_round_trip(tmp_path: Path) -> None:
    b = sample_incident()
    data = json.loads(json.dumps(b.to_dict()))
    back = IncidentBriefing.from_dict(data)
    assert back.to_dict() == b.to_dict()
    assert back.clocks[0].deadline == b.clocks[0].deadline
    assert back.actions[0].due == dt.date(2025, 1, 8)
    assert _render(back, tmp_path / "x").count('class="overdue"') == 2
