"""``/api/v1/audit``: the audit log, read-only, for admins of the entries' party."""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from minsec.api.answer import FormatQ, TableResponse, file_response
from minsec.api.auth import Admin, State
from minsec.api.serialize import FILE_RESPONSES, Format, body

router = APIRouter(prefix="/api/v1", tags=["audit"])

COLUMNS = ["id", "at", "user", "party", "action", "object", "detail", "hash"]


@router.get(
    "/audit",
    response_model=TableResponse,
    responses=FILE_RESPONSES,
    summary="Audit log of your party (admins)",
)
async def audit_log(
    who: Admin,
    state: State,
    action: Annotated[str | None, Query(max_length=100, examples=["stockpile.create"])] = None,
    after_id: Annotated[int, Query(ge=0, le=2**62, description="Entries after this id.")] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    format: FormatQ = Format.json,
) -> Response:
    """Entries of your party, oldest first: who did what, when.

    There is no way to change or delete an entry; ``meta.chain_intact`` says whether the
    hash chain verifies.
    """

    def work() -> bytes:
        entries = state.audit.entries(who.party, action=action, after_id=after_id, limit=limit)
        frame = pd.DataFrame(
            [
                {
                    "id": e.id,
                    "at": e.at.isoformat(),
                    "user": e.user,
                    "party": e.party,
                    "action": e.action,
                    "object": e.object,
                    "detail": e.detail,
                    "hash": e.hash,
                }
                for e in entries
            ],
            columns=COLUMNS,
        )
        if format is not Format.json:
            import json

            frame["detail"] = frame["detail"].map(lambda d: json.dumps(d, sort_keys=True))
        meta: dict[str, Any] = {
            "party": who.party,
            "rows": len(frame),
            "chain_intact": state.audit.verify() is None,
        }
        return body(frame, format, meta)

    return file_response(await run_in_threadpool(work), format, "audit")
