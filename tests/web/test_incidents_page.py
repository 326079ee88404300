"""End-to-end tests of the Incidents page in Debian's Chromium (Playwright).

A USA analyst opens an incident from a named scenario in the browser, assesses it (the
page's shortfall per partner equals the API's assessment), adds an overdue action, moves
its status and records a decision; the Clocks panel shows the framework's deadlines as the
API reports them. Two analysts (USA, JPN) editing the same version: the second gets the
409 message; a USA private note written meanwhile does not make Japan's next save a 409.
A USA private note and private action reach neither the JPN analyst's DOM nor any
response body the JPN tab receives. The list shows each incident's staleness from the
list answer alone (no request per incident). A viewer gets read-only views. Screenshots at
1280×800 and 390×844.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.web.conftest import PHONE, Server, Session, number, shot

pytestmark = [pytest.mark.xdist_group("browser"), pytest.mark.default_data]

Open = Callable[..., Session]
SCENARIO = "china-graphite-like-minded"


def _base(s: Session) -> str:
    return str(s.page.url.split("#")[0])


def _open_incident(server: Server, title: str, assess: bool = False) -> dict[str, Any]:
    """An incident made through the API (for the tests that are not about creating one)."""
    body = json.dumps({"scenario": {"name": SCENARIO}, "title": title}).encode()
    inc: dict[str, Any] = server.api("POST", "/api/v1/incidents", "us_analyst", body)
    if assess:
        server.api("POST", f"/api/v1/incidents/{inc['id']}/assess", "us_analyst", b"{}")
    return inc


def test_analyst_opens_assesses_and_acts_on_an_incident(open_session: Open, server: Server) -> None:
    title = f"Graphite licences denied {uuid.uuid4().hex[:8]}"
    s = open_session("us_analyst")
    page = s.page
    base = _base(s)
    page.goto(base + "#/incidents")
    page.wait_for_selector("#clock-list")
    # the Clocks panel lists the framework's deadlines as the API reports them
    clocks = server.api("GET", "/api/v1/clocks", "us_analyst")["data"]
    framework = {c["id"]: c for c in clocks if c["kind"] == "framework"}
    assert {c["due_date"] for c in framework.values()} == {"2026-04-28", "2026-04-26"}
    for cid, c in framework.items():
        item = page.locator(f'#clock-list li[data-id="{cid}"]')
        text = item.inner_text()
        assert f"due {c['due_date']}" in text
        assert item.get_attribute("data-state") == c["state"]
        # overdue is said in words and with an icon, not by colour alone
        assert ("OVERDUE" in text) == (c["state"] == "overdue")
    shot(page, "incidents-1280x800")

    # a new incident from a named scenario
    page.click("#new-incident")
    page.wait_for_selector("#new-incident-form")
    page.click("#mode-event")
    page.wait_for_selector("#new-effective")
    shot(page, "incident-new-1280x800")
    page.click("#mode-scenario")
    page.select_option("#new-scenario", SCENARIO)
    page.fill("#new-title", title)
    page.click("#new-submit")
    page.wait_for_selector("#incident-title")
    assert page.inner_text("#incident-title") == title
    incident_id = page.url.split("id=")[1]
    assert page.is_visible("#not-assessed")

    # assess: the page's figures are the API's assessment
    page.click("#assess-button")
    page.wait_for_selector("#impact-table")
    detail = server.api("GET", f"/api/v1/incidents/{incident_id}", "us_analyst")
    impact = {r["party"]: r for r in detail["assessment"]["impact"]}
    assert {"USA", "JPN"} <= set(impact)
    for party in ("USA", "JPN"):
        cell = f'#impact-table [data-party="{party}"]'
        got_t = number(page.inner_text(f'{cell}[data-key="shortfall_t"]'))
        got_pct = number(page.inner_text(f'{cell}[data-key="shortfall_pct"]'))
        assert got_t == pytest.approx(impact[party]["shortfall_t"], abs=0.51)
        assert got_pct == pytest.approx(impact[party]["shortfall_pct"], abs=0.051)
    assert impact["JPN"]["shortfall_t"] > 0
    assert page.locator("#coordination-table tbody tr").count() >= 1

    # an action due a month ago is flagged overdue, in the table and in the clocks
    past = (dt.date.today() - dt.timedelta(days=30)).isoformat()
    page.select_option("#action-kind", "stockpile_release")
    page.fill("#action-title", "Release graphite from the national stockpile")
    page.select_option("#action-param-commodity", "graphite")
    page.fill("#action-param-tonnes", "500")
    page.fill("#action-assignee", "DOE")
    page.fill("#action-due", past)
    page.click("#action-save")
    row = page.wait_for_selector("#actions-table tr:has-text('Release graphite')")
    action_id = row.get_attribute("data-id")
    assert "Overdue" in row.query_selector("[data-role=overdue]").inner_text()
    clock = page.locator(f'#incident-clocks li[data-id="{action_id}"]')
    assert clock.get_attribute("data-state") == "overdue"
    assert "OVERDUE" in clock.inner_text()
    api_clock = next(
        c
        for c in server.api("GET", "/api/v1/clocks?overdue=true", "us_analyst")["data"]
        if c["id"] == action_id
    )
    assert api_clock["state"] == "overdue" and api_clock["due_date"] == past

    # the status moves from the table
    page.select_option(f'tr[data-id="{action_id}"] [data-role=status-select]', "agreed")
    page.click(f'tr[data-id="{action_id}"] [data-role=status-set]')
    page.wait_for_selector(f'tr[data-id="{action_id}"][data-status="agreed"]')
    actions = server.api("GET", f"/api/v1/incidents/{incident_id}/actions", "us_analyst")
    assert next(a for a in actions if a["id"] == action_id)["status"] == "agreed"

    # a decision: who decided and why
    page.fill("#decision-summary", "Coordinate stockpile releases")
    page.fill("#decision-by", "US Energy Secretary and METI Minister")
    page.fill("#decision-rationale", "Shortfall above 10 % for both partners")
    page.check(f'#decision-form input[value="{action_id}"]')
    page.click("#decision-save")
    decision = page.wait_for_selector("#decision-list li").inner_text()
    assert "US Energy Secretary and METI Minister" in decision
    assert "Release graphite" in decision
    shot(page, "incident-1280x800")

    # the list flags the incident as overdue and its assessment up to date, from the list
    # answer alone: no incident detail is fetched
    s.bodies()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(base + "#/incidents")
    row = page.wait_for_selector(f'#incident-table tr[data-id="{incident_id}"]')
    listed = next(
        r for r in server.api("GET", "/api/v1/incidents", "us_analyst")["data"]
        if r["id"] == incident_id
    )  # fmt: skip
    assert (listed["assessment_seq"], listed["assessment_stale"]) == (1, False)
    overdue = row.query_selector("[data-role=overdue]").inner_text()
    assert f"Overdue ({listed['overdue_items']})" in overdue
    assert row.query_selector("[data-role=stale]").inner_text() == "up to date (#1)"
    page.wait_for_selector("#clock-list")
    page.wait_for_timeout(300)
    details = [u for u in requested if "/api/v1/incidents/" in u]
    assert details == [], details
    item = page.wait_for_selector(f'#clock-list li[data-id="{action_id}"]')
    assert item.get_attribute("data-state") == "overdue"
    page.click("#reassess-stale")
    page.wait_for_selector("#incidents-message .ok-box")
    assert not s.errors


def test_concurrent_edit_gets_409_and_private_records_stay_private(
    open_session: Open, server: Server
) -> None:
    inc = _open_incident(server, f"Shared incident {uuid.uuid4().hex[:8]}")
    url = f"#/incidents?id={inc['id']}"
    us = open_session("us_analyst")
    jp = open_session("jp_analyst")
    for s in (us, jp):
        s.page.goto(_base(s) + url)
        s.page.wait_for_selector("#edit-form", state="attached")
        s.page.click("#edit-summary")
    # both read version 1; the USA saves first, Japan's change is refused with a 409
    us.page.fill("#edit-title", inc["title"] + " (USA edit)")
    us.page.click("#edit-save")
    us.page.wait_for_selector("#msg-edit .ok-box")
    jp.page.fill("#edit-measure", "licence denial (JPN edit)")
    jp.page.click("#edit-save")
    conflict = jp.page.wait_for_selector("#msg-edit [data-role=conflict]").inner_text()
    assert "someone else changed this incident" in conflict
    assert "reload" in conflict.lower()
    assert "HTTP 409" in conflict
    shot(jp.page, "incident-conflict-1280x800")
    after = server.api("GET", f"/api/v1/incidents/{inc['id']}", "jp_analyst")
    assert after["title"].endswith("(USA edit)") and after["measure"] is None
    # reload, re-apply: saved from the new version
    jp.page.click("#msg-edit [data-role=reload]")
    jp.page.wait_for_selector("#incident-title:has-text('(USA edit)')")
    assert jp.page.locator("#msg-edit [data-role=conflict]").count() == 0
    jp.page.click("#edit-summary")
    jp.page.fill("#edit-measure", "licence denial (JPN edit)")
    jp.page.click("#edit-save")
    jp.page.wait_for_selector("#msg-edit .ok-box")
    measure = jp.page.inner_text('#incident-fields [data-key="measure"]')
    assert measure == "licence denial (JPN edit)"

    # Japan keeps the incident open in its edit form; the USA writes a private note
    version = server.api("GET", f"/api/v1/incidents/{inc['id']}", "jp_analyst")["version"]
    jp.page.click("#edit-summary")
    secret_note = f"US-NOTE-{uuid.uuid4().hex[:12]}"
    secret_action = f"US-ACTION-{uuid.uuid4().hex[:12]}"
    page = us.page
    page.goto(_base(us) + "#/incidents")
    page.goto(_base(us) + url)
    page.wait_for_selector("#private-note-form")
    page.fill("#private-note-text", secret_note)
    page.click("#private-note-save")
    page.wait_for_selector("#msg-private-note .ok-box")
    assert page.inner_text("#private-note") == secret_note
    assert "Private to USA" in page.inner_text("#note-panel")
    assert page.inner_text("#incident-version") == f"version {version}"
    # … and Japan's save from the version it read is not a 409
    jp.page.fill("#edit-description", "JPN description")
    jp.page.click("#edit-save")
    jp.page.wait_for_selector("#msg-edit .ok-box")
    assert jp.page.locator("#msg-edit [data-role=conflict]").count() == 0
    # and the USA's public note form sits apart from the private one
    page.reload()
    page.wait_for_selector("#note-form")
    page.select_option("#action-kind", "diplomatic")
    page.fill("#action-title", secret_action)
    page.fill("#action-due", (dt.date.today() + dt.timedelta(days=20)).isoformat())
    page.check("#action-private")
    page.click("#action-save")
    row = page.wait_for_selector(f"#actions-table tr:has-text('{secret_action}')")
    action_id = row.get_attribute("data-id")
    assert "Private to USA" in row.inner_text()
    assert page.inner_text("#private-note") == secret_note
    assert page.locator("#incident-note").count() == 0
    # positive control: the USA tab has them in its DOM and traffic
    page.goto(_base(us) + "#/incidents")
    page.wait_for_selector(f'#clock-list li[data-id="{action_id}"]')
    us_text = page.content() + "".join(us.bodies())
    assert secret_note in us_text and secret_action in us_text and action_id in us_text
    shot(us.page, "incident-private-usa-1280x800")

    # the JPN analyst: not in any page or any response body
    page = jp.page
    jp.bodies()
    seen: list[str] = []
    for hash_, ready in [
        ("#/incidents", "#clock-list"),
        ("#/incidents?overdue=1", "#incident-list table, #incidents-empty"),
        (url, "#note-panel"),
        ("#/incidents?new=1", "#new-incident-form"),
    ]:
        page.goto(_base(jp) + hash_)
        page.wait_for_selector(ready)
        page.wait_for_timeout(300)  # trailing requests (staleness, footer)
        seen.append(page.content())
        seen.extend(jp.bodies())
    assert len(seen) > 8
    assert any(inc["id"] in text for text in seen)  # the incident itself is visible
    for text in seen:
        assert secret_note not in text
        assert secret_action not in text
        assert action_id not in text
    assert not us.errors and not jp.errors


def test_viewer_reads_only_and_phone_layout(open_session: Open, server: Server) -> None:
    inc = _open_incident(server, f"Phone incident {uuid.uuid4().hex[:8]}", assess=True)
    url = f"#/incidents?id={inc['id']}"
    viewer = open_session("us_viewer")
    page = viewer.page
    page.goto(_base(viewer) + "#/incidents")
    page.wait_for_selector("#clock-list")
    assert page.locator("#new-incident").count() == 0
    assert page.locator("#reassess-stale").count() == 0
    assert page.locator("#clock-list [data-role=met]").count() == 0
    page.goto(_base(viewer) + url)
    page.wait_for_selector("#impact-table")
    for form in (
        "#assess-form",
        "#action-form",
        "#decision-form",
        "#edit-form",
        "#note-form",
        "#private-note-form",
        "#deadline-form",
        "#close-form",
    ):
        assert page.locator(form).count() == 0, form
    assert "Read-only" in page.inner_text("#incident-detail")
    assert not viewer.errors

    s = open_session("us_analyst", PHONE)
    page = s.page
    for name, hash_, ready in [
        ("incidents", "#/incidents", "#clock-list"),
        ("incident", url, "#impact-table"),
        ("incident-new", "#/incidents?new=1", "#new-incident-form"),
    ]:
        page.goto(_base(s) + hash_)
        page.wait_for_selector(ready)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, f"{name} scrolls sideways on a phone"
        shot(page, f"{name}-390x844")
    assert not s.errors
