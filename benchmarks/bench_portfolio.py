"""Portfolio optimiser (issue #5): build + HiGHS solve of the two-stage stochastic MIP.

Synthetic, reproducible instances (seeded) of the size the issue names: projects ×
scenarios × minerals × years, two partners (so groups = minerals × 2), three instrument
options per project (a fifth of the options not bankable, i.e. not allowed), need drawn like
the disruption Monte Carlo's (a shortfall in 15 % of scenario-years, lognormal size) and
project output with lognormal permitting delays, construction and a ramp-up, by month.

Cases: the issue's size with the default scenario reduction (200 buckets) for the
``expected`` and ``cvar`` objectives; the same without reduction (every scenario in the
model) where it fits; and a growth sweep over scenarios (500 → 5,000 → 20,000). Extra
figures: model size, build time (numpy → CSC arrays), HiGHS time (MIP + the LP relaxation
for the dual) and the exact re-evaluation on all scenarios, plus process CPU time (the
machine is shared, so wall time can exceed CPU time).
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
from _harness import Case


def instance(
    projects: int, scenarios: int, minerals: int, years: int, seed: int = 11
) -> dict[str, Any]:
    """Arrays for :class:`minsec.finance.portfolio.Problem` (see the module doc)."""
    rng = np.random.default_rng(seed)
    partners = 2
    groups = minerals * partners
    consumption = rng.lognormal(9.0, 1.0, size=groups)  # t/y per mineral × partner
    hit = rng.random((scenarios, years, groups)) < 0.15
    size = rng.lognormal(np.log(0.1), 0.8, size=(scenarios, years, groups))
    need = np.where(hit, np.minimum(size, 1.0) * consumption, 0.0)
    mineral = np.arange(projects) % minerals
    per_mineral = consumption.reshape(minerals, partners).sum(axis=1)
    capacity = rng.lognormal(np.log(0.03), 0.7, size=projects) * per_mineral[mineral]
    capex = capacity * rng.lognormal(np.log(20_000.0), 0.5, size=projects)  # USD
    cost = capex[:, None] * np.array([0.02, 0.12, 0.18])[None, :]
    cost[rng.random(cost.shape) < 0.2] = np.nan
    share_usa = rng.uniform(0.0, 0.8, size=projects)
    offtake = np.zeros((projects, groups))
    offtake[np.arange(projects), mineral * partners] = share_usa
    offtake[np.arange(projects), mineral * partners + 1] = rng.uniform(0.0, 1.0 - share_usa)
    # first output: lognormal permitting (median 24, p90 60 months) + 24 months construction
    permit = 24.0 * np.exp(np.log(60 / 24) / 1.2816 * rng.standard_normal((scenarios, projects)))
    start = np.round(permit + 24.0)
    ramp = np.array([0.4, 0.7, 1.0])
    months = np.arange(12 * years)
    supply = np.empty((scenarios, years, projects))
    for p in range(projects):  # by project: (S, 12T) at a time
        k = months[None, :] - start[:, p, None]
        share = np.where(k >= 0, ramp[np.clip(k // 12, 0, 2).astype(int)], 0.0)
        supply[:, :, p] = capacity[p] * share.reshape(scenarios, years, 12).mean(axis=2)
    return {
        "cost_usd": cost,
        "supply_t": supply,
        "need_t": need,
        "offtake": offtake,
        "weight": np.ones(groups),
        "budget_usd": float(np.nansum(cost[:, 0]) / 3.0),
        "capacity_t": capacity,
        "country": np.array([f"C{c:02d}" for c in rng.integers(0, 25, size=projects)]),
    }


def _case(
    projects: int,
    scenarios: int,
    minerals: int,
    years: int,
    objective: str,
    buckets: int | None,
    binary: bool = True,
) -> tuple[Any, Any]:
    def setup() -> dict[str, Any]:
        from minsec.finance import portfolio

        small = portfolio.Problem(**instance(3, 4, 1, 2))
        portfolio.solve(small)  # warm: imports, HiGHS library load
        return instance(projects, scenarios, minerals, years)

    def run(inputs: dict[str, Any]) -> dict[str, Any]:
        from minsec.finance import portfolio

        cpu0 = os.times()
        start = time.perf_counter()
        r = portfolio.solve(
            portfolio.Problem(**inputs),
            objective=objective,  # type: ignore[arg-type]
            binary=binary,
            buckets=buckets,
            mip_rel_gap=1e-4,
            time_limit=600.0,
        )
        total = time.perf_counter() - start
        cpu1 = os.times()
        highs = r.solve_seconds - r.build_seconds
        return {
            **r.model_size,
            "status": r.status,
            "chosen": len(r.chosen),
            "build_s": round(r.build_seconds, 3),
            "highs_s": round(highs, 3),
            **{f"highs_{k}_s": round(v, 3) for k, v in getattr(r, "highs_seconds", {}).items()},
            "evaluate_s": round(total - r.solve_seconds, 3),
            "cpu_s": round(cpu1.user + cpu1.system - cpu0.user - cpu0.system, 2),
            "improvement_pct": round(
                100 * (1 - r.expected_shortfall_after_t / max(r.expected_shortfall_before_t, 1e-9)),
                1,
            ),
        }

    return setup, run


def _name(p: int, s: int, m: int, t: int, obj: str, b: int | None, binary: bool = True) -> str:
    red = f"{b} buckets" if b else "all scenarios"
    kind = "MIP" if binary else "LP"
    return f"portfolio/{p}p x {s}s x {m}m x {t}y {obj} {kind} {red}"


SPECS: list[tuple[int, int, int, int, str, int | None, bool]] = [
    (300, 5000, 10, 10, "expected", 200, True),
    (300, 5000, 10, 10, "cvar", 200, True),
    (300, 5000, 10, 10, "expected", None, False),
    (300, 5000, 10, 10, "expected", None, True),
    (300, 5000, 10, 10, "cvar", None, True),
    (300, 500, 10, 10, "expected", 200, True),
    (300, 20000, 10, 10, "expected", 200, True),
    (300, 500, 10, 10, "expected", None, True),
    (300, 20000, 10, 10, "expected", None, False),
]

CASES = [
    Case(_name(*spec), *_case(*spec), size=f"{spec[0]}x{spec[1]}x{spec[2]}x{spec[3]}")
    for spec in SPECS
]
