"""GeoPolRisk, vectorised (issue: all materials × all importers × 2018–2024 in < 5 s, < 2 GB).

Cases: the whole default grid in one call; the 14,098-row reference set (53 materials ×
37 countries + EU27 × 7 years); growth with the number of importers; and the loop oracle of
the tests on the same 14,098 inputs, for the speed-up. For scale: geopolrisk-py 2.0.1 itself
took about 510 s (plus about 40 s loading) for those 14,098 on this machine.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from _harness import BENCH_HOME, ROOT, Case, default_store_path

sys.path.insert(0, str(ROOT / "tests" / "assess"))

REFERENCE = [
    "USA", "JPN", "CHN", "DEU", "KOR", "IND", "FRA", "GBR", "ITA", "CAN", "AUS", "BRA", "MEX",
    "RUS", "IDN", "TUR", "SAU", "ZAF", "ARG", "ESP", "NLD", "CHE", "SWE", "POL", "BEL", "AUT",
    "NOR", "DNK", "FIN", "IRL", "PRT", "GRC", "CZE", "HUN", "NZL", "SGP", "TWN", "EU27",
]  # fmt: skip
GEOPOLRISK_PY_SECONDS = 510.0 + 40.0  # measured once on this machine (compute + loading)


def _store() -> Any:
    from minsec.store import Store

    return Store(default_store_path(), read_only=True)


def _warm(store: Any) -> None:
    """Import everything and touch the store once, so the timed call measures the work."""
    from minsec.assess.geopolrisk import geopolrisk

    geopolrisk(store, ["JPN"], [2022], ["Cobalt"])


def _setup_all() -> Any:
    store = _store()
    _warm(store)
    return store


def _run_all(store: Any) -> dict[str, Any]:
    from minsec.assess.geopolrisk import geopolrisk

    out = geopolrisk(store)
    return {"rows": len(out), "importers": int(out["importer"].nunique())}


def _run_reference(store: Any) -> dict[str, Any]:
    from minsec.assess.geopolrisk import geopolrisk

    out = geopolrisk(store, importers=REFERENCE)
    return {"rows": len(out)}


def _importers(n: int) -> Any:
    def setup() -> Any:
        from minsec.assess import _gpr_inputs as gi
        from minsec.assess.geopolrisk import resolve_importers

        store = _setup_all()
        countries = gi.importers_in_trade(store, list(gi.COMPATIBLE_YEARS), gi.map_source(store))
        parties = resolve_importers(None, countries)
        chosen = {p.label: p.members for p in parties[:n]}
        return store, chosen

    def run(inputs: Any) -> dict[str, Any]:
        from minsec.assess.geopolrisk import geopolrisk

        store, chosen = inputs
        out = geopolrisk(store, importers=chosen)
        return {"rows": len(out)}

    return setup, run


def _members(label: str) -> list[int]:
    from gpr_oracle import EU27_BACI

    from minsec.catalog import countries

    return list(EU27_BACI) if label == "EU27" else [countries.id_to_baci()[label]]


def _setup_oracle() -> Any:
    from gpr_oracle import Oracle

    from minsec.assess.geopolrisk import geopolrisk
    from minsec.sources import geopolrisk_wheel

    store = _setup_all()
    start = time.perf_counter()
    orc = Oracle(BENCH_HOME / "cache" / f"geopolrisk-{geopolrisk_wheel.VERSION}-db")
    load = time.perf_counter() - start
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        frame = geopolrisk(store, importers=REFERENCE, mode="compatible")
        best = min(best, time.perf_counter() - start)
    combos = list(zip(frame["geopolrisk_material"], frame["importer"], frame["year"], strict=True))
    return orc, combos, load, best


def _run_oracle(inputs: Any) -> dict[str, Any]:
    orc, combos, load, vectorised = inputs
    start = time.perf_counter()
    for material, importer, year in combos:
        orc.compute(str(material), _members(str(importer)), int(year))
    loop = time.perf_counter() - start
    return {
        "rows": len(combos),
        "oracle_load_s": round(load, 2),
        "vectorised_compatible_s": round(vectorised, 3),
        "speedup_vs_oracle_loop": round(loop / vectorised, 1),
        "speedup_vs_oracle_incl_load": round((loop + load) / vectorised, 1),
        "speedup_vs_geopolrisk_py": round(GEOPOLRISK_PY_SECONDS / vectorised),
    }


CASES = [
    Case(
        "geopolrisk/all materials x all importers x 2018-2024",
        _setup_all,
        _run_all,
        size="53x~231x7",
    ),
    Case("geopolrisk/reference set (both modes)", _setup_all, _run_reference, size="14098"),
    *[
        Case(f"geopolrisk/growth {n} importers", *_importers(n), size=f"53x{n}x7")
        for n in (1, 10, 50, 230)
    ],
    Case("geopolrisk/oracle loop on reference set", _setup_oracle, _run_oracle, size="14098"),
]
