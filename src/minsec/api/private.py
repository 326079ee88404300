"""Party-private records, starting with national stockpiles.

A private record belongs to the party of the analyst who created it. It is visible to
that party and to the parties it is shared with — and to no one else: every read filters
by party **in the SQL query**, so another party's rows never leave this repository (not
to a route, an export, a cache or a log). A record that is not visible is "not found"
(404), whether or not it exists, so that its existence does not leak either.

Only analysts and admins of the owning party change, share or delete a record; a party
it is shared with reads it (and sees itself, not the owner's other partners, in
``shared_with``). Values of private records are never written to the application log;
the audit log (read only by admins of the owning party) records each change.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from minsec.api.accounts import resolve_party
from minsec.api.errors import ApiError
from minsec.catalog import commodities
from minsec.errors import InputError
from minsec.state.audit import AuditLog
from minsec.state.db import StateDB, Tx
from minsec.state.principal import Principal, Role, now

FIELDS = ("commodity", "tonnes", "max_release_t_per_month", "note", "shared_with")


@dataclass(frozen=True)
class Stockpile:
    """A national stockpile of one commodity, as the reading party may see it."""

    id: str
    owner_party: str
    commodity: str
    tonnes: float
    max_release_t_per_month: float | None
    note: str | None
    shared_with: tuple[str, ...]
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    updated_by: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "id": self.id,
            "owner_party": self.owner_party,
            "commodity": self.commodity,
            "tonnes": self.tonnes,
            "max_release_t_per_month": self.max_release_t_per_month,
            "note": self.note,
            "shared_with": list(self.shared_with),
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "updated_at": self.updated_at.isoformat(),
            "updated_by": self.updated_by,
        }


_VISIBLE = (
    "(s.owner_party = ? OR EXISTS (SELECT 1 FROM stockpile_shares x "
    "WHERE x.stockpile_id = s.id AND x.party = ?))"
)
_COLUMNS = (
    "s.id, s.owner_party, s.commodity, s.tonnes, s.max_release_t_per_month, s.note, "
    "s.created_at, s.created_by, s.updated_at, s.updated_by"
)


def _commodity(name: str) -> str:
    try:
        return commodities.resolve(name)
    except InputError as exc:
        raise InputError(exc.message, column="commodity", hint=exc.hint) from None


def _parties(values: Sequence[str], owner: str) -> tuple[str, ...]:
    out = {resolve_party(v, field="shared_with") for v in values}
    out.discard(owner)
    return tuple(sorted(out))


class Stockpiles:
    """National stockpiles, filtered by party at the query level; writes are audited."""

    def __init__(self, db: StateDB, audit: AuditLog) -> None:
        self.db = db
        self.audit = audit

    # -- reads (always filtered by the reading party) ------------------------------------
    def _shares(self, tx: Tx | StateDB, ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        if not ids:
            return {}
        marks = ", ".join("?" for _ in ids)
        rows = tx.fetchall(
            f"SELECT stockpile_id, party FROM stockpile_shares WHERE stockpile_id IN ({marks}) "
            "ORDER BY party",
            list(ids),
        )
        out: dict[str, list[str]] = {}
        for sid, party in rows:
            out.setdefault(str(sid), []).append(str(party))
        return {k: tuple(v) for k, v in out.items()}

    def _build(self, rows: list[tuple[Any, ...]], party: str, tx: Tx | StateDB) -> list[Stockpile]:
        shares = self._shares(tx, [str(r[0]) for r in rows])
        out = []
        for r in rows:
            owner = str(r[1])
            shared = shares.get(str(r[0]), ())
            out.append(
                Stockpile(
                    id=str(r[0]),
                    owner_party=owner,
                    commodity=str(r[2]),
                    tonnes=float(r[3]),
                    max_release_t_per_month=None if r[4] is None else float(r[4]),
                    note=r[5],
                    shared_with=shared if owner == party else (party,),
                    created_at=r[6],
                    created_by=str(r[7]),
                    updated_at=r[8],
                    updated_by=str(r[9]),
                )
            )
        return out

    def visible(self, party: str, *, commodity: str | None = None) -> list[Stockpile]:
        """Stockpiles ``party`` may see (its own and those shared with it)."""
        sql = f"SELECT {_COLUMNS} FROM stockpiles s WHERE {_VISIBLE}"
        params: list[Any] = [party, party]
        if commodity is not None:
            sql += " AND s.commodity = ?"
            params.append(_commodity(commodity))
        sql += " ORDER BY s.owner_party, s.commodity, s.id"
        with self.db.transaction() as tx:
            return self._build(tx.fetchall(sql, params), party, tx)

    def get(self, party: str, stockpile_id: str) -> Stockpile:
        """One stockpile visible to ``party``; 404 when absent *or* not visible."""
        with self.db.transaction() as tx:
            return self._get(tx, party, stockpile_id)

    def _get(self, tx: Tx, party: str, stockpile_id: str) -> Stockpile:
        rows = tx.fetchall(
            f"SELECT {_COLUMNS} FROM stockpiles s WHERE s.id = ? AND {_VISIBLE}",
            [stockpile_id, party, party],
        )
        if not rows:
            raise ApiError(404, f"no stockpile {stockpile_id!r}", field="stockpile_id")
        return self._build(rows, party, tx)[0]

    # -- writes (owning party only) -----------------------------------------------------
    def _owned(self, tx: Tx, by: Principal, stockpile_id: str) -> Stockpile:
        found = self._get(tx, by.party, stockpile_id)
        if found.owner_party != by.party:
            raise ApiError(
                403,
                f"stockpile {stockpile_id!r} belongs to {found.owner_party}; only that party "
                "may change it",
            )
        if not by.role.allows(Role.analyst):
            raise ApiError(403, "changing a stockpile needs the analyst or admin role")
        return found

    def create(
        self,
        by: Principal,
        *,
        commodity: str,
        tonnes: float,
        max_release_t_per_month: float | None = None,
        note: str | None = None,
        shared_with: Sequence[str] = (),
    ) -> Stockpile:
        """Create a stockpile owned by ``by.party``."""
        cid = _commodity(commodity)
        parties = _parties(shared_with, by.party)
        sid = "stk_" + secrets.token_hex(8)
        at = now()
        stamps = [at, by.user, at, by.user]
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO stockpiles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [sid, by.party, cid, tonnes, max_release_t_per_month, note, *stamps],
            )
            for p in parties:
                tx.execute("INSERT INTO stockpile_shares VALUES (?, ?)", [sid, p])
            self.audit.append(
                tx,
                by,
                "stockpile.create",
                f"stockpile:{sid}",
                {
                    "commodity": cid,
                    "tonnes": tonnes,
                    "max_release_t_per_month": max_release_t_per_month,
                    "note": note is not None,
                    "shared_with": list(parties),
                },
            )
            return self._get(tx, by.party, sid)

    def update(self, by: Principal, stockpile_id: str, changes: dict[str, Any]) -> Stockpile:
        """Change fields of an owned stockpile (``shared_with`` replaces the share list)."""
        unknown = sorted(set(changes) - set(FIELDS))
        if unknown:
            raise ApiError(422, f"unknown field(s) {unknown}", field=unknown[0])
        values = dict(changes)
        if "commodity" in values:
            values["commodity"] = _commodity(str(values["commodity"]))
        with self.db.transaction() as tx:
            before = self._owned(tx, by, stockpile_id)
            parties = None
            if "shared_with" in values:
                parties = _parties(values.pop("shared_with") or (), by.party)
                tx.execute("DELETE FROM stockpile_shares WHERE stockpile_id = ?", [stockpile_id])
                for p in parties:
                    tx.execute("INSERT INTO stockpile_shares VALUES (?, ?)", [stockpile_id, p])
            sets = ", ".join(f"{k} = ?" for k in values)
            params = [*values.values(), now(), by.user, stockpile_id]
            tx.execute(
                f"UPDATE stockpiles SET {sets + ', ' if sets else ''}updated_at = ?, "
                "updated_by = ? WHERE id = ?",
                params,
            )
            detail: dict[str, Any] = {k: v for k, v in values.items() if k != "note"}
            if "note" in values:
                detail["note"] = values["note"] is not None
            if parties is not None:
                detail["shared_with"] = list(parties)
                detail["shared_with_before"] = list(before.shared_with)
            action = "stockpile.share" if set(changes) == {"shared_with"} else "stockpile.update"
            self.audit.append(tx, by, action, f"stockpile:{stockpile_id}", detail)
            return self._get(tx, by.party, stockpile_id)

    def delete(self, by: Principal, stockpile_id: str) -> None:
        """Delete an owned stockpile and its shares."""
        with self.db.transaction() as tx:
            before = self._owned(tx, by, stockpile_id)
            tx.execute("DELETE FROM stockpile_shares WHERE stockpile_id = ?", [stockpile_id])
            tx.execute("DELETE FROM stockpiles WHERE id = ?", [stockpile_id])
            self.audit.append(
                tx,
                by,
                "stockpile.delete",
                f"stockpile:{stockpile_id}",
                {"commodity": before.commodity},
            )
