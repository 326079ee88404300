"""The curve of cost against the target's cap: parametric solves, pooled and alone."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from minsec.disrupt.stockpile_sizing.lp import Sizer
from minsec.disrupt.stockpile_sizing.problem import FloatArray, Sizing
from minsec.disrupt.stockpile_sizing.target import Target
from minsec.errors import InputError

CURVE_POINTS = 6
MAX_CURVE_POINTS = 41


def curve_levels(before: FloatArray, target: Target, points: int) -> list[float]:
    """The caps of the curve, descending.

    ``points`` caps from 0 to the largest risk without stock, and the target's own cap.
    """
    if not 2 <= points <= MAX_CURVE_POINTS:
        raise InputError(
            f"curve points must be between 2 and {MAX_CURVE_POINTS}, got {points}",
            column="curve_points",
        )
    top = float(np.nanmax(before)) if np.isfinite(before).any() else 0.0
    top = min(top, 1.0 - 1e-9) if target.kind == "probability" else top
    levels = {round(x, 12) for x in np.linspace(0.0, top, points)} | {target.level}
    return sorted(levels, reverse=True)


def trace_curve(
    sizers: Mapping[bool, Sizer],
    points: int,
    progress: Callable[[float], None] | None = None,
    known: Mapping[bool, Sizing] | None = None,
) -> pd.DataFrame:
    """Cost and stock of the cheapest pooled and alone stocks for each cap of the curve.

    ``sizers`` maps pooled (True/False) to a :class:`~.Sizer` of the same problem and
    target: parametric solves of one model each (only the target rows' bounds change).
    ``known`` maps pooled to a sizing at the target's own cap, reused for that point. A
    cap the limits make unreachable gives a row with ``<mode>_feasible`` False.
    """
    first = sizers[True]
    target, problem = first.target, first.problem
    levels = curve_levels(first.before, target, points)
    rows = []
    for i, level in enumerate(levels):
        row: dict[str, Any] = {"level_pct": 100.0 * level, "is_target": level == target.level}
        for pooled in (True, False):
            mode = "pooled" if pooled else "alone"
            try:
                if known is not None and pooled in known and level == target.level:
                    s = known[pooled]
                    if s.status == "infeasible":
                        raise InputError("infeasible")
                else:
                    s = sizers[pooled].at(level)
            except InputError:
                row |= {f"{mode}_stock_t": math.nan, f"{mode}_cost_usd_per_year": math.nan,
                        f"{mode}_feasible": False, f"{mode}_status": "infeasible"}  # fmt: skip
                continue
            row |= {
                f"{mode}_stock_t": s.total_t,
                f"{mode}_cost_usd_per_year": s.cost_usd_per_year,
                f"{mode}_feasible": True,
                f"{mode}_status": s.status,
            }
            for q, name in enumerate(problem.partners):
                row[f"{mode}_stock_{name}_t"] = float(s.stock_t[q])
        alone_cost = row.get("alone_cost_usd_per_year", math.nan)
        pooled_cost = row.get("pooled_cost_usd_per_year", math.nan)
        row["saving_pct"] = (
            100.0 * (alone_cost - pooled_cost) / alone_cost if alone_cost > 0 else 0.0
        )
        rows.append(row)
        if progress is not None:
            progress((i + 1) / len(levels))
    return pd.DataFrame(rows)
