"""A summary of what the store holds, per source (``minsec data status``)."""

from __future__ import annotations

import pandas as pd

from minsec.store import schema
from minsec.store.store import Store

_YEAR_TABLES = [t for t, cols in schema.tables().items() if any(c.name == "year" for c in cols)]
_COMMODITY_TABLES = [
    t for t, cols in schema.tables().items() if any(c.name == "commodity" for c in cols)
]

COLUMNS = [
    "source",
    "kind",
    "version",
    "rows",
    "tables",
    "years",
    "commodities",
    "sha256",
    "imported_at",
    "licence",
]


def summary(store: Store) -> pd.DataFrame:
    """One row per imported source: rows, years, commodities, checksum, time, licence."""
    prov = store.status()
    if prov.empty:
        return pd.DataFrame(columns=COLUMNS)
    have = store.existing_tables()  # an older store opened read-only lacks newer tables
    years_sql = " UNION ALL ".join(
        f'SELECT source, min(year) AS lo, max(year) AS hi FROM "{t}" GROUP BY source'
        for t in _YEAR_TABLES
        if t in have
    )
    years = store.query(
        f"SELECT source, min(lo) AS lo, max(hi) AS hi FROM ({years_sql}) GROUP BY source"
    )
    com_sql = " UNION ".join(
        f'SELECT DISTINCT source, commodity FROM "{t}"' for t in _COMMODITY_TABLES if t in have
    )
    coms = store.query(
        f"SELECT source, count(DISTINCT commodity) AS n FROM ({com_sql}) GROUP BY source"
    )
    out = prov.merge(years, on="source", how="left").merge(coms, on="source", how="left")
    out["years"] = [
        f"{int(lo)}-{int(hi)}" if pd.notna(lo) else ""
        for lo, hi in zip(out["lo"], out["hi"], strict=False)
    ]
    out["commodities"] = out["n"].fillna(0).astype("int64")
    out["imported_at"] = out["imported_at"].astype("string")
    out["licence"] = out["licence"].fillna("")
    return out[COLUMNS]
