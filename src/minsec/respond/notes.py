"""Party-private notes on an incident: one per party, apart from the incident itself.

An incident's ``note`` is public (every party reads it; its owner party writes it). What a
party writes for itself is a **private note**: a record of its own (``incident_notes``:
incident, party, text, the parties it is shared with, its own ``version``), visible to that
party and to the parties it shares it with, to no one else. Writing it changes nothing on
the incident — not its version, not its ``updated_at`` / ``updated_by`` — so another party
cannot learn from the incident that a note exists, when it was written, or get a 409 for a
change it cannot see. The audit entry of a write belongs to the writing party (its admins
alone read it) and records the share list and version, never the text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from minsec.respond.common import (
    PartyRecords,
    bump_version,
    closed_error,
    insert_row,
    json_ready,
    lock_incident,
    new_id,
    parties,
    require_analyst,
    set_shares,
    text,
)
from minsec.state.db import Tx
from minsec.state.errors import ConflictError
from minsec.state.principal import Principal, now

if TYPE_CHECKING:
    pass

MAX_LENGTH = 20_000
"""Longest note text (characters)."""


@dataclass(frozen=True)
class Note:
    """A private note as the reading party may see it (``text`` None: cleared)."""

    id: str
    incident_id: str
    party: str
    text: str | None
    shared_with: tuple[str, ...]
    version: int
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    updated_by: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return json_ready(self)


class Notes(PartyRecords[Note]):
    """The private notes of incidents (reach them as ``Incidents.notes``)."""

    table = "incident_notes"
    columns = (
        "id", "incident_id", "party", "text", "version", "created_at", "created_by",
        "updated_at", "updated_by",
    )  # fmt: skip
    owner = "party"
    always_private = True
    order = "r.party"
    what = "note"

    def _make(self, r: tuple[Any, ...], shared_with: tuple[str, ...]) -> Note:
        return Note(
            id=str(r[0]),
            incident_id=str(r[1]),
            party=str(r[2]),
            text=r[3],
            shared_with=shared_with,
            version=int(r[4]),
            created_at=r[5],
            created_by=str(r[6]),
            updated_at=r[7],
            updated_by=str(r[8]),
        )

    def visible(self, party: str, incident_id: str, *, tx: Tx | None = None) -> list[Note]:
        """The incident's private notes ``party`` sees: its own and those shared with it."""
        return self._select(tx or self.db, party, "r.incident_id = ?", [incident_id])

    def own(self, party: str, incident_id: str, *, tx: Tx | None = None) -> Note | None:
        """The party's own note on the incident, or None."""
        found = self._select(
            tx or self.db, party, "r.incident_id = ? AND r.party = ?", [incident_id, party]
        )
        return found[0] if found else None

    def set(
        self,
        by: Principal,
        incident_id: str,
        text_: str | None,
        *,
        shared_with: Sequence[str] | None = None,
        version: int | None = None,
        tx: Tx | None = None,
    ) -> Note:
        """Write the caller's party's private note on an open incident.

        The first write creates it (``version`` left out); a later one names the version it
        was made from (409 when another user of the party changed it since, or when it
        exists and no version is given). ``text_`` None or blank clears the text (the
        record and its history stay). ``shared_with`` None keeps the share list.
        """
        require_analyst(by, "writing a private note")
        body = text(text_, "text", max_length=MAX_LENGTH)
        if tx is None:
            with self.db.transaction() as own_tx:
                return self._set(own_tx, by, incident_id, body, shared_with, version)
        return self._set(tx, by, incident_id, body, shared_with, version)

    def _set(
        self,
        tx: Tx,
        by: Principal,
        incident_id: str,
        body: str | None,
        shared_with: Sequence[str] | None,
        version: int | None,
    ) -> Note:
        _, status = lock_incident(tx, incident_id)
        if status == "closed":
            raise closed_error(incident_id)
        before = self.own(by.party, incident_id, tx=tx)
        if before is None:
            if version is not None:
                raise ConflictError(
                    f"{by.party} has no private note on incident {incident_id!r} yet",
                    field="version",
                    hint="leave the version out to create it",
                )
            note_id = new_id("note")
            at = now()
            insert_row(
                tx,
                "incident_notes",
                {
                    "id": note_id,
                    "incident_id": incident_id,
                    "party": by.party,
                    "text": body,
                    "version": 1,
                    "created_at": at,
                    "created_by": by.user,
                    "updated_at": at,
                    "updated_by": by.user,
                },
            )
            new_version = 1
        else:
            if version is None:
                raise ConflictError(
                    f"{by.party} already has a private note on incident {incident_id!r} "
                    f"(version {before.version})",
                    field="version",
                    hint="reload it, re-apply your change to it and send its version",
                )
            note_id = before.id
            new_version = bump_version(
                tx, "incident_notes", "note", note_id, by, version, before.version
            )
            tx.execute("UPDATE incident_notes SET text = ? WHERE id = ?", [body, note_id])
        detail: dict[str, Any] = {"text": body is not None, "version": new_version}
        if shared_with is not None or before is None:
            shared = parties(shared_with or (), "shared_with", drop=by.party)
            set_shares(tx, note_id, shared)
            detail["shared_with"] = list(shared)
        self.audit.append(
            tx, by, "note.set", f"incident:{incident_id}/note:{note_id}", detail, party=by.party
        )
        found = self.own(by.party, incident_id, tx=tx)
        assert found is not None  # written just above, in this transaction
        return found
