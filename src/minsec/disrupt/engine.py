# ruff: noqa: N806  (T, P, D0, W, S, K: the notation of the module docstring)
r"""Propagation of a disruption on the trade network, month by month, for R runs at once.

:func:`propagate` is a pure function of a :class:`~minsec.disrupt.model.Baseline`, a batch
of :class:`~minsec.disrupt.model.Shocks`, the :class:`~minsec.disrupt.model.Parameters` and
optional :class:`~minsec.disrupt.model.Responses`. Arrays carry the run axis ``R`` first;
every step is a NumPy operation on ``(R, n)`` arrays or an ``(R, n) @ (n, n)`` matrix
product. The only Python loop is over the ``M`` months (stocks carry over). Each month only
the runs with an active event whose activity, ramp or stocks changed since the previous
month are computed; the others repeat last month's results or keep the baseline (unless
``detail`` is asked for). The computed subset is a function of the batch alone, so
results are deterministic for a given batch.

The model (one commodity stage, monthly)
=======================================
Baseline, per month (annual figures / 12): trade ``T[i, j]`` (exporter i → importer j),
production ``P``, consumption ``D0 = max(P + M − X, 0)`` (apparent consumption; it is also
the baseline demand), exports ``X = Σ_j T[:, j]``. Each country's availability is split in
baseline proportions between its own consumption and its exports:
``c_j = D0_j / (D0_j + X_j)`` and ``W[j, k] = T[j, k] / (D0_j + X_j)`` (``c + Σ_k W = 1``).
A country that exports everything (``c = 0``) and cannot pass a loss on to any consuming
country absorbs it (``c = 1``, ``W`` row 0), so every loss ends somewhere.

Each month m, for each run:

1. **Events.** An event of country k is active for the fraction ``a_k(m)`` of month
   ``[m, m+1)`` that overlaps ``[start_k, start_k + duration_k)``. A production outage
   removes ``o_k a_k P_k`` of k's availability. An export restriction withholds the share
   ``Φ_kj = φ_k a_k`` of the flow k → j for each target j of k (``t_kj``); layers combine
   per flow: ``Φ_kj = 1 − Π_layers (1 − φ a t)``.
2. **Leakage / diversion.** Of what k withholds from its targets, the share
   ``s_k = λ · min(1, V_k / Σ_j Φ_kj T_kj)`` still reaches them through third countries,
   where ``V_k`` is the consumption of k's non-targets (the room to swap supplies; 0 for an
   untargeted restriction, so nothing leaks); each target gets it in proportion to what
   it lost. The net withheld share of a flow is ``ψ_kj = Φ_kj (1 − s_k)``.
3. **Losses along the network (re-exports).** Each country's availability is split in
   baseline proportions between consumption and exports, so a country that loses the
   share ``λ_k = L_k / (D0_k + X_k)`` of its availability ships ``λ_k`` less on every
   export flow; a restriction then withholds its share of what is left, and the diverted
   share comes back through third countries. The flow k → j thus becomes
   ``T_kj (1 − λ_k)(1 − Φ_kj)`` plus ``s_k Φ_kj T_kj (1 − λ_k)`` diverted, and the loss
   of availability L solves the linear system

       L_j = Σ_k ψ_kj T_kj + o_j a_j P_j + Σ_k L_k W_kj (1 − ψ_kj),

   i.e. ``L = L0 (I − W + W∘ψ)^{-1}``. ``(I − W)^{-1}`` is computed once per baseline
   (on the exporters' block) and the few rows of restricting exporters are handled by a
   Woodbury update per run and month. Importer j consumes ``ℓ_j = c_j L_j`` less; the rest
   of its loss reduces its own exports. Supply at baseline prices: ``S = D0 − ℓ``.
   Exporter k *withholds* ``Σ_j Φ_kj T_kj (1 − λ_k)``, of which ``s_k`` is *diverted* to
   its targets; the rest stays with k and leaves the market (k's consumption is unchanged:
   what k loses itself comes out of the withheld volume first, in proportion).
4. **Demand restraint.** While any event of the run is active, country j's demand is
   ``D̃_j = D0_j (1 − r_j)``.
5. **Stockpile draws.** Need ``n_j = max(D̃_j − S_j, 0)``; holder j releases
   ``min(rate_j, stock_j, n_j)``. With a sharing bloc, members pool: the bloc releases
   ``min(Σ caps, Σ needs)``, each member holder in proportion to its cap, each member
   receives in proportion to its need. ``S' = S + received``.
6. **Spare capacity and price.** Producers without an active event of their own can add
   ``min(K_i, P_i (p^{ε_s} − 1))`` at price index p (``p = price / p0``), where
   ``K_i = σ_i P_i ρ(m)`` ramps linearly, ``ρ(m) = min(1, (m + 1 − t0) / ramp_months)``
   from the first event start t0 of the run. Buyers that are short at price p want
   ``g_j(p) = max(D̃_j p^{ε_d} − S'_j, 0)`` more (iso-elastic demand). The price clears this
   spot market: p is the smallest p ≥ 1 with ``Σ_j g_j(p) ≤ Σ_i spare_i(p)``, capped at
   ``max_price_multiple``. Spare output is allocated to the short buyers in proportion to
   ``g_j(p)`` (at an interior price each gets exactly ``g_j``, so its consumption falls to
   ``D̃_j p^{ε_d}``; at the cap they share what there is).
7. **Outputs.** ``supply_t = S' + spare received`` (what j consumes);
   ``shortfall_t = D0 − supply_t`` (≥ 0: baseline demand not met, whether by physical loss,
   restraint or price rationing); ``price_index = p``.

Identities (tested): ``Σ_j supply = Σ_j D0 − withheld + diverted − outage + stock drawn +
spare output`` in every month and run (``Σ_j ℓ_j = withheld − diverted + outage``, because
``c + Σ_k W (1 − ψ)`` plus the withheld shares add up to one on every row);
``supply_j ≤ D0_j`` for everyone; ``L_j ≤ availability_j``. (``excess_loss_t``, ℓ above
``D0``, is 0 except in closed loops of traders that consume nothing, which absorb what
they lose, and in baselines whose consumption is not ``max(P + M − X, 0)``.)

Simplifications
---------------
* One world price: buyers whose supply is intact keep their baseline volumes (term
  contracts) and do not resell to short buyers; the only channels between a restriction's
  targets and others are leakage λ and spare capacity.
* The supply response is bounded by spare capacity; with ε_s = 0 there is none. Producers
  under an event of their own add nothing.
* Stages are simulated separately (an ore outage does not propagate to refined products).
* The leakage share ``s_k`` is set from baseline volumes (before k's own losses).
* Scalars of :class:`Parameters` may also be ``(R,)`` arrays (one value per run).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .model import Baseline, BoolArray, FloatArray, Outcome, Parameters, Responses, Shocks

MONTHS_PER_YEAR = 12.0
_NEWTON_ITERATIONS = 100


# -- set-up ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Passthrough:
    """Re-export structure of a baseline (see step 3 of the module docstring).

    Attributes
    ----------
    c:
        ``(n,)`` share of each country's availability that it consumes.
    W:
        ``(n, n)`` share it re-exports to each partner (``c + W.sum(1) == 1``).
    exporters:
        Indices E of the countries with a non-zero row of ``W``.
    inverse:
        ``(I − W_EE)^{-1}`` on those countries.
    absorbing:
        ``(n,)`` countries that consume nothing and cannot pass a loss on to a consumer
        (closed loops of traders): they keep what they lose (``c = 1``, ``W`` row 0).
    """

    c: FloatArray
    W: FloatArray
    exporters: npt.NDArray[np.intp]
    inverse: FloatArray
    absorbing: BoolArray

    def spread(self, loss0: FloatArray) -> FloatArray:
        """``L = L0 (I − W)^{-1}`` for ``(R, n)`` losses, through the exporters' block.

        With E the exporters and N the rest (zero rows of ``W``):
        ``L_E = L0_E (I − W_EE)^{-1}`` and ``L = L0 + L_E W_E``.
        """
        if not len(self.exporters):
            return loss0
        through = loss0[:, self.exporters] @ self.inverse
        return loss0 + through @ self.W[self.exporters]


def passthrough(baseline: Baseline) -> Passthrough:
    """Consumption shares, re-export shares and the propagator of a baseline.

    A country that consumes nothing and cannot pass a loss on to any consuming country
    absorbs it (``c = 1``, its ``W`` row 0), so every loss ends somewhere.
    """
    T = np.asarray(baseline.trade_t, dtype=float)
    D0 = np.asarray(baseline.consumption_t, dtype=float)
    X = T.sum(axis=1)
    out = D0 + X
    positive = out > 0
    safe = np.where(positive, out, 1.0)
    c = np.where(positive, D0 / safe, 1.0)
    W = np.where(positive[:, None], T / safe[:, None], 0.0)
    reach = c > 0
    link = W > 0
    while True:
        grown = reach | (link & reach[None, :]).any(axis=1)
        if np.array_equal(grown, reach):
            break
        reach = grown
    stuck = ~reach
    if stuck.any():
        c = np.where(stuck, 1.0, c)
        W = np.where(stuck[:, None], 0.0, W)
    ex = np.flatnonzero(W.sum(axis=1) > 0)
    inverse: FloatArray = np.zeros((0, 0))
    if len(ex):
        inverse = np.asarray(np.linalg.inv(np.eye(len(ex)) - W[np.ix_(ex, ex)]), dtype=float)
    return Passthrough(c=c, W=W, exporters=ex, inverse=inverse, absorbing=stuck)


_CACHE: dict[int, tuple[weakref.ref[Baseline], Passthrough]] = {}


def _passthrough_cached(baseline: Baseline) -> Passthrough:
    """:func:`passthrough`, remembered per baseline object (baselines are immutable)."""
    key = id(baseline)
    hit = _CACHE.get(key)
    if hit is not None and hit[0]() is baseline:
        return hit[1]
    value = passthrough(baseline)

    def forget(_ref: weakref.ref[Baseline], k: int = key) -> None:
        _CACHE.pop(k, None)

    _CACHE[key] = (weakref.ref(baseline, forget), value)
    return value


def _spread_restricted(
    pt: Passthrough,
    loss0: FloatArray,
    active: BoolArray,
    matrix: FloatArray,
    weights: FloatArray | None = None,
    spread_matrix: FloatArray | None = None,
    spread_loss0: FloatArray | None = None,
) -> FloatArray:
    """``L = L0 (I − W + Δ)^{-1}`` where Δ has non-zero rows only for ``active`` countries.

    Δ is ``matrix`` ``(R, n, n)``, or ``weights[:, :, None] * matrix`` with ``matrix``
    ``(n, n)`` and ``weights`` ``(R, n)``. Woodbury on the cached ``(I − W)^{-1}``: with
    Y = L0 (I − W)^{-1} and, per run, the s active rows V of Δ, Z = V (I − W)^{-1}:
    ``L = Y − Y_S (I + Z_S)^{-1} Z`` (S = the active columns). Runs with fewer active rows
    are padded with zero rows, which leave the result unchanged. With ``weights``,
    ``spread_matrix`` may give ``matrix (I − W)^{-1}`` (computed once per call of
    :func:`propagate`): Z is then a weighted gather of its rows instead of a product;
    ``spread_loss0`` may give Y when the caller has it.
    """
    y = pt.spread(loss0) if spread_loss0 is None else spread_loss0
    count = active.sum(axis=1)
    s = int(count.max()) if count.size else 0
    if s == 0:
        return y
    runs, n = loss0.shape
    rr = np.arange(runs)[:, None]
    if s == 1:
        idx = np.argmax(active, axis=1)[:, None]
    else:
        idx = np.argsort(~active, axis=1, kind="stable")[:, :s]
    valid = active[rr, idx]
    if weights is not None and spread_matrix is not None:
        z = (weights[rr, idx] * valid)[:, :, None] * spread_matrix[idx]
    else:
        rows = matrix[rr, idx] if weights is None else weights[rr, idx][:, :, None] * matrix[idx]
        v = rows * valid[:, :, None]
        z = pt.spread(v.reshape(runs * s, n)).reshape(runs, s, n)
    y_s = y[rr, idx]
    if s == 1:
        coef = y_s / (1.0 + z[:, 0, :][rr, idx])
    else:
        z_s = z[rr[:, :, None], np.arange(s)[None, :, None], idx[:, None, :]]
        m = np.eye(s)[None, :, :] + z_s
        coef = np.linalg.solve(np.swapaxes(m, 1, 2), y_s[:, :, None])[:, :, 0]
    out: FloatArray = y - np.einsum("ri,rin->rn", coef, z)
    return out


def _per_run(value: object, runs: int, name: str) -> FloatArray:
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return np.full(runs, float(arr))
    if arr.shape != (runs,):
        raise ValueError(f"parameter {name}: expected a number or shape ({runs},), got {arr.shape}")
    return arr


def _check_layer(shock: Shocks, runs: int, n: int, where: str) -> None:
    for name in ("export_fraction", "outage_fraction", "start_month", "duration_months"):
        arr = np.asarray(getattr(shock, name))
        if arr.shape != (runs, n):
            raise ValueError(f"{where}.{name}: expected shape ({runs}, {n}), got {arr.shape}")
        if not np.isfinite(arr).all() and name != "duration_months":
            raise ValueError(f"{where}.{name}: values must be finite")
    for name in ("export_fraction", "outage_fraction"):
        arr = np.asarray(getattr(shock, name))
        if (arr < 0).any() or (arr > 1).any():
            raise ValueError(f"{where}.{name}: fractions must be between 0 and 1")
    if (np.asarray(shock.duration_months) < 0).any():
        raise ValueError(f"{where}.duration_months: must not be negative")
    if np.asarray(shock.targets).shape != (n, n):
        raise ValueError(f"{where}.targets: expected shape ({n}, {n})")


def _layers(shocks: Shocks, n: int) -> list[Shocks]:
    runs = shocks.runs
    out = [shocks, *shocks.layers]
    for i, layer in enumerate(out):
        _check_layer(layer, runs, n, "shocks" if i == 0 else f"shocks.layers[{i - 1}]")
        if layer.layers and i > 0:
            raise ValueError("shocks.layers must not have layers of their own")
    return out


def _activity(month: int, start: FloatArray, end: FloatArray) -> FloatArray:
    """Fraction of month [m, m+1) inside [start, end)."""
    out: FloatArray = np.clip(
        np.minimum(month + 1.0, end) - np.maximum(float(month), start), 0.0, 1.0
    )
    return out


# -- the price -------------------------------------------------------------------------------


def _clear_price(
    demand: FloatArray,
    supply: FloatArray,
    production: FloatArray,
    spare_cap: FloatArray,
    eps_d: FloatArray,
    eps_s: FloatArray,
    x_max: FloatArray,
) -> FloatArray:
    """Log price index x = ln p per run (see step 6 of the module docstring).

    The clearing function F(x) = Σ_j max(D̃_j e^{ε_d x} − S'_j, 0) − Σ_i min(K_i,
    P_i (e^{ε_s x} − 1)) is continuous and decreasing; between consecutive breakpoints (where
    a buyer stops being short or a producer reaches its spare capacity) it is smooth. The
    breakpoints are sorted per run, F is evaluated at each through cumulative sums of the
    coefficients, and the root in the bracketing interval is found by safeguarded Newton.
    The result is the smallest x in [0, x_max] with F(x) ≤ 0 (x_max when there is none).
    Buyers are the columns of ``demand``/``supply``, sellers those of ``production``/
    ``spare_cap`` (the caller passes only the columns that can be short or respond).
    Call inside ``np.errstate(divide="ignore", invalid="ignore", over="ignore")``.
    """
    runs, n = demand.shape  # n buyers; the sellers are the columns of spare_cap
    x = np.zeros(runs)
    gap0 = demand - supply
    short = gap0 > 0
    solve = np.where(short, gap0, 0.0).sum(axis=1) > 0
    if not solve.any():
        return x
    rows = np.flatnonzero(solve)
    if len(rows) < runs:
        demand, supply, short, spare_cap = demand[rows], supply[rows], short[rows], spare_cap[rows]
    r = len(rows)
    ed = eps_d[rows][:, None]
    es = eps_s[rows][:, None]
    xm = x_max[rows][:, None]
    ratio = np.where(short, supply / np.where(demand > 0, demand, 1.0), 1.0)
    xj = np.where(short & (supply > 0), np.log(ratio) / ed, np.inf)
    resp = (spare_cap > 0) & (production > 0) & (es > 0)
    yi = np.where(
        resp, np.log1p(spare_cap / np.where(production > 0, production, 1.0)) / es, np.inf
    )
    d_short = np.where(short, demand, 0.0)
    s_short = np.where(short, supply, 0.0)
    p_resp = np.where(resp, production, 0.0)
    k_resp = np.where(resp, spare_cap, 0.0)
    bp = np.concatenate([xj, yi], axis=1)
    inside = bp < xm
    # Only the breakpoints inside (0, x_max) matter; the others sit at x_max with no
    # coefficient. Per run, sort the inside ones ahead of the others, keep as many columns
    # as the run with most inside ones, and end with x_max (the padding columns sit at
    # x_max with no coefficient). A stable sort keeps equal breakpoints in index order, so
    # the summation order (and the last bits) is the same on every machine and backend.
    width = int(inside.sum(axis=1).max())
    rr = np.arange(r)[:, None]
    sel = np.argsort(np.where(inside, bp, np.inf), axis=1, kind="stable")[:, :width]
    valid = inside[rr, sel]
    buyer = sel < n
    jb = np.where(buyer, sel, 0)
    on_b = valid & buyer
    deltas = np.zeros((4, r, width + 1))
    deltas[0, :, :width] = np.where(on_b, d_short[rr, jb], 0.0)
    deltas[1, :, :width] = np.where(on_b, s_short[rr, jb], 0.0)
    if p_resp.shape[1]:  # there may be no seller at all
        ip = np.where(buyer, 0, sel - n)
        on_p = valid & ~buyer
        deltas[2, :, :width] = np.where(on_p, p_resp[rr, ip], 0.0)
        deltas[3, :, :width] = np.where(on_p, k_resp[rr, ip], 0.0)
    bp = np.concatenate([np.where(valid, bp[rr, sel], xm), xm], axis=1)
    # coefficients in force just before each breakpoint: what is still to be removed
    # (summed from the right, so that it is exactly 0 once every term is gone) plus the
    # terms whose breakpoint lies beyond x_max
    left = np.cumsum(deltas[:3, :, ::-1], axis=2)[:, :, ::-1]
    outside_g = ~inside[:, :n]
    outside_s = ~inside[:, n:]
    a = np.where(outside_g, d_short, 0.0).sum(axis=1)[:, None] + left[0]
    b = np.where(outside_g, s_short, 0.0).sum(axis=1)[:, None] + left[1]
    c = np.where(outside_s, p_resp, 0.0).sum(axis=1)[:, None] + left[2]
    d = np.cumsum(deltas[3], axis=1) - deltas[3]
    fb = a * np.exp(ed * bp) - b - c * np.expm1(es * bp) - d
    hit = fb <= 0
    found = hit.any(axis=1)
    x[rows[~found]] = x_max[rows[~found]]
    if not found.any():
        return x
    if not found.all():
        rows, hit, bp, a, b, c, d = (v[found] for v in (rows, hit, bp, a, b, c, d))
        ed, es = ed[found], es[found]
    k = np.argmax(hit, axis=1)
    idx = np.arange(len(rows))
    hi = bp[idx, k]
    lo = np.where(k > 0, bp[idx, np.maximum(k - 1, 0)], 0.0)
    ca, cb, cc, cd = a[idx, k], b[idx, k], c[idx, k], d[idx, k]
    e_d, e_s = ed[:, 0], es[:, 0]
    root = lo.copy()
    for _ in range(_NEWTON_ITERATIONS):
        ea = np.exp(e_d * root)
        fx = ca * ea - cb - cc * np.expm1(e_s * root) - cd
        dfx = ca * e_d * ea - cc * e_s * np.exp(e_s * root)
        lo = np.where(fx > 0, root, lo)
        hi = np.where(fx <= 0, root, hi)
        nxt = root - fx / dfx
        bad = ~np.isfinite(nxt) | (nxt <= lo) | (nxt >= hi)
        nxt = np.where(bad, 0.5 * (lo + hi), nxt)
        nxt = np.where(fx == 0, root, nxt)
        moved = np.abs(nxt - root)
        root = nxt
        if (moved <= 1e-15 * np.maximum(1.0, np.abs(root))).all():
            break
    x[rows] = root
    return x


# -- the engine ------------------------------------------------------------------------------


def _responses(responses: Responses | None, baseline: Baseline) -> Responses:
    n = baseline.n
    if responses is None:
        return Responses(np.zeros(n), np.zeros(n), np.zeros(n))
    for name in ("stockpile_t", "release_rate_t_per_month", "demand_restraint"):
        arr = np.asarray(getattr(responses, name), dtype=float)
        if arr.shape != (n,):
            raise ValueError(f"responses.{name}: expected shape ({n},), got {arr.shape}")
        if (arr < 0).any():
            raise ValueError(f"responses.{name}: must not be negative")
    if (np.asarray(responses.demand_restraint) > 1).any():
        raise ValueError("responses.demand_restraint: fractions must be between 0 and 1")
    return responses


def _bloc_mask(countries: Sequence[str], bloc: Sequence[str]) -> BoolArray:
    members = set(bloc)
    return np.array([c in members for c in countries], dtype=bool)


def propagate(
    baseline: Baseline,
    shocks: Shocks,
    params: Parameters,
    responses: Responses | None = None,
    *,
    detail: bool = False,
) -> Outcome:
    """Run the disruption model (see the module docstring) for every run of ``shocks``.

    Parameters
    ----------
    baseline:
        The network (one commodity stage, one year).
    shocks:
        ``R`` runs of events (and optional layers).
    params:
        Horizon, leakage, elasticities, ramp, price cap (scalars or ``(R,)`` arrays).
    responses:
        Stockpiles, release rates, demand restraint, sharing bloc (default: none).
    detail:
        Also return the intermediate flows in ``Outcome.extra`` (``withheld_t``,
        ``diverted_t``, ``direct_loss_t``, ``outage_t``, ``availability_loss_t``,
        ``excess_loss_t``, ``stock_received_t``, ``stock_remaining_t``, ``spare_output_t``,
        ``spare_received_t``, ``demand_t``, ``imports_change_t``,
        ``imports_change_from_restricting_t``), each ``(R, M, n)``.

    Returns
    -------
    Outcome
        ``shortfall_t``, ``supply_t``, ``stock_release_t`` ``(R, M, n)``; ``price_index``
        ``(R, M)``; ``baseline_monthly_t`` ``(n,)``.
    """
    n = baseline.n
    runs = shocks.runs
    months = int(params.months)
    if months < 1:
        raise ValueError("params.months must be at least 1")
    layers = _layers(shocks, n)
    resp = _responses(responses, baseline)

    T = np.asarray(baseline.trade_t, dtype=float) / MONTHS_PER_YEAR
    P = np.asarray(baseline.production_t, dtype=float) / MONTHS_PER_YEAR
    D0 = np.asarray(baseline.consumption_t, dtype=float) / MONTHS_PER_YEAR
    X = T.sum(axis=1)
    out_den = D0 + X
    pt = _passthrough_cached(baseline)
    c, W = pt.c, pt.W
    passing = (out_den > 0) & ~pt.absorbing
    inv_den = np.where(passing, 1.0 / np.where(passing, out_den, 1.0), 0.0)
    sigma_p = np.asarray(baseline.spare_capacity, dtype=float) * P

    lam = np.clip(_per_run(params.leakage, runs, "leakage"), 0.0, 1.0)[:, None]
    eps_d = _per_run(params.demand_elasticity, runs, "demand_elasticity")
    eps_s = _per_run(params.supply_elasticity, runs, "supply_elasticity")
    if (eps_d >= 0).any():
        raise ValueError("params.demand_elasticity must be negative")
    if (eps_s < 0).any():
        raise ValueError("params.supply_elasticity must not be negative")
    ramp_months = _per_run(params.ramp_months, runs, "ramp_months")
    x_max = np.log(np.maximum(_per_run(params.max_price_multiple, runs, "max_price"), 1.0))

    # events
    phi = [np.asarray(s.export_fraction, dtype=float) for s in layers]
    out_f = [np.asarray(s.outage_fraction, dtype=float) for s in layers]
    start = [np.asarray(s.start_month, dtype=float) for s in layers]
    end = [
        st + np.asarray(s.duration_months, dtype=float) for st, s in zip(start, layers, strict=True)
    ]
    tgt = [np.asarray(s.targets, dtype=bool) for s in layers]
    has_event = [(ph > 0) | (o > 0) for ph, o in zip(phi, out_f, strict=True)]
    restricting = np.zeros((runs, n), dtype=bool)
    for ph in phi:
        restricting |= ph > 0
    t0 = np.full(runs, np.inf)
    for ev, st in zip(has_event, start, strict=True):
        t0 = np.minimum(t0, np.where(ev, st, np.inf).min(axis=1))
    union = np.zeros((n, n), dtype=bool)
    for t in tgt:
        union |= t
    others = ~union & ~np.eye(n, dtype=bool)
    room = others.astype(float) @ D0  # V_k: consumption of k's non-targets
    single = len(layers) == 1
    TT = T * tgt[0] if single else T
    row_tt = TT.sum(axis=1)
    wt = W * tgt[0] if single else W
    has_wt = wt.sum(axis=1) > 0
    wt_spread = pt.spread(wt) if single else None  # rows of wt (I − W)^{-1}
    tt_spread = pt.spread(TT)  # rows of TT (I − W)^{-1}
    buyers = np.flatnonzero(D0 > 0)
    sellers = np.flatnonzero((sigma_p > 0) & (P > 0))

    stock = np.broadcast_to(np.asarray(resp.stockpile_t, dtype=float), (runs, n)).copy()
    rate = np.asarray(resp.release_rate_t_per_month, dtype=float)
    restraint = np.asarray(resp.demand_restraint, dtype=float)
    bloc = _bloc_mask(baseline.countries, resp.sharing_bloc)
    sharing = bool(bloc.any())
    stocks = bool((stock > 0).any() and (rate > 0).any())
    restrain = bool((restraint > 0).any())
    zeros = np.zeros((runs, n))
    D0_runs = np.broadcast_to(D0, (runs, n))

    shape = (runs, months, n)
    shortfall = np.zeros(shape)
    supply_out = np.zeros(shape)
    release_out = np.zeros(shape)
    price = np.ones((runs, months))
    names = (
        "withheld_t",
        "diverted_t",
        "direct_loss_t",
        "outage_t",
        "availability_loss_t",
        "excess_loss_t",
        "stock_received_t",
        "stock_remaining_t",
        "spare_output_t",
        "spare_received_t",
        "demand_t",
        "imports_change_t",
        "imports_change_from_restricting_t",
    )
    extra = {k: np.zeros(shape) for k in names} if detail else {}

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        previous: tuple[list[FloatArray], FloatArray, FloatArray] | None = None
        last: tuple[list[FloatArray], FloatArray, FloatArray] | None = None
        for m in range(months):
            act = [_activity(m, s, e) for s, e in zip(start, end, strict=True)]
            ramp = np.where(
                ramp_months > 0,
                np.clip((m + 1.0 - t0) / np.where(ramp_months > 0, ramp_months, 1.0), 0.0, 1.0),
                (m + 1.0 > t0).astype(float),
            )
            # a month is a function of (activity, ramp, stocks): repeat the last one if equal
            if (
                previous is not None
                and np.array_equal(previous[1], ramp)
                and np.array_equal(previous[2], stock)
                and all(np.array_equal(p, a) for p, a in zip(previous[0], act, strict=True))
            ):
                for arr in (shortfall, supply_out, release_out, *extra.values()):
                    arr[:, m] = arr[:, m - 1]
                price[:, m] = price[:, m - 1]
                continue
            previous = (act, ramp, stock)
            # runs to compute: with ``detail`` all; otherwise those with an active event whose
            # (activity, ramp, stocks) differ from last month (the others repeat last month's
            # results, or the undisturbed baseline when nothing is active)
            sel: slice | npt.NDArray[np.intp] = slice(None)
            if not detail:
                live = np.zeros(runs, dtype=bool)
                for ev, a in zip(has_event, act, strict=True):
                    live |= (ev & (a > 0)).any(axis=1)
                todo = live
                if last is not None:
                    same = (last[1] == ramp) & (last[2] == stock).all(axis=1)
                    for p_act, a in zip(last[0], act, strict=True):
                        same &= (p_act == a).all(axis=1)
                    todo = live & ~same
                rep = np.flatnonzero(live & ~todo)
                last = (act, ramp, stock)
                stock = stock.copy()
                if len(rep):
                    for arr in (shortfall, supply_out, release_out):
                        arr[rep, m] = arr[rep, m - 1]
                    price[rep, m] = price[rep, m - 1]
                    stock[rep] = stock[rep] - release_out[rep, m]
                supply_out[~live, m] = D0
                sel = np.flatnonzero(todo)
                if not len(sel):
                    continue
            nr = runs if detail else int(todo.sum())
            act_r = [a[sel] for a in act]
            ev_r = [ev[sel] for ev in has_event]
            phi_r = [ph[sel] for ph in phi]
            out_f_r = [o[sel] for o in out_f]
            lam_r, ramp_r, t0_r, stock_r = lam[sel], ramp[sel], t0[sel], stock[sel]
            eps_d_r, eps_s_r, x_max_r = eps_d[sel], eps_s[sel], x_max[sel]
            zeros_r, D0_r = zeros[:nr], D0_runs[:nr]  # read-only
            # 1. events
            if single:
                oa = out_f_r[0] * act_r[0]
                u = phi_r[0] * act_r[0]  # Φ_kj = u_k t_kj
                direct = u @ TT if detail else zeros_r  # only reported
                gross = u * row_tt
            else:
                keep = np.ones((nr, n))
                for o, a in zip(out_f_r, act_r, strict=True):
                    keep *= 1.0 - o * a
                oa = 1.0 - keep
                flow_keep = np.ones((nr, n, n))
                for ph, a, t in zip(phi_r, act_r, tgt, strict=True):
                    flow_keep *= 1.0 - (ph * a)[:, :, None] * t[None, :, :]
                phi_full = 1.0 - flow_keep  # Φ_kj
                phi_t = phi_full * T[None, :, :]
                direct = phi_t.sum(axis=1)
                gross = phi_t.sum(axis=2)
            outage = oa * P
            # 2. leakage / diversion share
            share = np.where(gross > 0, lam_r * np.minimum(1.0, room / gross), 0.0)
            # 3. losses along the network: L = L0 (I − W + W∘ψ)^{-1}
            if single:
                g = u * (1.0 - share)
                # Y = (g TT + outage)(I − W)^{-1} = g [TT (I − W)^{-1}] + outage (I − W)^{-1}
                cols = np.flatnonzero(g.any(axis=0))  # exporters restricting in some run
                y0 = g[:, cols] @ tt_spread[cols]
                if outage.any():
                    y0 += pt.spread(outage)
                loss = _spread_restricted(pt, zeros_r, (g > 0) & has_wt, wt, g, wt_spread, y0)
            else:
                psi = phi_full * (1.0 - share)[:, :, None]  # ψ_kj
                loss0 = (psi * T[None, :, :]).sum(axis=1) + outage
                delta = W[None, :, :] * psi
                loss = _spread_restricted(pt, loss0, np.asarray((delta > 0).any(axis=2)), delta)
            if detail:  # flows that are only reported
                frac = np.minimum(loss * inv_den, 1.0)  # λ_k: share of k's outflows lost
                kept = 1.0 - frac
                withheld = gross * kept
                if single:
                    diverted = (share * u * kept) @ TT
                else:
                    diverted = np.einsum("rk,rkj->rj", share * kept, phi_t)
            ell = c * loss
            excess = np.maximum(ell - D0, 0.0)
            S = D0 - (ell - excess)
            # 4. demand restraint while an event of the run is active
            active = np.zeros(nr, dtype=bool)
            eligible = np.ones((nr, n), dtype=bool)
            for ev, a in zip(ev_r, act_r, strict=True):
                on = ev & (a > 0)
                active |= on.any(axis=1)
                eligible &= ~on
            demand = D0 * (1.0 - restraint * active[:, None]) if restrain else D0_r
            # 5. stockpiles
            if stocks:
                need = np.maximum(demand - S, 0.0)
                cap = np.minimum(rate, stock_r)
                draw = np.minimum(cap, need)
                received = draw
                if sharing:
                    need_b = np.where(bloc, need, 0.0).sum(axis=1)
                    cap_b = np.where(bloc, cap, 0.0).sum(axis=1)
                    total = np.minimum(need_b, cap_b)
                    f_cap = np.where(cap_b > 0, total / cap_b, 0.0)
                    f_need = np.where(need_b > 0, total / need_b, 0.0)
                    draw = np.where(bloc, cap * f_cap[:, None], draw)
                    received = np.where(bloc, need * f_need[:, None], draw)
                stock_r = stock_r - draw
                S_stock = S + received
            else:
                draw = received = zeros_r
                S_stock = S
            # 6. spare capacity and price
            K = sigma_p * (np.where(np.isfinite(t0_r), ramp_r, 0.0)[:, None] * eligible)
            # only countries with consumption can be short, only those with spare capacity
            # can respond: the price depends on those columns alone
            x = _clear_price(
                demand[:, buyers],
                S_stock[:, buyers],
                P[sellers],
                K[:, sellers],
                eps_d_r,
                eps_s_r,
                x_max_r,
            )
            if x.any():
                p = np.exp(x)
                demand_p = demand * np.exp(eps_d_r[:, None] * x[:, None])
                gap = np.maximum(demand_p - S_stock, 0.0)
                spare = np.minimum(K, P * np.expm1(eps_s_r[:, None] * x[:, None]))
                gap_total = gap.sum(axis=1)
                spare_total = spare.sum(axis=1)
                f_gap = np.where(gap_total > 0, np.minimum(1.0, spare_total / gap_total), 0.0)
                f_spare = np.where(spare_total > 0, np.minimum(1.0, gap_total / spare_total), 0.0)
                got = gap * f_gap[:, None]
                made = spare * f_spare[:, None]
                supply = S_stock + got
                price[sel, m] = p
            else:
                demand_p = demand
                got = made = zeros_r
                supply = S_stock
            shortfall[sel, m] = np.maximum(D0 - supply, 0.0)
            supply_out[sel, m] = supply
            release_out[sel, m] = draw
            if detail:
                fr = frac * restricting
                if single:
                    from_r = -direct - fr @ T + (fr * u) @ TT
                else:
                    from_r = -direct - fr @ T + np.einsum("rk,rkj->rj", fr, phi_t)
                imports = (
                    -(loss - outage)
                    + (got - np.minimum(got, made))
                    + (received - np.minimum(received, draw))
                )
                for key, val in (
                    ("withheld_t", withheld),
                    ("diverted_t", diverted),
                    ("direct_loss_t", direct),
                    ("outage_t", outage),
                    ("availability_loss_t", loss),
                    ("excess_loss_t", excess),
                    ("stock_received_t", received),
                    ("stock_remaining_t", stock_r),
                    ("spare_output_t", made),
                    ("spare_received_t", got),
                    ("demand_t", demand_p),
                    ("imports_change_t", imports),
                    ("imports_change_from_restricting_t", from_r),
                ):
                    extra[key][sel, m] = val
            if detail:
                stock = stock_r
            else:
                stock[sel] = stock_r
    return Outcome(
        shortfall_t=shortfall,
        supply_t=supply_out,
        stock_release_t=release_out,
        price_index=price,
        baseline_monthly_t=D0,
        extra=extra,
    )


def no_shocks(baseline: Baseline, runs: int = 1) -> Shocks:
    """A batch of ``runs`` runs with no event (a starting point to fill in)."""
    n = baseline.n
    zeros = np.zeros((runs, n))
    return Shocks(
        export_fraction=zeros.copy(),
        targets=np.zeros((n, n), dtype=bool),
        outage_fraction=zeros.copy(),
        start_month=zeros.copy(),
        duration_months=zeros.copy(),
    )
