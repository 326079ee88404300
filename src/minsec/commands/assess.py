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
    change: Annotated[
        bool, typer.Option("--change", help="Add year-on-year changes of each indicator.")
    ] = False,
    rising: Annotated[
        int,
        typer.Option(
            help="Instead, list the N material × importer pairs whose GeoPolRisk rose most."
        ),
    ] = 0,
) -> None:
    """Exposure of importers: imports, reliance, concentration, top supplier, GeoPolRisk.

    A bloc is one importer: trade between its members is not an import.
    """
    from minsec.assess.exposure import exposure, exposure_history, rising_risk
    from minsec.store import Store

    years = parse_years(year)
    with progress("exposure"), Store(store, read_only=True) as st:
        if change or rising:
            frame = exposure_history(st, importer, years=years, commodities_=commodity)
        else:
            frame = exposure(
                st, importer, years=years, commodities_=commodity, with_geopolrisk=geopolrisk
            )
    if rising > 0:
        frame = rising_risk(frame, indicator="geopolrisk_score", top=rising)
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


@assess_app.command("rank")
def rank_cmd(
    importer: ImporterOpt = "USA,JPN,like-minded",
    year: Annotated[int, typer.Option("--year", "-y", help="Data year (2018–2024).")] = 2024,
    commodity: CommodityOpt = None,
    weight: Annotated[
        list[str] | None,
        typer.Option(
            "--weight",
            "-w",
            help="Override a weight, NAME=VALUE (repeatable), e.g. -w import_concern=2. "
            "Names: production_concentration, production_governance, production_concern, "
            "import_reliance, import_concentration, import_concern.",
        ),
    ] = None,
    top: Annotated[int, typer.Option(help="Rows per importer (0 = all).")] = 0,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    store: StoreOpt = None,
) -> None:
    """Rank minerals by criticality (supply risk × exposure) with the drivers of each score."""
    from minsec.assess.rank import rank
    from minsec.errors import InputError
    from minsec.store import Store

    weights: dict[str, float] = {}
    for item in weight or []:
        name, sep, value = item.partition("=")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            raise InputError(f"--weight {item!r} must be NAME=NUMBER", column="--weight") from None
        if not sep:
            raise InputError(f"--weight {item!r} must be NAME=NUMBER", column="--weight")
    with progress("ranking"), Store(store, read_only=True) as st:
        frame = rank(st, importer, year=year, weights=weights, materials=commodity)
    if top > 0:
        frame = frame[frame["rank"] <= top]
    if Format(fmt) is Format.table:
        frame = frame[
            [
                "importer",
                "rank",
                "material_name",
                "criticality",
                "supply_risk",
                "exposure",
                "geopolrisk_score",
                "eu_supply_risk",
                "drivers",
            ]
        ]
    meta = {"weights": frame.attrs.get("weights"), "year": year}
    emit(frame, fmt, output=output, title=f"Criticality ranking, {year}", meta=meta)


StageOpt = Annotated[
    str | None,
    typer.Option("--stage", "-s", help="Supply-chain stage: mine, refinery, … (default: all)."),
]
SourceOpt = Annotated[
    str | None,
    typer.Option("--source", help="Production sources, comma-separated (default: all)."),
]


@assess_app.command("supply")
def supply_cmd(
    stage: StageOpt = None,
    year: YearOpt = "2022",
    commodity: CommodityOpt = None,
    source: SourceOpt = None,
    by_country: Annotated[
        bool, typer.Option("--by-country", help="One row per producing country (share, rank).")
    ] = False,
    reserves: Annotated[
        bool, typer.Option("--reserves", help="Concentration of reserves instead (USGS).")
    ] = False,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    store: StoreOpt = None,
) -> None:
    """Supply structure: shares, HHI, top producers, WGI-weighted HHI, bloc shares.

    One row per commodity × stage × year × source: when sources disagree (World Mining
    Data vs USGS) both are shown.
    """
    from minsec.assess.supply import producer_shares, reserves_structure, supply
    from minsec.store import Store

    years = parse_years(year)
    with progress("supply structure"), Store(store, read_only=True) as st:
        if by_country:
            frame = producer_shares(
                st,
                commodities=commodity,
                stage=None if reserves else stage,
                years=years,
                sources=source,
                measure="reserves" if reserves else "production",
            )
        elif reserves:
            frame = reserves_structure(st, commodities=commodity, years=years, sources=source)
        else:
            frame = supply(st, commodities=commodity, stage=stage, years=years, sources=source)
    if Format(fmt) is Format.table and not by_country:
        frame = frame[
            [
                "commodity",
                "stage",
                "year",
                "source",
                "hhi",
                "top1_country",
                "top1_share",
                "top3_share",
                "wgi_weighted_hhi",
                "n_producers",
                "share_like_minded",
                "share_countries_of_concern",
            ]
        ]
    meta = {str(k): v for k, v in frame.attrs.items()}
    emit(frame, fmt, output=output, title=f"Supply structure {year}", meta=meta)


@assess_app.command("history")
def history_cmd(
    stage: StageOpt = None,
    year: YearOpt = "2018-2024",
    commodity: CommodityOpt = None,
    source: SourceOpt = None,
    rising: Annotated[
        int, typer.Option(help="Instead, list the N commodities whose HHI rose most.")
    ] = 0,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    store: StoreOpt = None,
) -> None:
    """Supply indicators over the years with year-on-year changes; or the biggest risers."""
    from minsec.assess.supply import history, rising_concentration
    from minsec.store import Store

    with progress("history"), Store(store, read_only=True) as st:
        frame = history(
            st, commodities=commodity, stage=stage, years=parse_years(year), sources=source
        )
    if rising > 0:
        frame = rising_concentration(frame, indicator="hhi", top=rising)
    emit(frame, fmt, output=output, title=f"Supply history {year}")
