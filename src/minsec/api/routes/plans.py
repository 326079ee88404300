"""``/api/v1/plan-jobs``: portfolio plans (``minsec plan``) as background jobs.

``POST`` takes a plan spec (the fields of ``examples/portfolio.yaml`` as JSON) and checks
it at once — unknown fields, bad values, unknown countries or commodities, projects
without data and Monte Carlo sizes above the server's limit answer 422 and queue nothing —
then answers 202 with the job and its URLs. The job runs
:func:`minsec.finance.plan.run_plan` on the server's data store with progress reports.
``GET …/{id}`` shows status and progress, ``POST …/{id}/cancel`` stops it at the next
report, ``GET …/{id}/result?table=…`` gives one table of the result (portfolio, options,
shortfall, accelerations or summary) as JSON, CSV or Parquet.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import ValidationError

from minsec.api.auth import Analyst, State
from minsec.api.job_routes import JobOut, add_job_routes, job_out
from minsec.api.jobs import JobContext
from minsec.api.serialize import json_safe
from minsec.errors import InputError

router = APIRouter(prefix="/api/v1/plan-jobs", tags=["scenarios"])
KIND = "plan"
EXAMPLE: dict[str, Any] = {
    "name": "two lithium projects",
    "budget_usd": 5e8,
    "partners": ["USA", "JPN"],
    "objective": "cvar95",
    "runs": 200,
    "horizon_years": 10,
    "projects": [
        {
            "id": "li-busch-009",
            "name": "Thacker Pass",
            "country": "USA",
            "commodity": "lithium",
            "stage": "mine",
            "status": "construction",
            "capacity_tpy": 14277.66,
            "capex_musd": 1181.2,
            "opex_usd_per_t": 38314.95,
            "offtake": {"USA": 0.8},
        }
    ],
}


class ResultTable(StrEnum):
    """Tables of a plan result."""

    portfolio = "portfolio"
    options = "options"
    shortfall = "shortfall"
    accelerations = "accelerations"
    summary = "summary"


def check(raw: dict[str, Any], max_runs: int, store: Any) -> Any:
    """Validate a plan spec before queueing; returns the :class:`PlanSpec`.

    Simulated years per mineral = runs × horizon_years must stay within ``max_runs``.
    """
    from minsec.finance import plan

    try:
        spec = plan.PlanSpec.model_validate(raw)
    except ValidationError as exc:
        raise plan.validation_error(exc, None) from None
    years = spec.runs * spec.horizon_years
    if years > max_runs:
        raise InputError(
            f"runs × horizon_years = {years:,} simulated years per mineral is above this "
            f"server's limit of {max_runs:,}",
            column="runs",
            hint=f"ask for at most {max_runs // spec.horizon_years:,} runs",
        )
    plan.resolve_projects(spec, store)  # names, missing data → 422 now
    return spec


@router.post("", status_code=202, response_model=JobOut, summary="Start a portfolio plan")
def submit(
    who: Analyst,
    state: State,
    spec: Annotated[dict[str, Any], Body(examples=[EXAMPLE])],
) -> dict[str, Any]:
    """Queue a plan (analyst or admin); poll ``url``, fetch ``result_url`` when done."""
    store = state.stores.get()
    plan_spec = check(spec, state.settings.max_runs, store)

    def work(ctx: JobContext) -> dict[str, Any]:
        from minsec.finance import plan

        ctx.progress(0.0)
        result = plan.run_plan(
            plan_spec, state.stores.get(), progress=lambda _text, frac: ctx.progress(frac)
        )
        out: dict[str, Any] = {"meta": json_safe(result.meta)}
        for table in ResultTable:
            out[table.value] = json_safe(result.view(table.value))
        return out

    return job_out(
        state.jobs.submit(who, KIND, json_safe(plan_spec.model_dump()), work), router.prefix
    )


add_job_routes(router, KIND, "plan", ResultTable, ResultTable.portfolio)
