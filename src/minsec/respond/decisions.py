"""Decisions taken on an incident: what, who decided, why, when — recorded, never edited.

A decision names who decided (``decided_by``: e.g. "US Energy Secretary and METI
Minister"), the rationale, the day, and the actions it concerns (which must belong to the
incident and be visible to the recording party). It belongs to the recording party; one
marked ``private`` exists only for that party and the parties it is shared with. A
decision is a record: it has no update and no delete — a changed mind is a new decision
that says what it supersedes (``supersedes``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from minsec.errors import InputError
from minsec.respond.common import (
    PartyRecords,
    day,
    dumps,
    insert_row,
    json_ready,
    new_id,
    parties,
    require_analyst,
    set_shares,
    text,
)
from minsec.state.errors import NotFoundError
from minsec.state.principal import Principal, now

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class Decision:
    """A decision as the reading party may see it."""

    id: str
    incident_id: str
    summary: str
    rationale: str
    decided_by: str
    decided_on: dt.date
    party: str
    private: bool
    shared_with: tuple[str, ...]
    action_ids: tuple[str, ...]
    supersedes: str | None
    recorded_at: dt.datetime
    recorded_by: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return json_ready(self)


class Decisions(PartyRecords[Decision]):
    """The decisions of incidents (reach them as ``Incidents.decisions``)."""

    table = "incident_decisions"
    columns = (
        "id", "incident_id", "summary", "rationale", "decided_by", "decided_on", "party",
        "private", "action_ids", "recorded_at", "recorded_by",
    )  # fmt: skip
    owner = "party"  # a decision belongs to the party that recorded it
    order = "r.decided_on, r.recorded_at, r.id"
    what = "decision"

    def _make(self, r: tuple[Any, ...], shared_with: tuple[str, ...]) -> Decision:
        links = json.loads(r[8])
        return Decision(
            id=str(r[0]),
            incident_id=str(r[1]),
            summary=str(r[2]),
            rationale=str(r[3]),
            decided_by=str(r[4]),
            decided_on=day(r[5], "decided_on") or dt.date.min,
            party=str(r[6]),
            private=bool(r[7]),
            shared_with=shared_with,
            action_ids=tuple(links.get("actions", [])),
            supersedes=links.get("supersedes"),
            recorded_at=r[9],
            recorded_by=str(r[10]),
        )

    def visible(self, party: str, incident_id: str) -> list[Decision]:
        """Decisions of an incident visible to ``party``, oldest first."""
        self.incidents.get(party, incident_id)
        return self._select(self.db, party, "r.incident_id = ?", [incident_id])

    def record(
        self,
        by: Principal,
        incident_id: str,
        *,
        summary: str,
        rationale: str,
        decided_by: str,
        decided_on: dt.date | str | None = None,
        action_ids: Sequence[str] = (),
        supersedes: str | None = None,
        private: bool = False,
        shared_with: Sequence[str] = (),
    ) -> Decision:
        """Record a decision on an open incident."""
        require_analyst(by, "recording a decision")
        on = day(decided_on, "decided_on") or dt.date.today()
        did = new_id("dec")
        shared = parties(shared_with, "shared_with", drop=by.party)
        with self.db.transaction() as tx:
            self.incidents.require_open(tx, by.party, incident_id)
            linked = []
            for aid in dict.fromkeys(action_ids):
                try:
                    action = self.incidents.actions.get(by.party, aid, tx=tx)
                except NotFoundError:
                    raise InputError(
                        f"no action {aid!r} on this incident", column="action_ids"
                    ) from None
                if action.incident_id != incident_id:
                    raise InputError(
                        f"action {aid!r} belongs to incident {action.incident_id!r}",
                        column="action_ids",
                    )
                linked.append(aid)
            if supersedes is not None:
                old = self.get(by.party, supersedes, tx=tx)
                if old.incident_id != incident_id:
                    raise InputError(
                        f"decision {supersedes!r} belongs to another incident",
                        column="supersedes",
                    )
            row = {
                "id": did,
                "incident_id": incident_id,
                "summary": text(summary, "summary", max_length=2000, required=True),
                "rationale": text(rationale, "rationale", max_length=20_000, required=True),
                "decided_by": text(decided_by, "decided_by", max_length=300, required=True),
                "decided_on": on,
                "party": by.party,
                "private": bool(private),
                "action_ids": dumps({"actions": linked, "supersedes": supersedes}),
                "recorded_at": now(),
                "recorded_by": by.user,
            }
            insert_row(tx, "incident_decisions", row)
            set_shares(tx, did, shared)
            self.audit.append(
                tx,
                by,
                "decision.record",
                f"incident:{incident_id}/decision:{did}",
                {
                    "summary": row["summary"],
                    "decided_by": row["decided_by"],
                    "decided_on": on.isoformat(),
                    "action_ids": linked,
                    "supersedes": supersedes,
                    "private": bool(private),
                    "shared_with": list(shared),
                },
            )
            return self.get(by.party, did, tx=tx)
