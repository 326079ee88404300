"""``/api/v1/incidents`` and ``/api/v1/clocks`` on both app-state backends."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from minsec.api import Settings
from tests.api.conftest import Api, start
from tests.state.pgcluster import BACKENDS, postgres_server

__all__ = ["postgres_server"]

pytestmark = pytest.mark.default_data

EVENT = {
    "title": "China licenses graphite exports",
    "event": {
        "exporter": "China",
        "commodities": ["graphite"],
        "measure": "export licensing",
        "fraction": 0.5,
        "effective_date": "2025-12-01",
        "source_url": "https://example.org/mofcom-39",
        "responses": [{"type": "stockpile_release", "holder": "JPN", "days_of_cover": 30}],
    },
    "due_date": "2026-01-15",
}


@pytest.fixture(scope="module", params=BACKENDS)
def api(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    default_store_path: Path,
) -> Iterator[Api]:
    """The app with the six users, its app state on DuckDB or on PostgreSQL."""
    home = tmp_path_factory.mktemp("incidents")
    url = None
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_server").create_database()
    settings = Settings(
        store_path=default_store_path, state_path=home / "app.duckdb", state_url=url
    )
    yield from start(settings)


def _error(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()["error"]
    assert body["message"]
    return body


def _open(api: Api, user: str = "us_analyst", **changes: Any) -> dict[str, Any]:
    r = api.post("/api/v1/incidents", user, json={**EVENT, **changes})
    assert r.status_code == 201, r.text
    assert r.headers["ETag"] == '"1"'
    out: dict[str, Any] = r.json()
    return out


def test_whole_workflow(api: Api) -> None:
    inc = _open(api)
    iid = inc["id"]
    assert (inc["exporter"], inc["commodities"], inc["status"]) == ("CHN", ["graphite"], "open")

    r = api.post(f"/api/v1/incidents/{iid}/assess", "jp_analyst", json={"reason": "first"})
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["seq"] == 1
    usa = next(x for x in first["impact"] if x["party"] == "USA")
    assert usa["shortfall_t"] > 0
    assert usa["value_at_risk_usd"] > 0
    proposed = first["response"]["proposed_actions"]
    assert {p["kind"] for p in proposed} == {"stockpile_release", "allied_allocation"}

    r = api.post(f"/api/v1/incidents/{iid}/assess", "us_analyst", json={"baseline_year": 2022})
    assert r.json()["seq"] == 2
    # assessing is not an edit of the incident: its version and ETag stay
    r = api.get(f"/api/v1/incidents/{iid}", "jp_viewer")
    assert (r.json()["version"], r.headers["ETag"], r.json()["updated_at"]) == (
        1, '"1"', inc["updated_at"]
    )  # fmt: skip
    body = _error(
        api.post(f"/api/v1/incidents/{iid}/assess", "us_analyst", json={"version": 7}), 409
    )
    assert body["field"] == "version"

    act = api.post(
        f"/api/v1/incidents/{iid}/actions",
        "jp_analyst",
        json={"kind": "stockpile_release", "title": "JOGMEC release",
              "params": {"commodity": "graphite", "tonnes": 500}, "assignee": "JOGMEC",
              "due_date": "2026-01-10"},
    )  # fmt: skip
    assert act.status_code == 201, act.text
    aid = act.json()["id"]
    r = api.client.patch(
        f"/api/v1/incidents/{iid}/actions/{aid}",
        json={"status": "agreed"},
        headers={**api.h("jp_analyst"), "If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.headers["ETag"]) == ("agreed", '"2"')
    _error(
        api.patch(f"/api/v1/incidents/{iid}/actions/{aid}", "us_analyst",
                  json={"status": "in_progress", "version": 2}),
        403,
    )  # fmt: skip
    body = _error(
        api.patch(f"/api/v1/incidents/{iid}/actions/{aid}", "jp_analyst",
                  json={"status": "proposed", "version": 2}),
        409,
    )  # fmt: skip
    assert body["field"] == "status"

    dec = api.post(
        f"/api/v1/incidents/{iid}/decisions",
        "us_analyst",
        json={"summary": "coordinate releases", "rationale": "shortfall above 10 %",
              "decided_by": "US Energy Secretary and METI Minister", "action_ids": [aid]},
    )  # fmt: skip
    assert dec.status_code == 201, dec.text
    ddl = api.post(
        f"/api/v1/incidents/{iid}/deadlines",
        "us_analyst",
        json={"title": "allocation agreed", "due_date": "2026-01-05"},
    )
    assert ddl.status_code == 201, ddl.text

    r = api.get(f"/api/v1/incidents/{iid}", "jp_viewer", params={"today": "2026-01-12"})
    assert r.status_code == 200
    whole = r.json()
    assert r.headers["ETag"] == f'"{whole["version"]}"'
    assert whole["assessments"] == 2
    assert whole["assessment"]["seq"] == 2
    assert whole["assessment_stale"] is False
    assert whole["assessment_stale_reasons"] == []
    assert [a["id"] for a in whole["actions"]] == [aid]
    assert [d["summary"] for d in whole["decisions"]] == ["coordinate releases"]
    states = {c["kind"]: c["state"] for c in whole["clocks"]}
    assert states == {"action": "overdue", "deadline": "overdue", "incident": "open"}
    action_clock = next(c for c in whole["clocks"] if c["kind"] == "action")
    assert action_clock["title"] == "Stockpile release: JOGMEC release"
    assert whole["version"] == 1  # actions, decisions and deadlines did not change it
    # the list's staleness is the detail's, without reading each incident
    listed = api.get("/api/v1/incidents", "jp_viewer", params={"today": "2026-01-12"}).json()
    row = next(r for r in listed["data"] if r["id"] == iid)
    assert (row["assessment_seq"], row["assessment_stale"], row["stale_reasons"]) == (2, False, [])
    assert (row["overdue_items"], row["overdue"]) == (2, True)

    r = api.get("/api/v1/incidents", "us_viewer", params={"overdue": "true", "today": "2026-01-12"})
    assert iid in [row["id"] for row in r.json()["data"]]
    r = api.get("/api/v1/clocks", "us_viewer", params={"overdue": "true", "today": "2026-05-01"})
    ids = [c["id"] for c in r.json()["data"]]
    assert {"framework:financing", "framework:ministerial"} <= set(ids)
    r = api.get("/api/v1/clocks", "us_viewer", params={"today": "2026-04-01"})
    fw = {c["id"]: c for c in r.json()["data"] if c["kind"] == "framework"}
    assert fw["framework:financing"]["due_date"] == "2026-04-28"
    assert fw["framework:ministerial"]["due_date"] == "2026-04-26"
    assert fw["framework:financing"]["state"] == "open"

    r = api.patch(f"/api/v1/incidents/{iid}", "us_analyst",
                  json={"baseline_year": 2023, "version": whole["version"]})  # fmt: skip
    assert r.status_code == 200, r.text
    whole = api.get(f"/api/v1/incidents/{iid}", "jp_viewer").json()
    assert whole["assessment_stale"] is True
    assert whole["assessment_stale_reasons"] == ["the baseline year changed (2022 → 2023)"]
    listed = api.get("/api/v1/incidents", "jp_viewer").json()["data"]
    row = next(r for r in listed if r["id"] == iid)
    assert (row["assessment_seq"], row["assessment_stale"], row["stale_reasons"]) == (
        whole["assessments"], True, whole["assessment_stale_reasons"]
    )  # fmt: skip
    text = api.get("/api/v1/incidents", "jp_viewer", params={"format": "csv"}).text
    row = next(r for r in csv.DictReader(io.StringIO(text)) if r["id"] == iid)
    assert (row["assessment_stale"], row["stale_reasons"]) == (
        "True", "the baseline year changed (2022 → 2023)"
    )  # fmt: skip
    never = _open(api)["id"]
    parquet = api.get("/api/v1/incidents", "jp_viewer", params={"format": "parquet"}).content
    frame = pd.read_parquet(io.BytesIO(parquet)).set_index("id")
    assert bool(frame.loc[iid, "assessment_stale"]) is True
    assert int(frame.loc[iid, "assessment_seq"]) == 2
    assert pd.isna(frame.loc[never, "assessment_stale"])
    assert pd.isna(frame.loc[never, "assessment_seq"])
    r = api.post("/api/v1/incidents/reassess", "jp_analyst")
    assert r.status_code == 200, r.text
    assert [(a["incident_id"], a["seq"]) for a in r.json()] == [(iid, 3)]
    hist = api.get(f"/api/v1/incidents/{iid}/assessments", "jp_viewer").json()
    assert [a["seq"] for a in hist] == [1, 2, 3]
    assert [a["baseline_year"] for a in hist] == [2024, 2022, 2023]
    r = api.post(f"/api/v1/incidents/{iid}/close", "jp_analyst", json={"reason": "resolved"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "closed"
    _error(api.post(f"/api/v1/incidents/{iid}/assess", "us_analyst"), 409)
    _error(
        api.post(f"/api/v1/incidents/{iid}/actions", "us_analyst",
                 json={"kind": "other", "title": "late"}),
        409,
    )  # fmt: skip
    events = [e["action"] for e in api.get(f"/api/v1/incidents/{iid}/history", "us_viewer").json()]
    assert events == [
        "incident.open",
        "incident.assess",
        "decision.record",
        "deadline.add",
        "incident.update",
    ]
    audit = api.get("/api/v1/audit", "jp_admin").json()
    assert audit["meta"]["chain_intact"] is True


def test_two_parties_edit_the_same_version(api: Api) -> None:
    iid = _open(api)["id"]
    url = f"/api/v1/incidents/{iid}"
    us = api.patch(url, "us_analyst", json={"title": "US wording", "version": 1})
    jp = api.client.patch(
        url, json={"due_date": "2026-02-01"},
        headers={**api.h("jp_analyst"), "If-Match": 'W/"1"'},
    )  # fmt: skip
    assert us.status_code == 200, us.text
    body = _error(jp, 409)
    assert "changed by someone else" in body["message"]
    assert "version 2" in body["message"]
    assert body["field"] == "version"
    assert "reload" in body["hint"]
    now = api.get(url, "jp_viewer").json()
    assert (now["title"], now["due_date"], now["version"]) == ("US wording", "2026-01-15", 2)
    jp = api.patch(url, "jp_analyst", json={"due_date": "2026-02-01", "version": 2})
    assert jp.status_code == 200
    now = api.get(url, "us_viewer").json()
    assert (now["title"], now["due_date"], now["version"]) == ("US wording", "2026-02-01", 3)


def test_a_change_needs_a_version(api: Api) -> None:
    iid = _open(api)["id"]
    body = _error(api.patch(f"/api/v1/incidents/{iid}", "us_analyst", json={"title": "x"}), 428)
    assert body["field"] == "If-Match"
    bad = api.client.patch(
        f"/api/v1/incidents/{iid}", json={"title": "x"},
        headers={**api.h("us_analyst"), "If-Match": "abc"},
    )  # fmt: skip
    assert _error(bad, 422)["field"] == "If-Match"


def test_no_delete_anywhere(api: Api) -> None:
    iid = _open(api)["id"]
    aid = api.post(
        f"/api/v1/incidents/{iid}/actions", "us_analyst", json={"kind": "other", "title": "x"}
    ).json()["id"]
    for url in (
        f"/api/v1/incidents/{iid}",
        f"/api/v1/incidents/{iid}/actions/{aid}",
        "/api/v1/audit",
    ):
        body = _error(api.delete(url, "us_admin"), 405)
        assert "not allowed" in body["message"]
    for method in ("patch", "put", "post"):
        r = getattr(api.client, method)("/api/v1/audit", headers=api.h("us_admin"), json={})
        assert r.status_code == 405
    schema = api.client.get("/openapi.json").json()["paths"]
    for path, ops in schema.items():
        if "audit" in path or "history" in path:
            assert set(ops) == {"get"}, path
        if path.startswith("/api/v1/incidents") or path.startswith("/api/v1/clocks"):
            assert "delete" not in ops, path
    assert api.get(f"/api/v1/incidents/{iid}", "us_viewer").status_code == 200


def _jp_views(api: Api, iid: str) -> dict[str, Any]:
    """Every answer the JPN analyst and admin get about the incident, raw."""
    get = api.get
    return {
        "detail": get(f"/api/v1/incidents/{iid}", "jp_analyst").text,
        "etag": get(f"/api/v1/incidents/{iid}", "jp_analyst").headers["ETag"],
        "list": get("/api/v1/incidents", "jp_analyst", params={"today": "2026-01-01"}).text,
        "csv": get(
            "/api/v1/incidents", "jp_analyst", params={"format": "csv", "today": "2026-01-01"}
        ).text,
        "parquet": get(
            "/api/v1/incidents", "jp_analyst", params={"format": "parquet", "today": "2026-01-01"}
        ).content,
        "notes": get(f"/api/v1/incidents/{iid}/private-notes", "jp_analyst").text,
        "history": get(f"/api/v1/incidents/{iid}/history", "jp_analyst").text,
        "audit": get("/api/v1/audit", "jp_admin").json()["data"],
        "clocks": get("/api/v1/clocks", "jp_analyst", params={"today": "2026-01-01"}).text,
    }


def test_a_us_private_note_leaves_no_trace_for_japan(api: Api) -> None:
    inc = _open(api, note="public line")
    iid = inc["id"]
    url = f"/api/v1/incidents/{iid}"
    r = api.patch(url, "us_analyst", json={"title": "edited", "version": 1})
    assert r.status_code == 200, r.text
    before = _jp_views(api, iid)

    # the old way (a private flag on the incident) is refused with a pointer to the new one
    body = _error(
        api.patch(url, "us_analyst",
                  json={"version": 2, "note": "US secret note", "note_private": True}),
        422,
    )  # fmt: skip
    assert "private-notes" in body["message"]
    r = api.client.put(
        f"{url}/private-notes/USA", json={"text": "US secret note"}, headers=api.h("us_analyst")
    )
    assert r.status_code == 200, r.text
    note = r.json()
    assert (note["party"], note["version"], r.headers["ETag"]) == ("USA", 1, '"1"')

    # Japan's answers are byte for byte what they were: no text, flag, version or time
    after = _jp_views(api, iid)
    assert after == before
    for value in after.values():
        assert "US secret note" not in str(value)
        assert note["id"] not in str(value)
    jp = api.get(url, "jp_analyst").json()
    assert (jp["version"], jp["note"], jp["private_notes"]) == (2, "public line", [])
    assert "note_private" not in jp
    # Japan's edit from the version it read goes through (no 409 for an unseen change)
    r = api.patch(url, "jp_analyst", json={"due_date": "2026-02-01", "version": 2})
    assert r.status_code == 200, r.text
    # the USA reads its note; its audit entry has no text
    us = api.get(url, "us_viewer").json()
    assert [(n["party"], n["text"]) for n in us["private_notes"]] == [("USA", "US secret note")]
    us_audit = api.get("/api/v1/audit", "us_admin").json()["data"]
    entry = next(e for e in us_audit if e["action"] == "note.set")
    assert entry["object"] == f"incident:{iid}/note:{note['id']}"
    assert "US secret note" not in str(us_audit)
    us_history = api.get(f"{url}/history", "us_viewer").json()
    assert "note.set" in [e["action"] for e in us_history]

    # writing it again needs its version (409 without or stale); only the USA writes it
    put = f"{url}/private-notes/USA"
    body = _error(api.client.put(put, json={"text": "x"}, headers=api.h("us_analyst")), 409)
    assert body["field"] == "version"
    _error(api.client.put(f"{url}/private-notes/JPN", json={"text": "x"},
                          headers=api.h("us_analyst")), 403)  # fmt: skip
    _error(api.client.put(put, json={"text": "x"}, headers=api.h("jp_analyst")), 403)
    _error(api.client.put(put, json={"text": "x"}, headers=api.h("us_viewer")), 403)
    r = api.client.put(put, json={"text": "shared now", "shared_with": ["Japan"]},
                       headers={**api.h("us_analyst"), "If-Match": '"1"'})  # fmt: skip
    assert r.status_code == 200, r.text
    body = _error(api.client.put(put, json={"text": "y", "version": 1},
                                 headers=api.h("us_analyst")), 409)  # fmt: skip
    assert "it is now at version 2" in body["message"]
    # shared with Japan: now Japan reads it (and only that), the incident still untouched
    jp = api.get(url, "jp_viewer").json()
    assert [(n["party"], n["text"], n["shared_with"]) for n in jp["private_notes"]] == [
        ("USA", "shared now", ["JPN"])
    ]
    assert jp["version"] == 3
    assert api.get(f"{url}/private-notes", "jp_viewer").json() == jp["private_notes"]


def test_private_actions_absent_for_other_parties(api: Api) -> None:
    inc = _open(api, note="our line: hold the release", note_private=True)
    iid = inc["id"]
    assert inc["note"] is None
    secret = api.post(
        f"/api/v1/incidents/{iid}/actions",
        "jp_analyst",
        json={"kind": "stockpile_release", "title": "reserve release",
              "params": {"commodity": "graphite"}, "private": True},
    ).json()["id"]  # fmt: skip
    us = api.get(f"/api/v1/incidents/{iid}", "us_viewer").json()
    assert [n["text"] for n in us["private_notes"]] == ["our line: hold the release"]
    jp = api.get(f"/api/v1/incidents/{iid}", "jp_viewer").json()
    assert (jp["note"], jp["private_notes"]) == (None, [])
    assert secret in [a["id"] for a in jp["actions"]]
    us = api.get(f"/api/v1/incidents/{iid}", "us_admin").json()
    assert secret not in [a["id"] for a in us["actions"]]
    assert secret not in str(api.get(f"/api/v1/incidents/{iid}/actions", "us_admin").json())
    _error(api.patch(f"/api/v1/incidents/{iid}/actions/{secret}", "us_analyst",
                     json={"title": "x", "version": 1}), 404)  # fmt: skip
    # exports
    text = api.get("/api/v1/incidents", "jp_viewer", params={"format": "csv"}).text
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows[iid]["note"] == ""
    assert "hold the release" not in text
    clocks = api.get("/api/v1/clocks", "us_viewer", params={"format": "csv"}).text
    assert secret not in clocks
    # audit views: each party's admins see their own party's entries only
    us_audit = str(api.get("/api/v1/audit", "us_admin").json())
    assert secret not in us_audit
    assert "hold the release" not in us_audit
    assert secret in str(api.get("/api/v1/audit", "jp_admin").json())
    assert "hold the release" not in str(api.get("/api/v1/audit", "jp_admin").json())
    # the public note is the owner party's
    _error(api.patch(f"/api/v1/incidents/{iid}", "jp_analyst",
                     json={"note": "x", "version": 1}), 403)  # fmt: skip


def test_from_a_scenario_and_bad_input(api: Api) -> None:
    r = api.post(
        "/api/v1/incidents", "jp_analyst", json={"scenario": {"name": "drc-cobalt-quota-2025"}}
    )
    assert r.status_code == 201, r.text
    assert (r.json()["origin"], r.json()["exporter"]) == ("scenario", "COD")
    spec = {
        "name": "nickel-ban",
        "commodity": "nickel",
        "baseline_year": 2022,
        "events": [{"type": "export_restriction", "exporter": "Indonesia", "fraction": 1.0,
                    "start": "2026-01-01"}],
    }  # fmt: skip
    r = api.post("/api/v1/incidents", "us_analyst", json={"scenario": {"spec": spec}})
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["title"], made["scenario_name"], made["exporter"]) == ("nickel-ban", None, "IDN")
    assert made["scenario"]["commodity"] == "nickel"
    body = _error(
        api.post("/api/v1/incidents", "us_analyst", json={"scenario": {"name": "nope-2025"}}),
        422,
    )
    assert "no named scenario" in body["message"]
    body = _error(api.post("/api/v1/incidents", "us_analyst", json={"title": "x"}), 422)
    assert "exactly one of event or scenario" in body["message"]
    body = _error(
        api.post("/api/v1/incidents", "us_analyst",
                 json={**EVENT, "event": {**EVENT["event"], "exporter": "Narnia"}}),  # type: ignore[dict-item]
        422,
    )  # fmt: skip
    assert body["field"] == "exporter"
    body = _error(
        api.post("/api/v1/incidents", "us_analyst",
                 json={**EVENT, "event": {**EVENT["event"], "fraction": 2}}),  # type: ignore[dict-item]
        422,
    )  # fmt: skip
    assert body["field"] == "event.fraction"
    _error(api.post("/api/v1/incidents", "us_viewer", json=EVENT), 403)
    _error(api.get("/api/v1/incidents/inc_nope", "us_viewer"), 404)
    _error(api.post("/api/v1/incidents/inc_nope/assess", "us_analyst"), 404)
    _error(api.client.get("/api/v1/incidents"), 401)
    iid = _open(api)["id"]
    body = _error(
        api.post(f"/api/v1/incidents/{iid}/actions", "us_analyst",
                 json={"kind": "project_financing", "title": "x",
                       "params": {"project": "Mt Weld", "amount": 1}}),
        422,
    )  # fmt: skip
    assert body["field"] == "params.amount"
