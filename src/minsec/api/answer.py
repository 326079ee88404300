"""Query parameters shared by the data endpoints, and the cached answer of a computation."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

import pandas as pd
from fastapi import Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from minsec.api import cache as cache_mod
from minsec.api.serialize import MEDIA_TYPES, Format, body
from minsec.api.state import AppState
from minsec.errors import InputError
from minsec.store import Store

MIN_YEAR, MAX_YEAR = 1900, 2100
TEXT_LIMIT = 500


class TableResponse(BaseModel):
    """A JSON data answer: metadata and one object per row."""

    meta: dict[str, Any] = Field(description="Parameters, units, method notes, provenance.")
    data: list[dict[str, Any]] = Field(description="One object per row.")


FormatQ = Annotated[
    Format,
    Query(description="json (default) = {meta, data}; csv or parquet = a file download."),
]
CommodityQ = Annotated[
    str | None,
    Query(
        max_length=TEXT_LIMIT,
        description="Commodities (ids or names), comma-separated; default all.",
        examples=["cobalt,graphite"],
    ),
]
ImporterQ = Annotated[
    str,
    Query(
        min_length=1,
        max_length=TEXT_LIMIT,
        description="Countries (ISO3 or names) and blocs, comma-separated.",
        examples=["USA,JPN,like-minded"],
    ),
]
StageQ = Annotated[
    str | None,
    Query(max_length=TEXT_LIMIT, description="Stage(s): mine, refinery, …; default all."),
]
SourceQ = Annotated[
    str | None,
    Query(max_length=TEXT_LIMIT, description="Production source ids, comma-separated."),
]


def year_query(default: str) -> Any:
    """The ``year`` parameter: a year, a range ``2018-2024`` or a comma list."""
    return Query(
        max_length=200,
        description="A year, a range (2018-2024) or a comma list (2018,2020).",
        examples=[default],
    )


def parse_years(text: str, max_years: int, field: str = "year") -> list[int]:
    """``"2024"``, ``"2018-2024"`` or ``"2018,2020"`` → sorted years, checked."""
    years: set[int] = set()
    bad = InputError(
        f"{field}={text!r} is not a year, a range like 2018-2024 or a comma list",
        column=field,
        hint=f"years between {MIN_YEAR} and {MAX_YEAR}",
    )
    for raw in text.split(","):
        part = raw.strip()
        if not part:
            continue
        lo_text, sep, hi_text = part.partition("-")
        try:
            lo = int(lo_text)
            hi = int(hi_text) if sep else lo
        except ValueError:
            raise bad from None
        if not (MIN_YEAR <= lo <= hi <= MAX_YEAR):
            raise bad
        if hi - lo + 1 > max_years:
            raise InputError(
                f"{field}={text!r} spans {hi - lo + 1} years; at most {max_years} per query",
                column=field,
            )
        years.update(range(lo, hi + 1))
    if not years:
        raise InputError(f"{field} is empty", column=field, hint="e.g. 2024 or 2018-2024")
    if len(years) > max_years:
        raise InputError(
            f"{field}={text!r} names {len(years)} years; at most {max_years} per query",
            column=field,
        )
    return sorted(years)


def check_names(*, commodity: str | None = None, importer: str | None = None) -> None:
    """Resolve comma lists of commodities and importers before computing.

    An unknown name is then a 422 naming the parameter, with the catalog's hint.
    """
    from minsec.catalog import blocs, commodities

    for field, text in (("commodity", commodity), ("importer", importer)):
        for raw in (text or "").split(","):
            name = raw.strip()
            if not name:
                continue
            try:
                if field == "commodity":
                    commodities.resolve(name)
                else:
                    blocs.resolve_party(name)
            except InputError as exc:
                raise InputError(exc.message, column=field, hint=exc.hint) from None


Compute = Callable[[Store], tuple[pd.DataFrame, dict[str, Any]]]


def file_response(content: bytes, fmt: Format, name: str) -> Response:
    """A response with the media type of ``fmt`` (a download for CSV and Parquet)."""
    headers = None
    if fmt is not Format.json:
        headers = {"Content-Disposition": f'attachment; filename="{name}.{fmt.value}"'}
    return Response(content=content, media_type=MEDIA_TYPES[fmt], headers=headers)


async def cached_answer(
    state: AppState,
    endpoint: str,
    params: Mapping[str, Any],
    fmt: Format,
    compute: Compute,
) -> Response:
    """Serve ``compute``'s frame in ``fmt``, from the LRU cache when it holds the answer.

    The key is the endpoint, the parameters and the store's provenance checksum. Only
    public indicators go through here (never party-private records).
    """
    known = state.stores.known_checksum
    checksum = known if known is not None else await run_in_threadpool(state.stores.checksum)
    key = cache_mod.key(endpoint, params, checksum)
    hit = state.cache.get((key, fmt.value))
    if hit is not None:
        return file_response(hit, fmt, endpoint)

    def work() -> bytes:
        cached = state.cache.get((key, "frame"))
        if cached is None:
            frame, meta = compute(state.stores.get())
            meta = {
                "endpoint": endpoint,
                "params": dict(params),
                "rows": len(frame),
                "store_checksum": checksum,
                **meta,
            }
            cached = (frame, meta)
            state.cache.put((key, "frame"), cached)
        frame, meta = cached
        return body(frame, fmt, meta)

    content = await run_in_threadpool(work)
    state.cache.put((key, fmt.value), content)
    return file_response(content, fmt, endpoint)
