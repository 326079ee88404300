"""Incidents of the Rapid Response Group: opened, assessed, re-assessed, closed.

An incident is opened from an **observed event** (free text and structured fields:
exporter, commodities, measure, the fraction of exports withheld, targets, effective date,
source link) or from a **scenario** (a named one shipped with minsec, or an inline spec).
:meth:`Incidents.assess` runs the disruption engine (:func:`minsec.disrupt.scenario.simulate`)
on the data store, one scenario per commodity, with the like-minded partners' allied
sharing switched on, and stores an **assessment**: shortfall, price rise and value at risk
per partner, the proposed coordinated response (shortfall with and without coordination,
tonnes moved, suggested actions), the baseline year, the parameters and the data checksum.
Every run is kept (``seq`` 1, 2, …): re-assessing when the baseline year, the parameters
or the data change adds a row, it never replaces one; an incident whose latest assessment
was made on other data is reported ``stale``.

An incident is never deleted, only **closed** (with a reason); a closed incident takes no
more changes. Each row carries a ``version``: a change of the incident's own fields names
the version it was made from, and a change made from an older version is refused with
:class:`ConflictError` (HTTP 409) instead of silently overwriting someone else's edit
(optimistic concurrency; on PostgreSQL the ``UPDATE … WHERE version = ?`` is atomic across
processes). Only such changes (and closing) raise the version: assessments, actions,
decisions, deadlines and private notes are records of their own, so adding one does not
make anyone's open edit form stale; whether the latest assessment still describes the
incident is computed (:meth:`Incidents.staleness`).

The incident's ``note`` is public (its owner party writes it). A party's private note is
a separate record (:mod:`minsec.respond.notes`) that leaves no trace on the incident.
Every write appends an audit entry in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

import pandas as pd

from minsec.catalog import commodities as commodities_cat
from minsec.errors import InputError, MinsecError
from minsec.respond.common import (
    bump_version,
    check_changes,
    closed_error,
    day,
    dumps,
    insert_row,
    iso,
    json_ready,
    lock_incident,
    new_id,
    parties,
    require_analyst,
    resolve_country,
    text,
)
from minsec.state.audit import AuditEntry, AuditLog
from minsec.state.db import StateDB, Tx
from minsec.state.errors import ConflictError, ForbiddenError, NotFoundError
from minsec.state.principal import Principal, now

if TYPE_CHECKING:
    from minsec.disrupt.scenario import Scenario, SimulationResult
    from minsec.respond.actions import Actions
    from minsec.respond.clocks import Clocks
    from minsec.respond.decisions import Decisions
    from minsec.respond.notes import Notes
    from minsec.store import Store

STATUSES = ("open", "closed")
ORIGINS = ("event", "scenario")
DEFAULT_PARTNERS = ("USA", "JPN", "like-minded")
SHARING_BLOC = "like-minded"
HORIZON_MONTHS = 12
EDITABLE = (
    "title",
    "description",
    "measure",
    "source_url",
    "partners",
    "responses",
    "baseline_year",
    "due_date",
    "note",
)
"""Fields :meth:`Incidents.update` changes (the event's exporter, fraction and date are
facts of the incident: open a new one if they were wrong)."""
OWNER_ONLY = ("note",)
"""Fields only the owner party changes."""
PRIVATE_NOTE_FIELDS = ("note_private", "note_shared_with")
"""Fields of the incident before private notes became records of their own."""


@dataclass(frozen=True)
class Incident:
    """An incident as the reading party may see it."""

    id: str
    title: str
    description: str
    origin: str
    exporter: str | None
    commodities: tuple[str, ...]
    measure: str | None
    fraction: float | None
    targets: tuple[str, ...] | None
    effective_date: dt.date | None
    duration_months: float | None
    source_url: str | None
    scenario_name: str | None
    scenario: dict[str, Any] | None
    baseline_year: int | None
    partners: tuple[str, ...]
    responses: tuple[dict[str, Any], ...]
    parameters: dict[str, Any]
    status: str
    owner_party: str
    note: str | None
    due_date: dt.date | None
    version: int
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    updated_by: str
    closed_at: dt.datetime | None
    closed_by: str | None
    close_reason: str | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return json_ready(self)


@dataclass(frozen=True)
class Assessment:
    """One run of the disruption engine for an incident (kept forever)."""

    id: str
    incident_id: str
    seq: int
    assessed_at: dt.datetime
    assessed_by: str
    reason: str
    baseline_year: int
    parameters: dict[str, Any]
    data_checksum: str
    scenarios: list[dict[str, Any]]
    impact: list[dict[str, Any]]
    response: dict[str, Any]
    notes: list[str]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return json_ready(self)


_COLUMNS = (
    "i.id, i.title, i.description, i.origin, i.exporter, i.commodities, i.measure, "
    "i.fraction, i.targets, i.effective_date, i.duration_months, i.source_url, "
    "i.scenario_name, i.scenario, i.baseline_year, i.partners, i.responses, i.parameters, "
    "i.status, i.owner_party, i.note, i.due_date, i.version, i.created_at, i.created_by, "
    "i.updated_at, i.updated_by, i.closed_at, i.closed_by, i.close_reason"
)


class AssessmentBasis(Protocol):
    """What staleness is judged on: an :class:`Assessment`, or just these fields of it."""

    @property
    def seq(self) -> int:
        """Its number in the incident's history."""

    @property
    def baseline_year(self) -> int:
        """The baseline year it ran on."""

    @property
    def data_checksum(self) -> str:
        """The data store's checksum when it ran."""

    @property
    def scenarios(self) -> list[dict[str, Any]]:
        """The scenarios it ran (their ``report`` partners and ``responses``)."""


@dataclass(frozen=True)
class _Basis:
    """The fields of a latest assessment that staleness needs (read for a whole list)."""

    incident_id: str
    seq: int
    baseline_year: int
    data_checksum: str
    scenarios: list[dict[str, Any]]


@dataclass(frozen=True)
class Listed:
    """A row of the incident list: the incident, its assessment's staleness, overdue clocks."""

    incident: Incident
    assessment_seq: int | None
    assessment_stale: bool | None
    stale_reasons: tuple[str, ...]
    overdue_items: int

    def as_dict(self) -> dict[str, Any]:
        """The incident's fields and the list's own (``overdue``: any overdue clock)."""
        return {
            **self.incident.as_dict(),
            "assessment_seq": self.assessment_seq,
            "assessment_stale": self.assessment_stale,
            "stale_reasons": list(self.stale_reasons),
            "overdue_items": self.overdue_items,
            "overdue": self.overdue_items > 0,
        }


def list_frame(rows: Sequence[Listed], columns: Sequence[str], *, flat: bool) -> pd.DataFrame:
    """Rows of the incident list as a frame of ``columns`` (API and CLI answers).

    ``flat`` (CSV, Parquet, a table): list cells become text — commodities and partners
    joined with ``;``, stale reasons with ``; ``. Cells stay Python objects, so a missing
    ``assessment_seq`` or ``assessment_stale`` is null, not NaN.
    """
    records = [{k: d[k] for k in columns} for d in (r.as_dict() for r in rows)]
    frame = pd.DataFrame(records, columns=list(columns), dtype=object)
    if flat:
        for col, sep in (("commodities", ";"), ("partners", ";"), ("stale_reasons", "; ")):
            if col in frame.columns:
                frame[col] = frame[col].map(sep.join)
    return frame


_ASSESSMENT_COLUMNS = (
    "id, incident_id, seq, assessed_at, assessed_by, reason, baseline_year, parameters, "
    "data_checksum, scenarios, impact, response, notes"
)


def _incident(row: tuple[Any, ...]) -> Incident:
    targets = json.loads(row[8])
    return Incident(
        id=str(row[0]),
        title=str(row[1]),
        description=str(row[2]),
        origin=str(row[3]),
        exporter=row[4],
        commodities=tuple(json.loads(row[5])),
        measure=row[6],
        fraction=None if row[7] is None else float(row[7]),
        targets=None if targets is None else tuple(targets),
        effective_date=day(row[9], "effective_date"),
        duration_months=None if row[10] is None else float(row[10]),
        source_url=row[11],
        scenario_name=row[12],
        scenario=None if row[13] is None else json.loads(row[13]),
        baseline_year=None if row[14] is None else int(row[14]),
        partners=tuple(json.loads(row[15])),
        responses=tuple(json.loads(row[16])),
        parameters=json.loads(row[17]),
        status=str(row[18]),
        owner_party=str(row[19]),
        note=row[20],
        due_date=day(row[21], "due_date"),
        version=int(row[22]),
        created_at=row[23],
        created_by=str(row[24]),
        updated_at=row[25],
        updated_by=str(row[26]),
        closed_at=row[27],
        closed_by=row[28],
        close_reason=row[29],
    )


def _assessment(row: tuple[Any, ...]) -> Assessment:
    return Assessment(
        id=str(row[0]),
        incident_id=str(row[1]),
        seq=int(row[2]),
        assessed_at=row[3],
        assessed_by=str(row[4]),
        reason=str(row[5]),
        baseline_year=int(row[6]),
        parameters=json.loads(row[7]),
        data_checksum=str(row[8]),
        scenarios=json.loads(row[9]),
        impact=json.loads(row[10]),
        response=json.loads(row[11]),
        notes=json.loads(row[12]),
    )


def _commodities(values: Sequence[str]) -> tuple[str, ...]:
    if not values:
        raise InputError("name at least one commodity", column="commodities")
    out: list[str] = []
    for v in values:
        try:
            cid = commodities_cat.resolve(str(v))
        except InputError as exc:
            raise InputError(exc.message, column="commodities", hint=exc.hint) from None
        if cid not in out:
            out.append(cid)
    return tuple(out)


def _fraction(value: float | None) -> float:
    f = 1.0 if value is None else float(value)
    if not math.isfinite(f) or not 0.0 < f <= 1.0:
        raise InputError(
            f"fraction {value!r} must be in (0, 1]: the share of exports withheld",
            column="fraction",
            hint="1 = a full ban, 0.5 = half of the exports withheld",
        )
    return f


def _year(value: Any, field: str = "baseline_year") -> int | None:
    if value is None:
        return None
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise InputError(f"{field} {value!r} is not a year", column=field) from None
    if not 1995 <= year <= 2100:
        raise InputError(f"{field} {year} must be between 1995 and 2100", column=field)
    return year


def _scenario_parse(data: Mapping[str, Any], field: str) -> Scenario:
    from minsec.disrupt.scenario import parse_scenario

    try:
        return parse_scenario(dict(data))
    except InputError as exc:
        raise InputError(f"{field}: {exc.message}", column=field, hint=exc.hint) from None


def _probe(commodity: str, field: str, **extra: Any) -> Scenario:
    """A scenario around ``extra`` (responses or parameters) to validate them."""
    return _scenario_parse(
        {
            "name": "check",
            "commodity": commodity,
            "baseline_year": 2000,
            "events": [
                {
                    "type": "production_outage",
                    "country": "USA",
                    "fraction": 0.1,
                    "start": "2000-01-01",
                }
            ],
            **extra,
        },
        field,
    )


def normal_responses(
    responses: Sequence[Mapping[str, Any]], commodity: str
) -> list[dict[str, Any]]:
    """Responses validated by the scenario model and written as it writes them."""
    sc = _probe(commodity, "responses", responses=[dict(r) for r in responses])
    return [r.model_dump(mode="json", exclude_none=True) for r in sc.responses]


def _check_parameters(parameters: Mapping[str, Any], commodity: str) -> None:
    _probe(commodity, "parameters", parameters=dict(parameters))


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _records(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, Any]]:
    cols = [c for c in columns if c in frame.columns]
    out = []
    for row in frame[cols].itertuples(index=False, name=None):
        out.append(
            {
                c: _finite(v.item() if hasattr(v, "item") else v)
                for c, v in zip(cols, row, strict=True)
            }
        )
    return out


IMPACT_COLUMNS = (
    "commodity",
    "stage",
    "party",
    "name",
    "baseline_t",
    "shortfall_t",
    "shortfall_pct",
    "peak_shortfall_pct",
    "peak_price_change_pct",
    "value_at_risk_usd",
    "extra_cost_usd",
    "stock_release_t",
)
"""Columns of an assessment's ``impact`` rows (one per commodity × stage × partner)."""


def summarise(results: Sequence[SimulationResult], partners: Sequence[str]) -> dict[str, Any]:
    """Impact rows per partner and the proposed coordinated response of engine results."""
    from minsec.catalog import blocs

    impact: list[dict[str, Any]] = []
    coordination: list[dict[str, Any]] = []
    flows: list[dict[str, Any]] = []
    proposed: list[dict[str, Any]] = []
    notes: list[str] = []
    members: set[str] = set()
    for p in partners:
        members.update(blocs.resolve_party(p)[1])
    for res in results:
        sc = res.scenario
        summary = res.summary.copy()
        summary.insert(0, "commodity", sc.commodity)
        impact.extend(_records(summary, IMPACT_COLUMNS))
        notes.extend(f"{sc.commodity}: {n}" for n in res.notes)
        short = res.response_shortfall
        if not short.empty:
            mine = short[short["partner"].isin(sorted(members))]
            grouped = (
                mine.groupby(["stage", "partner", "coordinated"])["shortfall_t"].sum().unstack()
            )
            for key, row in grouped.iterrows():
                stage, partner = cast(tuple[str, str], key)
                coordination.append(
                    {
                        "commodity": sc.commodity,
                        "stage": stage,
                        "partner": partner,
                        "shortfall_uncoordinated_t": _finite(float(row.get(False, math.nan))),
                        "shortfall_coordinated_t": _finite(float(row.get(True, math.nan))),
                    }
                )
        moved = res.response
        if not moved.empty:
            coord = moved[moved["coordinated"].astype(bool)]
            by = coord.groupby(["stage", "source", "source_kind", "partner"], as_index=False)[
                "tonnes"
            ].sum()
            by = by[by["tonnes"] > 1e-9]
            for rec in _records(by, ["stage", "source", "source_kind", "partner", "tonnes"]):
                flows.append({"commodity": sc.commodity, **rec})
            for (stage, source), tonnes in by.groupby(["stage", "source"])["tonnes"].sum().items():
                proposed.append(
                    {
                        "kind": "allied_allocation",
                        "title": f"allocate {tonnes:,.0f} t of {sc.commodity} ({stage}) "
                        f"from {source} to partners in need",
                        "params": {"commodity": sc.commodity, "tonnes": round(float(tonnes), 3)},
                    }
                )
        for resp in sc.responses:
            if resp.type == "stockpile_release":
                amount = (
                    f"{resp.tonnes:,.0f} t"
                    if resp.tonnes is not None
                    else f"{resp.days_of_cover:g} days of cover"
                )
                proposed.append(
                    {
                        "kind": "stockpile_release",
                        "title": f"release {amount} of {sc.commodity} from {resp.holder}'s "
                        "stockpile",
                        "owner_party": resp.holder,
                        "params": {
                            "commodity": sc.commodity,
                            **({"tonnes": resp.tonnes} if resp.tonnes is not None else {}),
                            **(
                                {"days_of_cover": resp.days_of_cover}
                                if resp.days_of_cover is not None
                                else {}
                            ),
                        },
                    }
                )
        if not any(r.type == "stockpile_release" for r in sc.responses):
            notes.append(
                f"{sc.commodity}: no stockpile release in the incident's responses, so the "
                "allied allocation has nothing to share; add stockpile_release responses "
                "to the incident's `responses` and re-assess to size a release"
            )
    return {
        "impact": impact,
        "response": {
            "sharing_bloc": SHARING_BLOC,
            "coordination": coordination,
            "flows": flows,
            "proposed_actions": proposed,
        },
        "notes": notes,
    }


def effective_responses(inc: Incident) -> list[dict[str, Any]]:
    """The responses an assessment runs: the incident's, and allied sharing if absent."""
    out = [dict(r) for r in inc.responses]
    if not any(r.get("type") == "allied_sharing" for r in out):
        out.append({"type": "allied_sharing", "enabled": True, "bloc": SHARING_BLOC})
    return out


def data_checksum(store: Store) -> str:
    """SHA-256 over the store's provenance (source, file checksum, version, import time)."""
    import hashlib

    status = store.status()
    text_ = "\n".join(
        f"{r.source}|{r.sha256}|{r.version}|{r.imported_at}" for r in status.itertuples(index=False)
    )
    return hashlib.sha256(text_.encode("utf-8")).hexdigest()


class Incidents:
    """Incidents in the app state; writes are audited and versioned.

    Parameters
    ----------
    db, audit:
        The app state and its audit log.
    store:
        Returns the data store the engine reads (needed by :meth:`assess` only).
    checksum:
        Returns a checksum of the store's contents (recorded with each assessment and
        compared to report a stale one).
    """

    def __init__(
        self,
        db: StateDB,
        audit: AuditLog,
        store: Callable[[], Store] | None = None,
        checksum: Callable[[], str] | None = None,
    ) -> None:
        from minsec.respond.actions import Actions
        from minsec.respond.clocks import Clocks
        from minsec.respond.decisions import Decisions
        from minsec.respond.notes import Notes

        self.db = db
        self.audit = audit
        self._store = store
        self._checksum = checksum
        self.actions: Actions = Actions(self)
        self.decisions: Decisions = Decisions(self)
        self.clocks: Clocks = Clocks(self)
        self.notes: Notes = Notes(self)

    # -- reads ------------------------------------------------------------------------------
    def _rows(self, tx: Tx | StateDB, where: str, params: list[Any]) -> list[Incident]:
        rows = tx.fetchall(
            f"SELECT {_COLUMNS} FROM incidents i WHERE {where} ORDER BY i.created_at DESC, i.id",
            params,
        )
        return [_incident(r) for r in rows]

    def get(self, party: str, incident_id: str, *, tx: Tx | None = None) -> Incident:
        """One incident (every party sees every incident's own fields; ``party`` reads it)."""
        found = self._rows(tx or self.db, "i.id = ?", [incident_id])
        if not found:
            raise NotFoundError(f"no incident {incident_id!r}", field="incident_id")
        return found[0]

    def visible(self, party: str, *, status: str | None = None) -> list[Incident]:
        """Incidents, newest first (``status`` ``open`` or ``closed`` to filter)."""
        if status is not None and status not in STATUSES:
            raise InputError(f"unknown status {status!r}", column="status", hint="open or closed")
        where, params = ("i.status = ?", [status]) if status else ("1 = 1", [])
        return self._rows(self.db, where, params)

    def assessments(self, party: str, incident_id: str) -> list[Assessment]:
        """Every assessment of an incident, oldest first (the history)."""
        self.get(party, incident_id)
        rows = self.db.fetchall(
            f"SELECT {_ASSESSMENT_COLUMNS} FROM incident_assessments WHERE incident_id = ? "
            "ORDER BY seq",
            [incident_id],
        )
        return [_assessment(r) for r in rows]

    def latest_assessment(self, party: str, incident_id: str) -> Assessment | None:
        """The newest assessment, or None before the first."""
        found = self.assessments(party, incident_id)
        return found[-1] if found else None

    def _latest_bases(self) -> dict[str, _Basis]:
        """The latest assessment of every incident (the fields staleness needs), one query."""
        rows = self.db.fetchall(
            "SELECT a.incident_id, a.seq, a.baseline_year, a.data_checksum, a.scenarios "
            "FROM incident_assessments a JOIN (SELECT incident_id, max(seq) AS seq FROM "
            "incident_assessments GROUP BY incident_id) m "
            "ON m.incident_id = a.incident_id AND m.seq = a.seq"
        )
        return {
            str(r[0]): _Basis(str(r[0]), int(r[1]), int(r[2]), str(r[3]), json.loads(r[4]))
            for r in rows
        }

    def current_checksum(self) -> str | None:
        """The data store's checksum now (None without a store to compare with)."""
        if self._checksum is None:
            return None
        try:
            return self._checksum()
        except MinsecError:  # no store: the data cannot be compared
            return None

    def stale_reasons(
        self,
        inc: Incident,
        assessment: AssessmentBasis | None,
        *,
        checksum: str | None = None,
    ) -> list[str]:
        """Why ``assessment`` no longer describes ``inc`` (empty: it is current).

        The data changed (another store checksum; ``checksum`` when the caller read it
        already, else :meth:`current_checksum`), or the incident's baseline year, partners
        or responses were changed after it.
        """
        if assessment is None:
            return []
        out = []
        data = checksum if checksum is not None else self.current_checksum()
        if data is not None and data != assessment.data_checksum:
            out.append("the data changed since the assessment")
        if inc.baseline_year is not None and inc.baseline_year != assessment.baseline_year:
            out.append(
                f"the baseline year changed ({assessment.baseline_year} → {inc.baseline_year})"
            )
        reported = {p for sc in assessment.scenarios for p in sc.get("report") or ()}
        if reported and reported != set(inc.partners):
            out.append("the partners changed")
        run = [sc.get("responses", []) for sc in assessment.scenarios]
        if run and any(r != effective_responses(inc) for r in run):
            out.append("the responses changed")
        return out

    def staleness(
        self,
        inc: Incident,
        assessment: AssessmentBasis | None,
        *,
        checksum: str | None = None,
    ) -> tuple[bool | None, list[str]]:
        """Whether ``assessment`` is out of date, and why.

        None when there is no assessment, or when nothing says it is stale and the data
        cannot be compared (no store): then it is unknown.
        """
        if assessment is None:
            return None, []
        data = checksum if checksum is not None else self.current_checksum()
        reasons = self.stale_reasons(inc, assessment, checksum=data)
        if data is None and not reasons:
            return None, []
        return bool(reasons), reasons

    def is_stale(self, assessment: Assessment | None, inc: Incident | None = None) -> bool | None:
        """True when ``assessment`` is out of date (None when there is none, or unknown)."""
        if assessment is None:
            return None
        if inc is None:
            inc = self.get("", assessment.incident_id)
        return self.staleness(inc, assessment)[0]

    def listing(
        self,
        party: str,
        *,
        status: str | None = None,
        today: dt.date | None = None,
        overdue_only: bool = False,
    ) -> list[Listed]:
        """The incident list as ``party`` sees it, each row with its assessment's staleness.

        A fixed number of queries whatever the number of incidents: the incidents, the
        latest assessment of each, the clocks; the data checksum is read once.
        """
        incidents = self.visible(party, status=status)
        bases = self._latest_bases()
        late = Counter(
            c.incident_id
            for c in self.clocks.visible(party, today=today, overdue=True)
            if c.incident_id is not None
        )
        checksum = self.current_checksum()
        out = []
        for inc in incidents:
            if overdue_only and not late[inc.id]:
                continue
            basis = bases.get(inc.id)
            stale, reasons = self.staleness(inc, basis, checksum=checksum)
            out.append(
                Listed(
                    incident=inc,
                    assessment_seq=None if basis is None else basis.seq,
                    assessment_stale=stale,
                    stale_reasons=tuple(reasons),
                    overdue_items=late[inc.id],
                )
            )
        return out

    def reassess_stale(self, by: Principal) -> list[Assessment]:
        """Re-assess every open incident whose latest assessment is out of date."""
        require_analyst(by, "re-assessing incidents")
        return [
            self.assess(by, row.incident.id, reason="; ".join(row.stale_reasons))
            for row in self.listing(by.party, status="open")
            if row.stale_reasons
        ]

    def detail(
        self, party: str, incident_id: str, *, today: dt.date | None = None
    ) -> dict[str, Any]:
        """The incident as ``party`` sees it, JSON-ready, with all that hangs off it.

        Its private notes (the party's own and those shared with it), the latest assessment
        with its staleness, the number of assessments, the actions, decisions and clocks.
        """
        inc = self.get(party, incident_id)
        history = self.assessments(party, incident_id)
        latest = history[-1] if history else None
        stale, reasons = self.staleness(inc, latest)
        return {
            **inc.as_dict(),
            "private_notes": [n.as_dict() for n in self.notes.visible(party, incident_id)],
            "assessment": None if latest is None else latest.as_dict(),
            "assessment_stale": stale,
            "assessment_stale_reasons": reasons,
            "assessments": len(history),
            "actions": [a.as_dict() for a in self.actions.visible(party, incident_id)],
            "decisions": [d.as_dict() for d in self.decisions.visible(party, incident_id)],
            "clocks": [
                c.as_dict()
                for c in self.clocks.visible(party, today=today, incident_id=incident_id)
            ],
        }

    def history(self, party: str, incident_id: str, limit: int = 1000) -> list[AuditEntry]:
        """Audit entries of ``party`` about the incident and its actions, decisions, clocks."""
        self.get(party, incident_id)
        return self.audit.entries(party, object_prefix=f"incident:{incident_id}", limit=limit)

    # -- opening ----------------------------------------------------------------------------
    def open_event(
        self,
        by: Principal,
        *,
        title: str,
        exporter: str,
        commodities: Sequence[str],
        effective_date: dt.date | str,
        description: str = "",
        measure: str | None = None,
        fraction: float | None = None,
        targets: Sequence[str] | None = None,
        duration_months: float | None = None,
        source_url: str | None = None,
        partners: Sequence[str] | None = None,
        responses: Sequence[Mapping[str, Any]] = (),
        parameters: Mapping[str, Any] | None = None,
        baseline_year: int | None = None,
        note: str | None = None,
        note_private: bool = False,
        note_shared_with: Sequence[str] = (),
        due_date: dt.date | str | None = None,
    ) -> Incident:
        """Open an incident from an observed export restriction."""
        require_analyst(by, "opening an incident")
        cids = _commodities(commodities)
        if duration_months is not None and (
            not math.isfinite(duration_months) or not 0 < duration_months <= 240
        ):
            raise InputError(
                f"duration_months {duration_months!r} must be in (0, 240]",
                column="duration_months",
                hint="leave it out for an open-ended measure",
            )
        plan = normal_responses(responses, cids[0])
        _check_parameters(parameters or {}, cids[0])
        values = {
            "origin": "event",
            "exporter": resolve_country(exporter, "exporter"),
            "commodities": cids,
            "measure": text(measure, "measure", max_length=200),
            "fraction": _fraction(fraction),
            "targets": None if not targets else parties(targets, "targets"),
            "effective_date": day(effective_date, "effective_date"),
            "duration_months": duration_months,
            "source_url": text(source_url, "source_url", max_length=2000),
            "scenario_name": None,
            "scenario": None,
            "responses": plan,
            "parameters": dict(parameters or {}),
        }
        if values["effective_date"] is None:
            raise InputError("effective_date is required", column="effective_date")
        return self._insert(
            by,
            values,
            title=title,
            description=description,
            partners=partners,
            baseline_year=baseline_year,
            note=note,
            note_private=note_private,
            note_shared_with=note_shared_with,
            due_date=due_date,
        )

    def open_scenario(
        self,
        by: Principal,
        *,
        scenario: str | Mapping[str, Any],
        title: str | None = None,
        description: str | None = None,
        source_url: str | None = None,
        partners: Sequence[str] | None = None,
        baseline_year: int | None = None,
        note: str | None = None,
        note_private: bool = False,
        note_shared_with: Sequence[str] = (),
        due_date: dt.date | str | None = None,
    ) -> Incident:
        """Open an incident from a named scenario or an inline scenario spec."""
        from minsec.disrupt.scenario import get_scenario

        require_analyst(by, "opening an incident")
        if isinstance(scenario, str):
            sc = get_scenario(scenario)
            name: str | None = sc.name
        else:
            sc = _scenario_parse(scenario, "scenario")
            name = None
        spec = sc.model_dump(mode="json", exclude_none=True)
        first = sc.events[0]
        exporter = next((e.exporter for e in sc.events if e.type == "export_restriction"), None)
        values = {
            "origin": "scenario",
            "exporter": exporter,
            "commodities": (sc.commodity,),
            "measure": first.note,
            "fraction": getattr(first, "fraction", None),
            "targets": None,
            "effective_date": min(e.start for e in sc.events),
            "duration_months": None,
            "source_url": text(source_url or first.source, "source_url", max_length=2000),
            "scenario_name": name,
            "scenario": spec,
            "responses": [r.model_dump(mode="json", exclude_none=True) for r in sc.responses],
            "parameters": sc.parameters.model_dump(mode="json", exclude_defaults=True),
        }
        return self._insert(
            by,
            values,
            title=title or sc.title or sc.name,
            description=description if description is not None else sc.description.strip(),
            partners=partners,
            baseline_year=baseline_year if baseline_year is not None else sc.baseline_year,
            note=note,
            note_private=note_private,
            note_shared_with=note_shared_with,
            due_date=due_date,
        )

    def _insert(
        self,
        by: Principal,
        values: dict[str, Any],
        *,
        title: str,
        description: str | None,
        partners: Sequence[str] | None,
        baseline_year: int | None,
        note: str | None,
        note_private: bool,
        note_shared_with: Sequence[str],
        due_date: dt.date | str | None,
    ) -> Incident:
        iid = new_id("inc")
        at = now()
        body = text(note, "note", max_length=20_000)
        row = {
            "id": iid,
            "title": text(title, "title", max_length=300, required=True),
            "description": text(description, "description", max_length=20_000) or "",
            **values,
            "commodities": dumps(list(values["commodities"])),
            "targets": dumps(None if values["targets"] is None else list(values["targets"])),
            "scenario": None if values["scenario"] is None else dumps(values["scenario"]),
            "responses": dumps(values["responses"]),
            "parameters": dumps(values["parameters"]),
            "baseline_year": _year(baseline_year),
            "partners": dumps(list(parties(partners or DEFAULT_PARTNERS, "partners"))),
            "status": "open",
            "owner_party": by.party,
            "note": None if note_private else body,
            "due_date": day(due_date, "due_date"),
            "version": 1,
            "created_at": at,
            "created_by": by.user,
            "updated_at": at,
            "updated_by": by.user,
            "closed_at": None,
            "closed_by": None,
            "close_reason": None,
        }
        if note_shared_with and not note_private:
            raise InputError(
                "note_shared_with is for a private note (note_private); a public note is "
                "read by every party",
                column="note_shared_with",
            )
        with self.db.transaction() as tx:
            insert_row(tx, "incidents", row)
            plain = {**row, **values, "partners": json.loads(str(row["partners"]))}
            skip = ("id", "note", "created_at", "updated_at", "updated_by", "created_by")
            detail = {k: v for k, v in plain.items() if k not in skip}
            detail["note"] = row["note"] is not None
            self.audit.append(tx, by, "incident.open", f"incident:{iid}", detail)
            if note_private and body is not None:
                self.notes.set(by, iid, body, shared_with=note_shared_with, tx=tx)
            return self.get(by.party, iid, tx=tx)

    # -- changing ---------------------------------------------------------------------------
    def _bump(self, tx: Tx, by: Principal, incident_id: str, version: int | None) -> int:
        """Raise the version from ``version`` (any when None); 409 when it moved on."""
        current, status = lock_incident(tx, incident_id)
        if status == "closed":
            raise closed_error(incident_id)
        expected = current if version is None else int(version)
        return bump_version(tx, "incidents", "incident", incident_id, by, expected, current)

    def update(
        self, by: Principal, incident_id: str, changes: Mapping[str, Any], *, version: int
    ) -> Incident:
        """Change fields of an open incident made from ``version``; 409 if it moved on.

        Private notes are not fields of the incident: :attr:`notes` writes them.
        """
        require_analyst(by, "changing an incident")
        private = sorted(set(changes) & set(PRIVATE_NOTE_FIELDS))
        check_changes(
            changes,
            EDITABLE,
            hint="a private note is a record of its own: Incidents.notes.set, "
            "PUT /api/v1/incidents/{id}/private-notes/{party}, `minsec incidents note`"
            if private
            else "",
        )
        values: dict[str, Any] = {}
        for key, value in changes.items():
            if key == "title":
                values[key] = text(value, key, max_length=300, required=True)
            elif key == "description":
                values[key] = text(value, key, max_length=20_000) or ""
            elif key in ("measure",):
                values[key] = text(value, key, max_length=200)
            elif key == "source_url":
                values[key] = text(value, key, max_length=2000)
            elif key == "note":
                values[key] = text(value, key, max_length=20_000)
            elif key == "partners":
                if not value:
                    raise InputError("partners cannot be empty", column="partners")
                values[key] = dumps(list(parties(value, "partners")))
            elif key == "baseline_year":
                values[key] = _year(value)
            elif key == "responses":
                values[key] = value
            elif key == "due_date":
                values[key] = day(value, key)
        if "responses" in values:
            first = self.get(by.party, incident_id).commodities[0]
            values["responses"] = dumps(normal_responses(values["responses"] or [], first))
        with self.db.transaction() as tx:
            before = self.get(by.party, incident_id, tx=tx)
            if set(changes) & set(OWNER_ONLY) and before.owner_party != by.party:
                raise ForbiddenError(
                    f"the note of incident {incident_id!r} belongs to {before.owner_party}; "
                    "only that party changes it",
                    field=sorted(set(changes) & set(OWNER_ONLY))[0],
                    hint="write your party's private note instead (private-notes)",
                )
            new_version = self._bump(tx, by, incident_id, version)
            sets = ", ".join(f"{k} = ?" for k in values)
            tx.execute(f"UPDATE incidents SET {sets} WHERE id = ?", [*values.values(), incident_id])
            detail: dict[str, Any] = {
                k: v for k, v in values.items() if k not in ("note", "partners", "responses")
            }
            for key in ("partners", "responses"):
                if key in values:
                    detail[key] = json.loads(values[key])
            if "note" in values:
                detail["note"] = values["note"] is not None
            detail["version"] = new_version
            self.audit.append(tx, by, "incident.update", f"incident:{incident_id}", detail)
            return self.get(by.party, incident_id, tx=tx)

    def close(
        self, by: Principal, incident_id: str, *, reason: str, version: int | None = None
    ) -> Incident:
        """Close an incident (it stays, with its history; it is never deleted)."""
        require_analyst(by, "closing an incident")
        why = text(reason, "reason", max_length=2000, required=True)
        with self.db.transaction() as tx:
            new_version = self._bump(tx, by, incident_id, version)
            at = now()
            tx.execute(
                "UPDATE incidents SET status = 'closed', closed_at = ?, closed_by = ?, "
                "close_reason = ? WHERE id = ?",
                [at, by.user, why, incident_id],
            )
            self.audit.append(
                tx,
                by,
                "incident.close",
                f"incident:{incident_id}",
                {"reason": why, "version": new_version},
            )
            return self.get(by.party, incident_id, tx=tx)

    def require_open(self, tx: Tx, party: str, incident_id: str) -> Incident:
        """The incident, or 409 when it is closed (for actions, decisions and clocks)."""
        inc = self.get(party, incident_id, tx=tx)
        if inc.status == "closed":
            raise closed_error(incident_id)
        return inc

    # -- assessing --------------------------------------------------------------------------
    def scenarios(
        self,
        inc: Incident,
        *,
        baseline_year: int,
        parameters: Mapping[str, Any] | None = None,
    ) -> list[Scenario]:
        """The scenario(s) the engine runs for ``inc``: one per commodity."""
        params = {**inc.parameters, **(parameters or {})}
        responses = effective_responses(inc)
        out = []
        if inc.origin == "scenario":
            assert inc.scenario is not None
            spec = dict(inc.scenario)
            spec.update(
                baseline_year=baseline_year,
                responses=responses,
                parameters=params,
                report=list(inc.partners),
            )
            out.append(_scenario_parse(spec, "scenario"))
            return out
        for cid in inc.commodities:
            event: dict[str, Any] = {
                "type": "export_restriction",
                "exporter": inc.exporter,
                "targets": list(inc.targets) if inc.targets else "all",
                "fraction": inc.fraction,
                "start": iso(inc.effective_date),
            }
            if inc.duration_months is not None:
                event["duration_months"] = inc.duration_months
            if inc.measure:
                event["note"] = inc.measure
            if inc.source_url:
                event["source"] = inc.source_url
            spec = {
                "name": f"{inc.id}-{cid}".replace("_", "-").lower(),
                "title": inc.title,
                "commodity": cid,
                "baseline_year": baseline_year,
                "months": HORIZON_MONTHS,
                "events": [event],
                "responses": responses,
                "parameters": params,
                "report": list(inc.partners),
            }
            if inc.source_url:
                spec["sources"] = [inc.source_url]
            out.append(_scenario_parse(spec, "incident"))
        return out

    def _default_year(self, store: Store, inc: Incident) -> int:
        """The latest year ≤ the year before the event with trade data for its commodities."""
        from minsec.disrupt.baseline import available_stages

        start = inc.effective_date or dt.date.today()
        upto = min(start.year - 1, dt.date.today().year)
        for year in range(upto, upto - 15, -1):
            if all(available_stages(store, c, year) for c in inc.commodities):
                return year
        return upto

    def assess(
        self,
        by: Principal,
        incident_id: str,
        *,
        baseline_year: int | None = None,
        parameters: Mapping[str, Any] | None = None,
        reason: str | None = None,
        version: int | None = None,
    ) -> Assessment:
        """Run the engine for the incident and keep the result as its newest assessment.

        ``baseline_year`` and ``parameters`` override the incident's for this run (and are
        recorded with it); ``version``, when given, must still be the incident's version
        when the result is stored (else 409: someone changed it while the engine ran). An
        assessment is a record of its own: it does not change the incident's version.
        """
        from minsec.disrupt.scenario import simulate

        require_analyst(by, "assessing an incident")
        if self._store is None:
            raise InputError("this app state has no data store to assess incidents with")
        inc = self.get(by.party, incident_id)
        if inc.status == "closed":
            raise closed_error(incident_id)
        if parameters:
            _check_parameters(parameters, inc.commodities[0])
        store = self._store()
        year = _year(baseline_year) or inc.baseline_year or self._default_year(store, inc)
        scenarios = self.scenarios(inc, baseline_year=year, parameters=parameters)
        results = [simulate(store, sc) for sc in scenarios]
        summary = summarise(results, inc.partners)
        checksum = self._checksum() if self._checksum is not None else ""
        why = text(reason, "reason", max_length=2000) or (
            "first assessment"
            if self.latest_assessment(by.party, incident_id) is None
            else "re-assessment"
        )
        with self.db.transaction() as tx:
            current, status = lock_incident(tx, incident_id)  # also orders concurrent runs
            if status == "closed":
                raise closed_error(incident_id)
            if version is not None and int(version) != current:
                raise ConflictError(
                    f"incident {incident_id!r} was changed by someone else while it was "
                    f"assessed: you sent version {version}, it is now at version {current}",
                    field="version",
                    hint="reload the incident and assess it again",
                )
            last = tx.fetchone(
                "SELECT max(seq) FROM incident_assessments WHERE incident_id = ?", [incident_id]
            )
            seq = 1 if last is None or last[0] is None else int(last[0]) + 1
            aid = new_id("asm")
            params = {**inc.parameters, **(parameters or {})}
            tx.execute(
                f"INSERT INTO incident_assessments ({_ASSESSMENT_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    aid,
                    incident_id,
                    seq,
                    now(),
                    by.user,
                    why,
                    year,
                    dumps(params),
                    checksum,
                    dumps([sc.model_dump(mode="json", exclude_none=True) for sc in scenarios]),
                    dumps(summary["impact"]),
                    dumps(summary["response"]),
                    dumps(summary["notes"]),
                ],
            )
            self.audit.append(
                tx,
                by,
                "incident.assess",
                f"incident:{incident_id}",
                {
                    "assessment": aid,
                    "seq": seq,
                    "baseline_year": year,
                    "parameters": params,
                    "data_checksum": checksum,
                    "reason": why,
                    "incident_version": current,
                },
            )
            row = tx.fetchone(
                f"SELECT {_ASSESSMENT_COLUMNS} FROM incident_assessments WHERE id = ?", [aid]
            )
            assert row is not None
            return _assessment(row)
