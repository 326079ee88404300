"""Sensitivity (tornado) of a named scenario: one engine call per stage vs one per case.

Input: ``china-graphite-like-minded`` (graphite 2022, 167 countries, 12 months, China
withholding all exports to the like-minded bloc, stockpiles, restraint, sharing) and the
packaged ranges (14 assumptions: 12 parameter/event ranges batched into one call of 25
runs, spare capacity and stockpiles in two calls each). Cases:

* ``sensitivity-engine``: :func:`minsec.disrupt.sensitivity.stage_tornado` on the built
  inputs, median and best of 30 calls, ``batch=True`` against ``batch=False`` (every case
  its own engine call), with the largest difference between the two tables.
* ``sensitivity-scenario``: :func:`minsec.disrupt.sensitivity.sensitivity` as a whole
  (store queries, baseline, shocks, the tornado), median of 5 calls.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from _harness import Case, default_store_path

NAME = "china-graphite-like-minded"
REPEAT = 30


def _times_ms(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), min(times)


def _engine_inputs() -> Any:
    from minsec.disrupt import baseline as bl
    from minsec.disrupt.scenario import (
        _commodity_parameters,
        build_responses,
        build_shocks,
        engine_parameters,
        get_scenario,
    )
    from minsec.disrupt.sensitivity import resolve_partners
    from minsec.disrupt.sensitivity_ranges import EngineInputs, load_ranges
    from minsec.store import Store

    sc = get_scenario(NAME)
    cparams = _commodity_parameters(sc)
    with Store(default_store_path(), read_only=True) as st:
        b = bl.build_baseline(st, sc.commodity, sc.baseline_year, parameters=cparams)
        shocks, _ = build_shocks(st, sc, b, sc.first_start())
    resp, _ = build_responses(sc, b, [b.stage])
    inputs = EngineInputs(b, shocks, engine_parameters(sc, cparams), resp)
    return inputs, resolve_partners("USA,JPN")[1], load_ranges()


def _engine(args: Any) -> dict[str, Any]:
    from minsec.disrupt.sensitivity import stage_tornado

    inputs, parties, ranges = args
    together = stage_tornado(inputs, parties, ranges, batch=True)
    apart = stage_tornado(inputs, parties, ranges, batch=False)
    diff = float((together[["at_low", "at_high"]] - apart[["at_low", "at_high"]]).abs().max().max())
    batch = _times_ms(lambda: stage_tornado(inputs, parties, ranges, batch=True), REPEAT)
    single = _times_ms(lambda: stage_tornado(inputs, parties, ranges, batch=False), REPEAT)
    return {
        "batch_ms_median": round(batch[0], 1),
        "batch_ms_best": round(batch[1], 1),
        "separate_ms_median": round(single[0], 1),
        "separate_ms_best": round(single[1], 1),
        "max_abs_diff": diff,
    }


def _scenario_setup() -> Any:
    from minsec.disrupt.scenario import get_scenario
    from minsec.store import Store

    return Store(default_store_path(), read_only=True), get_scenario(NAME)


def _scenario(args: Any) -> dict[str, Any]:
    from minsec.disrupt.scenario import simulate
    from minsec.disrupt.sensitivity import sensitivity

    st, sc = args
    with st:
        tornado = _times_ms(lambda: sensitivity(st, sc), 5)
        sim = _times_ms(lambda: simulate(st, sc), 5)
    return {
        "sensitivity_ms_median": round(tornado[0]),
        "simulate_ms_median": round(sim[0]),
    }


CASES = [
    Case("sensitivity-engine", _engine_inputs, _engine, size=f"{NAME}, 14 assumptions"),
    Case("sensitivity-scenario", _scenario_setup, _scenario, size=NAME),
]
