"""The incident briefing: one export restriction (or outage), its impact and the response.

The renderer takes a plain data structure, :class:`IncidentBriefing`, so that whatever
tracks incidents (``minsec.respond``) only has to fill it in; nothing here reads a store.
Every dated item is shown against ``as_of`` (default: now): open actions and clocks past
their due time are flagged OVERDUE in words and bold type, not colour, so the briefing
reads on paper in black and white.

Provenance: every impact number names the sources it comes from (``sources`` keys, see
:class:`SourceRef`); the sources section lists them with the store checksum (SHA-256) of
the data they were computed from, and the generation time and minsec version.

:meth:`IncidentBriefing.from_dict` builds one from JSON-ready data (ISO dates), and
:meth:`IncidentBriefing.to_dict` writes it back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from minsec import __version__
from minsec.report import _render, svg
from minsec.report.provenance import Citations

DONE = frozenset({"done", "closed", "met", "complete", "completed", "cancelled", "withdrawn"})
"""Statuses (lower case) of actions and clocks that can no longer be overdue."""


def _when(value: Any) -> dt.datetime | None:
    """A date or date-time (or ISO text) as a UTC date-time; dates count as end of day."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = _parse_date(value)
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(23, 59, 59), tzinfo=dt.UTC)
    raise TypeError(f"not a date: {value!r}")


def _is_overdue(due: dt.date | dt.datetime | None, status: str, as_of: dt.datetime) -> bool:
    when = _when(due)
    return when is not None and status.strip().lower() not in DONE and when < as_of


@dataclass(frozen=True)
class SourceRef:
    """Where numbers come from: a store source (with its SHA-256), a document or a run.

    ``key`` is what :class:`PartnerImpact`, :class:`ResponseRow` and
    :class:`AssessmentSnapshot` name in their ``sources``.
    """

    key: str
    dataset: str
    publisher: str = ""
    edition: str = ""
    store_source: str = ""
    sha256: str = ""
    licence: str = ""
    url: str = ""


@dataclass(frozen=True)
class PartnerImpact:
    """Assessed impact on one partner (country or bloc).

    Shortfall in tonnes and in % of apparent consumption, price change in %, value at
    risk in USD (``None`` = not assessed, shown as such, never as zero).
    """

    partner: str
    shortfall_t: float | None = None
    shortfall_pct: float | None = None
    price_change_pct: float | None = None
    value_at_risk_usd: float | None = None
    sources: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class ResponseRow:
    """One line of the coordinated response.

    Who ships or releases how much to whom, and the partner's shortfall over the horizon
    without and with coordination (% of its apparent consumption).
    """

    partner: str
    measure: str
    tonnes: float | None = None
    shortfall_uncoordinated_pct: float | None = None
    shortfall_coordinated_pct: float | None = None
    sources: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Action:
    """A follow-up action.

    ``owner`` is accountable (a party or office), ``assignee`` does it; ``due`` a date or
    date-time; ``status`` e.g. open, in progress, done.
    """

    title: str
    owner: str
    assignee: str = ""
    due: dt.date | dt.datetime | None = None
    status: str = "open"

    def overdue(self, as_of: dt.datetime) -> bool:
        """Past due and not done."""
        return _is_overdue(self.due, self.status, as_of)


@dataclass(frozen=True)
class Decision:
    """A decision taken: what, who took it, why and when."""

    decision: str
    who: str
    why: str
    when: dt.date | dt.datetime


@dataclass(frozen=True)
class Clock:
    """A deadline (consultation window, notification duty, stockpile release date…)."""

    name: str
    deadline: dt.date | dt.datetime
    status: str = "open"
    note: str = ""

    def overdue(self, as_of: dt.datetime) -> bool:
        """Past the deadline and not met."""
        return _is_overdue(self.deadline, self.status, as_of)

    def remaining(self, as_of: dt.datetime) -> str:
        """Time left (or past) in days and hours, as text."""
        when = _when(self.deadline)
        assert when is not None
        seconds = (when - as_of).total_seconds()
        days, rest = divmod(abs(seconds), 86_400)
        text = f"{int(days)} d {int(rest // 3600)} h"
        return f"{text} left" if seconds >= 0 else f"{text} past"


@dataclass(frozen=True)
class AssessmentSnapshot:
    """One past assessment of the incident.

    When, by whom, the worst partner shortfall (%), the peak price change (%) and a
    one-line summary.
    """

    when: dt.date | dt.datetime
    by: str
    summary: str
    worst_shortfall_pct: float | None = None
    price_change_pct: float | None = None
    sources: tuple[str, ...] = ()


@dataclass
class IncidentBriefing:
    """Everything an incident briefing shows (all fields plain values; see module doc).

    ``exporter`` is the restricting country, ``commodities`` the minerals concerned,
    ``measure`` the measure in words, ``effective_date`` when it takes effect,
    ``source_link`` the announcement or legal text (URL), ``status`` the incident's
    status (e.g. monitoring, response active, closed). ``as_of`` is the time overdue flags
    refer to (default: now).
    """

    incident_id: str
    title: str
    exporter: str
    commodities: tuple[str, ...]
    measure: str
    effective_date: dt.date
    source_link: str
    status: str
    impacts: list[PartnerImpact] = field(default_factory=list)
    response: list[ResponseRow] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    clocks: list[Clock] = field(default_factory=list)
    history: list[AssessmentSnapshot] = field(default_factory=list)
    sources: list[SourceRef] = field(default_factory=list)
    summary: str = ""
    as_of: dt.datetime | None = None
    provenance: pd.DataFrame | None = None
    """Optional: the store's provenance table (``Store.status()``), listed as data versions."""
    generated_at: str = field(default_factory=_render.now_utc)
    version: str = __version__

    def reference_time(self) -> dt.datetime:
        """``as_of`` in UTC, or now."""
        return _when(self.as_of) or dt.datetime.now(dt.UTC)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IncidentBriefing:
        """Build from JSON-ready data: nested lists of dicts, ISO dates as text."""

        def many(kind: type[Any], rows: Sequence[Mapping[str, Any]] | None) -> list[Any]:
            out = []
            for row in rows or []:
                d = dict(row)
                if "sources" in d:
                    d["sources"] = tuple(d["sources"])
                for k in ("due", "when", "deadline"):
                    if isinstance(d.get(k), str):
                        d[k] = _parse_date(d[k])
                out.append(kind(**d))
            return out

        d = dict(data)
        return cls(
            incident_id=str(d["incident_id"]),
            title=str(d["title"]),
            exporter=str(d["exporter"]),
            commodities=tuple(d["commodities"]),
            measure=str(d["measure"]),
            effective_date=dt.date.fromisoformat(str(d["effective_date"])[:10]),
            source_link=str(d.get("source_link", "")),
            status=str(d["status"]),
            impacts=many(PartnerImpact, d.get("impacts")),
            response=many(ResponseRow, d.get("response")),
            actions=many(Action, d.get("actions")),
            decisions=many(Decision, d.get("decisions")),
            clocks=many(Clock, d.get("clocks")),
            history=many(AssessmentSnapshot, d.get("history")),
            sources=many(SourceRef, d.get("sources")),
            summary=str(d.get("summary", "")),
            as_of=_when(d.get("as_of")),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (dates as ISO text) that :meth:`from_dict` reads back."""

        def plain(value: Any) -> Any:
            if isinstance(value, dt.date | dt.datetime):
                return value.isoformat()
            if isinstance(value, tuple | list):
                return [plain(v) for v in value]
            if dataclasses.is_dataclass(value) and not isinstance(value, type):
                return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
            return value

        skip = {"provenance", "generated_at", "version"}
        return {
            f.name: plain(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if f.name not in skip
        }


def _parse_date(text: str) -> dt.date | dt.datetime:
    return (
        dt.datetime.fromisoformat(text)
        if "T" in text or " " in text
        else (dt.date.fromisoformat(text))
    )


def _refs(cites: Citations, keys: dict[str, int], names: Sequence[str]) -> tuple[int, ...]:
    missing = [n for n in names if n not in keys]
    if missing:
        raise ValueError(f"unknown source keys {missing}; known: {sorted(keys)}")
    return tuple(keys[n] for n in names)


def _num(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _history_chart(b: IncidentBriefing) -> str | None:
    points = [
        (_when(h.when), _num(h.worst_shortfall_pct), _num(h.price_change_pct)) for h in b.history
    ]
    short = [(w.timestamp(), v) for w, v, _ in points if w is not None and v is not None]
    if len(short) < 2:
        return None
    first = min(t for t, _ in short)
    series = {
        "worst partner shortfall (%)": [((t - first) / 86_400, v) for t, v in short],
    }
    return svg.lines(
        series,
        title="Worst partner shortfall at each assessment (days since the first)",
        ylabel="% of apparent consumption",
        percent=False,
    )


def render_incident_brief(
    briefing: IncidentBriefing, out_dir: Path | str, pdf: bool = True
) -> Path:
    """Write ``index.html`` (and with ``pdf`` ``index.pdf``) into ``out_dir``.

    Returns the HTML path; the HTML is self-contained.

    Raises
    ------
    ValueError
        A row names a source key that ``briefing.sources`` does not define.
    minsec.report.pdf.ChromiumMissingError
        ``pdf`` is true and no Chromium is installed.
    """
    b = briefing
    empty = pd.DataFrame(columns=["source", "kind", "version", "rows", "sha256", "licence"])
    cites = Citations(b.provenance if b.provenance is not None else empty)
    keys = {
        s.key: cites.external(
            s.key,
            dataset=s.dataset,
            publisher=s.publisher,
            edition=s.edition,
            store_source=s.store_source,
            sha256=s.sha256,
            licence=s.licence,
            url=s.url,
        )
        for s in b.sources
    }
    announcement = (
        cites.external("announcement", dataset=f"Announcement: {b.measure}", url=b.source_link)
        if b.source_link
        else None
    )
    as_of = b.reference_time()
    impacts = [{"row": r, "refs": _refs(cites, keys, r.sources)} for r in b.impacts]
    response = [{"row": r, "refs": _refs(cites, keys, r.sources)} for r in b.response]
    history = [
        {"row": h, "refs": _refs(cites, keys, h.sources)}
        for h in sorted(b.history, key=lambda h: _when(h.when) or as_of)
    ]
    worst = max(
        (r for r in b.impacts if _num(r.shortfall_pct) is not None),
        key=lambda r: r.shortfall_pct or 0.0,
        default=None,
    )
    path = _render.write(
        "incident.html",
        out_dir,
        b=b,
        as_of=as_of.strftime("%Y-%m-%d %H:%M UTC"),
        announcement=announcement,
        impacts=impacts,
        response=response,
        history=history,
        worst=worst,
        worst_refs=_refs(cites, keys, worst.sources) if worst else (),
        actions=[{"row": a, "overdue": a.overdue(as_of)} for a in b.actions],
        clocks=[
            {"row": c, "overdue": c.overdue(as_of), "remaining": c.remaining(as_of)}
            for c in sorted(b.clocks, key=lambda c: _when(c.deadline) or as_of)
        ],
        decisions=sorted(b.decisions, key=lambda d: _when(d.when) or as_of),
        n_overdue=sum(a.overdue(as_of) for a in b.actions)
        + sum(c.overdue(as_of) for c in b.clocks),
        history_chart=_history_chart(b),
        citations=cites,
    )
    if pdf:
        from minsec.report.pdf import html_to_pdf

        html_to_pdf(path)
    return path
