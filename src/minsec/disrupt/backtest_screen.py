"""Screen of the store's trade observations for quantity defects, by rule.

Some BACI quantities are wrong (a flow's tonnage off by a factor at an unchanged value), and
a case whose event's flow is barely in the data measures noise. The back-test
(:mod:`minsec.disrupt.backtest`) runs two rules on the store's trade before anyone reads its
results, and notes the rows they touch (``data_note``, as the hand-written defects):

* **Unit-value jumps** (:func:`unit_value_flags`). In each year the comparisons use (the
  baseline year and each observed year), every bilateral flow of the basket into the row's
  importers that carries at least :data:`MIN_SHARE` of the group's quantity or value that
  year is priced against the rest of the world's trade of the basket: its **relative unit
  value** is its USD/t divided by the unit value (value / quantity) of all the *other*
  flows of the basket that year. A world-wide price change moves every flow alike and
  leaves the ratio alone; a wrong quantity moves one flow only. The flow's ratio is
  compared with its median over the years before and over the years after it within a
  window (:data:`WINDOW_YEARS` either side, where the flow has a quantity; at least
  :data:`MIN_REFERENCE_YEARS` in all; medians of logarithms); beyond a factor
  :data:`UNIT_VALUE_FACTOR`, the same way against both sides (or the only side), the
  year's quantities of that flow are suspect. A ratio that moves once and stays (the
  flow's product or market changed) differs from one side only and is not flagged.
* **Coverage of the event's flow** (:func:`coverage_flags`). An exporter the events hit
  whose baseline exports in the store (trade units) are below :data:`MIN_COVERAGE` of its
  production in the same units: the event's flow is barely in the data. Baselines in value
  terms carry no production and are not screened.

Functions here are pure: they read the trade frames of :func:`minsec.assess._trade.load_flows`
and a :class:`~minsec.disrupt.model.Baseline`; which rows a flag touches is decided by the
back-test.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from minsec.assess._trade import DEFAULT_TRADE_SOURCE
from minsec.catalog import countries

from .model import Baseline

#: A flow's relative unit value this many times above or below its usual one is suspect.
UNIT_VALUE_FACTOR = 2.5
#: Flows screened: at least this share of the group's quantity or value in the year.
MIN_SHARE = 0.05
#: The reference window: the store's years within this many years of the screened one.
WINDOW_YEARS = 3
#: Reference years (with a quantity of the flow) needed to judge a year.
MIN_REFERENCE_YEARS = 2
#: Exports of an exporter the events hit below this share of its production are flagged.
MIN_COVERAGE = 0.10

FLOW_COLUMNS = ("year", "exporter", "importer", "value_kusd", "quantity_t", "value_no_qty_kusd")
"""Columns the screen reads from a trade frame (:func:`minsec.assess._trade.load_flows`)."""


@dataclass(frozen=True)
class UnitValueFlag:
    """A year whose quantity of one flow is suspect: its unit value jumps against the rest.

    Attributes
    ----------
    exporter, importer, year:
        The flow and the year.
    usd_per_t:
        The flow's unit value that year (USD per tonne gross).
    factor:
        Its relative unit value that year divided by its median over the reference years
        before or after it, whichever is nearer (above 1: dearer than usual against the
        basket's other flows, i.e. too few tonnes; below 1: too many).
    reference_years:
        The years of the window the medians are taken over.
    """

    exporter: str
    importer: str
    year: int
    usd_per_t: float
    factor: float
    reference_years: tuple[int, ...]

    def note(self, source_label: str = "BACI") -> str:
        """The ``data_note`` text: the flow, the year, its USD/t and the reference."""
        return (
            f"screen: {source_label} quantity {self.exporter}→{self.importer} {self.year} at "
            f"{self.usd_per_t:,.0f} USD/t, {self.factor:.2g}× its usual ratio to the basket's "
            f"other flows ({year_spans(self.reference_years)}): quantities suspect"
        )


@dataclass(frozen=True)
class CoverageFlag:
    """An exporter the events hit whose exports in the store are a sliver of its production.

    ``exports`` and ``production`` are in the baseline's trade units (``unit``).
    """

    exporter: str
    year: int
    exports: float
    production: float
    unit: str = "t"

    @property
    def share(self) -> float:
        """Exports / production."""
        return self.exports / self.production

    def note(self) -> str:
        """The ``data_note`` text."""
        return (
            f"screen: the store holds {self.exports:,.0f} {self.unit} of "
            f"{countries.name_of(self.exporter)}'s exports in {self.year} against "
            f"{self.production:,.0f} {self.unit} of production in trade units "
            f"({100 * self.share:.1f} %): the event's flow is barely in the data"
        )


def year_spans(years: Iterable[int]) -> str:
    """``2019–2021, 2023`` for 2019, 2020, 2021 and 2023."""
    ordered = sorted(set(years))
    spans: list[list[int]] = []
    for y in ordered:
        if spans and y == spans[-1][-1] + 1:
            spans[-1].append(y)
        else:
            spans.append([y])
    return ", ".join(str(s[0]) if len(s) == 1 else f"{s[0]}–{s[-1]}" for s in spans)


def source_label(source: str) -> str:
    """How a note names a trade source: ``BACI`` for BACI files and the embedded data."""
    return "BACI" if source == DEFAULT_TRADE_SOURCE or source.lower().startswith("baci") else source


def window(years: Iterable[int]) -> list[int]:
    """The years to read for screening ``years``: each within :data:`WINDOW_YEARS`."""
    return sorted({y + k for y in years for k in range(-WINDOW_YEARS, WINDOW_YEARS + 1)})


def relative_unit_values(flows: pd.DataFrame) -> pd.DataFrame:
    """Each flow's unit value and its ratio to the unit value of the year's other flows.

    ``flows``: bilateral flows of one basket (:data:`FLOW_COLUMNS`, one row per year,
    exporter and importer; flows within a country are dropped). Value without a quantity
    (``value_no_qty_kusd``) is left out of unit values. Returns the flows with a quantity,
    with ``usd_per_t`` and ``ratio`` (NaN where the other flows of the year have no
    quantity).
    """
    f = flows[flows["exporter"] != flows["importer"]]
    f = f.assign(
        priced_kusd=f["value_kusd"].astype(float) - f["value_no_qty_kusd"].fillna(0.0),
        quantity_t=f["quantity_t"].fillna(0.0).astype(float),
    )
    f = f[(f["quantity_t"] > 0) & (f["priced_kusd"] > 0)]
    year_value = f.groupby("year")["priced_kusd"].transform("sum")
    year_qty = f.groupby("year")["quantity_t"].transform("sum")
    other_qty = year_qty - f["quantity_t"]
    with np.errstate(divide="ignore", invalid="ignore"):
        others = 1000.0 * (year_value - f["priced_kusd"]) / other_qty.where(other_qty > 0)
    usd = 1000.0 * f["priced_kusd"] / f["quantity_t"]
    return f[["year", "exporter", "importer", "priced_kusd", "quantity_t"]].assign(
        usd_per_t=usd, others_usd_per_t=others, ratio=usd / others
    )


def unit_value_flags(
    flows: pd.DataFrame, importers: Collection[str], years: Sequence[int]
) -> list[UnitValueFlag]:
    """Flows into ``importers`` whose unit value jumps against the basket's other flows.

    Parameters
    ----------
    flows:
        Bilateral flows of the basket (:data:`FLOW_COLUMNS`) over the window of ``years``
        (:func:`window`): the whole world, not only ``importers``.
    importers:
        The group of importers of the compared rows.
    years:
        The years to screen (the baseline year and the observed years).

    Returns
    -------
    list of UnitValueFlag
        One per flow and screened year whose relative unit value (:func:`relative_unit_values`)
        is more than :data:`UNIT_VALUE_FACTOR` times above (or below) its median over the
        window's earlier years *and* its median over the window's later years (one side
        where the window has years on one side only; at least :data:`MIN_REFERENCE_YEARS`
        in all), for the flows that carry at least :data:`MIN_SHARE` of the group's
        quantity or value that year. Both sides are needed so that a lasting change of
        a flow's product or market (its ratio moves once and stays) is not taken for a
        one-year error of its quantity; the flag's ``factor`` is the nearer of the two.
    """
    group = flows[flows["importer"].isin(set(importers)) & (flows["exporter"] != flows["importer"])]
    rel = relative_unit_values(flows)
    rel = rel[rel["ratio"].notna() & (rel["ratio"] > 0)]
    log_ratio = {
        (e, i, int(y)): math.log(r)
        for e, i, y, r in zip(rel["exporter"], rel["importer"], rel["year"], rel["ratio"],
                              strict=True)
    }  # fmt: skip
    usd = {
        (e, i, int(y)): float(u)
        for e, i, y, u in zip(rel["exporter"], rel["importer"], rel["year"], rel["usd_per_t"],
                              strict=True)
    }  # fmt: skip
    limit = math.log(UNIT_VALUE_FACTOR)
    out: list[UnitValueFlag] = []
    for year in sorted(set(years)):
        g = group[group["year"] == year]
        qty = g["quantity_t"].fillna(0.0).astype(float)
        value = g["value_kusd"].astype(float)
        q_total, v_total = float(qty.sum()), float(value.sum())
        big = ((qty >= MIN_SHARE * q_total) & (q_total > 0)) | (
            (value >= MIN_SHARE * v_total) & (v_total > 0)
        )
        for e, i in sorted(zip(g.loc[big, "exporter"], g.loc[big, "importer"], strict=True)):
            here = log_ratio.get((e, i, year))
            if here is None:
                continue
            before = [y for y in range(year - WINDOW_YEARS, year) if (e, i, y) in log_ratio]
            after = [y for y in range(year + 1, year + WINDOW_YEARS + 1) if (e, i, y) in log_ratio]
            if len(before) + len(after) < MIN_REFERENCE_YEARS:
                continue
            jumps = [
                here - float(np.median([log_ratio[(e, i, y)] for y in side]))
                for side in (before, after)
                if side
            ]
            if all(j > limit for j in jumps) or all(j < -limit for j in jumps):
                jump = min(jumps, key=abs)
                ref = (*before, *after)
                out.append(UnitValueFlag(e, i, year, usd[(e, i, year)], math.exp(jump), ref))
    return out


def coverage_flags(
    baseline: Baseline, exporters: Iterable[str], *, unit: str = "t"
) -> list[CoverageFlag]:
    """Exporters whose baseline exports are below :data:`MIN_COVERAGE` of their production.

    Both in the baseline's trade units (production already converted: contained tonnes,
    or ``trade_per_production_t``). Exporters without production in the baseline (unknown,
    or a baseline in value terms) are not judged.
    """
    b = baseline
    out = []
    for c in sorted(set(exporters)):
        if c not in b.countries:
            continue
        k = b.index(c)
        production = float(b.production_t[k])
        exports = float(np.asarray(b.trade_t)[k].sum())
        if production > 0 and exports < MIN_COVERAGE * production:
            out.append(CoverageFlag(c, b.year, exports, production, unit))
    return out
