"""Placebo back-test: the back-test's rows in years without an event, and the error floor.

A back-test row compares the change of a flow (the targets' imports from the restricting
exporters, from the others or from all; or the basket's unit value) between a base year and
a later year. Part of every observed change is the market's own swing — demand, third countries'
supply, prices — which happens in any year, event or not. The model, run without events,
predicts no change at all, so in a year without an event that swing *is* its error.

This module measures it. For each back-test row whose base period and period are whole
calendar years, it takes the same flow — same importers, same restricting exporters, same
basket and basis, from the store's trade — in earlier pairs of years the same distance
apart (``lag_years``), and keeps the pairs that overlap no back-test case's event window
for the commodity (from the year of a case's first event through its last observed year).
Other shocks (a pandemic, a price cycle) stay in, as they would in any future year.

Per row it reports the **median absolute change** over those pairs and the **noise floor**:
the error a model that got the event exactly right, but not the market's swing, would still
make. On rows from the others, totals and prices the floor is the median swing; on rows from the
restricting exporters the swing applies to what the event left of the flow, so the floor is
the median swing × the observed level as a share of the base level (0 after a total ban).
The median (not the mean) makes the floor a conservative, "at least about" figure: the
swings have heavy tails.

:func:`placebo` gives the pairs and the per-row figures; :func:`placebo_lines` compares the
floor with the model's MAE on the same rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from minsec.store import Store

from . import baseline as bl
from .backtest import (
    FROM_OTHERS,
    FROM_RESTRICTING,
    PRICE,
    SETS,
    TOTAL,
    TRADE,
    BacktestCase,
    Comparison,
    Period,
    backtest_scenarios,
    case_rows,
    finish,
    has_note,
    prepare,
)
from .scenario import Scenario, _commodity_parameters

#: Years before a row's base year searched for event-free pairs.
DEFAULT_YEARS = 8

PAIR_COLUMNS = (
    "scenario",
    "set",
    "stage",
    "kind",
    "flow",
    "importers",
    "lag_years",
    "year_from",
    "year_to",
    "baseline",
    "observed",
    "change_pct",
)
"""Columns of :attr:`Placebo.pairs` (one row per back-test row and event-free pair)."""

ROW_COLUMNS = (
    "scenario",
    "stage",
    "kind",
    "flow",
    "importers",
    "baseline_period",
    "period",
    "placebo_pairs",
    "placebo_median_abs_change_pct",
    "placebo_mean_abs_change_pct",
    "noise_floor_pp",
    "noise_floor_pooled_pp",
)
"""Columns of :attr:`Placebo.rows` (one row per back-test row with at least one pair).

``noise_floor_pp`` takes the swing of the row's own flow; ``noise_floor_pooled_pp`` the
median swing of every case's flows of the same kind, flow and lag (a check on rows with
few or unusual pairs, such as a mine ramping up before its event)."""

_KEY = ["scenario", "stage", "kind", "flow", "importers", "baseline_period", "period"]


@dataclass(frozen=True)
class Placebo:
    """Event-free year pairs of the back-test's rows, and their swing per row.

    Attributes
    ----------
    pairs:
        :data:`PAIR_COLUMNS`: per back-test row and event-free pair of years, the flow in
        both years (tonnes, or kUSD for value baskets; USD/t for prices) and its change (%).
    rows:
        :data:`ROW_COLUMNS`: per back-test row, the number of pairs, the median and mean
        absolute change over them (%) and the noise floor (pp, see the module docstring).
    skipped:
        Back-test rows without a placebo, and why (``scenario``, ``stage``, ``flow``,
        ``period``, ``reason``).
    """

    pairs: pd.DataFrame
    rows: pd.DataFrame
    skipped: pd.DataFrame


def event_windows(scenarios: Iterable[Scenario]) -> dict[str, list[tuple[int, int]]]:
    """Per commodity, the years each back-test case's events touch: first event → last year.

    The last year is the case's last observed year (its ``observed_years``), or the year
    its events start when it has none.
    """
    out: dict[str, list[tuple[int, int]]] = {}
    for sc in scenarios:
        first = sc.first_start().year
        years = list(sc.backtest.observed_years) if sc.backtest is not None else []
        out.setdefault(sc.commodity, []).append((first, max([first, *years])))
    return out


def overlaps(year_from: int, year_to: int, windows: Sequence[tuple[int, int]]) -> bool:
    """Whether the years ``year_from``…``year_to`` share a year with any of ``windows``."""
    return any(year_to >= a and year_from <= b for a, b in windows)


def _whole_year(p: Period) -> int | None:
    if p.first.month == 1 and p.last.month == 12 and p.first.year == p.last.year:
        return p.first.year
    return None


def _years(
    store: Store, case: BacktestCase, years: range, trade_source: str | None
) -> dict[int, bl.YearTrade]:
    """The store's trade of one case stage in ``years``, as its baselines would have it."""
    sc = case.scenario
    spec = sc.backtest
    return bl.yearly_trade(
        store, sc.commodity, years, stage=case.stage, hs6=sc.hs6,
        trade_source=trade_source or sc.trade_source,
        measure=spec.measure if spec is not None else "quantity",
        parameters=_commodity_parameters(sc),
    )  # fmt: skip


def _level(t: bl.YearTrade, c: Comparison, importers: set[str], exporters: set[str]) -> float:
    """The row's flow in one year (the targets' imports, or the unit value)."""
    if c.kind == PRICE:
        return float(t.price_usd_per_t)
    keep = np.fromiter((i in importers for i in t.importer), bool, len(t.importer))
    if c.flow != TOTAL:
        hit = np.fromiter((e in exporters for e in t.exporter), bool, len(t.exporter))
        keep &= hit == (c.flow == FROM_RESTRICTING)
    return float(t.quantity[keep].sum())


def _row_pairs(
    case: BacktestCase,
    c: Comparison,
    years: dict[int, bl.YearTrade],
    windows: Sequence[tuple[int, int]],
    span: int,
) -> tuple[list[dict[str, Any]], str]:
    """The event-free pairs of one comparison, or none and the reason."""
    base, end = _whole_year(c.base_period), _whole_year(c.period)
    if base is None or end is None:
        return [], "not whole calendar years (the store's trade is annual)"
    if c.kind == PRICE and c.source != "store":
        return [], "a published price series, not the store's unit value"
    lag = end - base
    countries = case.baseline.countries
    importers = {n for n, m in zip(countries, c.mask, strict=True) if m}
    exporters = {n for n, r in zip(countries, case.restricting, strict=True) if r}
    out = []
    for y0 in range(base - span, base - lag + 1):
        y1 = y0 + lag
        if overlaps(y0, y1, windows):
            continue
        b0, b1 = years.get(y0), years.get(y1)
        if b0 is None or b1 is None:
            continue
        v0, v1 = _level(b0, c, importers, exporters), _level(b1, c, importers, exporters)
        if v0 <= 0 or not math.isfinite(v0) or not math.isfinite(v1):
            continue
        out.append(
            {
                "scenario": case.scenario.name,
                "set": case.set,
                "stage": case.stage,
                "kind": c.kind,
                "flow": c.flow,
                "importers": c.importers,
                "lag_years": lag,
                "year_from": y0,
                "year_to": y1,
                "baseline": v0,
                "observed": v1,
                "change_pct": 100.0 * (v1 / v0 - 1.0),
            }
        )
    return out, "" if out else f"no event-free pair of years {lag} apart in the store"


def noise_floor_pp(median_abs_change_pct: float, flow: str, observed_change_pct: float) -> float:
    """The error floor of one row (pp): the swing on what the event left of the flow.

    From the restricting exporters the swing applies to the observed level (a share of
    the base level, 0 after a total ban); elsewhere to the whole flow.
    """
    if flow == FROM_RESTRICTING:
        return median_abs_change_pct * max(0.0, 1.0 + observed_change_pct / 100.0)
    return median_abs_change_pct


def placebo(
    store: Store,
    cases: Sequence[BacktestCase],
    *,
    years: int = DEFAULT_YEARS,
    trade_source: str | None = None,
    other_cases: Iterable[Scenario] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Placebo:
    """The back-test's rows in event-free years before each case (see the module docstring).

    Parameters
    ----------
    store:
        The data store (the store's trade of the years before each case).
    cases:
        Prepared back-test cases (:func:`minsec.disrupt.backtest.prepare`).
    years:
        How many years before a row's base year to search.
    trade_source:
        Overrides each scenario's trade source (as for the back-test).
    other_cases:
        Scenarios whose event windows the pairs avoid besides the cases' own (default:
        every named scenario with a ``backtest`` section).
    progress:
        Called with a short text before each case.
    """
    if years < 1:
        raise ValueError(f"years must be at least 1 (got {years})")
    step = progress or (lambda _text: None)
    others = backtest_scenarios() if other_cases is None else other_cases
    every = {sc.name: sc for sc in others}
    every.update({c.scenario.name: c.scenario for c in cases})
    windows = event_windows(every.values())
    pairs: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for case in cases:
        if not case.comparisons:
            continue
        step(f"placebo {case.scenario.name} ({case.stage})")
        bases = [c.base_period.first.year for c in case.comparisons]
        got = _years(store, case, range(min(bases) - years, max(bases) + 1), trade_source)
        mine = windows.get(case.scenario.commodity, [])
        for c in case.comparisons:
            found, reason = _row_pairs(case, c, got, mine, years)
            key = {
                "scenario": case.scenario.name,
                "stage": case.stage,
                "kind": c.kind,
                "flow": c.flow,
                "importers": c.importers,
                "baseline_period": str(c.base_period),
                "period": str(c.period),
            }
            if not found:
                skipped.append({**key, "reason": reason})
                continue
            pairs.extend(found)
            swing = np.abs([p["change_pct"] for p in found])
            median = float(np.median(swing))
            rows.append(
                {
                    **key,
                    "placebo_pairs": len(found),
                    "placebo_median_abs_change_pct": median,
                    "placebo_mean_abs_change_pct": float(swing.mean()),
                    "noise_floor_pp": noise_floor_pp(median, c.flow, c.observed_change_pct),
                    "_lag": found[0]["lag_years"],
                    "_observed": c.observed_change_pct,
                }
            )
    pair_frame = pd.DataFrame(pairs, columns=list(PAIR_COLUMNS))
    pooled = swing_table(Placebo(pair_frame, pd.DataFrame(), pd.DataFrame()))
    typical = pooled.set_index(["kind", "flow", "lag_years"])["median_abs_pct"]
    for r in rows:
        swing_all = float(typical[(r["kind"], r["flow"], r.pop("_lag"))])
        r["noise_floor_pooled_pp"] = noise_floor_pp(swing_all, r["flow"], r.pop("_observed"))
    return Placebo(
        pair_frame,
        pd.DataFrame(rows, columns=list(ROW_COLUMNS)),
        pd.DataFrame(skipped, columns=[*_KEY, "reason"]),
    )


def backtest_with_placebo(
    store: Store,
    names: Sequence[str] | None = None,
    *,
    trade_source: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[pd.DataFrame, Placebo]:
    """The back-test (:func:`minsec.disrupt.backtest.backtest`) with the placebo's columns.

    Returns the frame with :func:`with_floor`'s columns, and the placebo itself.
    """
    cases, status = prepare(store, names, trade_source=trade_source, progress=progress)
    frame = finish([*(case_rows(c) for c in cases), status])
    found = placebo(store, cases, trade_source=trade_source, progress=progress)
    return with_floor(frame, found), found


def with_floor(frame: pd.DataFrame, result: Placebo) -> pd.DataFrame:
    """The back-test frame with the placebo's per-row columns (NaN where it has none)."""
    keyed = frame.copy()
    for col in ("baseline_period", "period"):
        keyed[col] = keyed[col].astype(str)
    extra = [c for c in ROW_COLUMNS if c not in _KEY]
    out = keyed.merge(result.rows, on=_KEY, how="left", validate="many_to_one")
    out["placebo_pairs"] = out["placebo_pairs"].astype("Int64")
    return out[[*frame.columns, *extra]]


def floor_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The noise floor against the model's MAE on the same rows, per kind and set.

    ``frame``: :func:`with_floor`'s output. Trade rows are those of the MAE (``in_mae``):
    all of them, those no known data defect touches (``trade, clean``) and, of those, the
    ones from the others (``others, clean``); price rows apart. Only rows with a
    placebo count, so the model's MAE here can differ from the back-test's.
    """
    ok = frame[(frame["status"] == "ok") & frame["noise_floor_pp"].notna()]
    trade = ok[(ok["kind"] == TRADE) & ok["in_mae"].astype(bool)]
    kinds = {
        "trade": trade,
        "trade, clean": trade[~has_note(trade)],
        "others, clean": trade[~has_note(trade) & (trade["flow"] == FROM_OTHERS)],
        "price": ok[ok["kind"] == PRICE],
    }
    out = []
    for kind, sel in kinds.items():
        for which in ("all", *SETS):
            part = sel if which == "all" else sel[sel["set"] == which]
            if part.empty:
                continue
            out.append(
                {
                    "kind": kind,
                    "set": which,
                    "rows": len(part),
                    "cases": part["scenario"].nunique(),
                    "model_mae_pp": float(part["error_pp"].abs().mean()),
                    "noise_floor_pp": float(part["noise_floor_pp"].mean()),
                    "noise_floor_pooled_pp": float(part["noise_floor_pooled_pp"].mean()),
                }
            )
    columns = ["kind", "set", "rows", "cases", "model_mae_pp", "noise_floor_pp",
               "noise_floor_pooled_pp"]  # fmt: skip
    return pd.DataFrame(out, columns=columns)


def swing_table(result: Placebo) -> pd.DataFrame:
    """Median and mean absolute change of the event-free pairs per kind, flow and lag."""
    p = result.pairs
    if p.empty:
        return pd.DataFrame(
            columns=["kind", "flow", "lag_years", "pairs", "median_abs_pct", "mean_abs_pct"]
        )
    # a pair of years counts once per flow even when several rows share it
    uniq = p.drop_duplicates(["scenario", "stage", "kind", "flow", "importers", "year_from",
                              "year_to"])  # fmt: skip
    g = uniq.assign(a=uniq["change_pct"].abs()).groupby(["kind", "flow", "lag_years"])["a"]
    out = g.agg(pairs="count", median_abs_pct="median", mean_abs_pct="mean").reset_index()
    return out


def placebo_lines(frame: pd.DataFrame, result: Placebo) -> list[str]:
    """The placebo in words: the market's swing, and the floor next to the model's MAE."""
    swings = swing_table(result)
    if swings.empty:
        return ["placebo: no event-free pair of years in the store for these rows"]
    out = ["placebo — change of the same flows in event-free years:"]
    for r in swings.to_dict("records"):
        what = r["flow"] if r["kind"] == TRADE else "unit value"
        out.append(
            f"  {what}, {int(r['lag_years'])} y apart: median {r['median_abs_pct']:.0f} %, "
            f"mean {r['mean_abs_pct']:.0f} % ({int(r['pairs'])} pairs)"
        )
    out.append("noise floor (right about the event, not the market) vs the model's MAE:")
    for r in floor_table(frame).to_dict("records"):
        out.append(
            f"  {r['kind']}, {r['set']}: {r['noise_floor_pp']:.1f} (pooled "
            f"{r['noise_floor_pooled_pp']:.1f}) vs {r['model_mae_pp']:.1f} pp ({r['rows']} rows)"
        )
    return out + skipped_lines(result)


def skipped_lines(result: Placebo) -> list[str]:
    """The back-test rows without a placebo, counted by reason."""
    if result.skipped.empty:
        return []
    out = [f"rows without a placebo: {len(result.skipped)}"]
    counts = result.skipped.groupby("reason", sort=False)["scenario"].agg(["count", "unique"])
    for reason, rec in counts.iterrows():
        out.append(f"  {rec['count']}: {reason} ({', '.join(sorted(rec['unique']))})")
    return out


def placebo_summary(frame: pd.DataFrame, result: Placebo) -> dict[str, Any]:
    """JSON-ready placebo: swing per kind, flow and lag; floor per kind and set; skipped."""
    from minsec.output import to_records

    return {
        "swing": to_records(swing_table(result)),
        "floor": to_records(floor_table(frame)),
        "skipped": to_records(result.skipped),
    }


def pair_rows(result: Placebo) -> pd.DataFrame:
    """The event-free pairs as rows with the back-test's columns (appended to CSV output).

    ``scenario`` is ``placebo: CASE``; ``baseline_period`` and ``period`` are the pair's
    years; ``observed_change_pct`` is the flow's change between them.
    """
    from .backtest import FRAME_COLUMNS

    p = result.pairs
    out = pd.DataFrame(
        {
            "scenario": "placebo: " + p["scenario"],
            "set": p["set"],
            "stage": p["stage"],
            "kind": p["kind"],
            "flow": p["flow"],
            "importers": p["importers"],
            "baseline_period": p["year_from"].astype(str),
            "period": p["year_to"].astype(str),
            "baseline": p["baseline"],
            "observed": p["observed"],
            "observed_change_pct": p["change_pct"],
            "series": "the same flow in event-free years (placebo)",
            "source": "store",
            "status": "ok",
        }
    )
    return out.reindex(columns=list(FRAME_COLUMNS))
