"""``minsec stockpile size``: complementary stockpiles sized to a target risk."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from minsec.commands._common import FormatOpt, OutputOpt, StoreOpt, err
from minsec.disrupt.stockpile_sizing import SizingTable
from minsec.output import Format, emit, to_records

stockpile_app = typer.Typer(help="Stockpiles: size them to a target risk.", no_args_is_help=True)


class BasisChoice(StrEnum):
    """What stock must cover."""

    need = "need"
    shortfall = "shortfall"


TERMINAL_COLUMNS: dict[str, list[str]] = {
    "summary": [
        "partner",
        "risk_before_pct",
        "holding_usd_per_t_year",
        "pooled_stock_t",
        "pooled_days_of_cover",
        "pooled_risk_after_pct",
        "pooled_received_from_others_t_per_year",
        "alone_stock_t",
        "alone_days_of_cover",
        "alone_risk_after_pct",
    ],
    "totals": ["mode", "stock_t", "days_of_cover", "cost_usd_per_year", "status", "solve_seconds"],
    "curve": [
        "level_pct",
        "is_target",
        "pooled_stock_t",
        "pooled_cost_usd_per_year",
        "alone_stock_t",
        "alone_cost_usd_per_year",
        "saving_pct",
    ],
    "costs": [
        "partner",
        "price_usd_per_t",
        "storage_usd_per_t_year",
        "capital_rate",
        "holding_usd_per_t_year",
    ],
}


def _pairs(items: list[str] | None, option: str, what: str) -> dict[str, float]:
    """``["USA=100", …]`` → ``{"USA": 100.0}``; a bad item is an error naming the option."""
    from minsec.errors import InputError

    out: dict[str, float] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not sep or not name.strip() or not number >= 0 or number == float("inf"):
            raise InputError(
                f"{option} {item!r} must be PARTNER=NUMBER with a number ≥ 0 ({what})",
                column=option,
            )
        out[name.strip()] = number
    return out


def size_cmd(
    commodity: Annotated[
        str, typer.Option("--commodity", "-c", help="The mineral (catalog id or name).")
    ],
    target: Annotated[
        str,
        typer.Option(
            "--target",
            "-t",
            help="cvar95<=5% (CVaR 95 of each partner's shortfall ≤ 5 % of its consumption) "
            "or p10<=5% (P(shortfall > 10 %) ≤ 5 %).",
        ),
    ],
    importer: Annotated[
        str,
        typer.Option("--importer", "-i", help="Partners: countries and blocs, comma-separated."),
    ] = "USA,JPN",
    runs: Annotated[int, typer.Option("--runs", "-n", help="Monte Carlo runs.")] = 10_000,
    seed: Annotated[int | None, typer.Option(help="Seed (default: random).")] = None,
    year: Annotated[
        int | None, typer.Option("--year", "-y", help="Baseline year (default: the latest).")
    ] = None,
    stage: Annotated[str | None, typer.Option(help="Trade-basket stage: ore or refined.")] = None,
    months: Annotated[int, typer.Option(help="Horizon of each run in months.")] = 12,
    basis: Annotated[
        BasisChoice,
        typer.Option(
            help="need: what a partner lacks at pre-disruption prices (what its stockpile "
            "draws); shortfall: the engine's shortfall after the market's response."
        ),
    ] = BasisChoice.need,
    price: Annotated[
        float | None,
        typer.Option(
            "--price-usd-per-t", help="Today's price (default: the baseline's unit value)."
        ),
    ] = None,
    price_source: Annotated[
        str | None, typer.Option(help="Where --price-usd-per-t comes from (shown with results).")
    ] = None,
    costs_file: Annotated[
        Path | None,
        typer.Option("--costs", help="Holding-cost TOML on top of the defaults (see docs)."),
    ] = None,
    existing: Annotated[
        list[str] | None,
        typer.Option("--existing", help="Stock already held, PARTNER=TONNES (repeatable)."),
    ] = None,
    max_stock: Annotated[
        list[str] | None,
        typer.Option("--max-stock", help="Most a partner can hold, PARTNER=TONNES (repeatable)."),
    ] = None,
    release: Annotated[
        list[str] | None,
        typer.Option(
            "--release-per-month",
            help="Most a partner can release per month, PARTNER=TONNES (repeatable).",
        ),
    ] = None,
    override: Annotated[
        list[str] | None,
        typer.Option("--override", help="Annual restriction probability, COUNTRY=P (repeatable)."),
    ] = None,
    curve_points: Annotated[
        int, typer.Option(help="Points on the curve of cost against the target (2–41).")
    ] = 6,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify", help="Re-simulate the stocks through the engine (4 more Monte Carlo runs)."
        ),
    ] = False,
    workers: Annotated[
        int | None, typer.Option(help="Monte Carlo workers (default: the CPUs, at most 8).")
    ] = None,
    time_limit: Annotated[
        float | None, typer.Option(help="Seconds for a pooled probability-target MIP.")
    ] = None,
    max_runs: Annotated[int | None, typer.Option(help="Cap on --runs.")] = None,
    view: Annotated[
        SizingTable, typer.Option("--view", help="Which table to print.")
    ] = SizingTable.summary,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    store: StoreOpt = None,
) -> None:
    """Size complementary stockpiles to a target risk, pooled and each partner alone.

    The cheapest stocks that bring each partner's risk under the target, with coordinated
    releases between partners (pooled) and without (alone).

    The disruption Monte Carlo gives each partner's loss in every run; a stochastic LP
    (HiGHS) chooses each partner's stock and each run's releases. Output: stock, days of
    cover and yearly cost per partner, the saving of pooling, the curve of cost against the
    target, the flows between partners and the cost data with sources
    (docs/stockpile-sizing.md). Progress goes to stderr.
    """
    from minsec.catalog import commodities
    from minsec.commands.risk import _overrides
    from minsec.disrupt.risk_model import RiskModel
    from minsec.disrupt.stockpile_sizing.costs import load_table
    from minsec.disrupt.stockpile_sizing.study import size_stockpiles
    from minsec.disrupt.stockpile_sizing.target import parse_target
    from minsec.store import Store

    cid = commodities.resolve(commodity)
    goal = parse_target(target)  # before any work: a bad target is a quick error
    model = RiskModel.load()
    for country, prob in _overrides(override, cid):
        model = model.with_override(country, probability=prob, commodity=cid)
    last = [-1.0]

    def report(text: str, frac: float) -> None:
        if err.is_terminal and (frac - last[0] >= 0.05 or frac >= 1.0):
            last[0] = frac
            err.print(f"[{frac:4.0%}] {text}", highlight=False)

    with Store(store, read_only=True) as st:
        result = size_stockpiles(
            st,
            importer,
            goal,
            commodity=cid,
            year=year,
            stage=stage,
            runs=runs,
            seed=seed,
            basis="need" if basis is BasisChoice.need else "shortfall",
            months=months,
            model=model,
            price_usd_per_t=price,
            price_source=price_source,
            cost_table=load_table(costs_file),
            existing_t=_pairs(existing, "--existing", "tonnes held"),
            max_stock_t=_pairs(max_stock, "--max-stock", "tonnes"),
            release_t_per_month=_pairs(release, "--release-per-month", "tonnes per month"),
            curve_points=curve_points,
            verify=verify,
            workers=workers,
            max_runs=max_runs,
            time_limit=time_limit,
            progress=report,
        )
    meta = dict(result.meta)
    frame = result.view(view.value)
    if Format(fmt) is Format.json:
        meta["tables"] = {
            name: to_records(result.view(name)) for name in ("totals", "costs", "curve", "flows")
        }
        if verify:
            meta["tables"]["verify"] = to_records(result.view("verify"))
    title = (
        f"Stockpiles of {meta['commodity']} for {', '.join(meta['partners'])}: {meta['target']}, "
        f"{meta['runs']:,} runs, seed {meta['seed']} ({meta['basis']} basis)"
    )
    if Format(fmt) is Format.table:
        emit(_terminal(result.view("totals"), "totals"), fmt, title="Totals")
        saving = meta["saving_usd_per_year"]
        err.print(
            "the target cannot be met with each partner's own stock: only pooling meets it"
            if saving is None
            else f"pooling saves {saving / 1e6:,.3f} million USD a year "
            f"({meta['saving_pct']:.1f} %) against each partner alone",
            highlight=False,
        )
        err.print(
            f"price {meta['price_usd_per_t']:,.0f} USD/t ({meta['price_source']})",
            highlight=False,
        )
        for note in meta.get("notes", []):
            err.print(f"note: {note}", highlight=False)
        frame = _terminal(frame, view.value)
    emit(frame, fmt, output=output, title=title, meta=meta)


def _terminal(frame: pd.DataFrame, view: str) -> pd.DataFrame:
    cols = [c for c in TERMINAL_COLUMNS.get(view, list(frame.columns)) if c in frame.columns]
    return frame[cols]


stockpile_app.command("size")(size_cmd)
