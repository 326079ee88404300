"""End-to-end tests of the dashboard in Debian's Chromium (Playwright, /usr/bin/chromium).

A real ``minsec serve`` on the default data; users made with ``minsec users add``. The
numbers the page shows are checked against minsec's own functions run here on the same
store (``minsec.assess``, ``minsec.disrupt``), not against copied constants. Screenshots
of the main pages at 1280×800 and 390×844 go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import pytest

from minsec.store import Store
from tests.web.conftest import DESKTOP, PHONE, SHOTS, Server, Session, number, shot

pytestmark = [pytest.mark.xdist_group("browser"), pytest.mark.default_data]

Open = Callable[..., Session]
NO_DATA = "#e8e6e1"


def _latest_year(store: Store, commodity: str, stage: str) -> int:
    from minsec.api.routes.web_support import coverage_frame

    cov = coverage_frame(store)
    row = cov[(cov["commodity"] == commodity) & (cov["stage"] == stage)].iloc[0]
    return int(row["last_year"])


def test_bad_token_is_refused_with_a_message(open_session: Open) -> None:
    s = open_session(None)
    page = s.page
    page.fill("#token", "msk_not-a-real-token")
    page.click("#login-button")
    error = page.wait_for_selector("#login-message .error")
    text = error.inner_text()
    assert "Sign-in failed" in text
    assert "HTTP 401" in text
    assert "Field: token" in text
    assert page.evaluate("sessionStorage.getItem('minsec.token')") is None
    assert page.is_hidden("#nav")
    shot(page, "login-error-1280x800")
    page.fill("#token", "")
    page.click("#login-button")
    assert "Paste your token first" in page.inner_text("#login-message")


def test_map_shows_production_shares_from_the_store(
    open_session: Open, default_store: Store
) -> None:
    from minsec.assess.exposure import imports_by_supplier
    from minsec.assess.supply import producer_shares, supply

    year = _latest_year(default_store, "cobalt", "mine")
    producers = producer_shares(default_store, commodities="cobalt", stage="mine", years=[year])
    structure = supply(default_store, commodities="cobalt", stage="mine", years=[year]).iloc[0]
    top = producers.sort_values("rank").iloc[0]

    s = open_session("us_analyst")
    page = s.page
    page.goto(s.page.url.split("#")[0] + "#/map?commodity=cobalt&stage=mine")
    page.wait_for_selector("#producers-table")
    assert page.input_value("#map-year") == str(year)
    title = page.inner_text("#map-panel h2")
    assert f"Cobalt: share of world mine production, {year}" == title
    # the stat cards and the top row of the table are the store's numbers
    assert number(page.inner_text("#stat-top1 .stat-value")) == pytest.approx(
        top["share"] * 100, abs=0.051
    )
    assert number(page.inner_text("#stat-hhi .stat-value")) == pytest.approx(
        structure["hhi"], abs=0.51
    )
    first = page.locator("#producers-table tbody tr").first.inner_text()
    assert top["country_name"] in first
    assert f"{top['quantity']:,.0f}" in first
    # every producer on the map is coloured; hovering the largest shows its figures
    world = json.loads(
        page.evaluate(
            "JSON.stringify([...document.querySelectorAll("
            "'path.country[data-value]')].map(p => p.dataset.id))"
        )
    )
    on_map = {c for c in producers["country"] if page.locator(f'path[data-id="{c}"]').count()}
    assert set(world) == on_map
    cell = page.locator(f'path[data-id="{top["country"]}"]')
    assert cell.get_attribute("fill") != NO_DATA
    cell.hover()
    tip = page.wait_for_selector("#tooltip:not([hidden])").inner_text()
    assert f"{top['quantity']:,.0f} t" in tip
    assert number(tip.split("\n")[1]) == pytest.approx(top["share"] * 100, abs=0.051)
    assert not s.errors
    shot(page, "map-1280x800")

    # suppliers into an importer
    page.click("#mode-imports")
    page.wait_for_selector("#map-importer")
    page.select_option("#map-importer", "JPN")
    page.wait_for_selector("#suppliers-table")
    sup = imports_by_supplier(default_store, "JPN", years=[2024], commodities_="cobalt")
    first_supplier = sup.sort_values("rank").iloc[0]
    row = page.locator("#suppliers-table tbody tr").first.inner_text()
    assert first_supplier["supplier_name"] in row
    assert number(row.split("\t")[-1]) == pytest.approx(
        first_supplier["share_value"] * 100, abs=0.051
    )
    assert page.locator("svg.map .outlined").count() == 1  # Japan outlined
    assert page.locator(f'svg.map .flow[data-supplier="{first_supplier["supplier"]}"]').count()
    shot(page, "map-imports-1280x800")


def test_a_page_still_drawing_does_not_pull_the_user_back(open_session: Open) -> None:
    # The user leaves the map (a new address is set) while the map is still writing its own
    # state to the address bar: the new address must win, whichever event runs first.
    s = open_session("jp_analyst")
    page = s.page
    page.wait_for_selector("#map-year")
    page.evaluate(
        """() => {
          location.hash = "#/scenarios?name=china-graphite-like-minded";
          const year = document.querySelector("#map-year");
          year.value = year.options[year.options.length - 1].value;
          year.dispatchEvent(new Event("change"));
        }"""
    )
    page.wait_for_selector("#page-scenarios")
    assert "#/scenarios?name=china-graphite-like-minded" in page.url
    page.wait_for_selector("#run-scenario")
    assert s.errors == []


def test_named_scenario_result_matches_the_engine(
    open_session: Open, default_store: Store, server: Server
) -> None:
    from minsec.disrupt.model import ResultTable
    from minsec.disrupt.scenario import Scenario, named_scenarios, simulate

    name = "china-graphite-like-minded"
    result = simulate(default_store, named_scenarios()[name])
    expected = result.table(ResultTable.summary)
    jpn = expected[expected["party"] == "JPN"].iloc[0]
    short = result.table(ResultTable.response_shortfall)
    worst = short.groupby("coordinated")["shortfall_pct"].max()
    api_rows = server.api("POST", f"/api/v1/scenarios/{name}/simulate", "jp_analyst")["data"]
    api_jpn = next(r for r in api_rows if r["party"] == "JPN" and r["stage"] == jpn["stage"])
    assert api_jpn["shortfall_pct"] == pytest.approx(jpn["shortfall_pct"])

    s = open_session("jp_analyst")
    page = s.page
    page.goto(page.url.split("#")[0] + f"#/scenarios?name={name}")
    page.wait_for_selector("#run-scenario")
    assert page.inner_text("#modified-badge") == "as published"
    page.click("#run-scenario")
    cell = page.wait_for_selector('#summary-table [data-party="JPN"][data-key="shortfall_pct"]')
    assert number(cell.inner_text()) == pytest.approx(jpn["shortfall_pct"], abs=0.051)
    headline = page.inner_text('#headline [data-party="JPN"] .stat-value')
    assert number(headline) == pytest.approx(jpn["shortfall_pct"], abs=0.051)
    # the coordinated response: Japan's stockpile is released
    assert "JPN stockpile" in page.inner_text("#response-table")
    own = number(page.inner_text("#worst-own"))
    pooled = number(page.inner_text("#worst-pooled"))
    assert own == pytest.approx(worst[False], abs=0.051)
    assert pooled == pytest.approx(worst[True], abs=0.051)
    assert pooled < own
    assert page.locator("#scenario-output svg.chart").count() == 2
    shot(page, "scenario-1280x800")

    # the tornado: which assumption moves the shortfall of the chosen importers most
    from minsec.disrupt.sensitivity import sensitivity

    tornado = sensitivity(default_store, named_scenarios()[name], parties="USA,JPN,like-minded")
    top = tornado.tornado("shortfall_pct")
    page.click("#run-sensitivity")
    page.wait_for_selector("#sensitivity-table")
    assert page.locator("svg.tornado .tornado-row").count() == len(top)
    first = page.locator("#sensitivity-table tbody tr").first.inner_text()
    assert top["label"].iloc[0] in first
    lead = top.iloc[0]["parameter"]
    swing = page.inner_text(f'#sensitivity-table [data-parameter="{lead}"][data-key="swing"]')
    assert number(swing) == pytest.approx(top["swing"].iloc[0], abs=0.051)
    bars = page.locator(f'svg.tornado .tornado-row[data-parameter="{lead}"] rect')
    assert bars.count() == 2  # the low (hatched) and the high value (solid)
    page.select_option("#sensitivity-metric", "peak_price_index")
    price = tornado.tornado("peak_price_index")
    lead = price.iloc[0]["parameter"]
    swing = page.inner_text(f'#sensitivity-table [data-parameter="{lead}"][data-key="swing"]')
    assert number(swing) == pytest.approx(price["swing"].iloc[0], abs=0.0051)
    assert page.locator("#sensitivity-party").count() == 0  # one world price
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#sensitivity").screenshot(path=str(SHOTS / "scenario-sensitivity-1280x800.png"))

    # edit the event (half the exports withheld) and run the edited scenario
    page.fill('[data-event="0"] input[type="number"] >> nth=0', "50")
    page.dispatch_event('[data-event="0"] input[type="number"] >> nth=0', "change")
    assert page.inner_text("#modified-badge") == "edited"
    page.click("#run-scenario")
    page.wait_for_selector("#scenario-output h2:has-text('edited scenario')")
    spec = named_scenarios()[name].model_dump(mode="json")
    spec["events"][0]["fraction"] = 0.5
    edited = simulate(default_store, Scenario.model_validate(spec)).table(ResultTable.summary)
    ejpn = edited[edited["party"] == "JPN"].iloc[0]
    assert ejpn["shortfall_pct"] < jpn["shortfall_pct"]
    cell = page.wait_for_selector('#summary-table [data-party="JPN"][data-key="shortfall_pct"]')
    assert number(cell.inner_text()) == pytest.approx(ejpn["shortfall_pct"], abs=0.051)

    # an impossible edit is refused by the API, and the page says which field and why
    page.fill('[data-event="0"] input[type="number"] >> nth=0', "150")
    page.dispatch_event('[data-event="0"] input[type="number"] >> nth=0', "change")
    page.click("#run-scenario")
    error = page.wait_for_selector("#scenario-results .error").inner_text()
    assert "HTTP 422" in error
    assert "fraction" in error
    assert not s.errors


def test_backtest_panel_shows_the_record_of_the_chosen_case(
    open_session: Open, default_store: Store
) -> None:
    from minsec.disrupt.backtest import backtest, summarize

    frame = backtest(default_store)
    table = summarize(frame).table.set_index(["kind", "set"])
    name = "indonesia-nickel-ore-2020"
    s = open_session("jp_analyst")
    page = s.page
    page.goto(page.url.split("#")[0] + f"#/scenarios?name={name}")
    page.click("#run-backtest")
    page.wait_for_selector("#backtest-rows")
    # the summary is the back-test's: direct effect on the held-out cases
    cell = page.inner_text('#backtest-summary [data-key="trade from restricting|holdout"]')
    expected = table.loc[("trade from restricting", "holdout")]
    assert number(cell.split("pp")[0]) == pytest.approx(expected["mae_pp"], abs=0.051)
    assert f"({int(expected['rows'])})" in cell
    # the months on the price cap, as the summary counts them
    caps = summarize(frame).price_cap
    held = caps[caps["set"] == "holdout"]
    assert (
        f"held-out {int(held['months_at_cap'].sum())} of {int(held['months'].sum())}"
        in page.inner_text("#backtest-cap")
    )
    # the market's own swing: the placebo's floor beside the model's error, per set
    from minsec.disrupt import backtest_placebo as pl
    from minsec.disrupt.backtest import prepare

    cases, _ = prepare(default_store)
    floors = pl.floor_table(pl.with_floor(frame, pl.placebo(default_store, cases)))
    held = floors.set_index(["kind", "set"]).loc[("trade, clean", "holdout")]
    cell = page.inner_text('#backtest-floor [data-key="trade, clean|holdout"]')
    model, floor = (number(v) for v in cell.split("pp")[0].split("/"))
    assert model == pytest.approx(held["model_mae_pp"], abs=0.051)
    assert floor == pytest.approx(held["noise_floor_pp"], abs=0.051)
    assert f"({int(held['rows'])})" in cell
    # the chosen scenario is a real case: its rows first, one per year and flow (+ prices)
    assert page.input_value("#backtest-case") == name
    mine = frame[(frame["scenario"] == name) & (frame["status"] == "ok")]
    shown = mine[mine["in_mae"].astype(bool) | (mine["kind"] == "price")]
    assert page.locator("#backtest-rows tbody tr").count() == len(shown)
    # picking another scenario on the page follows it; "all cases" shows every case
    page.click('button[data-name="australia-manganese-2024"]')
    page.wait_for_function(
        "document.querySelector('#backtest-case').value === 'australia-manganese-2024'"
    )
    assert "(AUS)" in page.inner_text("#backtest-rows")
    page.select_option("#backtest-case", "all cases")
    assert page.locator("#backtest-rows tbody tr").count() > 40
    assert page.locator("#backtest-rows .badge").count() > 0  # defects are marked
    page.locator("#backtest").screenshot(path=str(SHOTS / "scenario-backtest-1280x800.png"))


def test_scenario_without_data_shows_the_api_error(open_session: Open) -> None:
    s = open_session("us_analyst")
    page = s.page
    page.goto(page.url.split("#")[0] + "#/scenarios?name=china-gallium-germanium-2023")
    page.click("#run-scenario")
    error = page.wait_for_selector("#scenario-results .error").inner_text()
    assert "HTTP 409" in error
    assert "HS17" in error  # the API's message says which import fixes it


def test_risk_job_progress_reaches_done_and_cancel_works(
    open_session: Open, server: Server
) -> None:
    s = open_session("us_analyst")
    page = s.page
    page.goto(page.url.split("#")[0] + "#/risk")
    page.wait_for_selector("#risk-form")
    page.fill("#risk-runs", "5000")
    page.dispatch_event("#risk-runs", "change")
    page.fill("#risk-seed", "7")
    page.dispatch_event("#risk-seed", "change")
    page.click("#submit-risk")
    job = page.wait_for_selector(".job[data-status]")
    job_id = job.get_attribute("id").removeprefix("job-")
    done = page.wait_for_selector(f"#job-{job_id}[data-status='done']", timeout=60_000)
    bar = done.query_selector("[role=progressbar]")
    assert bar.get_attribute("aria-valuenow") == "100"
    page.wait_for_selector("#risk-summary")
    polled = [r for r in s.responses if r.url.endswith(f"/api/v1/risk-jobs/{job_id}")]
    assert len(polled) >= 1  # the page polled the job endpoint
    result = server.api("GET", f"/api/v1/risk-jobs/{job_id}/result", "us_analyst")["data"]
    usa = next(r for r in result if r["importer"] == "USA")
    row = page.locator("#risk-summary tbody tr").first.inner_text()
    assert "United States" in row
    assert number(row.split("\t")[2]) == pytest.approx(usa["expected_shortfall_pct"], abs=0.051)
    shot(page, "risk-job-1280x800")

    # a long run, cancelled from the page
    page.fill("#risk-runs", "400000")
    page.dispatch_event("#risk-runs", "change")
    page.click("#submit-risk")
    page.wait_for_selector(
        ".job[data-status='queued'] [data-role=cancel], "
        ".job[data-status='running'] [data-role=cancel]"
    )
    long_id = page.locator(".job").first.get_attribute("id").removeprefix("job-")
    assert long_id != job_id
    page.click(f"#job-{long_id} [data-role=cancel]")
    page.wait_for_selector(f"#job-{long_id}[data-status='cancelled']", timeout=30_000)
    assert not s.errors


def test_jpn_analyst_never_receives_us_private_stockpiles(
    open_session: Open, server: Server
) -> None:
    secret_note = f"US-ONLY-{uuid.uuid4().hex[:12]}"
    tonnes = "98765.4321"
    us = open_session("us_analyst")
    page = us.page
    page.goto(page.url.split("#")[0] + "#/stockpiles")
    page.wait_for_selector("#stockpile-form")
    page.select_option("#stockpile-commodity", "cobalt")
    page.fill("#stockpile-tonnes", tonnes)
    page.fill("#stockpile-max", "1234.5")
    page.fill("#stockpile-note", secret_note)
    page.click("#stockpile-save")
    ok = page.wait_for_selector("#stockpile-message .ok-box").inner_text()
    stockpile_id = ok.split("Recorded stockpile ")[1].split(":")[0]
    page.wait_for_selector(f"#stockpile-table :text('{secret_note}')")
    # positive control: the record is in the US tab's DOM and network traffic
    us_text = page.content() + "".join(us.bodies())
    assert secret_note in us_text and "98,765.4" in us_text and stockpile_id in us_text
    shot(page, "stockpiles-usa-1280x800")

    jp = open_session("jp_analyst")
    page = jp.page
    base = page.url.split("#")[0]
    seen: list[str] = []
    visits = [
        ("#/map", "#producers-table"),
        ("#/map?mode=imports&commodity=cobalt&importer=USA", "#suppliers-table"),
        ("#/mineral?commodity=cobalt", "#mineral-drivers"),
        ("#/scenarios", "#scenario-editor h2"),
        ("#/ranking", "#ranking-table"),
        ("#/risk", "#jobs .muted, #jobs .job"),
        ("#/stockpiles", "#stockpiles-empty"),
    ]
    for hash_, ready in visits:
        page.goto(base + hash_)
        page.wait_for_selector(ready)
        page.wait_for_timeout(300)  # let trailing requests (footer, history) finish
        seen.append(page.content())
        seen.extend(jp.bodies())
    assert len(seen) > 20
    for text in seen:
        assert secret_note not in text
        assert tonnes not in text and "98,765.4" not in text and "98765.4" not in text
        assert stockpile_id not in text
    assert "No stockpile recorded by or shared with JPN" in page.inner_text("#stockpile-list")
    assert not jp.errors

    # once the USA shares it from its page, Japan reads it (and cannot delete it)
    page = us.page
    page.click(f'.sharing[data-id="{stockpile_id}"] .share-edit')
    page.fill(f'.sharing[data-id="{stockpile_id}"] input', "JPN")
    page.click(f'.sharing[data-id="{stockpile_id}"] .share-save')
    page.wait_for_selector("#stockpile-message .ok-box:has-text('shared with JPN')")
    page = jp.page
    page.goto(base + "#/map")
    page.wait_for_selector("#producers-table")
    page.goto(base + "#/stockpiles")
    row = page.wait_for_selector(f"#stockpile-table tr:has-text('{secret_note}')").inner_text()
    assert "USA" in row and "98,765.4" in row and "JPN" in row
    assert page.locator("#stockpile-table button").count() == 0
    shot(page, "stockpiles-jpn-shared-1280x800")


def _main_pages() -> list[tuple[str, str, str]]:
    return [
        ("map", "#/map?commodity=cobalt&stage=mine", "#producers-table"),
        ("mineral", "#/mineral?commodity=cobalt", "#mineral-history svg.chart"),
        ("scenarios", "#/scenarios?name=china-graphite-like-minded", "#run-scenario"),
        ("ranking", "#/ranking", "#ranking-table"),
        ("risk", "#/risk", "#jobs .muted, #jobs .job"),
        ("stockpiles", "#/stockpiles", "#stockpile-list"),
    ]


@pytest.mark.parametrize(("label", "viewport"), [("1280x800", DESKTOP), ("390x844", PHONE)])
def test_screenshots_of_the_main_pages(
    open_session: Open, label: str, viewport: dict[str, int]
) -> None:
    s = open_session("us_analyst", viewport)
    page = s.page
    base = page.url.split("#")[0]
    if viewport is PHONE:
        # the navigation collapses behind a menu button
        assert page.is_hidden("#nav a[data-page=ranking]")
        page.click("#nav-toggle")
        assert page.is_visible("#nav a[data-page=ranking]")
        page.click("#nav a[data-page=ranking]")
        page.wait_for_selector("#ranking-table")
        assert page.is_hidden("#nav a[data-page=map]")
    for name, hash_, ready in _main_pages():
        page.goto(base + hash_)
        page.wait_for_selector(ready)
        if name == "map" and viewport is PHONE:
            # a tap shows the tooltip, and it stays until the next tap elsewhere
            page.tap('path[data-id="COD"]')
            assert "Democratic Republic of the Congo" in page.inner_text("#tooltip")
            page.wait_for_timeout(200)
            assert page.is_visible("#tooltip")
        if name == "scenarios":
            page.click("#run-scenario")
            page.wait_for_selector("#summary-table")
        if name == "risk" and page.locator(".job[data-status=done]").count():
            page.wait_for_selector("#risk-summary")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"] + 1, f"{name} scrolls sideways at {label}"
        shot(page, f"{name}-{label}")
    page.goto(base + "#/login")
    shot(page, f"login-{label}")
    assert not s.errors
