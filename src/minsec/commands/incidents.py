"""``minsec incidents …`` and ``minsec clocks``: the Rapid Response Group's workflow.

The same repositories as ``/api/v1/incidents`` (:mod:`minsec.respond`), on the app state
named by ``--state`` (a DuckDB file or a PostgreSQL URL; default ``MINSEC_STATE_URL``,
else ``MINSEC_APP_STATE``, else ``$MINSEC_HOME/app.duckdb``). Who acts is a registered
user, ``--as USER`` (or ``MINSEC_USER``): their party decides what they see (another
party's private notes, actions and decisions are absent) and their role what they may
change; every change is in the audit log under their name.

With the embedded DuckDB app state, ``minsec serve`` holds the file while it runs: use the
API then, or a PostgreSQL app state, which both share.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from minsec.commands._common import FormatOpt, OutputOpt, StoreOpt, err
from minsec.errors import InputError
from minsec.output import Format, emit

incidents_app = typer.Typer(
    help="Incidents: open from an event or a scenario, assess, act, decide, close.",
    no_args_is_help=True,
)
action_app = typer.Typer(help="Actions of an incident.", no_args_is_help=True)
deadline_app = typer.Typer(help="Deadlines of an incident (clocks).", no_args_is_help=True)
incidents_app.add_typer(action_app, name="action")
incidents_app.add_typer(deadline_app, name="deadline")

StateOpt = Annotated[
    str | None,
    typer.Option(
        "--state",
        help="App state: a DuckDB file or a URL (postgresql://user@host/db); default "
        "MINSEC_STATE_URL, else MINSEC_APP_STATE, else $MINSEC_HOME/app.duckdb.",
    ),
]
AsOpt = Annotated[
    str,
    typer.Option(
        "--as",
        help="The registered user who acts (`minsec users list`).",
        envvar="MINSEC_USER",
    ),
]
TodayOpt = Annotated[
    str | None, typer.Option("--today", help="Read clocks on this day (YYYY-MM-DD).")
]
VersionOpt = Annotated[
    int,
    typer.Option(
        "--version", min=1, help="The version your change is made from (`show` prints it)."
    ),
]


class Session:
    """The app state, the acting user and the repositories, for one command."""

    def __init__(self, state: str | None, user: str, store: Path | None = None) -> None:
        from minsec.respond import Incidents
        from minsec.state import AuditLog, StateDB
        from minsec.state.db import configured_target
        from minsec.state.principal import principal_of

        self.db = StateDB(state if state is not None else configured_target())
        self.audit = AuditLog(self.db)
        self.who = principal_of(self.db, user)
        self._store_path = store
        self._store: Any = None
        self.incidents = Incidents(self.db, self.audit, self._open_store, self._checksum)

    def _open_store(self) -> Any:
        from minsec.store import Store

        if self._store is None:
            self._store = Store(self._store_path, read_only=True)
        return self._store

    def _checksum(self) -> str:
        from minsec.respond.incidents import data_checksum

        return data_checksum(self._open_store())

    def store_status(self) -> pd.DataFrame:
        """The data store's provenance (``Store.status()``)."""
        status: pd.DataFrame = self._open_store().status()
        return status

    def close(self) -> None:
        """Close the store and the app state."""
        if self._store is not None:
            self._store.close()
        self.db.close()


@contextmanager
def session(state: str | None, user: str, store: Path | None = None) -> Iterator[Session]:
    """A :class:`Session`, closed at the end."""
    s = Session(state, user, store)
    try:
        yield s
    finally:
        s.close()


def _day(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"{option} {text!r} is not a date", column=option, hint="YYYY-MM-DD"
        ) from None


def _list(values: list[str] | None) -> list[str]:
    out: list[str] = []
    for v in values or []:
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return out


def _params(items: list[str] | None) -> dict[str, Any]:
    """``KEY=VALUE`` pairs; values are JSON when they parse (numbers, lists), else text."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--param {item!r} must be KEY=VALUE", column="--param")
        try:
            out[key.strip()] = json.loads(value)
        except ValueError:
            out[key.strip()] = value.strip()
    return out


def _print_json(value: Any, output: Path | None) -> None:
    text = json.dumps(value, indent=1, ensure_ascii=False, default=str) + "\n"
    if output is not None:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def _record(value: dict[str, Any], fmt: Format, output: Path | None, title: str) -> None:
    """One record: JSON as is; a table of field/value; CSV of one row."""
    if fmt is Format.json:
        _print_json(value, output)
        return
    flat = {
        k: (json.dumps(v, ensure_ascii=False, default=str) if isinstance(v, dict | list) else v)
        for k, v in value.items()
    }
    if fmt is Format.table:
        frame = pd.DataFrame({"field": list(flat), "value": [str(v) for v in flat.values()]})
    else:
        frame = pd.DataFrame([flat])
    emit(frame, fmt, output=output, title=title)


IMPACT_TABLE = [
    "commodity",
    "stage",
    "party",
    "shortfall_t",
    "shortfall_pct",
    "peak_price_change_pct",
    "value_at_risk_usd",
]
"""Columns of the impact shown as a table (CSV and JSON have them all)."""


def _impact(rows: list[dict[str, Any]], fmt: Format) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    if fmt is Format.table and not frame.empty:
        frame = frame[[c for c in IMPACT_TABLE if c in frame.columns]]
    return frame


# -- incidents -------------------------------------------------------------------------------


@incidents_app.command("create")
def create_cmd(
    who: AsOpt,
    title: Annotated[str | None, typer.Option(help="Title (required with an event).")] = None,
    exporter: Annotated[str | None, typer.Option(help="Restricting country.")] = None,
    commodity: Annotated[
        list[str] | None, typer.Option("--commodity", "-c", help="Commodity (repeatable).")
    ] = None,
    effective: Annotated[
        str | None, typer.Option("--effective", help="Effective date YYYY-MM-DD.")
    ] = None,
    measure: Annotated[str | None, typer.Option(help="What the measure is.")] = None,
    fraction: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of exports withheld (1 = ban).")
    ] = 1.0,
    target: Annotated[
        list[str] | None, typer.Option("--target", help="Importers hit (default all).")
    ] = None,
    duration_months: Annotated[float | None, typer.Option(help="Months in force.")] = None,
    source_url: Annotated[str | None, typer.Option(help="Link to the source.")] = None,
    description: Annotated[str | None, typer.Option(help="Free text.")] = None,
    scenario: Annotated[
        str | None, typer.Option(help="Open from a named scenario instead of an event.")
    ] = None,
    scenario_file: Annotated[
        Path | None,
        typer.Option(help="Open from a scenario YAML file instead of an event.", exists=True),
    ] = None,
    partners: Annotated[
        str | None, typer.Option(help="Parties to report, comma-separated.")
    ] = None,
    baseline_year: Annotated[int | None, typer.Option(help="Baseline year.")] = None,
    note: Annotated[str | None, typer.Option(help="A note.")] = None,
    private_note: Annotated[
        bool, typer.Option("--private-note", help="The note is your party's only.")
    ] = False,
    due: Annotated[str | None, typer.Option(help="Response due date YYYY-MM-DD.")] = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    state: StateOpt = None,
) -> None:
    """Open an incident from an observed event or a scenario.

    An event: --exporter, --commodity, --effective (and --title). A scenario: --scenario
    NAME (`minsec scenarios list`) or --scenario-file FILE.
    """
    import yaml

    chosen = [x is not None for x in (exporter, scenario, scenario_file)]
    if sum(chosen) != 1:
        raise InputError(
            "open an incident from exactly one of an event (--exporter …), --scenario or "
            "--scenario-file",
            column="--exporter",
        )
    common: dict[str, Any] = {
        "partners": _list([partners]) if partners else None,
        "baseline_year": baseline_year,
        "note": note,
        "note_private": private_note,
        "due_date": _day(due, "--due"),
    }
    with session(state, who) as s:
        if exporter is not None:
            if title is None:
                raise InputError("--title is required for an event", column="--title")
            if effective is None:
                raise InputError("--effective is required for an event", column="--effective")
            inc = s.incidents.open_event(
                s.who,
                title=title,
                description=description or "",
                exporter=exporter,
                commodities=_list(commodity),
                effective_date=_day(effective, "--effective") or dt.date.today(),
                measure=measure,
                fraction=fraction,
                targets=_list(target) or None,
                duration_months=duration_months,
                source_url=source_url,
                **common,
            )
        else:
            spec: str | dict[str, Any]
            if scenario_file is not None:
                spec = yaml.safe_load(scenario_file.read_text(encoding="utf-8"))
            else:
                assert scenario is not None
                spec = scenario
            inc = s.incidents.open_scenario(
                s.who, scenario=spec, title=title, description=description, **common
            )
    err.print(f"opened {inc.id} (version {inc.version}); next: minsec incidents assess {inc.id}")
    if private_note and note:
        err.print(f"the note is {s.who.party}'s private note (`minsec incidents show` has it)")
    _record(inc.as_dict(), fmt, output, f"Incident {inc.id}")


# what fits a terminal; CSV, JSON and Parquet carry every column
LIST_TABLE_COLUMNS = ["id", "title", "status", "due_date", "assessment_stale", "overdue_items"]
CLOCK_TABLE_COLUMNS = ["title", "due_date", "state", "days_left", "incident_id"]
LIST_COLUMNS = [
    "id",
    "title",
    "status",
    "exporter",
    "commodities",
    "effective_date",
    "owner_party",
    "due_date",
    "assessment_seq",
    "assessment_stale",
    "stale_reasons",
    "overdue_items",
    "version",
    "note",
]
"""Columns of ``incidents list`` (JSON and CSV have the same; ``note`` is the public note)."""


@incidents_app.command("list")
def list_cmd(
    who: AsOpt,
    status: Annotated[str | None, typer.Option(help="open or closed.")] = None,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only incidents with an overdue clock.")
    ] = False,
    today: TodayOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    state: StateOpt = None,
) -> None:
    """List incidents, newest first, with their assessment's staleness and overdue clocks.

    assessment_stale is empty for an incident never assessed; overdue_items counts its
    clocks past their day. Another party's private notes are absent.
    """
    from minsec.respond.incidents import list_frame

    with session(state, who) as s:
        found = s.incidents.listing(
            s.who.party, status=status, today=_day(today, "--today"), overdue_only=overdue
        )
    columns = LIST_TABLE_COLUMNS if fmt is Format.table else LIST_COLUMNS
    emit(
        list_frame(found, columns, flat=fmt is not Format.json),
        fmt,
        output=output,
        title="Overdue incidents" if overdue else "Incidents",
        meta={"party": s.who.party, "overdue": overdue},
    )


@incidents_app.command("show")
def show_cmd(
    incident_id: Annotated[str, typer.Argument(help="Incident id (inc_…).")],
    who: AsOpt,
    today: TodayOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    state: StateOpt = None,
) -> None:
    """An incident with its private notes, latest assessment, actions, decisions and clocks."""
    with session(state, who) as s:
        whole = s.incidents.detail(s.who.party, incident_id, today=_day(today, "--today"))
    if fmt is Format.json:
        _print_json(whole, output)
        return
    if fmt is not Format.table:
        raise InputError("show prints a table or JSON", column="--format", hint="table or json")
    parts = ("private_notes", "assessment", "actions", "decisions", "clocks")
    fields = {k: v for k, v in whole.items() if k not in parts}
    _record(fields, fmt, None, f"Incident {incident_id} (version {whole['version']})")
    latest = whole["assessment"]
    if latest is not None:
        stale = {True: "stale", False: "up to date", None: "staleness unknown"}
        emit(
            _impact(latest["impact"], fmt),
            fmt,
            title=f"Assessment {latest['seq']} (baseline {latest['baseline_year']}, "
            f"{stale[whole['assessment_stale']]})",
        )
    shown = (
        ("Private notes", "private_notes", ["party", "text", "shared_with", "version"]),
        (
            "Actions",
            "actions",
            ["id", "kind", "title", "owner_party", "assignee", "due_date", "status", "version"],
        ),
        ("Decisions", "decisions", ["id", "decided_on", "decided_by", "summary", "party"]),
        ("Clocks", "clocks", ["id", "kind", "due_date", "state", "days_left"]),
    )
    for title, key, cols in shown:
        if whole[key]:
            rows = [{k: x[k] for k in cols} for x in whole[key]]
            emit(pd.DataFrame(rows, columns=cols), fmt, title=title)


@incidents_app.command("update")
def update_cmd(
    incident_id: Annotated[str, typer.Argument(help="Incident id.")],
    who: AsOpt,
    version: VersionOpt,
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    description: Annotated[str | None, typer.Option(help="New description.")] = None,
    due: Annotated[str | None, typer.Option(help="Response due date YYYY-MM-DD.")] = None,
    note: Annotated[
        str | None, typer.Option(help="New public note (the owner party's incident).")
    ] = None,
    baseline_year: Annotated[int | None, typer.Option(help="Baseline year.")] = None,
    partners: Annotated[str | None, typer.Option(help="Parties, comma-separated.")] = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    state: StateOpt = None,
) -> None:
    """Change an incident from the version you read (a stale version is refused)."""
    changes: dict[str, Any] = {}
    for key, value in (
        ("title", title),
        ("description", description),
        ("note", note),
        ("baseline_year", baseline_year),
    ):
        if value is not None:
            changes[key] = value
    if due is not None:
        changes["due_date"] = _day(due, "--due")
    if partners is not None:
        changes["partners"] = _list([partners])
    with session(state, who) as s:
        inc = s.incidents.update(s.who, incident_id, changes, version=version)
    _record(inc.as_dict(), fmt, output, f"Incident {inc.id} (version {inc.version})")


@incidents_app.command("note")
def note_cmd(
    incident_id: Annotated[str, typer.Argument(help="Incident id.")],
    who: AsOpt,
    text: Annotated[str, typer.Option("--text", help="The note (an empty text clears it).")],
    share: Annotated[
        list[str] | None,
        typer.Option("--share", help="Party that may read it (repeatable; replaces the list)."),
    ] = None,
    version: Annotated[
        int | None,
        typer.Option("--version", min=1, help="The note's version (leave out to create it)."),
    ] = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    state: StateOpt = None,
) -> None:
    """Write your party's private note on an incident (no other party sees it unless shared).

    It is a record of its own: the incident, its version and its history stay as they
    are for the other parties.
    """
    with session(state, who) as s:
        found = s.incidents.notes.set(
            s.who,
            incident_id,
            text,
            shared_with=None if share is None else _list(share),
            version=version,
        )
    _record(
        found.as_dict(), fmt, output, f"Private note of {found.party} (version {found.version})"
    )


@incidents_app.command("assess")
def assess_cmd(
    incident_id: Annotated[str, typer.Argument(help="Incident id.")],
    who: AsOpt,
    baseline_year: Annotated[int | None, typer.Option(help="Override the baseline year.")] = None,
    reason: Annotated[str | None, typer.Option(help="Why (re-)assess.")] = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    store: StoreOpt = None,
    state: StateOpt = None,
) -> None:
    """Run the disruption engine for the incident; the result is kept in its history."""
    with session(state, who, store) as s:
        found = s.incidents.assess(s.who, incident_id, baseline_year=baseline_year, reason=reason)
    err.print(f"assessment {found.seq} of {incident_id} (baseline year {found.baseline_year})")
    if fmt is Format.json:
        _print_json(found.as_dict(), output)
        return
    emit(_impact(found.impact, fmt), fmt, output=output, title="Impact per partner")
    proposed = found.response.get("proposed_actions", [])
    if proposed and fmt is Format.table and output is None:
        emit(pd.DataFrame(proposed), fmt, title="Proposed coordinated response")


@incidents_app.command("reassess")
def reassess_cmd(
    who: AsOpt,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    store: StoreOpt = None,
    state: StateOpt = None,
) -> None:
    """Re-assess every open incident whose latest assessment is out of date.

    Out of date: the data changed (a new import), or its baseline year or partners were
    changed after it. Each new assessment's reason says which.
    """
    with session(state, who, store) as s:
        done = s.incidents.reassess_stale(s.who)
    err.print(f"re-assessed {len(done)} incident(s)")
    cols = ["incident_id", "seq", "baseline_year", "reason"]
    frame = pd.DataFrame([{k: a.as_dict()[k] for k in cols} for a in done], columns=cols)
    emit(frame, fmt, output=output, title="Re-assessed incidents")


@incidents_app.command("close")
def close_cmd(
    incident_id: Annotated[str, typer.Argument(help="Incident id.")],
    who: AsOpt,
    reason: Annotated[str, typer.Option(help="Why it is closed.")],
    version: Annotated[
        int | None, typer.Option("--version", min=1, help="Refuse if it changed since.")
    ] = None,
    state: StateOpt = None,
) -> None:
    """Close an incident (never deleted; it keeps its history)."""
    with session(state, who) as s:
        inc = s.incidents.close(s.who, incident_id, reason=reason, version=version)
    err.print(f"closed {inc.id} (version {inc.version})")


@incidents_app.command("history")
def history_cmd(
    incident_id: Annotated[str, typer.Argument(help="Incident id.")],
    who: AsOpt,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    state: StateOpt = None,
) -> None:
    """Your party's audit entries about the incident (read-only)."""
    with session(state, who) as s:
        entries = s.incidents.history(s.who.party, incident_id)
    frame = pd.DataFrame(
        [
            {
                "id": e.id,
                "at": e.at.isoformat(timespec="seconds"),
                "user": e.user,
                "action": e.action,
                "object": e.object,
                "detail": json.dumps(e.detail, sort_keys=True, default=str),
            }
            for e in entries
        ],
        columns=["id", "at", "user", "action", "object", "detail"],
    )
    emit(frame, fmt, output=output, title=f"History of {incident_id}")


@incidents_app.command("decide")
def decide_cmd(
    incident_id: Annotated[str, typer.Argument(help="Incident id.")],
    who: AsOpt,
    summary: Annotated[str, typer.Option(help="What was decided.")],
    rationale: Annotated[str, typer.Option(help="Why.")],
    decided_by: Annotated[str, typer.Option(help="Who decided (e.g. the co-leads).")],
    on: Annotated[str | None, typer.Option("--on", help="Day decided (default today).")] = None,
    action: Annotated[
        list[str] | None, typer.Option("--action", help="Action id concerned (repeatable).")
    ] = None,
    supersedes: Annotated[str | None, typer.Option(help="Decision id it replaces.")] = None,
    private: Annotated[bool, typer.Option("--private", help="Your party's only.")] = False,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    state: StateOpt = None,
) -> None:
    """Record a decision: who decided what and why (never edited afterwards)."""
    with session(state, who) as s:
        found = s.incidents.decisions.record(
            s.who,
            incident_id,
            summary=summary,
            rationale=rationale,
            decided_by=decided_by,
            decided_on=_day(on, "--on"),
            action_ids=_list(action),
            supersedes=supersedes,
            private=private,
        )
    _record(found.as_dict(), fmt, output, f"Decision {found.id}")


# -- actions ---------------------------------------------------------------------------------


@action_app.command("add")
def action_add_cmd(
    incident_id: Annotated[str, typer.Argument(help="Incident id.")],
    who: AsOpt,
    kind: Annotated[
        str,
        typer.Option(
            help="stockpile_release, allied_allocation, project_financing, "
            "permitting_acceleration, diplomatic or other."
        ),
    ],
    title: Annotated[str, typer.Option(help="What is to be done.")],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", help="Typed field KEY=VALUE (repeatable), e.g. tonnes=500."),
    ] = None,
    owner_party: Annotated[str | None, typer.Option(help="Owner (default: yours).")] = None,
    assignee: Annotated[str | None, typer.Option(help="Who does it.")] = None,
    due: Annotated[str | None, typer.Option(help="Due date YYYY-MM-DD.")] = None,
    detail: Annotated[str | None, typer.Option(help="Free text.")] = None,
    agreed: Annotated[bool, typer.Option("--agreed", help="Already agreed.")] = False,
    private: Annotated[bool, typer.Option("--private", help="Your party's only.")] = False,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    state: StateOpt = None,
) -> None:
    """Add a typed action with an owner party, assignee and due date."""
    with session(state, who) as s:
        found = s.incidents.actions.add(
            s.who,
            incident_id,
            kind=kind,
            title=title,
            detail=detail,
            params=_params(param),
            owner_party=owner_party,
            assignee=assignee,
            due_date=_day(due, "--due"),
            status="agreed" if agreed else "proposed",
            private=private,
        )
    _record(found.as_dict(), fmt, output, f"Action {found.id}")


@action_app.command("list")
def action_list_cmd(
    incident_id: Annotated[str, typer.Argument(help="Incident id.")],
    who: AsOpt,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    state: StateOpt = None,
) -> None:
    """Actions of an incident your party sees, by due date."""
    cols = [
        "id",
        "kind",
        "title",
        "owner_party",
        "assignee",
        "due_date",
        "status",
        "private",
        "version",
    ]
    with session(state, who) as s:
        s.incidents.get(s.who.party, incident_id)
        found = s.incidents.actions.visible(s.who.party, incident_id)
    frame = pd.DataFrame([{k: a.as_dict()[k] for k in cols} for a in found], columns=cols)
    emit(frame, fmt, output=output, title=f"Actions of {incident_id}")


@action_app.command("set")
def action_set_cmd(
    action_id: Annotated[str, typer.Argument(help="Action id (act_…).")],
    who: AsOpt,
    version: VersionOpt,
    status: Annotated[
        str | None,
        typer.Option(help="agreed, in_progress, blocked, done, rejected or cancelled."),
    ] = None,
    assignee: Annotated[str | None, typer.Option(help="New assignee.")] = None,
    due: Annotated[str | None, typer.Option(help="New due date.")] = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    state: StateOpt = None,
) -> None:
    """Change an action of your party from the version you read."""
    changes: dict[str, Any] = {}
    if status is not None:
        changes["status"] = status
    if assignee is not None:
        changes["assignee"] = assignee
    if due is not None:
        changes["due_date"] = _day(due, "--due")
    with session(state, who) as s:
        found = s.incidents.actions.update(s.who, action_id, changes, version=version)
    _record(found.as_dict(), fmt, output, f"Action {found.id} (version {found.version})")


# -- deadlines and clocks --------------------------------------------------------------------


@deadline_app.command("add")
def deadline_add_cmd(
    incident_id: Annotated[str, typer.Argument(help="Incident id.")],
    who: AsOpt,
    title: Annotated[str, typer.Option(help="What is due.")],
    due: Annotated[str, typer.Option(help="Due date YYYY-MM-DD.")],
    state: StateOpt = None,
) -> None:
    """Add a deadline to an incident."""
    with session(state, who) as s:
        clock = s.incidents.clocks.add(
            s.who, incident_id, title=title, due_date=_day(due, "--due") or dt.date.today()
        )
    err.print(f"added deadline {clock.id} due {clock.due_date}")
    typer.echo(clock.id)


@deadline_app.command("met")
def deadline_met_cmd(
    clock_id: Annotated[
        str, typer.Argument(help="framework:financing, framework:ministerial or ddl_….")
    ],
    who: AsOpt,
    state: StateOpt = None,
) -> None:
    """Mark a framework clock or an incident deadline met."""
    with session(state, who) as s:
        s.incidents.clocks.mark_met(s.who, clock_id)
    err.print(f"{clock_id} marked met")


def clocks_cmd(
    who: AsOpt,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only clocks past their day, not met.")
    ] = False,
    today: TodayOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    state: StateOpt = None,
) -> None:
    """The framework's deadlines and those of incidents and actions, soonest first.

    Framework: financing measures by 2026-04-28, the ministerial by 2026-04-26.
    """
    from minsec.respond.clocks import Clock

    day = _day(today, "--today") or dt.date.today()
    with session(state, who) as s:
        clocks = s.incidents.clocks.visible(s.who.party, today=day, overdue=overdue)
    cols = CLOCK_TABLE_COLUMNS if fmt is Format.table else list(Clock.__dataclass_fields__)
    frame = pd.DataFrame([c.as_dict() for c in clocks], columns=cols)
    emit(
        frame,
        fmt,
        output=output,
        title=f"{'Overdue clocks' if overdue else 'Clocks'} on {day}",
        meta={"today": day.isoformat(), "overdue": overdue},
    )
