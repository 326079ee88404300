"""Benchmark runner: each case runs in a fresh process so its peak memory is its own.

A benchmark module ``benchmarks/bench_*.py`` defines ``CASES``: a list of
``Case(name, setup, run, size)``; ``setup()`` builds inputs (not timed) and returns them,
``run(inputs)`` is timed and may return a dict of extra figures (e.g. a reference time
for a speed-up ratio). Usage::

    python benchmarks/run.py                 # every case
    python benchmarks/run.py geopolrisk      # cases whose name contains 'geopolrisk'
    python benchmarks/run.py --json out.json # also write the results as JSON
"""

from __future__ import annotations

import argparse
import importlib
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _harness import Case  # noqa: E402


def _modules() -> list[str]:
    return sorted(p.stem for p in HERE.glob("bench_*.py"))


def _cases() -> dict[str, tuple[str, Case]]:
    out: dict[str, tuple[str, Case]] = {}
    for mod in _modules():
        for case in importlib.import_module(mod).CASES:
            out[case.name] = (mod, case)
    return out


def _run_one(name: str) -> dict[str, object]:
    _, case = _cases()[name]
    inputs = case.setup()
    start = time.perf_counter()
    extra = case.run(inputs) or {}
    seconds = time.perf_counter() - start
    peak_kb = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )  # CLI cases
    peak_mb = peak_kb / 1024
    return {
        "case": name,
        "size": case.size,
        "seconds": round(seconds, 4),
        "peak_rss_mb": round(peak_mb, 1),
        **extra,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("filter", nargs="?", default="")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(_run_one(args.case)))
        return
    results = []
    for name in _cases():
        if args.filter not in name:
            continue
        proc = subprocess.run(
            [sys.executable, __file__, "--case", name], capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            print(f"{name}: FAILED\n{proc.stderr[-2000:]}")
            continue
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        results.append(row)
        extras = ", ".join(
            f"{k}={v}"
            for k, v in row.items()
            if k not in {"case", "size", "seconds", "peak_rss_mb"}
        )
        print(
            f"{name:45s} size={row['size']!s:>12} {row['seconds']:9.3f} s "
            f"peak {row['peak_rss_mb']:8.1f} MB  {extras}",
            flush=True,
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
