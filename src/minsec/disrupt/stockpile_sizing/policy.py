"""The release policy of a sized stock: who receives what in each run, from whom.

Given the stock, each run's releases are: the solver's receipts on the pairs it kept;
then each left-out pair its floor ``(L − θ)⁺``; then what is still left (pooled: the whole
pool; alone: each partner's own stock) tops up every partner's remaining shortfall pro
rata to it (``docs/stockpile-sizing.md``).
"""

from __future__ import annotations

import numpy as np

from minsec.disrupt.stockpile_sizing.problem import FloatArray, SizingProblem


def releases(
    problem: SizingProblem,
    stock_t: FloatArray,
    pooled: bool,
    first_t: FloatArray | None = None,
    floor_t: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """``(receipts, releases)``, each ``(R, P)``, of the release policy for ``stock_t``.

    ``first_t`` (R, P): receipts decided by the solver (kept pairs; 0 elsewhere), served
    first; ``floor_t`` (R, P): receipts the left-out pairs must get next (their
    ``(L − θ)⁺``); then what is left of the stock tops up every partner's remaining
    shortfall pro rata to it (see the module doc). Receipts never exceed the loss, and a
    run's receipts never exceed what the holders can release (alone: each partner's own;
    pooled: the pool, scaling down the solver's and the floors' where rounding exceeds it).
    """
    loss = problem.loss_t
    avail = np.minimum(stock_t, problem.cap())  # (P,) what each holder can release
    if not pooled:  # each partner draws its own stock as far as it goes
        got = np.minimum(loss, avail[None, :])
        return got, got.copy()
    pool = float(avail.sum())
    got = np.zeros_like(loss) if first_t is None else np.minimum(first_t, loss)
    got *= _within(got.sum(axis=1), pool)[:, None]  # solver rounding above the pool
    if floor_t is not None:
        extra = np.minimum(floor_t, loss - got)
        got += extra * _within(extra.sum(axis=1), pool - got.sum(axis=1))[:, None]
    left = np.maximum(pool - got.sum(axis=1), 0.0)  # (R,)
    rest = loss - got
    need = rest.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(need > 0, np.minimum(1.0, left / need), 0.0)
    got = got + rest * share[:, None]
    return got, _holder_releases(got, avail)


def _within(amount: FloatArray, room: FloatArray | float) -> FloatArray:
    """Factor (≤ 1) that scales ``amount`` down to ``room`` where it is larger.

    Nothing to scale (``amount`` 0) keeps the factor 1, also where rounding left the room
    a hair below zero (0/0 would make the whole run's receipts NaN).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.where(
            (amount > room) & (amount > 0), np.maximum(room, 0.0) / amount, 1.0
        )
    return out


def _holder_releases(receipts: FloatArray, avail: FloatArray) -> FloatArray:
    """Pooled: who releases the receipts of a run.

    Each holder serves its own partner first; the rest comes from the holders with stock
    left, pro rata to it.
    """
    own = np.minimum(receipts, avail[None, :])
    spare = avail[None, :] - own
    extra = (receipts - own).sum(axis=1)
    room = spare.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(room > 0, np.minimum(1.0, extra / room), 0.0)
    out: FloatArray = own + spare * share[:, None]
    return out


def flow_matrix(receipts_t: FloatArray, releases_t: FloatArray) -> FloatArray:
    """``(P, P)`` expected tonnes per run from holder p (rows) to partner q (columns).

    Each holder serves its own partner first (the diagonal, min(release, receipt)); the
    rest of each holder's release goes to the partners still short, pro rata to what they
    still need, in every run.
    """
    own = np.minimum(receipts_t, releases_t)
    give = releases_t - own  # (R, P) holders' surplus
    take = receipts_t - own  # (R, P) partners' deficit
    total = take.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(total[:, None] > 0, take / total[:, None], 0.0)
    out: FloatArray = np.einsum("rp,rq->pq", give, frac) / receipts_t.shape[0]
    out[np.diag_indices_from(out)] += own.mean(axis=0)
    return out
