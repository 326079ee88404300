"""``minsec scenarios backtest``: predicted vs observed after real measures, MAE, fit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console

from minsec.commands._common import FormatOpt, OutputOpt, StoreOpt, progress
from minsec.disrupt.backtest import has_note
from minsec.output import Format, emit, rich_table

#: What a terminal table shows (fits 80 columns); CSV, JSON and Parquet carry every column.
TABLE_COLUMNS = {
    "scenario": "scenario",
    "period": "period",
    "flow": "flow",
    "predicted_change_pct": "pred %",
    "observed_change_pct": "obs %",
    "error_pp": "err pp",
}
_SHORT_FLOWS = {"from restricting": "restr.", "from others": "others"}


def _terminal(frame: pd.DataFrame) -> pd.DataFrame:
    ok = frame[frame["status"] == "ok"].copy()
    order = {"calibration": 0, "holdout": 1}
    ok = ok.sort_values("set", key=lambda s: s.map(order), kind="stable")
    ok["flow"] = ok["flow"].replace(_SHORT_FLOWS)
    noted = has_note(ok)
    ok.loc[noted, "flow"] = ok.loc[noted, "flow"] + " †"
    for c in ("predicted_change_pct", "observed_change_pct", "error_pp"):
        ok[c] = ok[c].astype(float).round(1) + 0.0  # no "-0"
    return ok[list(TABLE_COLUMNS)].rename(columns=TABLE_COLUMNS)


def _sets(frame: pd.DataFrame) -> list[str]:
    out = []
    for which in ("calibration", "holdout"):
        names = sorted(set(frame.loc[frame["set"] == which, "scenario"].dropna()))
        if names:
            out.append(f"{which}: {', '.join(names)}")
    return out


def _parameter_rows(parameters: pd.DataFrame) -> pd.DataFrame:
    from minsec.disrupt.backtest import FRAME_COLUMNS

    return pd.DataFrame(
        {
            "scenario": "fit",
            "kind": "parameter",
            "flow": parameters["name"],
            "series": parameters["mode"],
            "baseline": pd.to_numeric(parameters["default"], errors="coerce"),
            "predicted": parameters["fitted"],
            "method": parameters["note"],
            "status": "ok",
        }
    ).reindex(columns=list(FRAME_COLUMNS))


def _fold_rows(folds: pd.DataFrame, names: tuple[str, ...]) -> pd.DataFrame:
    """One CSV row per fold and parameter: the value fitted without the case (NaN: defaults)."""
    from minsec.disrupt.backtest import FRAME_COLUMNS

    long = folds.melt(id_vars=["scenario", "set"], value_vars=list(names), var_name="flow")
    return pd.DataFrame(
        {
            "scenario": "fold: " + long["scenario"],
            "set": long["set"],
            "kind": "parameter",
            "flow": long["flow"],
            "series": "fitted without the case",
            "predicted": long["value"].astype(float),
            "status": "ok",
        }
    ).reindex(columns=list(FRAME_COLUMNS))


def backtest_cmd(
    names: Annotated[
        list[str] | None,
        typer.Argument(help="Scenarios to back-test (default: all with a backtest section)."),
    ] = None,
    fit: Annotated[
        bool,
        typer.Option(
            "--fit",
            help="Fit the global parameters on the calibration cases and report every row "
            "at the fitted values (with the MAE before and after).",
        ),
    ] = False,
    cross_validate: Annotated[
        bool,
        typer.Option(
            "--cross-validate",
            help="Leave one case out: fit on all the other cases (whatever their set) and "
            "report each case at the values fitted without it, with the MAE at the defaults "
            "and cross-validated and the spread of the fitted values (a minute or two: one fit "
            "per case).",
        ),
    ] = False,
    placebo: Annotated[
        bool,
        typer.Option(
            "--placebo",
            help="Also run every row on earlier years without an event (the store's trade, "
            "same importers and basket): the market's own swing, and the error floor it puts "
            "under a model that does not forecast the market, next to the model's MAE. Adds "
            "the columns placebo_* and noise_floor_pp; CSV gets one row per event-free pair "
            "(scenario 'placebo: CASE').",
        ),
    ] = False,
    fit_spec: Annotated[
        Path | None,
        typer.Option(
            "--fit-spec",
            help="Fit specification TOML for --fit or --cross-validate (default: the "
            "packaged one).",
        ),
    ] = None,
    observations: Annotated[
        Path | None,
        typer.Option("--observations", help="Observation table CSV (default: the packaged one)."),
    ] = None,
    trade_source: Annotated[
        str | None,
        typer.Option("--trade-source", help="Store trade source (default: each scenario's)."),
    ] = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    store: StoreOpt = None,
) -> None:
    """Compare predicted and observed changes after real measures: trade and prices, MAE.

    Each row: predicted and observed change (% of the base period), error in percentage
    points, whether the direction is right, and the case's set (calibration or holdout).
    The summary gives the MAE of the trade rows overall, on the holdout and on the
    calibration cases, of the price rows apart, and the rows whose observed change
    exceeds 20 % with the wrong direction. CSV output ends with the summary rows
    (scenario = summary); JSON has them in "meta". --fit fits the global parameters on the
    calibration cases; --cross-validate fits them once per case on all the others, so every
    row is out of sample. --placebo measures how much of the error is the market's own
    year-to-year swing, which no event explains.
    """
    from minsec.disrupt.backtest import (
        finish,
        load_observations,
        prepare,
        summarize,
        summary_frame,
    )
    from minsec.disrupt.backtest_fit import cross_validate as run_cross_validation
    from minsec.disrupt.backtest_fit import fit as run_fit
    from minsec.disrupt.backtest_fit import load_fit_spec
    from minsec.errors import InputError
    from minsec.store import Store

    if fit and cross_validate:
        raise InputError(
            "--fit and --cross-validate are two ways of fitting: choose one",
            column="--cross-validate",
        )
    table = load_observations(observations)
    fitting = fit or cross_validate
    spec = load_fit_spec(fit_spec) if fitting or fit_spec is not None else None
    meta: dict[str, Any] = {}
    lines: list[str] = []
    tables: list[tuple[str, pd.DataFrame]] = []
    with progress("back-test") as bar, Store(store, read_only=True) as st:
        task = bar.task_ids[0]

        def step(text: str) -> None:
            bar.update(task, description=text)

        cases, status = prepare(
            st, names or None, trade_source=trade_source, observations=table, progress=step
        )
        if fit:
            result = run_fit(cases, spec, progress=step)
            frame = finish([result.after, status])
            meta["fit"] = result.summary()
            lines += result.lines()
            extra = _parameter_rows(result.parameters)
        elif cross_validate:
            cv = run_cross_validation(cases, spec, progress=step)
            frame = finish([cv.after, status])
            meta["cross_validation"] = cv.summary()
            lines += cv.lines()
            extra = _fold_rows(cv.folds, cv.parameters)
        else:
            from minsec.disrupt.backtest import case_rows

            frame = finish([*(case_rows(c) for c in cases), status])
            extra = pd.DataFrame()
        if placebo:
            from minsec.disrupt import backtest_placebo as pl

            found = pl.placebo(st, cases, trade_source=trade_source, progress=step)
            frame = pl.with_floor(frame, found)
            meta["placebo"] = pl.placebo_summary(frame, found)
            tables += _placebo_tables(frame, found)
            lines += [
                "placebo: clean = rows no known data defect touches; floor = the "
                "row's own swing, pooled = every case's (docs/disruption.md)"
            ]
            lines += pl.skipped_lines(found)
            extra = pd.concat([extra, pl.pair_rows(found)], ignore_index=True)
    summary = summarize(frame)
    meta["summary"] = summary.as_dict()
    lines = [*_sets(frame), *summary.lines(), *lines]
    fmt = Format(fmt)
    title = "Back-test: predicted vs observed change (% of the base period)"
    if fmt is Format.table:
        console = Console(file=output.open("w") if output else None)
        console.print(rich_table(_terminal(frame), title=title))
        if fit:
            console.print(rich_table(fit_table(meta["fit"]["parameters"]), title="Fitted"))
        for name, table in tables:
            console.print(rich_table(table, title=name))
        for line in lines:
            console.print(line, highlight=False)
        if has_note(frame).any():
            console.print(
                "† a known or screened defect of the observed data touches the row "
                "(column data_note of --format csv|json)",
                highlight=False,
            )
        return
    if fmt is Format.csv:
        frame = pd.concat([frame, summary_frame(summary), extra], ignore_index=True)
    emit(frame, fmt, output=output, title=title, meta=meta)


def _placebo_tables(frame: pd.DataFrame, found: Any) -> list[tuple[str, pd.DataFrame]]:
    """The placebo's two terminal tables: the swing, and the floor next to the model."""
    from minsec.disrupt import backtest_placebo as pl

    swing = pl.swing_table(found).rename(
        columns={"lag_years": "years apart", "median_abs_pct": "median |%|",
                 "mean_abs_pct": "mean |%|"}
    )  # fmt: skip
    floor = pl.floor_table(frame).rename(
        columns={
            "model_mae_pp": "model pp",
            "noise_floor_pp": "floor pp",
            "noise_floor_pooled_pp": "pooled pp",
        }
    )
    for t in (swing, floor):
        for c in t.select_dtypes("float").columns:
            t[c] = t[c].round(1)
    return [
        ("Placebo: change of the same flows in years without an event", swing),
        ("Noise floor (right about the event, not the market) vs the model's MAE", floor),
    ]


def fit_table(records: list[dict[str, Any]]) -> pd.DataFrame:
    """The fitted parameters as a terminal table (name, mode, range, default, fit, sensitivity)."""
    frame = pd.DataFrame(records)
    if frame.empty:
        return frame
    frame["range"] = [f"{lo:g}–{hi:g}" for lo, hi in zip(frame["low"], frame["high"], strict=True)]
    frame["fitted"] = frame["fitted"].astype(float).round(3)
    frame["sens. pp"] = frame["sensitivity_pp"].astype(float).round(2)
    return frame[["name", "mode", "range", "default", "fitted", "sens. pp"]]
