"""``minsec risk`` on the embedded default data: clean JSON, reproducible, clear errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from tests.cli_helpers import run_cli

pytestmark = pytest.mark.default_data

BASE = ("risk", "--commodity", "graphite", "--year", "2022")


def _risk(capsys: pytest.CaptureFixture[str], store: Path, *args: str):  # type: ignore[no-untyped-def]
    return run_cli(capsys, *BASE, "--store", str(store), *args)


def test_json_is_clean_and_reproducible(
    capsys: pytest.CaptureFixture[str], default_store_path: Path
) -> None:
    args = ("--importer", "USA,JPN,like-minded", "--runs", "1500", "--seed", "1", "-f", "json")
    first = _risk(capsys, default_store_path, *args)
    assert first.code == 0, first.err
    payload = json.loads(first.out)  # stdout holds nothing but the JSON document
    rows = payload["data"]
    assert [r["importer"] for r in rows] == ["USA", "JPN", "like-minded"]
    meta = payload["meta"]
    assert meta["seed"] == 1 and meta["runs"] == 1500 and meta["commodity"] == "graphite"
    assert meta["backend"] == "numpy" and meta["year"] == 2022
    assert {r["statistic"] for r in meta["price"]} == {"horizon_mean", "peak_month"}
    for r in rows:
        assert r["cvar95_t"] >= r["var95_t"] >= 0
        assert 0 <= r["p_shortfall_gt_10pct"] <= 1
        assert r["price_p5"] <= r["price_p50"] <= r["price_p95"]
    again = _risk(capsys, default_store_path, *args, "--chunk-runs", "500")
    assert again.code == 0, again.err
    assert json.loads(again.out)["data"] == rows


def test_exporters_and_override(
    capsys: pytest.CaptureFixture[str], default_store_path: Path
) -> None:
    res = _risk(
        capsys,
        default_store_path,
        "--runs", "1000", "--seed", "2", "--exporters", "--override", "CHN=0.5", "-f", "csv",
    )  # fmt: skip
    assert res.code == 0, res.err
    table = pd.read_csv(io.StringIO(res.out)).set_index("country")
    assert table.loc["CHN", "p_restrict"] == 0.5
    assert table.loc["CHN", "override"] == "probability = 0.5"
    assert table["p_restrict"].between(0, 1).all()
    assert table.loc["CHN", "event_rate"] == pytest.approx(0.5, abs=0.07)


def test_table_output(capsys: pytest.CaptureFixture[str], default_store_path: Path) -> None:
    res = _risk(capsys, default_store_path, "--runs", "1000", "--seed", "3")
    assert res.code == 0, res.err
    assert "Supply risk of graphite" in res.out and "USA" in res.out and "JPN" in res.out
    assert "note: trade:" in res.err  # the baseline's caveats go to stderr


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("--importer", "Atlantis"), "Atlantis"),
        (("--runs", "-10"), "runs"),
        (("--runs", "5000", "--max-runs", "1000"), "cap"),
        (("--override", "CHN:0.3"), "--override"),
        (("--override", "CHN=2"), "--override"),
        (("--alpha", "1.5"), "alpha"),
        (("--targets", "nobody"), "nobody"),
    ],
)
def test_bad_input_exit_code_2(
    capsys: pytest.CaptureFixture[str],
    default_store_path: Path,
    args: tuple[str, ...],
    match: str,
) -> None:
    res = _risk(capsys, default_store_path, "--runs", "100", *args)
    assert res.code == 2
    assert match in res.err
    assert res.out == ""


def test_unknown_commodity(capsys: pytest.CaptureFixture[str], default_store_path: Path) -> None:
    res = run_cli(capsys, "risk", "--commodity", "unobtainium", "--store", str(default_store_path))
    assert res.code == 2 and "unobtainium" in res.err


def _whole_process_risk(store: Path, *args: str) -> dict[str, object]:
    """``minsec risk`` in a process of its own (fresh imports, fresh store reads)."""
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "minsec.cli", *BASE[:3], "--store", str(store), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    payload: dict[str, object] = json.loads(proc.stdout)
    meta = payload["meta"]
    assert isinstance(meta, dict)
    del meta["seconds"]  # the only field that may differ
    return payload


def test_two_processes_give_byte_identical_output(default_store_path: Path) -> None:
    # each process builds its baseline from the store afresh: sums over HS codes and the
    # engine's reductions must not depend on thread scheduling or memory layout
    args = ("--importer", "USA,JPN", "--runs", "100000", "--seed", "7", "-f", "json")
    first = _whole_process_risk(default_store_path, *args)
    second = _whole_process_risk(default_store_path, *args)
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    meta = first["meta"]
    assert isinstance(meta, dict) and meta["runs"] == 100_000
    # and the same numbers on one worker as on the default (one per CPU)
    single = _whole_process_risk(default_store_path, *args, "--workers", "1")
    assert single["data"] == first["data"]
