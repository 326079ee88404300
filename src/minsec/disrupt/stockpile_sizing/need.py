"""What stock must cover: the engine's gap at pre-disruption prices ("need").

The engine (:func:`minsec.disrupt.engine.propagate`, step 5) draws a holder's stockpile
against its need n_j = max(D̃_j − S_j, 0) each month: baseline demand less the supply
left after the network's losses and diversion, *before* spare capacity, spot resale and
the price respond. That need does not depend on any stock (stocks enter after it), so the
tonnes a partner would draw from an unlimited stockpile, with no release limit and no
sharing, are exactly Σ_m n_j(m): what a stock must hold to keep the partner whole at
pre-disruption prices in that run.

:class:`NeedEngine` is an engine for :func:`minsec.disrupt.montecarlo.run_risk`
(``engine=``) that runs ``propagate`` with such a stockpile at the partners' members and
reports the draws as the shortfall, so ``run_risk(..., keep_runs=True)`` returns the
``(R, P)`` annual need of each partner (a bloc's need is the sum of its members'), drawn
from the same shocks as the ordinary run with the same seed. It is a picklable top-level
class, so worker processes (and Dask workers with minsec installed) can run it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from minsec.disrupt.model import Baseline, Outcome, Parameters, Responses, Shocks


@dataclass(frozen=True)
class NeedEngine:
    """``propagate`` with unlimited stocks at ``members``, reporting the draws as shortfall.

    Attributes
    ----------
    members:
        Positions (on the baseline's country axis) of every partner's members.
    """

    members: tuple[int, ...]

    def __call__(
        self,
        baseline: Baseline,
        shocks: Shocks,
        params: Parameters,
        responses: Responses | None,
    ) -> Outcome:
        """Run the engine once (totals over the horizon) and return the draws."""
        from minsec.disrupt.engine import propagate

        n = baseline.n
        unlimited = np.zeros(n)
        unlimited[list(self.members)] = np.inf
        restraint = np.zeros(n) if responses is None else responses.demand_restraint
        out = propagate(
            baseline,
            shocks,
            params,
            Responses(unlimited, unlimited.copy(), restraint),
            totals=True,
        )
        return Outcome(
            shortfall_t=out.stock_release_t,
            supply_t=out.supply_t,
            stock_release_t=out.stock_release_t,
            price_index=out.price_index,
            baseline_monthly_t=out.baseline_monthly_t,
        )
