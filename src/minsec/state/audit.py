"""The append-only audit log: who did what, when.

Every write — a user or token created or revoked, a private record created, changed,
shared or deleted, a job submitted or cancelled — appends one entry **in the same
transaction** as the write, so there is no write without its entry and no entry without
its write. This module has no update and no delete; the API exposes only reads
(``GET /api/v1/audit``) and the CLI neither.

Each entry carries the SHA-256 of the previous entry's hash and its own content
(a hash chain): :meth:`AuditLog.verify` finds any entry changed or removed behind the
API's back (with direct access to the database file).

Visibility: an entry belongs to one party (``party``, the party of the user who acted,
or of the user acted upon for account changes). Only admins of that party read it, so
entries about one party's private records are never shown to another party.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from minsec.state.db import StateDB, Tx

if TYPE_CHECKING:
    from minsec.state.principal import Principal

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    """One entry of the log."""

    id: int
    at: dt.datetime
    user: str
    party: str
    action: str
    object: str
    detail: dict[str, Any]
    hash: str


def _digest(
    prev: str,
    id_: int,
    at: dt.datetime,
    user: str,
    party: str,
    action: str,
    obj: str,
    detail: str,
) -> str:
    payload = json.dumps(
        [prev, id_, at.isoformat(), user, party, action, obj, detail], ensure_ascii=False
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class AuditLog:
    """Appends to and reads the audit table (there is no other operation)."""

    def __init__(self, db: StateDB) -> None:
        self.db = db

    def append(
        self,
        tx: Tx,
        by: Principal,
        action: str,
        obj: str,
        detail: dict[str, Any] | None = None,
        *,
        party: str | None = None,
    ) -> int:
        """Append an entry inside the caller's transaction ``tx``; return its id.

        On PostgreSQL, where several processes write at once, the table is locked against
        other appenders until ``tx`` ends, so ids and the hash chain stay sequential.
        """
        if tx.dialect == "postgresql":
            tx.execute("LOCK TABLE audit IN SHARE ROW EXCLUSIVE MODE")
        last = tx.fetchone("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1")
        id_ = 1 if last is None else int(last[0]) + 1
        prev = GENESIS if last is None else str(last[1])
        at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        text = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str)
        owner = party or by.party
        digest = _digest(prev, id_, at, by.user, owner, action, obj, text)
        tx.execute(
            "INSERT INTO audit (id, occurred_at, user_name, party, action, object, detail, "
            "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [id_, at, by.user, owner, action, obj, text, prev, digest],
        )
        return id_

    def entries(
        self,
        party: str,
        *,
        action: str | None = None,
        object_prefix: str | None = None,
        after_id: int = 0,
        limit: int = 1000,
    ) -> list[AuditEntry]:
        """Entries of ``party`` (oldest first), optionally of one action, after an id.

        ``object_prefix`` keeps the entries about one object and its parts: ``incident:ID``
        matches ``incident:ID`` and ``incident:ID/action:…``.
        """
        sql = (
            "SELECT id, occurred_at, user_name, party, action, object, detail, hash FROM audit "
            "WHERE party = ? AND id > ?"
        )
        params: list[Any] = [party, after_id]
        if action is not None:
            sql += " AND action = ?"
            params.append(action)
        if object_prefix is not None:
            sql += " AND (object = ? OR substr(object, 1, ?) = ?)"
            params.extend([object_prefix, len(object_prefix) + 1, object_prefix + "/"])
        sql += " ORDER BY id LIMIT ?"
        params.append(limit)
        return [
            AuditEntry(
                int(r[0]), r[1], str(r[2]), str(r[3]), str(r[4]), str(r[5]), json.loads(r[6]), r[7]
            )
            for r in self.db.fetchall(sql, params)
        ]

    def verify(self) -> int | None:
        """Id of the first entry whose hash chain breaks, or None when the log is intact."""
        prev = GENESIS
        expected_id = 1
        rows = self.db.fetchall(
            "SELECT id, occurred_at, user_name, party, action, object, detail, prev_hash, hash "
            "FROM audit ORDER BY id"
        )
        for r in rows:
            id_ = int(r[0])
            if id_ != expected_id or r[7] != prev:
                return id_
            if _digest(prev, id_, r[1], r[2], r[3], r[4], r[5], r[6]) != r[8]:
                return id_
            prev = str(r[8])
            expected_id += 1
        return None
