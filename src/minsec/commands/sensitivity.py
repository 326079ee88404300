"""``minsec simulate --sensitivity``: the tornado of a scenario in the terminal, CSV or JSON.

The terminal shows, per stage, the table of the chosen metric for the headline party
(sorted by swing) and a text tornado that fits 80 columns: one line per assumption, the
bar from the published scenario (``│``) to the value with the assumption at its low
(``▒``) and at its high value (``█``). CSV and JSON carry every stage, party and metric.
"""

from __future__ import annotations

import math
from enum import StrEnum
from io import StringIO
from pathlib import Path
from typing import Any

import pandas as pd
import typer
from rich import box
from rich.console import Console
from rich.table import Table

from minsec.disrupt.sensitivity import (
    METRICS,
    SensitivityResult,
    metric_text,
    number_text,
    value_text,
)
from minsec.output import Format, emit


class Metric(StrEnum):
    """The headline numbers a tornado can show (see ``minsec.disrupt.sensitivity``)."""

    shortfall_t = "shortfall_t"
    shortfall_pct = "shortfall_pct"
    peak_price_index = "peak_price_index"
    mean_price_index = "mean_price_index"


LOW, HIGH, BASE = "▒", "█", "│"
WIDTH = 80
_LABEL, _BAR = 24, 31


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def text_tornado(rows: pd.DataFrame, *, title: str, width: int = WIDTH) -> str:
    """A tornado in text: one line per row of ``rows`` (one stage, party and metric).

    ``rows`` are :meth:`~minsec.disrupt.sensitivity.SensitivityResult.tornado` rows, in
    the order to show. Each line: the assumption, the bar (``▒`` low value, ``█`` high
    value, ``│`` the published scenario) and the values at low and high.
    """
    if rows.empty:
        return f"{title}\n(no assumption)\n"
    metric = str(rows["metric"].iloc[0])
    base = float(rows["at_base"].iloc[0])
    half = _BAR // 2
    reach = max(float((rows[["at_low", "at_high"]] - base).abs().max().max()), 1e-300)
    values_w = width - _LABEL - _BAR - 2
    lines = [
        _short(title, width),
        _short(
            f"{LOW} assumption at its low value   {HIGH} at its high value   {BASE} as "
            f"published: {metric_text(metric, base)}",
            width,
        ),
    ]

    def offset(v: float) -> int:
        return 0 if math.isnan(v) else round((v - base) / reach * half)

    for r in rows.to_dict("records"):
        cells = [" "] * _BAR
        ends = sorted(
            ((offset(float(r["at_low"])), LOW), (offset(float(r["at_high"])), HIGH)),
            key=lambda e: -abs(e[0]),
        )
        for off, char in ends:  # the longer bar first, the shorter one over it
            step = 1 if off > 0 else -1
            for k in range(step, off + step, step) if off else ():
                cells[half + k] = char
        cells[half] = BASE
        values = (
            f"{metric_text(metric, float(r['at_low']))} | "
            f"{metric_text(metric, float(r['at_high']))}"
        )
        lines.append(
            f"{_short(str(r['label']), _LABEL):<{_LABEL}} {''.join(cells)} "
            f"{_short(values, values_w)}"
        )
    return "\n".join(lines) + "\n"


def display_table(rows: pd.DataFrame, *, title: str) -> Table:
    """The tornado as a compact table that fits 80 columns, largest swing first.

    Columns: assumption, low and high value, source, the metric at low, as published
    (base) and at high, and the swing.
    """
    metric = str(rows["metric"].iloc[0]) if not rows.empty else "shortfall_pct"
    table = Table(
        title=title, box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), show_edge=False,
        header_style="bold",
    )  # fmt: skip
    table.add_column("assumption", no_wrap=True, overflow="ellipsis", max_width=18)
    table.add_column("low", no_wrap=True)
    table.add_column("high", no_wrap=True)
    table.add_column("source", no_wrap=True, overflow="ellipsis", max_width=10)
    for name in ("at low", "base", "at high", "swing"):
        table.add_column(name, justify="right", no_wrap=True)
    for r in rows.to_dict("records"):
        table.add_row(
            str(r["label"]),
            value_text(float(r["low_value"]), str(r["unit"]), short=True),
            value_text(float(r["high_value"]), str(r["unit"]), short=True),
            str(r["source"]),
            *(number_text(metric, float(r[k])) for k in ("at_low", "at_base", "at_high", "swing")),
        )
    return table


def emit_sensitivity(
    result: SensitivityResult,
    fmt: Format,
    *,
    metric: str,
    party: str | None,
    output: Path | None,
    err: Any,
) -> None:
    """Write the tornado: tables and text tornadoes (``table``), or every row (CSV, JSON)."""
    if Format(fmt) is not Format.table:
        emit(result.table, fmt, output=output, meta=result.meta())
        return
    chunks: list[str] = []
    for stage in result.stages:
        rows = result.tornado(metric, party, stage)
        if rows.empty:
            continue
        who = str(rows["party"].iloc[0])
        title = (
            f"{result.scenario.title or result.scenario.name} — {stage}, {who}: {METRICS[metric]}"
        )
        buf = StringIO()
        Console(file=buf, width=WIDTH, force_terminal=False).print(display_table(rows, title=title))
        chunks.append(buf.getvalue())
        chunks.append(text_tornado(rows, title=f"Tornado — {who}, {stage}"))
    if not chunks:
        chunks.append(
            f"no tornado of {METRICS[metric]}: {party or result.headline_party} has no trade "
            "or production in the scenario's baseline (see the notes)\n"
        )
    text = "\n".join(chunks)
    if output is not None:
        output.write_text(text, encoding="utf-8")
    else:
        typer.echo(text, nl=False)
    for note in result.notes:
        err.print(f"note: {note}", highlight=False)
