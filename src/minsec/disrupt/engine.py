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
6. **Spare capacity, spot resale and price.** Producers without an active event of their
   own can add ``min(K_i, P_i (p^{ε_s} − 1))`` at price index p (``p = price / p0``),
   where ``K_i = σ_i P_i ρ(m)`` ramps linearly, ``ρ(m) = min(1, (m + 1 − t0) /
   ramp_months)`` from the first event start t0 of the run. Buyers that are short at price
   p want ``g_j(p) = max(D̃_j p^{ε_d} − S'_j, 0)`` more (iso-elastic demand). Buyers with
   more than they want at p (intact supply, or restraint) resell the spot share θ of the
   difference, ``h_j(p) = θ_j max(S'_j − D̃_j p^{ε_d}, 0)`` (short-run demand destruction
   that frees tonnes; ``θ_j = spot_share``, 0 for a country under an event of its own).
   The price clears this spot market: p is the smallest p ≥ 1 with
   ``Σ_j g_j(p) ≤ Σ_i spare_i(p) + Σ_j h_j(p)``, capped at ``max_price_multiple``. Spare
   output and resales go to the short buyers in proportion to ``g_j(p)`` (at an interior
   price each gets exactly ``g_j``, so its consumption falls to ``D̃_j p^{ε_d}``, and each
   reseller consumes ``S'_j − h_j``; at the cap the short buyers share what there is;
   at p = 1 resales may exceed the gaps, then each reseller gives in proportion).
7. **Outputs.** ``supply_t = S' + spare and resales received − resold`` (what j consumes);
   ``shortfall_t = D0 − supply_t`` (≥ 0: baseline demand not met, whether by physical loss,
   restraint or price rationing); ``price_index = p``.

Identities (tested): ``Σ_j supply = Σ_j D0 − withheld + diverted − outage + stock drawn +
spare output`` in every month and run (resales move tonnes between buyers;
``Σ_j ℓ_j = withheld − diverted + outage``, because ``c + Σ_k W (1 − ψ)`` plus the
withheld shares add up to one on every row);
``supply_j ≤ D0_j`` for everyone; ``L_j ≤ availability_j``. (``excess_loss_t``, ℓ above
``D0``, is 0 except in closed loops of traders that consume nothing, which absorb what
they lose, and in baselines whose consumption is not ``max(P + M − X, 0)``.)

Simplifications
---------------
* One world price: buyers whose supply is intact keep the share 1 − θ of their baseline
  volumes whatever the price (term contracts) and resell from the share θ only; the
  channels between a restriction's targets and others are leakage λ, spot resale and
  spare capacity.
* The supply response is bounded by spare capacity; with ε_s = 0 there is none. Producers
  under an event of their own add nothing.
* Stages are simulated separately (an ore outage does not propagate to refined products).
* The leakage share ``s_k`` is set from baseline volumes (before k's own losses).
* Scalars of :class:`Parameters` may also be ``(R,)`` arrays (one value per run).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from . import _kernels
from .model import Baseline, BoolArray, FloatArray, Outcome, Parameters, Responses, Shocks

MONTHS_PER_YEAR = 12.0


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
    memo:
        Spread target matrices per target pattern (see :meth:`targeted`).
    """

    c: FloatArray
    W: FloatArray
    exporters: npt.NDArray[np.intp]
    inverse: FloatArray
    absorbing: BoolArray
    memo: dict[bytes, tuple[FloatArray, FloatArray]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def spread(self, loss0: FloatArray) -> FloatArray:
        """``L = L0 (I − W)^{-1}`` for ``(R, n)`` losses, through the exporters' block.

        With E the exporters and N the rest (zero rows of ``W``):
        ``L_E = L0_E (I − W_EE)^{-1}`` and ``L = L0 + L_E W_E``.
        """
        if not len(self.exporters):
            return loss0
        through = loss0[:, self.exporters] @ self.inverse
        return loss0 + through @ self.W[self.exporters]

    def targeted(self, trade: FloatArray, targets: BoolArray) -> tuple[FloatArray, FloatArray]:
        """``(TT (I − W)^{-1}, (W∘t) (I − W)^{-1})`` with ``TT = T∘t`` for one target pattern.

        ``trade`` must be the baseline's (monthly) trade matrix; results are remembered per
        pattern (the Monte Carlo layer calls the engine with the same targets every block).
        """
        key = np.packbits(targets).tobytes() + np.float64(trade.sum()).tobytes()
        hit = self.memo.get(key)
        if hit is None:
            hit = (self.spread(trade * targets), self.spread(self.W * targets))
            if len(self.memo) < 64:
                self.memo[key] = hit
        return hit


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
    pt: Passthrough, loss0: FloatArray, active: BoolArray, delta: FloatArray
) -> FloatArray:
    """``L = L0 (I − W + Δ)^{-1}`` where Δ ``(R, n, n)`` has non-zero rows only where ``active``.

    Woodbury on the cached ``(I − W)^{-1}``: with Y = L0 (I − W)^{-1} and, per run, the s
    active rows V of Δ, Z = V (I − W)^{-1}: ``L = Y − Y_S (I + Z_S)^{-1} Z`` (S = the active
    columns). Runs with fewer active rows are padded with zero rows, which leave the result
    unchanged.
    """
    y = pt.spread(loss0)
    nz_r, nz_c = np.nonzero(active)  # by run, then column
    if not len(nz_r):
        return y
    runs, n = loss0.shape
    count = np.bincount(nz_r, minlength=runs)
    s = int(count.max())
    # the active columns of each run first, in column order; padding (column 0) has
    # ``valid`` False: a zero row of Δ, which leaves the result unchanged
    pos = np.arange(len(nz_r)) - (np.cumsum(count) - count)[nz_r]
    idx = np.zeros((runs, s), dtype=np.intp)
    idx[nz_r, pos] = nz_c
    valid = np.zeros((runs, s), dtype=bool)
    valid[nz_r, pos] = True
    rr = np.arange(runs)[:, None]
    y_s = y[rr, idx]
    v = delta[rr, idx] * valid[:, :, None]
    z = pt.spread(v.reshape(runs * s, n)).reshape(runs, s, n)
    if s == 1:
        coef = y_s / (1.0 + z[:, 0, :][rr, idx])
    else:
        z_s = z[rr[:, :, None], np.arange(s)[None, :, None], idx[:, None, :]]
        m = np.eye(s)[None, :, :] + z_s
        coef = np.asarray(np.linalg.solve(np.swapaxes(m, 1, 2), y_s[:, :, None])[:, :, 0])
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


def _ramp(month: int, t0: FloatArray, months: FloatArray) -> FloatArray:
    """Linear ramp ``min(1, (m + 1 − t0) / months)`` from each run's first event (0 before)."""
    out: FloatArray = np.where(
        months > 0,
        np.clip((month + 1.0 - t0) / np.where(months > 0, months, 1.0), 0.0, 1.0),
        (month + 1.0 > t0).astype(float),
    )
    return out


def _activity(month: int, start: FloatArray, end: FloatArray) -> FloatArray:
    """Fraction of month [m, m+1) inside [start, end)."""
    out: FloatArray = np.clip(
        np.minimum(month + 1.0, end) - np.maximum(float(month), start), 0.0, 1.0
    )
    return out


# -- the engine ------------------------------------------------------------------------------


def _responses(responses: Responses | None, baseline: Baseline) -> Responses:
    n = baseline.n
    if responses is None:
        return Responses(np.zeros(n), np.zeros(n), np.zeros(n))
    names = ["stockpile_t", "release_rate_t_per_month", "demand_restraint"]
    if responses.commercial_stock_t is not None:
        names.append("commercial_stock_t")
    for name in names:
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
    totals: bool = False,
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
    totals:
        Return ``shortfall_t``, ``supply_t`` and ``stock_release_t`` summed over the
        horizon, with a month axis of length 1 (``(R, 1, n)``), instead of per month:
        what the Monte Carlo layer needs, without ``(R, M, n)`` arrays. ``price_index``
        keeps every month. Not with ``detail``.

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
    if detail and totals:
        raise ValueError("detail and totals cannot be combined")
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
    theta = np.clip(_per_run(params.spot_share, runs, "spot_share"), 0.0, 1.0)
    inv_months = _per_run(params.inventory_months, runs, "inventory_months")
    kappa = np.clip(_per_run(params.inventory_draw_share, runs, "inventory_draw_share"), 0, 1)
    pinv_months = _per_run(params.producer_inventory_months, runs, "producer_inventory_months")
    sub_share = np.clip(_per_run(params.substitution_share, runs, "substitution_share"), 0, 1)
    sub_ramp = _per_run(params.substitution_ramp_months, runs, "substitution_ramp_months")
    transit = _per_run(params.transit_months, runs, "transit_months")
    lr_multiple = _per_run(
        params.long_run_elasticity_multiple, runs, "long_run_elasticity_multiple"
    )
    adj_months = _per_run(params.adjustment_months, runs, "adjustment_months")
    if (lr_multiple < 1).any() or not np.isfinite(lr_multiple).all():
        raise ValueError("params.long_run_elasticity_multiple must be a finite number ≥ 1")
    for name, arr in (
        ("inventory_months", inv_months),
        ("producer_inventory_months", pinv_months),
        ("substitution_ramp_months", sub_ramp),
        ("transit_months", transit),
        ("adjustment_months", adj_months),
    ):
        if (arr < 0).any() or not np.isfinite(arr).all():
            raise ValueError(f"params.{name} must be a finite number ≥ 0")

    # events
    phi = [np.asarray(s.export_fraction, dtype=float) for s in layers]
    out_f = [np.asarray(s.outage_fraction, dtype=float) for s in layers]
    # cargo loaded before an event's dates still arrives: the buyers feel it `transit` later
    start = [np.asarray(s.start_month, dtype=float) + transit[:, None] for s in layers]
    end = [
        st + np.asarray(s.duration_months, dtype=float) for st, s in zip(start, layers, strict=True)
    ]
    tgt = [np.asarray(s.targets, dtype=bool) for s in layers]
    has_event = [(ph > 0) | (o > 0) for ph, o in zip(phi, out_f, strict=True)]
    outages = any(bool((o > 0).any()) for o in out_f)  # any production outage in the batch
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
    if single:  # rows of TT (I − W)^{-1} and of wt (I − W)^{-1}
        tt_spread, wt_spread = pt.targeted(T, tgt[0])
    buyers = np.flatnonzero(D0 > 0)
    sellers = np.flatnonzero((sigma_p > 0) & (P > 0))

    # what carries over from month to month, per run: stockpiles, consumers' inventories,
    # producers' stocks (t)
    state = np.zeros((runs, 3, n))
    state[:, 0] = np.asarray(resp.stockpile_t, dtype=float)
    state[:, 1] = inv_months[:, None] * D0
    if resp.commercial_stock_t is not None:  # bought ahead (an announced ban)
        state[:, 1] += np.asarray(resp.commercial_stock_t, dtype=float)
    state[:, 2] = pinv_months[:, None] * P
    rate = np.asarray(resp.release_rate_t_per_month, dtype=float)
    restraint = np.asarray(resp.demand_restraint, dtype=float)
    bloc = _bloc_mask(baseline.countries, resp.sharing_bloc)
    sharing = bool(bloc.any())
    stocks = bool((state[:, 0] > 0).any() and (rate > 0).any())
    inventories = bool((state[:, 1] > 0).any() and (kappa > 0).any())
    pstocks = bool((state[:, 2] > 0).any())
    substitution = bool((sub_share > 0).any())
    adjusting = bool((lr_multiple > 1).any())  # demand more elastic as months pass
    restrain = bool((restraint > 0).any())
    flags = np.array([restrain, stocks, sharing, inventories, pstocks, substitution])
    zeros = np.zeros((runs, n))

    shape = (runs, months, n)
    # per month, or (totals) this month's values and their sums over the months so far
    shortfall = np.zeros((runs, 1 if totals else months, n))
    supply_out = np.zeros((runs, 1 if totals else months, n))
    release_out = np.zeros((runs, 1 if totals or not stocks else months, n))
    price = np.ones((runs, months))
    cur_short, cur_supply = np.zeros((runs, n)), np.broadcast_to(D0, (runs, n)).copy()
    cur_release = np.zeros((runs, n))
    was_live = np.zeros(runs, dtype=bool)
    names = (
        "withheld_t",
        "diverted_t",
        "direct_loss_t",
        "outage_t",
        "availability_loss_t",
        "excess_loss_t",
        "stock_received_t",
        "stock_remaining_t",
        "substitute_t",
        "inventory_draw_t",
        "inventory_remaining_t",
        "producer_stock_sold_t",
        "spare_output_t",
        "spare_received_t",
        "resale_t",
        "demand_t",
        "imports_change_t",
        "imports_change_from_restricting_t",
    )
    extra = {k: np.zeros(shape) for k in names} if detail else {}

    # events as flat lists per layer: activity only matters where there is an event
    ev_at = [np.nonzero(ev) for ev in has_event]
    # the first layer's events by run (CSR: run q's columns are ev_col[ev_ptr[q]:ev_ptr[q+1]])
    ev_ptr = np.searchsorted(ev_at[0][0], np.arange(runs + 1))
    ev_col = np.ascontiguousarray(ev_at[0][1])
    # work arrays, reused every month (the kernels write the rows they use whole)
    work = np.empty((10 if single else 6, runs, n))
    work_extra = np.empty((3, runs, n)) if substitution or inventories or pstocks else work
    ev_start = [st[at] for st, at in zip(start, ev_at, strict=True)]
    ev_end = [en[at] for en, at in zip(end, ev_at, strict=True)]

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        previous: tuple[list[FloatArray], FloatArray] | None = None
        last: tuple[list[FloatArray], FloatArray] | None = None
        # runs whose stocks changed in the month last computed (they must be computed again)
        changed = np.zeros(runs, dtype=bool)
        for m in range(months):
            if totals and m:  # add last month's values
                shortfall[:, 0] += cur_short
                supply_out[:, 0] += cur_supply
                if stocks:
                    release_out[:, 0] += cur_release
            act_ev = [_activity(m, s, e) for s, e in zip(ev_start, ev_end, strict=True)]
            ramp = _ramp(m, t0, ramp_months)
            # the ramps in one array ((k, R): spare capacity, substitution, demand adjustment)
            if substitution or adjusting:
                ramp = np.stack(
                    (
                        ramp,
                        *((_ramp(m, t0, sub_ramp),) if substitution else ()),
                        *((_ramp(m, t0, adj_months),) if adjusting else ()),
                    )
                )
            # a month is a function of (activity, ramps, stocks): repeat the last one if equal
            if (
                previous is not None
                and np.array_equal(previous[1], ramp)
                and not changed.any()
                and all(np.array_equal(p, a) for p, a in zip(previous[0], act_ev, strict=True))
            ):
                if not totals:
                    for arr in (shortfall, supply_out, *extra.values()):
                        arr[:, m] = arr[:, m - 1]
                    if stocks:
                        release_out[:, m] = release_out[:, m - 1]
                price[:, m] = price[:, m - 1]
                continue
            previous = (act_ev, ramp)
            # runs to compute: with ``detail`` all; otherwise those with an active event whose
            # (activity, ramp, stocks) differ from last month (the others repeat last month's
            # results, or the undisturbed baseline when nothing is active)
            sel: slice | npt.NDArray[np.intp] = slice(None)
            if not detail:
                live = np.zeros(runs, dtype=bool)
                for at, a_ev in zip(ev_at, act_ev, strict=True):
                    live[at[0][a_ev > 0]] = True
                todo = live
                if last is not None:
                    same = np.asarray(np.asarray(last[1] == ramp).reshape(-1, runs).all(axis=0))
                    same &= ~changed
                    for at, p_ev, a_ev in zip(ev_at, last[0], act_ev, strict=True):
                        same[at[0][p_ev != a_ev]] = False
                    todo = live & ~same
                rep = np.flatnonzero(live & ~todo)
                last = (act_ev, ramp)
                # a repeated run drew nothing last month (else it would have changed), so
                # its stocks stay as they are
                if len(rep):
                    price[rep, m] = price[rep, m - 1]
                    if not totals:
                        for arr in (shortfall, supply_out, *((release_out,) if stocks else ())):
                            arr[rep, m] = arr[rep, m - 1]
                if totals:
                    ended = np.flatnonzero(was_live & ~live)  # back to the baseline
                    cur_short[ended] = 0.0
                    cur_supply[ended] = D0
                    cur_release[ended] = 0.0
                    was_live = live
                else:
                    supply_out[~live, m] = D0
                sel = np.flatnonzero(todo)
                if not len(sel):
                    continue
            nr = runs if detail else int(todo.sum())
            rows = np.arange(runs) if detail else np.asarray(sel)
            lam_r, t0_r = lam[sel], t0[sel]
            ramp_r = (ramp[0] if substitution or adjusting else ramp)[sel]
            sub_level = sub_share[sel] * ramp[1][sel] if substitution else t0_r
            eps_d_r, eps_s_r, x_max_r, theta_r = eps_d[sel], eps_s[sel], x_max[sel], theta[sel]
            if adjusting:  # ε_d(m) = ε_d (1 + (multiple − 1) · ramp)
                eps_d_r = eps_d_r * (1.0 + (lr_multiple[sel] - 1.0) * ramp[-1][sel])
            zeros_r = zeros[:nr]  # read-only
            # 1-2. events and the leakage / diversion share s_k = λ min(1, V_k / gross_k)
            active = np.empty(nr, dtype=bool)
            eligible = np.empty((nr, n), dtype=bool)
            loss, made, got, given, demand_p, *rest = work[:, :nr]
            if single:
                u, g, gross, share, outage = rest
                _kernels.events(
                    m, rows, ev_ptr, ev_col, phi[0], out_f[0], start[0], end[0], row_tt, room,
                    lam[:, 0], P, u, g, gross, share, outage, eligible, active,
                )  # fmt: skip
                direct = u @ TT if detail else zeros_r  # only reported
            else:
                active[:] = False
                eligible[:] = True
                act_r = []
                for at, a_ev in zip(ev_at, act_ev, strict=True):
                    a = np.zeros((runs, n))
                    a[at] = a_ev
                    act_r.append(a[sel])
                for ev, a in zip(has_event, act_r, strict=True):
                    on = ev[sel] & (a > 0)
                    active |= on.any(axis=1)
                    eligible &= ~on
                oa = zeros_r
                if outages:
                    keep = np.ones((nr, n))
                    for o, a in zip(out_f, act_r, strict=True):
                        keep *= 1.0 - o[sel] * a
                    oa = 1.0 - keep
                flow_keep = np.ones((nr, n, n))
                for ph, a, t in zip(phi, act_r, tgt, strict=True):
                    flow_keep *= 1.0 - (ph[sel] * a)[:, :, None] * t[None, :, :]
                phi_full = 1.0 - flow_keep  # Φ_kj
                phi_t = phi_full * T[None, :, :]
                direct = phi_t.sum(axis=1)
                gross = phi_t.sum(axis=2)
                outage = oa * P if outages else zeros_r
                # (masks by multiplication: np.where with a scalar is several times slower)
                share = np.minimum(1.0, room / np.maximum(gross, np.finfo(float).tiny))
                share *= lam_r
                share *= gross > 0
            # 3. losses along the network: L = L0 (I − W + W∘ψ)^{-1}
            if single:
                # L = (g TT + outage)(I − W + Δ)^{-1}, Woodbury per run (compiled)
                with_outage = bool(outages and outage.any())
                _kernels.spread_targeted(
                    g, tt_spread, has_wt, wt_spread,
                    pt.spread(outage) if with_outage else zeros_r, with_outage, loss,
                )  # fmt: skip
            else:
                psi = phi_full * (1.0 - share)[:, :, None]  # ψ_kj
                loss0 = (psi * T[None, :, :]).sum(axis=1) + outage
                delta = W[None, :, :] * psi
                loss[:] = _spread_restricted(pt, loss0, np.asarray((delta > 0).any(axis=2)), delta)
            if detail:  # flows that are only reported
                frac = np.minimum(loss * inv_den, 1.0)  # λ_k: share of k's outflows lost
                kept = 1.0 - frac
                withheld = gross * kept
                if single:
                    diverted = (share * u * kept) @ TT
                else:
                    diverted = np.einsum("rk,rkj->rj", share * kept, phi_t)
            excess = np.maximum(c * loss - D0, 0.0) if detail else zeros_r
            # 3 (supply at baseline prices) and 4-7: restraint, stockpile draws, the price
            # and the allocation of spare output and resales, run by run (compiled)
            draw = np.empty((nr, n)) if stocks else zeros_r
            received = np.empty((nr, n)) if stocks else zeros_r
            x = np.empty(nr)
            changed_r = np.zeros(nr, dtype=bool)
            substitute = work_extra[0, :nr] if substitution else zeros_r
            inv_draw = work_extra[1, :nr] if inventories else zeros_r
            pstock_sold = work_extra[2, :nr] if pstocks else zeros_r
            if totals:
                targets = (cur_short, cur_supply, cur_release)
            else:
                targets = (shortfall[:, m], supply_out[:, m], release_out[:, m if stocks else 0])
            _kernels.market(
                loss,
                c,
                D0,
                restraint,
                active,
                state,
                rate,
                bloc,
                eligible,
                theta_r,
                np.where(np.isfinite(t0_r), ramp_r, 0.0),
                sigma_p,
                P,
                buyers,
                sellers,
                eps_d_r,
                eps_s_r,
                x_max_r,
                kappa[sel],
                sub_level,
                flags,
                rows,
                *targets,
                draw,
                received,
                made,
                got,
                given,
                demand_p,
                substitute,
                inv_draw,
                pstock_sold,
                changed_r,
                x,
            )
            changed[:] = False
            changed[sel] = changed_r
            price[sel, m] = np.exp(x)
            if detail:
                fr = frac * restricting
                if single:
                    from_r = -direct - fr @ T + (fr * u) @ TT
                else:
                    from_r = -direct - fr @ T + np.einsum("rk,rkj->rj", fr, phi_t)
                imports = (
                    -(loss - outage)
                    + (got - np.minimum(got, made + pstock_sold))
                    - given
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
                    ("stock_remaining_t", state[:, 0]),
                    ("substitute_t", substitute),
                    ("inventory_draw_t", inv_draw),
                    ("inventory_remaining_t", state[:, 1]),
                    ("producer_stock_sold_t", pstock_sold),
                    ("spare_output_t", made),
                    ("spare_received_t", got),
                    ("resale_t", given),
                    ("demand_t", demand_p),
                    ("imports_change_t", imports),
                    ("imports_change_from_restricting_t", from_r),
                ):
                    extra[key][sel, m] = val
    if totals:
        shortfall[:, 0] += cur_short
        supply_out[:, 0] += cur_supply
        if stocks:
            release_out[:, 0] += cur_release
    if not stocks:  # nothing released: a read-only view of zeros
        release_out = np.broadcast_to(release_out[:, :1], (runs, shortfall.shape[1], n))
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
