"""Tariff events in the disruption engine: an Armington trade shift as shock layers.

The engine does not choose sources by price, so a tariff is translated into the shock
machinery it has (docs/tariffs.md, docs/disruption.md "Tariffs"):

1. **The importer's purchases from the taxed origin fall.** Importer j shares its tonnes
   among origins in proportion to (landed price)^−σ (an Armington CES share system with
   elasticity σ, total tonnes kept). A duty rising from τ0 to τ1 on origin k multiplies
   k's relative landed price by ``(1 + τ1)/(1 + τ0)``; with ``ρ_k = ((1+τ1)/(1+τ0))^−σ``
   and q_i the baseline share of origin i in j's imports, j's purchases from a taxed k
   fall by ``f_k = 1 − ρ_k / Σ_i q_i ρ_i`` (ρ = 1 for untaxed origins), which is
   ``1 − ρ`` for a small share (:func:`armington_reduction`). This is a targeted layer:
   exporter k withholds ``f_k`` of its flow to j.
2. **The freed tonnes are diverted.** The engine's leakage term lets the share λ of what
   k withholds reach j through third countries (k sells to untaxed buyers, whose other
   suppliers sell to j), capped by the untaxed buyers' consumption. For a tariff λ is the
   ``diversion`` share (data, default 1): a scenario whose events are all tariffs runs
   the engine with λ = diversion; in a scenario that mixes tariffs and restrictions the
   engine has one λ per run, and the scenario's leakage applies to both (noted).
3. **What is not diverted** reaches j through the engine's spot resale and spare capacity
   at a higher price, like any other shortfall.

:mod:`minsec.disrupt.tariff_report` then reports the trade shift: per party the imports
from the taxed origins and from others, and per taxing importer the origins it turns to,
cheapest landed cost first.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any, TypeGuard

import numpy as np
import pandas as pd

from minsec.assess import _trade
from minsec.catalog import blocs
from minsec.catalog import tariffs as tf
from minsec.errors import InputError
from minsec.store import Store

from .model import Baseline

if TYPE_CHECKING:
    from .scenario import Tariff

TYPE = "tariff"


# -- parameters --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TradeResponse:
    """Armington σ and the diversion share of one commodity (``data/trade_response.toml``)."""

    sigma: float
    diversion: float


def trade_response(commodity: str) -> TradeResponse:
    """The commodity's trade response (its table over ``[default]``)."""
    text = resources.files("minsec.disrupt").joinpath("data/trade_response.toml").read_text("utf-8")
    data = tomllib.loads(text)
    values = {**data["default"], **data.get(commodity, {})}
    return TradeResponse(sigma=float(values["sigma"]), diversion=float(values["diversion"]))


# -- pure translation ----------------------------------------------------------------------------


def armington_reduction(tau0: float, tau1: float, sigma: float, share: float = 0.0) -> float:
    """Share by which an importer's purchases from a taxed origin fall (one taxed origin).

    ``1 − ρ / (1 − q + q ρ)`` with ``ρ = ((1 + τ1)/(1 + τ0))^−σ`` and q the origin's
    share of the importer's imports; ``1 − ρ`` when q → 0.

    >>> round(armington_reduction(0.0, 0.25, 2.0), 6)
    0.36
    """
    return reductions(np.array([share, 1.0 - share]), {0: (tau0, tau1)}, sigma)[0]


def reductions(
    imports: np.ndarray, taxed: Mapping[int, tuple[float, float]], sigma: float
) -> dict[int, float]:
    """Falls in an importer's purchases from each taxed origin, with several taxed at once.

    ``imports`` are the importer's baseline tonnes by origin; ``taxed`` maps an origin's
    position to ``(τ0, τ1)``. Shares ∝ (landed price)^−σ with the total kept:
    ``f_k = 1 − ρ_k / Σ_i q_i ρ_i``. Untaxed origins rise by ``1/Σ_i q_i ρ_i − 1`` each
    (not returned: the engine's diversion delivers them).
    """
    total = float(np.sum(imports))
    if total <= 0:
        return dict.fromkeys(taxed, 0.0)
    q = np.asarray(imports, dtype=float) / total
    rho = np.ones(len(q))
    for k, (tau0, tau1) in taxed.items():
        rho[k] = ((1.0 + tau1) / (1.0 + tau0)) ** (-sigma)
    denom = float(q @ rho)
    return {k: 1.0 - rho[k] / denom for k in taxed}


@dataclass(frozen=True)
class Pair:
    """One taxed flow of an event: importer j from exporter k (baseline indices)."""

    importer: int
    exporter: int
    tau0: float
    tau1: float
    share: float
    coverage: float
    fraction: float


@dataclass
class Translation:
    """A tariff event as engine layers: ``(exporter, targets mask, fraction)`` each."""

    layers: list[tuple[int, np.ndarray, float]] = field(default_factory=list)
    pairs: list[Pair] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _party_ids(names: Sequence[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        out.extend(c for c in blocs.resolve_party(name)[1] if c not in out)
    return out


def _code_values(
    flows: pd.DataFrame | None, codes: Sequence[str], exporter: str, importer: str
) -> dict[str, float]:
    """Value of the flow per HS code (kUSD), or equal weights without flows."""
    if flows is None:
        return dict.fromkeys(codes, 1.0)
    rows = flows[(flows["exporter"] == exporter) & (flows["importer"] == importer)]
    return {c: float(rows.loc[rows["hs6"] == c, "value_kusd"].sum()) for c in codes}


def flows_by_code(store: Store, b: Baseline) -> pd.DataFrame:
    """Baseline-year flows of the basket per HS code (``hs6, exporter, importer, …``)."""
    codes = list(b.hs6)
    basket = pd.DataFrame({"hs6": codes, "commodity": codes, "hs_content": np.nan})
    frame = _trade.load_flows(store, basket, [b.year], source_of(b))
    return frame.rename(columns={"commodity": "hs6"})


def source_of(b: Baseline) -> str:
    """The trade source a baseline was built from (its first note names it)."""
    head = b.notes[0] if b.notes else ""
    return head.split()[1] if head.startswith("trade: ") else _trade.DEFAULT_TRADE_SOURCE


def _duty_before(
    book: tf.TariffBook, code: str, exporter: str, importer: str, day: dt.date, where: str
) -> float:
    duty = tf.resolve(book, code, exporter, importer, day)
    if duty.total is None:
        raise InputError(
            f"the duty in force on {day} on HS {code} from {exporter} to {importer} is not in "
            f"the tariff data ({'; '.join(duty.notes)}): give from_duty: or add the rate with "
            "`minsec tariffs set`",
            column=f"{where}.from_duty",
        )
    return duty.total


def translate(
    event: Tariff,
    where: str,
    b: Baseline,
    store: Store | None,
    book: tf.TariffBook,
    sigma: float,
) -> Translation:
    """The engine layers of one tariff event on baseline ``b`` (see the module docstring).

    ``where`` names the event in errors (``events[2]``). The duty before the event is the
    event's ``from_duty`` or the tariff data's on the day before it starts (value-weighted
    over the HS codes it covers); a new duty below it (a cut) is an error: the engine's
    layers withhold trade, they cannot add it.
    """
    out = Translation()
    pos = {c: i for i, c in enumerate(b.countries)}
    codes = [c for c in (event.hs6 or b.hs6) if c in b.hs6]
    if not codes:
        out.notes.append(
            f"{where}: HS {', '.join(event.hs6 or [])} not in the {b.stage} basket "
            f"({', '.join(b.hs6)}); the tariff changes nothing here"
        )
        return out
    day_before = event.start - dt.timedelta(days=1)
    importers = [c for c in _party_ids(event.importer) if c in pos]
    exporters = [c for c in _party_ids(event.exporters) if c in pos]
    trade = np.asarray(b.trade_t, dtype=float)
    flows = flows_by_code(store, b) if store is not None else None
    for j_id in importers:
        j = pos[j_id]
        taxed: dict[int, tuple[float, float]] = {}
        cover: dict[int, float] = {}
        for k_id in exporters:
            k = pos[k_id]
            if k == j or trade[k, j] <= 0:
                continue
            values = _code_values(flows, b.hs6, k_id, j_id)
            weights = np.array([values[c] for c in codes])
            w = (
                weights / weights.sum()
                if weights.sum() > 0
                else np.full(len(codes), 1 / len(codes))
            )
            if event.from_duty is not None:
                tau0 = float(event.from_duty)
            else:
                tau0 = float(
                    sum(
                        wi * _duty_before(book, c, k_id, j_id, day_before, where)
                        for wi, c in zip(w, codes, strict=True)
                    )
                )
            tau1 = (
                float(event.duty) if event.duty is not None else tau0 + float(event.increase or 0)
            )
            if tau1 < tau0 - 1e-12:
                raise InputError(
                    f"the new duty {tau1:.4g} on {k_id} → {j_id} is below the duty in force "
                    f"({tau0:.4g}): a cut would raise imports from {k_id}, which the engine's "
                    "restriction layers cannot represent; the target cannot be met",
                    column=f"{where}.{'duty' if event.duty is not None else 'increase'}",
                )
            taxed[k] = (tau0, tau1)
            basket_total = sum(values.values())
            covered = sum(values[c] for c in codes)
            cover[k] = min(1.0, covered / basket_total) if basket_total > 0 else 1.0
        if not taxed:
            continue
        falls = reductions(trade[:, j], taxed, sigma)
        share_total = trade[:, j].sum()
        for k, f in falls.items():
            frac = float(np.clip(f * cover[k], 0.0, 1.0))
            out.pairs.append(
                Pair(j, k, taxed[k][0], taxed[k][1], trade[k, j] / share_total, cover[k], frac)
            )
    by_exporter: dict[int, dict[float, list[int]]] = {}
    for p in out.pairs:
        if p.fraction > 0:
            by_exporter.setdefault(p.exporter, {}).setdefault(round(p.fraction, 12), []).append(
                p.importer
            )
    for k, groups in by_exporter.items():
        for frac, js in groups.items():
            mask = np.zeros(b.n, dtype=bool)
            mask[js] = True
            out.layers.append((k, mask, frac))
    for p in out.pairs[:6]:
        out.notes.append(
            f"{where}: {b.countries[p.importer]} from {b.countries[p.exporter]}: duty "
            f"{p.tau0:.1%} → {p.tau1:.1%}, σ {sigma:g}, {p.share:.0%} of its imports"
            + (f", {p.coverage:.0%} of the flow covered" if p.coverage < 1 else "")
            + f": purchases fall {p.fraction:.1%}"
        )
    if len(out.pairs) > 6:
        out.notes.append(f"{where}: … and {len(out.pairs) - 6} more taxed flows")
    if not out.pairs:
        out.notes.append(
            f"{where}: no baseline trade from {', '.join(event.exporters)} to "
            f"{', '.join(event.importer)} in {b.commodity} ({b.stage}) {b.year}; the tariff "
            "changes nothing"
        )
    return out


def sigma_for(event: Tariff, commodity: str) -> float:
    """The event's Armington σ, or the commodity's (``data/trade_response.toml``)."""
    if event.elasticity is not None:
        return float(event.elasticity)
    return trade_response(commodity).sigma


def is_tariff(event: object) -> TypeGuard[Tariff]:
    """Whether a scenario event is a tariff event."""
    return getattr(event, "type", None) == TYPE


def engine_leakage(events: Sequence[Any], commodity: str, leakage: float | None) -> float | None:
    """The engine's λ for a scenario: the tariffs' diversion when every event is a tariff.

    ``leakage`` is the scenario's own override (it wins). Otherwise, in a scenario of
    tariff events only, λ = the smallest diversion share of its events; None (the
    commodity default) when restrictions, outages or chokepoints are present.
    """
    if leakage is not None or not events or not all(is_tariff(e) for e in events):
        return leakage
    default = trade_response(commodity).diversion
    return min(default if e.diversion is None else float(e.diversion) for e in events)


def leakage_note(events: Sequence[Any], commodity: str, leakage: float | None) -> str | None:
    """A note on the λ tariff events run with (None when the scenario has no tariff)."""
    if not any(is_tariff(e) for e in events):
        return None
    used = engine_leakage(events, commodity, leakage)
    if leakage is not None:
        return (
            "tariff: diversion of the taxed exporters' freed tonnes = the scenario's leakage "
            f"{leakage:g}"
        )
    if used is not None:
        return (
            f"tariff: diversion λ = {used:g} of the taxed exporters' freed tonnes reach untaxed "
            "buyers (the engine's leakage term; every event is a tariff)"
        )
    return (
        "tariff: the scenario mixes tariffs with other events; the engine has one leakage λ "
        "per run, so the commodity's λ also limits the diversion of the taxed exporters' "
        "freed tonnes (docs/tariffs.md)"
    )
