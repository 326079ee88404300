"""The sized stocks re-simulated through the engine (``--verify``).

Four Monte Carlo runs with the sizing's seed (the same shocks: shocks do not depend on the
responses): no stock, the alone stocks, the pooled stocks (a sharing bloc of all partners'
members) and unlimited stocks, each partner alone (what no stock can remove). Why the
engine's figures differ from the sizing's: ``docs/stockpile-sizing.md``, "Checks against
the engine".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from minsec.disrupt.model import Baseline, FloatArray, Parameters, Responses
from minsec.disrupt.stockpile_sizing.problem import Sizing, SizingProblem, risk
from minsec.disrupt.stockpile_sizing.target import Target

if TYPE_CHECKING:
    from minsec.disrupt.montecarlo import Party
    from minsec.disrupt.risk_model import RiskModel
    from minsec.store import Store

VERIFY_COLUMNS = [
    "partner",
    "stocks",
    "stock_t",
    "engine_risk_pct",
    "lp_risk_pct",
    "target_pct",
    "engine_meets_target",
]


def responses_for(
    baseline: Baseline, parties: Sequence[Party], stock_t: FloatArray, pooled: bool,
    release_cap_t: FloatArray | None, months: int,
) -> Responses:  # fmt: skip
    """The engine's :class:`Responses` holding ``stock_t``.

    A bloc's stock is split by its members' consumption; it is released up to the cap per
    month (no cap: all of it in a month) and shared among all partners' members when
    ``pooled``.
    """
    n = baseline.n
    stock = np.zeros(n)
    rate = np.zeros(n)
    for q, party in enumerate(parties):
        idx = list(party.index)
        weight = baseline.consumption_t[idx]
        weight = weight / weight.sum() if weight.sum() > 0 else np.full(len(idx), 1 / len(idx))
        per_month = stock_t[q]
        if release_cap_t is not None:
            per_month = min(per_month, release_cap_t[q] / months)
        with np.errstate(invalid="ignore"):  # inf × 0 for a member without consumption
            stock[idx] += np.where(weight > 0, stock_t[q] * weight, 0.0)
            rate[idx] += np.where(weight > 0, per_month * weight, 0.0)
    bloc = tuple(m for p in parties for m in p.members) if pooled else ()
    return Responses(stock, rate, np.zeros(n), sharing_bloc=bloc)


def verify_in_engine(
    baseline: Baseline,
    parties: Sequence[Party],
    problem: SizingProblem,
    goal: Target,
    pooled: Sizing,
    alone: Sizing,
    *,
    seed: Any,
    runs: int,
    model: RiskModel | None,
    store: Store | None,
    params: Parameters,
    workers: int | None,
    max_runs: int | None,
    progress: Callable[[float], None] | None = None,
) -> pd.DataFrame:
    """The engine's risk with no stock, alone, pooled and unlimited stocks.

    Unlimited stocks (each partner alone) show what no stock can remove.

    Four Monte Carlo runs with the same seed (the same shocks: shocks do not depend on
    the responses), stocks in :class:`Responses` (:func:`responses_for`), the risk of the
    engine's shortfall (CVaR or probability, as the target) per partner.
    """
    from minsec.disrupt.montecarlo import run_risk

    a = f"{goal.alpha * 100:g}".replace(".", "_")
    t = f"{goal.threshold * 100:g}".replace(".", "_")
    column = f"cvar{a}_pct" if goal.kind == "cvar" else f"p_shortfall_gt_{t}pct"
    scale = 1.0 if goal.kind == "cvar" else 100.0
    cases: list[tuple[str, FloatArray, Sizing | None]] = [
        ("none", np.zeros(problem.n), None),
        ("alone", alone.stock_t, alone),
        ("pooled", pooled.stock_t, pooled),
        ("unlimited", np.full(problem.n, np.inf), None),
    ]
    rows = []
    cases = [c for c in cases if c[2] is None or c[2].status != "infeasible"]
    for i, (name, stock, sizing) in enumerate(cases):
        responses = None
        if sizing is not None or name == "unlimited":
            responses = responses_for(
                baseline, parties, stock, sizing is not None and sizing.pooled,
                None if sizing is None else problem.release_cap_t, params.months,
            )  # fmt: skip
        out = run_risk(
            baseline, [p.label for p in parties], runs=runs, seed=seed, model=model,
            store=store, params=params, responses=responses, alpha=goal.alpha,
            threshold=goal.threshold if goal.kind == "probability" else 0.1,
            workers=workers, max_runs=max_runs,
        )  # fmt: skip
        engine = out.summary[column].to_numpy(dtype=np.float64) * scale
        if sizing is not None:
            lp_risk = 100.0 * sizing.risk_after
        elif name == "none":
            lp_risk = 100.0 * risk(problem.loss_t, problem.consumption_t, goal)
        else:
            lp_risk = np.zeros(problem.n)
        for q, party in enumerate(parties):
            rows.append(
                {
                    "partner": party.label,
                    "stocks": name,
                    "stock_t": float(stock[q]) if np.isfinite(stock[q]) else np.nan,
                    "engine_risk_pct": float(engine[q]),
                    "lp_risk_pct": float(lp_risk[q]),
                    "target_pct": 100.0 * goal.level,
                    "engine_meets_target": bool(engine[q] <= 100.0 * goal.level + 1e-7),
                }
            )
        if progress is not None:
            progress((i + 1) / len(cases))
    return pd.DataFrame(rows, columns=VERIFY_COLUMNS)
