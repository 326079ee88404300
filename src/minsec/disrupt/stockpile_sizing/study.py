"""Stockpile sizing on the store's data: Monte Carlo → loss per run → LP → tables.

:func:`size_stockpiles` runs the disruption Monte Carlo for the partners
(:func:`minsec.disrupt.montecarlo.run_risk` with ``keep_runs``), takes each run's loss
that stock must cover (``basis``: the need at pre-disruption prices,
:class:`~.need.NeedEngine`, or the engine's shortfall), prices a tonne held by each partner
(:mod:`.costs`), sizes the stocks pooled and alone (:mod:`.lp`), traces the curve of cost
against the target's cap, and on request re-simulates the sized stocks through the
engine's :class:`~minsec.disrupt.model.Responses` (``verify``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from minsec.disrupt.model import Baseline, FloatArray, Parameters
from minsec.disrupt.stockpile_sizing import SizingTable
from minsec.disrupt.stockpile_sizing import costs as cost_data
from minsec.disrupt.stockpile_sizing.curve import CURVE_POINTS, trace_curve
from minsec.disrupt.stockpile_sizing.lp import Sizer
from minsec.disrupt.stockpile_sizing.need import NeedEngine
from minsec.disrupt.stockpile_sizing.problem import Sizing, SizingProblem, unmet
from minsec.disrupt.stockpile_sizing.tables import flows_frame, summary_frame, totals_frame
from minsec.disrupt.stockpile_sizing.target import Target, parse_target
from minsec.disrupt.stockpile_sizing.verify import VERIFY_COLUMNS, verify_in_engine
from minsec.errors import InputError

if TYPE_CHECKING:
    from minsec.disrupt.montecarlo import Party, RiskResult
    from minsec.disrupt.risk_model import RiskModel
    from minsec.store import Store

Basis = Literal["need", "shortfall"]
BASES: tuple[str, ...] = ("need", "shortfall")
BASIS_TEXT = {
    "need": "need: tonnes a partner lacks at pre-disruption prices, before spare capacity, "
    "resale and the price respond (what its stockpile draws in the engine, step 5)",
    "shortfall": "shortfall: the engine's shortfall after the market's response (as in "
    "`minsec risk`), covered one for one by releases",
}
Progress = Callable[[str, float], None]
"""``progress(step, fraction done in [0, 1])``."""
CURVE_MIP_TIME_LIMIT_S = 10.0
"""Time limit of each pooled probability-target MIP of the curve (the target's own: 60 s)."""
VIEWS = tuple(t.value for t in SizingTable)


@dataclass
class StockpileSizing:
    """What :func:`size_stockpiles` returns: the two solutions, their tables and the meta."""

    problem: SizingProblem
    pooled: Sizing
    alone: Sizing
    costs: list[cost_data.HoldingCost]
    curve: pd.DataFrame
    verify: pd.DataFrame | None
    meta: dict[str, Any]
    months: int = 12
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def view(self, name: str) -> pd.DataFrame:
        """One table: summary, totals, curve, flows, costs or verify."""
        if name not in VIEWS:
            raise InputError(f"unknown table {name!r}; expected one of {VIEWS}", column="view")
        if name not in self.tables:
            self.tables[name] = self._make(name)
        return self.tables[name]

    def _make(self, name: str) -> pd.DataFrame:
        if name == "summary":
            return summary_frame(self.problem, self.pooled, self.alone, self.months)
        if name == "totals":
            return totals_frame(self.problem, self.pooled, self.alone, self.months)
        if name == "curve":
            return self.curve
        if name == "flows":
            return flows_frame(self.problem, self.pooled, self.alone, self.months)
        if name == "costs":
            return cost_data.costs_frame(self.costs)
        return self.verify if self.verify is not None else pd.DataFrame(columns=VERIFY_COLUMNS)


# --------------------------------------------------------------------------- run


def parse_limits(
    values: Mapping[str, float] | None, partners: Sequence[str], name: str
) -> FloatArray | None:
    """``{partner: value}`` → ``(P,)`` array (missing partners: NaN), checked ≥ 0."""
    if not values:
        return None
    from minsec.catalog import blocs

    out = np.full(len(partners), np.nan)
    index = {p: i for i, p in enumerate(partners)}
    for key, value in values.items():
        try:
            label = blocs.resolve_party(key)[0]
        except InputError as exc:
            raise InputError(exc.message, column=name, hint=exc.hint) from None
        if label not in index:
            raise InputError(f"{key!r} is not one of the partners {list(partners)}", column=name)
        v = float(value)
        if not math.isfinite(v) or v < 0:
            raise InputError(f"{name} of {key} is {value!r}; expected a number ≥ 0", column=name)
        out[index[label]] = v
    return out


def size_stockpiles(
    source: Store | Baseline,
    partners: str | Sequence[str],
    target: Target | str,
    *,
    commodity: str | None = None,
    year: int | None = None,
    stage: str | None = None,
    runs: int = 10_000,
    seed: int | None = None,
    basis: Basis = "need",
    months: int = 12,
    model: RiskModel | None = None,
    store: Store | None = None,
    params: Parameters | None = None,
    price_usd_per_t: float | None = None,
    price_source: str | None = None,
    cost_table: Mapping[str, Any] | None = None,
    existing_t: Mapping[str, float] | None = None,
    max_stock_t: Mapping[str, float] | None = None,
    release_t_per_month: Mapping[str, float] | None = None,
    curve_points: int = CURVE_POINTS,
    verify: bool = False,
    workers: int | None = None,
    max_runs: int | None = None,
    time_limit: float | None = None,
    progress: Progress | None = None,
) -> StockpileSizing:
    """Size complementary stockpiles for ``partners``.

    See the module doc and ``docs/stockpile-sizing.md``.

    Parameters
    ----------
    source:
        A store (``commodity``, ``year``, ``stage`` build the baseline) or a Baseline
        (then ``store`` gives governance scores).
    commodity, year, stage:
        The mineral, the baseline year (default: the latest year of trade) and the stage
        of its trade basket (default: the commodity's first), when ``source`` is a store.
    store:
        The store for governance scores when ``source`` is a Baseline.
    partners:
        Countries and blocs, ``"USA,JPN"`` or a list; they must not overlap.
    target:
        A :class:`Target` or its text (``"cvar95<=5%"``, ``"p10<=5%"``).
    runs, seed, months, model, params, workers, max_runs:
        The Monte Carlo (as :func:`minsec.disrupt.montecarlo.run_risk`).
    basis:
        ``"need"`` (default) or ``"shortfall"``: the loss stock must cover
        (:data:`BASIS_TEXT`).
    price_usd_per_t, price_source:
        Today's price of a tonne (default: the baseline's import unit value, BACI).
    cost_table:
        Holding-cost table (default: :func:`.costs.load_table`).
    existing_t, max_stock_t, release_t_per_month:
        Per partner: stock already held, the most it can hold, the most it can release
        per month (its release over the horizon is at most this × ``months``).
    curve_points:
        Caps on the curve of cost against the target's cap (2–41; plus the target's).
    verify:
        Also re-simulate the sized stocks through the engine (four more Monte Carlo runs
        with the same seed: no stock, alone, pooled, unlimited) and report the engine's
        risk.
    time_limit:
        Seconds for a pooled probability-target MIP (default 60).
    progress:
        Called as ``progress(step, fraction)``.
    """
    from minsec.disrupt.montecarlo import resolve_parties, run_risk

    started = time.perf_counter()
    goal = parse_target(target) if isinstance(target, str) else target
    if basis not in BASES:
        raise InputError(f"basis {basis!r} is not one of {BASES}", column="basis")

    def report(text: str, frac: float) -> None:
        if progress is not None:
            progress(text, frac)

    report("baseline", 0.0)
    baseline, gov_store, params = _baseline(source, commodity, year, stage, months, params, store)
    parties, party_notes = resolve_parties(baseline, partners, params.months)
    _check_partners(parties)
    labels = tuple(p.label for p in parties)
    share = 0.55 if verify else 0.8
    engine = NeedEngine(tuple(i for p in parties for i in p.index)) if basis == "need" else None
    mc_started = time.perf_counter()
    result = run_risk(
        baseline,
        [p.label for p in parties],
        runs=runs,
        seed=seed,
        model=model,
        store=gov_store,
        params=params,
        alpha=goal.alpha,
        threshold=goal.threshold if goal.kind == "probability" else 0.1,
        keep_runs=True,
        workers=workers,
        max_runs=max_runs,
        engine=engine,
        progress=lambda done, total: report(f"Monte Carlo ({basis})", share * done / max(total, 1)),
    )
    mc_seconds = time.perf_counter() - mc_started
    assert result.shortfall_runs_t is not None
    price, price_src = _price(baseline, price_usd_per_t, price_source)
    holding = cost_data.holding_costs(labels, price, price_src, cost_table)
    release = parse_limits(release_t_per_month, labels, "release_t_per_month")
    problem = SizingProblem(
        partners=labels,
        loss_t=np.ascontiguousarray(result.shortfall_runs_t, dtype=np.float64),
        consumption_t=np.array([p.consumption_t for p in parties]),
        holding_usd_per_t_year=np.array([c.holding_usd_per_t_year for c in holding]),
        existing_t=_fill(parse_limits(existing_t, labels, "existing_t"), 0.0),
        max_stock_t=_fill(parse_limits(max_stock_t, labels, "max_stock_t"), np.inf),
        release_cap_t=None if release is None else _fill(release * params.months, np.inf),
    )
    sizers = {mode: Sizer(problem, goal, mode, time_limit) for mode in (True, False)}
    report("optimise (pooled)", share)
    pooled = sizers[True].at()
    report("optimise (alone)", share + 0.05)
    try:
        alone = sizers[False].at()
    except InputError as exc:  # pooling can meet a target no partner meets alone
        alone = unmet(problem, goal, sizers[False].before, exc.message)
    report("curve", share + 0.1)
    curve_started = time.perf_counter()
    if goal.kind == "probability":  # a shorter MIP time limit for each point of the curve
        limit = (
            CURVE_MIP_TIME_LIMIT_S
            if time_limit is None
            else min(time_limit, CURVE_MIP_TIME_LIMIT_S)
        )
        for sizer in sizers.values():
            sizer.time_limit = limit
    curve = trace_curve(
        sizers,
        curve_points,
        progress=lambda f: report("curve", share + 0.1 + 0.1 * f),
        known={True: pooled, False: alone},
    )
    curve_seconds = time.perf_counter() - curve_started
    checked = None
    verify_seconds = 0.0
    if verify:
        v_started = time.perf_counter()
        checked = verify_in_engine(
            baseline, parties, problem, goal, pooled, alone, seed=result.meta["seed"],
            runs=runs, model=model, store=gov_store, params=params, workers=workers,
            max_runs=max_runs, progress=lambda f: report("verify in the engine", 0.75 + 0.25 * f),
        )  # fmt: skip
        verify_seconds = time.perf_counter() - v_started
    report("done", 1.0)
    meta = _meta(
        baseline, problem, goal, basis, result, holding, pooled, alone,
        notes=[*party_notes, *(n for n in result.meta.get("notes", []) if n not in party_notes)],
        seconds={
            "monte_carlo": round(mc_seconds, 3),
            "pooled": round(pooled.solve_seconds, 3),
            "alone": round(alone.solve_seconds, 3),
            "curve": round(curve_seconds, 3),
            "verify": round(verify_seconds, 3),
            "total": round(time.perf_counter() - started, 3),
        },
    )  # fmt: skip
    return StockpileSizing(problem, pooled, alone, holding, curve, checked, meta, params.months)


def _fill(values: FloatArray | None, default: float) -> FloatArray | None:
    return None if values is None else np.where(np.isnan(values), default, values)


def _baseline(
    source: Store | Baseline,
    commodity: str | None,
    year: int | None,
    stage: str | None,
    months: int,
    params: Parameters | None,
    store: Store | None,
) -> tuple[Baseline, Store | None, Parameters]:
    from minsec.disrupt.baseline import build_baseline, commodity_parameters

    if isinstance(source, Baseline):
        baseline, gov = source, store
    else:
        if commodity is None:
            raise InputError("name the mineral: commodity=...", column="commodity")
        from minsec.catalog import commodities
        from minsec.disrupt.montecarlo import _latest_trade_year

        cid = commodities.resolve(commodity)
        baseline = build_baseline(source, cid, year or _latest_trade_year(source), stage=stage)
        gov = source
    if params is None:
        params = commodity_parameters(baseline.commodity).engine_parameters(months=months)
    return baseline, gov, params


def _check_partners(parties: Sequence[Party]) -> None:
    seen: dict[str, str] = {}
    for p in parties:
        for m in p.members:
            if m in seen:
                raise InputError(
                    f"partners {seen[m]} and {p.label} overlap (both include {m}); a country "
                    "can hold and receive stock as one partner only",
                    column="importer",
                )
            seen[m] = p.label
        if p.consumption_t <= 0:
            raise InputError(
                f"{p.label} consumes none of this mineral in the baseline: a target in % of "
                "its consumption means nothing",
                column="importer",
            )


def _price(baseline: Baseline, price: float | None, source: str | None) -> tuple[float, str]:
    if price is not None:
        if not math.isfinite(price) or price <= 0:
            raise InputError(
                f"price_usd_per_t must be a finite number > 0, got {price!r}",
                column="price_usd_per_t",
            )
        return float(price), source or "given by the user"
    trade = next((n for n in baseline.notes if n.startswith("trade:")), "BACI trade")
    return (
        float(baseline.price_usd_per_t),
        f"import unit value of the {baseline.commodity} basket in {baseline.year} "
        f"(world imports by value / tonnes; {trade.removeprefix('trade: ')})",
    )


def _meta(
    baseline: Baseline,
    problem: SizingProblem,
    goal: Target,
    basis: str,
    result: RiskResult,
    holding: list[cost_data.HoldingCost],
    pooled: Sizing,
    alone: Sizing,
    *,
    notes: list[str],
    seconds: dict[str, float],
) -> dict[str, Any]:
    saving: float | None = alone.cost_usd_per_year - pooled.cost_usd_per_year
    if alone.status == "infeasible":
        saving = None
    solver_notes = [f"pooled: {n}" for n in pooled.notes] + [f"alone: {n}" for n in alone.notes]
    return {
        "commodity": baseline.commodity,
        "stage": baseline.stage,
        "year": baseline.year,
        "partners": list(problem.partners),
        "runs": problem.runs,
        "seed": result.meta["seed"],
        "horizon_months": result.meta["horizon_months"],
        "basis": basis,
        "basis_definition": BASIS_TEXT[basis],
        "target": goal.label(),
        "target_definition": goal.describe(),
        "risk_unit": "% of consumption over the horizon"
        if goal.kind == "cvar"
        else "% of runs (probability)",
        "price_usd_per_t": holding[0].price_usd_per_t,
        "price_source": holding[0].price_source,
        "pooled_stock_t": pooled.total_t,
        "alone_stock_t": _number(alone.total_t),
        "pooled_cost_usd_per_year": pooled.cost_usd_per_year,
        "alone_cost_usd_per_year": _number(alone.cost_usd_per_year),
        "pooled_value_usd": pooled.total_t * holding[0].price_usd_per_t,
        "alone_value_usd": _number(alone.total_t * holding[0].price_usd_per_t),
        "saving_usd_per_year": saving,
        "saving_pct": None
        if saving is None
        else (100.0 * saving / alone.cost_usd_per_year if alone.cost_usd_per_year else 0.0),
        "solver": pooled.solver or alone.solver,
        "seconds": seconds,
        "units": "tonnes over the horizon (gross weight of the trade basket unless noted); "
        "USD; days of cover = stock / (annual consumption / 365)",
        "notes": notes + solver_notes,
    }


def _number(x: float) -> float | None:
    """``x``, or None where it is not a number (JSON has no NaN)."""
    return None if math.isnan(x) else x
