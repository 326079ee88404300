"""``minsec tariffs``: the duties in the data, your own rows, suppliers by landed cost."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

import typer

from minsec.commands._common import FormatOpt, OutputOpt, StoreOpt, err, progress
from minsec.errors import InputError
from minsec.output import Format, emit

tariffs_app = typer.Typer(
    help="Import duties (the US-Japan deal's terms, US MFN, Section 301/232, your own rows) "
    "and suppliers by landed cost. Data: minsec's tariffs.toml plus $MINSEC_HOME/tariffs.toml.",
    no_args_is_help=True,
)


class View(StrEnum):
    """What ``tariffs show`` prints."""

    measures = "measures"
    duty = "duty"


HsOpt = Annotated[
    str | None,
    typer.Option("--hs6", help="HS code: 6 digits, or a 2/4-digit chapter or heading."),
]
OriginOpt = Annotated[
    str | None, typer.Option("--origin", help="Exporting countries or blocs, e.g. CHN,AUS.")
]
DestinationOpt = Annotated[
    str | None, typer.Option("--destination", help="Importing countries or blocs, e.g. USA.")
]
DateOpt = Annotated[
    str | None, typer.Option("--date", help="Day the duties are in force (default: today).")
]


def _day(text: str | None, option: str = "--date") -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{text!r} is not a date like 2026-01-01", column=option) from None


_TABLE = {
    View.measures: [
        "id", "kind", "hs", "origin", "destination", "duty_pct", "valid_from", "valid_to",
        "confidence",
    ],
    View.duty: ["hs6", "origin", "destination", "duty_pct", "components", "confidence"],
}  # fmt: skip


@tariffs_app.command("show")
def tariffs_show(
    hs6: HsOpt = None,
    origin: OriginOpt = None,
    destination: DestinationOpt = None,
    date: DateOpt = None,
    commodity: Annotated[
        str | None, typer.Option("--commodity", "-c", help="A commodity's HS basket.")
    ] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="Only rows of this kind (mfn, section301, …).")
    ] = None,
    view: Annotated[
        View,
        typer.Option(
            "--view",
            help="measures: the rows of the data (filtered; in force on --date if given); "
            "duty: the duty resolved for every HS6 × --origin × --destination on --date, "
            "with its components and sources.",
            case_sensitive=False,
        ),
    ] = View.measures,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
) -> None:
    """Show the tariff rows, or the duty they give one flow (--view duty).

    Every row names its legal basis, source and confidence (high, medium, low, judgement,
    assumption, user). A duty whose base (MFN) rate is not in the data shows as empty.
    """
    from minsec.catalog import tariff_tables as tt
    from minsec.catalog import tariffs as tf

    b = tf.book()
    meta = {
        "user_file": str(tf.user_path()),
        "coverage": "US duties on the catalog's critical-mineral HS codes, the US-Japan and "
        "US-EU deal caps, Section 232/301, a few EU/UK rates, 0 % assumed for ores (HS 25-26) "
        "elsewhere; see docs/tariffs.md",
    }
    if view is View.measures:
        day = _day(date) if date else None
        frame = tt.measures_frame(
            b,
            hs=hs6 or None,
            origin=origin,
            destination=destination,
            day=day,
            kind=kind,
        )
        title = "Tariff rows" + (f" in force on {day}" if day else "")
    else:
        day = _day(date)
        codes = tt.hs_codes(b, hs6, commodity)
        origins = tt.parties(origin, "--origin")
        destinations = tt.parties(destination, "--destination")
        missing = [
            name
            for name, v in (
                ("--hs6 or --commodity", codes),
                ("--origin", origins),
                ("--destination", destinations),
            )
            if not v
        ]
        if missing:
            raise InputError(f"--view duty needs {', '.join(missing)}", column=missing[0])
        frame = tt.duties_frame(b, codes, origins, destinations, day)
        title = f"Duties on {day}"
    if Format(fmt) is Format.table:
        frame = frame[[c for c in _TABLE[view] if c in frame.columns]]
    emit(frame, fmt, output=output, title=title, meta=meta)


@tariffs_app.command("set")
def tariffs_set(
    hs6: Annotated[str, typer.Option("--hs6", help="HS6 code, or a chapter/heading prefix.")],
    origin: Annotated[str, typer.Option("--origin", help="Exporter: country, bloc or all.")],
    destination: Annotated[str, typer.Option("--destination", help="Importer: country or bloc.")],
    duty: Annotated[
        float, typer.Option("--duty", help="Ad valorem duty as a fraction: 0.935 = 93.5 %.")
    ],
    valid_from: Annotated[str, typer.Option("--from", help="First day in force, 2026-01-01.")],
    source: Annotated[
        str, typer.Option("--source", help="Where the number comes from (required).")
    ],
    valid_to: Annotated[
        str | None, typer.Option("--to", help="Last day in force (default: open-ended).")
    ] = None,
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="user (default): the all-in duty, replacing every other component; or a "
            "component: mfn, preferential, reciprocal, ieepa, section232, section301, "
            "antidumping, countervailing, deal-cap.",
        ),
    ] = "user",
    legal_basis: Annotated[str | None, typer.Option("--legal-basis", help="The measure.")] = None,
    confidence: Annotated[
        str,
        typer.Option("--confidence", help="high, medium, low, judgement, assumption or user."),
    ] = "user",
    note: Annotated[str | None, typer.Option("--note", help="A caveat.")] = None,
    measure_id: Annotated[
        str | None,
        typer.Option(
            "--id",
            help="Row id (default: kind-hs-origin-destination-from); an id "
            "already in your file is replaced, a packaged id is overridden.",
        ),
    ] = None,
) -> None:
    """Add a tariff row to $MINSEC_HOME/tariffs.toml (checked first; a bad row stores nothing).

    Example: minsec tariffs set --hs6 250490 --origin CHN --destination USA --duty 0.935
    --from 2026-01-01 --source "scenario: AD rate of the AAM case applied to all graphite"
    """
    from minsec.catalog import tariff_file

    fields = {
        "id": measure_id,
        "kind": kind,
        "hs": hs6,
        "origin": origin,
        "destination": destination,
        "duty": duty,
        "valid_from": valid_from,
        "legal_basis": legal_basis,
        "source": source,
        "confidence": confidence,
        "note": note,
    }
    if valid_to is not None:
        fields["valid_to"] = valid_to
    options = {
        "hs": "--hs6", "origin": "--origin", "destination": "--destination", "duty": "--duty",
        "valid_from": "--from", "valid_to": "--to", "kind": "--kind", "source": "--source",
        "confidence": "--confidence", "applies_to": "--kind",
    }  # fmt: skip
    try:
        m = tariff_file.set_measure({k: v for k, v in fields.items() if v is not None})
    except InputError as exc:
        raise InputError(
            exc.message, path=exc.path, column=options.get(exc.column or "", exc.column),
            hint=exc.hint,
        ) from None  # fmt: skip
    err.print(
        f"stored {m.id}: {m.kind} {100 * (m.duty or 0):g} % on HS {m.hs or 'all'} from "
        f"{m.origin} to {m.destination}, from {m.valid_from}"
        + (f" to {m.valid_to}" if m.valid_to else "")
        + f" (in {m.file})",
        highlight=False,
    )


@tariffs_app.command("unset")
def tariffs_unset(
    measure_id: Annotated[str, typer.Argument(metavar="ID", help="Id of one of your rows.")],
) -> None:
    """Take one of your rows out of $MINSEC_HOME/tariffs.toml (packaged rows stay)."""
    from minsec.catalog import tariff_file

    tariff_file.unset_measure(measure_id)
    err.print(f"unset {measure_id}", highlight=False)


_LANDED_TABLE = [
    "hs6", "rank", "origin", "exports_t", "unit_value_usd_per_t", "duty_pct",
    "freight_usd_per_t", "landed_usd_per_t", "duty_confidence",
]  # fmt: skip


@tariffs_app.command("landed-cost")
def tariffs_landed_cost(
    commodity: Annotated[str, typer.Option("--commodity", "-c", help="Commodity id or name.")],
    destination: Annotated[str, typer.Option("--destination", help="Importing country.")],
    date: DateOpt = None,
    year: Annotated[
        int | None, typer.Option("--year", help="Trade year for unit values (default: latest).")
    ] = None,
    hs6: HsOpt = None,
    top: Annotated[int, typer.Option("--top", help="Main exporters per HS6 code.")] = 15,
    trade_source: Annotated[
        str | None, typer.Option("--trade-source", help="Store trade source (default: HS92).")
    ] = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    store: StoreOpt = None,
) -> None:
    """Main suppliers of a commodity ranked by landed cost in a destination.

    landed = export unit value (BACI, FOB) × (1 + duty on --date) + freight, per HS6 code.
    """
    from minsec.assess.landed_cost import supplier_landed_costs
    from minsec.store import Store

    with progress(f"landed cost {commodity} → {destination}"), Store(store, read_only=True) as st:
        frame, meta = supplier_landed_costs(
            st,
            commodity,
            destination,
            day=_day(date) if date else None,
            year=year,
            hs6=hs6,
            top=top,
            trade_source=trade_source,
        )
    if Format(fmt) is Format.table:
        frame = frame[_LANDED_TABLE]
    title = (
        f"{meta['commodity']} suppliers by landed cost in {meta['destination']} on "
        f"{meta['date']} (unit values {meta['trade_year']}, USD/t)"
    )
    emit(frame, fmt, output=output, title=title, meta=meta)
