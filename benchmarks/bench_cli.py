"""Whole-process CLI timings (start-up, store read, computation, output), as a user sees them.

The issue's reference point: geopolrisk-py takes about 510 s (+40 s loading) for the
14,098 material × economy × year combinations of 53 materials, 38 economies, 2018–2024.

``cli/risk`` cases: ``minsec risk --commodity graphite --importer USA,JPN --runs R --seed 7
--format json`` as a whole process (target for 10^5 runs: ≤ 5 s on 2 cores), with the
command's own ``seconds`` (inside ``run_risk``) and the CPU of the process and its workers.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from _harness import ROOT, Case, default_store_path

REFERENCE_38 = (
    "USA,JPN,CHN,DEU,KOR,IND,FRA,GBR,ITA,CAN,AUS,BRA,MEX,RUS,IDN,TUR,SAU,ZAF,ARG,ESP,NLD,CHE,"
    "SWE,POL,BEL,AUT,NOR,DNK,FIN,IRL,PRT,GRC,CZE,HUN,NZL,SGP,TWN,EU27"
)
MINSEC = str(Path(sys.executable).parent / "minsec")


def _run(args: list[str]) -> dict[str, Any]:
    proc = subprocess.run([MINSEC, *args], capture_output=True, text=True, check=True, cwd=ROOT)
    rows = sum(1 for line in proc.stdout.splitlines()[1:] if line.strip())
    return {"rows": rows}


def _risk(runs: int, *extra: str) -> Any:
    def run(store: Path) -> dict[str, Any]:
        import json
        import os
        import resource

        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        load0 = os.getloadavg()[0]
        proc = subprocess.run(
            [MINSEC, "risk", "--commodity", "graphite", "--importer", "USA,JPN",
             "--runs", str(runs), "--seed", "7", "--format", "json", "--store", str(store),
             *extra],
            capture_output=True, text=True, check=True, cwd=ROOT,
        )  # fmt: skip
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        meta = json.loads(proc.stdout)["meta"]
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return {
            "run_risk_s": meta["seconds"],
            "workers": meta["workers"],
            "cpu_s": round(cpu, 2),
            "load": f"{load0:.1f} -> {os.getloadavg()[0]:.1f}",
        }

    return run


def _exposure(store: Path) -> dict[str, Any]:
    out = _run(
        [
            "assess",
            "exposure",
            "--importer",
            REFERENCE_38,
            "--year",
            "2018-2024",
            "--format",
            "csv",
            "--store",
            str(store),
        ]
    )
    out["reference_geopolrisk_py_s"] = 550
    return out


def _rank(store: Path) -> dict[str, Any]:
    return _run(
        [
            "assess",
            "rank",
            "--importer",
            "USA,JPN,like-minded",
            "--year",
            "2024",
            "--format",
            "csv",
            "--store",
            str(store),
        ]
    )


CASES = [
    Case(
        "cli/risk graphite USA,JPN 1e4 (whole process)",
        default_store_path,
        _risk(10_000),
        size=10_000,
    ),
    Case(
        "cli/risk graphite USA,JPN 1e5 (whole process)",
        default_store_path,
        _risk(100_000),
        size=100_000,
    ),
    Case(
        "cli/risk graphite USA,JPN 1e5 1 worker (whole process)",
        default_store_path,
        _risk(100_000, "--workers", "1"),
        size=100_000,
    ),
    Case(
        "cli/risk graphite USA,JPN 1e6 (whole process)",
        default_store_path,
        _risk(1_000_000),
        size=1_000_000,
    ),
    Case(
        "cli/assess-exposure 38 economies x 2018-2024 (whole process)",
        default_store_path,
        _exposure,
        size="14,098 GeoPolRisk rows",
    ),
    Case(
        "cli/assess-rank USA,JPN,like-minded 2024 (whole process)",
        default_store_path,
        _rank,
        size="3 importers",
    ),
]
