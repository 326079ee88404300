"""Clocks: the framework's deadlines and those incidents add; which are overdue.

The US–Japan framework was signed on 2025-10-28 (:data:`SIGNED`) and runs on two clocks:

* measures to finance selected projects **within 6 months** → 2026-04-28;
* a bilateral mining, minerals and metals investment ministerial **within 180 days**
  → 2026-04-26.

Incidents add their own: the incident's ``due_date``, deadlines added to it
(:meth:`Clocks.add`, e.g. "allocation agreed by partners"), and the due date of every
action that is not finished. A clock is ``met`` once marked so (framework clocks and
deadlines) or once its action is done, rejected or cancelled, or its incident closed;
otherwise it is ``overdue`` when its day is before ``today`` (default: the current date)
and ``open`` if not. Private actions' clocks exist only for the parties that see the action.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from minsec.errors import InputError
from minsec.respond.actions import FINISHED, KIND_LABELS
from minsec.respond.common import day, json_ready, new_id, require_analyst, text
from minsec.state.errors import ConflictError, NotFoundError
from minsec.state.principal import Principal, now

if TYPE_CHECKING:
    from minsec.respond.incidents import Incidents

SIGNED = dt.date(2025, 10, 28)
"""Signature of the framework in Tokyo."""


def add_months(day_: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the last day of the month when it has fewer days)."""
    import calendar

    y, m = divmod(day_.month - 1 + months, 12)
    year, month = day_.year + y, m + 1
    return dt.date(year, month, min(day_.day, calendar.monthrange(year, month)[1]))


FRAMEWORK: tuple[tuple[str, str, dt.date], ...] = (
    (
        "framework:financing",
        "Financing measures for selected projects (within 6 months of signing)",
        add_months(SIGNED, 6),
    ),
    (
        "framework:ministerial",
        "Bilateral mining, minerals and metals investment ministerial (within 180 days)",
        SIGNED + dt.timedelta(days=180),
    ),
)
"""Id, title and day of the framework's clocks."""

KINDS = ("framework", "incident", "deadline", "action")
STATES = ("open", "overdue", "met")


@dataclass(frozen=True)
class Clock:
    """One deadline with its state on a given day."""

    id: str
    kind: str
    title: str
    due_date: dt.date
    state: str
    days_left: int
    incident_id: str | None
    owner_party: str | None
    met_at: dt.datetime | None

    @property
    def overdue(self) -> bool:
        """Past its day and not met."""
        return self.state == "overdue"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return json_ready(self)


def _clock(
    id_: str,
    kind: str,
    title: str,
    due: dt.date,
    today: dt.date,
    *,
    met: bool,
    incident_id: str | None = None,
    owner: str | None = None,
    met_at: dt.datetime | None = None,
) -> Clock:
    state = "met" if met else ("overdue" if due < today else "open")
    return Clock(id_, kind, title, due, state, (due - today).days, incident_id, owner, met_at)


class Clocks:
    """The deadlines of the framework and of incidents (``Incidents.clocks``)."""

    def __init__(self, incidents: Incidents) -> None:
        self.incidents = incidents
        self.db = incidents.db
        self.audit = incidents.audit

    def visible(
        self,
        party: str,
        *,
        today: dt.date | None = None,
        incident_id: str | None = None,
        overdue: bool = False,
        include_met: bool = True,
    ) -> list[Clock]:
        """Every clock ``party`` sees (of one incident if given), soonest first."""
        today = today or dt.date.today()
        out: list[Clock] = []
        rows = self.db.fetchall(
            "SELECT id, incident_id, title, due_date, owner_party, met_at FROM "
            "incident_deadlines ORDER BY due_date, id"
        )
        met_framework = {str(r[0]): r[5] for r in rows if str(r[1]) == "framework"}
        if incident_id is None:
            for fid, title, due in FRAMEWORK:
                at = met_framework.get(fid)
                out.append(
                    _clock(fid, "framework", title, due, today, met=at is not None, met_at=at)
                )
        incidents = {
            i.id: i
            for i in (
                [self.incidents.get(party, incident_id)]
                if incident_id
                else self.incidents.visible(party)
            )
        }
        for inc in incidents.values():
            if inc.due_date is not None:
                out.append(
                    _clock(
                        f"incident:{inc.id}",
                        "incident",
                        f"{inc.title}: response due",
                        inc.due_date,
                        today,
                        met=inc.status == "closed",
                        incident_id=inc.id,
                        owner=inc.owner_party,
                        met_at=inc.closed_at,
                    )
                )
        for r in rows:
            iid = str(r[1])
            if iid not in incidents:
                continue
            closed = incidents[iid].status == "closed"
            out.append(
                _clock(
                    str(r[0]),
                    "deadline",
                    str(r[2]),
                    day(r[3], "due_date") or today,
                    today,
                    met=r[5] is not None or closed,
                    incident_id=iid,
                    owner=str(r[4]),
                    met_at=r[5],
                )
            )
        for a in self.incidents.actions.visible(party, incident_id):
            if a.due_date is None or a.incident_id not in incidents:
                continue
            closed = incidents[a.incident_id].status == "closed"
            out.append(
                _clock(
                    a.id,
                    "action",
                    f"{KIND_LABELS.get(a.kind, a.kind)}: {a.title}",
                    a.due_date,
                    today,
                    met=a.status in FINISHED or closed,
                    incident_id=a.incident_id,
                    owner=a.owner_party,
                    met_at=a.updated_at if a.status in FINISHED else None,
                )
            )
        if overdue:
            out = [c for c in out if c.overdue]
        elif not include_met:
            out = [c for c in out if c.state != "met"]
        return sorted(out, key=lambda c: (c.due_date, c.kind, c.id))

    def overdue_incidents(self, party: str, today: dt.date | None = None) -> set[str]:
        """Ids of incidents with at least one overdue clock."""
        return {
            c.incident_id
            for c in self.visible(party, today=today, overdue=True)
            if c.incident_id is not None
        }

    def add(self, by: Principal, incident_id: str, *, title: str, due_date: dt.date | str) -> Clock:
        """Add a deadline to an open incident."""
        require_analyst(by, "adding a deadline")
        due = day(due_date, "due_date")
        if due is None:
            raise InputError("due_date is required", column="due_date")
        name = text(title, "title", max_length=300, required=True)
        did = new_id("ddl")
        with self.db.transaction() as tx:
            self.incidents.require_open(tx, by.party, incident_id)
            tx.execute(
                "INSERT INTO incident_deadlines (id, incident_id, title, due_date, owner_party, "
                "met_at, met_by, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [did, incident_id, name, due, by.party, None, None, now(), by.user],
            )
            self.audit.append(
                tx,
                by,
                "deadline.add",
                f"incident:{incident_id}/deadline:{did}",
                {"title": name, "due_date": due.isoformat()},
            )
        return _clock(
            did,
            "deadline",
            str(name),
            due,
            dt.date.today(),
            met=False,
            incident_id=incident_id,
            owner=by.party,
        )

    def mark_met(self, by: Principal, clock_id: str) -> None:
        """Mark a framework clock or an incident deadline met (actions: set their status)."""
        require_analyst(by, "marking a deadline met")
        framework = {fid: (title, due) for fid, title, due in FRAMEWORK}
        with self.db.transaction() as tx:
            row = tx.fetchone(
                "SELECT incident_id, met_at, title, due_date FROM incident_deadlines WHERE id = ?",
                [clock_id],
            )
            if clock_id in framework:
                if row is not None:
                    raise ConflictError(f"{clock_id} is already met", field="clock_id")
                title, due = framework[clock_id]
                tx.execute(
                    "INSERT INTO incident_deadlines (id, incident_id, title, due_date, "
                    "owner_party, met_at, met_by, created_at, created_by) "
                    "VALUES (?, 'framework', ?, ?, ?, ?, ?, ?, ?)",
                    [clock_id, title, due, by.party, now(), by.user, now(), by.user],
                )
                self.audit.append(tx, by, "clock.met", clock_id, {"due_date": due.isoformat()})
                return
            if row is None or str(row[0]) == "framework":
                raise NotFoundError(
                    f"no deadline {clock_id!r}",
                    field="clock_id",
                    hint="framework:financing, framework:ministerial or an incident's ddl_… id; "
                    "an action's clock stops when its status is done",
                )
            self.incidents.require_open(tx, by.party, str(row[0]))
            if row[1] is not None:
                raise ConflictError(f"deadline {clock_id!r} is already met", field="clock_id")
            tx.execute(
                "UPDATE incident_deadlines SET met_at = ?, met_by = ? WHERE id = ?",
                [now(), by.user, clock_id],
            )
            self.audit.append(tx, by, "deadline.met", f"incident:{row[0]}/deadline:{clock_id}", {})
