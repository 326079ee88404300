"""The incident workflow on both backends: open, assess, act, decide, clock, close."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from minsec.errors import InputError
from minsec.respond import Incidents
from minsec.respond.actions import TRANSITIONS, Actions
from minsec.respond.decisions import Decisions
from minsec.state import ConflictError, ForbiddenError, NotFoundError, Principal, Role
from tests.respond.conftest import JP, KR, US, US_VIEWER, Checksum

US_ANALYST2 = Principal("bob", "USA", Role.analyst)

pytestmark = pytest.mark.default_data


def _graphite(incidents: Incidents, **kw: object) -> str:
    args: dict[str, object] = {
        "title": "China licenses graphite exports",
        "exporter": "China",
        "commodities": ["graphite"],
        "effective_date": "2025-12-01",
        "fraction": 0.5,
        "measure": "export licensing",
        "source_url": "https://example.org/mofcom-39",
    }
    args.update(kw)
    return incidents.open_event(US, **args).id  # type: ignore[arg-type]


def test_open_from_an_event_assess_and_reassess(incidents: Incidents, checksum: Checksum) -> None:
    iid = _graphite(
        incidents, responses=[{"type": "stockpile_release", "holder": "JPN", "days_of_cover": 30}]
    )
    inc = incidents.get("JPN", iid)
    assert (inc.origin, inc.exporter, inc.commodities, inc.version) == (
        "event", "CHN", ("graphite",), 1
    )  # fmt: skip
    assert inc.partners == ("JPN", "USA", "like-minded")
    assert incidents.latest_assessment("USA", iid) is None

    first = incidents.assess(US, iid)
    assert first.seq == 1
    assert first.baseline_year == 2024  # the latest year with trade before the event
    assert first.data_checksum == "data-v1"
    parties = {r["party"] for r in first.impact}
    assert parties == {"USA", "JPN", "like-minded"}
    usa = next(r for r in first.impact if r["party"] == "USA")
    assert usa["shortfall_t"] > 0
    assert usa["value_at_risk_usd"] > 0
    assert usa["peak_price_change_pct"] > 0
    kinds = {a["kind"] for a in first.response["proposed_actions"]}
    assert kinds == {"stockpile_release", "allied_allocation"}
    assert first.response["coordination"], "shortfall with and without coordination per partner"
    assert incidents.is_stale(first) is False

    # the data changes: the assessment is stale; a re-assessment adds to the history
    checksum.value = "data-v2"
    assert incidents.is_stale(first) is True
    second = incidents.assess(
        JP, iid, baseline_year=2022, parameters={"leakage": 0.5}, reason="new data"
    )
    assert (second.seq, second.baseline_year, second.reason) == (2, 2022, "new data")
    assert second.parameters == {"leakage": 0.5}
    history = incidents.assessments("USA", iid)
    assert [a.seq for a in history] == [1, 2]
    assert history[0].baseline_year == 2024  # kept as it was
    # assessments are records of their own: the incident is as it was opened
    inc = incidents.get("USA", iid)
    assert (inc.version, inc.updated_at, inc.updated_by) == (1, inc.created_at, "ann")

    # the incident's baseline year changes: stale again, and re-assessed with the reason
    assert incidents.stale_reasons(inc, second) == []
    inc = incidents.update(US, iid, {"baseline_year": 2023}, version=1)
    assert incidents.stale_reasons(inc, second) == ["the baseline year changed (2022 → 2023)"]
    listed = {r.incident.id: r for r in incidents.listing("JPN")}
    assert (listed[iid].assessment_seq, listed[iid].assessment_stale) == (2, True)
    assert listed[iid].stale_reasons == ("the baseline year changed (2022 → 2023)",)
    checksum.value = "data-v3"
    other = _graphite(incidents, title="never assessed")
    done = incidents.reassess_stale(JP)
    assert [(a.incident_id, a.seq, a.baseline_year) for a in done] == [(iid, 3, 2023)]
    assert done[0].reason == (
        "the data changed since the assessment; the baseline year changed (2022 → 2023)"
    )
    assert incidents.reassess_stale(JP) == []
    listed = {r.incident.id: r for r in incidents.listing("USA")}
    assert (listed[iid].assessment_seq, listed[iid].assessment_stale) == (3, False)
    assert (listed[other].assessment_seq, listed[other].assessment_stale) == (None, None)
    assert incidents.get("USA", iid).version == 2  # only the baseline-year edit raised it
    # the response plan changes: stale ("the responses changed")
    inc = incidents.update(
        US, iid, {"responses": [{"type": "stockpile_release", "holder": "USA", "tonnes": 100}]},
        version=incidents.get("USA", iid).version,
    )  # fmt: skip
    latest = incidents.latest_assessment("USA", iid)
    assert incidents.stale_reasons(inc, latest) == ["the responses changed"]
    redo = incidents.assess(US, iid)
    assert incidents.stale_reasons(incidents.get("USA", iid), redo) == []
    holders = {a.get("owner_party") for a in redo.response["proposed_actions"]}
    assert "USA" in holders
    assert incidents.latest_assessment("USA", other) is None


def test_open_from_a_scenario(incidents: Incidents) -> None:
    inc = incidents.open_scenario(US, scenario="drc-cobalt-quota-2025")
    assert (inc.origin, inc.scenario_name, inc.exporter, inc.commodities) == (
        "scenario", "drc-cobalt-quota-2025", "COD", ("cobalt",)
    )  # fmt: skip
    assert inc.baseline_year == 2024
    assert inc.effective_date == dt.date(2025, 2, 22)
    found = incidents.assess(JP, inc.id)
    assert {r["party"] for r in found.impact} == {"USA", "JPN", "like-minded"}
    assert found.scenarios[0]["name"] == "drc-cobalt-quota-2025"

    inline = incidents.open_scenario(
        US,
        scenario={
            "name": "nickel-test",
            "commodity": "nickel",
            "baseline_year": 2022,
            "events": [{"type": "export_restriction", "exporter": "Indonesia",
                        "fraction": 1.0, "start": "2026-01-01"}],
        },
        title="Indonesia nickel ore ban",
    )  # fmt: skip
    assert (inline.scenario_name, inline.title) == (None, "Indonesia nickel ore ban")


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"exporter": "Narnia"}, "exporter"),
        ({"commodities": ["unobtainium"]}, "commodities"),
        ({"commodities": []}, "commodities"),
        ({"fraction": 1.5}, "fraction"),
        ({"effective_date": "2025-13-01"}, "effective_date"),
        ({"title": "  "}, "title"),
        ({"partners": ["Atlantis"]}, "partners"),
        ({"responses": [{"type": "stockpile_release", "holder": "JPN"}]}, "responses"),
        ({"parameters": {"leakage": 2}}, "parameters"),
        ({"baseline_year": 1800}, "baseline_year"),
    ],
)
def test_bad_events_name_the_field(incidents: Incidents, kw: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as exc:
        _graphite(incidents, **kw)
    assert exc.value.column == field


def test_optimistic_concurrency(incidents: Incidents) -> None:
    iid = _graphite(incidents)
    incidents.update(US, iid, {"title": "US title"}, version=1)
    with pytest.raises(ConflictError, match="you sent version 1, it is now at version 2") as exc:
        incidents.update(JP, iid, {"due_date": "2026-01-10"}, version=1)
    assert exc.value.field == "version"
    inc = incidents.get("JPN", iid)
    assert (inc.title, inc.due_date, inc.version) == ("US title", None, 2)
    incidents.update(JP, iid, {"due_date": "2026-01-10"}, version=2)
    inc = incidents.get("USA", iid)
    assert (inc.title, inc.due_date, inc.version) == ("US title", dt.date(2026, 1, 10), 3)


def test_concurrent_edits_from_threads_lose_nothing(incidents: Incidents) -> None:
    """Two parties send a change from the same version at once: one wins, one gets 409."""
    iid = _graphite(incidents)
    barrier = threading.Barrier(2)
    outcome: dict[str, str] = {}

    def edit(who: object, field: str, value: str) -> None:
        barrier.wait()
        try:
            incidents.update(who, iid, {field: value}, version=1)  # type: ignore[arg-type]
            outcome[field] = "ok"
        except ConflictError:
            outcome[field] = "conflict"

    threads = [
        threading.Thread(target=edit, args=(US, "title", "from USA")),
        threading.Thread(target=edit, args=(JP, "description", "from JPN")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcome.values()) == ["conflict", "ok"]
    inc = incidents.get("USA", iid)
    assert inc.version == 2
    won = next(f for f, r in outcome.items() if r == "ok")
    assert (inc.title == "from USA") == (won == "title")
    assert (inc.description == "from JPN") == (won == "description")
    updates = [e for e in incidents.history("USA", iid) + incidents.history("JPN", iid)
               if e.action == "incident.update"]  # fmt: skip
    assert len(updates) == 1
    assert incidents.audit.verify() is None


def test_a_private_note_leaves_no_trace_for_other_parties(incidents: Incidents) -> None:
    iid = _graphite(incidents, note="public line")
    incidents.update(US, iid, {"title": "edited"}, version=1)
    jp_before = incidents.detail("JPN", iid)
    jp_history = incidents.history("JPN", iid)
    jp_list = [r.as_dict() for r in incidents.listing("JPN")]

    note = incidents.notes.set(US, iid, "US secret note")
    assert (note.party, note.text, note.version, note.shared_with) == (
        "USA", "US secret note", 1, ()
    )  # fmt: skip
    # Japan: not the text, not a flag, not a version or timestamp change
    assert incidents.detail("JPN", iid) == jp_before
    assert jp_before["private_notes"] == []
    assert [r.as_dict() for r in incidents.listing("JPN")] == jp_list
    assert incidents.history("JPN", iid) == jp_history
    assert incidents.audit.entries("JPN") == incidents.audit.entries("JPN", after_id=0)
    assert "secret" not in str(incidents.audit.entries("JPN"))
    assert "note" not in {k for e in incidents.audit.entries("JPN") for k in e.detail}
    assert incidents.notes.visible("JPN", iid) == []
    with pytest.raises(NotFoundError):
        incidents.notes.get("JPN", note.id)
    # Japan's next edit is made from the version it read: no 409
    inc = incidents.update(JP, iid, {"due_date": "2026-01-10"}, version=jp_before["version"])
    assert inc.version == 3
    # the USA sees its note; its audit entry records the note, never its text
    assert [n.text for n in incidents.notes.visible("USA", iid)] == ["US secret note"]
    assert incidents.detail("USA", iid)["private_notes"][0]["text"] == "US secret note"
    set_entry = [e for e in incidents.history("USA", iid) if e.action == "note.set"]
    assert [e.object for e in set_entry] == [f"incident:{iid}/note:{note.id}"]
    assert set_entry[0].detail == {"text": True, "version": 1, "shared_with": []}
    assert "secret" not in str(incidents.audit.entries("USA"))

    # versions of the note: a stale one is a 409, a missing one too once it exists
    with pytest.raises(ConflictError, match="already has a private note"):
        incidents.notes.set(US_ANALYST2, iid, "overwrite")
    note = incidents.notes.set(US_ANALYST2, iid, "v2", version=1, shared_with=["Japan"])
    with pytest.raises(ConflictError, match="you sent version 1, it is now at version 2"):
        incidents.notes.set(US, iid, "v2 from ann", version=1)
    assert incidents.get("USA", iid).version == 3  # the incident did not move
    # shared: Japan reads it (and sees itself in the share list), Korea does not
    jp_notes = incidents.notes.visible("JPN", iid)
    assert [(n.party, n.text, n.shared_with) for n in jp_notes] == [("USA", "v2", ("JPN",))]
    assert incidents.notes.visible("KOR", iid) == []
    assert incidents.notes.get("USA", note.id).shared_with == ("JPN",)
    # each party has its own; nobody writes another's
    jp_note = incidents.notes.set(JP, iid, "JP line")
    assert {n.party for n in incidents.notes.visible("USA", iid)} == {"USA"}
    assert {n.party for n in incidents.notes.visible("JPN", iid)} == {"USA", "JPN"}
    assert jp_note.id != note.id
    with pytest.raises(ForbiddenError, match="analyst"):
        incidents.notes.set(US_VIEWER, iid, "x")
    # the public note stays the owner's field of the incident
    with pytest.raises(ForbiddenError, match="belongs to USA"):
        incidents.update(JP, iid, {"note": "x"}, version=3)
    with pytest.raises(InputError, match="unknown or fixed") as exc:
        incidents.update(US, iid, {"note_private": True}, version=3)
    assert "private-notes" in (exc.value.hint or "")
    assert incidents.get("JPN", iid).note == "public line"
    incidents.close(US, iid, reason="done")
    with pytest.raises(ConflictError, match="closed"):
        incidents.notes.set(JP, iid, "late", version=1)


def test_a_private_note_given_when_opening_is_a_note_record(incidents: Incidents) -> None:
    iid = _graphite(incidents, note="our line: hold", note_private=True, note_shared_with=["KOR"])
    for party in ("USA", "JPN", "KOR"):
        inc = incidents.get(party, iid)
        assert (inc.note, inc.version) == (None, 1)
    assert [(n.party, n.text) for n in incidents.notes.visible("KOR", iid)] == [
        ("USA", "our line: hold")
    ]
    assert incidents.notes.visible("JPN", iid) == []
    assert [e.action for e in incidents.history("USA", iid)] == ["incident.open", "note.set"]
    assert all("hold" not in str(e.detail) for e in incidents.history("USA", iid))
    with pytest.raises(InputError, match="note_shared_with"):
        _graphite(incidents, note="x", note_shared_with=["KOR"])


def test_actions_typed_owned_and_tracked(incidents: Incidents) -> None:
    iid = _graphite(incidents)
    acts: Actions = incidents.actions
    a = acts.add(
        JP, iid, kind="stockpile_release", title="JOGMEC releases graphite",
        params={"commodity": "Graphite", "tonnes": 500}, assignee="JOGMEC",
        due_date="2026-01-31",
    )  # fmt: skip
    assert (a.owner_party, a.status, a.version, a.params) == (
        "JPN", "proposed", 1, {"commodity": "graphite", "tonnes": 500.0}
    )  # fmt: skip
    with pytest.raises(InputError) as exc:
        acts.add(US, iid, kind="project_financing", title="x", params={"amount_usd": 5})
    assert exc.value.column == "params.project"
    with pytest.raises(InputError) as exc:
        acts.add(US, iid, kind="diplomatic", title="x", params={"tonnes": 5})
    assert exc.value.column == "params.tonnes"
    with pytest.raises(InputError, match="unknown commodity") as exc:
        acts.add(US, iid, kind="stockpile_release", title="x", params={"commodity": "gold-ish"})
    assert exc.value.column == "params.commodity"
    with pytest.raises(InputError, match="unknown action kind"):
        acts.add(US, iid, kind="bribe", title="x")
    with pytest.raises(ForbiddenError, match="analyst"):
        acts.add(US_VIEWER, iid, kind="other", title="x")

    # only the owner party moves it, along the allowed transitions, from its version
    with pytest.raises(ForbiddenError, match="belongs to JPN"):
        acts.update(US, a.id, {"status": "agreed"}, version=1)
    with pytest.raises(ConflictError, match="cannot become done") as exc2:
        acts.update(JP, a.id, {"status": "done"}, version=1)
    assert "agreed" in (exc2.value.hint or "")
    a = acts.update(JP, a.id, {"status": "agreed"}, version=1)
    with pytest.raises(ConflictError, match="version"):
        acts.update(JP, a.id, {"assignee": "METI"}, version=1)
    a = acts.update(JP, a.id, {"status": "in_progress", "assignee": "METI"}, version=2)
    a = acts.update(JP, a.id, {"status": "done"}, version=3)
    assert (a.status, a.assignee, a.version) == ("done", "METI", 4)
    with pytest.raises(ConflictError, match="is done; it cannot become cancelled") as exc2:
        acts.update(JP, a.id, {"status": "cancelled"}, version=4)
    assert exc2.value.hint == "done is final"
    assert all(set(v) <= set(TRANSITIONS) for v in TRANSITIONS.values())
    assert not hasattr(acts, "delete")


def test_private_actions_and_decisions(incidents: Incidents) -> None:
    iid = _graphite(incidents)
    secret = incidents.actions.add(
        JP, iid, kind="stockpile_release", title="release from the reserve",
        params={"commodity": "graphite"}, private=True,
    )  # fmt: skip
    public = incidents.actions.add(US, iid, kind="diplomatic", title="demarche")
    assert [a.id for a in incidents.actions.visible("USA", iid)] == [public.id]
    assert {a.id for a in incidents.actions.visible("JPN", iid)} == {secret.id, public.id}
    with pytest.raises(NotFoundError):
        incidents.actions.get("USA", secret.id)
    with pytest.raises(ForbiddenError, match="own party"):
        incidents.actions.add(US, iid, kind="other", title="x", owner_party="JPN", private=True)
    incidents.actions.update(JP, secret.id, {"shared_with": ["USA"]}, version=1)
    assert incidents.actions.get("USA", secret.id).shared_with == ("USA",)
    assert incidents.actions.get("JPN", secret.id).shared_with == ("USA",)
    assert [a.id for a in incidents.actions.visible("KOR", iid)] == [public.id]

    decs: Decisions = incidents.decisions
    d = decs.record(
        US, iid, summary="coordinate releases", rationale="shortfall above 10 %",
        decided_by="US Energy Secretary and METI Minister", decided_on="2025-12-05",
        action_ids=[public.id],
    )  # fmt: skip
    assert (d.decided_on, d.action_ids, d.party) == (dt.date(2025, 12, 5), (public.id,), "USA")
    p = decs.record(JP, iid, summary="internal", rationale="r", decided_by="METI", private=True)
    assert [x.id for x in decs.visible("USA", iid)] == [d.id]
    assert {x.id for x in decs.visible("JPN", iid)} == {d.id, p.id}
    with pytest.raises(InputError, match="no action") as exc:
        decs.record(KR, iid, summary="s", rationale="r", decided_by="x", action_ids=[secret.id])
    assert exc.value.column == "action_ids"
    later = decs.record(US, iid, summary="s2", rationale="r", decided_by="x", supersedes=d.id)
    assert later.supersedes == d.id
    assert not hasattr(decs, "update")
    assert not hasattr(decs, "delete")


def test_close_not_delete(incidents: Incidents) -> None:
    iid = _graphite(incidents)
    with pytest.raises(InputError, match="reason is required"):
        incidents.close(US, iid, reason=" ")
    inc = incidents.close(JP, iid, reason="licences granted again", version=1)
    assert (inc.status, inc.closed_by, inc.close_reason, inc.version) == (
        "closed", "ken", "licences granted again", 2
    )  # fmt: skip
    for attempt in (
        lambda: incidents.update(US, iid, {"title": "x"}, version=2),
        lambda: incidents.assess(US, iid),
        lambda: incidents.close(US, iid, reason="again"),
        lambda: incidents.actions.add(US, iid, kind="other", title="x"),
        lambda: incidents.decisions.record(US, iid, summary="s", rationale="r", decided_by="x"),
        lambda: incidents.clocks.add(US, iid, title="t", due_date="2026-01-01"),
    ):
        with pytest.raises(ConflictError, match="closed"):
            attempt()
    assert [i.id for i in incidents.visible("USA", status="closed")] == [iid]
    assert incidents.visible("USA", status="open") == []
    assert not any(hasattr(incidents, name) for name in ("delete", "remove", "purge"))
    assert not any(hasattr(incidents.audit, n) for n in ("update", "delete", "remove", "edit"))
    actions = [e.action for e in incidents.history("JPN", iid)]
    assert actions == ["incident.close"]
    assert [e.action for e in incidents.history("USA", iid)] == ["incident.open"]


def test_unknown_and_unauthorised(incidents: Incidents) -> None:
    with pytest.raises(NotFoundError):
        incidents.get("USA", "inc_nope")
    with pytest.raises(ForbiddenError, match="analyst"):
        incidents.open_event(
            US_VIEWER, title="t", exporter="China", commodities=["graphite"],
            effective_date="2025-12-01",
        )  # fmt: skip
    with pytest.raises(InputError, match="unknown or fixed field"):
        incidents.update(US, _graphite(incidents), {"exporter": "USA"}, version=1)
