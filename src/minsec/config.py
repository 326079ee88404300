"""Where minsec keeps its files.

The data directory ("home") is, in this order:

1. ``$MINSEC_HOME`` when set;
2. a ``.minsec`` directory in the working directory or one of its parents (what ``make
   demo`` creates in a checkout), so that every command run inside a checkout after the
   demo uses the demo's data without setting anything;
3. the user data directory (``platformdirs``: ``~/.local/share/minsec`` on Linux).

``$MINSEC_STORE`` names the DuckDB store file itself (default ``<home>/minsec.duckdb``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

PROJECT_DIR = ".minsec"
"""Name of a project-local data directory, found in the working directory or a parent."""


@dataclass(frozen=True)
class Location:
    """A path and why it was chosen (shown by ``minsec data status``)."""

    path: Path
    reason: str


def _project_home(start: Path | None = None) -> Path | None:
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / PROJECT_DIR
        if candidate.is_dir():
            return candidate
    return None


def home_location() -> Location:
    """The data directory and the rule that chose it (see the module docstring)."""
    env = os.environ.get("MINSEC_HOME")
    if env:
        return Location(Path(env).expanduser(), "$MINSEC_HOME")
    project = _project_home()
    if project is not None:
        return Location(project, f"{PROJECT_DIR} found in {project.parent}")
    return Location(Path(platformdirs.user_data_dir("minsec")), "user data directory")


def home() -> Path:
    """Return the minsec data directory, creating it if needed."""
    path = home_location().path
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_location() -> Location:
    """The default store file and the rule that chose it."""
    env = os.environ.get("MINSEC_STORE")
    if env:
        return Location(Path(env).expanduser(), "$MINSEC_STORE")
    where = home_location()
    return Location(home() / "minsec.duckdb", where.reason)


def store_path() -> Path:
    """Path of the default DuckDB store file."""
    return store_location().path


def cache_dir() -> Path:
    """Directory for downloaded files (wheels, extracted databases)."""
    path = home() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path
