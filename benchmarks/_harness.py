"""Shared pieces of the benchmark suite."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
BENCH_HOME = Path(os.environ.get("MINSEC_BENCH_HOME", ROOT / ".minsec-bench"))


@dataclass
class Case:
    """One benchmark case: ``setup()`` is not timed, ``run(inputs)`` is."""

    name: str
    setup: Callable[[], Any]
    run: Callable[[Any], dict[str, Any] | None]
    size: Any = ""


def default_store_path() -> Path:
    """A store with the default data (built on first use under MINSEC_BENCH_HOME)."""
    from minsec.sources import geopolrisk_wheel
    from minsec.store import Store

    BENCH_HOME.mkdir(parents=True, exist_ok=True)
    os.environ["MINSEC_HOME"] = str(BENCH_HOME)
    target = BENCH_HOME / "default.duckdb"
    if not target.exists():
        db_dir = geopolrisk_wheel.fetch()
        with Store(target) as st:
            geopolrisk_wheel.parse(db_dir).write(st)
    return target
