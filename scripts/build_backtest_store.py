"""Build the store the back-test figures in docs/disruption.md were made with.

The default store (``minsec data fetch``) plus the critical-materials-atlas BACI HS17
extracts: 2024 with quantities (parquet) and 2022 values (CSV) — the baselines of the
gallium/germanium and antimony cases (HS17 811292, 811010) need them.

    .venv/bin/python scripts/build_backtest_store.py OUT.duckdb [--shared ../shared/data]
    .venv/bin/minsec scenarios backtest --store OUT.duckdb --format csv
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from minsec import config
from minsec.sources import baci
from minsec.store import Store

ROOT = Path(__file__).resolve().parents[1]
ATLAS = ("trade", "critical-materials-atlas")


def build(target: Path, shared: Path, default: Path) -> None:
    """Copy the default store to ``target`` and import the two atlas extracts."""
    if not default.is_file():
        raise SystemExit(f"no default store at {default}: run `minsec data fetch` first")
    tmp = target.with_suffix(".building")
    shutil.copyfile(default, tmp)
    folder = shared.joinpath(*ATLAS)
    with Store(tmp) as st:
        baci.parse(
            folder / "baci_hs17_2024_critical30.parquet",
            hs_revision="HS17",
            source_id="baci-hs17-2024",
        ).write(st)
        baci.parse_atlas_values(
            folder / "baci_hs17_2022_critical30_values.csv",
            year=2022,
            source_id="baci-hs17-2022-values",
        ).write(st)
    tmp.replace(target)


def main(argv: list[str] | None = None) -> None:
    """Command line: the target file, the shared data folder, the default store."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("target", type=Path)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--default-store", type=Path, default=None)
    args = ap.parse_args(argv)
    build(args.target, args.shared, args.default_store or config.home() / "minsec.duckdb")
    print(f"wrote {args.target}")


if __name__ == "__main__":
    main()
