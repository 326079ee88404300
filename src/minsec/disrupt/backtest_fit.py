"""Calibration of the model's global parameters on the back-test, reported out of sample.

Each real case is declared ``calibration`` or ``holdout`` (``backtest.set`` in its scenario
file). :func:`fit` searches the global parameters listed in a fit specification (packaged:
``disrupt/data/backtest_fit.toml``; the list is data, so a new engine parameter is fitted
by adding a table) for the values that minimise the mean absolute error of the calibration
rows (those of the MAE, less the rows a known data defect touches), and reports the error of
the holdout rows with those values — a figure the fit never saw. :func:`cross_validate`
does the same once per case, fitting on all the others (whatever their set), so that every
case gets an out-of-sample prediction.

Search (deterministic, bounded): every parameter's range is mapped to [0, 1]; a full grid
of ``points`` per parameter is evaluated first, then a pattern search moves from the best
point to the best of its ±step neighbours along each axis, halving the step whenever no
neighbour is better, until the step falls below ``tolerance``. The current defaults are
evaluated first and kept unless a point is strictly better. All the points of a round run
through the engine in one call per case (parameters as ``(R,)`` arrays); parameters of the
baseline (spare capacity) give one call per distinct value. Finally each parameter whose
default is one value (a scale's 1, or a value all the cases share) goes back to it where
that does not raise the objective: a parameter the calibration rows do not identify keeps
its default rather than an arbitrary point of a flat objective.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from minsec.errors import InputError

from .backtest import (
    PRICE,
    TRADE,
    TRADE_CLEAN,
    BacktestCase,
    _counts,
    case_frame,
    case_rows,
    finish,
    predict,
    run_case,
    summarize,
)
from .model import Baseline, Parameters

Progress = Callable[[str], None]
Mode = Literal["set", "scale"]

#: Engine fields that are not parameters of the model.
_NOT_FITTED = {"months"}
#: Memory budget of one engine call (bytes of its (R, M, n) detail arrays).
_CALL_BYTES = 3e8


@dataclass(frozen=True)
class FitParameter:
    """One global parameter of the fit (a row of the fit specification)."""

    name: str
    mode: Mode
    low: float
    high: float
    points: int = 3
    note: str = ""

    @property
    def target(self) -> Literal["engine", "baseline"]:
        """Where the value goes: the engine's Parameters or the Baseline."""
        return "engine" if self.name in _engine_fields() else "baseline"

    def value(self, unit: np.ndarray) -> np.ndarray:
        """Values at positions ``unit`` in [0, 1] of the range."""
        return self.low + (self.high - self.low) * np.asarray(unit, dtype=float)


@dataclass(frozen=True)
class FitSpec:
    """The parameters to fit and the search settings."""

    parameters: tuple[FitParameter, ...]
    price_weight: float = 0.0
    tolerance: float = 0.01
    max_evaluations: int = 4000


def _engine_fields() -> set[str]:
    return {f.name for f in fields(Parameters)} - _NOT_FITTED


def _baseline_fields() -> set[str]:
    return {"spare_capacity", "price_usd_per_t"}


def parse_fit_spec(data: dict[str, Any], where: str) -> FitSpec:
    """Validate a fit specification (the TOML as a dict); errors name the table and field."""
    objective = dict(data.get("objective", {}))
    raw = data.get("parameter", [])
    if not isinstance(raw, list) or not raw:
        raise InputError("expected one or more [[parameter]] tables", path=where)
    known = _engine_fields() | _baseline_fields()
    out: list[FitParameter] = []
    for i, table in enumerate(raw):
        at = f"parameter[{i}]"
        unknown = set(table) - {"name", "mode", "low", "high", "points", "note"}
        if unknown:
            raise InputError(f"unknown field(s) {sorted(unknown)}", path=where, column=at)
        name = str(table.get("name", ""))
        if name not in known:
            raise InputError(
                f"name {name!r} is neither an engine parameter nor a baseline field; "
                f"expected one of {sorted(known)}",
                path=where,
                column=f"{at}.name",
            )
        mode = table.get("mode", "set")
        if mode not in ("set", "scale"):
            raise InputError(f"mode must be set or scale (got {mode!r})", path=where,
                             column=f"{at}.mode")  # fmt: skip
        try:
            low, high = float(table["low"]), float(table["high"])
            points = int(table.get("points", 3))
        except (KeyError, TypeError, ValueError):
            raise InputError("needs numbers low and high (and an integer points)", path=where,
                             column=at) from None  # fmt: skip
        if not (math.isfinite(low) and math.isfinite(high) and low <= high) or points < 1:
            raise InputError(f"needs low <= high and points >= 1 (got {low}, {high}, {points})",
                             path=where, column=at)  # fmt: skip
        if mode == "scale" and low < 0:
            raise InputError("a scale cannot be negative", path=where, column=f"{at}.low")
        if name in {p.name for p in out}:
            raise InputError(f"{name!r} is listed twice", path=where, column=f"{at}.name")
        out.append(FitParameter(name, mode, low, high, points, str(table.get("note", ""))))
    return FitSpec(
        parameters=tuple(out),
        price_weight=float(objective.get("price_weight", 0.0)),
        tolerance=float(objective.get("tolerance", 0.01)),
        max_evaluations=int(objective.get("max_evaluations", 4000)),
    )


def load_fit_spec(path: Path | str | None = None) -> FitSpec:
    """The fit specification: packaged ``disrupt/data/backtest_fit.toml`` or a TOML file."""
    if path is None:
        where = "minsec/disrupt/data/backtest_fit.toml"
        text = (
            resources.files("minsec.disrupt").joinpath("data/backtest_fit.toml").read_text("utf-8")
        )
    else:
        where = str(path)
        if not Path(path).is_file():
            raise InputError("fit specification not found", path=path)
        text = Path(path).read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", path=where) from None
    return parse_fit_spec(data, where)


# -- applying values to a case ---------------------------------------------------------------


def _base_value(case: BacktestCase, p: FitParameter) -> Any:
    if p.target == "engine":
        return getattr(case.parameters, p.name)
    return getattr(case.baseline, p.name)


def variants(
    case: BacktestCase, spec: FitSpec, values: np.ndarray
) -> list[tuple[np.ndarray, Parameters, Baseline]]:
    """The case's engine calls for ``values`` ``(K, P)``: (rows of values, params, baseline).

    Engine parameters become ``(R,)`` arrays; each distinct combination of baseline values
    gets its own baseline (and call).
    """
    engine = [(j, p) for j, p in enumerate(spec.parameters) if p.target == "engine"]
    base = [(j, p) for j, p in enumerate(spec.parameters) if p.target == "baseline"]
    keys = [tuple(float(values[k, j]) for j, _ in base) for k in range(len(values))]
    out = []
    for key in dict.fromkeys(keys):
        idx = np.array([k for k, kk in enumerate(keys) if kk == key], dtype=int)
        b = case.baseline
        for (_, p), v in zip(base, key, strict=True):
            own = np.asarray(getattr(b, p.name), dtype=float)
            new = own * v if p.mode == "scale" else np.full_like(own, v)
            change: dict[str, Any] = {p.name: new if own.ndim else float(new)}
            b = replace(b, **change)
        overrides: dict[str, Any] = {}
        for j, p in engine:
            col = values[idx, j]
            own = getattr(case.parameters, p.name)
            overrides[p.name] = col * float(own) if p.mode == "scale" else col.copy()
        out.append((idx, replace(case.parameters, **overrides), b))
    return out


def predict_many(case: BacktestCase, spec: FitSpec, values: np.ndarray) -> np.ndarray:
    """Predicted changes ``(K, rows)`` of a case for ``K`` parameter sets (chunked calls)."""
    k = len(values)
    out = np.full((k, len(case.comparisons)), np.nan)
    months = int(case.parameters.months)
    per_run = 14 * 8 * months * max(case.baseline.n, 1)
    chunk = int(max(1, min(512, _CALL_BYTES // per_run)))
    for idx, params, b in variants(case, spec, values):
        for s in range(0, len(idx), chunk):
            part = idx[s : s + chunk]
            sliced: dict[str, Any] = {
                f.name: np.asarray(getattr(params, f.name))[s : s + chunk]
                for f in fields(params)
                if np.ndim(getattr(params, f.name)) == 1
            }
            sub = replace(params, **sliced)
            out[part] = predict(case, sub, b)
    return out


# -- the objective --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rows:
    """Which comparisons of each case enter the objective, and their observed changes."""

    trade: list[np.ndarray]
    price: list[np.ndarray]
    observed: list[np.ndarray]


def _rows(cases: Sequence[BacktestCase]) -> _Rows:
    trade, price, observed = [], [], []
    for case in cases:
        frame = case_frame(case, np.zeros(len(case.comparisons)))
        if frame.empty:
            trade.append(np.zeros(0, dtype=bool))
            price.append(np.zeros(0, dtype=bool))
            observed.append(np.zeros(0))
            continue
        sound = (frame["data_note"] == "").to_numpy(dtype=bool)  # not known to be wrong
        trade.append(_counts(frame).to_numpy(dtype=bool) & sound)
        price.append((frame["kind"] == PRICE).to_numpy(dtype=bool) & sound)
        observed.append(frame["observed_change_pct"].to_numpy(dtype=float))
    return _Rows(trade, price, observed)


def objective(predictions: Sequence[np.ndarray], rows: _Rows, price_weight: float) -> np.ndarray:
    """MAE of the trade rows (+ ``price_weight`` × MAE of price rows), per parameter set."""
    k = predictions[0].shape[0] if predictions else 0
    trade_err, trade_n = np.zeros(k), 0
    price_err, price_n = np.zeros(k), 0
    for pred, t, p, obs in zip(predictions, rows.trade, rows.price, rows.observed, strict=True):
        err = np.abs(pred - obs[None, :])
        trade_err += np.nansum(err[:, t], axis=1)
        trade_n += int(t.sum())
        price_err += np.nansum(err[:, p], axis=1)
        price_n += int(p.sum())
    total = trade_err / max(trade_n, 1)
    if price_weight and price_n:
        total = total + price_weight * price_err / price_n
    return total


# -- the search -----------------------------------------------------------------------------------


def _pp(x: float | None, digits: int = 1) -> str:
    """An MAE for the summary lines: ``—`` where there is none."""
    return "—" if x is None else f"{x:.{digits}f}"


def _compare(
    before: pd.DataFrame, after: pd.DataFrame, label: str, kinds: Sequence[str]
) -> dict[str, dict[str, float | None]]:
    """MAE of ``kinds`` per set at the defaults (``before``) and after (``label``), JSON-ready."""
    b, a = summarize(before), summarize(after)
    out: dict[str, dict[str, float | None]] = {}
    for which in ("calibration", "holdout", "all"):
        d: dict[str, float | None] = {}
        for kind in kinds:
            key = {TRADE: "trade", TRADE_CLEAN: "trade_clean", PRICE: "price"}[kind]
            for tag, frame in (("default", b), (label, a)):
                x = frame.mae(kind, which)
                d[f"{key}_mae_pp_{tag}"] = None if math.isnan(x) else x
        out[which] = d
    return out


@dataclass
class FitResult:
    """What :func:`fit` found.

    Attributes
    ----------
    parameters:
        One row per fitted parameter: ``name``, ``mode``, ``low``, ``high``, ``default``
        (the values the cases use now, or 1 for a scale), ``fitted`` (NaN when no point
        beat the defaults), ``sensitivity_pp`` (range of the calibration objective along the
        parameter's range, the others at the fit: near 0 = the calibration rows do not
        identify it) and ``note``.
    values:
        The fitted value of each parameter.
    before, after:
        The back-test frames at the current defaults and at the fitted values.
    objective_before, objective_after:
        The calibration objective at the defaults and at the fit.
    evaluations:
        Parameter sets evaluated.
    """

    parameters: pd.DataFrame
    values: dict[str, float]
    before: pd.DataFrame
    after: pd.DataFrame
    objective_before: float
    objective_after: float
    evaluations: int
    trace: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The fitted parameters and the MAE before and after, for each set (JSON-ready)."""
        from minsec.output import to_records

        out: dict[str, Any] = {
            "evaluations": self.evaluations,
            "parameters": to_records(self.parameters),
        }
        out.update(_compare(self.before, self.after, "fitted", (TRADE, PRICE)))
        return out

    def lines(self) -> list[str]:
        """The fit's outcome in words."""
        s = self.summary()
        out = [
            f"fit: {self.evaluations} parameter sets evaluated; calibration objective "
            f"{self.objective_before:.2f} → {self.objective_after:.2f}"
            + ("" if self.values else " (no point beat the defaults: defaults kept)")
        ]

        for which in ("calibration", "holdout", "all"):
            d = s[which]
            if d["trade_mae_pp_default"] is None and d["price_mae_pp_default"] is None:
                continue
            out.append(
                f"MAE of {which} trade rows: {_pp(d['trade_mae_pp_default'], 1)} pp at the "
                f"defaults → {_pp(d['trade_mae_pp_fitted'], 1)} pp fitted (price rows "
                f"{_pp(d['price_mae_pp_default'], 0)} → {_pp(d['price_mae_pp_fitted'], 0)} pp)"
            )
        return out


def _defaults(cases: Sequence[BacktestCase], p: FitParameter) -> str:
    if p.mode == "scale":
        return "1"
    found = set()
    for case in cases:
        v = np.asarray(_base_value(case, p), dtype=float)
        found.update(np.round(np.unique(v), 6).tolist())
    ordered = sorted(found)
    if len(ordered) > 4:
        return f"{ordered[0]:g}…{ordered[-1]:g}"
    return ", ".join(f"{v:g}" for v in ordered)


def _default_units(cases: Sequence[BacktestCase], spec: FitSpec) -> tuple[np.ndarray, np.ndarray]:
    """Where the current defaults sit in each range, and whether one value is the default.

    A scale's default is 1; a set parameter's is the cases' value when they all share one
    (otherwise their mean, and not a single default).
    """
    where, single = [], []
    for p in spec.parameters:
        if p.mode == "scale":
            found = {1.0}
        else:
            found = set()
            for c in cases:
                found.update(np.unique(np.asarray(_base_value(c, p), dtype=float)).tolist())
        d = float(np.mean(sorted(found))) if found else p.low
        span = p.high - p.low
        where.append(float(np.clip((d - p.low) / span, 0.0, 1.0)) if span > 0 else 0.5)
        single.append(len(found) == 1 and p.low <= d <= p.high)
    return np.array(where), np.array(single, dtype=bool)


def _grid(spec: FitSpec) -> np.ndarray:
    axes = [
        np.linspace(0.0, 1.0, p.points) if p.points > 1 else np.array([0.5])
        for p in spec.parameters
    ]
    return np.array(list(itertools.product(*axes)), dtype=float)


@dataclass
class _Search:
    """The outcome of one search on some training cases (see :func:`_search`)."""

    values: dict[str, float]
    units: np.ndarray
    fitted: bool
    before: float
    after: float
    evaluations: int
    trace: list[dict[str, Any]]
    sensitivity: list[float]


class _Predictions:
    """Each case's predicted changes per parameter set, computed once and shared.

    A case's predictions depend only on the case and the parameter values, not on which
    cases a search fits on: the folds of a cross-validation, whose grids are the same
    points, run the engine once per case and point.
    """

    def __init__(self) -> None:
        self._rows: dict[BacktestCase, dict[tuple[float, ...], np.ndarray]] = {}

    def predict(
        self,
        case: BacktestCase,
        spec: FitSpec,
        keys: Sequence[tuple[float, ...]],
        values: np.ndarray,
    ) -> np.ndarray:
        """Predicted changes ``(K, rows)`` of ``case`` at ``values`` (row k for ``keys[k]``)."""
        known = self._rows.setdefault(case, {})
        missing = [i for i, key in enumerate(keys) if key not in known]
        if missing:
            fresh = predict_many(case, spec, values[missing])
            for i, row in zip(missing, fresh, strict=True):
                known[keys[i]] = row
        return np.stack([known[key] for key in keys])


def _search(
    train: Sequence[BacktestCase],
    spec: FitSpec,
    everyone: Sequence[BacktestCase],
    step: Progress,
    cache: _Predictions | None = None,
) -> _Search:
    """Grid, then pattern search, of ``spec`` on the ``train`` cases' rows (module docstring).

    ``everyone`` are the cases whose current values define the defaults (all the cases
    prepared, so that every fold of a cross-validation starts from the same point);
    ``cache`` keeps the cases' predictions from one search to the next.
    """
    cache = cache if cache is not None else _Predictions()
    rows = _rows(train)
    names = [p.name for p in spec.parameters]
    evaluated = 0
    memo: dict[tuple[float, ...], float] = {}

    def evaluate(units: np.ndarray) -> np.ndarray:
        nonlocal evaluated
        todo = [u for u in dict.fromkeys(map(tuple, np.round(units, 12))) if u not in memo]
        if todo:
            arr = np.array(todo, dtype=float)
            values = np.column_stack([p.value(arr[:, j]) for j, p in enumerate(spec.parameters)])
            preds = [cache.predict(c, spec, todo, values) for c in train]
            for u, v in zip(todo, objective(preds, rows, spec.price_weight), strict=True):
                memo[u] = float(v)
            evaluated += len(todo)
        return np.array([memo[tuple(u)] for u in np.round(units, 12)])

    before = objective([predict(c)[:1] for c in train], rows, spec.price_weight)[0]
    best_u: np.ndarray | None = None
    best = float(before)
    trace: list[dict[str, Any]] = []
    grid = _grid(spec)
    step(f"fit: grid of {len(grid)} parameter sets on {len(train)} case stages")
    scores = evaluate(grid)
    home, single = _default_units(everyone, spec)
    ties = np.flatnonzero(scores <= scores.min() + 1e-9)
    i = int(ties[np.argmin(np.abs(grid[ties] - home).sum(axis=1))])  # nearest the defaults
    if scores[i] < best - 1e-9:
        best, best_u = float(scores[i]), grid[i]
    trace.append({"round": 0, "objective": best, "evaluated": evaluated})
    u = best_u if best_u is not None else grid[i]
    h = np.array([0.5 / max(p.points - 1, 1) for p in spec.parameters])
    rnd = 0
    while (h >= spec.tolerance).any() and evaluated < spec.max_evaluations:
        rnd += 1
        moves = []
        for j in range(len(names)):
            if h[j] < spec.tolerance:
                continue
            for sign in (-1.0, 1.0):
                v = u.copy()
                v[j] = float(np.clip(v[j] + sign * h[j], 0.0, 1.0))
                moves.append(v)
        cand = np.array(moves)
        sc = evaluate(cand)
        k = int(np.argmin(sc))
        if sc[k] < best - 1e-9:
            best, u, best_u = float(sc[k]), cand[k], cand[k]
        else:
            h = h / 2.0
        trace.append({"round": rnd, "objective": best, "evaluated": evaluated})
        step(f"fit: round {rnd}, objective {best:.3f}, {evaluated} sets")
    if best_u is not None:  # back to a default wherever that costs nothing
        for jj in np.flatnonzero(single):
            v = best_u.copy()
            v[jj] = home[jj]
            score = float(evaluate(v[None, :])[0])
            if score <= best + 1e-9:
                best_u, best = v, min(best, score)
        u = best_u
    values: dict[str, float] = {}
    if best_u is not None:
        values = {p.name: float(p.value(best_u[j])) for j, p in enumerate(spec.parameters)}
    sensitivity = []
    for j in range(len(names)):  # the objective along each axis, others at the fit
        line = np.repeat(u[None, :], 5, axis=0)
        line[:, j] = np.linspace(0.0, 1.0, 5)
        along = evaluate(line)
        sensitivity.append(float(along.max() - along.min()))
    return _Search(
        values=values,
        units=u,
        fitted=best_u is not None,
        before=float(before),
        after=best,
        evaluations=evaluated,
        trace=trace,
        sensitivity=sensitivity,
    )


def _frame_at(case: BacktestCase, spec: FitSpec, values: dict[str, float]) -> pd.DataFrame:
    """The case's rows with the parameters of ``spec`` at ``values`` (its own when empty)."""
    if not values:
        return case_rows(case)
    vals = np.array([[values[p.name] for p in spec.parameters]])
    ((_, params, b),) = variants(case, spec, vals)
    run = run_case(case, params, b)
    return case_frame(case, run.changes_pct[0], run.months_at_cap[0])


def fit(
    cases: Sequence[BacktestCase],
    spec: FitSpec | None = None,
    *,
    progress: Progress | None = None,
) -> FitResult:
    """Fit the global parameters of ``spec`` on the calibration cases (see the module docstring).

    Parameters
    ----------
    cases:
        Prepared cases (:func:`minsec.disrupt.backtest.prepare`); those whose set is
        ``calibration`` drive the fit, all are reported before and after.
    spec:
        What to fit (default: :func:`load_fit_spec`).
    progress:
        Called with a short text per round.

    Raises
    ------
    InputError
        When no case is in the calibration set.
    """
    spec = spec or load_fit_spec()
    step = progress or (lambda _text: None)
    calib = [c for c in cases if c.set == "calibration"]
    if not calib:
        raise InputError("no back-test case is in the calibration set (backtest.set)")
    found = _search(calib, spec, cases, step)
    values = found.values
    frames_before = [case_rows(case) for case in cases]
    frames_after = [_frame_at(case, spec, values) for case in cases]
    table = pd.DataFrame(
        [
            {
                "name": p.name,
                "mode": p.mode,
                "low": p.low,
                "high": p.high,
                "default": _defaults(cases, p),
                "fitted": values.get(p.name, math.nan),
                "sensitivity_pp": sens,
                "note": p.note,
            }
            for p, sens in zip(spec.parameters, found.sensitivity, strict=True)
        ]
    )
    return FitResult(
        parameters=table,
        values=values,
        before=finish(frames_before),
        after=finish(frames_after),
        objective_before=found.before,
        objective_after=found.after,
        evaluations=found.evaluations,
        trace=found.trace,
    )


# -- cross-validation ------------------------------------------------------------------------------


@dataclass
class CrossValidation:
    """What :func:`cross_validate` found: every case predicted by a fit that never saw it.

    Attributes
    ----------
    folds:
        One row per case left out: ``scenario``, ``set``, ``training_cases``, the fitted
        value of each parameter (NaN where no point beat the defaults),
        ``objective_before`` and ``objective_after`` (the training cases' objective at the
        defaults and at the fit), ``evaluations``.
    before:
        The back-test frame at the current defaults.
    after:
        The same rows, each case at the values fitted on all the other cases.
    evaluations:
        Parameter sets evaluated over all folds.
    """

    folds: pd.DataFrame
    before: pd.DataFrame
    after: pd.DataFrame
    evaluations: int
    parameters: tuple[str, ...] = ()
    scales: frozenset[str] = frozenset()
    """The parameters fitted as multiples of each case's own value (``mode = "scale"``)."""

    def summary(self) -> dict[str, Any]:
        """MAE at the defaults and cross-validated, per set, and the folds (JSON-ready)."""
        from minsec.output import to_records

        out: dict[str, Any] = {"evaluations": self.evaluations, "folds": to_records(self.folds)}
        out.update(
            _compare(self.before, self.after, "cross_validated", (TRADE, TRADE_CLEAN, PRICE))
        )
        return out

    def lines(self) -> list[str]:
        """The cross-validation in words: the MAEs and how far the fitted values move."""
        s = self.summary()
        out = [
            f"cross-validation: {len(self.folds)} folds, each case predicted with the values "
            f"fitted on the {len(self.folds) - 1} others; {self.evaluations} parameter sets"
        ]

        for which in ("calibration", "holdout", "all"):
            d = s[which]
            if d["trade_mae_pp_default"] is None:
                continue
            out.append(
                f"MAE of {which} trade rows: {_pp(d['trade_mae_pp_default'])} pp at the defaults "
                f"→ {_pp(d['trade_mae_pp_cross_validated'])} pp cross-validated (without "
                f"defects {_pp(d['trade_clean_mae_pp_default'])} → "
                f"{_pp(d['trade_clean_mae_pp_cross_validated'])} pp; price rows "
                f"{_pp(d['price_mae_pp_default'])} → {_pp(d['price_mae_pp_cross_validated'])} pp)"
            )
        for name in self.parameters:
            col = self.folds[name].astype(float)
            kept = int(col.isna().sum())
            moved = col.dropna()
            x = "× " if name in self.scales else ""
            span = (
                f"{x}{moved.min():.3g} … {x}{moved.max():.3g} (median {x}{moved.median():.3g})"
                if len(moved)
                else "—"
            )
            out.append(
                f"  {name}: fitted {span}"
                + (f"; defaults kept in {kept} fold{'s' if kept != 1 else ''}" if kept else "")
            )
        return out


def cross_validate(
    cases: Sequence[BacktestCase],
    spec: FitSpec | None = None,
    *,
    progress: Progress | None = None,
) -> CrossValidation:
    """Leave-one-case-out cross-validation of the fit: an out-of-sample error for every case.

    For each real case (all its stages) the parameters of ``spec`` are fitted on every
    other case, whatever its set, exactly as :func:`fit` does on the calibration cases; the
    case left out is then predicted with those values. Every row of ``after`` thus comes
    from a fit that did not see it, and the spread of the folds' fitted values shows how
    well the cases pin each parameter down.

    Raises
    ------
    InputError
        With fewer than two cases (nothing to fit a fold on).
    """
    spec = spec or load_fit_spec()
    step = progress or (lambda _text: None)
    names = sorted({c.scenario.name for c in cases})
    if len(names) < 2:
        raise InputError("cross-validation needs at least two back-test cases")
    folds, after, evaluations = [], [], 0
    cache = _Predictions()  # the folds share the engine runs of each case
    for k, name in enumerate(names, start=1):
        left = [c for c in cases if c.scenario.name == name]
        train = [c for c in cases if c.scenario.name != name]

        def fold_step(text: str, k: int = k, name: str = name) -> None:
            step(f"fold {k}/{len(names)} (without {name}): {text}")

        found = _search(train, spec, cases, fold_step, cache)
        evaluations += found.evaluations
        after += [_frame_at(c, spec, found.values) for c in left]
        folds.append(
            {
                "scenario": name,
                "set": left[0].set,
                "training_cases": len(names) - 1,
                **{p.name: found.values.get(p.name, math.nan) for p in spec.parameters},
                "objective_before": found.before,
                "objective_after": found.after,
                "evaluations": found.evaluations,
            }
        )
    return CrossValidation(
        folds=pd.DataFrame(folds),
        before=finish([case_rows(c) for c in cases]),
        after=finish(after),
        evaluations=evaluations,
        parameters=tuple(p.name for p in spec.parameters),
        scales=frozenset(p.name for p in spec.parameters if p.mode == "scale"),
    )
