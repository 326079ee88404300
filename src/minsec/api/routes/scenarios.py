"""Disruption scenarios: ``/api/v1/simulate`` and the named ``/api/v1/scenarios``.

``POST /api/v1/simulate`` runs :func:`minsec.disrupt.scenario.simulate` on a scenario in
the body; ``/api/v1/scenarios`` lists the named scenarios shipped with minsec, gives one
as a spec (to edit and post to ``/simulate``) and runs one (answers cached: a named
scenario on the same store gives the same result).

The body is a scenario spec (the same fields as a scenario YAML file: commodity,
baseline_year, events, responses, parameters); it is validated field by field (a
negative fraction is a 422 naming ``events.0….fraction``). A run takes well under a
second on the default data, so it answers directly; ``table`` picks the summary (one row
per stage × party), the monthly path or the market table.
"""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from minsec.api import cache as cache_mod
from minsec.api.answer import FormatQ, TableResponse, cached_answer, file_response
from minsec.api.auth import State, Viewer
from minsec.api.serialize import FILE_RESPONSES, Format, body, json_safe
from minsec.disrupt.model import ResultTable
from minsec.disrupt.scenario import Scenario
from minsec.disrupt.sensitivity import SensitivityResult
from minsec.store import Store

router = APIRouter(prefix="/api/v1", tags=["scenarios"])


SimulationTable = ResultTable


@router.post(
    "/simulate",
    response_model=TableResponse,
    responses=FILE_RESPONSES,
    summary="Simulate a disruption scenario",
)
async def simulate(
    scenario: Scenario,
    who: Viewer,
    state: State,
    table: Annotated[SimulationTable, Query(description="Which table of the result.")] = (
        SimulationTable.summary
    ),
    baseline_year: Annotated[
        int | None, Query(ge=1995, le=2100, description="Override the baseline year.")
    ] = None,
    format: FormatQ = Format.json,
) -> Response:
    """Shortfall, price and value at risk per stage, month and party for the scenario."""

    def work() -> bytes:
        from minsec.disrupt.scenario import simulate as simulate_fn

        # the whole result is cached by spec, so that asking for its other tables (as the
        # dashboard does) does not simulate again; a posted spec holds no private records
        spec = scenario.model_dump_json()
        params = {"spec": spec, "baseline_year": baseline_year}
        key = cache_mod.key("simulate", params, state.stores.checksum())
        result = state.cache.get((key, "result"))
        if result is None:
            result = simulate_fn(state.stores.get(), scenario, baseline_year=baseline_year)
            state.cache.put((key, "result"), result)
        frame = result.table(table)
        meta: dict[str, Any] = {"table": table.value, **json_safe(result.meta())}
        return body(frame, format, meta)

    return file_response(await run_in_threadpool(work), format, f"simulation-{table.value}")


NamePath = Annotated[
    str, Path(max_length=100, description="Named scenario, e.g. drc-cobalt-quota-2025.")
]


@router.get(
    "/scenarios",
    response_model=TableResponse,
    responses=FILE_RESPONSES,
    summary="Named scenarios shipped with minsec",
)
async def list_scenarios(who: Viewer, state: State, format: FormatQ = Format.json) -> Response:
    """One row per named scenario: name, title, commodity, baseline year, events."""

    def compute(st: Store) -> tuple[pd.DataFrame, dict[str, Any]]:
        from minsec.disrupt.scenario import named_scenarios

        rows = [
            {
                "name": sc.name,
                "title": sc.title,
                "commodity": sc.commodity,
                "baseline_year": sc.baseline_year,
                "months": sc.months,
                "events": len(sc.events),
                "responses": len(sc.responses),
                "url": f"/api/v1/scenarios/{sc.name}",
            }
            for sc in named_scenarios().values()
        ]
        return pd.DataFrame(rows), {}

    return await cached_answer(state, "scenarios", {}, format, compute)


def _named(name: str) -> Scenario:
    from minsec.api.errors import ApiError
    from minsec.catalog._names import suggestion
    from minsec.disrupt.scenario import named_scenarios

    found = named_scenarios()
    if name not in found:
        raise ApiError(
            404, f"no named scenario {name!r}", field="name", hint=suggestion(name, list(found))
        )
    return found[name]


@router.get("/scenarios/{name}", summary="A named scenario as a spec")
def get_scenario(name: NamePath, who: Viewer) -> dict[str, Any]:
    """The scenario's fields, ready to change and post to ``/api/v1/simulate``."""
    spec: dict[str, Any] = _named(name).model_dump(mode="json")
    return spec


@router.post(
    "/scenarios/{name}/simulate",
    response_model=TableResponse,
    responses=FILE_RESPONSES,
    summary="Simulate a named scenario",
)
async def simulate_named(
    name: NamePath,
    who: Viewer,
    state: State,
    table: Annotated[SimulationTable, Query(description="Which table of the result.")] = (
        SimulationTable.summary
    ),
    baseline_year: Annotated[
        int | None, Query(ge=1995, le=2100, description="Override the baseline year.")
    ] = None,
    format: FormatQ = Format.json,
) -> Response:
    """Run a named scenario (409 when the store lacks the data it needs, with the fix)."""
    scenario = _named(name)

    def compute(st: Store) -> tuple[pd.DataFrame, dict[str, Any]]:
        from minsec.disrupt.scenario import simulate as simulate_fn

        result = simulate_fn(st, scenario, baseline_year=baseline_year)
        return result.table(table), {"table": table.value, **json_safe(result.meta())}

    params = {"name": name, "table": table.value, "baseline_year": baseline_year}
    return await cached_answer(state, "scenario-simulate", params, format, compute)


PartyQ = Annotated[
    str | None,
    Query(
        max_length=500,
        description="Partners whose shortfall is the headline, comma-separated countries "
        "and blocs (default USA,JPN): together, each, and the world.",
        examples=["USA,JPN"],
    ),
]


def _partners(party: str | None) -> str | None:
    """The ``party`` list, each name resolved (an unknown one is a 422 naming ``party``)."""
    from minsec.catalog import blocs
    from minsec.errors import InputError

    if party is None:
        return None
    names = [p.strip() for p in party.split(",") if p.strip()]
    if not names:
        raise InputError("party is empty", column="party", hint="e.g. USA,JPN")
    for name in names:
        try:
            blocs.resolve_party(name)
        except InputError as exc:
            raise InputError(exc.message, column="party", hint=exc.hint) from None
    return ",".join(names)


def _tornado(
    st: Store, scenario: Scenario, party: str | None, year: int | None
) -> SensitivityResult:
    from minsec.disrupt.sensitivity import sensitivity

    return sensitivity(st, scenario, parties=party, baseline_year=year)


@router.post(
    "/sensitivity",
    response_model=TableResponse,
    responses=FILE_RESPONSES,
    summary="Sensitivity (tornado) of a scenario's answer to its assumptions",
)
async def sensitivity_spec(
    scenario: Scenario,
    who: Viewer,
    state: State,
    party: PartyQ = None,
    baseline_year: Annotated[
        int | None, Query(ge=1995, le=2100, description="Override the baseline year.")
    ] = None,
    format: FormatQ = Format.json,
) -> Response:
    """Each assumption at its low and high value: headline shortfall and price, by swing."""
    partners = _partners(party)

    def compute(st: Store) -> tuple[pd.DataFrame, dict[str, Any]]:
        result = _tornado(st, scenario, partners, baseline_year)
        return result.table, json_safe(result.meta())

    params = {
        "spec": scenario.model_dump_json(),  # text: cache keys must be hashable
        "party": partners,
        "baseline_year": baseline_year,
    }
    return await cached_answer(state, "sensitivity", params, format, compute)


@router.post(
    "/scenarios/{name}/sensitivity",
    response_model=TableResponse,
    responses=FILE_RESPONSES,
    summary="Sensitivity (tornado) of a named scenario",
)
async def sensitivity_named(
    name: NamePath,
    who: Viewer,
    state: State,
    party: PartyQ = None,
    baseline_year: Annotated[
        int | None, Query(ge=1995, le=2100, description="Override the baseline year.")
    ] = None,
    format: FormatQ = Format.json,
) -> Response:
    """The tornado of a named scenario (409 when the store lacks its data, with the fix)."""
    scenario = _named(name)
    partners = _partners(party)

    def compute(st: Store) -> tuple[pd.DataFrame, dict[str, Any]]:
        result = _tornado(st, scenario, partners, baseline_year)
        return result.table, json_safe(result.meta())

    params = {"name": name, "party": partners, "baseline_year": baseline_year}
    return await cached_answer(state, "scenario-sensitivity", params, format, compute)
