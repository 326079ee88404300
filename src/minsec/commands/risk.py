"""``minsec risk``: Monte Carlo supply risk of one mineral for importers and blocs."""

from __future__ import annotations

import dataclasses
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from minsec.commands._common import FormatOpt, OutputOpt, StoreOpt, err
from minsec.output import Format, emit


class BackendChoice(StrEnum):
    """Where the runs are computed."""

    numpy = "numpy"
    dask = "dask"


TABLE_COLUMNS = (
    "importer",
    "consumption_t",
    "expected_shortfall_t",
    "expected_shortfall_pct",
    "var{a}_pct",
    "cvar{a}_pct",
    "p_shortfall_gt_{t}pct",
    "price_mean",
    "price_p95",
)


def _overrides(items: list[str] | None, commodity: str) -> list[tuple[str, float]]:
    from minsec.errors import InputError

    out = []
    for item in items or []:
        country, sep, value = item.partition("=")
        try:
            prob = float(value)
        except ValueError:
            prob = float("nan")
        if not sep or not country.strip() or not 0.0 <= prob <= 1.0:
            raise InputError(
                f"--override {item!r} must be COUNTRY=PROBABILITY with a probability in "
                f"[0, 1] (annual probability that the country restricts {commodity})",
                column="--override",
            )
        out.append((country.strip(), prob))
    return out


def risk_cmd(
    commodity: Annotated[
        str, typer.Option("--commodity", "-c", help="The mineral (catalog id or name).")
    ],
    importer: Annotated[
        str,
        typer.Option(
            "--importer",
            "-i",
            help="Countries and blocs, comma-separated (e.g. USA,JPN,like-minded); "
            "'all' = every country that consumes the mineral.",
        ),
    ] = "USA,JPN",
    runs: Annotated[
        int, typer.Option("--runs", "-n", help="Simulated years (Monte Carlo runs).")
    ] = 10_000,
    seed: Annotated[
        int | None,
        typer.Option(help="Seed; the same seed gives identical results (default: random)."),
    ] = None,
    year: Annotated[
        int | None,
        typer.Option("--year", "-y", help="Baseline year of trade (default: the latest)."),
    ] = None,
    stage: Annotated[
        str | None, typer.Option(help="Stage of the trade basket: ore or refined.")
    ] = None,
    backend: Annotated[
        BackendChoice,
        typer.Option(help="numpy (in-process) or dask (LocalCluster, or --scheduler)."),
    ] = BackendChoice.numpy,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler address (tcp://host:8786) for --backend dask."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="NumPy backend: worker processes (threads when the process cannot fork); "
            "Dask LocalCluster: worker processes. Default: one per CPU, at most 8 "
            "(NumPy) or 2 (Dask). Results do not depend on it.",
            min=1,
        ),
    ] = None,
    chunk_runs: Annotated[
        int | None, typer.Option(help="Runs per task (does not change results).")
    ] = None,
    alpha: Annotated[float, typer.Option(help="Confidence level of VaR and CVaR.")] = 0.95,
    threshold: Annotated[
        float, typer.Option(help="Shortfall share x of P(shortfall > x · consumption).")
    ] = 0.10,
    model_file: Annotated[
        Path | None,
        typer.Option("--model", help="Risk model TOML on top of the defaults (see docs)."),
    ] = None,
    override: Annotated[
        list[str] | None,
        typer.Option(
            "--override",
            help="Annual restriction probability of a country for this mineral, "
            "COUNTRY=P (repeatable), e.g. --override CHN=0.3.",
        ),
    ] = None,
    targets: Annotated[
        str | None,
        typer.Option(help="Whom restrictions target: 'all' or a bloc (e.g. like-minded)."),
    ] = None,
    correlation: Annotated[
        float | None,
        typer.Option(help="Latent correlation of events within the model's blocs (0–1)."),
    ] = None,
    outages: Annotated[
        bool | None, typer.Option("--outages/--no-outages", help="Production outages.")
    ] = None,
    history: Annotated[
        bool | None,
        typer.Option("--history/--no-history", help="Raise p after past restrictions."),
    ] = None,
    months: Annotated[int, typer.Option(help="Horizon of each run in months.")] = 12,
    max_runs: Annotated[
        int | None, typer.Option(help="Cap on --runs (default 10,000,000).")
    ] = None,
    exporters: Annotated[
        bool,
        typer.Option("--exporters", help="Print the exporters' probabilities instead of the risk."),
    ] = False,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    store: StoreOpt = None,
) -> None:
    """Monte Carlo supply risk: expected shortfall, VaR/CVaR, P(shortfall > 10 %), prices.

    Each run is one year in which every exporter may restrict exports of the mineral with
    a probability set by its WGI political stability (and past restrictions); durations
    and magnitudes are drawn from documented distributions (docs/montecarlo.md). A bloc is
    one importer. Progress goes to stderr, so --format json on stdout stays clean.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from minsec.catalog import commodities
    from minsec.disrupt.baseline import commodity_parameters
    from minsec.disrupt.montecarlo import run_risk
    from minsec.disrupt.risk_model import RiskModel
    from minsec.store import Store

    cid = commodities.resolve(commodity)
    model = RiskModel.load(model_file)
    changes: dict[str, Any] = {}
    if targets is not None:
        changes["targets"] = targets
    if correlation is not None:
        changes["rho"] = correlation
    if outages is not None:
        changes["outage_enabled"] = outages
    if history is not None:
        changes["history_enabled"] = history
    if changes:
        model = dataclasses.replace(model, **changes)
    for country, prob in _overrides(override, cid):
        model = model.with_override(country, probability=prob, commodity=cid)
    params = commodity_parameters(cid).engine_parameters(months=months)
    importers = None if importer.strip().lower() == "all" else importer
    options: dict[str, Any] = {} if stage is None else {"stage": stage}
    cluster_options = {"n_workers": workers} if workers is not None else None

    with (
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        ) as bar,
        Store(store, read_only=True) as st,
    ):
        task = bar.add_task(f"risk {cid}: runs", total=runs)
        result = run_risk(
            st,
            importers,
            runs=runs,
            seed=seed,
            commodity=cid,
            year=year,
            model=model,
            params=params,
            backend=backend.value,
            scheduler=scheduler,
            workers=workers if backend is BackendChoice.numpy else 1,
            cluster_options=cluster_options,
            chunk_runs=chunk_runs,
            alpha=alpha,
            threshold=threshold,
            max_runs=max_runs,
            baseline_options=options,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    meta = dict(result.meta)
    meta["price"] = result.price.to_dict(orient="records")
    title = (
        f"Supply risk of {cid} ({result.meta['stage']}, {result.meta['year']}), "
        f"{runs:,} runs, seed {result.meta['seed']}"
    )
    if exporters:
        frame = result.exporters
        if Format(fmt) is Format.table:
            frame = frame[
                ["country", "exports_t", "wgi_score", "p_governance", "history_factor",
                 "override", "p_restrict", "event_rate"]
            ]  # fmt: skip
        emit(frame, fmt, output=output, title=f"Exporters of {cid}: annual probabilities",
             meta=meta)  # fmt: skip
        return
    frame = result.summary
    if Format(fmt) is Format.table:
        a = f"{alpha * 100:g}".replace(".", "_")
        t = f"{threshold * 100:g}".replace(".", "_")
        frame = frame[[c.format(a=a, t=t) for c in TABLE_COLUMNS]]
        for note in result.meta.get("notes", []):
            err.print(f"note: {note}", highlight=False)
    emit(frame, fmt, output=output, title=title, meta=meta)
