"""National stockpiles: party-private records (see :mod:`minsec.api.private`).

Reads for every role of the owning party and of the parties it is shared with; writes
for analysts and admins of the owning party. Never cached, never logged.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from minsec.api.answer import FormatQ, TableResponse, file_response
from minsec.api.auth import Analyst, State, Viewer
from minsec.api.serialize import FILE_RESPONSES, Format, body

router = APIRouter(prefix="/api/v1/stockpiles", tags=["private data"])

MAX_TONNES = 1e12
IdPath = Annotated[str, Path(max_length=64, description="Stockpile id (stk_…).")]


def _finite(value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


class StockpileIn(BaseModel):
    """A new stockpile (owned by the caller's party)."""

    model_config = ConfigDict(extra="forbid")

    commodity: str = Field(min_length=1, max_length=100, examples=["cobalt"])
    tonnes: float = Field(ge=0, le=MAX_TONNES, description="Quantity held, tonnes.")
    max_release_t_per_month: float | None = Field(
        default=None, ge=0, le=MAX_TONNES, description="Largest release per month, tonnes."
    )
    note: str | None = Field(default=None, max_length=2000)
    shared_with: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        default_factory=list,
        max_length=50,
        description="Parties (countries or blocs) that may read it, e.g. ['JPN'].",
    )

    _check = field_validator("tonnes", "max_release_t_per_month")(_finite)


class StockpilePatch(BaseModel):
    """Fields to change; ``shared_with`` replaces the list of parties."""

    model_config = ConfigDict(extra="forbid")

    commodity: str | None = Field(default=None, min_length=1, max_length=100)
    tonnes: float | None = Field(default=None, ge=0, le=MAX_TONNES)
    max_release_t_per_month: float | None = Field(default=None, ge=0, le=MAX_TONNES)
    note: str | None = Field(default=None, max_length=2000)
    shared_with: list[Annotated[str, Field(min_length=1, max_length=40)]] | None = Field(
        default=None, max_length=50
    )

    _check = field_validator("tonnes", "max_release_t_per_month")(_finite)

    @model_validator(mode="after")
    def _required_not_null(self) -> StockpilePatch:
        for name in ("commodity", "tonnes"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null; leave it out to keep it")
        return self


class StockpileOut(BaseModel):
    """A stockpile as the caller's party may see it."""

    id: str
    owner_party: str
    commodity: str
    tonnes: float
    max_release_t_per_month: float | None
    note: str | None
    shared_with: list[str]
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str


@router.get(
    "",
    response_model=TableResponse,
    responses=FILE_RESPONSES,
    summary="Stockpiles your party owns or that are shared with it",
)
async def list_stockpiles(
    who: Viewer,
    state: State,
    commodity: Annotated[str | None, Query(max_length=100)] = None,
    format: FormatQ = Format.json,
) -> Response:
    """Only your party's stockpiles and those shared with it exist in this answer."""

    def work() -> bytes:
        rows = [s.as_dict() for s in state.stockpiles.visible(who.party, commodity=commodity)]
        frame = pd.DataFrame(rows, columns=list(StockpileOut.model_fields))
        if format is not Format.json:
            frame["shared_with"] = frame["shared_with"].map(";".join)
        meta: dict[str, Any] = {"party": who.party, "rows": len(frame)}
        return body(frame, format, meta)

    return file_response(await run_in_threadpool(work), format, "stockpiles")


@router.post(
    "", status_code=201, response_model=StockpileOut, summary="Record a stockpile of your party"
)
def create_stockpile(item: StockpileIn, who: Analyst, state: State) -> dict[str, Any]:
    """Create a stockpile owned by your party (analyst or admin)."""
    return state.stockpiles.create(who, **item.model_dump()).as_dict()


@router.get("/{stockpile_id}", response_model=StockpileOut, summary="One stockpile")
def get_stockpile(stockpile_id: IdPath, who: Viewer, state: State) -> dict[str, Any]:
    """404 when it does not exist *or* is not visible to your party."""
    return state.stockpiles.get(who.party, stockpile_id).as_dict()


@router.patch("/{stockpile_id}", response_model=StockpileOut, summary="Change or share")
def update_stockpile(
    stockpile_id: IdPath, changes: StockpilePatch, who: Analyst, state: State
) -> dict[str, Any]:
    """Change fields of your party's stockpile; ``shared_with`` sets who may read it."""
    values = changes.model_dump(exclude_unset=True)
    return state.stockpiles.update(who, stockpile_id, values).as_dict()


@router.delete("/{stockpile_id}", status_code=204, summary="Delete a stockpile")
def delete_stockpile(stockpile_id: IdPath, who: Analyst, state: State) -> Response:
    """Delete your party's stockpile (the audit log keeps the record of it)."""
    state.stockpiles.delete(who, stockpile_id)
    return Response(status_code=204)
