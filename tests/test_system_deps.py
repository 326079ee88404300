"""scripts/system-deps.sh: what `make demo` and `make test` check before they run."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.conftest import ROOT

SCRIPT = ROOT / "scripts" / "system-deps.sh"


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_binary_given_by_variable_is_used(tmp_path: Path) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    for name in ("initdb", "pg_ctl"):
        shutil.copy("/bin/true", fake / name)
    res = _run("chromium", "postgresql", MINSEC_CHROMIUM="/bin/true", MINSEC_PG_BINDIR=str(fake))
    assert res.returncode == 0, res.stderr
    assert res.stdout == ""  # nothing to install


def test_a_wrong_variable_is_a_clear_error(tmp_path: Path) -> None:
    res = _run("chromium", MINSEC_CHROMIUM=str(tmp_path / "no-such-chromium"))
    assert res.returncode == 1
    assert "MINSEC_CHROMIUM" in res.stderr and "not an executable file" in res.stderr
    res = _run("postgresql", MINSEC_PG_BINDIR=str(tmp_path))
    assert res.returncode == 1 and "has no initdb and pg_ctl" in res.stderr


def test_an_unknown_package_is_refused() -> None:
    res = _run("chromium-browser")
    assert res.returncode == 2 and "unknown package" in res.stderr
