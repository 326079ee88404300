"""Suppliers of a commodity ranked by landed cost in one destination.

For each HS6 code of the commodity's basket and each main exporter (by tonnes exported to
the world in the year), the landed cost in the destination is

    landed_usd_per_t = unit_value_usd_per_t × (1 + duty) + freight_usd_per_t

with the exporter's unit value = its export value / quantity of that code in the year
(BACI values are FOB; USD per tonne of the HS product, gross weight), the duty resolved from
the tariff data on the date (:func:`minsec.catalog.tariffs.resolve`) and the freight from
the same file. A duty the data does not know leaves the landed cost empty (NaN) and says so.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd

from minsec.assess import _trade
from minsec.catalog import commodities, countries
from minsec.catalog import tariffs as tf
from minsec.errors import DataMissingError, InputError
from minsec.store import Store

COLUMNS = [
    "hs6", "rank", "origin", "name", "exports_t", "exports_to_destination_t",
    "unit_value_usd_per_t", "duty_pct", "duty_usd_per_t", "freight_usd_per_t",
    "landed_usd_per_t", "duty_confidence", "duty_measures", "freight_confidence", "notes",
]  # fmt: skip


def latest_year(store: Store, codes: list[str], source: str) -> int:
    """The last year the trade source has rows for the codes."""
    found = store.query(
        "SELECT max(year) y FROM trade WHERE source = ? AND list_contains(?, hs6)", [source, codes]
    )
    year = found["y"].iloc[0]
    if year is None or (isinstance(year, float) and math.isnan(year)):
        raise DataMissingError(
            f"no trade in {source} for HS {', '.join(codes)}; import a BACI file with these codes"
        )
    return int(year)


def exporter_prices(flows: pd.DataFrame, destination: str) -> pd.DataFrame:
    """Per HS6 × exporter: tonnes exported, to the destination, and unit value (USD/t).

    ``flows`` has one row per ``hs6, exporter, importer`` with ``value_kusd``,
    ``quantity_t`` and ``value_no_qty_kusd`` (value of rows without a quantity, left out of
    the unit value).
    """
    f = flows.assign(
        priced_kusd=flows["value_kusd"] - flows["value_no_qty_kusd"],
        to_dest_t=np.where(flows["importer"] == destination, flows["quantity_t"], 0.0),
    )
    g = f.groupby(["hs6", "exporter"], as_index=False).agg(
        exports_t=("quantity_t", "sum"),
        priced_kusd=("priced_kusd", "sum"),
        exports_to_destination_t=("to_dest_t", "sum"),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        g["unit_value_usd_per_t"] = np.where(
            g["exports_t"] > 0, 1000.0 * g["priced_kusd"] / g["exports_t"], np.nan
        )
    return g.drop(columns="priced_kusd")


def rank_landed(
    prices: pd.DataFrame, book: tf.TariffBook, destination: str, day: dt.date
) -> pd.DataFrame:
    """Add duty, freight and landed cost to ``exporter_prices`` rows; rank per HS6."""
    rows: list[dict[str, Any]] = []
    for rec in prices.to_dict("records"):
        hs6, origin = str(rec["hs6"]), str(rec["exporter"])
        duty = tf.resolve(book, hs6, origin, destination, day)
        freight = tf.freight_row(book, origin, destination, hs6)
        fr = tf.freight_usd_per_t(book, origin, destination, hs6)
        uv = float(rec["unit_value_usd_per_t"])
        notes = list(duty.notes)
        if freight is None and origin != destination:
            notes.append("no freight row for this lane")
        landed = (
            tf.landed_cost_usd_per_t(uv, duty.total, fr)
            if duty.total is not None and math.isfinite(uv) and math.isfinite(fr)
            else math.nan
        )
        rows.append(
            {
                "hs6": hs6,
                "origin": origin,
                "name": countries.name_of(origin),
                "exports_t": float(rec["exports_t"]),
                "exports_to_destination_t": float(rec["exports_to_destination_t"]),
                "unit_value_usd_per_t": uv,
                "duty_pct": math.nan if duty.total is None else 100.0 * duty.total,
                "duty_usd_per_t": math.nan if duty.total is None else uv * duty.total,
                "freight_usd_per_t": fr,
                "landed_usd_per_t": landed,
                "duty_confidence": duty.confidence,
                "duty_measures": ", ".join(c.measure_id for c in duty.components) or None,
                "freight_confidence": None if freight is None else freight.confidence,
                "notes": "; ".join(notes) or None,
            }
        )
    out = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "rank"])
    out = out.sort_values(["hs6", "landed_usd_per_t", "origin"], na_position="last")
    out.insert(1, "rank", out.groupby("hs6").cumcount() + 1)
    return out.reset_index(drop=True)


def supplier_landed_costs(
    store: Store,
    commodity: str,
    destination: str,
    *,
    day: dt.date | None = None,
    year: int | None = None,
    hs6: str | None = None,
    top: int = 15,
    trade_source: str | None = None,
    book: tf.TariffBook | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The ``top`` exporters of each HS6 code of ``commodity`` by landed cost in ``destination``.

    Returns the table (columns :data:`COLUMNS`) and its metadata (year, source, date,
    units). ``destination`` is a country; ``day`` defaults to today.
    """
    cid = commodities.resolve(commodity)
    dest = countries.resolve(destination, field="destination")
    if top < 1:
        raise InputError(f"--top must be at least 1, got {top}", column="--top")
    b = book or tf.book()
    day = day or dt.date.today()
    source, rev = _trade.trade_source(store, trade_source)
    basket = _trade.baskets([cid], rev)
    if hs6:
        basket = basket[basket["hs6"].str.startswith(hs6)]
    codes = sorted(basket["hs6"].unique())
    if not codes:
        raise InputError(
            f"{cid} has no HS code {'starting with ' + hs6 + ' ' if hs6 else ''}in {rev}",
            column="--hs6",
        )
    year = year or latest_year(store, codes, source)
    per_code = basket.assign(commodity=basket["hs6"], hs_content=np.nan).drop_duplicates("hs6")
    flows = _trade.load_flows(store, per_code, [year], source).rename(columns={"commodity": "hs6"})
    if flows.empty:
        raise DataMissingError(f"no trade of {cid} (HS {', '.join(codes)}) in {source} for {year}")
    prices = exporter_prices(flows, dest)
    prices = prices[prices["exporter"] != dest]
    prices = prices.sort_values(["hs6", "exports_t"], ascending=[True, False])
    prices = prices.groupby("hs6", as_index=False, group_keys=False).head(top)
    table = rank_landed(prices, b, dest, day)
    meta = {
        "commodity": cid,
        "destination": dest,
        "date": day.isoformat(),
        "trade_year": year,
        "trade_source": source,
        "hs_revision": rev,
        "units": "USD per tonne of the HS product (gross weight); unit values are FOB "
        "(BACI); duty on the FOB value; landed = unit value × (1 + duty) + freight",
        "top": top,
    }
    return table, meta
