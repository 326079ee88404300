"""Actions agreed on an incident: typed, owned by a party, assigned, due, tracked.

Kinds and their typed parameters (``params``; unknown keys are refused):

=========================  ==========================================================
kind                       params
=========================  ==========================================================
``stockpile_release``      ``commodity`` (required), ``tonnes``, ``days_of_cover``
``allied_allocation``      ``commodity`` (required), ``tonnes``, ``recipients``
``project_financing``      ``project`` (required), ``instrument``, ``amount_usd``
``permitting_acceleration``  ``project`` (required), ``months_saved``
``diplomatic``             ``counterpart``
``other``                  —
=========================  ==========================================================

Status moves along :data:`TRANSITIONS` (``proposed`` → ``agreed`` → ``in_progress`` →
``done``; ``blocked``, ``rejected`` and ``cancelled`` on the way); any other move is a
409 naming the allowed ones. Only analysts and admins of the **owner party** change an
action, from its current ``version`` (409 when it moved on). An action marked ``private``
exists only for its owner party and the parties it is shared with. Actions are never
deleted: a mistaken one is ``cancelled``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from minsec.catalog import commodities as commodities_cat
from minsec.errors import InputError
from minsec.respond.common import (
    PartyRecords,
    bump_version,
    check_changes,
    day,
    dumps,
    insert_row,
    json_ready,
    new_id,
    parties,
    require_analyst,
    resolve_party,
    set_shares,
    text,
)
from minsec.state.db import Tx
from minsec.state.errors import ConflictError, ForbiddenError
from minsec.state.principal import Principal, now

if TYPE_CHECKING:
    pass

ActionKind = Literal[
    "stockpile_release",
    "allied_allocation",
    "project_financing",
    "permitting_acceleration",
    "diplomatic",
    "other",
]
ActionStatus = Literal[
    "proposed", "agreed", "in_progress", "blocked", "done", "rejected", "cancelled"
]
KINDS: tuple[str, ...] = get_args(ActionKind)
KIND_LABELS: dict[str, str] = {
    "stockpile_release": "Stockpile release",
    "allied_allocation": "Allied allocation",
    "project_financing": "Project financing",
    "permitting_acceleration": "Permitting acceleration",
    "diplomatic": "Diplomatic",
    "other": "Other",
}
"""Each kind in words (clock titles, tables)."""
STATUSES: tuple[str, ...] = get_args(ActionStatus)
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "proposed": ("agreed", "rejected", "cancelled"),
    "agreed": ("in_progress", "done", "blocked", "cancelled"),
    "in_progress": ("done", "blocked", "cancelled"),
    "blocked": ("in_progress", "cancelled"),
    "done": (),
    "rejected": (),
    "cancelled": (),
}
FINISHED = ("done", "rejected", "cancelled")
"""Statuses that stop an action's clock."""
EDITABLE = ("title", "detail", "assignee", "due_date", "status", "params", "private", "shared_with")


def _named(resolve: Callable[[str], str], value: str) -> str:
    """A catalog name resolved; its error as a ValueError (pydantic then names the field)."""
    try:
        return resolve(value)
    except InputError as exc:
        raise ValueError(exc.message + (f" ({exc.hint})" if exc.hint else "")) from None


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Commodity(_Params):
    commodity: str
    tonnes: float | None = Field(default=None, ge=0, le=1e12, allow_inf_nan=False)

    @field_validator("commodity")
    @classmethod
    def _known(cls, value: str) -> str:
        return _named(commodities_cat.resolve, value)


class StockpileReleaseParams(_Commodity):
    """A release from a party's stockpile."""

    days_of_cover: float | None = Field(default=None, ge=0, le=3650, allow_inf_nan=False)


class AlliedAllocationParams(_Commodity):
    """Scarce supply or stockpiles allocated between partners."""

    recipients: list[str] = Field(default_factory=list, max_length=60)

    @field_validator("recipients")
    @classmethod
    def _parties(cls, value: list[str]) -> list[str]:
        return [_named(resolve_party, v) for v in value]


class ProjectFinancingParams(_Params):
    """Finance a mining or processing project with an instrument."""

    project: str = Field(min_length=1, max_length=200)
    instrument: (
        Literal["grant", "loan", "guarantee", "equity", "offtake", "insurance", "other"] | None
    ) = None
    amount_usd: float | None = Field(default=None, ge=0, le=1e13, allow_inf_nan=False)


class PermittingParams(_Params):
    """Accelerate a project's permits."""

    project: str = Field(min_length=1, max_length=200)
    months_saved: float | None = Field(default=None, ge=0, le=240, allow_inf_nan=False)


class DiplomaticParams(_Params):
    """A démarche, a call, a joint statement."""

    counterpart: str | None = Field(default=None, max_length=200)


PARAMS: dict[str, type[_Params]] = {
    "stockpile_release": StockpileReleaseParams,
    "allied_allocation": AlliedAllocationParams,
    "project_financing": ProjectFinancingParams,
    "permitting_acceleration": PermittingParams,
    "diplomatic": DiplomaticParams,
    "other": _Params,
}


def check_params(kind: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validated params of an action kind (errors name ``params.<field>``)."""
    model = PARAMS[kind]
    try:
        return model.model_validate(dict(params or {})).model_dump(exclude_none=True)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err.get("loc", ()))
        field = f"params.{where}" if where else "params"
        allowed = ", ".join(model.model_fields) or "none"
        raise InputError(
            f"{field}: {err.get('msg', 'invalid')} (for a {kind} action)".replace(
                "Value error, ", ""
            ),
            column=field,
            hint=f"params of {kind}: {allowed}",
        ) from None


def _kind(value: str) -> str:
    if value not in KINDS:
        raise InputError(f"unknown action kind {value!r}", column="kind", hint=", ".join(KINDS))
    return value


@dataclass(frozen=True)
class Action:
    """An action as the reading party may see it."""

    id: str
    incident_id: str
    kind: str
    title: str
    detail: str | None
    params: dict[str, Any]
    owner_party: str
    assignee: str | None
    due_date: dt.date | None
    status: str
    private: bool
    shared_with: tuple[str, ...]
    version: int
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    updated_by: str

    def overdue(self, today: dt.date) -> bool:
        """Due before ``today`` and not finished."""
        return self.due_date is not None and self.due_date < today and self.status not in FINISHED

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return json_ready(self)


class Actions(PartyRecords[Action]):
    """The actions of incidents (reach them as ``Incidents.actions``)."""

    table = "incident_actions"
    columns = (
        "id", "incident_id", "kind", "title", "detail", "params", "owner_party", "assignee",
        "due_date", "status", "private", "version", "created_at", "created_by", "updated_at",
        "updated_by",
    )  # fmt: skip
    order = "r.due_date NULLS LAST, r.created_at, r.id"
    what = "action"

    def _make(self, r: tuple[Any, ...], shared_with: tuple[str, ...]) -> Action:
        return Action(
            id=str(r[0]),
            incident_id=str(r[1]),
            kind=str(r[2]),
            title=str(r[3]),
            detail=r[4],
            params=json.loads(r[5]),
            owner_party=str(r[6]),
            assignee=r[7],
            due_date=day(r[8], "due_date"),
            status=str(r[9]),
            private=bool(r[10]),
            shared_with=shared_with,
            version=int(r[11]),
            created_at=r[12],
            created_by=str(r[13]),
            updated_at=r[14],
            updated_by=str(r[15]),
        )

    def visible(
        self, party: str, incident_id: str | None = None, *, tx: Tx | None = None
    ) -> list[Action]:
        """Actions visible to ``party`` (of one incident, or of all), by due date."""
        if incident_id is None:
            return self._select(tx or self.db, party, "1 = 1", [])
        return self._select(tx or self.db, party, "r.incident_id = ?", [incident_id])

    def add(
        self,
        by: Principal,
        incident_id: str,
        *,
        kind: str,
        title: str,
        detail: str | None = None,
        params: Mapping[str, Any] | None = None,
        owner_party: str | None = None,
        assignee: str | None = None,
        due_date: dt.date | str | None = None,
        status: str = "proposed",
        private: bool = False,
        shared_with: Sequence[str] = (),
    ) -> Action:
        """Add an action to an open incident (owner party: the caller's unless given)."""
        require_analyst(by, "adding an action")
        kind = _kind(kind)
        owner = resolve_party(owner_party, "owner_party") if owner_party else by.party
        if private and owner != by.party:
            raise ForbiddenError(
                "a private action belongs to your own party; leave owner_party out or make "
                "it public",
                field="private",
            )
        if status not in ("proposed", "agreed"):
            raise InputError(
                f"a new action starts as proposed or agreed, not {status!r}",
                column="status",
            )
        row = {
            "id": new_id("act"),
            "incident_id": incident_id,
            "kind": kind,
            "title": text(title, "title", max_length=300, required=True),
            "detail": text(detail, "detail", max_length=20_000),
            "params": dumps(check_params(kind, params)),
            "owner_party": owner,
            "assignee": text(assignee, "assignee", max_length=200),
            "due_date": day(due_date, "due_date"),
            "status": status,
            "private": bool(private),
            "version": 1,
            "created_at": now(),
            "created_by": by.user,
            "updated_at": now(),
            "updated_by": by.user,
        }
        shared = parties(shared_with, "shared_with", drop=owner)
        with self.db.transaction() as tx:
            self.incidents.require_open(tx, by.party, incident_id)
            insert_row(tx, "incident_actions", row)
            set_shares(tx, str(row["id"]), shared)
            detail_: dict[str, Any] = {
                k: row[k]
                for k in (
                    "kind",
                    "title",
                    "owner_party",
                    "assignee",
                    "due_date",
                    "status",
                    "private",
                )
            }
            detail_ = {
                **detail_,
                "params": json.loads(str(row["params"])),
                "shared_with": list(shared),
            }
            self.audit.append(
                tx,
                by,
                "action.add",
                f"incident:{incident_id}/action:{row['id']}",
                detail_,
                party=by.party,
            )
            return self.get(by.party, str(row["id"]), tx=tx)

    def update(
        self, by: Principal, action_id: str, changes: Mapping[str, Any], *, version: int
    ) -> Action:
        """Change an action of your party from ``version`` (409 when it moved on)."""
        require_analyst(by, "changing an action")
        check_changes(changes, EDITABLE)
        with self.db.transaction() as tx:
            before = self.get(by.party, action_id, tx=tx)
            if before.owner_party != by.party:
                raise ForbiddenError(
                    f"action {action_id!r} belongs to {before.owner_party}; only that party "
                    "changes it",
                )
            self.incidents.require_open(tx, by.party, before.incident_id)
            values: dict[str, Any] = {}
            for key, value in changes.items():
                if key == "title":
                    values[key] = text(value, key, max_length=300, required=True)
                elif key == "detail":
                    values[key] = text(value, key, max_length=20_000)
                elif key == "assignee":
                    values[key] = text(value, key, max_length=200)
                elif key == "due_date":
                    values[key] = day(value, key)
                elif key == "params":
                    values[key] = dumps(check_params(before.kind, value))
                elif key == "private":
                    values[key] = bool(value)
                elif key == "status":
                    if value not in STATUSES:
                        raise InputError(
                            f"unknown status {value!r}",
                            column="status",
                            hint=", ".join(STATUSES),
                        )
                    allowed = TRANSITIONS[before.status]
                    if value != before.status and value not in allowed:
                        raise ConflictError(
                            f"action {action_id!r} is {before.status}; it cannot become {value}",
                            field="status",
                            hint=(
                                "allowed next: " + ", ".join(allowed)
                                if allowed
                                else f"{before.status} is final"
                            ),
                        )
                    values[key] = value
            new_version = bump_version(
                tx, "incident_actions", "action", action_id, by, version, before.version
            )
            if values:
                sets = ", ".join(f"{k} = ?" for k in values)
                tx.execute(
                    f"UPDATE incident_actions SET {sets} WHERE id = ?",
                    [*values.values(), action_id],
                )
            detail = {k: v for k, v in values.items() if k != "params"}
            if "params" in values:
                detail["params"] = json.loads(values["params"])
            if "status" in values:
                detail["status_before"] = before.status
            if "shared_with" in changes:
                shared = parties(changes["shared_with"] or (), "shared_with", drop=by.party)
                set_shares(tx, action_id, shared)
                detail["shared_with"] = list(shared)
            detail["version"] = new_version
            self.audit.append(
                tx,
                by,
                "action.update",
                f"incident:{before.incident_id}/action:{action_id}",
                detail,
            )
            return self.get(by.party, action_id, tx=tx)
