"""``minsec assess``: supply structure, exposure, criticality ranking."""

from __future__ import annotations

from typing import Annotated

import typer

from minsec.commands._common import FormatOpt, OutputOpt, StoreOpt, parse_years, progress
from minsec.output import Format, emit

assess_app = typer.Typer(
    help="Identify key resources: concentration, exposure, GeoPolRisk, criticality.",
    no_args_is_help=True,
)

ImporterOpt = Annotated[
    str,
    typer.Option(
        "--importer",
        "-i",
        help="Countries (ISO3 or names) and blocs, comma-separated, e.g. USA,JPN,EU27,like-minded.",
    ),
]
YearOpt = Annotated[
    str, typer.Option("--year", "-y", help="A year, a range (2018-2024) or a comma list.")
]
CommodityOpt = Annotated[
    str | None,
    typer.Option("--commodity", "-c", help="Commodities (ids or names), comma-separated."),
]


@assess_app.command("exposure")
def exposure_cmd(
    importer: ImporterOpt = "USA,JPN",
    year: YearOpt = "2024",
    commodity: CommodityOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    store: StoreOpt = None,
    geopolrisk: Annotated[bool, typer.Option(help="Compute GeoPolRisk scores (2018–2024).")] = True,
) -> None:
    """Exposure of importers: imports, reliance, concentration, top supplier, GeoPolRisk.

    A bloc is one importer: trade between its members is not an import.
    """
    from minsec.assess.exposure import exposure
    from minsec.store import Store

    with progress("exposure"), Store(store, read_only=True) as st:
        frame = exposure(
            st,
            importer,
            years=parse_years(year),
            commodities_=commodity,
            with_geopolrisk=geopolrisk,
        )
    meta = {str(k): v for k, v in frame.attrs.items() if k != "parties"}
    emit(frame, fmt, output=output, title=f"Exposure of {importer}, {year}", meta=meta)


@assess_app.command("imports")
def imports_cmd(
    importer: ImporterOpt = "USA",
    year: YearOpt = "2024",
    commodity: CommodityOpt = None,
    top: Annotated[int, typer.Option(help="Keep the top N suppliers of each row (0 = all).")] = 0,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    store: StoreOpt = None,
) -> None:
    """Imports by supplier (value and tonnes, shares, rank) for importers and commodities."""
    from minsec.assess.exposure import imports_by_supplier
    from minsec.store import Store

    with progress("imports by supplier"), Store(store, read_only=True) as st:
        frame = imports_by_supplier(st, importer, years=parse_years(year), commodities_=commodity)
    if top > 0:
        frame = frame[frame["rank"] <= top]
    emit(frame, fmt, output=output, title=f"Imports of {importer} by supplier, {year}")
