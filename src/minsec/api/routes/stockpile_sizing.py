"""``/api/v1/stockpile-sizing-jobs``: stockpile sizing (``minsec stockpile size``) as jobs.

``POST`` checks the request at once — unknown names, a target that cannot be parsed,
overlapping partners, limits for parties that are not partners, Monte Carlo sizes above
the server's limit answer 422 and queue nothing — then answers 202 with the job and its
URLs. The job runs :func:`minsec.disrupt.stockpile_sizing.study.size_stockpiles` on the
server's data store with progress reports. ``use_recorded_stockpiles`` starts from the
stockpiles your party may see (its own and those shared with it, ``/api/v1/stockpiles``):
their tonnes are each partner's existing stock and their largest monthly releases its
release limit; the job's parameters record what was used, and a job is visible to your
party only. A target the limits make unreachable fails the job with a message naming
the target and the partner (no result is stored).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from minsec.api.answer import check_names
from minsec.api.auth import Analyst, State
from minsec.api.job_routes import JobOut, add_job_routes, job_out
from minsec.api.jobs import JobContext
from minsec.api.routes.risk import OVERRIDES_HELP, Overrides, check_stage, resolve_overrides
from minsec.api.serialize import json_safe
from minsec.disrupt.stockpile_sizing import SizingTable
from minsec.errors import InputError

if TYPE_CHECKING:
    from minsec.api.state import AppState

router = APIRouter(prefix="/api/v1/stockpile-sizing-jobs", tags=["scenarios"])
KIND = "stockpile-sizing"
VERIFY_RUNS = 4
"""Extra Monte Carlo runs of ``verify`` (no stock, alone, pooled, unlimited)."""

Tonnes = Annotated[float, Field(ge=0, le=1e12)]
PartnerKey = Annotated[str, Field(min_length=1, max_length=60)]


class SizingJobIn(BaseModel):
    """Stockpiles of one mineral for partners, sized to a target risk."""

    model_config = ConfigDict(extra="forbid")

    commodity: str = Field(min_length=1, max_length=100, examples=["graphite"])
    importer: str = Field(
        default="USA,JPN",
        min_length=1,
        max_length=500,
        description="Partners: countries and blocs, comma-separated (they must not overlap).",
    )
    target: str = Field(
        default="cvar95<=5%",
        min_length=1,
        max_length=40,
        description="cvar95<=5% (CVaR 95 of each partner's shortfall ≤ 5 % of consumption) "
        "or p10<=5% (P(shortfall > 10 % of consumption) ≤ 5 %).",
    )
    runs: int = Field(
        default=10_000, ge=1, description="Monte Carlo runs (at most the server's limit)."
    )
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)
    year: int | None = Field(default=None, ge=1900, le=2100, description="Baseline year.")
    stage: str | None = Field(default=None, max_length=40, description="ore or refined.")
    months: int = Field(default=12, ge=1, le=120, description="Horizon of each run.")
    basis: Literal["need", "shortfall"] = Field(
        default="need",
        description="need: what a partner lacks at pre-disruption prices (what its stockpile "
        "draws in the engine); shortfall: the engine's shortfall after the market's response.",
    )
    price_usd_per_t: float | None = Field(
        default=None, gt=0, le=1e9, description="Today's price (default: the baseline's)."
    )
    price_source: str | None = Field(default=None, max_length=300)
    existing_t: dict[PartnerKey, Tonnes] = Field(
        default_factory=dict, max_length=50, description="Stock already held per partner."
    )
    max_stock_t: dict[PartnerKey, Tonnes] = Field(
        default_factory=dict, max_length=50, description="Most each partner can hold."
    )
    release_t_per_month: dict[PartnerKey, Tonnes] = Field(
        default_factory=dict, max_length=50, description="Most each partner can release a month."
    )
    use_recorded_stockpiles: bool = Field(
        default=False,
        description="Start from the stockpiles your party may see (existing stock and "
        "release limits; explicit values above win).",
    )
    curve_points: int = Field(default=6, ge=2, le=41, description="Points of the cost curve.")
    verify: bool = Field(
        default=False, description="Re-simulate the stocks through the engine (4 more runs)."
    )
    overrides: Overrides = Field(default_factory=dict, max_length=50, description=OVERRIDES_HELP)


def _check(item: SizingJobIn, max_runs: int) -> dict[str, Any]:
    """Everything that can be checked before queueing; returns resolved arguments."""
    from minsec.catalog import blocs, commodities
    from minsec.disrupt.stockpile_sizing.study import parse_limits
    from minsec.disrupt.stockpile_sizing.target import parse_target

    simulated = item.runs * (1 + (VERIFY_RUNS if item.verify else 0))
    if simulated > max_runs:
        raise InputError(
            f"runs={item.runs:,}{' with verify (5 Monte Carlo runs)' if item.verify else ''} "
            f"is above this server's limit of {max_runs:,} simulated years per job",
            column="runs",
            hint="ask for fewer runs (an operator sets MINSEC_API_MAX_RUNS)",
        )
    check_names(commodity=item.commodity, importer=item.importer)
    goal = parse_target(item.target)
    check_stage(item.stage)
    parties = blocs.parties(item.importer)
    seen: dict[str, str] = {}
    for label, members in parties.items():
        for m in members:
            if m in seen:
                raise InputError(
                    f"partners {seen[m]} and {label} overlap (both include {m})",
                    column="importer",
                )
            seen[m] = label
    labels = list(parties)
    for name, values in (
        ("existing_t", item.existing_t),
        ("max_stock_t", item.max_stock_t),
        ("release_t_per_month", item.release_t_per_month),
    ):
        parse_limits(values, labels, name)
    return {
        "commodity": commodities.resolve(item.commodity),
        "goal": goal,
        "parties": parties,
        "overrides": resolve_overrides(item.overrides),
    }


def recorded(
    state: AppState, party: str, commodity: str, parties: dict[str, tuple[str, ...]]
) -> tuple[dict[str, float], dict[str, float], int]:
    """Existing stock and release limits per partner from the stockpiles ``party`` sees.

    A stockpile counts for the partner it belongs to (its owner is the partner or one of
    its members). A partner's release limit is the sum of its stockpiles' limits, none if
    one of them has no limit. Returns (existing, release limits, stockpiles not counted).
    """
    owner_of = {m: label for label, members in parties.items() for m in members}
    owner_of.update({label: label for label in parties})
    existing: dict[str, float] = {}
    release: dict[str, float] = {}
    unlimited: set[str] = set()
    ignored = 0
    for s in state.stockpiles.visible(party, commodity=commodity):
        partner = owner_of.get(s.owner_party)
        if partner is None:
            ignored += 1
            continue
        existing[partner] = existing.get(partner, 0.0) + float(s.tonnes)
        if s.max_release_t_per_month is None:
            unlimited.add(partner)
        else:
            release[partner] = release.get(partner, 0.0) + float(s.max_release_t_per_month)
    return existing, {k: v for k, v in release.items() if k not in unlimited}, ignored


@router.post("", status_code=202, response_model=JobOut, summary="Start a stockpile sizing (job)")
def submit(item: SizingJobIn, who: Analyst, state: State) -> dict[str, Any]:
    """Queue a sizing (analyst or admin); poll ``url``, fetch ``result_url`` when done."""
    args = _check(item, state.settings.max_runs)
    cid = args["commodity"]
    existing, release = dict(item.existing_t), dict(item.release_t_per_month)
    params = item.model_dump()
    params["commodity"] = cid
    if item.use_recorded_stockpiles:
        found, limits, ignored = recorded(state, who.party, cid, args["parties"])
        existing = {**found, **existing}
        release = {**limits, **release}
        params["recorded_existing_t"] = found
        params["recorded_release_t_per_month"] = limits
        params["recorded_not_counted"] = ignored

    def work(ctx: JobContext) -> dict[str, Any]:
        from minsec.disrupt.risk_model import RiskModel
        from minsec.disrupt.stockpile_sizing.study import size_stockpiles

        ctx.progress(0.0)
        model = RiskModel.load()
        for country, p in args["overrides"]:
            model = model.with_override(country, probability=p, commodity=cid)
        result = size_stockpiles(
            state.stores.get(),
            list(args["parties"]),
            args["goal"],
            commodity=cid,
            year=item.year,
            stage=item.stage,
            runs=item.runs,
            seed=item.seed,
            basis=item.basis,
            months=item.months,
            model=model,
            price_usd_per_t=item.price_usd_per_t,
            price_source=item.price_source,
            existing_t=existing,
            max_stock_t=item.max_stock_t,
            release_t_per_month=release,
            curve_points=item.curve_points,
            verify=item.verify,
            workers=1,
            max_runs=state.settings.max_runs,
            progress=lambda _text, frac: ctx.progress(frac),
        )
        out: dict[str, Any] = {"meta": json_safe(result.meta)}
        for table in SizingTable:
            out[table.value] = json_safe(result.view(table.value))
        return out

    return job_out(state.jobs.submit(who, KIND, json_safe(params), work), router.prefix)


add_job_routes(router, KIND, "stockpile sizing", SizingTable, SizingTable.summary)
