"""Sensitivity of a scenario's answer to its assumptions: the tornado.

For a scenario, each assumption of ``data/sensitivity.toml`` (elasticities, leakage, spare
capacity, ramp, spot share, price cap, the events' fractions, the declared stockpiles;
:mod:`minsec.disrupt.sensitivity_ranges`) is set to its low and to its high value while
every other assumption keeps the scenario's value (one at a time). The **headline**
numbers of each case are

* the shortfall of the partners over the horizon, in tonnes and in % of their apparent
  consumption — for the partners together (the union of their members, labelled
  ``USA+JPN``), for each partner and for the world;
* the peak and the mean of the monthly price index p/p0 (one world price).

**swing** = |value at high − value at low|; the rows of each (stage, party, metric) are
ranked by swing, largest first: the assumption at rank 1 moves that number most.

The cases that change only engine parameters or the events' fractions run in **one**
engine call per stage, one run per case (per-run parameter arrays and shock rows,
:func:`~minsec.disrupt.sensitivity_ranges.stack`); cases that change the network (spare
capacity) or the responses (stockpiles) run one call each. ``batch=False`` runs every case
on its own (the same numbers; a test checks it).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from minsec.catalog import blocs
from minsec.errors import DataMissingError, InputError

from .engine import propagate
from .model import FloatArray, Outcome
from .scenario import (
    Scenario,
    _commodity_parameters,
    engine_parameters,
    stage_inputs,
    stages_for,
)
from .sensitivity_ranges import EngineInputs, SensitivityRange, load_ranges, stack

Progress = Callable[[str], None]

DEFAULT_PARTNERS = ("USA", "JPN")
"""Partners whose shortfall is the headline when none are named (the framework's two)."""
WORLD = "world"
"""The party of world totals and of the price metrics."""
METRICS: dict[str, str] = {
    "shortfall_t": "shortfall over the horizon (t)",
    "shortfall_pct": "shortfall over the horizon (% of apparent consumption)",
    "peak_price_index": "peak monthly price index (p/p0)",
    "mean_price_index": "mean monthly price index (p/p0)",
}
PRICE_METRICS = ("peak_price_index", "mean_price_index")
COLUMNS = [
    "stage", "party", "metric", "rank", "parameter", "label", "target", "low_value",
    "base_value", "high_value", "unit", "at_low", "at_base", "at_high", "swing", "source",
    "judgement", "note",
]  # fmt: skip


# -- headline numbers of an engine outcome --------------------------------------------------


def party_matrix(
    countries: Sequence[str], parties: Mapping[str, Sequence[str]]
) -> tuple[list[str], FloatArray]:
    """Labels and ``(P, n)`` membership of the parties that have a member in ``countries``.

    The party :data:`WORLD` holds every country.
    """
    pos = {c: i for i, c in enumerate(countries)}
    labels: list[str] = []
    rows: list[FloatArray] = []
    for label, members in parties.items():
        row = np.zeros(len(countries))
        if label == WORLD:
            row[:] = 1.0
        else:
            row[[pos[m] for m in members if m in pos]] = 1.0
        if row.any():
            labels.append(label)
            rows.append(row)
    return labels, np.array(rows).reshape(len(rows), len(countries))


def headline(out: Outcome, member: FloatArray) -> dict[str, FloatArray]:
    """Headline numbers of every run: ``(R, P)`` shortfalls, ``(R,)`` price indices.

    ``shortfall_t`` is summed over the horizon (``out`` may hold months or the engine's
    ``totals``); ``shortfall_pct`` is of the parties' apparent consumption over the
    horizon.
    """
    months = out.price_index.shape[1]
    short = np.asarray(out.shortfall_t, dtype=float).sum(axis=1) @ member.T
    consumption = member @ out.baseline_monthly_t * months
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(consumption > 0, 100.0 * short / consumption, np.nan)
    return {
        "shortfall_t": short,
        "shortfall_pct": pct,
        "peak_price_index": out.price_index.max(axis=1),
        "mean_price_index": out.price_index.mean(axis=1),
    }


def _run(inputs: EngineInputs) -> Outcome:
    return propagate(inputs.baseline, inputs.shocks, inputs.params, inputs.responses, totals=True)


def _run_case(inputs: EngineInputs, rng: SensitivityRange, value: float) -> Outcome:
    try:
        return _run(inputs)
    except ValueError as exc:
        raise InputError(
            f"the engine refuses {rng.id} = {rng.shown(inputs, value):g}: {exc}",
            column=f"range {rng.id}",
            hint="change low/high in sensitivity.toml",
        ) from None


def _pick(values: Mapping[str, FloatArray], run: int) -> dict[str, FloatArray]:
    return {k: np.asarray(v[run]) for k, v in values.items()}


_UNITS = {"months": "mo", "days": "d"}


def value_text(value: float, unit: str = "", *, short: bool = False) -> str:
    """An assumption's value as a table shows it: ``-0.05``, ``3 months``, ``×0.5``.

    ``short`` abbreviates units (``3 mo``) for terminal tables.
    """
    if math.isnan(value):  # arrays that differ by country
        return "as in the scenario"
    if unit.startswith("x"):
        return f"×{value:g}"
    return f"{value:g} {_UNITS.get(unit, unit) if short else unit}".strip()


def number_text(metric: str, value: float) -> str:
    """A headline number without its unit: ``17.2`` (%), ``6,874`` (t), ``6.03`` (p/p0)."""
    if math.isnan(value):
        return "—"
    if metric == "shortfall_t":
        return f"{value:,.0f}"
    return f"{value:.1f}" if metric == "shortfall_pct" else f"{value:.2f}"


def metric_text(metric: str, value: float, *, swing: bool = False) -> str:
    """A headline number with its unit: ``17.2 %`` (``17.2 pp`` as a swing), ``6.03×``."""
    text = number_text(metric, value)
    if math.isnan(value):
        return text
    if metric == "shortfall_t":
        return f"{text} t"
    if metric == "shortfall_pct":
        return f"{text} {'pp' if swing else '%'}"
    return text if swing else f"{text}×"


# -- one stage --------------------------------------------------------------------------------


def stage_tornado(
    inputs: EngineInputs,
    parties: Mapping[str, Sequence[str]],
    ranges: Sequence[SensitivityRange],
    *,
    batch: bool = True,
) -> pd.DataFrame:
    """The tornado of one stage: headline numbers at each range's low and high value.

    Parameters
    ----------
    inputs:
        The scenario's engine inputs (one run) on the stage's baseline.
    parties:
        Label → member country ids (:data:`WORLD` = every country); parties without a
        member in the baseline are left out.
    ranges:
        The assumptions to vary.
    batch:
        Run the cases of parameter and event ranges in one engine call (else one call
        per case; the numbers are the same).

    Returns
    -------
    pandas.DataFrame
        One row per party × metric × range (the columns of :data:`COLUMNS` but ``stage``
        and ``rank``). Price metrics belong to :data:`WORLD` only.
    """
    if inputs.shocks.runs != 1:
        raise ValueError(f"a tornado varies one run of shocks, not {inputs.shocks.runs}")
    ids = [r.id for r in ranges]
    if len(set(ids)) != len(ids):
        raise InputError(f"range ids must be unique (got {ids})", column="ranges")
    labels, member = party_matrix(inputs.baseline.countries, parties)
    cases = [
        (rng, side, value, rng.apply(inputs, value))
        for rng in ranges
        for side, value in (("low", rng.low), ("high", rng.high))
    ]
    found: dict[tuple[str, str], dict[str, FloatArray]] = {}
    together = [c for c in cases if batch and c[0].batched]
    if together:
        try:
            out = _run(stack([inputs] + [c[3] for c in together]))
        except ValueError:  # one case is invalid: the separate runs below name it
            together = []
        else:
            values = headline(out, member)
            base = _pick(values, 0)
            for i, (rng, side, _, _) in enumerate(together, start=1):
                found[rng.id, side] = _pick(values, i)
    if not together:
        try:
            base = _pick(headline(_run(inputs), member), 0)
        except ValueError as exc:
            raise InputError(f"the scenario's own parameters are refused: {exc}") from None
    for rng, side, value, case in cases:
        if (rng.id, side) not in found:
            found[rng.id, side] = _pick(headline(_run_case(case, rng, value), member), 0)

    rows = []
    for rng in ranges:
        lo, hi = found[rng.id, "low"], found[rng.id, "high"]
        if rng.scale and rng.current_is_zero(inputs):
            note = "the scenario has none: a multiple of 0 changes nothing"
        else:
            note = "; ".join(
                f"{side} value limited to {rng.clip[0]:g}–{rng.clip[1]:g}"
                for side, value in (("low", rng.low), ("high", rng.high))
                if rng.clipped(inputs, value)
            )
        common = {
            "parameter": rng.id,
            "label": rng.label,
            "target": rng.target,
            "low_value": rng.shown(inputs, rng.low),
            "base_value": rng.shown(inputs, None),
            "high_value": rng.shown(inputs, rng.high),
            "unit": rng.unit,
            "source": rng.source,
            "judgement": rng.judgement,
            "note": note,
        }
        for metric in METRICS:
            price = metric in PRICE_METRICS
            for p, party in enumerate(labels):
                if price and party != WORLD:
                    continue
                at = [float(v[metric] if price else v[metric][p]) for v in (lo, base, hi)]
                rows.append(
                    {
                        "party": party,
                        "metric": metric,
                        **common,
                        "at_low": at[0],
                        "at_base": at[1],
                        "at_high": at[2],
                        "swing": abs(at[2] - at[0]),
                    }
                )
    return pd.DataFrame(rows, columns=[c for c in COLUMNS if c not in ("stage", "rank")])


def rank_rows(frame: pd.DataFrame, order: Sequence[str]) -> pd.DataFrame:
    """Rank the ranges by swing within each stage, party and metric (ties: table order)."""
    if frame.empty:
        return frame.reindex(columns=COLUMNS)
    out = frame.copy()
    out["_order"] = out["parameter"].map({p: i for i, p in enumerate(order)})
    out["_party"] = out["party"].map({p: i for i, p in enumerate(dict.fromkeys(out["party"]))})
    out["_metric"] = out["metric"].map({m: i for i, m in enumerate(METRICS)})
    out["_swing"] = out["swing"].fillna(-1.0)
    out = out.sort_values(
        ["stage", "_party", "_metric", "_swing", "_order"],
        ascending=[True, True, True, False, True],
        kind="stable",
    )
    out["rank"] = out.groupby(["stage", "party", "metric"], sort=False).cumcount() + 1
    return out[COLUMNS].reset_index(drop=True)


# -- a scenario ------------------------------------------------------------------------------


@dataclass
class SensitivityResult:
    """What :func:`sensitivity` returns.

    Attributes
    ----------
    table:
        One row per stage × party × metric × assumption (:data:`COLUMNS`), ranked by
        swing within each stage, party and metric.
    headline_party:
        The party of the headline: the partners together (``USA+JPN``) or the one partner.
    parties:
        The partners asked for (each has its own rows), then :data:`WORLD`.
    """

    scenario: Scenario
    baseline_year: int
    start: dt.date
    stages: list[str]
    headline_party: str
    parties: list[str]
    ranges: tuple[SensitivityRange, ...]
    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def tornado(
        self, metric: str = "shortfall_pct", party: str | None = None, stage: str | None = None
    ) -> pd.DataFrame:
        """The rows of one tornado, largest swing first (default: the headline party).

        Price metrics are the :data:`WORLD`'s whatever ``party`` says.
        """
        if metric not in METRICS:
            raise InputError(f"unknown metric {metric!r}; one of {', '.join(METRICS)}",
                             column="metric")  # fmt: skip
        who = WORLD if metric in PRICE_METRICS else (party or self.headline_party)
        t = self.table
        rows = t[(t["metric"] == metric) & (t["party"] == who)]
        if stage is not None:
            rows = rows[rows["stage"] == stage]
        return rows.reset_index(drop=True)

    def meta(self) -> dict[str, Any]:
        """JSON-ready description: scenario, parties, metrics, ranges and their sources."""
        sc = self.scenario
        return {
            "scenario": sc.name,
            "title": sc.title,
            "commodity": sc.commodity,
            "baseline_year": self.baseline_year,
            "start": self.start.isoformat(),
            "months": sc.months,
            "stages": list(self.stages),
            "headline_party": self.headline_party,
            "parties": list(self.parties),
            "metrics": dict(METRICS),
            "method": "one at a time: each assumption at its low and high value, the others "
            "at the scenario's; swing = |at high - at low|; rank 1 = largest swing",
            "ranges": [
                {
                    "id": r.id,
                    "label": r.label,
                    "target": r.target,
                    "field": r.field,
                    "scale": r.scale,
                    "low": r.low,
                    "high": r.high,
                    "unit": r.unit,
                    "source": r.source,
                    "judgement": r.judgement,
                    "basis": r.basis,
                }
                for r in self.ranges
            ],
            "notes": list(self.notes),
        }


def resolve_partners(names: str | Sequence[str] | None) -> tuple[str, dict[str, tuple[str, ...]]]:
    """The headline label and the parties of a tornado (headline, partners, world).

    Several partners also get a party of their own together: the union of their members,
    labelled ``USA+JPN``.
    """
    chosen = DEFAULT_PARTNERS if names is None else names
    partners = blocs.parties(chosen if isinstance(chosen, str) else list(chosen))
    out: dict[str, tuple[str, ...]] = {}
    if len(partners) > 1:
        union = sorted({m for members in partners.values() for m in members})
        out["+".join(partners)] = tuple(union)
    out.update(partners)
    out[WORLD] = ()
    return next(iter(out)), out


def sensitivity(
    store: Any,
    scenario: Scenario,
    *,
    parties: str | Sequence[str] | None = None,
    baseline_year: int | None = None,
    trade_source: str | None = None,
    ranges: Sequence[SensitivityRange] | None = None,
    batch: bool = True,
    progress: Progress | None = None,
) -> SensitivityResult:
    """The tornado of a scenario: which assumption moves its headline numbers most.

    Parameters
    ----------
    store:
        The data store (:class:`minsec.store.Store`).
    scenario:
        The scenario (its events, responses and parameter overrides are the base case).
    parties:
        Partners whose shortfall is the headline (countries and blocs; default
        :data:`DEFAULT_PARTNERS`).
    baseline_year, trade_source:
        Override the scenario's, as in :func:`minsec.disrupt.scenario.simulate`.
    ranges:
        The assumptions (default: :func:`~minsec.disrupt.sensitivity_ranges.load_ranges`).
    batch:
        Evaluate parameter and event cases in one engine call per stage.
    progress:
        Called with a short text before each step.

    Returns
    -------
    SensitivityResult
        The ranked table, the headline party, the ranges and notes.
    """
    step = progress or (lambda _text: None)
    chosen = tuple(load_ranges() if ranges is None else ranges)
    if not chosen:
        raise InputError("no sensitivity range to vary", column="ranges")
    head, party_map = resolve_partners(parties)
    year = int(baseline_year or scenario.baseline_year)
    source = trade_source or scenario.trade_source
    start = scenario.start or scenario.first_start()
    cparams = _commodity_parameters(scenario)
    stages = stages_for(store, scenario, year, source)
    frames: list[pd.DataFrame] = []
    notes: list[str] = []
    for stage in stages:
        step(f"baseline {scenario.commodity} {stage} {year}")
        got = stage_inputs(
            store, scenario, stage, year, start, stages, trade_source=source, parameters=cparams
        )
        b = got.baseline
        notes.extend(f"{stage}: {t}" for t in (*b.notes, *got.notes))
        inputs = EngineInputs(b, got.shocks, engine_parameters(scenario, cparams), got.responses)
        missing = [p for p in party_map if p not in party_matrix(b.countries, party_map)[0]]
        notes.extend(f"{stage}: {p} has no trade or production in the baseline" for p in missing)
        step(f"sensitivity {stage}: {len(chosen)} assumptions x 2 cases")
        frames.append(stage_tornado(inputs, party_map, chosen, batch=batch).assign(stage=stage))
    table = rank_rows(pd.concat(frames, ignore_index=True), [r.id for r in chosen])
    if table.empty:
        raise DataMissingError("no stage of the scenario has data for a sensitivity analysis")
    for rng in chosen:
        zero = table[(table["parameter"] == rng.id) & (table["note"] != "")]
        if not zero.empty:
            notes.append(f"{rng.id}: {zero['note'].iloc[0]}")
    return SensitivityResult(
        scenario=scenario,
        baseline_year=year,
        start=start,
        stages=list(stages),
        headline_party=head,
        parties=list(party_map)[1:] if len(party_map) > 2 else list(party_map),
        ranges=chosen,
        table=table,
        notes=list(dict.fromkeys(notes)),
    )
