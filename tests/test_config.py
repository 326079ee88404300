"""Where minsec finds its data: $MINSEC_HOME, a .minsec folder above the working directory, or
the user data directory; ``data status`` says which."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from minsec import config


def test_env_wins_over_a_project_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".minsec").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MINSEC_HOME", str(tmp_path / "elsewhere"))
    where = config.home_location()
    assert where.path == tmp_path / "elsewhere"
    assert where.reason == "$MINSEC_HOME"


def test_a_project_folder_in_a_parent_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".minsec").mkdir()
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    monkeypatch.delenv("MINSEC_HOME")
    where = config.home_location()
    assert where.path == (tmp_path / ".minsec").resolve()
    assert str(tmp_path.resolve()) in where.reason
    assert config.store_path() == (tmp_path / ".minsec" / "minsec.duckdb").resolve()


def test_without_either_the_user_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MINSEC_HOME")
    monkeypatch.setattr(config.platformdirs, "user_data_dir", lambda name: str(tmp_path / name))
    if config._project_home() is not None:  # a .minsec above the temp folder (unusual)
        pytest.skip("a .minsec folder exists above the temporary directory")
    where = config.home_location()
    assert where.path == tmp_path / "minsec"
    assert where.reason == "user data directory"


def test_a_store_file_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINSEC_STORE", str(tmp_path / "x.duckdb"))
    where = config.store_location()
    assert where.path == tmp_path / "x.duckdb" and where.reason == "$MINSEC_STORE"


@pytest.mark.default_data
def test_status_after_the_demo_names_the_project_store(
    tmp_path: Path, default_store_path: Path
) -> None:
    # what `make demo` leaves behind: ./.minsec/minsec.duckdb in the checkout
    checkout = tmp_path / "checkout"
    (checkout / ".minsec").mkdir(parents=True)
    os.link(default_store_path, checkout / ".minsec" / "minsec.duckdb")
    (checkout / "docs").mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"MINSEC_HOME", "MINSEC_STORE"}}
    proc = subprocess.run(
        [sys.executable, "-m", "minsec.cli", "data", "status", "--format", "json"],
        cwd=checkout / "docs",  # a sub-folder of the checkout
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    meta = json.loads(proc.stdout)["meta"]
    assert Path(meta["store"]) == (checkout / ".minsec" / "minsec.duckdb").resolve()
    assert meta["store_chosen_by"] == f".minsec found in {checkout.resolve()}"


def test_a_missing_store_says_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from minsec.errors import MinsecError
    from minsec.store import Store

    monkeypatch.setenv("MINSEC_HOME", str(tmp_path / "empty"))
    with pytest.raises(MinsecError, match=r"chosen by \$MINSEC_HOME.*minsec data fetch"):
        Store(read_only=True)
