"""Data status and the catalog: ``/api/v1/status``, ``/api/v1/catalog/*``."""

from __future__ import annotations

from typing import Any

import pandas as pd
from fastapi import APIRouter
from fastapi.responses import Response

from minsec.api.answer import FormatQ, TableResponse, cached_answer
from minsec.api.auth import State, Viewer
from minsec.api.serialize import FILE_RESPONSES, Format
from minsec.catalog.tables import blocs_frame, commodities_frame, countries_frame
from minsec.store import Store

router = APIRouter(prefix="/api/v1", tags=["data"])


@router.get(
    "/status",
    response_model=TableResponse,
    responses=FILE_RESPONSES,
    summary="What the store holds",
)
async def status(who: Viewer, state: State, format: FormatQ = Format.json) -> Response:
    """One row per imported source: kind, version, rows, tables, years, commodities.

    Also the checksum and import time; ``meta.counts`` has the rows per table.
    """

    def compute(st: Store) -> tuple[pd.DataFrame, dict[str, Any]]:
        from minsec.store.summary import summary

        return summary(st), {"counts": st.counts()}

    return await cached_answer(state, "status", {}, format, compute)


@router.get(
    "/catalog/commodities",
    response_model=TableResponse,
    responses=FILE_RESPONSES,
    summary="Commodities with HS codes and source names",
)
async def catalog_commodities(who: Viewer, state: State, format: FormatQ = Format.json) -> Response:
    """The commodity vocabulary (ids accepted by every ``commodity`` parameter)."""
    return await cached_answer(
        state, "catalog-commodities", {}, format, lambda st: (commodities_frame(), {})
    )


@router.get(
    "/catalog/countries",
    response_model=TableResponse,
    responses=FILE_RESPONSES,
    summary="Countries with ISO and BACI codes",
)
async def catalog_countries(who: Viewer, state: State, format: FormatQ = Format.json) -> Response:
    """The country vocabulary (ids accepted by every ``importer`` parameter)."""
    return await cached_answer(
        state, "catalog-countries", {}, format, lambda st: (countries_frame(), {})
    )


@router.get(
    "/catalog/blocs",
    response_model=TableResponse,
    responses=FILE_RESPONSES,
    summary="Blocs and their members",
)
async def catalog_blocs(who: Viewer, state: State, format: FormatQ = Format.json) -> Response:
    """Blocs (like-minded, G7, countries-of-concern, …) with their member countries."""
    return await cached_answer(state, "catalog-blocs", {}, format, lambda st: (blocs_frame(), {}))
