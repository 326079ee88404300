"""Indicators: supply structure, producers, exposure, imports by supplier, ranking.

Parameters mirror ``minsec assess``; answers are cached (see :mod:`minsec.api.cache`).
"""

from __future__ import annotations

import math
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Query
from fastapi.responses import Response

from minsec.api.answer import (
    TEXT_LIMIT,
    CommodityQ,
    FormatQ,
    ImporterQ,
    SourceQ,
    StageQ,
    TableResponse,
    cached_answer,
    check_names,
    parse_years,
    year_query,
)
from minsec.api.auth import State, Viewer
from minsec.api.serialize import FILE_RESPONSES, Format, frame_meta
from minsec.errors import InputError
from minsec.store import Store

router = APIRouter(prefix="/api/v1", tags=["indicators"])

TopQ = Annotated[int, Query(ge=0, le=10_000, description="Rows per group (0 = all).")]
ReservesQ = Annotated[
    bool, Query(description="Concentration of reserves instead of production (USGS import).")
]


@router.get(
    "/supply",
    response_model=TableResponse,
    responses=FILE_RESPONSES,
    summary="Supply structure: shares, HHI, top producers, bloc shares",
)
async def supply(
    who: Viewer,
    state: State,
    commodity: CommodityQ = None,
    stage: StageQ = None,
    year: Annotated[str, year_query("2022")] = "2022",
    source: SourceQ = None,
    reserves: ReservesQ = False,
    format: FormatQ = Format.json,
) -> Response:
    """One row per commodity × stage × year × source (as ``minsec assess supply``)."""
    years = parse_years(year, state.settings.max_years)
    commodity, stage, source = _opt(commodity), _opt(stage), _opt(source)
    check_names(commodity=commodity)
    params: dict[str, Any] = {"commodity": commodity, "stage": stage, "year": years}
    params |= {"source": source, "reserves": reserves}

    def compute(st: Store) -> tuple[pd.DataFrame, dict[str, Any]]:
        from minsec.assess.supply import reserves_structure
        from minsec.assess.supply import supply as supply_fn

        if reserves:
            frame = reserves_structure(st, commodities=commodity, years=years, sources=source)
        else:
            frame = supply_fn(st, commodities=commodity, stage=stage, years=years, sources=source)
        return frame, frame_meta(frame)

    return await cached_answer(state, "supply", _key(params), format, compute)


@router.get(
    "/supply/producers",
    response_model=TableResponse,
    responses=FILE_RESPONSES,
    summary="Producing countries: quantity, share, rank",
)
async def producers(
    who: Viewer,
    state: State,
    commodity: CommodityQ = None,
    stage: StageQ = None,
    year: Annotated[str, year_query("2022")] = "2022",
    source: SourceQ = None,
    reserves: ReservesQ = False,
    format: FormatQ = Format.json,
) -> Response:
    """One row per producing country (as ``minsec assess supply --by-country``)."""
    years = parse_years(year, state.settings.max_years)
    commodity, stage, source = _opt(commodity), _opt(stage), _opt(source)
    check_names(commodity=commodity)
    params: dict[str, Any] = {"commodity": commodity, "stage": stage, "year": years}
    params |= {"source": source, "reserves": reserves}

    def compute(st: Store) -> tuple[pd.DataFrame, dict[str, Any]]:
        from minsec.assess.supply import producer_shares

        frame = producer_shares(
            st,
            commodities=commodity,
            stage=None if reserves else stage,
            years=years,
            sources=source,
            measure="reserves" if reserves else "production",
        )
        return frame, frame_meta(frame)

    return await cached_answer(state, "producers", _key(params), format, compute)


@router.get(
    "/exposure",
    response_model=TableResponse,
    responses=FILE_RESPONSES,
    summary="Exposure of importers: imports, reliance, concentration, GeoPolRisk",
)
async def exposure(
    who: Viewer,
    state: State,
    importer: ImporterQ = "USA,JPN",
    year: Annotated[str, year_query("2024")] = "2024",
    commodity: CommodityQ = None,
    geopolrisk: Annotated[bool, Query(description="Add GeoPolRisk scores.")] = True,
    format: FormatQ = Format.json,
) -> Response:
    """One row per commodity × importer × year (as ``minsec assess exposure``)."""
    years = parse_years(year, state.settings.max_years)
    commodity = _opt(commodity)
    check_names(commodity=commodity, importer=importer)
    params: dict[str, Any] = {"importer": importer, "year": years, "commodity": commodity}
    params["geopolrisk"] = geopolrisk

    def compute(st: Store) -> tuple[pd.DataFrame, dict[str, Any]]:
        from minsec.assess.exposure import exposure as exposure_fn

        frame = exposure_fn(
            st, importer, years=years, commodities_=commodity, with_geopolrisk=geopolrisk
        )
        return frame, frame_meta(frame)

    return await cached_answer(state, "exposure", _key(params), format, compute)


@router.get(
    "/imports",
    response_model=TableResponse,
    responses=FILE_RESPONSES,
    summary="Imports by supplier: value, tonnes, shares, rank",
)
async def imports(
    who: Viewer,
    state: State,
    importer: ImporterQ = "USA",
    year: Annotated[str, year_query("2024")] = "2024",
    commodity: CommodityQ = None,
    top: TopQ = 0,
    format: FormatQ = Format.json,
) -> Response:
    """One row per commodity × importer × year × supplier (``minsec assess imports``)."""
    years = parse_years(year, state.settings.max_years)
    commodity = _opt(commodity)
    check_names(commodity=commodity, importer=importer)
    params: dict[str, Any] = {"importer": importer, "year": years, "commodity": commodity}
    params["top"] = top

    def compute(st: Store) -> tuple[pd.DataFrame, dict[str, Any]]:
        from minsec.assess.exposure import imports_by_supplier

        frame = imports_by_supplier(st, importer, years=years, commodities_=commodity)
        if top > 0:
            frame = frame[frame["rank"] <= top].reset_index(drop=True)
        return frame, frame_meta(frame)

    return await cached_answer(state, "imports", _key(params), format, compute)


def parse_weights(text: str | None) -> dict[str, float]:
    """``"import_concern=2,import_reliance=1"`` → weights (names are checked by rank)."""
    out: dict[str, float] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not sep or not name.strip() or not math.isfinite(number):
            raise InputError(
                f"weights item {item.strip()!r} must be NAME=NUMBER",
                column="weights",
                hint="e.g. weights=import_concern=2,import_reliance=1",
            )
        out[name.strip()] = number
    return out


@router.get(
    "/rank",
    response_model=TableResponse,
    responses=FILE_RESPONSES,
    summary="Criticality ranking with the drivers of each score",
)
async def rank(
    who: Viewer,
    state: State,
    importer: ImporterQ = "USA,JPN,like-minded",
    year: Annotated[int, Query(ge=1900, le=2100, description="Data year.")] = 2024,
    commodity: CommodityQ = None,
    weights: Annotated[
        str | None,
        Query(
            max_length=TEXT_LIMIT,
            description="Weight overrides NAME=VALUE, comma-separated. Names: "
            "production_concentration, production_governance, production_concern, "
            "import_reliance, import_concentration, import_concern.",
            examples=["import_concern=2"],
        ),
    ] = None,
    top: TopQ = 0,
    format: FormatQ = Format.json,
) -> Response:
    """One row per importer × material, sorted by criticality (``minsec assess rank``)."""
    w = parse_weights(weights)
    commodity = _opt(commodity)
    check_names(commodity=commodity, importer=importer)
    params: dict[str, Any] = {"importer": importer, "year": year, "commodity": commodity}
    params["top"] = top
    params["weights"] = tuple(sorted(w.items()))

    def compute(st: Store) -> tuple[pd.DataFrame, dict[str, Any]]:
        from minsec.assess.rank import rank as rank_fn

        frame = rank_fn(st, importer, year=year, weights=w, materials=commodity)
        meta = {"weights": frame.attrs.get("weights"), "year": year}
        if top > 0:
            frame = frame[frame["rank"] <= top].reset_index(drop=True)
        return frame, meta

    return await cached_answer(state, "rank", _key(params), format, compute)


def _opt(text: str | None) -> str | None:
    """An empty or blank optional list means "not given" (all), not "none"."""
    return text if text is not None and text.strip() else None


def _key(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters as hashable values for the cache key (lists → tuples)."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
