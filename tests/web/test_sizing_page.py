"""End-to-end test of the stockpile-sizing form (Stockpiles page) in Debian's Chromium.

A sizing started from the page reaches ``done`` with its progress bar at 100 %; the split
between partners, the totals, the costs and the curve the page draws are those of the
job's result read through the API. A bad partner name shows the API's message and field.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.web.conftest import PHONE, Server, Session, number, shot

pytestmark = [pytest.mark.xdist_group("browser"), pytest.mark.default_data]

Open = Callable[..., Session]
BASE = "/api/v1/stockpile-sizing-jobs"


def test_sizing_from_the_stockpiles_page_matches_the_job(
    open_session: Open, server: Server
) -> None:
    s = open_session("us_analyst")
    page = s.page
    base = page.url.split("#")[0]
    page.goto(base + "#/stockpiles")
    page.wait_for_selector("#sizing-form #sizing-runs")
    page.select_option("#sizing-commodity", "graphite")
    page.fill("#sizing-runs", "1000")
    page.dispatch_event("#sizing-runs", "change")
    page.fill("#sizing-seed", "3")
    page.dispatch_event("#sizing-seed", "change")
    page.click("#submit-sizing")
    job = page.wait_for_selector("#sizing-jobs .job[data-status]")
    job_id = job.get_attribute("id").removeprefix("job-")
    done = page.wait_for_selector(f"#job-{job_id}[data-status='done']", timeout=120_000)
    assert done.query_selector("[role=progressbar]").get_attribute("aria-valuenow") == "100"
    page.wait_for_selector(f'#sizing-meta[data-job="{job_id}"]')

    def table(name: str) -> list[dict[str, object]]:
        url = f"{BASE}/{job_id}/result?table={name}"
        rows: list[dict[str, object]] = server.api("GET", url, "us_analyst")["data"]
        return rows

    summary = {r["partner"]: r for r in table("summary")}
    assert set(summary) == {"USA", "JPN"}
    job_params = server.api("GET", f"{BASE}/{job_id}", "us_analyst")["params"]
    assert job_params["target"] == "cvar95<=5%" and job_params["seed"] == 3
    # the split table: one row per partner, the pooled and alone stocks of the result
    rows = page.locator("#sizing-split tbody tr")
    assert rows.count() == 2
    for i in range(2):
        cells = rows.nth(i).locator("td")
        partner = cells.nth(0).inner_text().strip()
        assert number(cells.nth(2).inner_text()) == pytest.approx(
            summary[partner]["pooled_stock_t"], abs=0.5
        )
        assert number(cells.nth(7).inner_text()) == pytest.approx(
            summary[partner]["alone_stock_t"], abs=0.5
        )
    totals = {t["mode"]: t for t in table("totals")}
    shown = page.inner_text("#stat-pooled-stock .stat-value")  # "25,842 t"
    assert number(shown) == pytest.approx(totals["pooled"]["stock_t"], abs=0.5)
    # the curve: an SVG with the pooled and alone series, one x label per cap
    curve = table("curve")
    assert page.locator("#sizing-curve svg path.series").count() == 2
    assert page.locator("#sizing-curve svg circle").count() == 2 * len(curve)
    costs = page.locator("#sizing-costs tbody tr")
    assert costs.count() == 2
    assert "DGS10" in page.inner_text("#sizing-cost-sources")  # the US capital rate's source
    shot(page, "sizing-1280x800")
    assert not s.errors

    phone = open_session("us_analyst", PHONE)
    page = phone.page
    page.goto(base + "#/stockpiles")
    page.wait_for_selector("#sizing-meta")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    shot(page, "sizing-390x844")


def test_a_bad_partner_shows_the_api_message(open_session: Open) -> None:
    s = open_session("us_analyst")
    page = s.page
    page.goto(page.url.split("#")[0] + "#/stockpiles")
    page.wait_for_selector("#sizing-form")
    page.fill("#sizing-importer", "USA,Atlantis")
    page.dispatch_event("#sizing-importer", "change")
    page.click("#submit-sizing")
    box = page.wait_for_selector("#sizing-message .error")
    text = box.inner_text()
    assert "Atlantis" in text and "Field: importer" in text


def test_viewers_cannot_start_a_sizing(open_session: Open) -> None:
    s = open_session("us_viewer")
    page = s.page
    page.goto(page.url.split("#")[0] + "#/stockpiles")
    page.wait_for_selector("#sizing-form")
    assert page.locator("#submit-sizing").is_disabled()
