"""Observed outcomes for the back-test, derived from publishers' records.

``scripts/derive_backtest_observations.py`` reads the public files (with the readers of
:mod:`minsec.sources.comtrade`, :mod:`minsec.sources.usgs_salient` and
:mod:`minsec.sources.wmd_history`) and calls these functions to write the packaged tables
``disrupt/data/backtest_observations.csv`` and ``backtest_production.csv``:

* :func:`trade_observations`: imports reported by importers, summed per group of partners
  (the restricting exporters, everyone else, all) over a base period and an observed
  period, for the importers that reported in both;
* :func:`price_observation`: a published annual price series, base year vs a later year;
* :func:`production_rows`: production by country for a commodity-year.

Every row carries its publisher, dataset, file and a sentence on how it was computed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from minsec.errors import InputError
from minsec.sources.comtrade import WORLD

from .backtest import FROM_OTHERS, FROM_RESTRICTING, PRICE, TOTAL, TRADE, Period, parse_period


def _within(labels: pd.Series, period: Period) -> pd.Series:
    """Records whose period (``2024`` or ``2024-12``) lies wholly inside ``period``."""

    def inside(label: str) -> bool:
        p = parse_period(label)
        return bool(period.first <= p.first and p.last <= period.last)

    found = {label: inside(label) for label in labels.unique()}
    return labels.map(found).astype(bool)


def _unit_value(records: pd.DataFrame) -> float:
    """USD per kg of the records that have a weight."""
    kg = records["net_weight_kg"]
    known = kg.notna() & (kg > 0)
    if not known.any():
        raise InputError("no record has a net weight: the observation cannot be in tonnes")
    return float(records.loc[known, "value_usd"].fillna(0.0).sum() / kg[known].sum())


def _weights(records: pd.DataFrame, unit_value: float) -> tuple[pd.Series, float]:
    """Net weight in kg, missing weights imputed at ``unit_value``; and the share imputed."""
    kg = records["net_weight_kg"]
    value = records["value_usd"].fillna(0.0)
    known = kg.notna() & (kg > 0)
    imputed = value.where(~known, 0.0)
    share = float(imputed.sum() / value.sum()) if value.sum() > 0 else 0.0
    fill = imputed / unit_value if unit_value > 0 else imputed * 0.0
    return kg.where(known, fill), share


def _partners(records: pd.DataFrame) -> pd.DataFrame:
    """Partner records; a reporter's World total only where it has no partner detail."""
    world = records["partner"] == WORLD
    detailed = set(records.loc[~world, "reporter"])
    return records[~world | ~records["reporter"].isin(detailed)]


def _sums(records: pd.DataFrame, exporters: set[str], unit_value: float) -> dict[str, float]:
    kg, _ = _weights(records, unit_value)
    partner = records["partner"]
    if (partner == WORLD).any():  # some reporter without partner detail: no split
        return {TOTAL: float(kg.sum())}
    out = {
        FROM_RESTRICTING: float(kg[partner.isin(exporters)].sum()),
        FROM_OTHERS: float(kg[~partner.isin(exporters)].sum()),
    }
    out[TOTAL] = out[FROM_RESTRICTING] + out[FROM_OTHERS]
    return out


def trade_observations(
    base: pd.DataFrame,
    observed: pd.DataFrame,
    *,
    scenario: str,
    hs_codes: Sequence[str],
    exporters: Iterable[str],
    base_period: str,
    period: str,
    source: Mapping[str, str],
    stage: str = "",
    importers: Iterable[str] | None = None,
) -> list[dict[str, Any]]:
    """Observation rows of the imports reported by importers, in kg of net weight.

    Parameters
    ----------
    base, observed:
        Tidy records (:mod:`minsec.sources.comtrade` columns) covering ``base_period`` and
        ``period``; only imports (flow ``M``) of ``hs_codes`` are used. Partner
        records give ``from restricting``, ``from others`` and ``total`` rows; files with
        World totals only (partner ``WLD``) give a ``total`` row.
    scenario, stage:
        The case the rows belong to.
    hs_codes:
        The HS codes summed, as the records give them (``810520``, or ``2822`` for a
        heading published at four digits).
    exporters:
        The restricting exporters (catalog ids); they are never counted as importers.
    base_period, period:
        The base and observed periods (``2022``, ``2024-12``, ``2024-06..2025-01``).
    source:
        ``publisher``, ``dataset``, ``file`` and ``series`` of the records.
    importers:
        Limit the importers to these ids (default: every reporter with imports of the codes
        in both periods).

    Returns
    -------
    list of dict
        Rows with the columns of :data:`minsec.disrupt.backtest.OBSERVATION_COLUMNS`.
    """
    restricting = set(exporters)
    codes = {str(c) for c in hs_codes}
    bp, op = parse_period(base_period), parse_period(period)

    def imports(records: pd.DataFrame, p: Period) -> pd.DataFrame:
        sel = records[(records["flow"] == "M") & records["hs_code"].isin(codes)]
        sel = sel[_within(sel["period"], p) & ~sel["reporter"].isin(restricting)]
        return sel[~sel["reporter"].str.contains(":")]  # areas without a catalog id

    b, o = imports(base, bp), imports(observed, op)
    both = set(b["reporter"]) & set(o["reporter"])
    if importers is not None:
        both &= set(importers)
    if not both:
        raise InputError(
            f"{scenario}: no importer reported imports of HS {', '.join(sorted(codes))} in both "
            f"{base_period} and {period}"
        )
    # missing weights at the unit value of every importer's records of the period
    uv_b, uv_o = _unit_value(_partners(b)), _unit_value(_partners(o))
    b, o = _partners(b[b["reporter"].isin(both)]), _partners(o[o["reporter"].isin(both)])
    before, after = _sums(b, restricting, uv_b), _sums(o, restricting, uv_o)
    shares = [_weights(b, uv_b)[1], _weights(o, uv_o)[1]]
    method = (
        f"imports (flow M) of HS {', '.join(sorted(codes))} reported by the {len(both)} "
        f"importers with records in both {base_period} and {period}, summed per partner "
        f"group (restricting: {', '.join(sorted(restricting))}); net weight in kg"
    )
    if max(shares) >= 0.001:
        method += (
            f"; records without a weight converted at the unit value of the period's "
            f"records with one "
            f"({shares[0]:.1%} of the base value, {shares[1]:.1%} of the observed)"
        )
    rows = []
    for flow in (FROM_RESTRICTING, FROM_OTHERS, TOTAL):
        if flow not in before or flow not in after or before[flow] <= 0:
            continue
        rows.append(
            {
                "scenario": scenario,
                "stage": stage,
                "kind": TRADE,
                "flow": flow,
                "importers": " ".join(sorted(both)),
                "basis": "kg",
                "baseline_period": base_period,
                "baseline": f"{before[flow]:.6g}",
                "period": period,
                "observed": f"{after[flow]:.6g}",
                "series": source["series"],
                "publisher": source["publisher"],
                "dataset": source["dataset"],
                "file": source["file"],
                "method": method,
            }
        )
    return rows


def price_observation(
    rows: Sequence[Mapping[str, Any]],
    *,
    scenario: str,
    statistic: str,
    base_year: int,
    year: int,
    source: Mapping[str, str],
    stage: str = "",
    unit: str | None = None,
) -> dict[str, Any]:
    """One price row from a published annual series (e.g. USGS salient statistics).

    ``rows`` are records with ``statistic``, ``year``, ``value`` and ``unit`` (as
    :func:`minsec.sources.usgs_salient.parse_table` returns them); ``unit`` replaces the
    rows' unit where the column name's suffix misleads (USGS ``_dt`` for dollars per
    metric ton *unit* of manganese ore).
    """
    found = {int(r["year"]): r for r in rows if r["statistic"] == statistic}
    for y in (base_year, year):
        if y not in found or found[y]["value"] is None:
            raise InputError(f"{scenario}: no {statistic} for {y} in {source['file']}")
    unit = unit or str(found[year]["unit"] or "")
    return {
        "scenario": scenario,
        "stage": stage,
        "kind": PRICE,
        "flow": "",
        "importers": "",
        "basis": unit,
        "baseline_period": str(base_year),
        "baseline": f"{float(found[base_year]['value']):.6g}",
        "period": str(year),
        "observed": f"{float(found[year]['value']):.6g}",
        "series": source["series"],
        "publisher": source["publisher"],
        "dataset": source["dataset"],
        "file": source["file"],
        "method": f"annual average {statistic} ({unit}) as published, {year} vs {base_year}",
    }


def production_rows(production: pd.DataFrame, commodity: str, year: int) -> list[dict[str, Any]]:
    """Production of ``commodity`` in ``year`` by country (rows of backtest_production.csv)."""
    sel = production[
        (production["commodity"] == commodity)
        & (production["year"] == year)
        & (production["production_t"] > 0)
    ]
    if sel.empty:
        raise InputError(f"no production of {commodity} in {year}")
    return [
        {
            "commodity": commodity,
            "country": rec["country"],
            "year": year,
            "production_t": f"{rec['production_t']:.6g}",
        }
        for rec in sel.sort_values("country").to_dict("records")
    ]
