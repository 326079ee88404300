"""Export a store table, optionally filtered by ``COLUMN=VALUE`` conditions."""

from __future__ import annotations

import pandas as pd

from minsec.errors import InputError
from minsec.store import schema
from minsec.store.store import Store


def export_table(store: Store, table: str, where: list[str]) -> pd.DataFrame:
    """Rows of ``table`` matching every ``COLUMN=VALUE`` in ``where`` (values compared as text)."""
    if table not in schema.tables():
        raise InputError(f"no table {table!r}; tables are {', '.join(schema.tables())}")
    names = [c.name for c in schema.tables()[table]]
    clauses, params = [], []
    for cond in where:
        col, sep, value = cond.partition("=")
        col = col.strip()
        if not sep or col not in names:
            raise InputError(
                f"filter {cond!r} must be COLUMN=VALUE with COLUMN one of {names}", column="--where"
            )
        clauses.append(f'CAST("{col}" AS VARCHAR) = ?')
        params.append(value.strip())
    sql = f'SELECT * FROM "{table}"' + (" WHERE " + " AND ".join(clauses) if clauses else "")
    return store.query(sql, params)
