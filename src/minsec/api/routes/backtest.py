"""The back-test: ``/api/v1/backtest``.

The model run on the named real cases (export restrictions and physical outages) and
compared, row by row, with the trade and prices observed after them
(:func:`minsec.disrupt.backtest.backtest`). ``data`` holds one row per comparison
(predicted and observed change, error, whether the row counts in the MAE, the data note
of a known or screened defect); ``meta.summary`` the mean absolute errors by statistic and
set, the rows with the wrong direction and the cases the store could not compare. With
``placebo=true`` every row also gets its flow in event-free years (the market's own swing)
and its noise floor, and ``meta.placebo`` the swing and the floor beside the model's MAE
(:mod:`minsec.disrupt.backtest_placebo`). The answer is cached per store (a back-test of
every case takes a few seconds; the placebo about one more).
"""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Query
from fastapi.responses import Response

from minsec.api.answer import FormatQ, TableResponse, cached_answer
from minsec.api.auth import State, Viewer
from minsec.api.serialize import FILE_RESPONSES, Format, json_safe
from minsec.errors import InputError
from minsec.store import Store

router = APIRouter(prefix="/api/v1", tags=["scenarios"])

CaseQ = Annotated[
    str | None,
    Query(
        max_length=2000,
        description="Comma-separated named scenarios with a backtest section (default: all).",
    ),
]


PlaceboQ = Annotated[
    bool,
    Query(
        description="Also the same flows in earlier years without an event: the market's own "
        "swing and the error floor it puts under any model (columns placebo_* and "
        "noise_floor_pp, meta.placebo).",
    ),
]


def _cases(case: str | None) -> list[str]:
    if case is None:
        return []
    names = [c.strip() for c in case.split(",") if c.strip()]
    if not names:
        raise InputError("case is empty", column="case", hint="e.g. china-graphite-2023")
    return names


@router.get(
    "/backtest",
    response_model=TableResponse,
    responses=FILE_RESPONSES,
    summary="Back-test: predicted against observed trade and prices after real measures",
)
async def backtest(
    who: Viewer,
    state: State,
    case: CaseQ = None,
    placebo: PlaceboQ = False,
    format: FormatQ = Format.json,
) -> Response:
    """Every comparison of the real cases, and the MAE by statistic and set in ``meta``."""
    from minsec.disrupt.backtest import backtest_scenarios

    names = _cases(case)
    backtest_scenarios(names)  # an unknown case, or one without a backtest: 422 at once

    def compute(st: Store) -> tuple[pd.DataFrame, dict[str, Any]]:
        from minsec.disrupt import backtest_placebo as pl
        from minsec.disrupt.backtest import backtest as run
        from minsec.disrupt.backtest import summarize

        extra: dict[str, Any] = {}
        if placebo:
            frame, found = pl.backtest_with_placebo(st, names or None)
            extra["placebo"] = json_safe(pl.placebo_summary(frame, found))
        else:
            frame = run(st, names or None)
        summary = summarize(frame)
        sets = dict(zip(frame["scenario"], frame["set"], strict=False))
        return frame, {
            "summary": json_safe(summary.as_dict()),
            "lines": summary.lines(),
            "cases": {name: sets.get(name, "") for name in sorted(set(frame["scenario"]))},
            **extra,
        }

    params = {"case": ",".join(names), "placebo": placebo}
    return await cached_answer(state, "backtest", params, format, compute)
