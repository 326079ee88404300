"""``minsec brief``: the supply-security brief (terminal table + self-contained HTML)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from minsec.commands._common import StoreOpt, err, progress


def brief_cmd(
    importer: Annotated[
        str, typer.Option("--importer", "-i", help="Countries and blocs, comma-separated.")
    ] = "USA,JPN,like-minded",
    year: Annotated[int, typer.Option("--year", "-y", help="Data year (2018–2024).")] = 2024,
    top: Annotated[int, typer.Option(help="Minerals listed per importer.")] = 10,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the HTML report (index.html).")
    ] = Path("brief"),
    store: StoreOpt = None,
) -> None:
    """Write the supply-security brief for the importers: ranking, drivers, charts."""
    from rich.console import Console

    from minsec.report import build_brief, print_brief, write_html
    from minsec.store import Store

    with progress("building the brief"), Store(store, read_only=True) as st:
        brief = build_brief(st, importer, year=year, top=top)
        path = write_html(brief, out)
    print_brief(brief, Console())
    err.print(f"HTML report: {path.resolve()}")
