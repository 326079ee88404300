"""Assessment: supply structure, exposure of importers, GeoPolRisk, criticality ranking.

Functions take a :class:`minsec.store.Store` and return tidy data frames::

    from minsec import assess
    assess.supply(store, stage="mine", years=[2022])
    assess.exposure(store, importers=["JPN", "EU27"], years=range(2018, 2025))
    assess.rank(store, importers=["USA", "JPN", "like-minded"], year=2024)
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "supply": "minsec.assess.supply",
    "producer_shares": "minsec.assess.supply",
    "reserves_structure": "minsec.assess.supply",
    "history": "minsec.assess.supply",
    "geopolrisk": "minsec.assess.geopolrisk",
    "exposure": "minsec.assess.exposure",
    "imports_by_supplier": "minsec.assess.exposure",
    "rank": "minsec.assess.rank",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'minsec.assess' has no attribute {name!r}")


__all__ = [
    "exposure",
    "geopolrisk",
    "history",
    "imports_by_supplier",
    "producer_shares",
    "rank",
    "reserves_structure",
    "supply",
]
