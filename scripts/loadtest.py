"""Load test of the minsec API on this machine only (loopback), bounded in time and count.

Starts ``minsec serve`` on a free loopback port with a fresh app state and a viewer token,
warms the indicator cache, then sends requests at a fixed rate (open loop: a request is
sent every 1/rate seconds whatever the answers do) for ``--duration`` seconds or
``--max-requests`` requests, whichever comes first. Reports req/s, errors and latency
percentiles, and stops the server it started.

    .venv/bin/python scripts/loadtest.py                      # 200 req/s for 60 s
    .venv/bin/python scripts/loadtest.py --rate 400 --duration 20 --json out.json
    .venv/bin/python scripts/loadtest.py --url http://127.0.0.1:8000 --token msk_...

Only loopback addresses (127.0.0.0/8, ::1, localhost) are accepted as targets.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
QUERIES = os.environ.get("MINSEC_LOAD_QUERIES", "").split() or [
    "/api/v1/rank?importer=USA,JPN,like-minded&year=2024",
    "/api/v1/supply?year=2022&stage=mine",
    "/api/v1/exposure?importer=USA,JPN&year=2024",
    "/api/v1/imports?importer=JPN&commodity=cobalt&year=2024&top=5",
    "/api/v1/supply/producers?commodity=cobalt&year=2022",
]
HARD_LIMIT_S = 600.0
"""No run lasts longer than this, whatever the options say."""


def loopback_only(host: str) -> None:
    """Exit unless ``host`` is a loopback address."""
    if host == "localhost":
        return
    try:
        ok = ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        ok = False
    if not ok:
        sys.exit(f"refusing to load-test {host!r}: only loopback addresses (127.0.0.1, ::1)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def default_store() -> Path:
    for candidate in (
        Path(os.environ.get("MINSEC_STORE", "")),
        Path(os.environ.get("MINSEC_HOME", ROOT / ".minsec")) / "minsec.duckdb",
        ROOT / ".minsec-test" / "default.duckdb",
    ):
        if candidate.name and candidate.is_file():
            return candidate
    sys.exit("no data store found: run `make demo` (or `minsec data fetch`) or pass --store")


def start_server(store: Path, workdir: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    """Create a viewer, start `minsec serve`, wait for /health; return (process, url, token)."""
    state = workdir / "app.duckdb"
    env = {**os.environ, "MINSEC_HOME": str(workdir)}
    cli = [sys.executable, "-m", "minsec.cli"]
    token = subprocess.run(
        [*cli, "users", "add", "loadtest", "--party", "USA", "--role", "viewer",
         "--state", str(state)],
        check=True, capture_output=True, text=True, env=env,
    ).stdout.strip()  # fmt: skip
    port = free_port()
    log = (workdir / "server.log").open("wb")
    proc = subprocess.Popen(
        [*cli, "serve", "--host", "127.0.0.1", "--port", str(port), "--store", str(store),
         "--state", str(state), "--no-access-log"],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the server stopped: see {workdir / 'server.log'}")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return proc, url, token
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.terminate()
    sys.exit("the server did not answer /health within 30 s")


def process_cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) a process has used, from /proc (None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(sorted_ms: list[float], p: float) -> float:
    if not sorted_ms:
        return float("nan")
    k = min(len(sorted_ms) - 1, max(0, round(p / 100 * len(sorted_ms) + 0.5) - 1))
    return sorted_ms[k]


async def run(
    url: str,
    token: str,
    rate: float,
    duration: float,
    max_requests: int,
    concurrency: int,
    server_pid: int | None,
) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=10) as c:
        for q in QUERIES:  # warm the cache (first answers are computed)
            r = await c.get(q)
            r.raise_for_status()
        latencies: list[float] = []
        errors: dict[str, int] = {}
        gate = asyncio.Semaphore(concurrency)
        skipped = 0

        async def one(path: str) -> None:
            async with gate:
                t0 = time.perf_counter()
                try:
                    r = await c.get(path)
                    ok = r.status_code == 200
                    key = f"HTTP {r.status_code}"
                except httpx.HTTPError as exc:
                    ok, key = False, type(exc).__name__
                latencies.append((time.perf_counter() - t0) * 1000)
                if not ok:
                    errors[key] = errors.get(key, 0) + 1

        tasks: list[asyncio.Task[None]] = []
        server_cpu0 = process_cpu_s(server_pid) if server_pid else None
        client_cpu0 = time.process_time()
        start = time.perf_counter()
        interval = 1.0 / rate
        i = 0
        while i < max_requests:
            due = start + i * interval
            now = time.perf_counter()
            if due - start >= duration:
                break
            if due > now:
                await asyncio.sleep(due - now)
            if gate.locked():
                skipped += 1  # every connection busy: the server is not keeping up
            tasks.append(asyncio.create_task(one(QUERIES[i % len(QUERIES)])))
            i += 1
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
        client_cpu = time.process_time() - client_cpu0
        server_cpu1 = process_cpu_s(server_pid) if server_pid else None
    lat = sorted(latencies)
    server_cpu = None if server_cpu0 is None or server_cpu1 is None else server_cpu1 - server_cpu0
    return {
        "target_rate": rate,
        "duration_s": round(elapsed, 2),
        "requests": len(lat),
        "achieved_rate": round(len(lat) / elapsed, 1),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "sent_while_saturated": skipped,
        "p50_ms": round(percentile(lat, 50), 2),
        "p95_ms": round(percentile(lat, 95), 2),
        "p99_ms": round(percentile(lat, 99), 2),
        "max_ms": round(lat[-1], 2) if lat else None,
        "server_cpu_pct": None if server_cpu is None else round(100 * server_cpu / elapsed),
        "client_cpu_pct": round(100 * client_cpu / elapsed),
        "queries": QUERIES,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rate", type=float, default=200.0, help="requests per second")
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    ap.add_argument("--max-requests", type=int, default=100_000, help="upper bound on requests")
    ap.add_argument("--concurrency", type=int, default=32, help="connections at most")
    ap.add_argument("--store", type=Path, default=None, help="data store (default: found)")
    ap.add_argument("--url", default=None, help="use a running server (loopback only)")
    ap.add_argument("--token", default=None, help="token for --url")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args()
    if args.rate <= 0 or args.duration <= 0 or args.max_requests < 1:
        sys.exit("--rate, --duration and --max-requests must be positive")
    duration = min(args.duration, HARD_LIMIT_S)

    proc = None
    with tempfile.TemporaryDirectory(prefix="minsec-load-") as tmp:
        if args.url:
            loopback_only(urlsplit(args.url).hostname or "")
            if not args.token:
                sys.exit("--url needs --token")
            url, token = args.url.rstrip("/"), args.token
        else:
            proc, url, token = start_server(args.store or default_store(), Path(tmp))
        try:
            loopback_only(urlsplit(url).hostname or "")
            print(f"load: {args.rate:g} req/s for {duration:g} s on {url} ...", flush=True)
            figures = asyncio.run(
                run(
                    url,
                    token,
                    args.rate,
                    duration,
                    args.max_requests,
                    args.concurrency,
                    proc.pid if proc is not None else None,
                )
            )
        finally:
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
    shown = ["requests", "duration_s", "achieved_rate", "errors", "p50_ms", "p95_ms", "p99_ms"]
    shown += ["max_ms", "sent_while_saturated", "server_cpu_pct", "client_cpu_pct"]
    for key in shown:
        print(f"{key:>22}: {figures[key]}")
    if figures["error_kinds"]:
        print(f"{'error kinds':>22}: {figures['error_kinds']}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
