"""``minsec plan PORTFOLIO.yaml``: choose projects and instruments against Monte Carlo need."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from minsec.commands._common import FormatOpt, OutputOpt, StoreOpt, err
from minsec.output import Format, emit


class View(StrEnum):
    """Tables of a plan result."""

    portfolio = "portfolio"
    options = "options"
    shortfall = "shortfall"
    accelerations = "accelerations"
    summary = "summary"


# what fits a terminal (money in million USD); CSV, JSON and Parquet carry every column
TABLE_COLUMNS: dict[str, list[str]] = {
    "portfolio": [
        "name",
        "country",
        "chosen",
        "instrument",
        "public_cost_usd",
        "private_capital_mobilised_usd",
        "first_output_p50_year",
    ],
    "options": [
        "project_id",
        "instrument",
        "public_cost_usd",
        "private_capital_mobilised_usd",
        "bankable",
        "chosen",
    ],
    "accelerations": [
        "name",
        "in_portfolio",
        "permit_expected_months",
        "shortfall_avoided_t_12m_per_month",
        "standalone_shortfall_avoided_t_12m_per_month",
    ],
}


def _terminal_table(frame: pd.DataFrame, view: str) -> pd.DataFrame:
    cols = [c for c in TABLE_COLUMNS.get(view, list(frame.columns)) if c in frame.columns]
    out = frame[cols].copy()
    money = [c for c in cols if c.endswith("_usd")]
    for c in money:
        out[c] = out[c] / 1e6
    for c in [c for c in cols if c.endswith("_year")]:
        out[c] = [f"{v:.1f}" if pd.notna(v) else "—" for v in out[c]]
    return out.rename(columns={c: c[: -len("_usd")] + "_musd" for c in money})


def plan_cmd(
    spec_file: Annotated[
        Path, typer.Argument(help="Plan YAML (see examples/portfolio.yaml).", metavar="PLAN.yaml")
    ],
    budget: Annotated[
        float | None, typer.Option("--budget", help="Total public budget, USD (e.g. 2e9).")
    ] = None,
    objective: Annotated[
        str | None,
        typer.Option("--objective", help="expected, cvar95 or tonnes_per_dollar."),
    ] = None,
    runs: Annotated[
        int | None, typer.Option("--runs", help="Monte Carlo scenarios (of horizon years each).")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the plan.")] = None,
    buckets: Annotated[
        int | None,
        typer.Option("--buckets", help="Scenario buckets for the solve (0 = all scenarios)."),
    ] = None,
    relax: Annotated[
        bool, typer.Option("--relax", help="Fractional participation (LP) instead of 0/1.")
    ] = False,
    solver: Annotated[
        str | None,
        typer.Option("--solver", help="MIP solver: highs (default) or scip (needs pyscipopt)."),
    ] = None,
    view: Annotated[View, typer.Option("--view", help="Which table to print.")] = View.portfolio,
    chosen_only: Annotated[
        bool, typer.Option("--chosen-only", help="Portfolio view: only the chosen projects.")
    ] = False,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    store: StoreOpt = None,
) -> None:
    """Plan a project portfolio: projects × instruments within a budget, against shortfall.

    Projects come from the YAML (and the store's registry), instrument costs and
    bankability from the cash-flow model, shortfall scenarios from the disruption Monte
    Carlo on the store's data. Output: the chosen portfolio, instrument and public cost per
    project, private capital mobilised, shortfall before/after, the budget's dual and the
    value of permitting acceleration. Progress goes to stderr.
    """
    from minsec.finance import plan
    from minsec.store import Store

    overrides: dict[str, object] = {"budget_usd": budget, "objective": objective, "runs": runs}
    overrides["seed"] = seed
    overrides["solver"] = solver
    if relax:
        overrides["binary"] = False
    spec = plan.load_spec(spec_file, **overrides)
    if buckets is not None:
        spec = spec.model_copy(update={"buckets": None if buckets == 0 else max(buckets, 2)})
    last = [-1.0]

    def report(text: str, frac: float) -> None:
        if frac - last[0] >= 0.05 or frac >= 1.0:
            last[0] = frac
            err.print(f"[{frac:4.0%}] {text}", highlight=False)

    with Store(store, read_only=True) as st:
        result = plan.run_plan(spec, st, progress=report)
    frame = result.view(view.value)
    if view is View.portfolio and chosen_only:
        frame = frame[frame["chosen"]].reset_index(drop=True)
    meta = dict(result.meta)
    meta["summary"] = dict(zip(result.summary["metric"], result.summary["value"], strict=True))
    if Format(fmt) is Format.table:
        emit(result.summary, fmt, title=f"{spec.name}: {spec.objective}, {spec.runs:,} runs")
        for note in meta.get("notes", []):
            err.print(f"note: {note}", highlight=False)
        frame = _terminal_table(frame, view.value)
    emit(frame, fmt, output=output, title=f"{spec.name}: {view.value}", meta=meta)
