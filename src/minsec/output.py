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


TEXT_COLUMN_CAP = 36
"""Widest a text column is laid out in a terminal table before its cells wrap."""


def _column_width(frame: pd.DataFrame, col: Any) -> int:
    cells = [_fmt_cell(v) for v in frame[col]]
    natural = max([len(str(col)), *(len(c) for c in cells)])
    if pd.api.types.is_numeric_dtype(frame[col]) or pd.api.types.is_bool_dtype(frame[col]):
        return natural
    return min(natural, max(TEXT_COLUMN_CAP, len(str(col))))


def fit_columns(frame: pd.DataFrame, width: int) -> list[Any]:
    """The leading columns of ``frame`` that fit a table ``width`` characters wide.

    Columns are taken in order while their laid-out width (header or widest cell, text
    capped at :data:`TEXT_COLUMN_CAP`, plus 3 for padding and rule) fits; the first is
    always kept. A command puts the columns that matter most first.
    """
    kept: list[Any] = []
    used = 1  # the table's left rule
    for col in frame.columns:
        need = _column_width(frame, col) + 3
        if kept and used + need > width:
            break
        kept.append(col)
        used += need
    return kept


def rich_table(
    frame: pd.DataFrame,
    title: str | None = None,
    max_rows: int = 200,
    width: int | None = None,
) -> Table:
    """A Rich table of the first ``max_rows`` rows of a frame.

    With ``width`` (a terminal's), only the leading columns that fit are shown (see
    :func:`fit_columns`) and the caption names the others; numbers never wrap.
    """
    shown = frame.head(max_rows)
    cols = list(frame.columns) if width is None else fit_columns(shown, width)
    table = Table(title=title, header_style="bold", show_lines=False)
    for col in cols:
        numeric = pd.api.types.is_numeric_dtype(frame[col])
        table.add_column(
            str(col),
            justify="right" if numeric else "left",
            overflow="fold",
            no_wrap=numeric,
            max_width=None if numeric else max(TEXT_COLUMN_CAP, len(str(col))),
        )
    for row in shown[cols].itertuples(index=False, name=None):
        table.add_row(*(_fmt_cell(v) for v in row))
    notes = []
    if len(frame) > max_rows:
        notes.append(f"{max_rows} of {len(frame)} rows shown")
    hidden = [str(c) for c in frame.columns if c not in cols]
    if hidden:
        notes.append(f"{len(hidden)} more column(s) not shown: {', '.join(hidden)}")
    if notes:
        table.caption = "; ".join(notes) + "; --format csv or json has everything"
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
        if output is not None:  # a file: every column
            with output.open("w", encoding="utf-8") as fh:
                Console(file=fh, width=200).print(rich_table(frame, title=title))
            return
        console = Console()
        console.print(rich_table(frame, title=title, width=console.width))
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
