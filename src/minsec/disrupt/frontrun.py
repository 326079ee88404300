"""Buying ahead of an announced restriction: the stocks built in the baseline year.

A ban announced months or years before it starts (Indonesia's ore bans of 2014 and 2020,
the bauxite ban of 2023) makes buyers import more while they still can: Indonesia's
nickel ore exports rose from 37–46 Mt in 2011–2012 to 58 Mt in 2013, its bauxite from
29–39 Mt to 53 Mt. When the baseline year lies between the announcement and the start,
its apparent consumption counts those tonnes as consumed although they went into stock,
and the model would start the ban with no more than the usual working stock.

:func:`excess_imports` measures, per importer, the imports from the announcing exporter in
the baseline year above their mean over the two years before (what was bought ahead, at
most the importer's apparent consumption); :func:`without_stockbuilding` takes them out
of the baseline's consumption. The scenario layer gives them back as commercial stock at
the start (``Responses.commercial_stock_t``), drawn like the other inventories.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from .model import Baseline, BoolArray, FloatArray


def _row_on(b: Baseline, other: Baseline, exporter: str) -> FloatArray:
    """``other``'s exports of ``exporter`` to each country of ``b`` (0 where absent)."""
    out = np.zeros(b.n)
    if exporter not in other.countries:
        return out
    k = other.index(exporter)
    pos = {c: i for i, c in enumerate(other.countries)}
    for j, country in enumerate(b.countries):
        i = pos.get(country)
        if i is not None:
            out[j] = float(other.trade_t[k, i])
    return out


def excess_imports(
    b: Baseline, earlier: Sequence[Baseline], events: Sequence[tuple[str, BoolArray]]
) -> FloatArray:
    """``(n, n)`` tonnes bought ahead: row k = exporter, column j = importer.

    Parameters
    ----------
    b:
        The baseline (the year before the restriction starts, after its announcement).
    earlier:
        Baselines of earlier years (same stage, basket and units): the trend is their mean.
    events:
        ``(exporter, targets)`` of each announced restriction: the importers (``(n,)``
        mask) whose imports from the exporter count.

    Returns
    -------
    numpy.ndarray
        ``max(T_kj − mean(T_kj before), 0)`` for the events' exporters k and targets j, an
        importer's total at most its apparent consumption (what went beyond it was
        re-exported, not stocked: the flows are scaled down alike).
    """
    out = np.zeros((b.n, b.n))
    if not earlier:
        return out
    trade = np.asarray(b.trade_t, dtype=float)
    for exporter, targets in events:
        if exporter not in b.countries:
            continue
        k = b.index(exporter)
        trend = np.mean([_row_on(b, e, exporter) for e in earlier], axis=0)
        extra = np.where(np.asarray(targets, dtype=bool), np.maximum(trade[k] - trend, 0.0), 0.0)
        out[k] = np.maximum(out[k], extra)
    total = out.sum(axis=0)
    consumption = np.asarray(b.consumption_t, dtype=float)
    scale = np.where(total > consumption, consumption / np.where(total > 0, total, 1.0), 1.0)
    result: FloatArray = out * scale[None, :]
    return result


def without_stockbuilding(b: Baseline, ahead: FloatArray) -> Baseline:
    """The baseline without the tonnes bought ahead (a new object; ``ahead`` ``(n, n)``).

    The importers' consumption and their imports from the exporter fall by those tonnes
    (they went into stock; the flow the ban withholds is the usual one), and the exporter's
    production by what it shipped ahead (its own consumption is unchanged).
    """
    if not np.any(ahead > 0):
        return b
    stock = ahead.sum(axis=0)
    consumption = np.maximum(np.asarray(b.consumption_t, dtype=float) - stock, 0.0)
    trade = np.maximum(np.asarray(b.trade_t, dtype=float) - ahead, 0.0)
    production = np.maximum(np.asarray(b.production_t, dtype=float) - ahead.sum(axis=1), 0.0)
    note = (
        f"bought ahead: {float(stock.sum()):,.0f} t imported in {b.year} ahead of an "
        "announced restriction (above the mean of the two years before) are stock at the "
        "start, not consumption; the flows the restriction withholds are the usual ones"
    )
    return replace(
        b, consumption_t=consumption, trade_t=trade, production_t=production,
        notes=(*b.notes, note),
    )  # fmt: skip
