"""``/api/v1/incidents`` and ``/api/v1/clocks``: the Rapid Response Group's workflow.

Every authenticated party reads incidents (private notes, actions and decisions of
another party are absent unless shared: a private note is a record of its own, under
``…/private-notes``, that leaves no trace on the incident); analysts and admins write.
Each write is audited in the same transaction. Incidents, actions and decisions are never
deleted (``DELETE`` is 405): an incident is closed, an action cancelled, a decision
superseded.

Changes are optimistic: ``PATCH`` names the version it was made from, in ``If-Match``
(the ``ETag`` of the last read, e.g. ``"3"``) or the body's ``version``; a stale version is
a 409 that says which version is current, and a missing one a 428.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Header, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from minsec.api.answer import FormatQ, TableResponse, file_response
from minsec.api.auth import Analyst, State, Viewer
from minsec.api.errors import ApiError, ErrorResponse
from minsec.api.serialize import FILE_RESPONSES, Format, body, json_safe
from minsec.disrupt.scenario import ParameterOverrides, Scenario
from minsec.disrupt.scenario import Response as ScenarioResponse
from minsec.respond.actions import ActionKind, ActionStatus
from minsec.respond.incidents import list_frame
from minsec.state.errors import StateError

router = APIRouter(prefix="/api/v1", tags=["incidents"])

IncidentPath = Annotated[str, Path(max_length=64, description="Incident id (inc_…).")]
ActionPath = Annotated[str, Path(max_length=64, description="Action id (act_…).")]
PartyPath = Annotated[str, Path(max_length=40, description="Your party (USA, JPN, …).")]
ClockPath = Annotated[
    str, Path(max_length=64, description="framework:financing, framework:ministerial or ddl_…")
]
IfMatch = Annotated[
    str | None,
    Header(
        max_length=100,
        description='The version the change was made from: the ETag of the last read ("3").',
    ),
]
Day = Annotated[dt.date, Field(ge=dt.date(1990, 1, 1), le=dt.date(2100, 12, 31))]
Text = Annotated[str, Field(min_length=1, max_length=300)]
Party = Annotated[str, Field(min_length=1, max_length=40)]
PartyList = Annotated[list[Party], Field(max_length=60)]
Year = Annotated[int, Field(ge=1995, le=2100)]
Version = Annotated[int, Field(ge=1, le=2**31 - 1)]
PRECONDITION: dict[int | str, dict[str, Any]] = {
    428: {"model": ErrorResponse, "description": "No version: send If-Match or `version`."},
}


@contextmanager
def _errors() -> Iterator[None]:
    """Repository errors (404, 403, 409) → the API's error shape."""
    try:
        yield
    except StateError as exc:
        raise ApiError(exc.status, exc.message, field=exc.field, hint=exc.hint) from None


def _version(if_match: str | None, version: int | None) -> int:
    if version is not None:
        return version
    if if_match is None:
        raise ApiError(
            428,
            "a change must name the version it was made from",
            field="If-Match",
            hint='send the header If-Match: "N" (the ETag of your last read) or "version": N',
        )
    raw = if_match.strip().removeprefix("W/").strip('"').strip()
    if not raw.isdigit() or not 1 <= int(raw) < 2**31:
        raise ApiError(
            422,
            f"If-Match {if_match!r} is not a version",
            field="If-Match",
            hint='the ETag of the incident or action, e.g. "3"',
        )
    return int(raw)


def _no_nulls(model: BaseModel, names: tuple[str, ...]) -> None:
    """A PATCH field that cannot be null was sent as null: say to leave it out."""
    for name in names:
        if name in model.model_fields_set and getattr(model, name) is None:
            raise ValueError(f"{name} cannot be null; leave it out to keep it")


def _tagged(content: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(
        json_safe(content), status_code=status, headers={"ETag": f'"{content["version"]}"'}
    )


# -- models ----------------------------------------------------------------------------------


class EventIn(BaseModel):
    """An observed export restriction: the structured fields of the incident."""

    model_config = ConfigDict(extra="forbid")

    exporter: Party = Field(examples=["China"], description="The restricting country.")
    commodities: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        min_length=1, max_length=20, examples=[["graphite"]]
    )
    measure: str | None = Field(
        default=None, max_length=200, examples=["export licensing"], description="What it is."
    )
    fraction: float = Field(
        default=1.0, gt=0, le=1, allow_inf_nan=False, description="Share of exports withheld."
    )
    targets: PartyList | None = Field(default=None, description="Importers hit (default all).")
    effective_date: Day = Field(examples=["2025-12-01"])
    duration_months: float | None = Field(default=None, gt=0, le=240, allow_inf_nan=False)
    source_url: str | None = Field(default=None, max_length=2000)
    responses: list[ScenarioResponse] = Field(
        default_factory=list,
        max_length=50,
        description="Responses to size (stockpile releases, demand restraint); the allied "
        "sharing of the like-minded bloc is added when absent.",
    )
    parameters: ParameterOverrides = Field(default_factory=ParameterOverrides)


class ScenarioRef(BaseModel):
    """A scenario: a named one (``minsec scenarios list``) or an inline spec."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=100, examples=["drc-cobalt-quota-2025"])
    spec: Scenario | None = None

    @model_validator(mode="after")
    def _one(self) -> ScenarioRef:
        if (self.name is None) == (self.spec is None):
            raise ValueError("give exactly one of name or spec")
        return self


class IncidentIn(BaseModel):
    """A new incident: from an observed ``event`` or from a ``scenario`` (exactly one)."""

    model_config = ConfigDict(extra="forbid")

    title: Text | None = Field(default=None, description="Required with an event.")
    description: str | None = Field(default=None, max_length=20_000)
    event: EventIn | None = None
    scenario: ScenarioRef | None = None
    partners: PartyList | None = Field(
        default=None, description="Parties to report (default USA, JPN, like-minded)."
    )
    baseline_year: Year | None = None
    note: str | None = Field(default=None, max_length=20_000)
    note_private: bool = Field(
        default=False,
        description="Make the note your party's private note (a record of its own, "
        "see /private-notes) instead of the incident's public note.",
    )
    note_shared_with: PartyList = Field(
        default_factory=list, description="Parties the private note is shared with."
    )
    due_date: Day | None = Field(default=None, description="When the response is due.")

    @model_validator(mode="after")
    def _origin(self) -> IncidentIn:
        if (self.event is None) == (self.scenario is None):
            raise ValueError("give exactly one of event or scenario")
        if self.event is not None and self.title is None:
            raise ValueError("title is required for an incident opened from an event")
        return self


class IncidentPatch(BaseModel):
    """Fields to change, and the version they were made from (or send If-Match)."""

    model_config = ConfigDict(extra="forbid")

    version: Version | None = None
    title: Text | None = None
    description: str | None = Field(default=None, max_length=20_000)
    measure: str | None = Field(default=None, max_length=200)
    source_url: str | None = Field(default=None, max_length=2000)
    partners: PartyList | None = Field(default=None, min_length=1)
    responses: list[ScenarioResponse] | None = Field(
        default=None, max_length=50, description="Replaces the responses to size."
    )
    baseline_year: Year | None = None
    due_date: Day | None = None
    note: str | None = Field(
        default=None, max_length=20_000, description="The public note (owner party only)."
    )

    @model_validator(mode="before")
    @classmethod
    def _private_note(cls, data: Any) -> Any:
        if isinstance(data, dict) and {"note_private", "note_shared_with"} & set(data):
            raise ValueError(
                "a private note is not a field of the incident: write it with PUT "
                "/api/v1/incidents/{id}/private-notes/{your party} (it does not change the "
                "incident or its version)"
            )
        return data

    @model_validator(mode="after")
    def _not_null(self) -> IncidentPatch:
        _no_nulls(self, ("title", "partners", "responses"))
        return self


class IncidentOut(BaseModel):
    """An incident as your party sees it."""

    id: str
    title: str
    description: str
    origin: Literal["event", "scenario"]
    exporter: str | None
    commodities: list[str]
    measure: str | None
    fraction: float | None
    targets: list[str] | None
    effective_date: str | None
    duration_months: float | None
    source_url: str | None
    scenario_name: str | None
    scenario: dict[str, Any] | None
    baseline_year: int | None
    partners: list[str]
    responses: list[dict[str, Any]]
    parameters: dict[str, Any]
    status: Literal["open", "closed"]
    owner_party: str
    note: str | None = Field(description="The public note.")
    due_date: str | None
    version: int
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str
    closed_at: str | None
    closed_by: str | None
    close_reason: str | None


class AssessIn(BaseModel):
    """Overrides for this run (recorded with it) and why it is run."""

    model_config = ConfigDict(extra="forbid")

    baseline_year: Year | None = None
    parameters: ParameterOverrides | None = None
    reason: str | None = Field(default=None, max_length=2000, examples=["new 2024 trade data"])
    version: Version | None = Field(
        default=None, description="When given, 409 if the incident changed meanwhile."
    )


class AssessmentOut(BaseModel):
    """One assessment: impact per partner, proposed coordinated response, provenance."""

    id: str
    incident_id: str
    seq: int
    assessed_at: str
    assessed_by: str
    reason: str
    baseline_year: int
    parameters: dict[str, Any]
    data_checksum: str
    scenarios: list[dict[str, Any]]
    impact: list[dict[str, Any]]
    response: dict[str, Any]
    notes: list[str]


class CloseIn(BaseModel):
    """Why the incident is closed."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)
    version: Version | None = None


class ActionIn(BaseModel):
    """A new action on the incident."""

    model_config = ConfigDict(extra="forbid")

    kind: ActionKind
    title: Text
    detail: str | None = Field(default=None, max_length=20_000)
    params: dict[str, Any] = Field(
        default_factory=dict, description="Typed fields of the kind (see docs/incidents.md)."
    )
    owner_party: Party | None = Field(default=None, description="Default: your party.")
    assignee: str | None = Field(default=None, max_length=200)
    due_date: Day | None = None
    status: Literal["proposed", "agreed"] = "proposed"
    private: bool = False
    shared_with: PartyList = Field(default_factory=list)


class ActionPatch(BaseModel):
    """Fields of an action to change, and the version they were made from."""

    model_config = ConfigDict(extra="forbid")

    version: Version | None = None
    title: Text | None = None
    detail: str | None = Field(default=None, max_length=20_000)
    params: dict[str, Any] | None = None
    assignee: str | None = Field(default=None, max_length=200)
    due_date: Day | None = None
    status: ActionStatus | None = None
    private: bool | None = None
    shared_with: PartyList | None = None

    @model_validator(mode="after")
    def _not_null(self) -> ActionPatch:
        _no_nulls(self, ("title", "params", "status", "private"))
        return self


class ActionOut(BaseModel):
    """An action as your party sees it."""

    id: str
    incident_id: str
    kind: str
    title: str
    detail: str | None
    params: dict[str, Any]
    owner_party: str
    assignee: str | None
    due_date: str | None
    status: str
    private: bool
    shared_with: list[str]
    version: int
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str


class DecisionIn(BaseModel):
    """A decision: what, who decided, why."""

    model_config = ConfigDict(extra="forbid")

    summary: str = Field(min_length=1, max_length=2000)
    rationale: str = Field(min_length=1, max_length=20_000)
    decided_by: str = Field(
        min_length=1, max_length=300, examples=["US Energy Secretary and METI Minister"]
    )
    decided_on: Day | None = Field(default=None, description="Default: today.")
    action_ids: list[Annotated[str, Field(max_length=64)]] = Field(
        default_factory=list, max_length=100
    )
    supersedes: str | None = Field(default=None, max_length=64)
    private: bool = False
    shared_with: PartyList = Field(default_factory=list)


class DecisionOut(BaseModel):
    """A decision as your party sees it."""

    id: str
    incident_id: str
    summary: str
    rationale: str
    decided_by: str
    decided_on: str
    party: str
    private: bool
    shared_with: list[str]
    action_ids: list[str]
    supersedes: str | None
    recorded_at: str
    recorded_by: str


class NoteIn(BaseModel):
    """Your party's private note: its text, who it is shared with, the version it is from."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(max_length=20_000, description="null or blank clears it.")
    shared_with: PartyList | None = Field(
        default=None, description="Parties that may read it (left out: unchanged)."
    )
    version: Version | None = Field(
        default=None, description="The note's version (or If-Match); left out to create it."
    )


class NoteOut(BaseModel):
    """A private note: your party's, or another party's shared with you."""

    id: str
    incident_id: str
    party: str
    text: str | None
    shared_with: list[str]
    version: int
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str


class DeadlineIn(BaseModel):
    """A deadline the incident adds to the clocks."""

    model_config = ConfigDict(extra="forbid")

    title: Text
    due_date: Day


class ClockOut(BaseModel):
    """A clock on a given day."""

    id: str
    kind: Literal["framework", "incident", "deadline", "action"]
    title: str
    due_date: str
    state: Literal["open", "overdue", "met"]
    days_left: int
    incident_id: str | None
    owner_party: str | None
    met_at: str | None


class IncidentDetail(IncidentOut):
    """An incident with its private notes, latest assessment, actions, decisions, clocks."""

    private_notes: list[NoteOut] = Field(
        description="Your party's private note and those shared with you (no other)."
    )
    assessment: AssessmentOut | None
    assessment_stale: bool | None = Field(
        description="True when the data, the baseline year or the partners changed since "
        "the latest assessment (re-assess it)."
    )
    assessment_stale_reasons: list[str]
    assessments: int
    actions: list[ActionOut]
    decisions: list[DecisionOut]
    clocks: list[ClockOut]


class HistoryEntry(BaseModel):
    """An audit entry of your party about the incident."""

    id: int
    at: str
    user: str
    action: str
    object: str
    detail: dict[str, Any]


TodayQ = Annotated[
    dt.date | None,
    Query(
        ge=dt.date(1990, 1, 1),
        le=dt.date(2100, 12, 31),
        description="The day clocks are read on (default: today).",
    ),
]

# -- incidents -------------------------------------------------------------------------------

LIST_COLUMNS = [
    "id",
    "title",
    "status",
    "origin",
    "exporter",
    "commodities",
    "measure",
    "effective_date",
    "partners",
    "owner_party",
    "note",
    "due_date",
    "assessment_seq",
    "assessment_stale",
    "stale_reasons",
    "overdue_items",
    "overdue",
    "version",
    "created_at",
    "updated_at",
    "closed_at",
]
"""Columns of the incident list (``note`` is the public note)."""


@router.get(
    "/incidents",
    response_model=TableResponse,
    responses=FILE_RESPONSES,
    summary="Incidents, newest first, with their assessment's staleness and overdue clocks",
)
async def list_incidents(
    who: Viewer,
    state: State,
    status: Annotated[Literal["open", "closed"] | None, Query()] = None,
    overdue: Annotated[bool, Query(description="Only incidents with an overdue clock.")] = False,
    today: TodayQ = None,
    format: FormatQ = Format.json,
) -> Response:
    """Every incident, with its assessment's staleness and its overdue clocks.

    Per row: ``assessment_stale`` (null: never assessed), ``stale_reasons``,
    ``assessment_seq`` and ``overdue_items`` (clocks past their day). Other parties'
    private notes are not in it (``note`` is the public note).
    """

    def work() -> bytes:
        rows = state.incidents.listing(who.party, status=status, today=today, overdue_only=overdue)
        meta: dict[str, Any] = {
            "party": who.party,
            "rows": len(rows),
            "status": status,
            "overdue": overdue,
            "today": (today or dt.date.today()).isoformat(),
        }
        frame = list_frame(rows, LIST_COLUMNS, flat=format is not Format.json)
        return body(frame, format, meta)

    return file_response(await run_in_threadpool(work), format, "incidents")


@router.post("/incidents", status_code=201, response_model=IncidentOut, summary="Open an incident")
def open_incident(item: IncidentIn, who: Analyst, state: State) -> JSONResponse:
    """Open an incident from an observed event or a scenario; then ``/assess`` it."""
    common: dict[str, Any] = {
        "partners": item.partners,
        "baseline_year": item.baseline_year,
        "note": item.note,
        "note_private": item.note_private,
        "note_shared_with": item.note_shared_with,
        "due_date": item.due_date,
    }
    with _errors():
        if item.event is not None:
            ev = item.event
            assert item.title is not None
            inc = state.incidents.open_event(
                who,
                title=item.title,
                description=item.description or "",
                exporter=ev.exporter,
                commodities=ev.commodities,
                measure=ev.measure,
                fraction=ev.fraction,
                targets=ev.targets,
                effective_date=ev.effective_date,
                duration_months=ev.duration_months,
                source_url=ev.source_url,
                responses=[r.model_dump(mode="json", exclude_none=True) for r in ev.responses],
                parameters=ev.parameters.model_dump(mode="json", exclude_defaults=True),
                **common,
            )
        else:
            assert item.scenario is not None
            ref = item.scenario
            spec: str | dict[str, Any]
            if ref.spec is not None:
                spec = ref.spec.model_dump(mode="json", exclude_none=True)
            else:
                assert ref.name is not None  # the model requires one of the two
                spec = ref.name
            inc = state.incidents.open_scenario(
                who,
                scenario=spec,
                title=item.title,
                description=item.description,
                **common,
            )
    return _tagged(inc.as_dict(), 201)


@router.get(
    "/incidents/{incident_id}",
    response_model=IncidentDetail,
    summary="An incident with its assessment, actions, decisions and clocks",
)
def get_incident(
    incident_id: IncidentPath, who: Viewer, state: State, today: TodayQ = None
) -> JSONResponse:
    """The whole incident as your party sees it; the ETag is its version."""
    with _errors():
        out = state.incidents.detail(who.party, incident_id, today=today)
    return _tagged(out)


@router.patch(
    "/incidents/{incident_id}",
    response_model=IncidentOut,
    responses=PRECONDITION,
    summary="Change an incident (optimistic: 409 on a stale version)",
)
def update_incident(
    incident_id: IncidentPath,
    changes: IncidentPatch,
    who: Analyst,
    state: State,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Change fields from the version you read; 409 if someone changed it since."""
    values = changes.model_dump(exclude_unset=True, mode="json")
    version = _version(if_match, values.pop("version", None))
    with _errors():
        inc = state.incidents.update(who, incident_id, values, version=version)
    return _tagged(inc.as_dict())


@router.post(
    "/incidents/{incident_id}/assess",
    status_code=201,
    response_model=AssessmentOut,
    summary="Assess (or re-assess) an incident with the disruption engine",
)
def assess_incident(
    incident_id: IncidentPath, who: Analyst, state: State, item: AssessIn | None = None
) -> dict[str, Any]:
    """Run the engine on the data store; the result is kept as the newest assessment."""
    spec = item or AssessIn()
    with _errors():
        found = state.incidents.assess(
            who,
            incident_id,
            baseline_year=spec.baseline_year,
            parameters=None
            if spec.parameters is None
            else spec.parameters.model_dump(mode="json", exclude_defaults=True),
            reason=spec.reason,
            version=spec.version,
        )
    out: dict[str, Any] = json_safe(found.as_dict())
    return out


@router.post(
    "/incidents/reassess",
    response_model=list[AssessmentOut],
    summary="Re-assess every open incident whose assessment is out of date",
)
def reassess_stale(who: Analyst, state: State) -> list[Any]:
    """One new assessment per stale incident; the history keeps the old ones.

    Stale: the data changed (a new import), or the incident's baseline year or partners
    changed after its latest assessment; the new assessment's reason says which.
    """
    with _errors():
        found = state.incidents.reassess_stale(who)
    return [json_safe(a.as_dict()) for a in found]


@router.get(
    "/incidents/{incident_id}/assessments",
    response_model=list[AssessmentOut],
    summary="Every assessment of an incident, oldest first",
)
def list_assessments(incident_id: IncidentPath, who: Viewer, state: State) -> list[Any]:
    """The history: one entry per run, with its baseline year, parameters and data."""
    with _errors():
        found = state.incidents.assessments(who.party, incident_id)
    return [json_safe(a.as_dict()) for a in found]


@router.post(
    "/incidents/{incident_id}/close", response_model=IncidentOut, summary="Close an incident"
)
def close_incident(
    incident_id: IncidentPath, item: CloseIn, who: Analyst, state: State
) -> JSONResponse:
    """Close it (it is kept with its history; there is no delete)."""
    with _errors():
        inc = state.incidents.close(who, incident_id, reason=item.reason, version=item.version)
    return _tagged(inc.as_dict())


@router.get(
    "/incidents/{incident_id}/history",
    response_model=list[HistoryEntry],
    summary="Your party's audit entries about an incident",
)
def incident_history(incident_id: IncidentPath, who: Viewer, state: State) -> list[Any]:
    """Who did what on the incident, its actions, decisions and deadlines (your party's)."""
    with _errors():
        entries = state.incidents.history(who.party, incident_id)
    return [
        {
            "id": e.id,
            "at": e.at.isoformat(),
            "user": e.user,
            "action": e.action,
            "object": e.object,
            "detail": json_safe(e.detail),
        }
        for e in entries
    ]


# -- private notes -----------------------------------------------------------------------------


@router.get(
    "/incidents/{incident_id}/private-notes",
    response_model=list[NoteOut],
    summary="Private notes on an incident you may read",
)
def list_notes(incident_id: IncidentPath, who: Viewer, state: State) -> list[Any]:
    """Your party's private note and those other parties share with you (no other)."""
    with _errors():
        state.incidents.get(who.party, incident_id)
        found = state.incidents.notes.visible(who.party, incident_id)
    return [json_safe(n.as_dict()) for n in found]


@router.put(
    "/incidents/{incident_id}/private-notes/{party}",
    response_model=NoteOut,
    responses=PRECONDITION,
    summary="Write your party's private note (optimistic: 409 on a stale version)",
)
def set_note(
    incident_id: IncidentPath,
    party: PartyPath,
    item: NoteIn,
    who: Analyst,
    state: State,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Create it (no version) or change it from its version; the incident is untouched.

    Only your own party's note: another party in the path is a 403.
    """
    from minsec.respond.common import resolve_party

    with _errors():
        if resolve_party(party, field="party") != who.party:
            raise ApiError(
                403,
                f"you write {who.party}'s private note only",
                field="party",
                hint=f"PUT …/private-notes/{who.party}",
            )
        version = item.version
        if version is None and if_match is not None:
            version = _version(if_match, None)
        note = state.incidents.notes.set(
            who, incident_id, item.text, shared_with=item.shared_with, version=version
        )
    return _tagged(note.as_dict())


# -- actions, decisions, deadlines -----------------------------------------------------------


@router.get(
    "/incidents/{incident_id}/actions",
    response_model=list[ActionOut],
    summary="Actions of an incident",
)
def list_actions(incident_id: IncidentPath, who: Viewer, state: State) -> list[Any]:
    """Public actions and your party's (or shared with it), by due date."""
    with _errors():
        state.incidents.get(who.party, incident_id)
        found = state.incidents.actions.visible(who.party, incident_id)
    return [a.as_dict() for a in found]


@router.post(
    "/incidents/{incident_id}/actions",
    status_code=201,
    response_model=ActionOut,
    summary="Add an action",
)
def add_action(
    incident_id: IncidentPath, item: ActionIn, who: Analyst, state: State
) -> JSONResponse:
    """A typed action with owner party, assignee and due date."""
    with _errors():
        action = state.incidents.actions.add(who, incident_id, **item.model_dump())
    return _tagged(action.as_dict(), 201)


@router.patch(
    "/incidents/{incident_id}/actions/{action_id}",
    response_model=ActionOut,
    responses=PRECONDITION,
    summary="Change an action of your party (optimistic: 409 on a stale version)",
)
def update_action(
    incident_id: IncidentPath,
    action_id: ActionPath,
    changes: ActionPatch,
    who: Analyst,
    state: State,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Move its status (proposed → agreed → in_progress → done), reassign, re-date."""
    values = changes.model_dump(exclude_unset=True, mode="json")
    version = _version(if_match, values.pop("version", None))
    with _errors():
        found = state.incidents.actions.get(who.party, action_id)
        if found.incident_id != incident_id:
            raise ApiError(404, f"no action {action_id!r} on this incident", field="action_id")
        action = state.incidents.actions.update(who, action_id, values, version=version)
    return _tagged(action.as_dict())


@router.get(
    "/incidents/{incident_id}/decisions",
    response_model=list[DecisionOut],
    summary="Decisions of an incident",
)
def list_decisions(incident_id: IncidentPath, who: Viewer, state: State) -> list[Any]:
    """Decisions visible to your party, oldest first."""
    with _errors():
        found = state.incidents.decisions.visible(who.party, incident_id)
    return [d.as_dict() for d in found]


@router.post(
    "/incidents/{incident_id}/decisions",
    status_code=201,
    response_model=DecisionOut,
    summary="Record a decision",
)
def record_decision(
    incident_id: IncidentPath, item: DecisionIn, who: Analyst, state: State
) -> dict[str, Any]:
    """Who decided what and why; decisions are never edited (a new one supersedes)."""
    with _errors():
        found = state.incidents.decisions.record(who, incident_id, **item.model_dump())
    return found.as_dict()


@router.post(
    "/incidents/{incident_id}/deadlines",
    status_code=201,
    response_model=ClockOut,
    summary="Add a deadline to an incident",
)
def add_deadline(
    incident_id: IncidentPath, item: DeadlineIn, who: Analyst, state: State
) -> dict[str, Any]:
    """A clock of the incident (e.g. "allocation agreed by partners")."""
    with _errors():
        clock = state.incidents.clocks.add(
            who, incident_id, title=item.title, due_date=item.due_date
        )
    return clock.as_dict()


# -- clocks ----------------------------------------------------------------------------------

CLOCK_COLUMNS = list(ClockOut.model_fields)


@router.get(
    "/clocks",
    response_model=TableResponse,
    responses=FILE_RESPONSES,
    summary="The framework's deadlines and those of incidents",
)
async def list_clocks(
    who: Viewer,
    state: State,
    overdue: Annotated[bool, Query(description="Only clocks past their day, not met.")] = False,
    today: TodayQ = None,
    format: FormatQ = Format.json,
) -> Response:
    """Framework, incident, deadline and action clocks, soonest first, on ``today``.

    Financing measures are due 2026-04-28 and the ministerial 2026-04-26.
    """

    def work() -> bytes:
        clocks = state.incidents.clocks.visible(who.party, today=today, overdue=overdue)
        frame = pd.DataFrame([c.as_dict() for c in clocks], columns=CLOCK_COLUMNS)
        meta: dict[str, Any] = {
            "party": who.party,
            "rows": len(frame),
            "today": (today or dt.date.today()).isoformat(),
            "overdue": overdue,
        }
        return body(frame, format, meta)

    return file_response(await run_in_threadpool(work), format, "clocks")


@router.post("/clocks/{clock_id}/met", response_model=ClockOut, summary="Mark a deadline met")
def mark_met(clock_id: ClockPath, who: Analyst, state: State) -> dict[str, Any]:
    """A framework clock or an incident deadline (an action's clock stops with its status)."""
    with _errors():
        state.incidents.clocks.mark_met(who, clock_id)
        found = [c for c in state.incidents.clocks.visible(who.party) if c.id == clock_id]
    if not found:
        raise ApiError(404, f"no clock {clock_id!r}", field="clock_id")
    return found[0].as_dict()
