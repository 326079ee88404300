"""``/api/v1/coverage``: which commodities, stages and years the store has production for.

The dashboard uses it to offer only minerals the store can map (the catalog lists more
commodities than any one source covers) and to default to the latest year with data.
A read of the store, cached like the other indicators.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from fastapi import APIRouter
from fastapi.responses import Response

from minsec.api.answer import FormatQ, TableResponse, cached_answer
from minsec.api.auth import State, Viewer
from minsec.api.serialize import FILE_RESPONSES, Format
from minsec.store import Store

router = APIRouter(prefix="/api/v1", tags=["data"])

COVERAGE_SQL = """
    SELECT commodity, stage, source, unit,
           min(year) AS first_year,
           max(year) AS last_year,
           count(DISTINCT year) AS n_years,
           count(DISTINCT country) AS n_countries
    FROM production
    WHERE quantity > 0
    GROUP BY commodity, stage, source, unit
    ORDER BY commodity, stage, source
"""


def coverage_frame(store: Store) -> pd.DataFrame:
    """One row per commodity × stage × source × unit with production above zero.

    Columns: ``commodity``, ``commodity_name`` (catalog name), ``stage``, ``source``,
    ``unit``, ``first_year``, ``last_year``, ``n_years``, ``n_countries`` (producing
    countries over all years).
    """
    from minsec.catalog import commodities

    frame = store.query(COVERAGE_SQL)
    names = {c.id: c.name for c in commodities.commodities()}
    frame.insert(1, "commodity_name", [names.get(c, c) for c in frame["commodity"]])
    for column in ("first_year", "last_year", "n_years", "n_countries"):
        frame[column] = frame[column].astype("int64")
    return frame


@router.get(
    "/coverage",
    response_model=TableResponse,
    responses=FILE_RESPONSES,
    summary="Commodities, stages and years with production data",
)
async def coverage(who: Viewer, state: State, format: FormatQ = Format.json) -> Response:
    """One row per commodity × stage × source: unit, first and last year, producers."""

    def compute(st: Store) -> tuple[pd.DataFrame, dict[str, Any]]:
        units = {"first_year": "year", "last_year": "year", "n_countries": "countries"}
        return coverage_frame(st), {"units": units, "table": "production"}

    return await cached_answer(state, "coverage", {}, format, compute)
