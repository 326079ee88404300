"""``/api/v1/risk-jobs``: Monte Carlo supply risk as background jobs.

``POST`` checks the request at once (unknown names, runs above the server's limit → 422,
nothing queued) and answers 202 with the job and its URLs; the job runs
:func:`minsec.disrupt.montecarlo.run_risk` on the job pool, reporting progress per chunk
of runs. ``GET …/{id}`` shows status and progress, ``POST …/{id}/cancel`` stops it at the
next chunk, ``GET …/{id}/result`` gives a table of the result (JSON, CSV or Parquet).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from minsec.api.answer import check_names
from minsec.api.auth import Analyst, State
from minsec.api.job_routes import JobOut, add_job_routes, job_out
from minsec.api.jobs import JobContext
from minsec.api.serialize import json_safe
from minsec.errors import InputError

router = APIRouter(prefix="/api/v1/risk-jobs", tags=["scenarios"])
KIND = "risk"


Overrides = dict[Annotated[str, Field(max_length=60)], Annotated[float, Field(ge=0, le=1)]]
"""Annual restriction probability per country (a job's ``overrides``)."""
OVERRIDES_HELP = "Annual restriction probability per country, e.g. {'CHN': 0.3}."


def check_stage(stage: str | None) -> None:
    """422 unless ``stage`` is None or a trade-basket stage."""
    if stage is not None and stage not in ("ore", "refined"):
        raise InputError(
            f"stage={stage!r} is not a trade-basket stage", column="stage", hint="ore or refined"
        )


def resolve_overrides(overrides: dict[str, float]) -> list[tuple[str, float]]:
    """``(country id, probability)`` pairs; an unknown country is a 422 on ``overrides``."""
    from minsec.catalog import countries

    out = []
    for name, p in overrides.items():
        try:
            out.append((countries.resolve(name), float(p)))
        except InputError as exc:
            raise InputError(exc.message, column="overrides", hint=exc.hint) from None
    return out


class RiskJobIn(BaseModel):
    """A Monte Carlo supply-risk run of one mineral for importers."""

    model_config = ConfigDict(extra="forbid")

    commodity: str = Field(min_length=1, max_length=100, examples=["cobalt"])
    importer: str = Field(
        default="USA,JPN",
        min_length=1,
        max_length=500,
        description="Countries and blocs, comma-separated.",
    )
    runs: int = Field(
        default=10_000,
        ge=1,
        description="Simulated years; at most the server's limit (MINSEC_API_MAX_RUNS).",
    )
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)
    year: int | None = Field(default=None, ge=1900, le=2100, description="Baseline year.")
    stage: str | None = Field(default=None, max_length=40, description="ore or refined.")
    alpha: float = Field(default=0.95, gt=0, lt=1, description="VaR/CVaR level.")
    threshold: float = Field(default=0.10, ge=0, le=10, description="Shortfall share x.")
    months: int = Field(default=12, ge=1, le=120, description="Horizon of each run.")
    overrides: Overrides = Field(default_factory=dict, max_length=50, description=OVERRIDES_HELP)


class ResultTable(StrEnum):
    """Tables of a risk result."""

    summary = "summary"
    exporters = "exporters"
    price = "price"


def _check(item: RiskJobIn, max_runs: int) -> tuple[str, list[tuple[str, float]]]:
    """Everything that can be checked before queueing; returns the commodity id."""
    from minsec.catalog import commodities

    if item.runs > max_runs:
        raise InputError(
            f"runs={item.runs:,} is above this server's limit of {max_runs:,} runs per job",
            column="runs",
            hint=f"ask for at most {max_runs:,} (an operator sets MINSEC_API_MAX_RUNS)",
        )
    importer = None if item.importer.strip().lower() == "all" else item.importer
    check_names(commodity=item.commodity, importer=importer)
    check_stage(item.stage)
    return commodities.resolve(item.commodity), resolve_overrides(item.overrides)


@router.post("", status_code=202, response_model=JobOut, summary="Start a Monte Carlo risk run")
def submit(item: RiskJobIn, who: Analyst, state: State) -> dict[str, Any]:
    """Queue a run (analyst or admin); poll ``url``, fetch ``result_url`` when done."""
    cid, overrides = _check(item, state.settings.max_runs)
    params = item.model_dump()
    params["commodity"] = cid
    runs = item.runs
    chunk = max(1_000, -(-runs // 100 // 1_000) * 1_000)  # ~100 progress reports

    def work(ctx: JobContext) -> dict[str, Any]:
        from minsec.disrupt.baseline import commodity_parameters
        from minsec.disrupt.montecarlo import run_risk
        from minsec.disrupt.risk_model import RiskModel

        ctx.progress(0.0)
        model = RiskModel.load()
        for country, p in overrides:
            model = model.with_override(country, probability=p, commodity=cid)
        engine_params = commodity_parameters(cid).engine_parameters(months=item.months)
        importer = None if item.importer.strip().lower() == "all" else item.importer
        result = run_risk(
            state.stores.get(),
            importer,
            runs=runs,
            seed=item.seed,
            commodity=cid,
            year=item.year,
            model=model,
            params=engine_params,
            workers=1,
            chunk_runs=chunk,
            alpha=item.alpha,
            threshold=item.threshold,
            max_runs=state.settings.max_runs,
            baseline_options={} if item.stage is None else {"stage": item.stage},
            progress=lambda done, total: ctx.progress(done / max(total, 1)),
        )
        return {
            "meta": json_safe(result.meta),
            "summary": json_safe(result.summary),
            "exporters": json_safe(result.exporters),
            "price": json_safe(result.price),
        }

    return job_out(state.jobs.submit(who, KIND, json_safe(params), work), router.prefix)


add_job_routes(router, KIND, "risk", ResultTable, ResultTable.summary)
