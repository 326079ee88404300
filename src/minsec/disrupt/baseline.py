"""Baselines for the disruption engine: one year of trade and production as matrices.

:func:`build_baseline` reads the store through the same helpers as the assessments
(:mod:`minsec.assess._trade` for trade sources, baskets and bilateral flows,
:func:`minsec.assess.exposure._production` for World Mining Data production) and returns a
:class:`~minsec.disrupt.model.Baseline`:

* **Stages.** A commodity's trade basket can be split into an ``ore`` and a ``refined``
  stage (``data/parameters.toml``, ``[<commodity>.stages.*]``); without a split the
  catalog basket is one stage, named after the stage World Mining Data reports. Production
  belongs to a stage only where the parameters file says so; elsewhere it is 0 and the
  baseline says so in its notes.
* **Units.** Where every HS code of the stage has a content factor in the catalog, trade is
  converted to contained tonnes and production to the same basis (``basis_factor``), as in
  :mod:`minsec.assess.exposure`. Otherwise trade stays in gross tonnes of the HS products
  and production is converted with ``trade_per_production_t`` (e.g. wet nickel ore per
  tonne of Ni). ``measure="value"`` uses trade values (thousand USD) instead of tonnes,
  for back-tests on files without quantities.
* **Missing quantities.** BACI rows with a value but no quantity are converted at the
  basket's unit value, and the share of value so imputed is noted.
* **Consumption** is apparent consumption ``max(P + M − X, 0)``; the price is the import
  unit value of the basket in the year.

Missing data raise :class:`~minsec.errors.DataMissingError` naming the source to import
(e.g. the HS17 BACI file for gallium and germanium, HS 811292).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from minsec import config
from minsec.assess import _trade
from minsec.assess.exposure import DEFAULT_PRODUCTION_SOURCE, _production
from minsec.catalog import commodities
from minsec.errors import DataMissingError, InputError
from minsec.store import Store

from .model import Baseline, Parameters

STAGES = ("ore", "refined")
Measure = Literal["quantity", "value"]

HS17_HINT = (
    "`minsec data fetch` imports the BACI HS17 extract minsec ships (source baci-hs17-gage, "
    "HS 811292, 2017–2024); for other years or codes import a BACI HS17 file, e.g. "
    "`minsec data import baci BACI_HS17_Y2024_V202501.csv` (CEPII). A source that has the "
    "codes is then used automatically (or name it with --trade-source; `minsec data status` "
    "lists them)"
)


IMPLIED_NOTE = (
    "each net exporter's production is taken as its net exports (exports − imports), the "
    "least it must produce; consumption = imports − exports where positive"
)


def implied_production(trade_t: np.ndarray) -> np.ndarray:
    """Production implied by the trade matrix alone: ``max(exports − imports, 0)`` per country.

    A country that exports more than it imports must make the difference (or draw on
    stocks); without production figures this is the least it produces. It keeps apparent
    consumption ``max(P + M − X, 0)`` what it was with no production (zero for a net
    exporter), and gives net exporters an output that outages, spare capacity and
    producers' stocks can act on.
    """
    t = np.asarray(trade_t, dtype=float)
    return np.asarray(np.maximum(t.sum(axis=1) - t.sum(axis=0), 0.0), dtype=float)


@dataclass(frozen=True)
class StageSpec:
    """The trade basket of one stage of a commodity."""

    name: str
    hs92: tuple[str, ...]
    hs17: tuple[str, ...]
    production: bool = True
    trade_per_production_t: float = 1.0
    note: str | None = None

    def codes(self, revision: str) -> tuple[str, ...]:
        """HS codes of the stage in an HS revision (HS17 and later use the hs17 list)."""
        rev = revision.upper()
        return self.hs92 if rev in {"HS92", "HS96", "HS02", "HS07", "HS12"} else self.hs17


@dataclass(frozen=True)
class CommodityParameters:
    """Documented defaults of one commodity (``data/parameters.toml`` merged with [default])."""

    commodity: str
    demand_elasticity: float
    supply_elasticity: float
    spare_capacity: float
    ramp_months: float
    leakage: float
    max_price_multiple: float
    spare_capacity_by_country: dict[str, float] = field(default_factory=dict)
    stages: dict[str, StageSpec] = field(default_factory=dict)
    spot_share: float = 0.0
    inventory_months: float = 0.0
    inventory_draw_share: float = 1.0
    producer_inventory_months: float = 0.0
    substitution_share: float = 0.0
    substitution_ramp_months: float = 12.0
    transit_months: float = 0.0
    long_run_elasticity_multiple: float = 1.0
    adjustment_months: float = 24.0

    def engine_parameters(self, months: int = 12, **overrides: Any) -> Parameters:
        """Engine :class:`~minsec.disrupt.model.Parameters` from these defaults."""
        values: dict[str, Any] = {
            "months": months,
            "leakage": self.leakage,
            "ramp_months": self.ramp_months,
            "demand_elasticity": self.demand_elasticity,
            "supply_elasticity": self.supply_elasticity,
            "max_price_multiple": self.max_price_multiple,
            "spot_share": self.spot_share,
            **{k: getattr(self, k) for k in BUFFER_KEYS},
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return Parameters(**values)


BUFFER_KEYS = (
    "inventory_months",
    "inventory_draw_share",
    "producer_inventory_months",
    "substitution_share",
    "substitution_ramp_months",
    "transit_months",
    "long_run_elasticity_multiple",
    "adjustment_months",
)
"""Parameters of the buffers that act before the price (inventories, substitution, the
cargo already in transit when an event starts) and of demand's adjustment over time."""

_NUMBER_KEYS = (
    "demand_elasticity",
    "supply_elasticity",
    "spare_capacity",
    "ramp_months",
    "leakage",
    "max_price_multiple",
    "spot_share",
    *BUFFER_KEYS,
)


def _read_toml(text: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", path=where) from exc


@cache
def _packaged() -> dict[str, Any]:
    text = resources.files("minsec.disrupt").joinpath("data/parameters.toml").read_text("utf-8")
    return _read_toml(text, "minsec/disrupt/data/parameters.toml")


def _raw(path: Path | None = None) -> dict[str, Any]:
    data = {k: dict(v) for k, v in _packaged().items()}
    extra: list[Path] = [config.home() / "parameters.toml"]
    if path is not None:
        extra.append(Path(path))
    for p in extra:
        if p.exists():
            for key, table in _read_toml(p.read_text("utf-8"), str(p)).items():
                data.setdefault(key, {}).update(table)
    return data


def _stage_from_toml(name: str, d: dict[str, Any]) -> StageSpec:
    if name not in STAGES:
        raise InputError(f"unknown stage {name!r} in parameters.toml; stages are {STAGES}")
    common = tuple(str(c) for c in d.get("hs", []))
    return StageSpec(
        name=name,
        hs92=tuple(str(c) for c in d.get("hs92", common)),
        hs17=tuple(str(c) for c in d.get("hs17", common)),
        production=bool(d.get("production", True)),
        trade_per_production_t=float(d.get("trade_per_production_t", 1.0)),
        note=d.get("note"),
    )


#: HS chapters of ores, concentrates and mineral products (the mine stage); the others
#: (inorganic chemicals, precious and base metals) are refined products.
ORE_CHAPTERS = ("25", "26", "27")


def _stage_of(code: str) -> str:
    return "ore" if code[:2] in ORE_CHAPTERS else "refined"


def _catalog_stages(commodity: str) -> dict[str, StageSpec]:
    """Stages of a catalog basket: split by HS chapter (25-27 ore, others refined).

    World Mining Data production belongs to the stage it reports (``wmd_stage``: mine →
    ore); when the basket has one stage only, production is attached to it (as in
    :mod:`minsec.assess.exposure`) with a note when the stages differ.
    """
    c = commodities.get(commodity)
    wmd = "ore" if (c.wmd_stage or (c.stages[0] if c.stages else "mine")) == "mine" else "refined"
    names = sorted({_stage_of(code) for code in (*c.hs92, *c.hs17)}) or [wmd]
    out = {}
    for name in names:
        single = len(names) == 1
        note = None
        if single and name != wmd and c.wmd:
            note = (
                f"production is World Mining Data's {wmd} stage while the traded products "
                f"are {name}"
            )
        out[name] = StageSpec(
            name=name,
            hs92=tuple(code for code in c.hs92 if _stage_of(code) == name),
            hs17=tuple(code for code in c.hs17 if _stage_of(code) == name),
            production=single or name == wmd,
            note=note,
        )
    return out


def commodity_parameters(commodity: str, *, path: Path | None = None) -> CommodityParameters:
    """Defaults of ``commodity`` (id or name), with the stages of its trade basket.

    ``path`` reads one more TOML file on top of the packaged file and of
    ``$MINSEC_HOME/parameters.toml``.
    """
    cid = commodities.resolve(commodity)
    raw = _raw(path)
    merged: dict[str, Any] = dict(raw.get("default", {}))
    own = raw.get(cid, {})
    merged.update({k: v for k, v in own.items() if k != "stages"})
    missing = [k for k in _NUMBER_KEYS if k not in merged]
    if missing:
        raise InputError(f"parameters.toml lacks {missing} in [default] and [{cid}]")
    stages = {
        name: _stage_from_toml(name, spec) for name, spec in dict(own.get("stages", {})).items()
    }
    if not stages:
        stages = _catalog_stages(cid)
    return CommodityParameters(
        commodity=cid,
        spare_capacity_by_country={
            str(k): float(v) for k, v in dict(merged.get("spare_capacity_by_country", {})).items()
        },
        stages=stages,
        **{k: float(merged[k]) for k in _NUMBER_KEYS},
    )


def default_stage(commodity: str) -> str:
    """The stage of the catalog's main HS code (or the only stage)."""
    params = commodity_parameters(commodity)
    c = commodities.get(params.commodity)
    main = (c.hs92 or c.hs17 or ("",))[0]
    for name, spec in params.stages.items():
        if main in spec.hs92 or main in spec.hs17:
            return name
    return next(iter(params.stages))


# -- trade source and codes ---------------------------------------------------------------


def _years_with_rows(store: Store, source: str, codes: tuple[str, ...]) -> list[int]:
    if not codes:
        return []
    rows = store.query(
        "SELECT DISTINCT year FROM trade WHERE source = ? AND list_contains(?, hs6) ORDER BY year",
        [source, list(codes)],
    )
    return [int(y) for y in rows["year"]]


def _span(years: list[int]) -> str:
    return f"{years[0]}–{years[-1]}" if years else "none"


def _choose_source(
    store: Store,
    commodity: str,
    year: int,
    spec: StageSpec,
    hs6: tuple[str, ...] | None,
    trade_source: str | None,
    years_cache: dict[tuple[str, tuple[str, ...]], list[int]] | None = None,
    sources: pd.DataFrame | None = None,
) -> tuple[str, str, tuple[str, ...]]:
    """(source, revision, codes) with rows in ``year``, or a DataMissingError that says why.

    For many years at once: ``years_cache`` keeps each source's years per basket across
    calls, ``sources`` is :func:`minsec.assess._trade.trade_sources` fetched once.
    """
    found = _trade.trade_sources(store) if sources is None else sources
    cache = {} if years_cache is None else years_cache
    if trade_source is not None:
        source, revision = _trade.trade_source(store, trade_source)
        candidates = [(source, revision)]
    else:
        candidates = list(zip(found["source"], found["rev"], strict=True))
    reasons = []
    for source, revision in candidates:
        codes = tuple(hs6) if hs6 else spec.codes(str(revision))
        if not codes:
            reasons.append(f"{source} ({revision}) has no HS code for this stage")
            continue
        key = (str(source), codes)
        if key not in cache:
            cache[key] = _years_with_rows(store, str(source), codes)
        years = cache[key]
        if year in years:
            return str(source), str(revision), codes
        reasons.append(
            f"{source} ({revision}) has HS {', '.join(codes)} in {_span(years)} but not {year}"
            if years
            else f"{source} ({revision}) has no rows of HS {', '.join(codes)}"
        )
    hint = ""
    if commodity in {"gallium", "germanium"} or (hs6 and "811292" in hs6):
        hint = (
            "; gallium has no code in the default HS92 data and germanium (HS92 811230) stops "
            f"in 2016: Ga/Ge flows for recent years are HS17 811292 — {HS17_HINT}"
        )
    else:
        hint = "; import BACI for that year (`minsec data import baci FILE`) or choose another year"
    raise DataMissingError(
        f"no trade data for {commodity} ({spec.name}) in {year}: " + "; ".join(reasons) + hint
    )


# -- the baseline -------------------------------------------------------------------------


def _basket(commodity: str, codes: tuple[str, ...]) -> pd.DataFrame:
    content = commodities.get(commodity).hs_content
    return pd.DataFrame(
        {
            "hs6": list(codes),
            "commodity": commodity,
            "hs_content": [content.get(c) for c in codes],
        }
    )


def _stage_spec(
    cid: str,
    params: CommodityParameters,
    stage: str | None,
    hs6: tuple[str, ...] | list[str] | None,
) -> tuple[StageSpec, tuple[str, ...] | None]:
    """The stage's basket specification, and the HS codes given instead of it (if any)."""
    codes_given = tuple(str(c).zfill(6) for c in hs6) if hs6 else None
    default = "custom" if codes_given else None
    stage_name = stage or default or default_stage(cid)
    if stage_name in params.stages:
        return params.stages[stage_name], codes_given
    if codes_given:
        return StageSpec(name=stage_name, hs92=codes_given, hs17=codes_given), codes_given
    raise InputError(
        f"{cid} has no stage {stage_name!r}; stages: {', '.join(params.stages)}",
        column="stage",
    )


def _quantities(
    flows: pd.DataFrame,
    cid: str,
    spec: StageSpec,
    codes: tuple[str, ...],
    source: str,
    year: int,
    measure: Measure,
) -> tuple[np.ndarray, float, bool, list[str]]:
    """The quantities of ``flows`` on the baseline's basis, and how they were made.

    Returns per flow the quantity, the basket's unit value (USD per t; 1,000 for value
    baskets), whether the basis is contained metal, and the notes on the conversion.
    """
    notes: list[str] = []
    content = commodities.get(cid).hs_content
    content_basis = measure == "quantity" and all(c in content for c in codes)
    value = flows["value_kusd"].to_numpy(dtype=float)
    no_qty_value = flows["value_no_qty_kusd"].to_numpy(dtype=float)
    if measure == "value":
        notes.append(
            "measure: trade value in thousand USD (not tonnes); production figures not used: "
            + IMPLIED_NOTE
        )
        return value.copy(), 1000.0, content_basis, notes
    qty = (
        flows["content_t"].fillna(0.0).to_numpy(dtype=float)
        if content_basis
        else flows["quantity_t"].to_numpy(dtype=float)
    )
    priced = value - no_qty_value
    total_q = float(qty.sum())
    if total_q <= 0:
        raise DataMissingError(
            f"trade of {cid} ({spec.name}) in {year} in {source} has no quantities; "
            "use measure='value' or a source with quantities"
        )
    price = 1000.0 * float(priced.sum()) / total_q
    if no_qty_value.sum() > 0 and price > 0:
        qty = qty + 1000.0 * no_qty_value / price
        share = float(no_qty_value.sum() / max(value.sum(), 1e-300))
        if share >= 0.001:
            notes.append(
                f"{share:.1%} of trade value had no quantity in the trade source; "
                "converted at the basket's unit value"
            )
    notes.append(
        "tonnes of contained metal (catalog content factors)"
        if content_basis
        else "tonnes gross weight of the HS products"
    )
    return qty, price, content_basis, notes


@dataclass(frozen=True, eq=False)
class YearTrade:
    """One year of a stage's trade on a baseline's basis, without production.

    Per flow the exporter, the importer and the quantity (tonnes, or kUSD for a value
    basket); the basket's unit value; the trade source.
    """

    exporter: np.ndarray
    importer: np.ndarray
    quantity: np.ndarray
    price_usd_per_t: float
    source: str


def yearly_trade(
    store: Store,
    commodity: str,
    years: list[int] | range,
    *,
    stage: str | None = None,
    hs6: tuple[str, ...] | list[str] | None = None,
    trade_source: str | None = None,
    measure: Measure = "quantity",
    parameters: CommodityParameters | None = None,
) -> dict[int, YearTrade]:
    """The trade :func:`build_baseline` would build its matrix and price from, for many years.

    One query per trade source instead of several per year. Years without trade (or without
    quantities, for a quantity basket) are left out. ``trade_t[i, j]`` of the year's
    baseline is the sum of ``quantity`` over the flows from ``countries[i]`` to
    ``countries[j]``; ``price_usd_per_t`` is the baseline's.
    """
    cid = commodities.resolve(commodity)
    params = parameters or commodity_parameters(cid)
    spec, codes_given = _stage_spec(cid, params, stage, hs6)
    cache: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    chosen: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    sources = _trade.trade_sources(store)
    for year in sorted({int(y) for y in years}):
        try:
            source, _, codes = _choose_source(
                store, cid, year, spec, codes_given, trade_source, cache, sources
            )
        except DataMissingError:
            continue
        chosen.setdefault((source, codes), []).append(year)
    out: dict[int, YearTrade] = {}
    for (source, codes), picked in chosen.items():
        flows = _trade.load_flows(store, _basket(cid, codes), picked, source)
        flows = flows[flows["exporter"] != flows["importer"]]
        for key, part in flows.groupby("year", sort=True):
            when = int(str(key))
            try:
                qty, price, _, _ = _quantities(part, cid, spec, codes, source, when, measure)
            except DataMissingError:
                continue
            exporters = part["exporter"].to_numpy(dtype=object)
            out[when] = YearTrade(
                exporters, part["importer"].to_numpy(dtype=object), qty, price, source
            )
    return out


def build_baseline(
    store: Store,
    commodity: str,
    year: int,
    *,
    stage: str | None = None,
    hs6: tuple[str, ...] | list[str] | None = None,
    trade_source: str | None = None,
    production_source: str = DEFAULT_PRODUCTION_SOURCE,
    measure: Measure = "quantity",
    parameters: CommodityParameters | None = None,
    production_data: pd.DataFrame | None = None,
) -> Baseline:
    """One year of trade and production of one commodity stage, as engine matrices.

    Parameters
    ----------
    store:
        The data store.
    commodity:
        Commodity id or name (catalog).
    year:
        Baseline year (trade and production of that calendar year).
    stage:
        ``"ore"`` or ``"refined"`` (see ``data/parameters.toml``); default: the stage of
        the catalog's main HS code.
    hs6:
        HS codes to use instead of the stage's basket (the stage is then ``"custom"``
        unless given).
    trade_source:
        Store trade source; default: the embedded HS92 data if it has the codes in ``year``,
        else the first imported source that has them.
    production_source:
        Store production source (World Mining Data by default).
    measure:
        ``"quantity"`` (tonnes) or ``"value"`` (thousand USD; production figures are not
        used, net exporters produce their net exports).
    parameters:
        Commodity defaults (spare capacity, stages); default from ``parameters.toml``.
    production_data:
        Production of the commodity in ``year`` (columns ``country``, ``production_t``, as
        World Mining Data reports it) to use instead of the store's; the back-test passes
        World Mining Data for years the default store lacks.

    Raises
    ------
    DataMissingError
        When the store has no trade for the codes in ``year``; the message names the data
        to import.
    """
    cid = commodities.resolve(commodity)
    params = parameters or commodity_parameters(cid)
    spec, codes_given = _stage_spec(cid, params, stage, hs6)
    stage_name = spec.name
    source, revision, codes = _choose_source(store, cid, int(year), spec, codes_given, trade_source)
    flows = _trade.load_flows(store, _basket(cid, codes), [int(year)], source)
    flows = flows[flows["exporter"] != flows["importer"]]
    notes: list[str] = [f"trade: {source} ({revision}) HS {', '.join(codes)}, {year}"]
    notes += [f"trade quality: {n}" for n in _trade.quality_notes(store, source, [year], codes)]
    if spec.note:
        notes.append(spec.note)
    qty, price, content_basis, more = _quantities(
        flows, cid, spec, codes, source, int(year), measure
    )
    notes += more

    prod = pd.DataFrame(columns=["country", "production_t"])
    if measure == "quantity" and spec.production:
        if production_data is not None:
            found = production_data.assign(year=int(year))
            notes.append("production: given by the caller (not the store)")
        else:
            found = _production(store, [cid], [int(year)], production_source)
        found = found[(found["year"] == int(year)) & found["production_t"].notna()]
        if found.empty:
            notes.append(f"no production of {cid} in {year} in {production_source}: {IMPLIED_NOTE}")
        else:
            c = commodities.get(cid)
            factor = c.basis_factor or 1.0 if content_basis else float(spec.trade_per_production_t)
            prod = found.assign(production_t=found["production_t"] * factor)[
                ["country", "production_t"]
            ]
            if not content_basis and factor == 1.0 and c.wmd_basis:
                notes.append(
                    f"production counts {c.wmd_basis} while trade is gross weight: bases differ"
                )
    elif measure == "quantity":
        notes.append(f"no production data for the {stage_name} stage: {IMPLIED_NOTE}")

    names = sorted(
        set(flows["exporter"])
        | set(flows["importer"])
        | set(prod["country"][prod["production_t"] > 0])
    )
    pos = {c: i for i, c in enumerate(names)}
    n = len(names)
    trade = np.zeros((n, n))
    np.add.at(
        trade,
        (flows["exporter"].map(pos).to_numpy(), flows["importer"].map(pos).to_numpy()),
        qty,
    )
    production = np.zeros(n)
    for country, q in zip(prod["country"], prod["production_t"], strict=True):
        if country in pos:
            production[pos[country]] += float(q)
    if prod.empty:  # no production figures: a net exporter produces at least its net exports
        production = implied_production(trade)
    consumption = np.maximum(production + trade.sum(axis=0) - trade.sum(axis=1), 0.0)
    sigma = np.full(n, params.spare_capacity)
    for country, s in params.spare_capacity_by_country.items():
        if country in pos:
            sigma[pos[country]] = s
    return Baseline(
        commodity=cid,
        stage=stage_name,
        year=int(year),
        hs6=codes,
        countries=tuple(names),
        trade_t=trade,
        production_t=production,
        consumption_t=consumption,
        price_usd_per_t=price,
        spare_capacity=sigma,
        notes=tuple(notes),
        trade_source=str(source),
    )


def available_stages(
    store: Store, commodity: str, year: int, *, trade_source: str | None = None
) -> list[str]:
    """Stages of ``commodity`` whose basket has trade in ``year`` (in the chosen source)."""
    params = commodity_parameters(commodity)
    out = []
    for name, spec in params.stages.items():
        try:
            _choose_source(store, params.commodity, int(year), spec, None, trade_source)
        except DataMissingError:
            continue
        out.append(name)
    return out
