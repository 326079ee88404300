"""Back-test and its calibration fit on the default data.

The default data run 16 of the 18 cases (antimony and Ga/Ge need the HS17 files of
build_backtest_store).

* ``backtest-default``: ``backtest(store)`` — baselines, observations, one engine run per
  case-stage (detail on), the frame.
* ``backtest-fit``: ``fit(cases)`` with the packaged specification (a grid of the first
  parameters, then the pattern search over all of them), cases prepared outside the timing;
  reports the parameter sets evaluated, the seconds per set and the calibration objective
  before and after.
* ``backtest-cv``: ``cross_validate(cases)`` — one such fit per case, on all the others
  (16 folds on the default data); reports the folds, the parameter sets, the seconds per
  set and the trade MAE at the defaults and cross-validated (all rows, and without the
  rows a known data defect touches).
* ``backtest-placebo``: ``placebo(store, cases)`` — every row's flow in event-free years
  before its case (one baseline per case-stage and year); reports the pairs and the rows
  with a placebo.

All report ``cpu_s`` and the load average, since the machine may be shared.
"""

from __future__ import annotations

import os
import time
from typing import Any

from _harness import Case, default_store_path


def _store() -> Any:
    from minsec.store import Store

    return Store(default_store_path(), read_only=True)


def _backtest(store: Any) -> dict[str, Any]:
    from minsec.disrupt.backtest import backtest, summarize

    load0, cpu0 = os.getloadavg()[0], time.process_time()
    frame = backtest(store)
    mae = summarize(frame).mae("trade", "all")
    return {
        "cases": int(frame.loc[frame["status"] == "ok", "scenario"].nunique()),
        "rows": int((frame["status"] == "ok").sum()),
        "trade_mae_pp": round(mae, 2),
        "cpu_s": round(time.process_time() - cpu0, 3),
        "load": f"{load0:.1f}->{os.getloadavg()[0]:.1f}",
    }


def _prepared() -> Any:
    from minsec.disrupt.backtest import prepare

    with _store() as st:
        cases, _ = prepare(st)
    return cases


def _fit(cases: Any) -> dict[str, Any]:
    from minsec.disrupt.backtest_fit import fit

    load0, cpu0, t0 = os.getloadavg()[0], time.process_time(), time.perf_counter()
    result = fit(cases)
    seconds = time.perf_counter() - t0
    return {
        "evaluations": result.evaluations,
        "ms_per_set": round(1000 * seconds / max(result.evaluations, 1), 1),
        "objective": f"{result.objective_before:.2f}->{result.objective_after:.2f}",
        "cpu_s": round(time.process_time() - cpu0, 3),
        "load": f"{load0:.1f}->{os.getloadavg()[0]:.1f}",
    }


def _cross_validate(cases: Any) -> dict[str, Any]:
    from minsec.disrupt.backtest import summarize
    from minsec.disrupt.backtest_fit import cross_validate

    load0, cpu0, t0 = os.getloadavg()[0], time.process_time(), time.perf_counter()
    cv = cross_validate(cases)
    seconds = time.perf_counter() - t0
    before, after = summarize(cv.before), summarize(cv.after)
    return {
        "folds": len(cv.folds),
        "evaluations": cv.evaluations,
        "ms_per_set": round(1000 * seconds / max(cv.evaluations, 1), 1),
        "trade_mae_pp": f"{before.mae('trade', 'all'):.1f}->{after.mae('trade', 'all'):.1f}",
        "clean_mae_pp": (
            f"{before.mae('trade without known data defects', 'all'):.1f}->"
            f"{after.mae('trade without known data defects', 'all'):.1f}"
        ),
        "cpu_s": round(time.process_time() - cpu0, 3),
        "load": f"{load0:.1f}->{os.getloadavg()[0]:.1f}",
    }


def _store_and_cases() -> Any:
    from minsec.disrupt.backtest import prepare

    st = _store()
    cases, _ = prepare(st)
    return st, cases


def _placebo(prepared: Any) -> dict[str, Any]:
    from minsec.disrupt.backtest_placebo import placebo

    st, cases = prepared
    load0, cpu0 = os.getloadavg()[0], time.process_time()
    found = placebo(st, cases)
    return {
        "pairs": len(found.pairs),
        "rows": len(found.rows),
        "without": len(found.skipped),
        "cpu_s": round(time.process_time() - cpu0, 3),
        "load": f"{load0:.1f}->{os.getloadavg()[0]:.1f}",
    }


CASES = [
    Case("backtest-default", _store, _backtest, size="18 cases, 16 on the default data"),
    Case("backtest-fit", _prepared, _fit, size="13 parameters, 5 calibration cases"),
    Case("backtest-cv", _prepared, _cross_validate, size="13 parameters, one fold per case"),
    Case("backtest-placebo", _store_and_cases, _placebo, size="8 years before each case"),
]
