"""Clocks: the framework's two deadlines and those incidents add; overdue on a given day."""

from __future__ import annotations

import datetime as dt

import pytest

from minsec.respond import FRAMEWORK, SIGNED, Incidents
from minsec.respond.clocks import add_months
from minsec.state import ConflictError, NotFoundError
from tests.respond.conftest import JP, US

pytestmark = pytest.mark.default_data


def test_framework_dates() -> None:
    assert dt.date(2025, 10, 28) == SIGNED
    dates = {fid: due for fid, _, due in FRAMEWORK}
    assert dates == {
        "framework:financing": dt.date(2026, 4, 28),  # 6 months
        "framework:ministerial": dt.date(2026, 4, 26),  # 180 days
    }
    assert add_months(dt.date(2025, 8, 31), 6) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2024, 8, 31), 6) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2025, 12, 15), 1) == dt.date(2026, 1, 15)


def test_overdue_relative_to_today(incidents: Incidents) -> None:
    before = incidents.clocks.visible("USA", today=dt.date(2026, 4, 1))
    assert [(c.id, c.state, c.days_left) for c in before] == [
        ("framework:ministerial", "open", 25),
        ("framework:financing", "open", 27),
    ]
    between = incidents.clocks.visible("USA", today=dt.date(2026, 4, 27), overdue=True)
    assert [c.id for c in between] == ["framework:ministerial"]
    after = incidents.clocks.visible("USA", today=dt.date(2026, 5, 1), overdue=True)
    assert [c.id for c in after] == ["framework:ministerial", "framework:financing"]

    incidents.clocks.mark_met(JP, "framework:ministerial")
    with pytest.raises(ConflictError, match="already met"):
        incidents.clocks.mark_met(US, "framework:ministerial")
    after = incidents.clocks.visible("USA", today=dt.date(2026, 5, 1))
    assert [(c.id, c.state) for c in after] == [
        ("framework:ministerial", "met"),
        ("framework:financing", "overdue"),
    ]
    with pytest.raises(NotFoundError):
        incidents.clocks.mark_met(US, "framework:nothing")


def test_incident_clocks(incidents: Incidents) -> None:
    inc = incidents.open_event(
        US, title="t", exporter="China", commodities=["gallium"], effective_date="2026-01-05",
        due_date="2026-01-20",
    )  # fmt: skip
    other = incidents.open_event(
        JP, title="u", exporter="China", commodities=["graphite"], effective_date="2026-01-05"
    )
    ddl = incidents.clocks.add(JP, inc.id, title="allocation agreed", due_date="2026-01-15")
    act = incidents.actions.add(
        JP, inc.id, kind="other", title="secret", due_date="2026-01-10", private=True
    )
    day = dt.date(2026, 1, 16)
    us = incidents.clocks.visible("USA", today=day, incident_id=inc.id)
    assert [(c.kind, c.state) for c in us] == [("deadline", "overdue"), ("incident", "open")]
    jp = incidents.clocks.visible("JPN", today=day, incident_id=inc.id)
    assert [(c.id, c.state) for c in jp] == [
        (act.id, "overdue"),
        (ddl.id, "overdue"),
        (f"incident:{inc.id}", "open"),
    ]
    assert jp[0].title == "Other: secret"  # the kind in words, not its id
    release = incidents.actions.add(
        US, other.id, kind="stockpile_release", title="DOE releases graphite",
        params={"commodity": "graphite"}, due_date="2026-01-12",
    )  # fmt: skip
    titles = {c.id: c.title for c in incidents.clocks.visible("JPN", today=day)}
    assert titles[release.id] == "Stockpile release: DOE releases graphite"
    assert incidents.clocks.overdue_incidents("USA", today=day) == {inc.id, other.id}
    incidents.actions.update(US, release.id, {"status": "cancelled"}, version=1)
    assert incidents.clocks.overdue_incidents("USA", today=day) == {inc.id}
    assert other.id not in incidents.clocks.overdue_incidents("JPN", today=day)

    incidents.clocks.mark_met(US, ddl.id)
    incidents.actions.update(JP, act.id, {"status": "cancelled"}, version=1)
    assert incidents.clocks.overdue_incidents("JPN", today=day) == set()
    late = dt.date(2026, 2, 1)
    assert incidents.clocks.overdue_incidents("JPN", today=late) == {inc.id}
    incidents.close(US, inc.id, reason="resolved")
    assert incidents.clocks.overdue_incidents("JPN", today=late) == set()
