"""Months of cover of industry stocks, from published statistics (USGS salient statistics).

The engine's consumers' inventories (``inventory_months``) are judgements for most
commodities. Where a publisher gives the stocks that industry holds and its consumption of
the same product, their ratio is a measured months of cover: :func:`months_of_cover`
computes it per year and its median over the years, and
``scripts/derive_backtest_observations.py`` writes the packaged table
``disrupt/data/inventory_cover.csv`` from the USGS Mineral Commodity Summaries 2025 data
release. The figures are **US** stocks and consumption: a sourced proxy for buyers'
working stocks elsewhere, not a measure of them; ``parameters.toml`` says, per commodity,
whether it uses the table or a judgement (and why).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from io import StringIO
from statistics import median
from typing import Any

import pandas as pd

from minsec.errors import InputError

COLUMNS = (
    "commodity",
    "stage",
    "stocks",
    "consumption",
    "years",
    "months_min",
    "months_median",
    "months_max",
    "publisher",
    "dataset",
    "file",
)
"""Columns of the packaged table (one row per commodity and stage)."""


@dataclass(frozen=True)
class CoverSpec:
    """Which statistics of a salient file measure a stage's stocks and consumption."""

    commodity: str
    stage: str
    stocks: str
    consumption: str


def months_of_cover(
    rows: Iterable[Mapping[str, Any]], spec: CoverSpec, *, where: str = "salient rows"
) -> dict[str, Any]:
    """Stocks ÷ (consumption / 12) per year, with the years' minimum, median and maximum.

    ``rows`` are salient records (``year``, ``statistic``, ``value``, as
    :func:`minsec.sources.usgs_salient.parse_table` returns them). Years where either value
    is missing or withheld are left out; none left is an error naming the statistics.
    """
    by_year: dict[int, dict[str, float]] = {}
    for r in rows:
        if r["statistic"] in (spec.stocks, spec.consumption) and r["value"] is not None:
            by_year.setdefault(int(r["year"]), {})[str(r["statistic"])] = float(r["value"])
    months = {
        year: 12.0 * v[spec.stocks] / v[spec.consumption]
        for year, v in sorted(by_year.items())
        if spec.stocks in v and v.get(spec.consumption, 0.0) > 0
    }
    if not months:
        raise InputError(
            f"no year with both {spec.stocks} and {spec.consumption} for {spec.commodity}",
            path=where,
        )
    values = list(months.values())
    return {
        "commodity": spec.commodity,
        "stage": spec.stage,
        "stocks": spec.stocks,
        "consumption": spec.consumption,
        "years": f"{min(months)}-{max(months)}",
        "months_min": round(min(values), 2),
        "months_median": round(median(values), 2),
        "months_max": round(max(values), 2),
    }


@cache
def packaged_cover() -> pd.DataFrame:
    """The packaged table ``disrupt/data/inventory_cover.csv`` (see the module docstring)."""
    text = (
        resources.files("minsec.disrupt")
        .joinpath("data/inventory_cover.csv")
        .read_text(encoding="utf-8")
    )
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    frame = pd.read_csv(StringIO("\n".join(lines)), dtype={"years": str})
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        where = "minsec/disrupt/data/inventory_cover.csv"
        raise InputError(f"missing columns {missing}", path=where)
    return frame
