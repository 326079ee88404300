"""`minsec simulate` and `minsec scenarios`, run as a user would."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from tests.cli_helpers import run_cli

pytestmark = pytest.mark.default_data


def test_simulate_named_scenario_json_is_clean(
    capsys: pytest.CaptureFixture[str], default_store_path: Path
) -> None:
    res = run_cli(
        capsys, "simulate", "--scenario", "china-graphite-like-minded", "--baseline-year",
        "2022", "--format", "json", "--store", str(default_store_path),
    )  # fmt: skip
    assert res.code == 0, res.err
    payload = json.loads(res.out)
    meta = payload["meta"]
    assert meta["scenario"] == "china-graphite-like-minded" and meta["baseline_year"] == 2022
    assert meta["months_at_price_cap"] == {"ore": 0}
    assert meta["hs6"] == {"ore": ["250410", "250490"]} and meta["notes"]
    rows = pd.DataFrame(payload["data"])
    assert {"party", "shortfall_t", "shortfall_pct", "value_at_risk_usd"} <= set(rows.columns)
    assert rows["shortfall_t"].max() > 0
    # the name as the argument, as the help says ("a scenario file or a named scenario")
    bare = run_cli(
        capsys, "simulate", "china-graphite-like-minded", "--baseline-year", "2022",
        "--format", "json", "--store", str(default_store_path),
    )  # fmt: skip
    assert bare.code == 0, bare.err
    assert json.loads(bare.out)["data"] == payload["data"]


def test_simulate_file_monthly_csv(
    capsys: pytest.CaptureFixture[str], default_store_path: Path, tmp_path: Path
) -> None:
    spec = tmp_path / "mine.yaml"
    spec.write_text(
        "name: mine\ncommodity: graphite\nbaseline_year: 2022\nmonths: 3\n"
        "report: [JPN, like-minded]\nevents:\n  - type: export_restriction\n    exporter: CHN\n"
        "    targets: like-minded\n    fraction: 1\n    start: 2023-12-01\n"
    )
    res = run_cli(
        capsys, "simulate", str(spec), "--view", "monthly", "--format", "csv",
        "--store", str(default_store_path),
    )  # fmt: skip
    assert res.code == 0, res.err
    frame = pd.read_csv(io.StringIO(res.out))
    assert sorted(set(frame["party"])) == ["JPN", "like-minded"]
    assert list(frame["date"].unique()) == ["2023-12", "2024-01", "2024-02"]
    jpn = frame[frame["party"] == "JPN"]
    # December's cargoes were loaded before the ban (a month in transit) and land in full;
    # from January, cut off from China, Japan draws on its inventories every month
    first, later = jpn.iloc[:1], jpn.iloc[1:]
    assert (first["imports_change_from_restricting_t"] == 0).all()
    assert (first["inventory_draw_t"] == 0).all()
    assert (later["inventory_draw_t"] > 0).all()
    assert (later["imports_change_from_restricting_t"] < 0).all()
    assert jpn["shortfall_pct"].between(0, 100).all()
    market = run_cli(
        capsys, "simulate", str(spec), "--view", "market", "--format", "json",
        "--store", str(default_store_path),
    )  # fmt: skip
    assert len(json.loads(market.out)["data"]) == 3


def test_simulate_table_prints_notes_on_stderr(
    capsys: pytest.CaptureFixture[str], default_store_path: Path
) -> None:
    res = run_cli(
        capsys, "simulate", "-s", "indonesia-nickel-ore-2020", "--store", str(default_store_path)
    )
    assert res.code == 0, res.err
    assert "CHN" in res.out and "note:" in res.err and "60 t ore per t Ni" in res.err


def test_simulate_errors(
    capsys: pytest.CaptureFixture[str], default_store_path: Path, tmp_path: Path
) -> None:
    store = ["--store", str(default_store_path)]
    both = run_cli(capsys, "simulate", "x.yaml", "--scenario", "china-graphite-2023", *store)
    assert both.code == 2 and "one of them" in both.err
    missing = run_cli(capsys, "simulate", "missing.yaml", *store)
    assert missing.code == 2 and "scenario file not found" in missing.err
    typo = run_cli(capsys, "simulate", "china-graphite-2032", *store)
    assert typo.code == 2 and "neither a scenario file nor a named scenario" in typo.err
    assert "china-graphite-2023" in typo.err  # the closest name is suggested
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\ncommodity: graphite\nbaseline_year: 2022\nevents:\n"
        "  - {type: export_restriction, exporter: CHN, fraction: 1.5, start: 2023-12-01}\n"
    )
    res = run_cli(capsys, "simulate", str(bad), *store)
    assert res.code == 2 and "events[0].fraction: must be between 0 and 1" in res.err
    gage = run_cli(capsys, "simulate", "-s", "china-gallium-germanium-2023", *store)
    assert gage.code == 2 and "HS17" in gage.err and gage.out == ""


def test_scenarios_list_show_backtest(
    capsys: pytest.CaptureFixture[str], default_store_path: Path
) -> None:
    listed = run_cli(capsys, "scenarios", "list", "--format", "json")
    names = {r["name"] for r in json.loads(listed.out)}
    assert {"china-graphite-2023", "indonesia-nickel-ore-2020", "drc-cobalt-quota-2025"} <= names
    shown = run_cli(capsys, "scenarios", "show", "china-rare-earths-2025")
    assert shown.code == 0 and "2025-04-04" in shown.out and "Announcement No. 18" in shown.out
    as_json = run_cli(capsys, "scenarios", "show", "china-rare-earths-2025", "-f", "json")
    assert json.loads(as_json.out)["commodity"] == "rare_earths"
    unknown = run_cli(capsys, "scenarios", "show", "nope")
    assert unknown.code == 2 and "no named scenario" in unknown.err
    bt = run_cli(
        capsys, "scenarios", "backtest", "indonesia-nickel-ore-2020", "--format", "csv",
        "--store", str(default_store_path),
    )  # fmt: skip
    assert bt.code == 0, bt.err
    frame = pd.read_csv(io.StringIO(bt.out), dtype={"period": str})
    rows = frame[frame["scenario"] == "indonesia-nickel-ore-2020"]
    assert set(rows["period"]) == {"2020", "2021", "2022", "2023", "2024"}
