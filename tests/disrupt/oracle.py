# ruff: noqa: N803  (T, P, D0, W, K: the notation of the engine's docstring)
"""Loop oracle of the disruption engine: one run, month by month, country by country.

A deliberately plain re-implementation of the model in ``minsec.disrupt.engine`` (see its
module docstring) with Python lists and loops: the pass-through is solved by Gaussian
elimination per month, the price by bisection on the clearing function. It shares no code
with the engine, so agreement to 1e-9 checks the vectorised implementation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minsec.disrupt.model import Baseline, Parameters, Responses, Shocks


@dataclass
class OracleResult:
    shortfall: list[list[float]] = field(default_factory=list)  # [month][country]
    supply: list[list[float]] = field(default_factory=list)
    release: list[list[float]] = field(default_factory=list)
    price: list[float] = field(default_factory=list)
    withheld: list[list[float]] = field(default_factory=list)
    diverted: list[list[float]] = field(default_factory=list)
    outage: list[list[float]] = field(default_factory=list)
    spare_output: list[list[float]] = field(default_factory=list)
    substitute: list[list[float]] = field(default_factory=list)
    inventory_draw: list[list[float]] = field(default_factory=list)
    producer_stock_sold: list[list[float]] = field(default_factory=list)
    resale: list[list[float]] = field(default_factory=list)
    stock_received: list[list[float]] = field(default_factory=list)
    excess: list[list[float]] = field(default_factory=list)
    imports_change: list[list[float]] = field(default_factory=list)
    imports_change_from_restricting: list[list[float]] = field(default_factory=list)


def _scalar(value: Any, run: int) -> float:
    arr = np.asarray(value, dtype=float)
    return float(arr) if arr.ndim == 0 else float(arr[run])


def _solve_left(W: list[list[float]], rhs: list[float]) -> list[float]:
    """x with x = rhs + x W, i.e. (I − W)^T x = rhs, by Gaussian elimination."""
    n = len(rhs)
    A = [[(1.0 if i == j else 0.0) - W[j][i] for j in range(n)] for i in range(n)]
    b = list(rhs)
    for col in range(n):
        piv = max(range(col, n), key=lambda r: abs(A[r][col]))
        A[col], A[piv] = A[piv], A[col]
        b[col], b[piv] = b[piv], b[col]
        for r in range(n):
            if r != col and A[r][col] != 0.0:
                f = A[r][col] / A[col][col]
                for k in range(col, n):
                    A[r][k] -= f * A[col][k]
                b[r] -= f * b[col]
    return [b[i] / A[i][i] for i in range(n)]


def _overlap(m: int, start: float, duration: float) -> float:
    lo = max(float(m), start)
    hi = min(m + 1.0, start + duration)
    return min(1.0, max(0.0, hi - lo))


def run_oracle(
    baseline: Baseline,
    shocks: Shocks,
    params: Parameters,
    responses: Responses | None = None,
    run: int = 0,
) -> OracleResult:
    n = baseline.n
    T = [[float(baseline.trade_t[i][j]) / 12.0 for j in range(n)] for i in range(n)]
    P = [float(baseline.production_t[i]) / 12.0 for i in range(n)]
    D0 = [float(baseline.consumption_t[i]) / 12.0 for i in range(n)]
    X = [sum(T[i]) for i in range(n)]
    sigma = [float(s) for s in baseline.spare_capacity]

    # pass-through shares
    c = [0.0] * n
    W = [[0.0] * n for _ in range(n)]
    for i in range(n):
        den = D0[i] + X[i]
        if den > 0:
            c[i] = D0[i] / den
            for j in range(n):
                W[i][j] = T[i][j] / den
        else:
            c[i] = 1.0
    reach = [c[i] > 0 for i in range(n)]
    changed = True
    while changed:
        changed = False
        for i in range(n):
            if not reach[i] and any(W[i][j] > 0 and reach[j] for j in range(n)):
                reach[i] = True
                changed = True
    for i in range(n):
        if not reach[i]:
            c[i] = 1.0
            W[i] = [0.0] * n

    layers = [shocks, *shocks.layers]
    phi = [[float(s.export_fraction[run][k]) for k in range(n)] for s in layers]
    out_f = [[float(s.outage_fraction[run][k]) for k in range(n)] for s in layers]
    transit = _scalar(params.transit_months, run)
    start = [[float(s.start_month[run][k]) + transit for k in range(n)] for s in layers]
    dur = [[float(s.duration_months[run][k]) for k in range(n)] for s in layers]
    tgt = [[[bool(s.targets[k][j]) for j in range(n)] for k in range(n)] for s in layers]
    nl = len(layers)

    lam = min(1.0, max(0.0, _scalar(params.leakage, run)))
    eps_d = _scalar(params.demand_elasticity, run)
    lr_multiple = _scalar(params.long_run_elasticity_multiple, run)
    adj_months = _scalar(params.adjustment_months, run)
    eps_s = _scalar(params.supply_elasticity, run)
    ramp_months = _scalar(params.ramp_months, run)
    x_max = math.log(max(_scalar(params.max_price_multiple, run), 1.0))
    theta = min(1.0, max(0.0, _scalar(params.spot_share, run)))
    kappa = min(1.0, max(0.0, _scalar(params.inventory_draw_share, run)))
    sub_share = min(1.0, max(0.0, _scalar(params.substitution_share, run)))
    sub_ramp = _scalar(params.substitution_ramp_months, run)
    inventory = [_scalar(params.inventory_months, run) * D0[j] for j in range(n)]
    if responses is not None and responses.commercial_stock_t is not None:
        inventory = [inventory[j] + float(responses.commercial_stock_t[j]) for j in range(n)]
    producer_stock = [_scalar(params.producer_inventory_months, run) * P[i] for i in range(n)]

    if responses is None:
        stock = [0.0] * n
        rate = [0.0] * n
        restraint = [0.0] * n
        bloc: set[str] = set()
    else:
        stock = [float(v) for v in responses.stockpile_t]
        rate = [float(v) for v in responses.release_rate_t_per_month]
        restraint = [float(v) for v in responses.demand_restraint]
        bloc = set(responses.sharing_bloc)
    member = [baseline.countries[i] in bloc for i in range(n)]

    room = [0.0] * n
    for k in range(n):
        for j in range(n):
            if j != k and not any(tgt[li][k][j] for li in range(nl)):
                room[k] += D0[j]
    restricting = [any(phi[li][k] > 0 for li in range(nl)) for k in range(n)]
    t0 = math.inf
    for li in range(nl):
        for k in range(n):
            if phi[li][k] > 0 or out_f[li][k] > 0:
                t0 = min(t0, start[li][k])

    res = OracleResult()
    for m in range(int(params.months)):
        act = [[_overlap(m, start[li][k], dur[li][k]) for k in range(n)] for li in range(nl)]
        oa = [0.0] * n
        for k in range(n):
            keep = 1.0
            for li in range(nl):
                keep *= 1.0 - out_f[li][k] * act[li][k]
            oa[k] = 1.0 - keep
        # withheld share of each flow
        Phi = [[0.0] * n for _ in range(n)]
        for k in range(n):
            for j in range(n):
                keep = 1.0
                for li in range(nl):
                    if tgt[li][k][j]:
                        keep *= 1.0 - phi[li][k] * act[li][k]
                Phi[k][j] = 1.0 - keep
        gross = [sum(Phi[k][j] * T[k][j] for j in range(n)) for k in range(n)]
        share = [lam * min(1.0, room[k] / gross[k]) if gross[k] > 0 else 0.0 for k in range(n)]
        psi = [[Phi[k][j] * (1.0 - share[k]) for j in range(n)] for k in range(n)]
        outage = [oa[k] * P[k] for k in range(n)]
        loss0 = [sum(psi[k][j] * T[k][j] for k in range(n)) + outage[j] for j in range(n)]
        W_month = [[W[k][j] * (1.0 - psi[k][j]) for j in range(n)] for k in range(n)]
        loss = _solve_left(W_month, loss0)
        frac = [
            min(1.0, loss[k] / (D0[k] + X[k])) if D0[k] + X[k] > 0 and reach[k] else 0.0
            for k in range(n)
        ]
        withheld = [gross[k] * (1.0 - frac[k]) for k in range(n)]
        diverted = [
            sum(share[k] * Phi[k][j] * T[k][j] * (1.0 - frac[k]) for k in range(n))
            for j in range(n)
        ]
        S = [0.0] * n
        excess = [0.0] * n
        for j in range(n):
            ell = c[j] * loss[j]
            excess[j] = max(ell - D0[j], 0.0)
            S[j] = D0[j] - (ell - excess[j])
        active = False
        on = [False] * n
        for li in range(nl):
            for k in range(n):
                if (phi[li][k] > 0 or out_f[li][k] > 0) and act[li][k] > 0:
                    active = True
                    on[k] = True
        demand = [D0[j] * (1.0 - restraint[j]) if active else D0[j] for j in range(n)]

        def ramp_at(months: float, m: int = m) -> float:
            if math.isinf(t0):
                return 0.0
            if months > 0:
                return min(1.0, max(0.0, (m + 1.0 - t0) / months))
            return 1.0 if m + 1.0 > t0 else 0.0

        # substitution: another product meets the share sub_share * ramp of what is missing
        substitute = [sub_share * ramp_at(sub_ramp) * max(demand[j] - S[j], 0.0) for j in range(n)]
        Sb = [S[j] + substitute[j] for j in range(n)]
        # consumers' inventories: the share kappa of what is still missing, while they last
        inv_draw = [min(kappa * max(demand[j] - Sb[j], 0.0), inventory[j]) for j in range(n)]
        inventory = [inventory[j] - inv_draw[j] for j in range(n)]
        Sb = [Sb[j] + inv_draw[j] for j in range(n)]
        # public stockpiles: what is still missing
        need = [max(demand[j] - Sb[j], 0.0) for j in range(n)]
        cap = [min(rate[j], stock[j]) for j in range(n)]
        draw = [0.0] * n
        received = [0.0] * n
        need_b = sum(need[j] for j in range(n) if member[j])
        cap_b = sum(cap[j] for j in range(n) if member[j])
        total_b = min(need_b, cap_b)
        for j in range(n):
            if member[j]:
                draw[j] = cap[j] * total_b / cap_b if cap_b > 0 else 0.0
                received[j] = need[j] * total_b / need_b if need_b > 0 else 0.0
            else:
                draw[j] = min(cap[j], need[j])
                received[j] = draw[j]
            stock[j] -= draw[j]
        Sp = [Sb[j] + received[j] for j in range(n)]
        # spare capacity
        ramp = ramp_at(ramp_months)
        # demand grows more elastic from the first event: eps_d (1 + (multiple - 1) ramp)
        eps_m = eps_d * (1.0 + (lr_multiple - 1.0) * ramp_at(adj_months))
        # producers' stocks: offered at any price >= 1, at most a month of production
        offer = [0.0 if on[i] else min(producer_stock[i], P[i]) for i in range(n)]
        K = [0.0 if on[i] else sigma[i] * P[i] * ramp for i in range(n)]
        # spot share: buyers (consumption > 0) without an event of their own resell the
        # share theta of what they no longer want at the price
        spot = [theta if D0[j] > 0 and not on[j] else 0.0 for j in range(n)]

        def spare_at(x: float, i: int, K: list[float] = K) -> float:
            if K[i] <= 0 or P[i] <= 0 or eps_s <= 0:
                return 0.0
            return min(K[i], P[i] * math.expm1(eps_s * x))

        def gap_at(
            x: float, j: int, demand: list[float] = demand, Sp: list[float] = Sp, e: float = eps_m
        ) -> float:
            return max(demand[j] * math.exp(e * x) - Sp[j], 0.0)

        def resale_at(
            x: float,
            j: int,
            demand: list[float] = demand,
            Sp: list[float] = Sp,
            spot: list[float] = spot,
            e: float = eps_m,
        ) -> float:
            return spot[j] * max(Sp[j] - demand[j] * math.exp(e * x), 0.0)

        def F(x: float, offer: list[float] = offer) -> float:
            return (
                sum(gap_at(x, j) for j in range(n))
                - sum(resale_at(x, j) for j in range(n))
                - sum(spare_at(x, i) for i in range(n))
                - sum(offer)
            )

        if sum(gap_at(0.0, j) for j in range(n)) <= 0 or F(0.0) <= 0:
            x = 0.0
        elif F(x_max) > 0:
            x = x_max
        else:
            lo, hi = 0.0, x_max
            for _ in range(200):
                mid = 0.5 * (lo + hi)
                if mid in (lo, hi):
                    break
                if F(mid) > 0:
                    lo = mid
                else:
                    hi = mid
            x = hi
        gaps = [gap_at(x, j) for j in range(n)]
        spares = [spare_at(x, i) for i in range(n)]
        resold = [resale_at(x, j) for j in range(n)]
        g_tot, s_tot = sum(gaps), sum(spares) + sum(resold) + sum(offer)
        if g_tot <= 0:
            gaps, spares, resold, offer = [0.0] * n, [0.0] * n, [0.0] * n, [0.0] * n
        got = [g * min(1.0, s_tot / g_tot) if g_tot > 0 else 0.0 for g in gaps]
        made = [s * min(1.0, g_tot / s_tot) if s_tot > 0 else 0.0 for s in spares]
        given = [s * min(1.0, g_tot / s_tot) if s_tot > 0 else 0.0 for s in resold]
        sold = [s * min(1.0, g_tot / s_tot) if s_tot > 0 else 0.0 for s in offer]
        producer_stock = [producer_stock[i] - sold[i] for i in range(n)]
        supply = [Sp[j] + got[j] - given[j] for j in range(n)]
        res.shortfall.append([max(D0[j] - supply[j], 0.0) for j in range(n)])
        res.supply.append(supply)
        res.release.append(draw)
        res.price.append(math.exp(x))
        res.withheld.append(withheld)
        res.diverted.append(diverted)
        res.outage.append(outage)
        res.spare_output.append(made)
        res.substitute.append(substitute)
        res.inventory_draw.append(inv_draw)
        res.producer_stock_sold.append(sold)
        res.resale.append(given)
        res.stock_received.append(received)
        res.excess.append(excess)
        res.imports_change.append(
            [
                -(loss[j] - outage[j])
                + (got[j] - min(got[j], made[j] + sold[j]))
                - given[j]
                + (received[j] - min(received[j], draw[j]))
                for j in range(n)
            ]
        )
        res.imports_change_from_restricting.append(
            [
                -sum(
                    T[k][j] * (Phi[k][j] + frac[k] * (1.0 - Phi[k][j]))
                    for k in range(n)
                    if restricting[k]
                )
                for j in range(n)
            ]
        )
    return res
