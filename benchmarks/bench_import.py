"""Full import of the embedded default data (issue: < 60 s and < 2 GB on 2 cores)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from _harness import BENCH_HOME, Case, default_store_path


def _setup() -> Path:
    default_store_path()  # makes sure the wheel is downloaded and extracted (not timed)
    from minsec.sources import geopolrisk_wheel

    return BENCH_HOME / "cache" / f"geopolrisk-{geopolrisk_wheel.VERSION}-db"


def _run(db_dir: Path) -> dict[str, Any]:
    from minsec.sources import geopolrisk_wheel
    from minsec.store import Store

    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "s.duckdb") as st:
        result = geopolrisk_wheel.parse(db_dir).write(st)
    return {"rows": result.total}


CASES = [Case("import/default-data (parse + write)", _setup, _run, size="1.29M rows")]
