"""``minsec simulate`` and ``minsec scenarios``: run disruption scenarios, list the named ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from minsec.commands._common import FormatOpt, OutputOpt, StoreOpt, err, progress
from minsec.commands.backtest import backtest_cmd
from minsec.commands.sensitivity import Metric, emit_sensitivity
from minsec.disrupt.model import ResultTable
from minsec.errors import InputError
from minsec.output import Format, emit

scenarios_app = typer.Typer(
    help="Named disruption scenarios shipped with minsec (real cases and policy cases).",
    no_args_is_help=True,
)


View = ResultTable


#: Columns a terminal table shows (CSV, JSON and Parquet carry every column).
_TABLE_COLUMNS = {
    View.summary: [
        "stage", "party", "shortfall_t", "shortfall_pct", "first_month_shortfall_t",
        "peak_shortfall_pct", "peak_price_change_pct", "value_at_risk_usd", "stock_release_t",
    ],
    View.monthly: [
        "stage", "date", "party", "shortfall_t", "shortfall_pct", "price_change_pct",
        "value_at_risk_usd", "stock_release_t",
    ],
    View.market: [
        "stage", "date", "price_change_pct", "withheld_t", "diverted_t", "spare_output_t",
        "stock_release_t", "world_shortfall_pct",
    ],
    View.response: [
        "stage", "date", "coordinated", "source", "source_kind", "owner", "partner", "tonnes",
    ],
    View.response_shortfall: [
        "stage", "date", "partner", "coordinated", "need_t", "received_t", "shortfall_t",
        "shortfall_pct",
    ],
    View.trade_shift: [
        "stage", "party", "from_taxed_baseline_t", "from_taxed_change_t", "from_taxed_change_pct",
        "from_others_baseline_t", "from_others_change_t", "from_others_change_pct",
    ],
    View.tariff_sources: [
        "stage", "importer", "rank", "origin", "role", "duty_after_pct",
        "landed_before_usd_per_t", "landed_after_usd_per_t", "baseline_t", "change_t",
    ],
}  # fmt: skip

TradeSourceOpt = Annotated[
    str | None,
    typer.Option(
        "--trade-source",
        help="Store trade source (default: the embedded HS92 data, or an imported source "
        "that has the codes, e.g. BACI HS17 for gallium/germanium).",
    ),
]


def simulate_cmd(
    scenario_file: Annotated[
        Path | None,
        typer.Argument(help="Scenario file (YAML or JSON); or use --scenario NAME."),
    ] = None,
    scenario: Annotated[
        str | None,
        typer.Option("--scenario", "-s", help="A named scenario (see `minsec scenarios list`)."),
    ] = None,
    baseline_year: Annotated[
        int | None,
        typer.Option("--baseline-year", "-y", help="Baseline year (default: the scenario's)."),
    ] = None,
    view: Annotated[
        View,
        typer.Option(
            "--view",
            help="summary: per importer and bloc over the horizon; monthly: per month, "
            "importer and bloc; market: price and world totals per month; response: the "
            "coordinated allied allocation (who ships or releases what to whom); "
            "response-shortfall: shortfall with and without coordination; trade-shift "
            "(tariff events): per importer and bloc, imports from the taxed origins and from "
            "others; tariff-sources: the origins a taxing importer turns to, by landed cost.",
            case_sensitive=False,
        ),
    ] = View.summary,
    trade_source: TradeSourceOpt = None,
    sensitivity: Annotated[
        bool,
        typer.Option(
            "--sensitivity",
            help="The tornado instead of the result: each assumption of "
            "disrupt/data/sensitivity.toml at its low and high value, ranked by how much it "
            "moves the headline (--view is ignored).",
        ),
    ] = False,
    party: Annotated[
        str | None,
        typer.Option(
            "--party",
            help="With --sensitivity: partners whose shortfall is the headline, "
            "comma-separated (default USA,JPN; together and each).",
        ),
    ] = None,
    metric: Annotated[
        Metric,
        typer.Option("--metric", help="With --sensitivity: the number the terminal shows."),
    ] = Metric.shortfall_pct,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    store: StoreOpt = None,
) -> None:
    """Simulate a disruption: shortfall per importer and bloc, price, value at risk.

    Give a scenario file or a named scenario. Progress goes to stderr, so `--format json`
    or `--format csv` output on stdout stays clean; JSON carries the run's parameters and
    data caveats in "meta". `--sensitivity` gives the tornado of the scenario's assumptions.
    """
    from minsec.disrupt.scenario import get_scenario, load_scenario, simulate
    from minsec.store import Store

    if (scenario_file is None) == (scenario is None):
        raise InputError("give a scenario file or --scenario NAME (one of them)", column="SCENARIO")
    if scenario_file is not None and not Path(scenario_file).exists():
        from minsec.disrupt.scenario import named_scenarios

        names = named_scenarios()
        if str(scenario_file) in names:  # a named scenario given as the argument
            scenario, scenario_file = str(scenario_file), None
        elif Path(scenario_file).suffix.lower() not in {".yaml", ".yml", ".json"}:
            from minsec.catalog._names import suggestion
            from minsec.errors import UnknownNameError

            raise UnknownNameError(
                f"{scenario_file}: neither a scenario file nor a named scenario",
                hint=suggestion(str(scenario_file), list(names)),
            )
    spec = (
        load_scenario(scenario_file) if scenario_file is not None else get_scenario(str(scenario))
    )
    with progress(f"simulate {spec.name}") as bar, Store(store, read_only=True) as st:
        task = bar.task_ids[0]

        def step(text: str) -> None:
            bar.update(task, description=text)

        if sensitivity:
            from minsec.disrupt.sensitivity import sensitivity as run_sensitivity

            tornado = run_sensitivity(
                st, spec, parties=party, baseline_year=baseline_year,
                trade_source=trade_source, progress=step,
            )  # fmt: skip
            emit_sensitivity(tornado, fmt, metric=metric, party=None, output=output, err=err)
            return
        result = simulate(
            st, spec, baseline_year=baseline_year, trade_source=trade_source, progress=step
        )
    frame = result.table(view)
    if Format(fmt) is Format.table:
        frame = frame[[c for c in _TABLE_COLUMNS[view] if c in frame.columns]]
    title = f"{spec.title or spec.name} — {view.value}, baseline {result.baseline_year}"
    emit(frame, fmt, output=output, title=title, meta=result.meta())
    if Format(fmt) is Format.table:
        for note in result.notes:
            err.print(f"note: {note}", highlight=False)


@scenarios_app.command("list")
def scenarios_list(fmt: FormatOpt = Format.table, output: OutputOpt = None) -> None:
    """List the named scenarios: commodity, events, dates, sources."""
    from minsec.disrupt.scenario import ExportRestriction, ProductionOutage, named_scenarios

    rows = []
    for name, sc in named_scenarios().items():
        who = sorted(
            {
                e.exporter if isinstance(e, ExportRestriction)
                else e.country if isinstance(e, ProductionOutage)
                else "chokepoint"
                for e in sc.events
            }
        )  # fmt: skip
        rows.append(
            {
                # the short columns first: a terminal table shows those that fit
                "name": name,
                "commodity": sc.commodity,
                "first_event": min(e.start for e in sc.events).isoformat(),
                "countries": ",".join(who),
                "baseline_year": sc.baseline_year,
                "events": len(sc.events),
                "responses": len(sc.responses),
                "backtest": sc.backtest is not None,
                "title": sc.title,
                "sources": "; ".join(sc.sources),
            }
        )
    emit(pd.DataFrame(rows), fmt, output=output, title="Named disruption scenarios")


@scenarios_app.command("show")
def scenarios_show(
    name: Annotated[str, typer.Argument(help="Scenario name (see `minsec scenarios list`).")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="yaml (as shipped) or json.")] = "yaml",
    output: OutputOpt = None,
) -> None:
    """Print a named scenario (YAML as shipped, or JSON); copy it to write your own."""
    from minsec.disrupt.scenario import get_scenario, scenario_text

    if fmt.lower() == "json":
        text = json.dumps(get_scenario(name).model_dump(mode="json"), indent=1) + "\n"
    elif fmt.lower() in {"yaml", "table"}:
        text = scenario_text(name)
    else:
        raise InputError(f"--format {fmt!r}: use yaml or json", column="--format")
    if output is not None:
        output.write_text(text, encoding="utf-8")
    else:
        typer.echo(text, nl=False)


scenarios_app.command("backtest")(backtest_cmd)
