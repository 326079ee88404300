"""The trade shift of a simulation with tariff events: who imports what from whom.

Two tables, both sums over the horizon of run 0:

* :func:`trade_shift` — per party (country or bloc): imports from the *taxed* origins (the
  exporters with an event layer: tariffs, and restrictions if the scenario has them) and
  from others, baseline and change. The engine's per-country totals are used as they are,
  plus one attribution the engine leaves implicit: the tonnes it diverts "through third
  countries" go from each taxed exporter to its untaxed buyers in proportion to their
  consumption (the engine caps diversion by that consumption), each taking at most what
  it can displace — its imports from other origins, then its own output
  (:func:`spread_capped`); those buyers' imports from the taxed origin rise, and from
  others fall by the part that displaced imports (the rest displaced their own output,
  which they export instead, so their total imports rise by that much).
* :func:`sources` — per tariff event × taxing importer: the origins ranked by landed cost
  after the tariff (export unit value × (1 + duty) + freight), and the tonnes of the
  importer's rise in imports from others attributed to each, cheapest first, each up to
  what it ships to buyers no measure targets plus its own output it consumes if it is
  one of them (what it can redirect while they take the taxed origin's tonnes). Origins
  with less than :data:`MAIN_SUPPLIER_SHARE` of world exports of the basket are pooled as
  "(smaller origins)" (their unit values, from small shipments, do not rank well); what
  no origin can supply is "(unattributed)".

Both are attributions consistent with the engine's totals, not outputs of its equations.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from minsec.catalog import countries
from minsec.catalog import tariffs as tf
from minsec.store import Store

from . import tariff as tariff_mod
from .model import Baseline, Outcome, Shocks

if TYPE_CHECKING:
    from .scenario import Scenario, Tariff

#: Origins below this share of world exports of the basket are pooled in the sources table.
MAIN_SUPPLIER_SHARE = 0.005
SMALLER = "(smaller origins)"
UNATTRIBUTED = "(unattributed)"

SHIFT_COLUMNS = [
    "stage", "party", "party_type", "name", "from_taxed_baseline_t", "from_taxed_change_t",
    "from_taxed_change_pct", "from_others_baseline_t", "from_others_change_t",
    "from_others_change_pct", "imports_change_t",
]  # fmt: skip
SOURCE_COLUMNS = [
    "stage", "event", "importer", "rank", "origin", "name", "role", "unit_value_usd_per_t",
    "duty_before_pct", "duty_after_pct", "freight_usd_per_t", "landed_before_usd_per_t",
    "landed_after_usd_per_t", "baseline_t", "change_t",
]  # fmt: skip


def spread_capped(amount: float, weights: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """Share ``amount`` in proportion to ``weights``, nobody above its cap (water-filling).

    What the caps leave over (their sum below ``amount``) is shared in proportion to the
    weights without caps, so the result always sums to ``amount``.

    >>> spread_capped(10.0, np.array([1.0, 1.0]), np.array([2.0, 100.0])).tolist()
    [2.0, 8.0]
    """
    w = np.asarray(weights, dtype=float)
    cap = np.maximum(np.asarray(caps, dtype=float), 0.0)
    out = np.zeros(len(w))
    if amount <= 0 or w.sum() <= 0:
        return out
    left = float(amount)
    active = (w > 0) & (cap > 0)
    while left > 1e-12 * amount and active.any():
        share = left * w[active] / w[active].sum()
        take = np.minimum(share, cap[active] - out[active])
        out[active] += take
        left -= float(take.sum())
        active &= out < cap - 1e-12 * max(amount, 1.0)
    if left > 1e-12 * amount:
        out += left * w / w.sum()
    return out


def _measured(shocks: Shocks) -> tuple[np.ndarray, np.ndarray]:
    """Exporters with an event layer, and the union of their targets (``(n,)``, ``(n, n)``)."""
    measured = np.zeros(shocks.targets.shape[0], dtype=bool)
    union = np.zeros(shocks.targets.shape, dtype=bool)
    for layer in (shocks, *shocks.layers):
        measured |= (np.asarray(layer.export_fraction) > 0).any(axis=0)
        union |= np.asarray(layer.targets, dtype=bool)
    return measured, union


def country_shift(b: Baseline, out: Outcome, shocks: Shocks) -> pd.DataFrame:
    """Per country: imports from the taxed (measured) exporters and from others, horizon sums.

    The engine's totals, plus the re-routing it leaves implicit: each measured exporter's
    diverted tonnes go to its untaxed buyers in proportion to their consumption, each up
    to what it can displace (its imports from other origins, then its own output); a
    buyer's imports from the taxed origin rise by its part, its imports from others fall
    by the part that displaced them, and the rest displaced its own output (which it
    exports instead: its total imports rise by that much).
    """
    e = out.extra
    scale = out.price_index.shape[1] / 12.0
    trade = np.asarray(b.trade_t, dtype=float)
    d0 = np.asarray(b.consumption_t, dtype=float)
    own = np.minimum(np.asarray(b.production_t, dtype=float), d0) * scale
    measured, union = _measured(shocks)
    from_m = e["imports_change_from_restricting_t"][0].sum(axis=0).copy()
    total = e["imports_change_t"][0].sum(axis=0).copy()
    base_o = trade[~measured].sum(axis=0) * scale
    # diverted tonnes per measured exporter: each month's total in proportion to withheld
    diverted = e["diverted_t"][0].sum(axis=1)
    withheld = e["withheld_t"][0][:, measured]
    w_total = withheld.sum(axis=1)
    per_k = np.where(w_total > 0, diverted / np.where(w_total > 0, w_total, 1.0), 0.0) @ withheld
    imports_room = base_o.copy()
    output_room = own.copy()
    for amount, k in zip(per_k, np.flatnonzero(measured), strict=True):
        buyers = ~union[k] & (np.arange(b.n) != k) & (d0 > 0)
        got = np.zeros(b.n)
        got[buyers] = spread_capped(
            float(amount), d0[buyers], imports_room[buyers] + output_room[buyers]
        )
        swapped = np.minimum(got, imports_room)
        imports_room -= swapped
        output_room = np.maximum(output_room - (got - swapped), 0.0)
        from_m += got
        total += got - swapped
    return pd.DataFrame(
        {
            "country": list(b.countries),
            "from_taxed_baseline_t": trade[measured].sum(axis=0) * scale,
            "from_taxed_change_t": from_m,
            "from_others_baseline_t": base_o,
            "from_others_change_t": total - from_m,
            "imports_change_t": total,
        }
    )


def trade_shift(
    b: Baseline,
    out: Outcome,
    shocks: Shocks,
    parties: Mapping[str, Sequence[str]],
    names: pd.DataFrame,
) -> pd.DataFrame:
    """Per stage × party (``parties``: label → members; ``names``: party, party_type, name).

    Blocs sum their members (trade between members included, as the summary's
    ``imports_change_t``). Parties with neither imports nor changes are left out.
    """
    per = country_shift(b, out, shocks).set_index("country")
    cols = list(per.columns)
    rows = []
    for label, members in parties.items():
        ids = [c for c in members if c in per.index]
        vals = per.loc[ids, cols].sum(axis=0) if ids else None
        if vals is not None and (np.abs(vals.to_numpy()) > 1e-9).any():
            rows.append({"party": label, **{c: float(vals[c]) for c in cols}})
    frame = pd.DataFrame(rows, columns=["party", *cols])
    for side in ("from_taxed", "from_others"):
        base = frame[f"{side}_baseline_t"].to_numpy(dtype=float)
        change = frame[f"{side}_change_t"].to_numpy(dtype=float)
        frame[f"{side}_change_pct"] = np.divide(
            100.0 * change, base, out=np.full(len(base), np.nan), where=base > 0
        )
    frame = names.drop_duplicates("party").merge(frame, on="party", how="inner")
    frame["stage"] = b.stage
    return frame[SHIFT_COLUMNS].sort_values("from_taxed_change_t").reset_index(drop=True)


def unit_values(store: Store | None, b: Baseline) -> dict[str, float]:
    """Export unit value per exporter over the basket, USD/t (empty without a store)."""
    if store is None:
        return {}
    f = tariff_mod.flows_by_code(store, b)
    f = f.assign(priced=f["value_kusd"] - f["value_no_qty_kusd"])
    g = f.groupby("exporter")[["priced", "quantity_t"]].sum()
    g = g[g["quantity_t"] > 0]
    uv = 1000.0 * g["priced"].to_numpy(dtype=float) / g["quantity_t"].to_numpy(dtype=float)
    return dict(zip(g.index.astype(str), uv.tolist(), strict=True))


def _duty(
    book: tf.TariffBook, codes: Sequence[str], origin: str, importer: str, day: dt.date
) -> float:
    """Mean duty over the basket's codes (NaN when one is unknown)."""
    duties = [tf.resolve(book, c, origin, importer, day).total for c in codes]
    known = [d for d in duties if d is not None]
    return float(np.mean(known)) if len(known) == len(duties) else math.nan


def _row(event: str, importer: str, origin: str, role: str, **values: Any) -> dict[str, Any]:
    return {"event": event, "importer": importer, "origin": origin, "role": role, **values}


def sources(
    b: Baseline,
    out: Outcome,
    shocks: Shocks,
    plans: Sequence[tuple[str, Tariff, tariff_mod.Translation]],
    store: Store | None,
    book: tf.TariffBook,
) -> pd.DataFrame:
    """Per tariff event × taxing importer: origins by landed cost and the tonnes turned to each.

    See the module docstring. A taxed origin's row carries the engine's change in the
    importer's imports from the taxed origins, split by the layers' direct cuts.
    """
    e = out.extra
    scale = out.price_index.shape[1] / 12.0
    trade = np.asarray(b.trade_t, dtype=float)
    measured, union = _measured(shocks)
    free = ~union.any(axis=0) & ~measured  # buyers no measure targets
    exports = trade.sum(axis=1)
    main = exports >= MAIN_SUPPLIER_SHARE * exports.sum()
    own = np.minimum(np.asarray(b.production_t, dtype=float), np.asarray(b.consumption_t))
    capacity = (trade[:, free].sum(axis=1) + np.where(free, own, 0.0)) * scale
    prices = unit_values(store, b)
    p0 = float(b.price_usd_per_t)
    from_m = e["imports_change_from_restricting_t"][0].sum(axis=0)
    rise = e["imports_change_t"][0].sum(axis=0) - from_m
    codes = list(b.hs6)
    rows: list[dict[str, Any]] = []
    for where, event, plan in plans:
        day = event.start
        by_importer: dict[int, list[tariff_mod.Pair]] = {}
        for p in plan.pairs:
            by_importer.setdefault(p.importer, []).append(p)
        for j in sorted(by_importer, key=lambda j: -rise[j]):
            j_id = b.countries[j]
            pairs = by_importer[j]
            cut = sum(p.fraction * trade[p.exporter, j] for p in pairs)
            for p in pairs:
                k_id = b.countries[p.exporter]
                price = prices.get(k_id, p0)
                freight = tf.freight_usd_per_t(book, k_id, j_id, codes[0])
                rows.append(
                    _row(
                        where, j_id, k_id, "taxed",
                        unit_value_usd_per_t=price,
                        duty_before_pct=100.0 * p.tau0,
                        duty_after_pct=100.0 * p.tau1,
                        freight_usd_per_t=freight,
                        landed_before_usd_per_t=tf.landed_cost_usd_per_t(price, p.tau0, freight),
                        landed_after_usd_per_t=tf.landed_cost_usd_per_t(price, p.tau1, freight),
                        baseline_t=trade[p.exporter, j] * scale,
                        change_t=float(from_m[j]) * p.fraction * trade[p.exporter, j] / cut
                        if cut > 0 else 0.0,
                    )
                )  # fmt: skip
            taxed = {p.exporter for p in pairs}
            others = []
            for i in np.flatnonzero(main):
                if i == j or i in taxed or (trade[i, j] <= 0 and capacity[i] <= 0):
                    continue
                i_id = b.countries[i]
                price = prices.get(i_id, p0)
                duty = _duty(book, codes, i_id, j_id, day)
                freight = tf.freight_usd_per_t(book, i_id, j_id, codes[0])
                landed = tf.landed_cost_usd_per_t(price, duty, freight)
                others.append((math.isnan(landed), landed, i_id, i, price, duty, freight))
            others.sort()
            left = max(float(rise[j]), 0.0)
            for _, landed, i_id, i, price, duty, freight in others:
                take = min(left, float(capacity[i]))
                capacity[i] -= take
                left -= take
                rows.append(
                    _row(
                        where, j_id, i_id, "other",
                        unit_value_usd_per_t=price,
                        duty_before_pct=100.0 * duty,
                        duty_after_pct=100.0 * duty,
                        freight_usd_per_t=freight,
                        landed_before_usd_per_t=landed,
                        landed_after_usd_per_t=landed,
                        baseline_t=trade[i, j] * scale,
                        change_t=take,
                    )
                )  # fmt: skip
            small = [i for i in range(b.n) if not main[i] and i != j and i not in taxed]
            if small:
                take = min(left, float(capacity[small].sum()))
                left -= take
                rows.append(
                    _row(where, j_id, SMALLER, "other", baseline_t=trade[small, j].sum() * scale,
                         change_t=take)
                )  # fmt: skip
            if left > 1e-9:
                rows.append(_row(where, j_id, UNATTRIBUTED, "unattributed", baseline_t=0.0,
                                 change_t=left))  # fmt: skip
    frame = pd.DataFrame(
        rows, columns=[c for c in SOURCE_COLUMNS if c not in ("stage", "rank", "name")]
    )
    frame["name"] = [countries.name_of(o) for o in frame["origin"]]
    frame["stage"] = b.stage
    ranks = frame.groupby(["event", "importer"])["landed_after_usd_per_t"].rank(method="first")
    frame["rank"] = ranks.astype("Int64")
    return frame[SOURCE_COLUMNS]


def tables(
    store: Store | None,
    scenario: Scenario,
    b: Baseline,
    out: Outcome,
    shocks: Shocks,
    parties: Mapping[str, Sequence[str]],
    monthly: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The trade-shift and tariff-sources tables of one stage of a simulation."""
    names = monthly[["party", "party_type", "name"]].drop_duplicates("party")
    shift = trade_shift(b, out, shocks, parties, names)
    book = tf.book()
    plans = []
    for i, ev in enumerate(scenario.events):
        if tariff_mod.is_tariff(ev) and (ev.stages is None or b.stage in ev.stages):
            where = f"events[{i}]"
            sigma = tariff_mod.sigma_for(ev, scenario.commodity)
            plans.append((where, ev, tariff_mod.translate(ev, where, b, store, book, sigma)))
    return shift, sources(b, out, shocks, plans, store, book)
