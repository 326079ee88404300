"""Terminal tables fit the terminal: the leading columns that fit, the others named."""

from __future__ import annotations

import io

import pandas as pd
from rich.console import Console

from minsec.output import TEXT_COLUMN_CAP, fit_columns, rich_table


def _render(frame: pd.DataFrame, width: int) -> str:
    buf = io.StringIO()
    Console(file=buf, width=width).print(rich_table(frame, title="t", width=width))
    return buf.getvalue()


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": ["china-gallium-germanium-us-ban-2024", "drc-cobalt-quota-2025"],
            "commodity": ["gallium", "cobalt"],
            "year": [2022, 2024],
            "title": ["China bans gallium and germanium exports to the US " * 2, "DRC quota"],
            "sources": ["MOFCOM announcement No. 46 of 2024", "ARECOMS decision"],
        }
    )


def test_columns_are_kept_in_order_while_they_fit() -> None:
    frame = _frame()
    # name 35 + 3, commodity 9 + 3, year 4 + 3, title capped at the text cap + 3
    assert fit_columns(frame, 80) == ["name", "commodity", "year"]
    assert fit_columns(frame, 1 + 38 + 12 + 7 + TEXT_COLUMN_CAP + 3) == [
        "name", "commodity", "year", "title"
    ]  # fmt: skip
    assert fit_columns(frame, 10) == ["name"]  # the first column always


def test_eighty_columns_never_wrap_a_line_and_name_the_hidden() -> None:
    text = _render(_frame(), 80)
    lines = text.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert "china-gallium-germanium-us-ban-2024" in text  # not folded to five characters
    assert "2 more column(s) not shown: title, sources" in " ".join(text.split())


def test_a_wide_terminal_shows_everything() -> None:
    text = _render(_frame(), 250)
    assert "not shown" not in text
    assert "ARECOMS decision" in text
