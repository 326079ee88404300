"""Disruption engine (issue: one scenario on the full network of one HS code and year < 5 ms).

Input: graphite (HS 250410 + 250490), 2022, the whole BACI network (167 countries), China
withholding all exports to the like-minded bloc for 12 months with 30 % leakage, 12
monthly steps, responses off. Cases:

* ``disrupt-scenario``: ``propagate`` on that input, median of 200 calls; ``cold`` builds a
  new Baseline each call (so the pass-through inverse is recomputed), ``warm`` reuses it.
* ``disrupt-oracle``: the loop oracle of the tests (tests/disrupt/oracle.py) on the same
  input, for the speed-up.
* ``disrupt-batch-1000``: 1,000 Monte Carlo-style runs in one call (random exporters,
  fractions and timing), to show the per-run cost when the run axis is used.
* ``disrupt-oracle-batch``: the same 1,000 runs, engine (one call, one BLAS thread, as the
  Monte Carlo layer runs it) against the loop oracle on the first runs (per run): the
  speed-up of the vectorised engine on Monte Carlo inputs, and the largest difference.

Every case also reports ``cpu_s`` (CPU seconds of the timed part) and the 1-minute load
average (``load``), since the machine may be shared.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from _harness import ROOT, Case, default_store_path

sys.path.insert(0, str(ROOT / "tests" / "disrupt"))

REPEAT = 200
ORACLE_RUNS = 3


def _timed(run: Callable[[Any], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
    """Add the CPU seconds and the load average (before -> after) to a case's figures."""

    def wrapped(inputs: Any) -> dict[str, Any]:
        load0 = os.getloadavg()[0]
        cpu0 = time.process_time()
        out = run(inputs)
        out["cpu_s"] = round(time.process_time() - cpu0, 3)
        out["load"] = f"{load0:.1f}->{os.getloadavg()[0]:.1f}"
        return out

    return wrapped


def _inputs() -> tuple[Any, Any, Any]:
    import numpy as np

    from minsec.catalog import blocs
    from minsec.disrupt.baseline import build_baseline, commodity_parameters
    from minsec.disrupt.engine import no_shocks
    from minsec.disrupt.model import Shocks
    from minsec.store import Store

    with Store(default_store_path(), read_only=True) as st:
        b = build_baseline(st, "graphite", 2022)
    params = commodity_parameters("graphite").engine_parameters(12)
    base = no_shocks(b)
    k = b.index("CHN")
    members = set(blocs.blocs()["like-minded"].members)
    targets = np.zeros((b.n, b.n), dtype=bool)
    targets[k] = [c in members for c in b.countries]
    fraction = base.export_fraction.copy()
    fraction[0, k] = 1.0
    duration = base.duration_months.copy()
    duration[0, k] = 12.0
    shocks = Shocks(fraction, targets, base.outage_fraction, base.start_month, duration)
    return b, shocks, params


def _times_ms(fn: Any, repeat: int = REPEAT) -> tuple[float, float]:
    """(median, best) of ``repeat`` calls in ms; the best is the least disturbed by load."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000.0 * statistics.median(times), 1000.0 * min(times)


def _median_ms(fn: Any, repeat: int = REPEAT) -> float:
    return _times_ms(fn, repeat)[0]


def _setup_scenario() -> Any:
    from minsec.disrupt.engine import propagate

    b, shocks, params = _inputs()
    propagate(b, shocks, params)  # import and warm caches
    return b, shocks, params


def _run_scenario(inputs: Any) -> dict[str, Any]:
    from minsec.disrupt.engine import propagate

    b, shocks, params = inputs
    warm, warm_best = _times_ms(lambda: propagate(b, shocks, params))
    detail, _ = _times_ms(lambda: propagate(b, shocks, params, detail=True))
    cold, cold_best = _times_ms(lambda: propagate(dataclasses.replace(b), shocks, params))
    return {
        "countries": b.n,
        "months": params.months,
        "ms_warm_median": round(warm, 3),
        "ms_warm_best": round(warm_best, 3),
        "ms_cold_median": round(cold, 3),
        "ms_cold_best": round(cold_best, 3),
        "ms_detail_median": round(detail, 3),
    }


def _setup_oracle() -> Any:
    from minsec.disrupt.engine import propagate

    b, shocks, params = _inputs()
    propagate(b, shocks, params)
    cold = _times_ms(lambda: propagate(dataclasses.replace(b), shocks, params), 100)
    warm = _times_ms(lambda: propagate(b, shocks, params), 100)
    return b, shocks, params, cold, warm


def _run_oracle(inputs: Any) -> dict[str, Any]:
    import numpy as np
    from oracle import run_oracle

    from minsec.disrupt.engine import propagate

    b, shocks, params, cold, warm = inputs
    start = time.perf_counter()
    ref = run_oracle(b, shocks, params)
    loop_ms = 1000.0 * (time.perf_counter() - start)
    out = propagate(b, shocks, params)
    diff = float(np.max(np.abs(out.shortfall_t[0] - np.array(ref.shortfall))))
    return {
        "countries": b.n,
        "oracle_ms": round(loop_ms, 1),
        "vectorised_cold_ms_median_best": [round(cold[0], 3), round(cold[1], 3)],
        "vectorised_warm_ms_median_best": [round(warm[0], 3), round(warm[1], 3)],
        "speedup_cold_median_best": [round(loop_ms / cold[0]), round(loop_ms / cold[1])],
        "speedup_warm_median_best": [round(loop_ms / warm[0]), round(loop_ms / warm[1])],
        "max_abs_diff_t": diff,
    }


def _batch_inputs() -> tuple[Any, Any, Any]:
    import numpy as np

    from minsec.disrupt.model import Shocks

    b, _, params = _inputs()
    rng = np.random.default_rng(2025)
    runs = 1000
    exporters = b.trade_t.sum(axis=1) > 0
    hit = (rng.uniform(size=(runs, b.n)) < 0.02) & exporters
    shocks = Shocks(
        export_fraction=np.where(hit, rng.beta(2, 2, size=(runs, b.n)), 0.0),
        targets=np.ones((b.n, b.n), dtype=bool) & ~np.eye(b.n, dtype=bool),
        outage_fraction=np.zeros((runs, b.n)),
        start_month=rng.integers(0, 12, size=(runs, b.n)).astype(float),
        duration_months=rng.lognormal(np.log(12), 0.7, size=(runs, b.n)),
    )
    return b, shocks, params


def _setup_batch() -> Any:
    from minsec.disrupt.engine import propagate

    b, shocks, params = _batch_inputs()
    propagate(b, shocks, params)
    return b, shocks, params


def _run_batch(inputs: Any) -> dict[str, Any]:
    from minsec.disrupt.engine import propagate

    b, shocks, params = inputs
    ms = _median_ms(lambda: propagate(b, shocks, params), 5)
    return {
        "runs": shocks.runs,
        "ms_per_batch": round(ms, 1),
        "ms_per_run": round(ms / shocks.runs, 4),
    }


def _setup_oracle_batch() -> Any:
    from threadpoolctl import threadpool_limits

    from minsec.disrupt.engine import propagate

    threadpool_limits(1, user_api="blas")  # as the Monte Carlo layer runs blocks
    b, shocks, params = _batch_inputs()
    propagate(b, shocks, params)
    ms = min(_times_ms(lambda: propagate(b, shocks, params), 5))
    return b, shocks, params, ms


def _run_oracle_batch(inputs: Any) -> dict[str, Any]:
    import numpy as np
    from oracle import run_oracle

    from minsec.disrupt.engine import propagate

    b, shocks, params, engine_ms = inputs
    out = propagate(b, shocks, params)
    start = time.perf_counter()
    refs = [run_oracle(b, shocks, params, run=r) for r in range(ORACLE_RUNS)]
    oracle_ms = 1000.0 * (time.perf_counter() - start) / ORACLE_RUNS
    diff = max(
        float(np.max(np.abs(out.shortfall_t[r] - np.array(ref.shortfall))))
        for r, ref in enumerate(refs)
    )
    per_run = engine_ms / shocks.runs
    return {
        "runs": shocks.runs,
        "engine_ms_per_run": round(per_run, 4),
        "oracle_ms_per_run": round(oracle_ms, 1),
        "speedup_per_run": round(oracle_ms / per_run),
        "max_abs_diff_t": diff,
    }


CASES = [
    Case("disrupt-scenario", _setup_scenario, _timed(_run_scenario), size="graphite 2022"),
    Case("disrupt-oracle", _setup_oracle, _timed(_run_oracle), size="graphite 2022"),
    Case("disrupt-batch-1000", _setup_batch, _timed(_run_batch), size="1000 runs"),
    Case("disrupt-oracle-batch", _setup_oracle_batch, _timed(_run_oracle_batch), size="1000 runs"),
]
