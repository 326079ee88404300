"""Fill an :class:`~minsec.report.incident_brief.IncidentBriefing` from a tracked incident.

The incident, its assessments, actions, decisions and clocks come from
:mod:`minsec.respond` as the reading party sees them: another party's private note,
actions and decisions are absent from the briefing as they are from every API answer.

Provenance: every impact number cites the assessment it comes from (the disruption
engine run, its baseline year and the SHA-256 checksum of the data it ran on) and the
store sources that data came from (their file checksums and licences).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from minsec.catalog import countries
from minsec.report.incident_brief import (
    Action,
    AssessmentSnapshot,
    Clock,
    Decision,
    IncidentBriefing,
    PartnerImpact,
    ResponseRow,
    SourceRef,
)
from minsec.respond.actions import Action as TrackedAction
from minsec.respond.clocks import Clock as TrackedClock
from minsec.respond.decisions import Decision as TrackedDecision
from minsec.respond.incidents import Assessment, Incident


def _num(value: Any) -> float | None:
    if value is None:
        return None
    out = float(value)
    return None if math.isnan(out) else out


def _assessment_key(a: Assessment) -> str:
    return f"assessment-{a.seq}"


def _assessment_ref(a: Assessment) -> SourceRef:
    return SourceRef(
        key=_assessment_key(a),
        dataset=f"minsec disruption engine, assessment {a.seq} of the incident",
        publisher="minsec",
        edition=f"baseline year {a.baseline_year}, run {a.assessed_at:%Y-%m-%d %H:%M} UTC "
        f"by {a.assessed_by}",
        sha256=a.data_checksum,
    )


def _store_refs(provenance: pd.DataFrame) -> list[SourceRef]:
    return [
        SourceRef(
            key=f"store:{row.source}",
            dataset=str(row.version),
            publisher=str(row.kind),
            store_source=str(row.source),
            sha256=str(row.sha256),
            licence=str(row.licence or ""),
        )
        for row in provenance.itertuples(index=False)
    ]


def _impacts(a: Assessment, cite: tuple[str, ...]) -> list[PartnerImpact]:
    out = []
    for row in a.impact:
        out.append(
            PartnerImpact(
                partner=f"{row.get('name') or row['party']} — {row['commodity']} ({row['stage']})",
                shortfall_t=_num(row.get("shortfall_t")),
                shortfall_pct=_num(row.get("shortfall_pct")),
                price_change_pct=_num(row.get("peak_price_change_pct")),
                value_at_risk_usd=_num(row.get("value_at_risk_usd")),
                sources=cite,
                note=f"peak month {_num(row.get('peak_shortfall_pct')) or 0:.1f} % short",
            )
        )
    return out


def _response(
    a: Assessment, partners: set[str], cite: tuple[str, ...], top: int = 10
) -> list[ResponseRow]:
    """One row per receiving partner (the incident's partners, then the largest others).

    Each says how many tonnes it receives from which pooled source, and its shortfall over
    the horizon without → with coordination, in % of its apparent consumption where the
    assessment has its baseline (the partners' impact rows).
    """
    response = a.response or {}
    base = {(r["commodity"], r["stage"], r["party"]): _num(r.get("baseline_t")) for r in a.impact}
    received: dict[tuple[str, str, str], dict[str, float]] = {}
    for f in response.get("flows", []):
        key = (str(f["commodity"]), str(f["stage"]), str(f["partner"]))
        by_source = received.setdefault(key, {})
        by_source[str(f["source"])] = by_source.get(str(f["source"]), 0.0) + float(f["tonnes"])
    coordination = {
        (str(c["commodity"]), str(c["stage"]), str(c["partner"])): c
        for c in response.get("coordination", [])
    }
    keys = sorted(
        set(received) | {k for k in coordination if k[2] in partners},
        key=lambda k: (k[2] not in partners, -sum(received.get(k, {}).values()), k),
    )
    shown = [k for k in keys if k[2] in partners or sum(received.get(k, {}).values()) >= 1.0]
    rest = shown[len([k for k in shown if k[2] in partners]) + top :]
    shown = shown[: len(shown) - len(rest)]

    def pct(tonnes: float | None, key: tuple[str, str, str]) -> float | None:
        b = base.get(key)
        return None if tonnes is None or not b else 100.0 * tonnes / b

    rows = []
    for key in shown:
        commodity, stage, partner = key
        sources = received.get(key, {})
        total = sum(sources.values())
        parts = "; ".join(f"{src} {t:,.0f} t" for src, t in sorted(sources.items()))
        c = coordination.get(key, {})
        without = _num(c.get("shortfall_uncoordinated_t"))
        with_ = _num(c.get("shortfall_coordinated_t"))
        rows.append(
            ResponseRow(
                partner=countries.name_of(partner) if len(partner) == 3 else partner,
                measure=f"{commodity} ({stage}): receives {parts}"
                if sources
                else f"{commodity} ({stage}): no transfer",
                tonnes=total,
                shortfall_uncoordinated_pct=pct(without, key),
                shortfall_coordinated_pct=pct(with_, key),
                sources=cite,
                note=f"short {without:,.0f} t → {with_:,.0f} t"
                if without is not None and with_ is not None
                else "",
            )
        )
    if rest:
        tonnes = sum(sum(received.get(k, {}).values()) for k in rest)
        rows.append(
            ResponseRow(
                partner=f"{len(rest)} other partners",
                measure="smaller transfers from the pooled stockpiles",
                tonnes=tonnes,
                sources=cite,
            )
        )
    for p in response.get("proposed_actions", []):
        rows.append(
            ResponseRow(
                partner=str(p.get("owner_party") or "allies"),
                measure=f"proposed: {p['title']}",
                tonnes=_num((p.get("params") or {}).get("tonnes")),
                sources=cite,
            )
        )
    return rows


def _snapshot(a: Assessment) -> AssessmentSnapshot:
    worst = [_num(r.get("peak_shortfall_pct")) for r in a.impact]
    price = [_num(r.get("peak_price_change_pct")) for r in a.impact]
    worst_v = [v for v in worst if v is not None]
    price_v = [v for v in price if v is not None]
    return AssessmentSnapshot(
        when=a.assessed_at,
        by=a.assessed_by,
        summary=f"{a.reason or 'assessment'} (baseline {a.baseline_year})",
        worst_shortfall_pct=max(worst_v) if worst_v else None,
        price_change_pct=max(price_v) if price_v else None,
        sources=(_assessment_key(a),),
    )


def incident_briefing(
    inc: Incident,
    assessments: Sequence[Assessment],
    actions: Sequence[TrackedAction],
    decisions: Sequence[TrackedDecision],
    clocks: Sequence[TrackedClock],
    provenance: pd.DataFrame,
    *,
    as_of: dt.datetime | None = None,
) -> IncidentBriefing:
    """The briefing of ``inc`` as its reader sees it (their visible records only).

    ``assessments`` oldest first (the latest is the one shown); ``provenance`` is the
    store's ``Store.status()`` table.
    """
    latest = assessments[-1] if assessments else None
    store_refs = _store_refs(provenance)
    refs = [*(_assessment_ref(a) for a in assessments), *store_refs]
    cite = (_assessment_key(latest), *(r.key for r in store_refs)) if latest is not None else ()
    partners = set(inc.partners)
    if inc.measure:
        measure = inc.measure
    elif inc.scenario:
        measure = str(inc.scenario.get("title") or inc.scenario_name or inc.title)
    elif inc.fraction is not None:
        measure = f"{inc.fraction:.0%} of exports withheld"
    else:
        measure = inc.title
    if latest is None:
        summary = "Not assessed yet: run `minsec incidents assess` for the impact."
    else:
        worst = max(
            (r for r in latest.impact if _num(r.get("shortfall_pct")) is not None),
            key=lambda r: float(r["shortfall_pct"]),
            default=None,
        )
        summary = (
            f"Assessment {latest.seq} (baseline {latest.baseline_year}): worst partner "
            f"shortfall {float(worst['shortfall_pct']):.1f} % of consumption "
            f"({worst.get('name') or worst['party']}, {worst['commodity']} {worst['stage']})."
            if worst is not None
            else f"Assessment {latest.seq}: no partner shortfall computed."
        )
    return IncidentBriefing(
        incident_id=inc.id,
        title=inc.title,
        exporter=countries.name_of(inc.exporter) if inc.exporter else "—",
        commodities=tuple(inc.commodities),
        measure=measure,
        effective_date=inc.effective_date or inc.created_at.date(),
        source_link=inc.source_url or "",
        status=inc.status,
        impacts=_impacts(latest, cite) if latest is not None else [],
        response=_response(latest, partners, cite) if latest is not None else [],
        actions=[
            Action(
                title=a.title,
                owner=a.owner_party,
                assignee=a.assignee or "",
                due=a.due_date,
                status=a.status,
            )
            for a in actions
        ],
        decisions=[
            Decision(
                decision=d.summary,
                who=d.decided_by,
                why=d.rationale or "",
                when=d.decided_on or d.recorded_at,
            )
            for d in decisions
        ],
        clocks=[
            Clock(
                name=c.title,
                deadline=c.due_date,
                status="met" if c.met_at is not None else "open",
                note=c.kind,
            )
            for c in clocks
        ],
        history=[_snapshot(a) for a in assessments],
        sources=refs,
        summary=summary,
        as_of=as_of,
        provenance=provenance,
    )
