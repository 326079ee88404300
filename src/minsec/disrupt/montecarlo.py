"""Monte Carlo supply risk: sample export restrictions, propagate them, reduce to metrics.

One run is one year (the engine's horizon, ``Parameters.months``) in which every exporter
may or may not restrict exports of the mineral, drawn from :mod:`minsec.disrupt.risk_model`.
Each batch of runs goes through :func:`minsec.disrupt.engine.propagate` and is reduced at
once to what the metrics need, so memory does not grow with R × n × n (or even R × n).

Reproducibility
---------------
The run index space 0 … R−1 is cut into fixed **blocks** of ``block_runs`` runs
(default :data:`BLOCK_RUNS`), independent of how the work is chunked. Block b draws from
``SeedSequence(seed).spawn(n_blocks)[b]`` (:func:`block_seed`), is propagated as one engine
call and reduced on its own; a chunk (one task) is a whole number of blocks. Per-block
reductions are combined in block order or exactly (``math.fsum``, sorted tails), so a seed
gives bit-identical results with any ``chunk_runs``, with the NumPy or Dask backend and any
number of workers. Changing ``block_runs`` (or R, which changes the size of the last block)
changes the draws.

Metrics (per importer; a bloc is one importer whose shortfall is the sum of its members')
--------------------------------------------------------------------------------------
For each run the annual shortfall L (tonnes over the horizon) and, with C the apparent
consumption over the horizon (tonnes), L/C:

* expected shortfall E[L] (t and % of C);
* VaR_α = L_(⌈αR⌉), the ⌈αR⌉-th smallest of the R values (lower α-quantile);
* CVaR_α = VaR_α + Σ_r (L_r − VaR_α)⁺ / ((1 − α) R)  (Rockafellar & Uryasev 2002), which is
  the mean of the worst (1 − α)·R runs when (1 − α)·R is a whole number. It is computed
  exactly from the ⌊(1 − α)R⌋ + 1 largest values, kept across blocks (streamed top-k);
* P(L > x·C) for the threshold x (default 10 %), and P(L > 0);
* the price index p/p0 (mean over the horizon, and its peak month): mean, p5, p50, p95;
  in ``meta``, the share of run-months with the price on the cap
  (``price_cap_month_share``) and of runs that reach it (``price_cap_run_share``).
"""

from __future__ import annotations

import importlib
import logging
import math
import multiprocessing
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from numpy.random import PCG64, Generator, SeedSequence

from minsec.catalog import blocs as blocs_catalog
from minsec.disrupt.model import Baseline, FloatArray, Outcome, Parameters, Responses, Shocks
from minsec.disrupt.risk_model import RiskModel, ShockModel, compile_model, governance_scores
from minsec.errors import DataMissingError, InputError

if TYPE_CHECKING:
    from minsec.store import Store

BLOCK_RUNS = 1_000
"""Runs per block, the unit of random streams and engine calls (part of the seed contract)."""
CHUNK_BLOCKS = {"numpy": 1, "dask": 5}
"""Default blocks per chunk (one task): 1,000 runs on NumPy threads, 5,000 on Dask."""
MAX_RUNS = 10_000_000
"""Default cap on runs per call; raise it with ``max_runs`` or ``$MINSEC_MAX_RUNS``."""
MAX_KEPT_VALUES = 250_000_000
"""Largest R × importers array ``keep_runs`` may return (2 GB of float64)."""
DEFAULT_ALPHA = 0.95
DEFAULT_THRESHOLD = 0.10

PROCESS_MIN_BLOCKS = 20
"""With ``parallel="auto"``, blocks from this many on go to worker processes (if forkable)."""

Engine = Callable[[Baseline, Shocks, Parameters, Responses | None], Outcome]
Progress = Callable[[int, int], None]
Backend = Literal["numpy", "dask"]
Parallel = Literal["auto", "threads", "processes"]

log = logging.getLogger(__name__)


# -- seeding ---------------------------------------------------------------------------


def root_seed(seed: int | SeedSequence | None) -> SeedSequence:
    """The root SeedSequence of a simulation (fresh entropy when ``seed`` is None)."""
    if isinstance(seed, SeedSequence):
        return seed
    if seed is not None and (not isinstance(seed, int | np.integer) or seed < 0):
        raise InputError(f"seed {seed!r} must be a non-negative integer", column="seed")
    return SeedSequence(None if seed is None else int(seed))


def block_seed(root: SeedSequence, block: int) -> SeedSequence:
    """Seed of block ``block``: identical to ``root.spawn(n)[block]`` for a fresh ``root``.

    Built directly from the root's entropy and spawn key, so a worker can derive any block's
    seed without spawning the ones before it.
    """
    return SeedSequence(root.entropy, spawn_key=(*root.spawn_key, block), pool_size=root.pool_size)


def block_generator(root: SeedSequence, block: int) -> Generator:
    """The random generator of one block.

    PCG64 is pinned, so results do not follow numpy's choice of default bit generator.
    """
    return Generator(PCG64(block_seed(root, block)))


# -- sampling --------------------------------------------------------------------------


def sample_shocks(
    baseline: Baseline,
    model: ShockModel,
    rng: Generator | SeedSequence | int,
    runs: int,
    *,
    months: int = 12,
) -> Shocks:
    """Draw ``runs`` years of export restrictions (and outages, when on) for ``baseline``.

    Per exporter k and run: an event with probability ``model.p_restrict[k]`` (independent
    Bernoulli, or the Gaussian copula within blocs when ``model.rho > 0``); given an event,
    ``export_fraction`` ~ Beta, ``duration_months`` ~ lognormal (months), ``start_month``
    uniform on the whole months 0 … ``months``−1. Without an event all three are 0.
    Production outages (``model.p_outage``) fill ``outage_fraction``; an outage of a country
    that also restricts in that run shares the restriction's timing.

    The draws are a fixed function of the generator's state: the same seed gives the same
    shocks. ``rng`` may be a Generator, a SeedSequence or an int seed.
    """
    if runs < 0:
        raise InputError(f"runs must be ≥ 0, got {runs}", column="runs")
    if months < 1:
        raise InputError(f"months must be ≥ 1, got {months}", column="months")
    if model.countries != baseline.countries:
        raise InputError("the shock model was compiled for another baseline's countries")
    if not isinstance(rng, Generator):
        rng = Generator(PCG64(rng if isinstance(rng, SeedSequence) else SeedSequence(rng)))
    n = baseline.n
    export_fraction = np.zeros((runs, n))
    outage_fraction = np.zeros((runs, n))
    start = np.zeros((runs, n))
    duration = np.zeros((runs, n))

    active = np.flatnonzero(model.p_restrict > 0)
    if active.size and runs:
        groups = model.group[active]
        if model.rho > 0 and (groups >= 0).any():
            n_groups = int(groups.max()) + 1
            common = rng.standard_normal((runs, n_groups))
            own = rng.standard_normal((runs, active.size))
            grouped = groups >= 0
            latent = own * np.where(grouped, math.sqrt(1.0 - model.rho), 1.0)
            latent += np.where(
                grouped, math.sqrt(model.rho) * common[:, np.maximum(groups, 0)], 0.0
            )
            event = latent < model.thresholds()[active]
        else:
            event = rng.random((runs, active.size)) < model.p_restrict[active]
        rows, k = np.nonzero(event)
        cols = active[k]
        m = rows.size
        export_fraction[rows, cols] = model.magnitude.sample(rng, m)
        duration[rows, cols] = model.duration.sample(rng, m)
        start[rows, cols] = rng.integers(0, months, size=m)

    producers = np.flatnonzero(model.p_outage > 0)
    if producers.size and runs:
        event = rng.random((runs, producers.size)) < model.p_outage[producers]
        rows, k = np.nonzero(event)
        cols = producers[k]
        m = rows.size
        outage_fraction[rows, cols] = model.outage_magnitude.sample(rng, m)
        own_duration = model.outage_duration.sample(rng, m)
        own_start = rng.integers(0, months, size=m).astype(np.float64)
        timed = duration[rows, cols] > 0
        duration[rows, cols] = np.where(timed, duration[rows, cols], own_duration)
        start[rows, cols] = np.where(timed, start[rows, cols], own_start)

    return Shocks(
        export_fraction=export_fraction,
        targets=model.targets,
        outage_fraction=outage_fraction,
        start_month=start,
        duration_months=duration,
    )


# -- importers -------------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    """An importer: a country or a bloc (label, member positions on the baseline axis)."""

    label: str
    members: tuple[str, ...]
    index: tuple[int, ...]
    consumption_t: float


def resolve_parties(
    baseline: Baseline, importers: str | Sequence[str] | None, months: int
) -> tuple[list[Party], list[str]]:
    """Importers as :class:`Party` objects and notes on members missing from the baseline.

    ``None`` means every country of the baseline with apparent consumption > 0. A bloc's
    consumption is the sum of its members' (over the horizon of ``months``).
    """
    pos = {c: i for i, c in enumerate(baseline.countries)}
    scale = months / 12.0
    notes: list[str] = []
    out: list[Party] = []
    if importers is None:
        for i, c in enumerate(baseline.countries):
            if baseline.consumption_t[i] > 0:
                out.append(Party(c, (c,), (i,), float(baseline.consumption_t[i]) * scale))
        if not out:
            raise DataMissingError(
                f"no country has apparent consumption of {baseline.commodity} in {baseline.year}"
            )
        return out, notes
    names = importers if isinstance(importers, str) else list(importers)
    for label, members in blocs_catalog.parties(names).items():
        index = tuple(pos[m] for m in members if m in pos)
        if not index:
            raise DataMissingError(
                f"importer {label!r} has no trade or production of {baseline.commodity} in "
                f"the {baseline.year} baseline"
            )
        missing = [m for m in members if m not in pos]
        if missing and len(members) > 1:
            notes.append(f"{label}: {len(missing)} member(s) without data: {','.join(missing)}")
        consumption = float(baseline.consumption_t[list(index)].sum()) * scale
        out.append(Party(label, tuple(members), index, consumption))
    return out, notes


# -- blocks ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """Everything a block needs; shipped once to each Dask worker."""

    baseline: Baseline
    model: ShockModel
    params: Parameters
    responses: Responses | None
    parties: tuple[Party, ...]
    entropy: int | Sequence[int]
    spawn_key: tuple[int, ...]
    pool_size: int
    runs: int
    block_runs: int
    tail_size: int
    threshold: float
    keep_runs: bool
    engine: Engine | None = None

    @property
    def n_blocks(self) -> int:
        return -(-self.runs // self.block_runs)

    def block_size(self, block: int) -> int:
        return min(self.block_runs, self.runs - block * self.block_runs)

    def root(self) -> SeedSequence:
        return SeedSequence(self.entropy, spawn_key=self.spawn_key, pool_size=self.pool_size)


@dataclass
class BlockResult:
    """Reductions of one block (sizes: P importers, r runs in the block, n countries)."""

    block: int
    runs: int
    sum_t: FloatArray  # (P,) Σ_r annual shortfall
    over: np.ndarray[Any, np.dtype[np.int64]]  # (P,) runs with L > threshold·C
    positive: np.ndarray[Any, np.dtype[np.int64]]  # (P,) runs with L > 0
    tail: list[FloatArray]  # per importer: its largest positive values (at most K)
    price_mean: FloatArray  # (r,) mean p/p0 over the horizon
    price_peak: FloatArray  # (r,) max p/p0 over the horizon
    events: np.ndarray[Any, np.dtype[np.int64]]  # (n,) runs with a restriction by country
    capped_months: int = 0  # run-months with the price on the cap
    capped_runs: int = 0  # runs with at least one month on the cap
    raw: FloatArray | None = None  # (r, P) per-run annual shortfall, when kept


def _engine(ctx: _Context) -> Engine:
    if ctx.engine is not None:
        return ctx.engine
    from minsec.disrupt.engine import propagate

    def totals(
        baseline: Baseline, shocks: Shocks, params: Parameters, responses: Responses | None
    ) -> Outcome:
        # the metrics need each run's sum over the horizon only: no (R, M, n) arrays
        return propagate(baseline, shocks, params, responses, totals=True)

    return totals


def annual_shortfall(outcome: Outcome, parties: Sequence[Party]) -> FloatArray:
    """``(R, P)`` tonnes of shortfall over the horizon per run and importer.

    A bloc's shortfall is the sum of its members' (the engine already nets trade between
    members when the bloc shares supply). Values are clipped at 0 against rounding noise.
    """
    per_country = outcome.shortfall_t.sum(axis=1)
    out = np.empty((per_country.shape[0], len(parties)))
    single = [j for j, p in enumerate(parties) if len(p.index) == 1]
    if single:
        out[:, single] = per_country[:, [parties[j].index[0] for j in single]]
    for j, party in enumerate(parties):
        if len(party.index) > 1:
            out[:, j] = per_country[:, list(party.index)].sum(axis=1)
    return np.maximum(out, 0.0, out=out)


def run_block(ctx: _Context, block: int) -> BlockResult:
    """Sample, propagate and reduce one block (a pure function of ``ctx`` and ``block``)."""
    r = ctx.block_size(block)
    rng = block_generator(ctx.root(), block)
    shocks = sample_shocks(ctx.baseline, ctx.model, rng, r, months=ctx.params.months)
    outcome = _engine(ctx)(ctx.baseline, shocks, ctx.params, ctx.responses)
    loss = annual_shortfall(outcome, ctx.parties)
    limit = np.array([ctx.threshold * p.consumption_t for p in ctx.parties])
    positive = loss > 0
    tail = [_top(np.ascontiguousarray(loss[positive[:, j], j]), ctx.tail_size)
            for j in range(loss.shape[1])]  # fmt: skip
    price = np.asarray(outcome.price_index, dtype=np.float64)
    cap = np.broadcast_to(np.asarray(ctx.params.max_price_multiple, dtype=np.float64), (r,))
    at_cap = price >= cap[:, None] * (1.0 - 1e-12)
    return BlockResult(
        block=block,
        runs=r,
        sum_t=loss.sum(axis=0),
        over=(loss > limit[None, :]).sum(axis=0).astype(np.int64),
        positive=positive.sum(axis=0).astype(np.int64),
        tail=tail,
        price_mean=price.mean(axis=1),
        price_peak=price.max(axis=1),
        events=(shocks.export_fraction > 0).sum(axis=0).astype(np.int64),
        capped_months=int(at_cap.sum()),
        capped_runs=int(at_cap.any(axis=1).sum()),
        raw=loss if ctx.keep_runs else None,
    )


def run_chunk(ctx: _Context, blocks: Sequence[int]) -> list[BlockResult]:
    """Run consecutive blocks (one task)."""
    return [run_block(ctx, b) for b in blocks]


def run_chunk_on_worker(ctx: _Context, blocks: Sequence[int]) -> list[BlockResult]:
    """A task of the Dask backend: pin the worker's BLAS to one thread, then run blocks."""
    pin_blas_threads()
    return run_chunk(ctx, blocks)


# -- BLAS threads ----------------------------------------------------------------------
# The engine uses matrix products and an inverse; OpenBLAS/MKL give results that differ in
# the last bits with the number of BLAS threads. Blocks therefore always run with one BLAS
# thread (parallelism comes from running blocks side by side), which makes the results the
# same on the NumPy backend (any number of worker threads) and on Dask workers.


def _threadpoolctl() -> Any:
    try:
        return importlib.import_module("threadpoolctl")
    except ImportError:  # pragma: no cover - a declared dependency
        return None


def pin_blas_threads() -> None:
    """Set this process's BLAS libraries to one thread (for good; used on Dask workers)."""
    tpc = _threadpoolctl()
    if tpc is not None:
        tpc.threadpool_limits(limits=1, user_api="blas")


_BLAS_LOCK = threading.Lock()
_BLAS_USERS = 0
_BLAS_LIMITER: Any = None


@contextmanager
def single_blas_thread() -> Iterator[str]:
    """Run the body with one BLAS thread; yields a description of the BLAS in use.

    The BLAS thread count is process-wide, so concurrent simulations (e.g. jobs of the web
    API on threads) share one limit: the first to enter sets it, the last to leave
    restores the previous setting.
    """
    global _BLAS_USERS, _BLAS_LIMITER  # noqa: PLW0603 - one process-wide setting
    tpc = _threadpoolctl()
    if tpc is None:  # pragma: no cover - a declared dependency
        yield "BLAS threads not pinned (threadpoolctl missing): bits may vary with threads"
        return
    info = [
        f"{i.get('internal_api')} {i.get('version')} {i.get('architecture', '')}".strip()
        for i in tpc.threadpool_info()
        if i.get("user_api") == "blas"
    ]
    with _BLAS_LOCK:
        if _BLAS_USERS == 0:
            _BLAS_LIMITER = tpc.threadpool_limits(limits=1, user_api="blas")
        _BLAS_USERS += 1
    try:
        yield (", ".join(info) or "no BLAS found") + "; 1 thread per block"
    finally:
        with _BLAS_LOCK:
            _BLAS_USERS -= 1
            if _BLAS_USERS == 0 and _BLAS_LIMITER is not None:
                _BLAS_LIMITER.restore_original_limits()
                _BLAS_LIMITER = None


# -- reduction -------------------------------------------------------------------------


def _top(values: FloatArray, k: int) -> FloatArray:
    """The ``k`` largest of ``values`` (all of them when there are fewer), unordered."""
    if values.size <= k:
        return values
    return np.partition(values, values.size - k)[values.size - k :]


class _Reducer:
    """Combines block results in any arrival order into order-independent totals.

    Per importer it keeps the largest positive annual shortfalls seen so far (at most
    K = :func:`tail_size` after each merge): the multiset of the K largest values of all
    runs does not depend on the order blocks arrive in, and the runs not kept are ≤ the
    K-th largest (or 0), which is all VaR and CVaR need.
    """

    def __init__(self, ctx: _Context) -> None:
        self.ctx = ctx
        self.blocks: dict[int, BlockResult] = {}
        n = len(ctx.parties)
        self.tails: list[list[FloatArray]] = [[] for _ in range(n)]
        self.tail_count = np.zeros(n, dtype=np.int64)
        self.done_runs = 0

    def add(self, res: BlockResult) -> None:
        if res.block in self.blocks:
            raise RuntimeError(f"block {res.block} reduced twice")
        limit = 2 * self.ctx.tail_size + self.ctx.block_runs
        for j, values in enumerate(res.tail):
            if values.size:
                self.tails[j].append(values)
                self.tail_count[j] += values.size
                if self.tail_count[j] > limit:
                    self._shrink(j)
        res.tail = []
        self.blocks[res.block] = res
        self.done_runs += res.runs

    def _shrink(self, j: int) -> None:
        parts = self.tails[j]
        merged = np.concatenate(parts) if len(parts) != 1 else parts[0]
        merged = _top(merged, self.ctx.tail_size)
        self.tails[j] = [merged]
        self.tail_count[j] = merged.size

    def ordered(self) -> list[BlockResult]:
        missing = set(range(self.ctx.n_blocks)) - set(self.blocks)
        if missing:
            raise RuntimeError(f"{len(missing)} block(s) never reported, e.g. {min(missing)}")
        return [self.blocks[b] for b in range(self.ctx.n_blocks)]

    def tail(self, j: int) -> FloatArray:
        """Importer j's kept values, sorted descending (a unique array for the multiset)."""
        if not self.tails[j]:
            return np.zeros(0)
        self._shrink(j)
        return -np.sort(-self.tails[j][0])


def tail_size(runs: int, alpha: float) -> int:
    """Values per importer needed for exact VaR/CVaR_α: R − ⌈αR⌉ + 1."""
    return runs - _var_rank(runs, alpha) + 1


def _var_rank(runs: int, alpha: float) -> int:
    """Rank m = ⌈αR⌉ (1-based rank of VaR_α in ascending order), robust to αR's rounding."""
    return max(1, min(runs, math.ceil(round(alpha * runs, 9))))


def var_cvar(values: FloatArray, alpha: float = DEFAULT_ALPHA) -> tuple[float, float]:
    """VaR_α and CVaR_α of a sample (the definitions of this module), computed directly."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = x.size
    var = float(x[_var_rank(n, alpha) - 1])
    excess = math.fsum(float(v) - var for v in x[x > var])
    return var, var + excess / ((1.0 - alpha) * n)


# -- result ----------------------------------------------------------------------------


@dataclass
class RiskResult:
    """What :func:`run_risk` returns.

    Attributes
    ----------
    summary:
        One row per importer: ``importer, members, consumption_t`` (apparent consumption
        over the horizon, t), ``expected_shortfall_t``/``_pct``, ``var95_t``/``_pct``,
        ``cvar95_t``/``_pct`` (α of the call; % of consumption), ``p_shortfall_gt_10pct``
        (threshold of the call), ``p_any_shortfall``, and the price index p/p0 of the run
        (mean over the horizon): ``price_mean, price_p5, price_p50, price_p95``.
    exporters:
        One row per country of the baseline: exports, WGI score, probabilities (governance,
        history, override, final) and the observed event rate over the runs.
    price:
        Distribution of the price index: rows ``horizon_mean`` and ``peak_month`` with
        ``mean, p5, p50, p95`` (p/p0, dimensionless).
    shortfall_runs_t:
        ``(R, P)`` annual shortfall per run and importer (t), only with ``keep_runs``.
    meta:
        Seed, runs, blocks, backend, model, horizon, notes, timing.
    """

    summary: pd.DataFrame
    exporters: pd.DataFrame
    price: pd.DataFrame
    meta: dict[str, Any]
    shortfall_runs_t: FloatArray | None = None
    price_runs: FloatArray | None = field(default=None, repr=False)


def _pct_label(x: float) -> str:
    return f"{x * 100:g}".replace(".", "_")


def _finish(ctx: _Context, reducer: _Reducer, alpha: float, meta: dict[str, Any]) -> RiskResult:
    blocks = reducer.ordered()
    runs = ctx.runs
    n_parties = len(ctx.parties)
    sums = np.stack([b.sum_t for b in blocks])
    expected = np.array([math.fsum(sums[:, j]) for j in range(n_parties)]) / runs
    over = np.sum([b.over for b in blocks], axis=0) / runs
    positive = np.sum([b.positive for b in blocks], axis=0) / runs
    k = ctx.tail_size
    denom = (1.0 - alpha) * runs
    var = np.zeros(n_parties)
    cvar = np.zeros(n_parties)
    for j in range(n_parties):
        top = reducer.tail(j)  # the largest positive values, descending
        var[j] = top[k - 1] if top.size >= k else 0.0  # fewer positives: VaR is a zero run
        excess = top[top > var[j]] - var[j]
        cvar[j] = var[j] + math.fsum(excess.tolist()) / denom
    meta["price_cap_month_share"] = sum(b.capped_months for b in blocks) / (
        runs * ctx.params.months
    )
    meta["price_cap_run_share"] = sum(b.capped_runs for b in blocks) / runs
    price_mean = np.concatenate([b.price_mean for b in blocks])
    price_peak = np.concatenate([b.price_peak for b in blocks])
    events = np.sum([b.events for b in blocks], axis=0)

    def stats(x: FloatArray) -> dict[str, float]:
        q = np.quantile(x, [0.05, 0.5, 0.95])
        return {
            "mean": math.fsum(x.tolist()) / x.size,
            "p5": float(q[0]),
            "p50": float(q[1]),
            "p95": float(q[2]),
        }

    pm = stats(price_mean)
    consumption = np.array([p.consumption_t for p in ctx.parties])
    with np.errstate(divide="ignore", invalid="ignore"):

        def pct(x: FloatArray) -> FloatArray:
            return np.where(consumption > 0, 100.0 * x / consumption, np.nan)

        a = _pct_label(alpha)
        t = _pct_label(ctx.threshold)
        summary = pd.DataFrame(
            {
                "commodity": ctx.baseline.commodity,
                "year": ctx.baseline.year,
                "importer": [p.label for p in ctx.parties],
                "members": [len(p.members) for p in ctx.parties],
                "consumption_t": consumption,
                "expected_shortfall_t": expected,
                "expected_shortfall_pct": pct(expected),
                f"var{a}_t": var,
                f"var{a}_pct": pct(var),
                f"cvar{a}_t": cvar,
                f"cvar{a}_pct": pct(cvar),
                f"p_shortfall_gt_{t}pct": over,
                "p_any_shortfall": positive,
                "price_mean": pm["mean"],
                "price_p5": pm["p5"],
                "price_p50": pm["p50"],
                "price_p95": pm["p95"],
                "runs": runs,
            }
        )
    price = pd.DataFrame(
        [{"statistic": "horizon_mean", **pm}, {"statistic": "peak_month", **stats(price_peak)}]
    )
    exporters = ctx.model.table.copy()
    exporters["event_rate"] = events / runs
    exporters = exporters[exporters["exports_t"] > 0].sort_values(
        ["exports_t", "country"], ascending=[False, True]
    )
    raw = np.concatenate([b.raw for b in blocks if b.raw is not None]) if ctx.keep_runs else None
    return RiskResult(
        summary=summary,
        exporters=exporters.reset_index(drop=True),
        price=price,
        meta=meta,
        shortfall_runs_t=raw,
        price_runs=price_mean,
    )


# -- backends --------------------------------------------------------------------------


def _chunks(n_blocks: int, chunk_blocks: int) -> list[list[int]]:
    return [
        list(range(s, min(s + chunk_blocks, n_blocks))) for s in range(0, n_blocks, chunk_blocks)
    ]


_PROCESS_CTX: _Context | None = None


def _process_init(ctx: _Context) -> None:
    """Initialiser of a worker process of the NumPy backend: keep the context, pin BLAS."""
    global _PROCESS_CTX  # noqa: PLW0603 - one context per worker process
    _PROCESS_CTX = ctx
    pin_blas_threads()


def _process_chunk(blocks: list[int]) -> list[BlockResult]:
    """A task of a worker process: run consecutive blocks of the process's context."""
    if _PROCESS_CTX is None:  # pragma: no cover - set by the initialiser
        raise RuntimeError("worker process without a context")
    return run_chunk(_PROCESS_CTX, blocks)


def _forkable() -> bool:
    """Whether worker processes can be forked safely (fork exists, no other threads)."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _use_processes(parallel: str, workers: int, n_blocks: int) -> bool:
    if parallel not in {"auto", "threads", "processes"}:
        raise InputError(
            f"parallel {parallel!r} is not 'auto', 'threads' or 'processes'", column="parallel"
        )
    if workers <= 1 or parallel == "threads":
        return False
    if parallel == "processes":
        return True
    return n_blocks >= PROCESS_MIN_BLOCKS and _forkable()


def _run_numpy(
    ctx: _Context,
    chunks: list[list[int]],
    reducer: _Reducer,
    progress: Progress | None,
    workers: int,
    processes: bool = False,
) -> dict[str, Any]:
    if workers <= 1:
        for chunk in chunks:
            for res in run_chunk(ctx, chunk):
                reducer.add(res)
            if progress is not None:
                progress(reducer.done_runs, ctx.runs)
        return {"workers": 1}
    if processes:
        # separate interpreters: the engine's many small array operations hold the GIL
        # long enough that threads share about one core; processes use all of them
        method = "fork" if _forkable() else "spawn"
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context(method),
            initializer=_process_init,
            initargs=(ctx,),
        ) as procs:
            for results in procs.map(_process_chunk, chunks):
                for res in results:
                    reducer.add(res)
                if progress is not None:
                    progress(reducer.done_runs, ctx.runs)
        return {"workers": workers, "processes": True, "start_method": method}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="minsec-mc") as pool:
        for results in pool.map(lambda c: run_chunk(ctx, c), chunks):
            for res in results:
                reducer.add(res)
            if progress is not None:
                progress(reducer.done_runs, ctx.runs)
    return {"workers": workers, "threads": True}


def _worker_peak_rss_mb() -> float:
    """Peak resident memory of this process in MB (Linux VmHWM, else ru_maxrss)."""
    import resource
    import sys
    from pathlib import Path

    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return float(peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024)


def _worker_cpu_s() -> float:
    """CPU seconds used by this process so far (all its threads)."""
    return time.process_time()


def _run_dask(
    ctx: _Context,
    chunks: list[list[int]],
    reducer: _Reducer,
    progress: Progress | None,
    scheduler: Any,
    cluster_options: Mapping[str, Any] | None,
) -> dict[str, Any]:
    try:
        # imported as Any: distributed's API is only partly annotated
        distributed: Any = importlib.import_module("distributed")
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise InputError(
            "the Dask backend needs dask.distributed: pip install 'minsec[dask]'",
            column="backend",
        ) from exc

    info: dict[str, Any] = {}
    cluster = None
    own_client = True
    if scheduler is None:
        options: dict[str, Any] = {
            "n_workers": 2,
            "threads_per_worker": 1,
            "memory_limit": "1.5GiB",
            "processes": True,
            "dashboard_address": ":0",  # any free port: no clash with a running cluster
            "silence_logs": logging.ERROR,
        }
        options.update(cluster_options or {})
        dask: Any = importlib.import_module("dask")
        # Dask sets MALLOC_TRIM_THRESHOLD_ in workers, which disables glibc's adaptive mmap
        # threshold: every temporary array of the engine is then mapped and zeroed afresh,
        # and blocks run 2-2.5x slower than in the driver (measured). Unset it here.
        with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
            cluster = distributed.LocalCluster(**options)
        client = distributed.Client(cluster)
        info["cluster"] = (
            f"LocalCluster(n_workers={options['n_workers']}, "
            f"threads_per_worker={options['threads_per_worker']}, "
            f"memory_limit={options['memory_limit']}, processes={options['processes']})"
        )
    elif isinstance(scheduler, distributed.Client):
        client = scheduler
        own_client = False
        info["cluster"] = f"client {client.scheduler.address if client.scheduler else '?'}"
    else:
        client = distributed.Client(str(scheduler))
        info["cluster"] = f"scheduler {scheduler}"
    try:
        n_workers = len(client.scheduler_info().get("workers", {}))
        info["workers"] = n_workers
        token = uuid.uuid4().hex[:8]
        [ctx_future] = client.scatter([ctx], broadcast=True, hash=False)
        futures = [
            client.submit(
                run_chunk_on_worker, ctx_future, chunk, key=f"minsec-risk-{token}-{i}", pure=False
            )
            for i, chunk in enumerate(chunks)
        ]
        for future, results in distributed.as_completed(futures, with_results=True):
            for res in results:
                reducer.add(res)
            future.release()
            if progress is not None:
                progress(reducer.done_runs, ctx.runs)
        try:
            peaks = client.run(_worker_peak_rss_mb)
            info["worker_peak_rss_mb"] = {str(k): round(v, 1) for k, v in peaks.items()}
            # CPU of each worker process since it started (for a LocalCluster started by
            # this call: the simulation plus the worker's start-up and imports)
            cpu = client.run(_worker_cpu_s)
            info["worker_cpu_s"] = {str(k): round(v, 2) for k, v in cpu.items()}
        except Exception as exc:  # diagnostics only
            log.debug("could not read worker memory: %s", exc)
        del ctx_future
    finally:
        if own_client:
            client.close()
        if cluster is not None:
            cluster.close()
    return info


# -- entry point -----------------------------------------------------------------------


def _workers(workers: int | None) -> int:
    if workers is None:
        return max(1, min(8, os.cpu_count() or 1))
    if workers < 1:
        raise InputError(f"workers must be ≥ 1, got {workers}", column="workers")
    return int(workers)


def _max_runs(max_runs: int | None) -> int:
    if max_runs is not None:
        return int(max_runs)
    env = os.environ.get("MINSEC_MAX_RUNS")
    if env:
        try:
            return int(env)
        except ValueError:
            raise InputError(
                f"MINSEC_MAX_RUNS={env!r} is not an integer", column="MINSEC_MAX_RUNS"
            ) from None
    return MAX_RUNS


def _check(
    runs: int,
    max_runs: int,
    block_runs: int,
    chunk_runs: int | None,
    alpha: float,
    threshold: float,
    backend: str,
) -> None:
    if isinstance(runs, bool) or not isinstance(runs, int | np.integer) or runs < 1:
        raise InputError(f"runs must be a positive whole number, got {runs!r}", column="runs")
    if runs > max_runs:
        raise InputError(
            f"runs {runs:,} exceeds the cap of {max_runs:,}; raise it with max_runs= "
            "(CLI: --max-runs) or $MINSEC_MAX_RUNS",
            column="runs",
        )
    if block_runs < 1:
        raise InputError(f"block_runs must be ≥ 1, got {block_runs}", column="block_runs")
    if chunk_runs is not None and chunk_runs < 1:
        raise InputError(f"chunk_runs must be ≥ 1, got {chunk_runs}", column="chunk_runs")
    if not 0.0 < alpha < 1.0:
        raise InputError(f"alpha must be in (0, 1), got {alpha}", column="alpha")
    if not threshold >= 0.0:
        raise InputError(f"threshold must be ≥ 0, got {threshold}", column="threshold")
    if backend not in {"numpy", "dask"}:
        raise InputError(f"backend {backend!r} is not 'numpy' or 'dask'", column="backend")


def run_risk(
    source: Store | Baseline,
    importers: str | Sequence[str] | None = None,
    *,
    runs: int = 10_000,
    seed: int | SeedSequence | None = None,
    commodity: str | None = None,
    year: int | None = None,
    model: RiskModel | None = None,
    scores: Mapping[str, float] | pd.DataFrame | None = None,
    store: Store | None = None,
    params: Parameters | None = None,
    responses: Responses | None = None,
    backend: Backend = "numpy",
    scheduler: Any = None,
    chunk_runs: int | None = None,
    block_runs: int = BLOCK_RUNS,
    workers: int | None = None,
    parallel: Parallel = "auto",
    cluster_options: Mapping[str, Any] | None = None,
    alpha: float = DEFAULT_ALPHA,
    threshold: float = DEFAULT_THRESHOLD,
    keep_runs: bool = False,
    max_runs: int | None = None,
    progress: Progress | None = None,
    engine: Engine | None = None,
    baseline_options: Mapping[str, Any] | None = None,
) -> RiskResult:
    """Monte Carlo supply risk of one mineral for importers (countries and blocs).

    Parameters
    ----------
    source:
        A store (then ``commodity`` and ``year`` build the baseline with
        :func:`minsec.disrupt.baseline.build_baseline`) or a ready :class:`Baseline`.
    importers:
        Countries and blocs (``"USA,JPN,like-minded"`` or a list); None = every country of
        the baseline with apparent consumption > 0.
    commodity, year:
        Mineral (id or name) and baseline year when ``source`` is a store (default year:
        the latest year of trade data).
    runs, seed:
        Number of simulated years R and the seed (None = fresh entropy, reported in
        ``meta["seed"]`` so the run can be repeated).
    model:
        The risk model (default: :meth:`RiskModel.load`).
    scores:
        Governance scores W (0–10) per country; default: from the store
        (:func:`~minsec.disrupt.risk_model.governance_scores`), else ``missing_score``.
    store:
        Store for governance scores when ``source`` is a Baseline.
    params, responses:
        Engine parameters (default: the commodity's documented defaults,
        ``commodity_parameters(commodity).engine_parameters()``) and policy responses
        (default none).
    backend, scheduler, cluster_options:
        ``"numpy"`` (default, in-process; ``workers`` > 1 runs chunks on threads) or
        ``"dask"``: ``scheduler`` is a scheduler address (``"tcp://host:8786"``) or a
        ``distributed.Client``; without one a ``LocalCluster(n_workers=2,
        threads_per_worker=1, memory_limit="1.5GiB")`` is started (``cluster_options``
        changes its arguments) and closed at the end.
    workers:
        Threads or processes of the NumPy backend (default: the CPUs, at most 8; 1 = run in
        the calling thread). Results do not depend on it.
    parallel:
        How the NumPy backend runs ``workers`` > 1: ``"threads"``, ``"processes"`` (worker
        processes, forked when the calling process has no other thread, else spawned: then
        the context and a custom ``engine`` must be picklable), or ``"auto"`` (default):
        processes from :data:`PROCESS_MIN_BLOCKS` blocks on when the process can fork
        safely, else threads. Results do not depend on it.
    chunk_runs:
        Runs per task, rounded up to whole blocks (default: 1,000 on NumPy threads, 5,000
        on Dask); does not change the results.
    block_runs:
        Runs per block (the unit of random streams): part of the seed contract.
    alpha, threshold:
        Confidence level of VaR/CVaR (default 0.95) and the shortfall share x of
        P(shortfall > x · consumption) (default 0.10).
    keep_runs:
        Also return the ``(R, P)`` per-run annual shortfall (refused above
        :data:`MAX_KEPT_VALUES` values).
    max_runs:
        Cap on ``runs`` (default :data:`MAX_RUNS` or ``$MINSEC_MAX_RUNS``).
    progress:
        Called as ``progress(runs_done, runs_total)`` after each chunk.
    engine:
        Alternative to :func:`minsec.disrupt.engine.propagate` (same signature; must be
        importable on Dask workers).
    baseline_options:
        Extra keyword arguments of ``build_baseline``.
    """
    cap = _max_runs(max_runs)
    _check(runs, cap, block_runs, chunk_runs, alpha, threshold, backend)
    if scheduler is not None and backend != "dask":
        raise InputError(
            "a Dask scheduler was given but the backend is 'numpy': use backend='dask' "
            "(CLI: --backend dask)",
            column="scheduler",
        )
    runs = int(runs)
    started = time.perf_counter()
    model = RiskModel.load() if model is None else model

    if isinstance(source, Baseline):
        baseline = source
        gov_store = store
    else:
        if commodity is None:
            raise InputError("name the mineral: commodity=...", column="commodity")
        from minsec.catalog import commodities as commodity_catalog
        from minsec.disrupt.baseline import build_baseline

        commodity = commodity_catalog.resolve(commodity)
        if year is None:
            year = _latest_trade_year(source)
        baseline = build_baseline(source, commodity, year, **dict(baseline_options or {}))
        gov_store = source
    if params is None:
        from minsec.disrupt.baseline import commodity_parameters

        params = commodity_parameters(baseline.commodity).engine_parameters()
    notes = list(baseline.notes)
    if scores is None and gov_store is not None:
        scores = governance_scores(gov_store, baseline.year, basis=model.governance_basis)
        if isinstance(scores, pd.DataFrame) and scores.empty:
            notes.append(f"no WGI in the store: every exporter has W = {model.missing_score}")
    elif scores is None:
        notes.append(f"no governance scores given: every exporter has W = {model.missing_score}")
    shock_model = compile_model(model, baseline, scores)
    parties, party_notes = resolve_parties(baseline, importers, params.months)
    notes += party_notes

    n_parties = len(parties)
    if keep_runs and runs * n_parties > MAX_KEPT_VALUES:
        raise InputError(
            f"keep_runs would hold {runs:,} x {n_parties} values (> {MAX_KEPT_VALUES:,}); "
            "ask for fewer runs or importers",
            column="keep_runs",
        )
    root = root_seed(seed)
    ctx = _Context(
        baseline=baseline,
        model=shock_model,
        params=params,
        responses=responses,
        parties=tuple(parties),
        entropy=root.entropy,  # type: ignore[arg-type]
        spawn_key=tuple(root.spawn_key),
        pool_size=root.pool_size,
        runs=runs,
        block_runs=int(block_runs),
        tail_size=tail_size(runs, alpha),
        threshold=float(threshold),
        keep_runs=keep_runs,
        engine=engine,
    )
    chunk_blocks = (
        CHUNK_BLOCKS[backend]
        if chunk_runs is None
        else max(1, -(-int(chunk_runs) // ctx.block_runs))
    )
    chunks = _chunks(ctx.n_blocks, chunk_blocks)
    reducer = _Reducer(ctx)
    if backend == "numpy":
        n_workers = _workers(workers)
        processes = _use_processes(parallel, n_workers, ctx.n_blocks)
        with single_blas_thread() as blas:
            info = _run_numpy(ctx, chunks, reducer, progress, n_workers, processes)
    else:
        info = _run_dask(ctx, chunks, reducer, progress, scheduler, cluster_options)
        blas = "1 BLAS thread per Dask worker process"
    meta: dict[str, Any] = {
        "commodity": baseline.commodity,
        "stage": baseline.stage,
        "year": baseline.year,
        "importers": [p.label for p in parties],
        "runs": runs,
        "seed": root.entropy,
        "block_runs": ctx.block_runs,
        "n_blocks": ctx.n_blocks,
        "chunk_runs": chunk_blocks * ctx.block_runs,
        "n_chunks": len(chunks),
        "backend": backend,
        **info,
        "blas": blas,
        "alpha": alpha,
        "threshold": threshold,
        "horizon_months": params.months,
        "units": "tonnes over the horizon (gross weight of the trade basket unless noted); "
        "pct = % of apparent consumption over the horizon; price = p/p0",
        "model": model.describe(),
        "notes": notes,
    }
    result = _finish(ctx, reducer, alpha, meta)
    result.meta["seconds"] = round(time.perf_counter() - started, 3)
    return result


def _latest_trade_year(store: Store) -> int:
    row = store.con.execute("SELECT max(year) FROM trade").fetchone()
    if row is None or row[0] is None:
        raise DataMissingError("the store has no trade data: run `minsec data fetch` first")
    return int(row[0])
