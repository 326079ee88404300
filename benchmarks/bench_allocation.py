"""Coordinated allied allocation LP (issue part 3): build + three HiGHS stages + frames.

Synthetic, reproducible instances (seeded): partners × months × sources, a third of the
sources stockpiles (owned by partners, stock ≈ 3 months of their rate), the rest spare
capacity and diverted flows; every arc allowed (sharing on), so the LP has
months · sources · partners flow columns. Cases: the two sizes of the issue and a
growth sweep. Extra figures: LP size, HiGHS time (all stages) and the rest (input checks,
uncoordinated baseline, LP assembly, frames).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from _harness import Case

KINDS = ("spare_capacity", "diverted", "stockpile")


def _instance(partners: int, months: int, sources: int, seed: int = 7) -> dict[str, Any]:
    from minsec.disrupt.allocation import Sources

    rng = np.random.default_rng(seed)
    names = [f"P{j:02d}" for j in range(partners)]
    consumption = rng.lognormal(mean=6.0, sigma=1.0, size=partners)  # t/month
    cut = rng.uniform(0.05, 0.6, size=(months, partners))
    need = consumption * cut
    kinds = [KINDS[s % 3] for s in range(sources)]
    owners = [names[rng.integers(partners)] for _ in range(sources)]
    # scarce on purpose: at full rate the sources could cover about 70 % of the need,
    # and the stockpiles hold about 3 months of their rate
    base = rng.lognormal(mean=0.0, sigma=1.0, size=sources)
    base *= 0.7 * need.sum(axis=1).mean() / base.sum()
    available = base * rng.uniform(0.5, 1.5, size=(months, sources))
    stock = np.where(np.array(kinds) == "stockpile", 3.0 * base, 0.0)
    src = Sources(
        tuple(f"S{s:03d}" for s in range(sources)), tuple(kinds), tuple(owners), available, stock
    )
    return {"need": need, "partners": names, "sources": src, "reference": consumption}


def _case(partners: int, months: int, sources: int) -> tuple[Any, Any]:
    def setup() -> dict[str, Any]:
        from minsec.disrupt.allocation import allocate

        inputs = _instance(partners, months, sources)
        small = _instance(2, 1, 2)  # warm: imports, HiGHS library load
        allocate(small["need"], small["partners"], small["sources"])
        return inputs

    def run(inputs: dict[str, Any]) -> dict[str, Any]:
        import time

        from minsec.disrupt.allocation import allocate

        start = time.perf_counter()
        out = allocate(
            inputs["need"], inputs["partners"], inputs["sources"], reference_t=inputs["reference"]
        )
        total = time.perf_counter() - start
        return {
            **out.lp_size,
            "highs_s": round(out.solve_seconds, 3),
            "other_s": round(total - out.solve_seconds, 3),
            "flows_rows": len(out.flows),
            "max_shortfall_pct": round(100 * out.max_shortfall_frac, 2),
            "uncoordinated_max_pct": round(100 * out.uncoordinated_max_shortfall_frac, 2),
        }

    return setup, run


SIZES = [(10, 12, 20), (40, 24, 80)]
GROWTH = [(5, 6, 10), (20, 12, 40), (40, 48, 80), (80, 24, 160)]

CASES = [
    *[
        Case(
            f"allocation/{p} partners x {m} months x {s} sources",
            *_case(p, m, s),
            size=f"{p}x{m}x{s}",
        )
        for p, m, s in SIZES
    ],
    *[
        Case(f"allocation/growth {p}x{m}x{s}", *_case(p, m, s), size=f"{p}x{m}x{s}")
        for p, m, s in GROWTH
    ],
]
