"""The US–Japan $550 billion investment vehicle as a cash-flow template.

As reported for the September 2025 MOU: Japan funds the projects; distributable cash
flows are split 50/50 between the US and Japan until Japan has received the *deemed
allocation amount*, then 90/10 in favour of the US.

Per year ``t`` with project cash flow ``c_t`` (USD) and Japan's remaining deemed amount
``R_t`` (starting at ``deemed_allocation_usd``):

* ``c_t < 0`` (funding): Japan pays all of it;
* ``c_t ≥ 0``: the first ``min(c_t, R_t/s_J)`` is split ``s_J = 0.5`` to Japan, the rest
  ``s_J' = 0.1`` to Japan; the US gets the remainder; ``R_{t+1} = R_t − Japan's 50/50 share``.

The deemed allocation defaults to Japan's total funding (``−Σ min(c_t, 0)``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from minsec.errors import InputError
from minsec.finance.cashflow import irr_result, npv


def split(
    cash_flows_usd: ArrayLike,
    deemed_allocation_usd: float | None = None,
    *,
    japan_share_before: float = 0.5,
    japan_share_after: float = 0.1,
) -> pd.DataFrame:
    """Each party's cash flow per year.

    Columns ``t``, ``cash_usd``, ``japan_usd``, ``us_usd`` and ``japan_recovered_usd``
    (cumulative Japan receipts counted toward the deemed amount).
    """
    c = np.asarray(cash_flows_usd, dtype=float)
    if not 0 < japan_share_before <= 1 or not 0 <= japan_share_after <= 1:
        raise InputError("Japan's shares must be in (0, 1]", column="japan_share")
    remaining = (
        float(-np.minimum(c, 0).sum()) if deemed_allocation_usd is None else deemed_allocation_usd
    )
    if remaining < 0:
        raise InputError("the deemed allocation cannot be negative", column="deemed_allocation")
    japan = np.zeros_like(c)
    recovered = np.zeros_like(c)
    got = 0.0
    for t, cash in enumerate(c):
        if cash < 0:
            japan[t] = cash
        else:
            first = min(cash, remaining / japan_share_before)
            j_first = japan_share_before * first
            japan[t] = j_first + japan_share_after * (cash - first)
            remaining = max(remaining - j_first, 0.0)
            got += j_first
        recovered[t] = got
    return pd.DataFrame(
        {
            "t": np.arange(c.size),
            "cash_usd": c,
            "japan_usd": japan,
            "us_usd": c - japan,
            "japan_recovered_usd": recovered,
        }
    )


def returns(frame: pd.DataFrame, rate: float) -> pd.DataFrame:
    """NPV at ``rate`` and IRR (with the reason when undefined) of each party."""
    rows = []
    for party in ("japan", "us"):
        flows = frame[f"{party}_usd"].to_numpy()
        r = irr_result(flows)
        rows.append(
            {
                "party": party.upper() if party == "us" else "Japan",
                "npv_usd": npv(rate, flows),
                "irr": r.value,
                "irr_note": r.reason,
                "received_usd": float(np.maximum(flows, 0).sum()),
                "paid_usd": float(-np.minimum(flows, 0).sum()) + 0.0,
            }
        )
    out = pd.DataFrame(rows)
    out.attrs["rate"] = rate
    if math.isnan(rate):
        raise InputError("rate is NaN", column="rate")
    return out
