"""Options and helpers shared by the CLI sub-commands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from minsec.errors import InputError
from minsec.output import Format

err = Console(stderr=True, soft_wrap=True)

FormatOpt = Annotated[
    Format, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
]
StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="DuckDB store file (default: $MINSEC_HOME/minsec.duckdb).",
        envvar="MINSEC_STORE",
    ),
]


@contextmanager
def progress(description: str) -> Iterator[Progress]:
    """A progress display on stderr (so that data on stdout stays clean)."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:
        bar.add_task(description, total=None)
        yield bar


def parse_years(text: str) -> list[int]:
    """``"2024"``, ``"2018-2024"`` or ``"2018,2020,2022"`` → list of years."""
    years: list[int] = []
    try:
        for raw in text.split(","):
            part = raw.strip()
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                if hi < lo:
                    raise ValueError
                years.extend(range(lo, hi + 1))
            elif part:
                years.append(int(part))
    except ValueError:
        raise InputError(
            f"--year {text!r} is not a year, a range like 2018-2024 or a comma list",
            column="--year",
        ) from None
    if not years:
        raise InputError("--year is empty", column="--year")
    return sorted(set(years))
