"""Compiled inner loops of the disruption engine (Numba, no parallelism, IEEE arithmetic).

These loops run per run and per country in a fixed order, so their results are a
deterministic function of their inputs (no threads, no reassociation: ``fastmath`` is off),
whatever the chunking of the Monte Carlo. Division follows NumPy (``error_model="numpy"``:
x/0 is inf or NaN, as in the array code the tests compare with, not an exception).
Compiled code is cached on disk
(``cache=True``): the first call in a fresh installation compiles, later processes load
it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

_NEWTON_ITERATIONS = 200
_ULP4 = 4e-16


@njit(cache=True, nogil=True, error_model="numpy")
def _clear_one(
    demand: Any,
    supply: Any,
    spot: Any,
    buyers: Any,
    production: Any,
    cap: Any,
    sellers: Any,
    ed: float,
    es: float,
    x_max: float,
    offer: float,
) -> float:
    r"""Log price index x = ln p of one run (step 6 of :mod:`minsec.disrupt.engine`).

    With ``u_j(p) = D̃_j p^{ε_d} − S'_j`` (buyer j's excess demand at price index p) and
    θ_j the spot share of buyer j (0 for a buyer under an event of its own), the clearing
    function is

        F = Σ_j [max(u_j, 0) − θ_j max(−u_j, 0)] − Σ_i min(K_i, P_i (p^{ε_s} − 1)) − Q
          = Σ_j θ_j u_j + Σ_j (1 − θ_j) max(u_j, 0) − Σ_i min(K_i, P_i (p^{ε_s} − 1)) − Q,

    where Q (``offer``) is what producers sell from their stocks at any price p ≥ 1.

    It is solved in ``y = p^{ε_d}`` (the share of demand left at price p), in which every
    demand term is linear: ``u_j = D̃_j y − S'_j``, ``p^{ε_s} = y^{ε_s/ε_d}``. F is
    continuous and increasing in y; p = 1 is y = 1 and the price cap is ``y_min =
    p_max^{ε_d}``. Newton's method from y = 1, run by run: between two kinks (a buyer that
    stops being short, a producer that reaches its capacity) the demand side is exactly
    linear, so a step lands on the root unless a kink or the curvature of the supply
    response intervenes. Each run keeps a bracket (F > 0 above, F ≤ 0 below); a step that
    would leave it evaluates the cap (first time) or bisects. A run stops when a step is
    below 4 ulp or the bracket is that narrow; typically 3 evaluations. The result is 0
    where F(1) ≤ 0 and ``x_max`` where F(y_min) > 0.

    ``demand``, ``supply``, ``spot`` are the run's rows over all countries and ``buyers``
    the columns that can be short or resell; ``production`` and ``cap`` (spare capacity,
    t/month) are read at ``sellers``, the countries that can respond.
    """
    lin_a = 0.0
    lin_s = 0.0
    kept_u0 = 0.0
    wa_sum = 0.0
    # the buyers short at p = 1, compacted: (1 − θ_j) D̃_j and (1 − θ_j) S'_j
    wa = np.empty(buyers.shape[0])
    ws = np.empty(buyers.shape[0])
    m = 0
    for j in buyers:
        u0 = demand[j] - supply[j]
        lin_a += spot[j] * demand[j]
        lin_s += spot[j] * supply[j]
        if u0 > 0.0:
            keep = 1.0 - spot[j]
            kept_u0 += keep * u0
            wa[m] = keep * demand[j]
            ws[m] = keep * supply[j]
            wa_sum += wa[m]
            m += 1
    if m == 0:
        return 0.0
    f1 = lin_a - lin_s + kept_u0 - offer  # F at p = 1
    if not f1 > 0.0:
        return 0.0
    gam = es / ed  # p^ε_s = y^γ, γ ≤ 0
    y_min = math.exp(ed * x_max)
    df1 = lin_a + wa_sum
    for i in sellers:
        if cap[i] > 0.0:
            df1 -= production[i] * gam
    up = 1.0
    dn = y_min
    dn_known = False
    base, f_b, df_b = up, f1, df1
    y = dn
    for _ in range(_NEWTON_ITERATIONS):
        nxt = base - f_b / df_b
        if not abs(nxt - base) > _ULP4 * base:  # converged (also a NaN step)
            y = base
            break
        if not (dn < nxt < up):
            nxt = dn if (nxt <= dn and not dn_known) else 0.5 * (up + dn)
        # F and F' at nxt: the buyers short at p = 1 that are still short, and the sellers
        f = lin_a * nxt - lin_s - offer
        df = lin_a
        for i in range(m):
            g = wa[i] * nxt - ws[i]
            if g > 0.0:
                f += g
                df += wa[i]
        if len(sellers):
            pe = math.exp(gam * math.log(nxt))
            for i in sellers:
                made = production[i] * (pe - 1.0)
                if made < cap[i]:
                    f -= made
                    df -= production[i] * gam * pe / nxt
                else:
                    f -= cap[i]
        if f > 0.0:
            up = nxt
        else:
            dn = nxt
            dn_known = True
        base, f_b, df_b = nxt, f, df
        if f > 0.0 and nxt <= y_min:  # F(y_min) > 0: the price is capped
            return x_max
        if f == 0.0 or (dn_known and up - dn <= _ULP4 * up):
            y = dn
            break
    x = math.log(y) / ed
    return min(max(x, 0.0), x_max)


@njit(cache=True, nogil=True, error_model="numpy")
def market(
    loss: Any,
    c: Any,
    D0: Any,  # noqa: N803 - the engine's notation
    restraint: Any,
    active: Any,
    state: Any,
    rate: Any,
    bloc: Any,
    eligible: Any,
    theta: Any,
    ramp: Any,
    sigma_p: Any,
    P: Any,  # noqa: N803
    buyers: Any,
    sellers: Any,
    eps_d: Any,
    eps_s: Any,
    x_max: Any,
    kappa: Any,
    sub_level: Any,
    flags: Any,
    rows: Any,
    out_short: Any,
    out_supply: Any,
    out_release: Any,
    draw: Any,
    received: Any,
    made: Any,
    got: Any,
    given: Any,
    demand_p: Any,
    substitute: Any,
    inv_draw: Any,
    pstock_sold: Any,
    changed: Any,
    x_out: Any,
) -> None:
    """Steps 3 (supply at baseline prices) to 7 for each run r of the inputs.

    Restraint, substitution, consumers' inventory draws, public stockpile draws (pooled
    within a sharing bloc), the price and the allocation of spare output, resales and producers'
    stock sales. ``state[rows[r]]`` holds the run's stockpiles, consumers' inventories and
    producers' stocks (rows 0, 1, 2), drawn down in place (``changed[r]`` True when any
    of them moved). ``flags`` = (restrain, stocks,
    sharing, inventories, producer stocks, substitution). Writes row r of ``draw``/
    ``received`` (with stocks), ``made``, ``got``, ``given``, ``demand_p``,
    ``substitute``, ``inv_draw``, ``pstock_sold`` and ``x_out[r]`` whole, and the run's
    shortfall, supply and release into row ``rows[r]`` of ``out_short``, ``out_supply``,
    ``out_release``.
    """
    restrain, stocks, sharing = flags[0], flags[1], flags[2]
    inventories, pstocks, substitution = flags[3], flags[4], flags[5]
    n = D0.shape[0]
    ns = sellers.shape[0]
    demand = np.empty(n)
    s_stock = np.empty(n)
    spot = np.empty(n)
    cap = np.zeros(n)
    need = np.empty(n)
    stock_cap = np.empty(n)
    offer = np.zeros(n)
    for r in range(loss.shape[0]):
        q = rows[r]
        lr = loss[r]
        el = eligible[r]
        moved = False
        cut = restrain and active[r]
        # 3. supply at baseline prices and 4. demand restraint
        for j in range(n):
            s = D0[j] - c[j] * lr[j]
            s_stock[j] = s if s > 0.0 else 0.0
            demand[j] = D0[j] * (1.0 - restraint[j]) if cut else D0[j]
        # 5a. another product replaces the share sub_level of what is still missing
        substitute[r] = 0.0
        if substitution:
            for j in range(n):
                nd = demand[j] - s_stock[j]
                if nd > 0.0:
                    sb = sub_level[r] * nd
                    substitute[r, j] = sb
                    s_stock[j] += sb
        # 5b. consumers draw the share κ of what is still missing from their inventories
        inv_draw[r] = 0.0
        if inventories:
            inv = state[q, 1]
            for j in range(n):
                nd = demand[j] - s_stock[j]
                if nd > 0.0 and inv[j] > 0.0:
                    d = min(kappa[r] * nd, inv[j])
                    inv_draw[r, j] = d
                    if d > 0.0:
                        inv[j] -= d
                        moved = True
                    s_stock[j] += d
        # 5c. public stockpiles release what is still missing (pooled within a sharing bloc)
        if stocks:
            st = state[q, 0]
            need_b = 0.0
            cap_b = 0.0
            for j in range(n):
                nd = demand[j] - s_stock[j]
                need[j] = nd if nd > 0.0 else 0.0
                stock_cap[j] = min(rate[j], st[j])
                if sharing and bloc[j]:
                    need_b += need[j]
                    cap_b += stock_cap[j]
            total = min(need_b, cap_b)
            f_cap = total / cap_b if cap_b > 0.0 else 0.0
            f_need = total / need_b if need_b > 0.0 else 0.0
            for j in range(n):
                if sharing and bloc[j]:
                    d = stock_cap[j] * f_cap
                    rc = need[j] * f_need
                else:
                    d = min(stock_cap[j], need[j])
                    rc = d
                draw[r, j] = d
                received[r, j] = rc
                if d > 0.0:
                    st[j] -= d
                    moved = True
                s_stock[j] += rc
        # 6. spare capacity, producers' stocks, spot resale and the price
        th = theta[r]
        for j in range(n):
            spot[j] = th if el[j] else 0.0
        for k in range(ns):
            i = sellers[k]
            cap[i] = sigma_p[i] * ramp[r] if el[i] else 0.0
        offer_total = 0.0
        if pstocks:
            pinv = state[q, 2]
            for i in range(n):
                o = min(pinv[i], P[i]) if el[i] else 0.0
                offer[i] = o
                offer_total += o
        x = _clear_one(
            demand, s_stock, spot, buyers, P, cap, sellers, eps_d[r], eps_s[r], x_max[r],
            offer_total,
        )  # fmt: skip
        x_out[r] = x
        # 7. allocation at the price (also at p = 1 when resale alone covers the gaps)
        scale_d = math.exp(eps_d[r] * x)
        gap_total = 0.0
        resale_total = 0.0
        for j in range(n):
            dp = demand[j] * scale_d
            demand_p[r, j] = dp
            ex = dp - s_stock[j]
            if ex > 0.0:
                gap_total += ex
            else:
                resale_total += -ex * spot[j]
        spare_total = 0.0
        grow = math.expm1(eps_s[r] * x)
        made[r] = 0.0
        for k in range(ns):
            i = sellers[k]
            sp = min(cap[i], P[i] * grow)
            made[r, i] = sp
            spare_total += sp
        pool = spare_total + resale_total + offer_total
        if gap_total > 0.0:
            f_gap = min(1.0, pool / gap_total)
            f_pool = min(1.0, gap_total / pool) if pool > 0.0 else 0.0
        else:
            f_gap = 0.0
            f_pool = 0.0
        for k in range(ns):
            made[r, sellers[k]] *= f_pool
        pstock_sold[r] = 0.0
        if pstocks:
            pinv = state[q, 2]
            for i in range(n):
                if offer[i] > 0.0:
                    sold = offer[i] * f_pool
                    pstock_sold[r, i] = sold
                    if sold > 0.0:
                        pinv[i] -= sold
                        moved = True
        changed[r] = moved
        for j in range(n):
            ex = demand_p[r, j] - s_stock[j]
            g = ex * f_gap if ex > 0.0 else 0.0
            gv = -ex * spot[j] * f_pool if ex < 0.0 else 0.0
            got[r, j] = g
            given[r, j] = gv
            sj = s_stock[j] + g - gv
            out_supply[q, j] = sj
            out_short[q, j] = D0[j] - sj if D0[j] > sj else 0.0
            if stocks:
                out_release[q, j] = draw[r, j]


@njit(cache=True, nogil=True, error_model="numpy")
def events(
    month: int,
    sel: Any,
    ev_ptr: Any,
    ev_col: Any,
    phi: Any,
    out_f: Any,
    start: Any,
    end: Any,
    row_tt: Any,
    room: Any,
    lam: Any,
    P: Any,  # noqa: N803 - the engine's notation
    u: Any,
    g: Any,
    gross: Any,
    share: Any,
    outage: Any,
    eligible: Any,
    active: Any,
) -> None:
    """Steps 1-2 of the engine for one event layer, for the runs ``sel`` (rows of the inputs).

    Per run and country k with an event (run q's events are ``ev_col[ev_ptr[q]:ev_ptr[q +
    1]]``): its activity ``a`` in month ``month`` (the part of ``[m, m+1)`` inside
    ``[start, end)``), ``u_k = φ_k a`` (withheld share of the flows to its targets),
    ``gross_k = u_k Σ_j TT_kj``, the leakage share ``s_k = λ min(1, V_k / gross_k)`` (0
    where nothing is withheld), ``g_k = u_k (1 − s_k)`` and the outage ``o_k a P_k``.
    ``eligible`` is False where a country is under an event of its own, ``active`` True
    for runs with an active event. Every output row r (run ``sel[r]``) is written whole.
    """
    tiny = np.finfo(np.float64).tiny
    lo = float(month)
    hi = month + 1.0
    for r in range(sel.shape[0]):
        q = sel[r]
        u[r] = 0.0
        g[r] = 0.0
        gross[r] = 0.0
        share[r] = 0.0
        outage[r] = 0.0
        eligible[r] = True
        active[r] = False
        for e in range(ev_ptr[q], ev_ptr[q + 1]):
            k = ev_col[e]
            a = min(hi, end[q, k]) - max(lo, start[q, k])
            a = min(max(a, 0.0), 1.0)
            if a > 0.0:
                eligible[r, k] = False
                active[r] = True
            uk = phi[q, k] * a
            gr = uk * row_tt[k]
            sh = min(1.0, room[k] / max(gr, tiny)) * lam[q] if gr > 0.0 else 0.0
            u[r, k] = uk
            gross[r, k] = gr
            share[r, k] = sh
            g[r, k] = uk * (1.0 - sh)
            outage[r, k] = out_f[q, k] * a * P[k]


@njit(cache=True, nogil=True, error_model="numpy")
def spread_targeted(
    g: Any,
    tt_spread: Any,
    rows_ok: Any,
    wt_spread: Any,
    y_extra: Any,
    extra: bool,
    loss: Any,
) -> None:
    """Step 3 for one event layer: ``L = (g TT + O)(I − W + Δ)^{-1}``, run by run.

    ``Δ = diag(g) (W ∘ t)`` has non-zero rows only for the run's restricting exporters S
    (``g > 0``; ``rows_ok`` marks those that re-export to their targets at all). With the
    rows of ``tt_spread = TT (I − W)^{-1}`` and ``wt_spread = (W ∘ t)(I − W)^{-1}``:
    ``Y = Σ_k g_k tt_spread[k] (+ y_extra, the outages' O (I − W)^{-1})`` and, by Woodbury,
    ``L = Y − Y_S (I + Z_S)^{-1} Z`` with ``Z = diag(g_S) wt_spread[S]``. The s × s system
    (s = the run's restricting exporters, a handful) is solved by Gaussian elimination with
    partial pivoting. Only the non-zero entries of ``g`` are visited.
    """
    n = g.shape[1]
    idx = np.empty(n, dtype=np.intp)
    for r in range(g.shape[0]):
        y = loss[r]
        if extra:
            for j in range(n):
                y[j] = y_extra[r, j]
        else:
            y[:] = 0.0
        s = 0
        for k in range(n):
            w = g[r, k]
            if w > 0.0:
                row = tt_spread[k]
                for j in range(n):
                    y[j] += w * row[j]
                if rows_ok[k]:
                    idx[s] = k
                    s += 1
        if s == 0:
            continue
        # A = (I + Z_S)^T, so that A coefᵀ = Y_Sᵀ
        a = np.empty((s, s))
        b = np.empty(s)
        for i in range(s):
            ki = idx[i]
            b[i] = y[ki]
            for j in range(s):
                kj = idx[j]
                a[i, j] = g[r, kj] * wt_spread[kj, ki] + (1.0 if i == j else 0.0)
        for col in range(s):
            piv = col
            for i in range(col + 1, s):
                if abs(a[i, col]) > abs(a[piv, col]):
                    piv = i
            if piv != col:
                for j in range(s):
                    a[col, j], a[piv, j] = a[piv, j], a[col, j]
                b[col], b[piv] = b[piv], b[col]
            for i in range(col + 1, s):
                f = a[i, col] / a[col, col]
                if f != 0.0:
                    for j in range(col, s):
                        a[i, j] -= f * a[col, j]
                    b[i] -= f * b[col]
        for i in range(s - 1, -1, -1):
            acc = b[i]
            for j in range(i + 1, s):
                acc -= a[i, j] * b[j]
            b[i] = acc / a[i, i]
        for i in range(s):
            coef = b[i] * g[r, idx[i]]
            row = wt_spread[idx[i]]
            for j in range(n):
                y[j] -= coef * row[j]
