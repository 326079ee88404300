"""End-to-end test of the Plans page in Debian's Chromium (Playwright).

A small portfolio plan (few Monte Carlo runs) run from the page: the job's progress bar
reaches 100 %, and the projects the page shows as chosen are those of the job's result
read through the API. The page's example plan is examples/portfolio.yaml.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from minsec.finance.plan import load_spec
from minsec.web import static_dir
from tests.web.conftest import PHONE, ROOT, Server, Session, number, shot

pytestmark = [pytest.mark.xdist_group("browser"), pytest.mark.default_data]

Open = Callable[..., Session]


def test_the_page_example_is_examples_portfolio_yaml() -> None:
    shipped = json.loads((static_dir() / "plan-example.json").read_text())
    expected = load_spec(ROOT / "examples" / "portfolio.yaml").model_dump(
        mode="json", exclude_unset=True
    )
    assert shipped == expected, (
        "src/minsec/web/static/plan-example.json is out of date: regenerate it from "
        "examples/portfolio.yaml (see docs/dashboard.md)"
    )


def test_plan_run_from_the_page_matches_the_job_result(open_session: Open, server: Server) -> None:
    s = open_session("us_analyst")
    page = s.page
    base = page.url.split("#")[0]
    page.goto(base + "#/plans")
    page.wait_for_selector("#plan-form #plan-runs")
    page.fill("#plan-runs", "20")
    page.dispatch_event("#plan-runs", "change")
    page.select_option("#plan-objective", "expected")
    page.click("#submit-plan")
    job = page.wait_for_selector(".job[data-status]")
    job_id = job.get_attribute("id").removeprefix("job-")
    done = page.wait_for_selector(f"#job-{job_id}[data-status='done']", timeout=60_000)
    assert done.query_selector("[role=progressbar]").get_attribute("aria-valuenow") == "100"
    page.wait_for_selector(f'#plan-meta[data-job="{job_id}"]')

    result = server.api("GET", f"/api/v1/plan-jobs/{job_id}/result?table=portfolio", "us_analyst")
    assert result["meta"]["runs"] == 20 and result["meta"]["objective"] == "expected"
    chosen = {r["project_id"] for r in result["data"] if r["chosen"]}
    assert chosen, "the example plan should back at least one project"
    shown = set(
        page.eval_on_selector_all(
            "#plan-portfolio [data-project]", "els => els.map(e => e.dataset.project)"
        )
    )
    assert shown == chosen
    summary = server.api("GET", f"/api/v1/plan-jobs/{job_id}/result?table=summary", "us_analyst")
    metric = {r["metric"]: r["value"] for r in summary["data"]}
    assert page.locator("#plan-shortfall tbody tr").count() == len(
        server.api("GET", f"/api/v1/plan-jobs/{job_id}/result?table=shortfall", "us_analyst")[
            "data"
        ]
    )
    cost = page.inner_text("#stat-public-cost .stat-value")  # "$12.5 m"
    scale = 1e9 if " bn" in cost else 1e6 if " m" in cost else 1e3 if " k" in cost else 1
    assert number(cost) * scale == pytest.approx(metric["public_cost_usd"], rel=0.01, abs=1)
    assert page.locator("#plan-accelerations tbody tr").count() >= 1
    shot(page, "plans-1280x800")
    assert not s.errors

    phone = open_session("us_analyst", PHONE)
    page = phone.page
    page.goto(base + "#/plans")
    page.wait_for_selector("#plan-meta")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    shot(page, "plans-390x844")
    assert not phone.errors
