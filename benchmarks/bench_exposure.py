"""Exposure of every importer (countries and blocs) to every material, 2018–2024, one call.

Issue target: < 5 s and < 2 GB on 2 cores (GeoPolRisk included).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from _harness import Case, default_store_path


def _setup() -> Path:
    return default_store_path()


def _all(path: Path) -> dict[str, Any]:
    from minsec.assess.exposure import exposure
    from minsec.store import Store

    with Store(path, read_only=True) as st:
        out = exposure(st, None, years=range(2018, 2025))
    return {
        "rows": len(out),
        "importers": out["importer"].nunique(),
        "materials": out["material"].nunique(),
    }


def _years(n: int) -> Any:
    def run(path: Path) -> dict[str, Any]:
        from minsec.assess.exposure import exposure
        from minsec.store import Store

        with Store(path, read_only=True) as st:
            out = exposure(st, None, years=range(2025 - n, 2025))
        return {"rows": len(out)}

    return run


CASES = [
    Case("exposure/all importers x all materials x 2018-2024", _setup, _all, size="7 years"),
    Case("exposure/growth 1 year", _setup, _years(1), size="1 year"),
    Case("exposure/growth 3 years", _setup, _years(3), size="3 years"),
]
