"""Stockpile sizing (issue 13): 10^5 Monte Carlo runs x 2 partners in <= 30 s on 2 cores.

``stockpile-size-1e5`` is ``minsec stockpile size -c graphite -i USA,JPN --target
'cvar95<=5%' --runs 100000 --seed 1`` through the Python API (graphite, 2024 baseline of
the default data, need basis, ``workers=2``: the Monte Carlo on 2 forked processes; the
default curve of 6 caps + the target). Its extra figures split the time: the Monte Carlo,
the pooled LP at the target, the exact alone solution, the curve (pooled LPs and alone).
The ``stockpile-lp-*`` cases time the optimisation alone on saved need arrays (setup
runs the Monte Carlo once, not timed): the pooled LP at the target with its model size
and constraint-generation rounds, and the curve; ``-p10`` the pooled probability-target
MIP (P(shortfall > 10 %) <= 5 %). ``stockpile-lp-synthetic-*`` grow the runs (10^4,
10^5, 3 x 10^5) on synthetic losses (two partners, about 30 % of runs short, lognormal
sizes, a common shock) to show how the LP scales with R.

Every case reports ``cpu_s`` (this process; ``children_cpu_s``: forked Monte Carlo
workers) and the 1-minute load average before -> after: the machine may be shared.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from _harness import Case, default_store_path


def _timed(run: Callable[[Any], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
    def wrapped(inputs: Any) -> dict[str, Any]:
        import resource

        load0 = os.getloadavg()[0]
        cpu0 = time.process_time()
        kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = run(inputs)
        kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        out["cpu_s"] = round(time.process_time() - cpu0, 2)
        kids = (kids1.ru_utime + kids1.ru_stime) - (kids0.ru_utime + kids0.ru_stime)
        if kids > 0:
            out["children_cpu_s"] = round(kids, 2)
        out["load"] = f"{load0:.1f}->{os.getloadavg()[0]:.1f}"
        return out

    return wrapped


def _store() -> Any:
    from minsec.store import Store

    return Store(default_store_path(), read_only=True)


def _size(inputs: Any) -> dict[str, Any]:
    from minsec.disrupt.stockpile_sizing.study import size_stockpiles

    result = size_stockpiles(
        inputs, "USA,JPN", "cvar95<=5%", commodity="graphite", runs=100_000, seed=1, workers=2
    )
    seconds = result.meta["seconds"]
    return {
        "monte_carlo_s": seconds["monte_carlo"],
        "pooled_s": seconds["pooled"],
        "alone_s": seconds["alone"],
        "curve_s": seconds["curve"],
        "pooled_t": round(result.pooled.total_t),
        "alone_t": round(result.alone.total_t),
        "saving_pct": round(result.meta["saving_pct"], 1),
        "kept_pairs": result.pooled.kept_pairs,
        "rounds": result.pooled.rounds,
    }


def _need_problem() -> Any:
    """The 10^5-run need of USA and JPN for graphite (Monte Carlo in setup) as a problem."""
    from minsec.disrupt.stockpile_sizing.costs import holding_costs
    from minsec.disrupt.stockpile_sizing.problem import SizingProblem
    from minsec.disrupt.stockpile_sizing.study import size_stockpiles

    with _store() as st:
        result = size_stockpiles(
            st, "USA,JPN", "cvar95<=50%", commodity="graphite", runs=100_000, seed=1,
            workers=2, curve_points=2,
        )  # fmt: skip
    problem = result.problem
    costs = holding_costs(problem.partners, result.meta["price_usd_per_t"], "baseline")
    return SizingProblem(
        problem.partners,
        problem.loss_t,
        problem.consumption_t,
        np.array([c.holding_usd_per_t_year for c in costs]),
    )


def _synthetic(runs: int) -> Any:
    from minsec.disrupt.stockpile_sizing.problem import SizingProblem

    rng = np.random.default_rng(1)
    common = rng.random(runs) < 0.2
    hit = (rng.random((runs, 2)) < 0.1) | common[:, None]
    size = rng.lognormal(np.log(0.1), 0.8, (runs, 2)) * np.array([60_000.0, 44_000.0])
    loss = np.where(hit, np.minimum(size, [60_000.0, 44_000.0]), 0.0)
    return SizingProblem(
        ("USA", "JPN"), loss, np.array([60_000.0, 44_000.0]), np.array([89.2, 47.8])
    )


def _lp(target: str, curve: bool = True) -> Callable[[Any], dict[str, Any]]:
    def run(problem: Any) -> dict[str, Any]:
        from minsec.disrupt.stockpile_sizing import lp
        from minsec.disrupt.stockpile_sizing.curve import trace_curve
        from minsec.disrupt.stockpile_sizing.target import parse_target

        goal = parse_target(target)
        sizers = {mode: lp.Sizer(problem, goal, mode) for mode in (True, False)}
        t0 = time.perf_counter()
        pooled = sizers[True].at()
        t1 = time.perf_counter()
        alone = sizers[False].at()
        t2 = time.perf_counter()
        out: dict[str, Any] = {
            "pooled_s": round(t1 - t0, 3),
            "alone_s": round(t2 - t1, 3),
            "pooled_t": round(pooled.total_t),
            "alone_t": round(alone.total_t),
            "status": pooled.status,
            "rounds": pooled.rounds,
            "kept_pairs": pooled.kept_pairs,
            **{f"model_{k}": v for k, v in pooled.model_size.items()},
        }
        if pooled.mip_gap:
            out["mip_gap"] = pooled.mip_gap
        if curve:
            t3 = time.perf_counter()
            trace_curve(sizers, 6, known={True: pooled, False: alone})
            out["curve_s"] = round(time.perf_counter() - t3, 3)
        return out

    return run


CASES = [
    Case("stockpile-size-1e5", _store, _timed(_size), "1e5 x 2"),
    Case("stockpile-lp-1e5-cvar95", _need_problem, _timed(_lp("cvar95<=5%")), "1e5 x 2"),
    Case("stockpile-lp-1e5-p10", _need_problem, _timed(_lp("p10<=5%", curve=False)), "1e5 x 2"),
    *(
        Case(
            f"stockpile-lp-synthetic-{runs:.0e}",
            lambda r=runs: _synthetic(r),
            _timed(_lp("cvar95<=5%", curve=False)),
            f"{runs} x 2",
        )
        for runs in (10_000, 100_000, 300_000)
    ),
]
