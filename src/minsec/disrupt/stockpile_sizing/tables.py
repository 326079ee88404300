"""The tables of a sizing: one row per partner, per mode, per holder × partner.

Columns are named with their units (``_t``, ``_usd_per_year``, ``_pct``); see
``docs/stockpile-sizing.md`` for each table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from minsec.disrupt.stockpile_sizing.policy import flow_matrix
from minsec.disrupt.stockpile_sizing.problem import FloatArray, Sizing, SizingProblem

DAYS_PER_YEAR = 365.0


def _per_year(months: int) -> float:
    return 12.0 / months


def _days(stock: FloatArray, consumption: FloatArray, months: int) -> FloatArray:
    """Days of consumption the stock covers (annual consumption = C × 12 / M)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        daily = consumption * _per_year(months) / DAYS_PER_YEAR
        return np.where(daily > 0, stock / daily, np.nan)


def summary_frame(
    problem: SizingProblem, pooled: Sizing, alone: Sizing, months: int
) -> pd.DataFrame:
    """One row per partner: risk before, stock pooled and alone, cost, days of cover."""
    c = problem.holding_usd_per_t_year
    flows = flow_matrix(pooled.receipts_t, pooled.releases_t) * _per_year(months)
    own = np.diag(flows)
    return pd.DataFrame(
        {
            "partner": list(problem.partners),
            "consumption_t": problem.consumption_t,
            "target_pct": 100.0 * pooled.target.level,
            "risk_before_pct": 100.0 * pooled.risk_before,
            "holding_usd_per_t_year": c,
            "pooled_stock_t": pooled.stock_t,
            "pooled_days_of_cover": _days(pooled.stock_t, problem.consumption_t, months),
            "pooled_cost_usd_per_year": c * pooled.stock_t,
            "pooled_risk_after_pct": 100.0 * pooled.risk_after,
            "pooled_expected_release_t_per_year": flows.sum(axis=1),
            "pooled_released_to_others_t_per_year": flows.sum(axis=1) - own,
            "pooled_received_from_others_t_per_year": flows.sum(axis=0) - own,
            "alone_stock_t": alone.stock_t,
            "alone_days_of_cover": _days(alone.stock_t, problem.consumption_t, months),
            "alone_cost_usd_per_year": c * alone.stock_t,
            "alone_risk_after_pct": 100.0 * alone.risk_after,
        }
    )


def totals_frame(
    problem: SizingProblem, pooled: Sizing, alone: Sizing, months: int
) -> pd.DataFrame:
    """One row per mode (pooled, alone): total stock, days of cover, cost, solver figures."""
    total_c = float(problem.consumption_t.sum())
    rows = []
    for mode, s in (("pooled", pooled), ("alone", alone)):
        rows.append(
            {
                "mode": mode,
                "stock_t": s.total_t,
                "days_of_cover": float(
                    _days(np.array([s.total_t]), np.array([total_c]), months)[0]
                ),
                "cost_usd_per_year": s.cost_usd_per_year,
                "saving_vs_alone_usd_per_year": alone.cost_usd_per_year - s.cost_usd_per_year,
                "status": s.status,
                "solver": s.solver,
                "solve_seconds": s.solve_seconds,
                "rounds": s.rounds,
                "kept_pairs": s.kept_pairs,
                "mip_gap": s.mip_gap,
            }
        )
    return pd.DataFrame(rows)


def flows_frame(problem: SizingProblem, pooled: Sizing, alone: Sizing, months: int) -> pd.DataFrame:
    """Expected releases per year from each holder to each partner, pooled and alone."""
    rows = []
    for mode, s in (("pooled", pooled), ("alone", alone)):
        flows = flow_matrix(s.receipts_t, s.releases_t) * _per_year(months)
        for p, holder in enumerate(problem.partners):
            for q, partner in enumerate(problem.partners):
                if flows[p, q] > 0 or p == q:
                    rows.append(
                        {
                            "mode": mode,
                            "holder": holder,
                            "partner": partner,
                            "expected_t_per_year": float(flows[p, q]),
                            "own": p == q,
                        }
                    )
    return pd.DataFrame(rows, columns=["mode", "holder", "partner", "expected_t_per_year", "own"])
