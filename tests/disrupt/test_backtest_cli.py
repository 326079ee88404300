"""`minsec scenarios backtest`: CSV, JSON and terminal table, the fit, bad input."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from minsec.disrupt.backtest import FRAME_COLUMNS
from tests.cli_helpers import run_cli

pytestmark = pytest.mark.default_data
CASES = ("indonesia-nickel-ore-2020", "china-graphite-2023")


def test_csv_rows_then_summary(
    capsys: pytest.CaptureFixture[str], default_store_path: Path
) -> None:
    res = run_cli(capsys, "scenarios", "backtest", *CASES, "--format", "csv",
                  "--store", str(default_store_path))  # fmt: skip
    assert res.code == 0, res.err
    frame = pd.read_csv(io.StringIO(res.out), dtype={"period": str, "baseline_period": str})
    assert list(frame.columns) == list(FRAME_COLUMNS)
    rows = frame[frame["scenario"] != "summary"]
    assert set(rows["scenario"]) == set(CASES)
    assert set(rows["set"]) == {"calibration", "holdout"}
    assert {"predicted_change_pct", "observed_change_pct", "error_pp", "direction_ok"} <= set(
        rows.columns
    )
    summary = frame[frame["scenario"] == "summary"].set_index(["kind", "set"])
    trade = rows[rows["in_mae"].astype(str) == "True"]
    assert summary.loc[("trade", "all"), "error_pp"] == pytest.approx(
        trade["error_pp"].abs().mean()
    )
    assert summary.loc[("trade", "all"), "n_rows"] == len(trade) == 12
    holdout = trade[trade["set"] == "holdout"]
    assert summary.loc[("trade", "holdout"), "error_pp"] == pytest.approx(
        holdout["error_pp"].abs().mean()
    )
    # wrong direction: the MAE's trade rows and the price rows
    wrong = frame[frame["flow"].str.startswith("wrong direction", na=False)]
    listed = pd.concat([trade, rows[rows["kind"] == "price"]])
    right = listed["direction_ok"].astype(str) == "True"
    big = listed[(listed["observed_change_pct"].abs() > 20) & ~right]
    assert int(wrong["n_rows"].iloc[0]) == len(big)


def test_json_and_table(
    capsys: pytest.CaptureFixture[str], default_store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ("--store", str(default_store_path))
    res = run_cli(capsys, "scenarios", "backtest", *CASES, "--format", "json", *store)
    assert res.code == 0, res.err
    payload = json.loads(res.out)
    mae = {(r["kind"], r["set"]): r for r in payload["meta"]["summary"]["mae"]}
    assert mae[("trade", "all")]["rows"] == 12 and mae[("trade", "all")]["cases"] == 2
    assert all(r["status"] == "ok" for r in payload["data"])
    # the terminal table fits 80 columns and ends with the summary in words
    monkeypatch.setenv("COLUMNS", "80")
    res = run_cli(capsys, "scenarios", "backtest", *CASES, *store)
    assert res.code == 0, res.err
    lines = res.out.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "err pp" in res.out and "indonesia-nickel-ore-2020" in res.out
    assert any(line.startswith("MAE of trade rows") for line in lines)
    assert "calibration: indonesia-nickel-ore-2020" in res.out


def _spare_capacity_spec(tmp_path: Path) -> Path:
    """A fit of one parameter (spare capacity × 0…2), coarse: fast enough for a test."""
    spec = tmp_path / "fit.toml"
    spec.write_text(
        '[objective]\ntolerance = 0.1\n\n[[parameter]]\nname = "spare_capacity"\n'
        'mode = "scale"\nlow = 0\nhigh = 2\npoints = 3\n'
    )
    return spec


def test_fit_on_the_command_line(
    capsys: pytest.CaptureFixture[str], default_store_path: Path, tmp_path: Path
) -> None:
    spec = _spare_capacity_spec(tmp_path)
    res = run_cli(capsys, "scenarios", "backtest", *CASES, "--fit", "--fit-spec", str(spec),
                  "--format", "json", "--store", str(default_store_path))  # fmt: skip
    assert res.code == 0, res.err
    fit = json.loads(res.out)["meta"]["fit"]
    assert [p["name"] for p in fit["parameters"]] == ["spare_capacity"]
    calib = fit["calibration"]
    assert calib["trade_mae_pp_fitted"] <= calib["trade_mae_pp_default"] + 1e-9
    # the rows are reported at the fitted values: their MAE is the fitted one
    rows = pd.DataFrame(json.loads(res.out)["data"])
    counted = rows[rows["in_mae"] & (rows["set"] == "calibration")]
    assert counted["error_pp"].abs().mean() == pytest.approx(calib["trade_mae_pp_fitted"])
    csv = run_cli(capsys, "scenarios", "backtest", *CASES, "--fit", "--fit-spec", str(spec),
                  "--format", "csv", "--store", str(default_store_path))  # fmt: skip
    frame = pd.read_csv(io.StringIO(csv.out))
    fitted = frame[frame["scenario"] == "fit"]
    assert list(fitted["flow"]) == ["spare_capacity"]


def test_cross_validation_on_the_command_line(
    capsys: pytest.CaptureFixture[str], default_store_path: Path, tmp_path: Path
) -> None:
    spec = _spare_capacity_spec(tmp_path)
    store = ("--store", str(default_store_path))
    res = run_cli(capsys, "scenarios", "backtest", *CASES, "--cross-validate", "--fit-spec",
                  str(spec), "--format", "json", *store)  # fmt: skip
    assert res.code == 0, res.err
    payload = json.loads(res.out)
    cv = payload["meta"]["cross_validation"]
    folds = {f["scenario"]: f for f in cv["folds"]}
    assert set(folds) == set(CASES) and all(f["training_cases"] == 1 for f in folds.values())
    # each case is predicted with the fit on the other one: the same as --fit would give
    # with that other case as the only calibration case
    nickel, graphite = CASES
    rows = pd.DataFrame(payload["data"])
    fitted = run_cli(capsys, "scenarios", "backtest", graphite, nickel, "--fit", "--fit-spec",
                     str(spec), "--format", "json", *store)  # fmt: skip
    fit_rows = pd.DataFrame(json.loads(fitted.out)["data"])  # nickel is the calibration case
    on_graphite = rows[rows["scenario"] == graphite]
    assert folds[graphite]["spare_capacity"] == pytest.approx(
        json.loads(fitted.out)["meta"]["fit"]["parameters"][0]["fitted"], nan_ok=True
    )
    assert on_graphite["predicted_change_pct"].tolist() == pytest.approx(
        fit_rows[fit_rows["scenario"] == graphite]["predicted_change_pct"].tolist()
    )
    counted = rows[rows["in_mae"]]
    assert cv["all"]["trade_mae_pp_cross_validated"] == pytest.approx(
        counted["error_pp"].abs().mean()
    )
    csv = run_cli(capsys, "scenarios", "backtest", *CASES, "--cross-validate", "--fit-spec",
                  str(spec), "--format", "csv", *store)  # fmt: skip
    frame = pd.read_csv(io.StringIO(csv.out))
    fold_rows = frame[frame["scenario"].str.startswith("fold: ")]
    assert sorted(fold_rows["scenario"]) == sorted(f"fold: {c}" for c in CASES)
    assert set(fold_rows["flow"]) == {"spare_capacity"}
    table = run_cli(capsys, "scenarios", "backtest", *CASES, "--cross-validate", "--fit-spec",
                    str(spec), *store)  # fmt: skip
    assert "cross-validation: 2 folds" in table.out and "cross-validated" in table.out
    both = run_cli(capsys, "scenarios", "backtest", *CASES, "--fit", "--cross-validate", *store)
    assert both.code == 2 and "choose one" in both.err


def test_bad_input_is_one_message(
    capsys: pytest.CaptureFixture[str], default_store_path: Path, tmp_path: Path
) -> None:
    store = ("--store", str(default_store_path))
    bad = tmp_path / "obs.csv"
    bad.write_text("scenario,kind\nx,trade\n")
    res = run_cli(capsys, "scenarios", "backtest", "--observations", str(bad), *store)
    assert res.code == 2 and "missing columns" in res.err and res.out == ""
    res = run_cli(capsys, "scenarios", "backtest", "china-rare-earths-2025", *store)
    assert res.code == 2 and "has no backtest section" in res.err
    res = run_cli(capsys, "scenarios", "backtest", "nickel-2020", *store)
    assert res.code == 2 and "no named scenario" in res.err


def test_placebo_columns_pairs_and_tables(
    capsys: pytest.CaptureFixture[str], default_store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ("--store", str(default_store_path))
    res = run_cli(capsys, "scenarios", "backtest", *CASES, "--placebo", "--format", "csv", *store)
    assert res.code == 0, res.err
    frame = pd.read_csv(io.StringIO(res.out), dtype={"period": str, "baseline_period": str})
    assert {"placebo_pairs", "placebo_median_abs_change_pct", "noise_floor_pp"} <= set(frame)
    pairs = frame[frame["scenario"].str.startswith("placebo: ")]
    rows = frame[frame["scenario"].isin(CASES)]
    # every row with a floor has that many event-free pairs listed, none in a case's window
    for rec in rows[rows["noise_floor_pp"].notna()].to_dict("records"):
        mine = pairs[(pairs["scenario"] == f"placebo: {rec['scenario']}")
                     & (pairs["flow"] == rec["flow"]) & (pairs["kind"] == rec["kind"])]  # fmt: skip
        lag = int(rec["period"]) - int(rec["baseline_period"])
        mine = mine[mine["period"].astype(int) - mine["baseline_period"].astype(int) == lag]
        assert len(mine) == rec["placebo_pairs"] > 0
        assert (mine["period"].astype(int) <= int(rec["baseline_period"])).all()
    nickel = pairs[pairs["scenario"] == "placebo: indonesia-nickel-ore-2020"]
    assert not nickel["period"].astype(int).between(2014, 2016).any()  # the 2014 ban's window
    res = run_cli(capsys, "scenarios", "backtest", *CASES, "--placebo", "--format", "json", *store)
    placebo = json.loads(res.out)["meta"]["placebo"]
    assert {r["kind"] for r in placebo["floor"]} >= {"trade", "price"}
    monkeypatch.setenv("COLUMNS", "80")
    res = run_cli(capsys, "scenarios", "backtest", *CASES, "--placebo", *store)
    assert res.code == 0, res.err
    assert "Placebo: change of the same flows" in res.out and "floor pp" in res.out
    assert max(len(line) for line in res.out.splitlines()) <= 80
