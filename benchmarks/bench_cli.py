"""Whole-process CLI timings (start-up, store read, computation, output), as a user sees them.

The issue's reference point: geopolrisk-py takes about 510 s (+40 s loading) for the
14,098 material × economy × year combinations of 53 materials, 38 economies, 2018–2024.
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
