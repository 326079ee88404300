"""``minsec brief``: briefings as self-contained HTML and PDF.

Without ``--mineral`` it writes the supply-security brief (ranking of the minerals for
the importers); with ``--mineral`` the briefing on one mineral (producers, map, each
importer's dependence, named scenarios, sources). The PDF is printed with Chromium:
``--pdf`` requires it, ``--no-pdf`` skips it, and by default it is printed when Chromium
is installed (a note says how to install it otherwise).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from minsec.commands._common import StoreOpt, err, progress
from minsec.commands.incidents import StateOpt


def _print_pdf(html: Path, pdf: bool | None) -> None:
    from minsec.report.pdf import ChromiumMissingError, html_to_pdf

    if pdf is False:
        return
    try:
        with progress("printing the PDF (Chromium)"):
            path = html_to_pdf(html)
    except ChromiumMissingError as exc:
        if pdf:
            raise
        err.print(f"no PDF: {exc}", highlight=False)
        return
    err.print(f"PDF: {path.resolve()}")


def _incident_brief(
    incident_id: str, as_user: str | None, state: str | None, store: Path | None, out: Path
) -> Path:
    from minsec.commands.incidents import session
    from minsec.errors import InputError
    from minsec.report.from_incident import incident_briefing
    from minsec.report.incident_brief import render_incident_brief

    if not as_user:
        raise InputError(
            "--incident needs the reading user: what a briefing shows depends on their party",
            column="--as",
            hint="pass --as USER (see `minsec users list`) or set MINSEC_USER",
        )
    with progress(f"building the briefing on {incident_id}"), session(state, as_user, store) as s:
        party = s.who.party
        briefing = incident_briefing(
            s.incidents.get(party, incident_id),
            s.incidents.assessments(party, incident_id),
            s.incidents.actions.visible(party, incident_id),
            s.incidents.decisions.visible(party, incident_id),
            s.incidents.clocks.visible(party, incident_id=incident_id),
            s.store_status(),
        )
        path = render_incident_brief(briefing, out, pdf=False)
    err.print(briefing.summary, highlight=False)
    return path


def brief_cmd(
    importer: Annotated[
        str | None,
        typer.Option(
            "--importer",
            "-i",
            help="Countries and blocs, comma-separated (default USA,JPN,like-minded; "
            "USA,JPN with --mineral).",
        ),
    ] = None,
    mineral: Annotated[
        str | None,
        typer.Option("--mineral", "-m", help="Write the briefing on this mineral (e.g. gallium)."),
    ] = None,
    year: Annotated[int, typer.Option("--year", "-y", help="Data year (2018–2024).")] = 2024,
    top: Annotated[int, typer.Option(help="Minerals listed per importer.")] = 10,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for index.html (and index.pdf).")
    ] = Path("brief"),
    pdf: Annotated[
        bool | None,
        typer.Option(
            "--pdf/--no-pdf",
            help="Print index.pdf with Chromium (default: when Chromium is installed).",
        ),
    ] = None,
    incident: Annotated[
        str | None,
        typer.Option(
            "--incident",
            help="Write the briefing on this incident (inc_…): impact, response, actions, "
            "decisions, clocks, as the --as user's party sees it.",
        ),
    ] = None,
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="With --incident: the registered user who reads (their party decides what "
            "is shown).",
            envvar="MINSEC_USER",
        ),
    ] = None,
    state: StateOpt = None,
    store: StoreOpt = None,
) -> None:
    """Write a briefing (HTML + PDF): the importers' ranking, --mineral or --incident."""
    from rich.console import Console

    from minsec.store import Store

    if incident is not None:
        path = _incident_brief(incident, as_user, state, store, out)
    elif mineral is not None:
        from minsec.report.mineral_brief import (
            build_mineral_brief,
            print_mineral_brief,
            write_mineral_html,
        )

        with progress(f"building the {mineral} briefing"), Store(store, read_only=True) as st:
            briefing = build_mineral_brief(st, mineral, importer or "USA,JPN", year=year)
            path = write_mineral_html(briefing, out)
        print_mineral_brief(briefing, Console())
        for gap in briefing.gaps:
            err.print(f"missing data — {gap.topic}: {gap.message}", highlight=False)
    else:
        from minsec.report import build_brief, print_brief, write_html

        with progress("building the brief"), Store(store, read_only=True) as st:
            brief = build_brief(st, importer or "USA,JPN,like-minded", year=year, top=top)
            path = write_html(brief, out)
        print_brief(brief, Console())
    err.print(f"HTML report: {path.resolve()}")
    _print_pdf(path, pdf)
