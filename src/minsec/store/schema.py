"""Store schema, read from ``schemas/tables.csv`` (schema as data, as PyPSA does).

One row per column: table, column, DuckDB type, unit, nullable, description. DDL,
validation of imported frames and the docs table are all generated from it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Column:
    """One column of a store table."""

    table: str
    name: str
    type: str
    unit: str
    nullable: bool
    description: str


@cache
def columns() -> tuple[Column, ...]:
    """All columns of all tables, in schema-file order."""
    text = resources.files("minsec.store").joinpath("schemas/tables.csv").read_text("utf-8")
    return tuple(
        Column(
            table=r["table"],
            name=r["column"],
            type=r["type"],
            unit=r["unit"],
            nullable=r["nullable"] == "yes",
            description=r["description"],
        )
        for r in csv.DictReader(text.splitlines())
    )


@cache
def tables() -> dict[str, tuple[Column, ...]]:
    """Table name → its columns, in order."""
    out: dict[str, list[Column]] = {}
    for c in columns():
        out.setdefault(c.table, []).append(c)
    return {k: tuple(v) for k, v in out.items()}


def ddl(table: str) -> str:
    """``CREATE TABLE IF NOT EXISTS`` statement of one table."""
    cols = ", ".join(
        f'"{c.name}" {c.type}{"" if c.nullable else " NOT NULL"}' for c in tables()[table]
    )
    return f'CREATE TABLE IF NOT EXISTS "{table}" ({cols})'


def markdown() -> str:
    """The schema as Markdown tables (for the docs)."""
    parts = []
    for table, cols in tables().items():
        parts.append(
            f"### `{table}`\n\n| column | type | unit | null | description |\n|---|---|---|---|---|"
        )
        for c in cols:
            null = "yes" if c.nullable else "no"
            parts.append(f"| `{c.name}` | {c.type} | {c.unit} | {null} | {c.description} |")
        parts.append("")
    return "\n".join(parts)
