"""Where minsec keeps its files.

``MINSEC_HOME`` overrides the default user data directory (``platformdirs``).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def home() -> Path:
    """Return the minsec data directory, creating it if needed."""
    env = os.environ.get("MINSEC_HOME")
    path = Path(env).expanduser() if env else Path(platformdirs.user_data_dir("minsec"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_path() -> Path:
    """Path of the default DuckDB store file."""
    env = os.environ.get("MINSEC_STORE")
    return Path(env).expanduser() if env else home() / "minsec.duckdb"


def cache_dir() -> Path:
    """Directory for downloaded files (wheels, extracted databases)."""
    path = home() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path
