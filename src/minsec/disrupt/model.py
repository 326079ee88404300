"""The data structures of the disruption engine (shared by scenarios and Monte Carlo).

Everything is per commodity (and stage) and per baseline year, over an index of ``n``
countries. Arrays carry a leading **run** axis ``R`` so that one call evaluates one named
scenario (``R = 1``) or a chunk of Monte Carlo draws (``R`` = thousands) the same way.

Units: tonnes (of the commodity's trade basket, gross weight unless the baseline says it
converted to content), months, US dollars.

The engine function is::

    minsec.disrupt.engine.propagate(baseline: Baseline, shocks: Shocks, params: Parameters,
                                    responses: Responses | None = None) -> Outcome

and must be a pure function of its inputs (no store access, no randomness).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Baseline:
    """One year of supply and trade of one commodity (stage), as matrices.

    Attributes
    ----------
    commodity, stage, year:
        What the baseline describes.
    hs6:
        HS codes summed into ``trade_t``.
    countries:
        The ``n`` country ids indexing every axis (sorted).
    trade_t:
        ``(n, n)`` annual tonnes, ``[i, j]`` = exporter i → importer j; diagonal 0.
    production_t:
        ``(n,)`` annual production in tonnes (0 where none); where the stage has no
        production figures, each net exporter's net exports (see
        :func:`minsec.disrupt.baseline.implied_production`).
    consumption_t:
        ``(n,)`` apparent consumption P + M − X, clipped at 0.
    price_usd_per_t:
        Baseline price (import unit value of the basket).
    spare_capacity:
        ``(n,)`` fraction σ_i of production that producer i can add at full ramp.
    notes:
        Caveats of the data (bases, gaps), shown to users with every result.
    trade_source:
        The store's trade source the flows come from (``None``: given by the caller).
    """

    commodity: str
    stage: str
    year: int
    hs6: tuple[str, ...]
    countries: tuple[str, ...]
    trade_t: FloatArray
    production_t: FloatArray
    consumption_t: FloatArray
    price_usd_per_t: float
    spare_capacity: FloatArray
    notes: tuple[str, ...] = ()
    trade_source: str | None = None

    @property
    def n(self) -> int:
        """Number of countries."""
        return len(self.countries)

    def index(self, country: str) -> int:
        """Position of a country id on the axes."""
        return self.countries.index(country)


@dataclass(frozen=True)
class Parameters:
    """Model parameters (documented defaults per commodity live in the scenario layer).

    Attributes
    ----------
    months:
        Horizon of the simulation in monthly steps.
    leakage:
        λ in [0, 1]: share of a targeted ban's withheld volume that still reaches the
        targets through third countries (diversion/re-export).
    ramp_months:
        Months for spare capacity to reach full output (linear ramp).
    demand_elasticity:
        ε_d < 0, short-run iso-elastic demand D(p) = D0 (p/p0)^ε_d.
    supply_elasticity:
        ε_s ≥ 0, short-run supply response S(p) = S0 (p/p0)^ε_s of unaffected producers.
    max_price_multiple:
        Cap on p/p0 when clearing (a market with almost nothing left).
    spot_share:
        θ in [0, 1]: share of each buyer's intake exposed to the spot price. A buyer whose
        supply is intact (or more than it wants at the disrupted price) sells the share θ
        of what it no longer wants at price p to the short buyers (short-run demand
        destruction that frees tonnes); 0 = buyers with intact supply keep their baseline
        volumes (term contracts only), 1 = one fully integrated world market.
    inventory_months:
        Consumers' commercial inventories at the start, in months of their baseline
        consumption (0 = none). A short buyer draws on them before it bids on the market.
    inventory_draw_share:
        κ in [0, 1]: share of a short buyer's remaining need it meets from its inventory
        each month while the inventory lasts (the rest it bids for at the market price).
    producer_inventory_months:
        Producers' stocks at the start, in months of their production. A producer without
        an event of its own sells from them at any price p ≥ 1, at most one month of its
        production per month.
    substitution_share:
        Share of a short buyer's need that another product can meet at full ramp (e.g.
        nickel pig iron and matte for nickel ore, synthetic for natural graphite). These
        tonnes come from outside the commodity's trade basket: they reduce the shortfall
        and the bidding for the basket, not the basket's imports.
    substitution_ramp_months:
        Months for substitution to reach its full share, from the first event of a run
        (linear, like spare capacity).
    transit_months:
        Months between a cargo's loading and its arrival (voyage, port and inland legs):
        what was loaded before an event starts (or ends) still arrives, so every event
        reaches the buyers this much later than its dates (0 = at once).
    long_run_elasticity_multiple:
        ≥ 1: the demand elasticity reached after ``adjustment_months`` as a multiple of
        ``demand_elasticity`` (buyers thrift, substitute and redesign as months pass);
        1 = the short-run elasticity throughout.
    adjustment_months:
        Months from a run's first event over which the demand elasticity moves linearly
        from ``demand_elasticity`` to its long-run multiple.
    """

    months: int = 12
    leakage: float = 0.0
    ramp_months: float = 6.0
    demand_elasticity: float = -0.15
    supply_elasticity: float = 0.1
    max_price_multiple: float = 20.0
    spot_share: float = 0.0
    inventory_months: float = 0.0
    inventory_draw_share: float = 1.0
    producer_inventory_months: float = 0.0
    substitution_share: float = 0.0
    substitution_ramp_months: float = 12.0
    transit_months: float = 0.0
    long_run_elasticity_multiple: float = 1.0
    adjustment_months: float = 24.0


@dataclass(frozen=True)
class Shocks:
    """A batch of ``R`` disruption draws over the ``n`` countries of a baseline.

    Attributes
    ----------
    export_fraction:
        ``(R, n)``: fraction of exporter k's exports to its targets that is withheld.
    targets:
        ``(n, n)`` bool, ``[k, j]`` = importer j is targeted by exporter k's restriction
        (the same for every run of the batch); all-True for an untargeted export ban.
    outage_fraction:
        ``(R, n)``: fraction of country k's production lost (mine/plant outage), which
        reduces its exports pro rata and its domestic supply.
    start_month:
        ``(R, n)`` month (0-based) each exporter's event starts.
    duration_months:
        ``(R, n)`` length of each event in months (may exceed the horizon).
    layers:
        Optional further event layers of the same shape (a second event of the same
        exporter with other targets, dates or fraction; a chokepoint on a set of links).
        On each flow the layers combine multiplicatively: the share that still flows is
        the product over layers of ``1 - fraction * active * target``. Empty (the default)
        = this one layer.
    """

    export_fraction: FloatArray
    targets: BoolArray
    outage_fraction: FloatArray
    start_month: FloatArray
    duration_months: FloatArray
    layers: tuple[Shocks, ...] = ()

    @property
    def runs(self) -> int:
        """Number of runs R."""
        return int(self.export_fraction.shape[0])


@dataclass(frozen=True)
class Responses:
    """Policy responses available during the disruption.

    Attributes
    ----------
    stockpile_t:
        ``(n,)`` tonnes held by each country's stockpile at the start.
    release_rate_t_per_month:
        ``(n,)`` maximum monthly release of each stockpile.
    demand_restraint:
        ``(n,)`` fraction of demand each country can shed voluntarily (0 = none).
    sharing_bloc:
        Country ids that share supply (allied allocation), empty = no sharing.
    commercial_stock_t:
        ``(n,)`` tonnes of commercial stock each country's buyers hold at the start on top
        of ``Parameters.inventory_months`` of their consumption (e.g. what they bought
        ahead of an announced ban); drawn like those inventories. ``None`` = none.
    """

    stockpile_t: FloatArray
    release_rate_t_per_month: FloatArray
    demand_restraint: FloatArray
    sharing_bloc: tuple[str, ...] = ()
    commercial_stock_t: FloatArray | None = None


@dataclass(frozen=True)
class Outcome:
    """What the engine returns, per run, month and importer.

    Attributes
    ----------
    shortfall_t:
        ``(R, M, n)`` tonnes of baseline consumption not met in each month (≥ 0).
    supply_t:
        ``(R, M, n)`` tonnes available to each country in each month (after diversion,
        spare capacity and stockpile draws).
    stock_release_t:
        ``(R, M, n)`` tonnes released from each country's stockpile.
    price_index:
        ``(R, M)`` p/p0 in each month.
    baseline_monthly_t:
        ``(n,)`` baseline monthly consumption (for percentages).
    extra:
        Further named arrays an engine may report (diverted flows, spare output, …).
    """

    shortfall_t: FloatArray
    supply_t: FloatArray
    stock_release_t: FloatArray
    price_index: FloatArray
    baseline_monthly_t: FloatArray
    extra: dict[str, FloatArray] = field(default_factory=dict)


class ResultTable(StrEnum):
    """The tables of a :class:`SimulationResult` (used by the CLI and the web API)."""

    summary = "summary"
    monthly = "monthly"
    market = "market"
    response = "response"
    response_shortfall = "response-shortfall"
    trade_shift = "trade-shift"
    tariff_sources = "tariff-sources"
