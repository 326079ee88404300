"""What the incident repositories share: party names, visibility, versions, JSON, ids.

Visibility mirrors :mod:`minsec.api.private`: a record marked private (and every private
note) belongs to its owner party and is visible to that party and to the parties it is shared with
(``incident_shares``), to no one else — the filter is **in the SQL query**, so another
party's private rows never leave the repository (not to an answer, an export or a log).
A private record that is not visible is "not found", whether or not it exists.
:class:`PartyRecords` is the read side of actions, decisions and notes;
:func:`bump_version` the optimistic-concurrency write of incidents, actions and notes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import secrets
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from minsec.catalog import blocs, countries
from minsec.catalog._names import suggestion
from minsec.dates import to_date
from minsec.errors import InputError, UnknownNameError
from minsec.state.db import StateDB, Tx
from minsec.state.errors import ConflictError, ForbiddenError, NotFoundError
from minsec.state.principal import Principal, Role, now

if TYPE_CHECKING:
    from minsec.respond.incidents import Incidents

T = TypeVar("T")


def new_id(prefix: str) -> str:
    """A random id such as ``inc_3f9a0c1d2b4e5f60``."""
    return f"{prefix}_{secrets.token_hex(8)}"


resolve_party = blocs.party_id


def resolve_country(name: str, field: str) -> str:
    """ISO3 id of a country (not a bloc)."""
    text = str(name).strip()
    cid = countries.find(text) if text else None
    if cid is None:
        raise UnknownNameError(
            f"unknown {field} {name!r}: a country name or ISO3 code is expected",
            column=field,
            hint=suggestion(text, [c.id for c in countries.countries()]) or "e.g. CHN, COD",
        )
    return cid


def parties(values: Iterable[str], field: str, *, drop: str | None = None) -> tuple[str, ...]:
    """Sorted unique party ids of ``values`` (``drop`` removed: the owner needs no share)."""
    out = {resolve_party(v, field=field) for v in values}
    out.discard(drop or "")
    return tuple(sorted(out))


def dumps(value: Any) -> str:
    """JSON text of a column (sorted keys, dates as ISO text)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str, allow_nan=False)


def day(value: Any, field: str) -> dt.date | None:
    """A date from a date, a datetime or ISO text (``None`` stays ``None``)."""
    if value is None:
        return None
    try:
        return to_date(value)
    except ValueError:
        raise InputError(
            f"{field} {value!r} is not a date", column=field, hint="YYYY-MM-DD"
        ) from None


def iso(value: dt.date | dt.datetime | None) -> str | None:
    """ISO text or None."""
    return None if value is None else value.isoformat()


def json_ready(record: Any) -> dict[str, Any]:
    """A record dataclass's fields, in order, as JSON-ready values.

    Dates and date-times become ISO text, tuples lists (of copied dicts where they hold
    dicts), dicts copies; everything else as it is.
    """

    def plain(value: Any) -> Any:
        if isinstance(value, dt.date | dt.datetime):
            return value.isoformat()
        if isinstance(value, tuple | list):
            return [dict(v) if isinstance(v, dict) else v for v in value]
        if isinstance(value, dict):
            return dict(value)
        return value

    return {f.name: plain(getattr(record, f.name)) for f in dataclasses.fields(record)}


def text(value: Any, field: str, *, max_length: int, required: bool = False) -> str | None:
    """Stripped text of at most ``max_length`` characters (None or "" → None)."""
    if value is None or not str(value).strip():
        if required:
            raise InputError(f"{field} is required (non-empty text)", column=field)
        return None
    out = str(value).strip()
    if len(out) > max_length:
        raise InputError(
            f"{field} is {len(out)} characters long; at most {max_length} are allowed",
            column=field,
        )
    return out


def require_analyst(by: Principal, what: str) -> None:
    """403 unless ``by`` is an analyst or admin."""
    if not by.role.allows(Role.analyst):
        raise ForbiddenError(
            f"{what} needs the analyst or admin role; you have {by.role.value}",
            hint="ask an admin of your party for an analyst token",
        )


def visible_sql(alias: str, owner: str = "owner_party", *, always_private: bool = False) -> str:
    """SQL condition: a row of ``alias`` is public, owned by or shared with the party.

    ``owner`` names the owner-party column; ``always_private`` is for tables without a
    ``private`` column whose rows are all private (notes). Two ``?`` parameters: the
    reading party, twice.
    """
    public = "" if always_private else f"{alias}.private = FALSE OR "
    return (
        f"({public}{alias}.{owner} = ? OR EXISTS (SELECT 1 FROM incident_shares x "
        f"WHERE x.object_id = {alias}.id AND x.party = ?))"
    )


def shares(db: Tx | StateDB, ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Parties each object id is shared with."""
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    rows = db.fetchall(
        f"SELECT object_id, party FROM incident_shares WHERE object_id IN ({marks}) ORDER BY party",
        list(ids),
    )
    out: dict[str, list[str]] = {}
    for oid, party in rows:
        out.setdefault(str(oid), []).append(str(party))
    return {k: tuple(v) for k, v in out.items()}


def set_shares(tx: Tx, object_id: str, parties_: Sequence[str]) -> None:
    """Replace the parties ``object_id`` is shared with."""
    tx.execute("DELETE FROM incident_shares WHERE object_id = ?", [object_id])
    for p in parties_:
        tx.execute("INSERT INTO incident_shares (object_id, party) VALUES (?, ?)", [object_id, p])


def shown_shares(owner: str, reader: str, shared: tuple[str, ...]) -> tuple[str, ...]:
    """What a reader sees of a share list: all of it when it owns the record, else itself."""
    if owner == reader:
        return shared
    return (reader,) if reader in shared else ()


def seen_shares(
    db: Tx | StateDB, owners: Mapping[str, str], reader: str
) -> dict[str, tuple[str, ...]]:
    """What ``reader`` sees of the share list of each object id (``owners``: id → owner)."""
    shared = shares(db, list(owners))
    return {oid: shown_shares(owner, reader, shared.get(oid, ())) for oid, owner in owners.items()}


def insert_row(tx: Tx, table: str, row: dict[str, Any]) -> None:
    """``INSERT INTO table`` the columns and values of ``row``."""
    names = list(row)
    tx.execute(
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
        [row[k] for k in names],
    )


def check_changes(changes: Mapping[str, Any], editable: Sequence[str], hint: str = "") -> None:
    """400 when ``changes`` is empty or names a field outside ``editable``."""
    unknown = sorted(set(changes) - set(editable))
    if unknown:
        raise InputError(
            f"unknown or fixed field(s) {unknown}",
            column=unknown[0],
            hint=hint or "changeable: " + ", ".join(editable),
        )
    if not changes:
        raise InputError("nothing to change: send at least one field", column="body")


def bump_version(
    tx: Tx, table: str, what: str, record_id: str, by: Principal, expected: int, current: int
) -> int:
    """Raise a record's ``version`` from ``expected`` and stamp ``updated_*``; the new version.

    ``current`` is the version read before (for the message). The ``UPDATE … WHERE version
    = ?`` is atomic, so two writers from one version cannot both win: the loser gets a 409
    (:class:`ConflictError`) saying which version is current.
    """
    row = tx.fetchone(
        f"UPDATE {table} SET version = version + 1, updated_at = ?, updated_by = ? "
        "WHERE id = ? AND version = ? RETURNING version",
        [now(), by.user, record_id, int(expected)],
    )
    if row is None:
        raise ConflictError(
            f"{what} {record_id!r} was changed by someone else: you sent version {expected}, "
            f"it is now at version {current}",
            field="version",
            hint=f"reload the {what}, re-apply your change to it and send its version",
        )
    return int(row[0])


def lock_incident(tx: Tx, incident_id: str) -> tuple[int, str]:
    """The incident's version and status, its row locked until ``tx`` ends; 404 if absent.

    Writes that hang off an incident without changing it (assessments, private notes)
    take this lock so that they serialise with each other and with the incident's edits
    (PostgreSQL ``SELECT … FOR UPDATE``; DuckDB's one connection already serialises).
    """
    lock = " FOR UPDATE" if tx.dialect == "postgresql" else ""
    row = tx.fetchone(f"SELECT version, status FROM incidents WHERE id = ?{lock}", [incident_id])
    if row is None:
        raise NotFoundError(f"no incident {incident_id!r}", field="incident_id")
    return int(row[0]), str(row[1])


def closed_error(incident_id: str) -> ConflictError:
    """The 409 of a change to a closed incident."""
    return ConflictError(
        f"incident {incident_id!r} is closed; it takes no more changes",
        field="incident_id",
        hint="open a new incident (closed ones are kept as they are)",
    )


class PartyRecords(ABC, Generic[T]):
    """Records hanging off incidents that may be private to a party (actions, decisions, notes).

    A subclass names its table (alias ``r``), columns, owner-party column, order and what a
    record is called, and builds a record from a row and the share list its reader sees.
    Every read goes through :meth:`_select`, whose SQL keeps only the rows the reading
    party may see (:func:`visible_sql`).
    """

    table: ClassVar[str]
    columns: ClassVar[tuple[str, ...]]
    owner: ClassVar[str] = "owner_party"
    always_private: ClassVar[bool] = False
    order: ClassVar[str]
    what: ClassVar[str]

    def __init__(self, incidents: Incidents) -> None:
        self.incidents = incidents
        self.db: StateDB = incidents.db
        self.audit = incidents.audit

    @abstractmethod
    def _make(self, row: tuple[Any, ...], shared_with: tuple[str, ...]) -> T:
        """The record of a row of :attr:`columns`, with the share list its reader sees."""

    def _select(self, src: Tx | StateDB, party: str, where: str, params: Sequence[Any]) -> list[T]:
        cols = ", ".join(f"r.{c}" for c in self.columns)
        rows = src.fetchall(
            f"SELECT {cols} FROM {self.table} r WHERE {where} AND "
            f"{visible_sql('r', self.owner, always_private=self.always_private)} "
            f"ORDER BY {self.order}",
            [*params, party, party],
        )
        at = self.columns.index(self.owner)
        shared = seen_shares(src, {str(r[0]): str(r[at]) for r in rows}, party)
        return [self._make(r, shared[str(r[0])]) for r in rows]

    def get(self, party: str, record_id: str, *, tx: Tx | None = None) -> T:
        """One record visible to ``party``; 404 when absent *or* not visible."""
        found = self._select(tx or self.db, party, "r.id = ?", [record_id])
        if not found:
            raise NotFoundError(f"no {self.what} {record_id!r}", field=f"{self.what}_id")
        return found[0]
