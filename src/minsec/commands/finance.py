"""``minsec finance`` and ``minsec projects``: project registry and cash-flow model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from minsec.commands._common import FormatOpt, OutputOpt, StoreOpt
from minsec.output import Format, emit

projects_app = typer.Typer(help="The project registry: import, list, show.", no_args_is_help=True)


def finance_cmd(
    project_id: Annotated[str, typer.Argument(help="Project id (see `minsec projects list`).")],
    instrument: Annotated[
        list[str] | None,
        typer.Option(
            "--instrument",
            "-I",
            help="Instrument spec (repeatable), e.g. loan:rate=0.03,tenor=12,grace=2; "
            "grant:amount=5e7; guarantee:coverage=0.8,fee=0.01; equity:stake=0.2; "
            "offtake:volume=1000,price=70000; floor:price=60000; cfd:strike=65000; insurance.",
        ),
    ] = None,
    price: Annotated[
        float | None, typer.Option("--price", help="Flat price, USD per tonne of product.")
    ] = None,
    discount_rate: Annotated[
        float | None, typer.Option("--discount-rate", help="Sponsor discount rate (e.g. 0.10).")
    ] = None,
    view: Annotated[
        str, typer.Option("--view", help="summary, cashflows or vehicle (the $550 bn split).")
    ] = "summary",
    deemed_allocation: Annotated[
        float | None,
        typer.Option(
            "--deemed-allocation",
            help="Vehicle: Japan's deemed allocation, USD (default: funding).",
        ),
    ] = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    store: StoreOpt = None,
) -> None:
    """Cash flows of a project under instruments: NPV, IRR, min DSCR, bankable, public cost."""
    from minsec.errors import InputError
    from minsec.finance import instruments as ins
    from minsec.finance import projects, spec, vehicle
    from minsec.store import Store

    with Store(store, read_only=True) as st:
        row = projects.get_project(st, project_id)
    inputs = projects.inputs_for(row, price_usd_per_t=price, discount_rate=discount_rate)
    chosen = tuple(spec.parse(s) for s in instrument or [])
    cf = ins.evaluate(inputs, chosen)
    label = ", ".join(instrument or []) or "no support"
    if view == "cashflows":
        emit(cf.table, fmt, output=output, title=f"{project_id}: cash flows ({label})")
        return
    if view == "vehicle":
        frame = vehicle.split(cf.table["project_cf_usd"].to_numpy(), deemed_allocation)
        res = vehicle.returns(frame, inputs.public_discount_rate)
        emit(
            res,
            fmt,
            output=output,
            title=f"{project_id} under the $550 bn vehicle (50/50, then 90/10 to the US)",
            meta={"project_id": project_id, "rate": inputs.public_discount_rate},
        )
        return
    if view != "summary":
        raise InputError(f"--view {view!r}; choose summary, cashflows or vehicle", column="--view")
    s = cf.summary()
    s = {"project_id": project_id, "instruments": label, **s}
    emit(
        pd.DataFrame([s]),
        fmt,
        output=output,
        title=f"{project_id} ({row.get('name')}): {label}",
        meta={"project_id": project_id},
    )


@projects_app.command("list")
def projects_list(
    commodity: Annotated[str | None, typer.Option("--commodity", "-c")] = None,
    stage: Annotated[str | None, typer.Option("--stage")] = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    store: StoreOpt = None,
) -> None:
    """List the projects in the store."""
    from minsec.catalog import commodities
    from minsec.finance import projects
    from minsec.store import Store

    cid = commodities.find(commodity) if commodity else None
    with Store(store, read_only=True) as st:
        frame = projects.list_projects(st, commodity=cid or commodity, stage=stage)
    emit(frame, fmt, output=output, title="Projects")


@projects_app.command("show")
def projects_show(
    project_id: Annotated[str, typer.Argument(help="Project id.")],
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    store: StoreOpt = None,
) -> None:
    """One project: its registry row and the model assumptions used for it."""
    from minsec.finance import projects
    from minsec.store import Store

    with Store(store, read_only=True) as st:
        row = projects.get_project(st, project_id)
    a = projects.assumptions(row)
    items = [(k, v) for k, v in row.items()] + [
        (f"assumed.{k}", ", ".join(map(str, v)) if isinstance(v, list) else v) for k, v in a.items()
    ]
    frame = pd.DataFrame(
        {"field": [k for k, _ in items], "value": [None if v is None else str(v) for _, v in items]}
    )
    emit(frame, fmt, output=output, title=f"Project {project_id}")


@projects_app.command("import")
def projects_import(
    path: Annotated[Path, typer.Argument(help="Project CSV or Busch Deposit.csv.", exists=True)],
    kind: Annotated[
        str,
        typer.Option("--kind", help="projects (CSV of the projects table) or lithium-projects."),
    ] = "projects",
    source_id: Annotated[str | None, typer.Option("--as", help="Source id to record.")] = None,
    store: StoreOpt = None,
    force: Annotated[
        bool, typer.Option(help="Re-import even if the checksum is recorded.")
    ] = False,
) -> None:
    """Import projects (the same as `minsec data import projects|lithium-projects PATH`)."""
    from minsec.cli import data_import

    data_import(kind, path, source_id=source_id, option=None, store=store, force=force)
