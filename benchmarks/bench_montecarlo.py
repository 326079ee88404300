"""Monte Carlo risk at scale (issue: 10^5 runs x all importers of one mineral < 10 s on 2 cores;
10^6 runs with Dask on a LocalCluster within 4 GB; how time grows from 10^3 to 10^6).

Every case simulates graphite (2024 baseline of the default data, every importer with
apparent consumption, about 140) with the default risk model and seed 1. Setup (store,
baseline, imports, a warm-up block) is not timed. The NumPy cases run chunks with
``workers=2`` and ``parallel="auto"`` (threads below 20 blocks, forked worker processes
from 20 blocks on; ``-threads``: threads) unless named ``-1thread``; for processes
``cpu_s`` counts the driver only; the Dask cases start a LocalCluster of 2 worker
processes (1 thread each, 1.5 GiB limit each) inside the timed call, and report each
worker's peak RSS next to the driver's (``peak_rss_mb`` from the runner). The
``machinery`` cases replace the engine by a trivial one (one matrix product per block) to
measure what sampling, seeding and the streamed reduction cost on their own.

The machine may be shared: every case also reports ``cpu_s`` (CPU seconds of the driver
process, all its threads; ``children_cpu_s``, that of forked worker processes; for Dask
``workers_cpu_s``, the CPU of the worker processes including their start-up) and the
1-minute load average before and after (``load``), so that wall times can be read against
the load.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from _harness import Case, default_store_path

COMMODITY = "graphite"
YEAR = 2024


def _setup() -> Any:
    from minsec.disrupt import montecarlo as mc
    from minsec.disrupt.baseline import build_baseline
    from minsec.disrupt.risk_model import governance_scores
    from minsec.store import Store

    store = Store(default_store_path(), read_only=True)
    baseline = build_baseline(store, COMMODITY, YEAR)
    scores = governance_scores(store, YEAR)
    mc.run_risk(baseline, None, runs=200, seed=0, scores=scores)  # warm imports and caches
    return baseline, scores


def _children_cpu() -> float:
    """CPU seconds of this process's finished child processes."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return float(usage.ru_utime + usage.ru_stime)


def _timed(run: Callable[[Any], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
    """Add the driver's CPU seconds and the load average (before -> after) to a case."""

    def wrapped(inputs: Any) -> dict[str, Any]:
        load0 = os.getloadavg()[0]
        cpu0 = time.process_time()
        kids0 = _children_cpu()
        out = run(inputs)
        out["cpu_s"] = round(time.process_time() - cpu0, 2)
        kids = _children_cpu() - kids0
        if kids > 0:  # forked worker processes of the NumPy backend
            out["children_cpu_s"] = round(kids, 2)
        out["load"] = f"{load0:.1f}->{os.getloadavg()[0]:.1f}"
        return out

    return wrapped


def _numpy(runs: int, workers: int = 2, parallel: str = "auto") -> Any:
    def run(inputs: Any) -> dict[str, Any]:
        from minsec.disrupt import montecarlo as mc

        baseline, scores = inputs
        res = mc.run_risk(
            baseline,
            None,
            runs=runs,
            seed=1,
            scores=scores,
            workers=workers,
            parallel=parallel,  # type: ignore[arg-type]
        )
        out = _figures(res)
        out["parallel"] = (
            "processes" if res.meta.get("processes") else "threads" if workers > 1 else "-"
        )
        return out

    return _timed(run)


def _dask(runs: int) -> Any:
    def run(inputs: Any) -> dict[str, Any]:
        from minsec.disrupt import montecarlo as mc

        baseline, scores = inputs
        res = mc.run_risk(
            baseline, None, runs=runs, seed=1, scores=scores, backend="dask", chunk_runs=5_000
        )
        out = _figures(res)
        peaks = res.meta.get("worker_peak_rss_mb", {})
        out["worker_peak_rss_mb"] = max(peaks.values()) if peaks else None
        out["workers_total_peak_mb"] = round(sum(peaks.values()), 1) if peaks else None
        cpu = res.meta.get("worker_cpu_s", {})
        out["workers_cpu_s"] = round(sum(cpu.values()), 1) if cpu else None
        return out

    return _timed(run)


def trivial_engine(baseline: Any, shocks: Any, params: Any, responses: Any = None) -> Any:
    """Stand-in for the engine: each run's direct loss, every month (no timing, no price
    clearing), to measure what sampling and reduction cost on their own."""
    import numpy as np

    from minsec.disrupt.model import Outcome

    monthly = baseline.trade_t * shocks.targets / 12.0
    loss = np.minimum(shocks.export_fraction @ monthly, baseline.consumption_t / 12.0)
    shortfall = np.broadcast_to(loss[:, None, :], (shocks.runs, params.months, baseline.n))
    price = 1.0 + loss.sum(axis=1) / max(baseline.consumption_t.sum() / 12.0, 1e-300)
    return Outcome(
        shortfall_t=shortfall,
        supply_t=shortfall,
        stock_release_t=shortfall,
        price_index=np.broadcast_to(price[:, None], (shocks.runs, params.months)),
        baseline_monthly_t=baseline.consumption_t / 12.0,
    )


def _machinery(runs: int) -> Any:
    def run(inputs: Any) -> dict[str, Any]:
        from minsec.disrupt import montecarlo as mc

        baseline, scores = inputs
        res = mc.run_risk(
            baseline, None, runs=runs, seed=1, scores=scores, workers=2, engine=trivial_engine
        )
        return _figures(res)

    return _timed(run)


def _figures(res: Any) -> dict[str, Any]:
    s = res.summary
    usa = s[s["importer"] == "USA"].iloc[0]
    price = res.price.set_index("statistic")
    return {
        "importers": len(s),
        "runs_per_s": round(res.meta["runs"] / max(res.meta["seconds"], 1e-9)),
        "usa_cvar95_pct": round(float(usa["cvar95_pct"]), 3),
        "price_p95": round(float(price.loc["horizon_mean", "p95"]), 3),
        "peak_price_p95": round(float(price.loc["peak_month", "p95"]), 3),
    }


CASES = [
    Case("montecarlo-numpy-1e3", _setup, _numpy(1_000), size=1_000),
    Case("montecarlo-numpy-1e4", _setup, _numpy(10_000), size=10_000),
    Case("montecarlo-numpy-1e4-1thread", _setup, _numpy(10_000, workers=1), size=10_000),
    Case("montecarlo-numpy-1e5", _setup, _numpy(100_000), size=100_000),
    Case("montecarlo-numpy-1e5-1thread", _setup, _numpy(100_000, workers=1), size=100_000),
    Case("montecarlo-numpy-1e5-threads", _setup, _numpy(100_000, parallel="threads"), size=100_000),
    Case("montecarlo-numpy-1e6", _setup, _numpy(1_000_000), size=1_000_000),
    Case("montecarlo-dask-1e5", _setup, _dask(100_000), size=100_000),
    Case("montecarlo-dask-1e6", _setup, _dask(1_000_000), size=1_000_000),
    Case("montecarlo-machinery-1e5", _setup, _machinery(100_000), size=100_000),
    Case("montecarlo-machinery-1e6", _setup, _machinery(1_000_000), size=1_000_000),
]
