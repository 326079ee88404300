"""Assessment: supply structure, exposure of importers, GeoPolRisk, criticality ranking.

Functions take a :class:`minsec.store.Store` and return tidy data frames::

    from minsec import assess
    assess.supply(store, stage="mine", years=[2022])
    assess.exposure(store, importers=["JPN", "EU27"], years=range(2018, 2025))
    assess.rank(store, importers=["USA", "JPN", "like-minded"], year=2024)
"""

from __future__ import annotations

from minsec.assess.exposure import exposure, imports_by_supplier
from minsec.assess.geopolrisk import geopolrisk
from minsec.assess.rank import rank
from minsec.assess.supply import history, producer_shares, reserves_structure, supply

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
