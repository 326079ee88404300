"""Back-test: the named real cases against the trade and prices observed after them.

A **real case** is a named scenario with a ``backtest`` section (``disrupt/scenarios``). Its
events are judgements fixed before the outcome was looked at; the back-test runs the model
on the case's baseline year and compares, row by row, a predicted with an observed change in
percent of a base period:

* **trade** rows: the imports of a group of importers (the restriction's targets, every
  buyer for a production outage, or the countries that reported an observation) from the
  exporter(s) the events hit — restricting, or in outage — (``from restricting``), from
  everyone else (``from others``) or from all (``total``);
* **price** rows: a published price series, or the import unit value of the basket (the
  model's own price, ``p0``).

Observations come from two places:

* the **store** (``observed_years``): the trade the store holds for those years, on the
  baseline's basket, basis and source (targets' imports, and the basket's unit value when
  the measure is quantity);
* the **packaged table** ``disrupt/data/backtest_observations.csv``, for data the default
  store does not hold (2025 flows, Comtrade quantities, monthly records, published prices).
  ``scripts/derive_backtest_observations.py`` derives it from the public files (their
  SHA-256 are pinned there) with :mod:`minsec.disrupt.backtest_observed`; every row names
  its publisher, dataset, file and method.

The model runs from January of the year after the baseline year (or the first event, when
earlier) through the last observed month. The predicted change of a row is the ratio of the
model's monthly rate over the observed period to its rate over the base period (the
baseline's rate for months before the run), minus one; the observed change is the same ratio
of the observed totals, each divided by its number of months.

``error_pp`` = predicted − observed change (percentage points). ``direction_ok``: both
changes have the same sign (or both are within ±0.5 %). The **MAE** is taken over the trade
rows that count (``in_mae``: from restricting and from others; a total only where the
observation has no split), for all cases, the calibration cases and the holdout cases
(``backtest.set`` of each scenario); price rows are summarised apart. Rows whose observed
change exceeds 20 % in absolute value and whose direction is wrong are listed.

**Data defects.** Rows touched by a known defect of the observed data carry a
``data_note``: hand-written ones (``disrupt/data/backtest_defects.csv``, with their
evidence) and those the screen of the store's trade finds by rule before anyone reads the
results (:mod:`minsec.disrupt.backtest_screen`: a flow's unit value jumping against the
basket's other flows; an event's flow barely in the data), joined with ``; ``. They stay
in the MAE; :func:`summarize` also gives the MAE without them, and the fit leaves them out.

Pre-2018 baselines take World Mining Data production from the packaged extract
``disrupt/data/backtest_production.csv`` when the store has none for the year (the default
store's production starts in 2018).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from minsec.assess import _trade
from minsec.catalog import countries
from minsec.catalog._names import suggestion
from minsec.errors import DataMissingError, InputError, MinsecError, UnknownNameError
from minsec.store import Store

from . import backtest_screen as screen
from . import baseline as bl
from .engine import propagate
from .model import Baseline, FloatArray, Outcome, Parameters, Responses, Shocks
from .scenario import (
    ALL,
    ExportRestriction,
    ProductionOutage,
    Scenario,
    _commodity_parameters,
    _targets_mask,
    engine_parameters,
    named_scenarios,
    resolve_parties,
    stage_inputs,
    stages_for,
)

Progress = Callable[[str], None]

TRADE = "trade"
PRICE = "price"
#: Summary kind: the trade rows of the MAE that no known data defect (hand-written or
#: screened) touches.
TRADE_CLEAN = "trade without known data defects"
TRADE_RESTRICTING = "trade from restricting"
"""The direct effect: imports from the exporters the events hit."""
TRADE_OTHERS = "trade from others"
"""The response: imports from everyone else."""
TRADE_CONDITIONED = "trade conditioned on the observed total, without known data defects"
"""The diagnostic of :func:`conditioned_changes` (not out-of-sample: it uses the outcome)."""
FROM_RESTRICTING = "from restricting"
FROM_OTHERS = "from others"
TOTAL = "total"
FLOWS = (FROM_RESTRICTING, FROM_OTHERS, TOTAL)
SETS = ("calibration", "holdout")

#: Rows whose observed change exceeds this (in %, absolute) must have the right direction.
DIRECTION_THRESHOLD_PCT = 20.0
#: Changes within this many percent of zero count as "no change" for the direction rule.
NO_CHANGE_PCT = 0.5

OBSERVATION_COLUMNS = (
    "scenario",
    "stage",
    "kind",
    "flow",
    "importers",
    "basis",
    "baseline_period",
    "baseline",
    "period",
    "observed",
    "series",
    "publisher",
    "dataset",
    "file",
    "method",
)
"""Columns of the packaged observation table (``disrupt/data/backtest_observations.csv``)."""

FRAME_COLUMNS = (
    "scenario",
    "set",
    "stage",
    "hs6",
    "kind",
    "flow",
    "importers",
    "n_importers",
    "restricting",
    "basis",
    "baseline_period",
    "period",
    "baseline",
    "predicted",
    "observed",
    "predicted_change_pct",
    "observed_change_pct",
    "error_pp",
    "direction_ok",
    "in_mae",
    "series",
    "source",
    "method",
    "status",
    "data_note",
    "n_rows",
    "conditioned_change_pct",
    "conditioned_error_pp",
    "months_at_cap",
)
"""Columns of :func:`backtest` (one row per comparison; ``status`` says why a case is missing).

``months_at_cap``: on price rows, the months of the observed period in which the model's
price sits on ``max_price_multiple`` (no price clears the market: rationing).

``conditioned_*``: a diagnostic, not a forecast — the model's split of the importers'
supply between the restricting exporters and the others, scaled to the *observed* total
(see :func:`conditioned_changes`)."""


# -- periods -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole calendar months from ``first`` to ``last`` (first days of the months)."""

    first: dt.date
    last: dt.date

    @property
    def months(self) -> int:
        """Number of months in the period."""
        return (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1

    def offsets(self, start: dt.date) -> np.ndarray:
        """Month indices of the period on a timeline whose month 0 is ``start``'s month."""
        first = (self.first.year - start.year) * 12 + self.first.month - start.month
        return np.arange(first, first + self.months)

    def __str__(self) -> str:
        if self.first.month == 1 and self.last.month == 12 and self.first.year == self.last.year:
            return str(self.first.year)
        head = f"{self.first:%Y-%m}"
        return head if self.first == self.last else f"{head}..{self.last:%Y-%m}"


def _month(text: str, *, end: bool) -> dt.date:
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?", text.strip())
    if not m or not (m.group(2) is None or 1 <= int(m.group(2)) <= 12):
        raise ValueError(f"expected a year (2024), a month (2024-12) or a range (got {text!r})")
    month = int(m.group(2)) if m.group(2) else (12 if end else 1)
    return dt.date(int(m.group(1)), month, 1)


def parse_period(text: str) -> Period:
    """``2024`` (the calendar year), ``2024-12`` (a month) or ``2024-06..2025-01`` (a range)."""
    parts = str(text).split("..")
    if len(parts) > 2:
        raise ValueError(f"expected one '..' in a range (got {text!r})")
    first = _month(parts[0], end=False)
    last = _month(parts[-1], end=True)
    if last < first:
        raise ValueError(f"the range ends before it starts ({text!r})")
    return Period(first, last)


def year_period(year: int) -> Period:
    """The calendar year ``year``."""
    return Period(dt.date(year, 1, 1), dt.date(year, 12, 1))


# -- the packaged observations ------------------------------------------------------------------


def _packaged_text(name: str) -> str:
    return resources.files("minsec.disrupt").joinpath(f"data/{name}").read_text("utf-8")


def _read_table(text: str, where: str, columns: Sequence[str]) -> pd.DataFrame:
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, comment="#")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"missing columns {missing}; expected {list(columns)}", path=where, row=1)
    return frame


def _number(value: str, *, where: str, row: int, column: str, positive: bool) -> float:
    try:
        x = float(value)
    except ValueError:
        raise InputError(
            f"expected a number (got {value!r})", path=where, row=row, column=column
        ) from None
    if not math.isfinite(x) or x < 0 or (positive and x == 0):
        need = "a number above 0" if positive else "a number of 0 or more"
        raise InputError(f"expected {need} (got {value!r})", path=where, row=row, column=column)
    return x


def _check_observation(rec: dict[str, str], where: str, row: int) -> dict[str, Any]:
    def bad(column: str, message: str) -> InputError:
        return InputError(message, path=where, row=row, column=column)

    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", rec["scenario"]):
        raise bad("scenario", f"expected a scenario name (got {rec['scenario']!r})")
    if rec["stage"] not in {"", *bl.STAGES, "custom"}:
        raise bad("stage", f"expected ore, refined, custom or empty (got {rec['stage']!r})")
    kind = rec["kind"]
    if kind not in (TRADE, PRICE):
        raise bad("kind", f"expected trade or price (got {kind!r})")
    if kind == TRADE and rec["flow"] not in FLOWS:
        raise bad("flow", f"a trade row needs flow {' | '.join(FLOWS)} (got {rec['flow']!r})")
    if kind == PRICE and rec["flow"] not in ("", PRICE):
        raise bad("flow", f"a price row has no flow (got {rec['flow']!r})")
    importers: tuple[str, ...] = ()
    if kind == TRADE:
        text = rec["importers"].strip()
        if not text:
            raise bad("importers", "a trade row needs importers: 'targets' or country ids")
        if text != "targets":
            try:
                importers = tuple(countries.resolve(t) for t in text.split())
            except UnknownNameError as exc:
                raise bad("importers", str(exc)) from None
    periods = {}
    for column in ("baseline_period", "period"):
        try:
            periods[column] = parse_period(rec[column])
        except ValueError as exc:
            raise bad(column, str(exc)) from None
    if not rec["basis"].strip():
        raise bad("basis", "give the unit of baseline and observed (kg, t, USD/kg, …)")
    for column in ("publisher", "dataset", "method"):
        if not rec[column].strip():
            raise bad(column, "every observation names its publisher, dataset and method")
    return {
        **rec,
        "flow": rec["flow"] or PRICE,
        "importer_ids": importers,
        "baseline_period": periods["baseline_period"],
        "period": periods["period"],
        "baseline": _number(
            rec["baseline"], where=where, row=row, column="baseline", positive=True
        ),
        "observed": _number(
            rec["observed"], where=where, row=row, column="observed", positive=False
        ),
    }


def load_observations(path: Path | str | None = None) -> pd.DataFrame:
    """The observation table: packaged (default) or a CSV with :data:`OBSERVATION_COLUMNS`.

    Periods are parsed (:func:`parse_period`), importers resolved to country ids
    (``importer_ids``; empty for ``targets``); a bad cell raises :class:`InputError` naming
    the file, row and column.
    """
    if path is None:
        where, text = "minsec/disrupt/data/backtest_observations.csv", _packaged_observations()
    else:
        where = str(path)
        if not Path(path).is_file():
            raise InputError("observation table not found", path=path)
        text = Path(path).read_text(encoding="utf-8")
    raw = _read_table(text, where, OBSERVATION_COLUMNS)
    records = cast(list[dict[str, str]], raw.to_dict("records"))
    rows = [_check_observation(rec, where, i + 2) for i, rec in enumerate(records)]
    return pd.DataFrame(rows, columns=[*raw.columns, "importer_ids"])


@cache
def _packaged_observations() -> str:
    return _packaged_text("backtest_observations.csv")


@cache
def known_defects() -> pd.DataFrame:
    """Known defects of observed data (``disrupt/data/backtest_defects.csv``).

    Columns ``scenario, period, flows`` (``;``-separated) and ``note``: the rows they touch
    keep their place in the back-test and its MAE, and :func:`summarize` also gives the MAE
    without them (and without the rows the screen notes,
    :mod:`minsec.disrupt.backtest_screen`).
    """
    return _read_table(
        _packaged_text("backtest_defects.csv"),
        "minsec/disrupt/data/backtest_defects.csv",
        ("scenario", "period", "flows", "note"),
    )


def _defect(scenario: str, period: str, flow: str) -> str:
    table = known_defects()
    rows = table[(table["scenario"] == scenario) & (table["period"] == period)]
    notes = [str(n) for n, f in zip(rows["note"], rows["flows"], strict=True)
             if flow in str(f).split(";")]  # fmt: skip
    return "; ".join(notes)


@cache
def packaged_production() -> pd.DataFrame:
    """World Mining Data production for baseline years the default store lacks.

    Columns ``commodity, country, year, production_t``; see
    ``scripts/derive_backtest_observations.py`` for the source and file.
    """
    where = "minsec/disrupt/data/backtest_production.csv"
    raw = _read_table(
        _packaged_text("backtest_production.csv"),
        where,
        ("commodity", "country", "year", "production_t"),
    )
    return raw.assign(year=raw["year"].astype(int), production_t=raw["production_t"].astype(float))


# -- a prepared case -------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Comparison:
    """One row of the back-test before the model runs: what is compared with what.

    ``mask`` marks the importers of a trade row on the baseline's countries; ``baseline``
    and ``observed`` are the observed totals over ``baseline_period`` and ``period`` (in
    ``basis``), from the store or the packaged table. ``note``: what the screen of the
    store's data (:mod:`minsec.disrupt.backtest_screen`) found suspect in them.
    """

    kind: str
    flow: str
    importers: str
    mask: np.ndarray
    base_period: Period
    period: Period
    baseline: float
    observed: float
    basis: str
    series: str
    source: str
    method: str
    note: str = ""

    @property
    def observed_change_pct(self) -> float:
        """Observed change of the monthly rate, % of the base period."""
        base = self.baseline / self.base_period.months
        return 100.0 * ((self.observed / self.period.months) / base - 1.0)


@dataclass(frozen=True, eq=False)
class BacktestCase:
    """One stage of a real case, ready to run: baseline, events, responses, comparisons."""

    scenario: Scenario
    stage: str
    baseline: Baseline
    shocks: Shocks
    responses: Responses
    parameters: Parameters
    start: dt.date
    restricting: np.ndarray
    comparisons: tuple[Comparison, ...]
    observed_baseline: Baseline | None = None
    """The baseline year as observed, when the engine's differs (stocks bought ahead of an
    announced ban are taken out of the engine's flows): the base period's levels."""

    @property
    def set(self) -> str:
        """The case's set: calibration or holdout (the scenario's ``backtest.set``)."""
        spec = self.scenario.backtest
        return "holdout" if spec is None else spec.set


def _restricting(scenario: Scenario) -> list[str]:
    """The exporters the case's events hit: restricting exporters and countries in outage."""
    hit = {e.exporter for e in scenario.events if isinstance(e, ExportRestriction)}
    hit |= {e.country for e in scenario.events if isinstance(e, ProductionOutage)}
    return sorted(hit)


def _withholding(shocks: Shocks) -> np.ndarray:
    """``(n,)`` countries with an export restriction in any run or layer of ``shocks``."""
    out = np.asarray(shocks.export_fraction, dtype=float).max(axis=0) > 0
    for layer in shocks.layers:
        out |= _withholding(layer)
    return np.asarray(out, dtype=bool)


def _targets(scenario: Scenario, b: Baseline, exporters: list[str]) -> np.ndarray:
    spec = scenario.backtest
    chosen = spec.targets if spec is not None and spec.targets is not None else None
    mask = np.zeros(b.n, dtype=bool)
    if chosen is None:
        for ev in scenario.events:
            if isinstance(ev, ExportRestriction) and ev.exporter in b.countries:
                mask |= _targets_mask(b, b.index(ev.exporter), ev.targets)
            elif isinstance(ev, ProductionOutage):  # an outage hits every buyer
                mask[:] = True
    elif chosen == ALL:
        mask[:] = True
    else:
        ids = set(resolve_parties(chosen))
        mask = np.array([c in ids for c in b.countries], dtype=bool)
    for c in exporters:
        if c in b.countries:
            mask[b.index(c)] = False
    return mask


def _imports(
    trade: np.ndarray, names: Sequence[str], importers: set[str], exporters: set[str]
) -> tuple[float, float]:
    """Imports of ``importers`` from ``exporters`` and from everyone else."""
    cols = [i for i, c in enumerate(names) if c in importers]
    from_r = [i for i, c in enumerate(names) if c in exporters]
    others = [i for i, c in enumerate(names) if c not in exporters]
    sub = trade[:, cols]
    return float(sub[from_r].sum()), float(sub[others].sum())


def _horizon(scenario: Scenario, periods: Sequence[Period]) -> tuple[dt.date, int]:
    start = min(dt.date(scenario.baseline_year + 1, 1, 1), scenario.first_start())
    last = max(p.last for p in periods)
    months = (last.year - start.year) * 12 + last.month - start.month + 1
    if months < 1:
        raise InputError(
            f"scenario {scenario.name!r}: every observed period ends before the model starts "
            f"({start:%Y-%m})"
        )
    return start, months


def _store_comparisons(
    store: Store,
    sc: Scenario,
    b: Baseline,
    stage: str,
    source: str | None,
    cparams: bl.CommodityParameters,
    exporters: list[str],
    tmask: np.ndarray,
) -> tuple[list[Comparison], list[dict[str, Any]]]:
    spec = sc.backtest
    assert spec is not None
    out: list[Comparison] = []
    missing: list[dict[str, Any]] = []
    tset = {c for c, t in zip(b.countries, tmask, strict=True) if t}
    base_r, base_o = _imports(b.trade_t, b.countries, tset, set(exporters))
    unit = "kUSD" if spec.measure == "value" else "t"
    trade_source = b.notes[0].removeprefix("trade: ") if b.notes else "store"
    base = year_period(b.year)
    screened: dict[int, Baseline] = {b.year: b}
    for oy in sorted(spec.observed_years):
        try:
            ob = bl.build_baseline(
                store, sc.commodity, oy, stage=stage, hs6=sc.hs6, trade_source=source,
                measure=spec.measure, parameters=cparams,
            )  # fmt: skip
        except DataMissingError as exc:
            missing.append({"stage": stage, "period": str(oy), "status": f"data missing: {exc}"})
            continue
        screened[oy] = ob
        obs_r, obs_o = _imports(ob.trade_t, ob.countries, tset, set(exporters))
        method = (
            f"imports of the {len(tset)} targets in the store's trade ({trade_source}), "
            f"{b.year} and {oy}, same basket and basis as the baseline"
        )
        for flow, before, after in (
            (FROM_RESTRICTING, base_r, obs_r),
            (FROM_OTHERS, base_o, obs_o),
            (TOTAL, base_r + base_o, obs_r + obs_o),
        ):
            if before > 0:
                out.append(
                    Comparison(
                        TRADE, flow, "targets", tmask, base, year_period(oy), before, after,
                        unit, "imports of the targets", "store", method,
                    )
                )  # fmt: skip
        if spec.measure == "quantity" and b.price_usd_per_t > 0:
            out.append(
                Comparison(
                    PRICE, PRICE, "", np.zeros(b.n, dtype=bool), base, year_period(oy),
                    b.price_usd_per_t, ob.price_usd_per_t, "USD/t",
                    "import unit value of the basket (the model's price p0)", "store",
                    f"world imports' value / quantity in the store's trade ({trade_source})",
                )
            )  # fmt: skip
    if spec.measure == "quantity" and out:
        notes = _screen_notes(store, b, screened, tset, set(exporters))
        out = [replace(c, note="; ".join(notes.get((str(c.period), c.flow), ()))) for c in out]
    return out, missing


def _screen_notes(
    store: Store,
    b: Baseline,
    baselines: dict[int, Baseline],
    importers: set[str],
    exporters: set[str],
) -> dict[tuple[str, str], list[str]]:
    """The screen's notes (:mod:`~minsec.disrupt.backtest_screen`) on the store's rows.

    ``baselines``: the baseline year's and each observed year's, by year; ``importers``:
    the group of the trade rows; ``exporters``: those the events hit. Returns the notes by
    ``(period, flow)``. A flow whose unit value jumps in an observed year touches that
    year's rows of its exporter's group (from restricting or from others), the total and
    the price; in the baseline year, those rows of every period. Low coverage of an
    exporter the events hit touches the from-restricting and total rows of every period.
    One store query per trade source (and basket) of the years compared.
    """
    observed = sorted(y for y in baselines if y != b.year)
    notes: dict[tuple[str, str], list[str]] = {}

    def add(years: Sequence[int], flows: Sequence[str], text: str) -> None:
        for y in years:
            for flow in flows:
                found = notes.setdefault((str(y), flow), [])
                if text not in found:
                    found.append(text)

    by_source: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    for y, yb in sorted(baselines.items()):
        src = yb.trade_source
        if src is not None:
            by_source.setdefault((src, yb.hs6), []).append(y)
    for (src, codes), years in by_source.items():
        flows = _trade.load_flows(store, bl._basket(b.commodity, codes), screen.window(years), src)
        for flag in screen.unit_value_flags(flows, importers, years):
            group = FROM_RESTRICTING if flag.exporter in exporters else FROM_OTHERS
            where = observed if flag.year == b.year else [flag.year]
            add(where, (group, TOTAL, PRICE), flag.note(screen.source_label(src)))
    for cover in screen.coverage_flags(b, exporters):
        add(observed, (FROM_RESTRICTING, TOTAL), cover.note())
    return notes


def _table_comparisons(rows: pd.DataFrame, b: Baseline, tmask: np.ndarray) -> list[Comparison]:
    out = []
    pos = {c: i for i, c in enumerate(b.countries)}
    for rec in rows.to_dict("records"):
        ids: tuple[str, ...] = rec["importer_ids"]
        if rec["kind"] == PRICE:
            mask = np.zeros(b.n, dtype=bool)
        elif not ids:
            mask = tmask
        else:
            mask = np.zeros(b.n, dtype=bool)
            mask[[pos[c] for c in ids if c in pos]] = True
        out.append(
            Comparison(
                kind=rec["kind"],
                flow=rec["flow"],
                importers=rec["importers"],
                mask=mask,
                base_period=rec["baseline_period"],
                period=rec["period"],
                baseline=rec["baseline"],
                observed=rec["observed"],
                basis=rec["basis"],
                series=rec["series"],
                source=f"{rec['publisher']}: {rec['dataset']} ({rec['file']})",
                method=rec["method"],
            )
        )
    return out


def _store_production(store: Store, commodity: str, year: int) -> pd.DataFrame | None:
    """Packaged production when the store has none of ``commodity`` in ``year``."""
    from minsec.assess.exposure import DEFAULT_PRODUCTION_SOURCE, _production

    found = _production(store, [commodity], [year], DEFAULT_PRODUCTION_SOURCE)
    if not found[(found["year"] == year) & found["production_t"].notna()].empty:
        return None
    packaged = packaged_production()
    rows = packaged[(packaged["commodity"] == commodity) & (packaged["year"] == year)]
    return rows[["country", "production_t"]] if not rows.empty else None


def prepare_case(
    store: Store,
    scenario: Scenario,
    *,
    trade_source: str | None = None,
    observations: pd.DataFrame | None = None,
) -> tuple[list[BacktestCase], list[dict[str, Any]]]:
    """The stages of one real case ready to run, and status rows for data that is missing.

    Parameters
    ----------
    store:
        The data store (baseline, and observations of ``observed_years``).
    scenario:
        A scenario with a ``backtest`` section.
    trade_source:
        Overrides the scenario's trade source.
    observations:
        The observation table (default: :func:`load_observations`); its rows for this
        scenario are added to the store's.
    """
    spec = scenario.backtest
    if spec is None:
        raise InputError(f"scenario {scenario.name!r} has no backtest section")
    table = load_observations() if observations is None else observations
    mine = table[table["scenario"] == scenario.name]
    periods = [year_period(y) for y in spec.observed_years]
    periods += [*mine["period"], *mine["baseline_period"]]
    if not periods:
        raise InputError(
            f"scenario {scenario.name!r}: the backtest section has no observed_years and the "
            "observation table has no rows for it"
        )
    year = scenario.baseline_year
    start, months = _horizon(scenario, periods)
    sc = scenario.model_copy(update={"start": start, "months": months})
    source = trade_source or scenario.trade_source
    cparams = _commodity_parameters(sc)
    stages = stages_for(store, sc, year, source)
    exporters = _restricting(sc)
    production = _store_production(store, sc.commodity, year)
    cases: list[BacktestCase] = []
    status: list[dict[str, Any]] = []
    for stage in stages:
        got = stage_inputs(
            store, sc, stage, year, start, stages, trade_source=source, parameters=cparams,
            measure=spec.measure, production_data=production,
        )  # fmt: skip
        seen, b = got.observed, got.baseline  # the comparisons' base: the year as observed
        shocks, resp = got.shocks, got.responses
        tmask = _targets(sc, seen, exporters)
        restricting = np.array([c in exporters for c in b.countries], dtype=bool)
        rows, missing = _store_comparisons(
            store, sc, seen, stage, source, cparams, exporters, tmask
        )
        status.extend(missing)
        own = mine[(mine["stage"] == stage) | ((mine["stage"] == "") & (len(stages) == 1))]
        rows += _table_comparisons(own, seen, tmask)
        rows = [replace(r, mask=r.mask & ~restricting) for r in rows]
        cases.append(
            BacktestCase(
                scenario=sc,
                stage=stage,
                baseline=b,
                shocks=shocks,
                responses=resp,
                parameters=engine_parameters(sc, cparams),
                start=start,
                restricting=restricting,
                comparisons=tuple(rows),
                observed_baseline=None if seen is b else seen,
            )
        )
    unmatched = mine[~mine["stage"].isin(["", *stages])]
    if not mine.empty and (mine["stage"] == "").any() and len(stages) > 1:
        unmatched = pd.concat([unmatched, mine[mine["stage"] == ""]])
    for rec in unmatched.to_dict("records"):
        status.append(
            {
                "stage": rec["stage"],
                "period": str(rec["period"]),
                "status": f"observation for stage {rec['stage'] or '(none given)'} but the "
                f"case simulates {', '.join(stages)}: name one of them",
            }
        )
    return cases, status


# -- predictions -----------------------------------------------------------------------------------


def _runs(params: Parameters) -> int:
    sizes = [np.size(getattr(params, f.name)) for f in fields(params)]
    return max(sizes)


def _repeat(shocks: Shocks, runs: int) -> Shocks:
    if runs == shocks.runs:
        return shocks

    def rep(a: FloatArray) -> FloatArray:
        return np.repeat(np.asarray(a, dtype=float)[:1], runs, axis=0)

    return Shocks(
        rep(shocks.export_fraction),
        shocks.targets,
        rep(shocks.outage_fraction),
        rep(shocks.start_month),
        rep(shocks.duration_months),
        layers=tuple(_repeat(layer, runs) for layer in shocks.layers),
    )


def _rate(series: np.ndarray, before: float, offsets: np.ndarray) -> np.ndarray:
    """Mean of ``series[:, offsets]``, with ``before`` for months outside the run."""
    months = series.shape[1]
    inside = (offsets >= 0) & (offsets < months)
    total = series[:, offsets[inside]].sum(axis=1) + before * float((~inside).sum())
    return np.asarray(total / len(offsets), dtype=float)


@dataclass(frozen=True)
class CaseRun:
    """The model's answer for one case's comparisons.

    Attributes
    ----------
    changes_pct:
        Predicted change (%) of each comparison, ``(R, rows)``.
    months_at_cap:
        Months of each price row's observed period (inside the run) with the price on
        ``max_price_multiple``, ``(R, rows)``; NaN for trade rows.
    """

    changes_pct: np.ndarray
    months_at_cap: np.ndarray


def run_case(
    case: BacktestCase, params: Parameters | None = None, baseline: Baseline | None = None
) -> CaseRun:
    """One engine call for the case: predicted changes and months at the price cap.

    ``params`` (default: the case's) may hold ``(R,)`` arrays: one run per parameter set;
    ``baseline`` replaces the case's (e.g. with other spare capacities).
    """
    p = params or case.parameters
    b = baseline or case.baseline
    runs = _runs(p)
    out = propagate(b, _repeat(case.shocks, runs), p, case.responses, detail=True)
    cap = np.broadcast_to(np.asarray(p.max_price_multiple, dtype=float), (runs,))
    at_cap = out.price_index >= cap[:, None] * (1.0 - 1e-9)
    capped = np.full((runs, len(case.comparisons)), np.nan)
    for i, c in enumerate(case.comparisons):
        if c.kind == PRICE:
            offsets = c.period.offsets(case.start)
            inside = offsets[(offsets >= 0) & (offsets < at_cap.shape[1])]
            capped[:, i] = at_cap[:, inside].sum(axis=1)
    return CaseRun(_changes(case, b, out), capped)


def predict(
    case: BacktestCase, params: Parameters | None = None, baseline: Baseline | None = None
) -> np.ndarray:
    """Predicted changes (%) of the case's comparisons, ``(R, rows)`` (see :func:`run_case`)."""
    return run_case(case, params, baseline).changes_pct


def _changes(case: BacktestCase, b: Baseline, out: Outcome) -> np.ndarray:
    runs = out.price_index.shape[0]
    imports = out.extra["imports_change_t"]
    from_r = out.extra["imports_change_from_restricting_t"]
    monthly = np.asarray(b.trade_t, dtype=float) / 12.0
    # levels before the run: the year as observed (with what was bought ahead in it)
    seen = np.asarray((case.observed_baseline or b).trade_t, dtype=float) / 12.0
    restricting = case.restricting
    # a country in outage (and under no restriction) ships the share of its availability it
    # lost less on every flow: λ_k = L_k / (C_k + X_k), as in the engine
    outaged = restricting & ~_withholding(case.shocks)
    if outaged.any():
        out_den = np.asarray(b.consumption_t, dtype=float)[outaged] / 12.0
        out_den = out_den + monthly[outaged].sum(axis=1)
        lost = out.extra["availability_loss_t"][:, :, outaged]
        frac = np.minimum(lost / np.where(out_den > 0, out_den, np.inf), 1.0)
        from_r = from_r - frac @ monthly[outaged]
    preds = np.full((runs, len(case.comparisons)), np.nan)
    for i, c in enumerate(case.comparisons):
        if c.kind == PRICE:
            series, before = out.price_index, 1.0
        else:
            base_r = float(monthly[restricting][:, c.mask].sum())
            base_o = float(monthly[~restricting][:, c.mask].sum())
            ch_total = imports[:, :, c.mask].sum(axis=2)
            ch_r = from_r[:, :, c.mask].sum(axis=2)
            restricted = np.maximum(base_r + ch_r, 0.0)
            others = base_o + ch_total - ch_r
            seen_r = float(seen[restricting][:, c.mask].sum())
            seen_o = float(seen[~restricting][:, c.mask].sum())
            series, before = {
                FROM_RESTRICTING: (restricted, seen_r),
                FROM_OTHERS: (others, seen_o),
                TOTAL: (restricted + others, seen_r + seen_o),
            }[c.flow]
        during = _rate(series, before, c.period.offsets(case.start))
        base = _rate(series, before, c.base_period.offsets(case.start))
        with np.errstate(divide="ignore", invalid="ignore"):
            preds[:, i] = np.where(base > 0, 100.0 * (during / base - 1.0), np.nan)
    return preds


# -- the table ---------------------------------------------------------------------------------


def direction_ok(predicted: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Same sign of change, or both within ±:data:`NO_CHANGE_PCT` %."""
    p = np.sign(np.where(np.abs(predicted) < NO_CHANGE_PCT, 0.0, predicted))
    o = np.sign(np.where(np.abs(observed) < NO_CHANGE_PCT, 0.0, observed))
    return np.asarray(p == o)


def _counts(frame: pd.DataFrame) -> pd.Series:
    """Trade rows in the MAE: restricting and others; a total only where there is no split."""
    trade = frame["kind"] == TRADE
    split = frame["flow"].isin([FROM_RESTRICTING, FROM_OTHERS])
    keys = ["scenario", "stage", "importers", "baseline_period", "period"]
    has_split = (
        frame[trade & split][keys].drop_duplicates().assign(_split=True)
        if (trade & split).any()
        else pd.DataFrame(columns=[*keys, "_split"])
    )
    merged = frame[keys].merge(has_split, on=keys, how="left")["_split"].fillna(False)
    totals = (frame["flow"] == TOTAL) & ~merged.to_numpy(dtype=bool)
    return pd.Series(trade & (split | totals), index=frame.index)


def case_frame(
    case: BacktestCase, predicted: np.ndarray, months_at_cap: np.ndarray | None = None
) -> pd.DataFrame:
    """The rows of one case for one run of predictions ``(rows,)`` (and months at the cap)."""
    b = case.baseline
    rows = []
    exporters = ",".join(c for c, r in zip(b.countries, case.restricting, strict=True) if r)
    capped = np.full(len(case.comparisons), np.nan) if months_at_cap is None else months_at_cap
    for c, pc, mc in zip(case.comparisons, predicted, capped, strict=True):
        oc = c.observed_change_pct
        rows.append(
            {
                "scenario": case.scenario.name,
                "set": case.set,
                "stage": case.stage,
                "hs6": ",".join(b.hs6),
                "kind": c.kind,
                "flow": c.flow,
                "importers": c.importers,
                "n_importers": int(c.mask.sum()) if c.kind == TRADE else 0,
                "restricting": exporters,
                "basis": c.basis,
                "baseline_period": str(c.base_period),
                "period": str(c.period),
                "baseline": c.baseline,
                "predicted": c.baseline
                * c.period.months
                / c.base_period.months
                * (1.0 + pc / 100.0),
                "observed": c.observed,
                "predicted_change_pct": float(pc),
                "observed_change_pct": oc,
                "error_pp": float(pc) - oc,
                "series": c.series,
                "source": c.source,
                "method": c.method,
                "status": "ok",
                "data_note": "; ".join(
                    n for n in (_defect(case.scenario.name, str(c.period), c.flow), c.note) if n
                ),
                "months_at_cap": None if np.isnan(mc) else int(mc),
            }
        )
    return pd.DataFrame(rows)


def case_rows(case: BacktestCase) -> pd.DataFrame:
    """The rows of one case at its own parameters (one engine call)."""
    run = run_case(case)
    return case_frame(case, run.changes_pct[0], run.months_at_cap[0])


def finish(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate case frames and add ``direction_ok`` and ``in_mae`` (column order fixed)."""
    parts = [f for f in frames if not f.empty]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    frame = frame.reindex(columns=list(FRAME_COLUMNS))
    frame["n_importers"] = frame["n_importers"].astype("Int64")
    frame["months_at_cap"] = frame["months_at_cap"].astype("Int64")
    ok = frame["status"] == "ok"
    pc = frame["predicted_change_pct"].to_numpy(dtype=float)
    oc = frame["observed_change_pct"].to_numpy(dtype=float)
    right = direction_ok(pc, oc)
    frame["direction_ok"] = [bool(r) if k else None for r, k in zip(right, ok, strict=True)]
    frame["in_mae"] = ok & _counts(frame.fillna({"kind": "", "flow": ""}))
    return conditioned_changes(frame)


_GROUP = ("scenario", "stage", "importers", "n_importers", "baseline_period", "period")


def conditioned_changes(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the changes the model predicts *given the observed total* (a diagnostic).

    For each pair of trade rows from restricting and from others of the same importers and
    periods, the predicted volumes ``R`` and ``O`` are scaled by ``k`` so that they add up
    to the observed total: ``R k`` and ``O k``, as changes of their base. What is left of
    the error is the model's split between the exporters the events hit and the other
    suppliers, without the market's own growth or decline — which the model does not
    forecast. It uses the outcome, so it is never the out-of-sample error; rows without a
    pair get NaN.
    """
    out = frame.copy()
    out["conditioned_change_pct"] = math.nan
    out["conditioned_error_pp"] = math.nan
    ok = (out["status"] == "ok") & (out["kind"] == TRADE)
    pairs = out[ok & out["flow"].isin([FROM_RESTRICTING, FROM_OTHERS])]
    keys = ["|".join(map(str, values)) for values in pairs[list(_GROUP)].itertuples(index=False)]
    for _key, group in pairs.groupby(pd.Series(keys, index=pairs.index), sort=False):
        if set(group["flow"]) != {FROM_RESTRICTING, FROM_OTHERS} or len(group) != 2:
            continue
        base = group["baseline"].to_numpy(dtype=float)
        predicted = base * (1.0 + group["predicted_change_pct"].to_numpy(dtype=float) / 100.0)
        observed = base * (1.0 + group["observed_change_pct"].to_numpy(dtype=float) / 100.0)
        if not (base > 0).all() or predicted.sum() <= 0:
            continue
        change = 100.0 * (predicted * observed.sum() / predicted.sum() / base - 1.0)
        out.loc[group.index, "conditioned_change_pct"] = change
        out.loc[group.index, "conditioned_error_pp"] = change - group[
            "observed_change_pct"
        ].to_numpy(dtype=float)
    return out


def _status_frame(scenario: Scenario, status: list[dict[str, Any]]) -> pd.DataFrame:
    spec = scenario.backtest
    return pd.DataFrame(
        [{"scenario": scenario.name, "set": spec.set if spec else None, **s} for s in status]
    )


def backtest_one(
    store: Store,
    scenario: Scenario,
    *,
    trade_source: str | None = None,
    observations: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Back-test one scenario that has a ``backtest`` section (see :func:`backtest`)."""
    cases, status = prepare_case(
        store, scenario, trade_source=trade_source, observations=observations
    )
    frames = [case_rows(c) for c in cases]
    return finish([*frames, _status_frame(scenario, status)])


def backtest_scenarios(names: Sequence[str] | None = None) -> list[Scenario]:
    """The named scenarios to back-test: ``names``, or all with a ``backtest`` section."""
    found = named_scenarios()
    if not names:
        return [v for v in found.values() if v.backtest is not None]
    out = []
    for name in names:
        if name not in found:
            raise UnknownNameError(
                f"no named scenario {name!r}", hint=suggestion(name, list(found))
            )
        if found[name].backtest is None:
            raise InputError(f"scenario {name!r} has no backtest section")
        out.append(found[name])
    return out


def prepare(
    store: Store,
    names: Sequence[str] | None = None,
    *,
    trade_source: str | None = None,
    observations: pd.DataFrame | None = None,
    progress: Progress | None = None,
) -> tuple[list[BacktestCase], pd.DataFrame]:
    """Every case of :func:`backtest_scenarios` ready to run, and a frame of status rows.

    A case whose data are missing (e.g. the HS17 file for gallium) becomes one status row
    saying what to import, instead of stopping the others.
    """
    step = progress or (lambda _text: None)
    table = load_observations() if observations is None else observations
    cases: list[BacktestCase] = []
    status: list[pd.DataFrame] = []
    for sc in backtest_scenarios(names):
        step(f"back-test {sc.name}: baseline and observations")
        try:
            found, missing = prepare_case(store, sc, trade_source=trade_source, observations=table)
        except DataMissingError as exc:
            found, missing = [], [{"status": f"data missing: {exc}"}]
        except MinsecError as exc:
            found, missing = [], [{"status": f"error: {exc}"}]
        cases.extend(found)
        status.append(_status_frame(sc, missing))
    parts = [s for s in status if not s.empty]
    return cases, pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def backtest(
    store: Store,
    names: Sequence[str] | None = None,
    *,
    trade_source: str | None = None,
    observations: pd.DataFrame | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Back-test the named real cases against observed trade and prices.

    Parameters
    ----------
    store:
        The data store.
    names:
        Scenarios to back-test (default: every named scenario with a ``backtest`` section).
    trade_source:
        Overrides each scenario's trade source.
    observations:
        The observation table (default: the packaged one, :func:`load_observations`).
    progress:
        Called with a short text before each case.

    Returns
    -------
    pandas.DataFrame
        One row per comparison (:data:`FRAME_COLUMNS`); a case whose data are missing gets
        one row whose ``status`` says what to import. :func:`summarize` gives the MAE.
    """
    step = progress or (lambda _text: None)
    cases, status = prepare(
        store, names, trade_source=trade_source, observations=observations, progress=step
    )
    frames = []
    for case in cases:
        step(f"back-test {case.scenario.name} ({case.stage}): model")
        frames.append(case_rows(case))
    return finish([*frames, status])


# -- summary -----------------------------------------------------------------------------------


_WRONG_COLUMNS = (
    "scenario",
    "set",
    "period",
    "flow",
    "predicted_change_pct",
    "observed_change_pct",
)


@dataclass(frozen=True)
class BacktestSummary:
    """Mean absolute errors and direction failures of a back-test frame.

    Attributes
    ----------
    table:
        One row per kind (trade, price, the trade rows no known data defect touches, and
        the trade rows split into the direct effect — from restricting — and the response
        — from others) × set (all, calibration, holdout): ``rows``, ``cases`` and
        ``mae_pp``.
    wrong_direction:
        The rows whose observed change exceeds :data:`DIRECTION_THRESHOLD_PCT` (absolute)
        and whose predicted change goes the other way (or does not move).
    missing:
        Cases or periods that could not be compared, with the reason.
    price_cap:
        One row per case, stage and observed period with a price row: ``set``,
        ``months_at_cap`` (the model's price on ``max_price_multiple``) and ``months``.
    """

    table: pd.DataFrame
    wrong_direction: pd.DataFrame
    missing: pd.DataFrame
    price_cap: pd.DataFrame = field(default_factory=pd.DataFrame)

    def mae(self, kind: str = TRADE, which: str = "all") -> float:
        """MAE (pp) of ``kind`` rows in ``which`` set (all, calibration, holdout)."""
        row = self.table[(self.table["kind"] == kind) & (self.table["set"] == which)]
        return float(row["mae_pp"].iloc[0]) if not row.empty else math.nan

    def lines(self) -> list[str]:
        """The summary in words, one line each."""
        out = []
        labels = {TRADE: "trade rows (restricting/others; totals without a split)",
                  TRADE_CLEAN: "the same without the rows known data defects touch",
                  TRADE_RESTRICTING: "the direct effect (from restricting)",
                  TRADE_OTHERS: "the response (from others)",
                  TRADE_CONDITIONED: "the split given the observed total (a diagnostic, "
                  "not out of sample; without defects)",
                  PRICE: "price rows"}  # fmt: skip
        for kind, label in labels.items():
            sub = {r["set"]: r for r in self.table[self.table["kind"] == kind].to_dict("records")}
            parts = [
                f"{which} {sub[which]['mae_pp']:.1f} pp ({sub[which]['rows']} "
                f"row{'' if sub[which]['rows'] == 1 else 's'}, "
                f"{sub[which]['cases']} case{'' if sub[which]['cases'] == 1 else 's'})"
                for which in ("all", *SETS)
                if which in sub and sub[which]["rows"] > 0
            ]
            if parts:
                out.append(f"MAE of {label}: " + "; ".join(parts))
        w = self.wrong_direction
        head = (
            f"rows with |observed change| > {DIRECTION_THRESHOLD_PCT:.0f} % and the wrong "
            f"direction: {len(w)}"
        )
        out.append(head + (":" if len(w) else ""))
        for rec in w.to_dict("records"):
            pc, oc = rec["predicted_change_pct"], rec["observed_change_pct"]
            flag = " (known data defect)" if str(rec.get("data_note") or "") else ""
            out.append(
                f"  {rec['scenario']} {rec['period']} {rec['flow']}: predicted {pc:+.1f} %, "
                f"observed {oc:+.1f} %{flag}"
            )
        out += self._cap_lines()
        for rec in self.missing.to_dict("records"):
            out.append(f"not compared: {rec['scenario']}: {rec['status']}")
        return out

    def _cap_lines(self) -> list[str]:
        cap = self.price_cap
        if cap.empty:
            return []
        parts = []
        for which in ("all", *SETS):
            sub = cap if which == "all" else cap[cap["set"] == which]
            if len(sub):
                parts.append(
                    f"{which} {int(sub['months_at_cap'].sum())} of {int(sub['months'].sum())}"
                )
        out = ["months with the model's price on the cap (the price rows' periods): "
               + "; ".join(parts)]  # fmt: skip
        hit = cap[cap["months_at_cap"] > 0]
        out += [
            f"  {r['scenario']} {r['period']}: {r['months_at_cap']} of {r['months']}"
            for r in hit.to_dict("records")
        ]
        return out

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        from minsec.output import to_records

        return {
            "mae": to_records(self.table),
            "wrong_direction": to_records(self.wrong_direction[list(_WRONG_COLUMNS)]),
            "missing": to_records(self.missing),
            "price_cap": to_records(self.price_cap),
        }


def has_note(frame: pd.DataFrame) -> pd.Series:
    """Rows a known or screened defect of the observed data touches (a ``data_note``)."""
    return frame["data_note"].map(lambda v: isinstance(v, str) and v != "").astype(bool)


def summarize(frame: pd.DataFrame) -> BacktestSummary:
    """MAE by kind and set, and the rows with a wrong direction (see the module docstring)."""
    ok = frame[frame["status"] == "ok"] if "status" in frame else frame.iloc[0:0]
    rows = []
    counted = ok["in_mae"].astype(bool)
    clean = ~has_note(ok) if "data_note" in ok else counted
    flows = {TRADE_RESTRICTING: FROM_RESTRICTING, TRADE_OTHERS: FROM_OTHERS}
    for kind in (TRADE, TRADE_CLEAN, TRADE_RESTRICTING, TRADE_OTHERS, TRADE_CONDITIONED, PRICE):
        if kind == PRICE:
            sel = ok[ok["kind"] == PRICE]
        elif kind == TRADE_CONDITIONED:
            has = ok["conditioned_error_pp"].notna() if "conditioned_error_pp" in ok else counted
            sel = ok[(ok["kind"] == TRADE) & counted & clean & has]
        elif kind in flows:
            sel = ok[(ok["kind"] == TRADE) & counted & (ok["flow"] == flows[kind])]
        else:
            sel = ok[(ok["kind"] == TRADE) & counted & (clean if kind == TRADE_CLEAN else True)]
        for which in ("all", *SETS):
            part = sel if which == "all" else sel[sel["set"] == which]
            err = part["conditioned_error_pp" if kind == TRADE_CONDITIONED else "error_pp"].abs()
            rows.append(
                {
                    "kind": kind,
                    "set": which,
                    "rows": len(part),
                    "cases": part["scenario"].nunique(),
                    "mae_pp": float(err.mean()) if len(part) else math.nan,
                }
            )
    big = ok["observed_change_pct"].abs() > DIRECTION_THRESHOLD_PCT
    listed = counted | (ok["kind"] == PRICE)
    wrong = ok[big & listed & ~ok["direction_ok"].astype(bool)]
    missing = (
        frame[frame["status"] != "ok"][["scenario", "status"]]
        if "status" in frame
        else pd.DataFrame(columns=["scenario", "status"])
    )
    return BacktestSummary(pd.DataFrame(rows), wrong.reset_index(drop=True), missing, _caps(ok))


def _caps(ok: pd.DataFrame) -> pd.DataFrame:
    """Months at the price cap per case, stage and observed period (price rows)."""
    cols = ["scenario", "set", "stage", "period", "months_at_cap", "months"]
    if "months_at_cap" not in ok:
        return pd.DataFrame(columns=cols)
    price = ok[(ok["kind"] == PRICE) & ok["months_at_cap"].notna()]
    price = price.drop_duplicates(["scenario", "stage", "period"])
    out = price.assign(
        months_at_cap=price["months_at_cap"].astype(int),
        months=[parse_period(str(v)).months for v in price["period"]],
    )
    return out[cols].reset_index(drop=True)


def summary_frame(summary: BacktestSummary) -> pd.DataFrame:
    """The summary as rows with the back-test's columns (appended to CSV output).

    ``scenario`` is ``summary``; ``flow`` names the statistic; ``error_pp`` holds the MAE
    and ``n_rows`` the number of rows it is taken over.
    """
    rows = [
        {
            "scenario": "summary",
            "set": rec["set"],
            "kind": rec["kind"],
            "flow": "mean absolute error",
            "n_rows": rec["rows"],
            "error_pp": rec["mae_pp"],
            "status": "ok",
        }
        for rec in summary.table.to_dict("records")
    ]
    rows.append(
        {
            "scenario": "summary",
            "set": "all",
            "kind": "",
            "flow": f"wrong direction where |observed| > {DIRECTION_THRESHOLD_PCT:.0f} %",
            "n_rows": len(summary.wrong_direction),
            "status": "ok",
        }
    )
    out = pd.DataFrame(rows).reindex(columns=list(FRAME_COLUMNS))
    out["n_rows"] = out["n_rows"].astype("Int64")
    return out


def backtest_markdown(frame: pd.DataFrame) -> str:
    """The back-test as a Markdown table (the one in docs/disruption.md), with the summary."""
    lines = [
        "| case | set | stage, HS | base → period | compared | baseline | predicted | "
        "observed | error (pp) |",
        "|---|---|---|---|---|---:|---:|---:|---:|",
    ]
    ok = frame[frame["status"] == "ok"] if "status" in frame else frame.iloc[0:0]
    for rec in ok.to_dict("records"):
        who = "targets" if rec["importers"] == "targets" else "reporters"
        what = (
            f"{rec['flow']}, {who} ({int(rec['n_importers'])})"
            if rec["kind"] == TRADE
            else str(rec["series"])
        )
        mark = "" if rec["in_mae"] or rec["kind"] == PRICE else " ¹"
        mark += " ²" if str(rec.get("data_note") or "") else ""
        lines.append(
            f"| {rec['scenario']} | {rec['set']} | {rec['stage']} {rec['hs6']} "
            f"| {rec['baseline_period']} → {rec['period']} | {what}{mark} "
            f"| {rec['baseline']:,.4g} {rec['basis']} | {rec['predicted_change_pct']:+.1f} % "
            f"| {rec['observed_change_pct']:+.1f} % | {rec['error_pp']:+.1f} |"
        )
    lines.append("")
    lines.append("¹ not in the MAE: the total of a split already counted.")
    lines.append(
        "² a known defect of the observed data (`data_note`: hand-written, or found by the "
        "screen); in the MAE all the same."
    )
    lines.append("")
    lines.extend(f"{s}  " if not s.startswith("  ") else f"* {s.strip()}" for s in
                 summarize(frame).lines())  # fmt: skip
    return "\n".join(lines) + "\n"


def write_observations(rows: Sequence[dict[str, Any]], path: Path | str) -> None:
    """Write observation rows (dicts with :data:`OBSERVATION_COLUMNS`) as the packaged CSV."""
    with Path(path).open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(OBSERVATION_COLUMNS), lineterminator="\n")
        writer.writeheader()
        for rec in rows:
            writer.writerow({k: rec.get(k, "") for k in OBSERVATION_COLUMNS})
