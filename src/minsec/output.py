"""Writing data frames for users: Rich tables, CSV, JSON, Parquet.

Interfaces (CLI, reports) call :func:`emit`; nothing here computes anything.
"""

from __future__ import annotations

import io
import json
import math
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from minsec.errors import InputError


class Format(StrEnum):
    """Output formats of every command that prints data."""

    table = "table"
    csv = "csv"
    json = "json"
    parquet = "parquet"


def _json_value(v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    if hasattr(v, "item"):
        return _json_value(v.item())
    return v


def to_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (NaN → null, numpy scalars → Python)."""
    cols = list(frame.columns)
    return [
        {c: _json_value(v) for c, v in zip(cols, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def _fmt_cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if isinstance(v, float):
        if v == 0 or 1e-3 <= abs(v) < 1e7:
            return f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.0f}"
        return f"{v:.3e}"
    return str(v)


def rich_table(frame: pd.DataFrame, title: str | None = None, max_rows: int = 200) -> Table:
    """A Rich table of the first ``max_rows`` rows of a frame."""
    table = Table(title=title, header_style="bold", show_lines=False)
    for col in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[col])
        table.add_column(str(col), justify="right" if numeric else "left", overflow="fold")
    for row in frame.head(max_rows).itertuples(index=False, name=None):
        table.add_row(*(_fmt_cell(v) for v in row))
    if len(frame) > max_rows:
        table.caption = f"{max_rows} of {len(frame)} rows shown; use --format csv for all"
    return table


def emit(
    frame: pd.DataFrame,
    fmt: Format | str = Format.table,
    *,
    output: Path | None = None,
    title: str | None = None,
    meta: dict[str, Any] | None = None,
) -> None:
    """Write ``frame`` to ``output`` (or stdout) in ``fmt``.

    JSON is ``{"meta": …, "data": [records]}`` when ``meta`` is given, else a list.
    Parquet needs ``output`` unless stdout is not a terminal.
    """
    fmt = Format(fmt)
    if fmt is Format.table:
        console = Console(file=output.open("w") if output else None, width=None)
        console.print(rich_table(frame, title=title))
        return
    if fmt is Format.csv:
        text = frame.to_csv(index=False)
    elif fmt is Format.json:
        records = to_records(frame)
        payload: Any = {"meta": meta, "data": records} if meta is not None else records
        text = json.dumps(payload, indent=1, ensure_ascii=False, default=str) + "\n"
    else:
        buf = io.BytesIO()
        frame.to_parquet(buf, index=False)
        if output is not None:
            output.write_bytes(buf.getvalue())
        elif sys.stdout.isatty():
            raise InputError("parquet is binary: give --output FILE or redirect stdout")
        else:
            sys.stdout.buffer.write(buf.getvalue())
            sys.stdout.flush()
        return
    if output is not None:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
