"""Supply concentration, the pure core: shares, HHI, top-k, governance-weighted HHI.

Nothing here reads the store; every function takes plain arrays or tidy frames, so the
arithmetic can be property-tested and reused on any data (production, reserves, imports).

Definitions (see ``docs/methods.md``, "Supply structure")
---------------------------------------------------------
For one commodity × stage × year × source, with P_i the quantity of country i (in the
publisher's unit) and P_other the quantity of an "Other countries" row:

* total  T = Σ_i P_i + P_other   (a world-total row is never part of it);
* share  s_i = P_i / T           (fraction 0–1; ``other_share`` = P_other / T, so
  Σ_i s_i + other_share = 1);
* HHI    = Σ_i (100·s_i)²        (0–10,000; "Other countries" stays out of the squares
  because its concentration is unknown). This is how World Mining Data computes the HHI
  it publishes in tables 6.5: shares in percent of the world total, squared, summed over
  producing countries; its own "Total" row (= Σ of the country rows) is not a country;
* top-k share = Σ of the k largest s_i (fraction 0–1);
* producers = countries with s_i ≥ 1 % (and, separately, all countries with P_i > 0);
* governance-weighted HHI (EU criticality method, JRC 2017):
  HHI_WGI = Σ_i s_i² · W_i with W_i on 0–10 (10 = worst governance), so HHI_WGI lies in
  [0, 10·Σ s_i²] ⊆ [0, 10]. W_i is the mean of the WGI estimates (each about −2.5…+2.5)
  rescaled linearly +2.5 → 0, −2.5 → 10: W = 10·(2.5 − x̄)/5 = 5 − 2·x̄, clipped to
  [0, 10] (estimates slightly beyond ±2.5 exist).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from minsec.errors import InputError

FloatArray = npt.NDArray[np.float64]

HHI_MAX = 10_000.0
"""HHI of a monopoly on the 0–10,000 scale."""
PRODUCER_THRESHOLD = 0.01
"""Share (fraction) from which a country counts in ``n_producers`` (1 %)."""
WORLD = "WORLD"
"""Country id of a world-total row (dropped: never a country, never in the total)."""
OTHER = "OTHER"
"""Country id of an "Other countries" row (in the total, out of the squares)."""

WGI_INDICATORS = ("VA", "PV", "GE", "RQ", "RL", "CC")
"""The six WGI estimates: voice & accountability, political stability & absence of
violence, government effectiveness, regulatory quality, rule of law, control of
corruption."""
WGI_BEST = 2.5
"""WGI estimate mapped to governance score 0 (best)."""
WGI_WORST = -2.5
"""WGI estimate mapped to governance score 10 (worst)."""
WGI_SCORE_MAX = 10.0
WGI_DEFAULT_SCORE = 5.0
"""Governance score used for a producer without WGI: 5 = a WGI mean of 0, which is the
cross-country average by construction of the WGI estimates."""

HHI_UNCONCENTRATED = 1_500.0
HHI_HIGHLY_CONCENTRATED = 2_500.0
"""Bands of the US DOJ/FTC Horizontal Merger Guidelines (2010): HHI < 1,500
unconcentrated, 1,500–2,500 moderately concentrated, > 2,500 highly concentrated."""

RESCALING_NOTE = (
    "W_i = mean of the available WGI estimates of country i, rescaled linearly "
    "+2.5 -> 0 and -2.5 -> 10 (W = 5 - 2*mean), clipped to [0, 10]; "
    "HHI_WGI = sum_i s_i^2 * W_i with s_i the share as a fraction (0..10)"
)

STRUCTURE_COLUMNS = (
    "total",
    "world_reported",
    "coverage",
    "n_withheld",
    "other_share",
    "hhi",
    "concentration",
    "top1_country",
    "top1_share",
    "top3_share",
    "top3_countries",
    "n_producers",
    "n_producers_total",
    "wgi_weighted_hhi",
    "n_wgi_missing",
)
"""Metric columns of :func:`structure_table`, in order (bloc share columns follow)."""


# -- array level -----------------------------------------------------------------------


def _as_quantities(values: npt.ArrayLike, name: str = "quantities") -> FloatArray:
    q = np.asarray(values, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(q)):
        raise InputError(f"{name} must be finite numbers (drop withheld/NaN rows first)")
    if np.any(q < 0):
        raise InputError(f"{name} must be ≥ 0; got {float(q.min())}")
    return q


def shares(quantities: npt.ArrayLike, *, other: float = 0.0) -> FloatArray:
    """Country shares s_i = P_i / (Σ_k P_k + P_other), as fractions 0–1.

    Parameters
    ----------
    quantities:
        Quantities P_i of the countries (any one unit; ≥ 0, finite).
    other:
        Quantity of an "Other countries" row: in the denominator, not a country.

    Returns
    -------
    Shares in the order given; all NaN when the total is 0.
    """
    q = _as_quantities(quantities)
    other_q = float(_as_quantities([other], "other")[0])
    total = float(q.sum()) + other_q
    if total <= 0:
        return np.full(q.shape, np.nan)
    return q / total


def hhi(share: npt.ArrayLike) -> float:
    """Herfindahl–Hirschman index Σ_i (100·s_i)² on the 0–10,000 scale.

    ``share`` are fractions 0–1 of the countries only (leave "Other countries" out).
    Returns NaN for an empty or all-NaN input.
    """
    s = np.asarray(share, dtype=np.float64).reshape(-1)
    if s.size == 0 or np.all(np.isnan(s)):
        return float("nan")
    return float(np.nansum((100.0 * s) ** 2))


def top_share(share: npt.ArrayLike, k: int = 1) -> float:
    """Combined share (fraction) of the ``k`` largest shares; NaN when there is none."""
    if k < 1:
        raise InputError(f"k must be ≥ 1, got {k}")
    s = np.asarray(share, dtype=np.float64).reshape(-1)
    s = s[~np.isnan(s)]
    if s.size == 0:
        return float("nan")
    return float(np.sort(s)[::-1][:k].sum())


def n_producers(share: npt.ArrayLike, threshold: float = PRODUCER_THRESHOLD) -> int:
    """Number of countries whose share (fraction) is at least ``threshold`` (default 1 %)."""
    s = np.asarray(share, dtype=np.float64).reshape(-1)
    return int(np.sum(s >= threshold))


def wgi_score(estimate: npt.ArrayLike) -> FloatArray:
    """Governance score 0–10 (10 = worst) from a WGI estimate (about −2.5…+2.5).

    W = 10·(2.5 − x)/5 = 5 − 2·x, clipped to [0, 10]; NaN stays NaN. Pass the mean of the
    six estimates (EU method) or a single one (e.g. only PV available).
    """
    x = np.asarray(estimate, dtype=np.float64)
    w = WGI_SCORE_MAX * (WGI_BEST - x) / (WGI_BEST - WGI_WORST)
    return np.asarray(np.clip(w, 0.0, WGI_SCORE_MAX), dtype=np.float64)


def wgi_weighted_hhi(share: npt.ArrayLike, score: npt.ArrayLike) -> float:
    """EU governance-weighted concentration HHI_WGI = Σ_i s_i² · W_i.

    ``share`` are fractions 0–1 (countries only), ``score`` the governance scores W_i on
    0–10. The result lies in [0, 10·Σ s_i²] ⊆ [0, 10] (not the 0–10,000 HHI scale).
    NaN scores raise: replace them with a documented default first.
    """
    s = np.asarray(share, dtype=np.float64).reshape(-1)
    w = np.asarray(score, dtype=np.float64).reshape(-1)
    if s.shape != w.shape:
        raise InputError(f"{s.size} shares but {w.size} governance scores")
    if np.any(np.isnan(w)):
        raise InputError("governance scores contain NaN: fill missing WGI with a default")
    if s.size == 0 or np.all(np.isnan(s)):
        return float("nan")
    return float(np.nansum(s**2 * w))


def concentration_band(value: float) -> str | None:
    """'unconcentrated' (< 1,500), 'moderate' (1,500–2,500) or 'high' (> 2,500)."""
    if value is None or not np.isfinite(value):
        return None
    if value < HHI_UNCONCENTRATED:
        return "unconcentrated"
    if value <= HHI_HIGHLY_CONCENTRATED:
        return "moderate"
    return "high"


def bloc_column(bloc_id: str) -> str:
    """Column name of a bloc's supply share (fraction 0–1).

    ``share_`` + the id lower-cased with runs of other characters as ``_``:
    ``like-minded`` → ``share_like_minded``, ``US`` → ``share_us``.
    """
    return "share_" + re.sub(r"[^0-9a-z]+", "_", bloc_id.lower()).strip("_")


# -- frame level -----------------------------------------------------------------------


def _prepare(rows: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    missing = [c for c in (*keys, "country", "quantity") if c not in rows.columns]
    if missing:
        raise InputError(f"rows lack column(s) {missing}")
    df = rows.reset_index(drop=True).copy()
    df["quantity"] = pd.to_numeric(df["quantity"], errors="raise").astype("float64")
    bad = df["quantity"].notna() & ((df["quantity"] < 0) | ~np.isfinite(df["quantity"]))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        value = float(df["quantity"].iloc[i])
        raise InputError(f"quantity must be finite and ≥ 0; record {i + 1} has {value}")
    df["country"] = df["country"].astype("object")
    if keys:
        df["_gid"] = df.groupby(list(keys), dropna=False, sort=True).ngroup()
    else:
        df["_gid"] = 0
    return df


def country_share_table(
    rows: pd.DataFrame,
    keys: Sequence[str],
) -> pd.DataFrame:
    """One row per country with a quantity > 0 in each group of ``keys``.

    ``rows`` holds ``keys``, ``country``, ``quantity`` (and optionally ``wgi``, the
    governance score). World rows are dropped; "Other countries" and NULL quantities are
    left out of the result but "Other countries" stays in the denominator. Several rows of
    the same country in a group are summed.

    Returns ``keys``, ``country``, ``quantity``, ``share`` (fraction), ``rank`` (1 = largest;
    ties broken by country id), ``cumulative_share``, ``hhi_component`` = (100·s)², and
    ``wgi`` when given.
    """
    df = _prepare(rows, keys)
    valid = df[df["quantity"].notna() & (df["country"] != WORLD)]
    total = valid.groupby("_gid")["quantity"].sum()
    countries_ = valid[valid["country"] != OTHER]
    agg: dict[str, tuple[str, str]] = {"quantity": ("quantity", "sum")}
    if "wgi" in df.columns:
        agg["wgi"] = ("wgi", "first")
    per = countries_.groupby(["_gid", "country"], sort=False).agg(**agg).reset_index()
    per = per[per["quantity"] > 0].copy()
    tot = per["_gid"].map(total)
    per["share"] = per["quantity"] / tot
    per = per.sort_values(["_gid", "quantity", "country"], ascending=[True, False, True])
    per["rank"] = per.groupby("_gid").cumcount() + 1
    per["cumulative_share"] = per.groupby("_gid")["share"].cumsum()
    per["hhi_component"] = (100.0 * per["share"]) ** 2
    key_table = df.drop_duplicates("_gid")[["_gid", *keys]]
    out = key_table.merge(per, on="_gid", how="inner").drop(columns="_gid")
    cols = [*keys, "country", "quantity", "share", "rank", "cumulative_share", "hhi_component"]
    if "wgi" in df.columns:
        cols.append("wgi")
    return out[cols].reset_index(drop=True)


def structure_table(
    rows: pd.DataFrame,
    keys: Sequence[str],
    *,
    blocs: Mapping[str, Iterable[str]] | None = None,
    threshold: float = PRODUCER_THRESHOLD,
    wgi_default: float = WGI_DEFAULT_SCORE,
) -> pd.DataFrame:
    """Supply-structure metrics, one row per group of ``keys``.

    Parameters
    ----------
    rows:
        Tidy rows with ``keys``, ``country`` (``WORLD`` = world total, ``OTHER`` = other
        countries), ``quantity`` (NULL = withheld / not available) and optionally ``wgi``,
        the governance score W_i (0–10) of the row's country (NaN = no WGI).
    keys:
        Columns that identify one group (e.g. commodity, stage, year, source, unit).
    blocs:
        Bloc id → member country ids; adds ``share_<bloc>`` = Σ_{i∈bloc} P_i / T.
    threshold:
        Share (fraction) from which a country counts in ``n_producers``.
    wgi_default:
        Score used for producers without WGI (counted in ``n_wgi_missing``).

    Returns
    -------
    DataFrame
        ``keys`` and: ``total`` T = Σ country + other quantities (publisher's unit);
        ``world_reported`` (the world row, if any) and ``coverage`` = T / world_reported;
        ``n_withheld`` rows with NULL quantity (excluded); ``other_share`` = P_other / T;
        ``hhi`` = Σ (100·s_i)² (0–10,000) and its ``concentration`` band; ``top1_country``,
        ``top1_share``, ``top3_share`` (fractions), ``top3_countries`` (``;``-joined);
        ``n_producers`` (s_i ≥ threshold), ``n_producers_total`` (P_i > 0);
        ``wgi_weighted_hhi`` = Σ s_i² W_i (0–10; NaN without a ``wgi`` column) and
        ``n_wgi_missing`` (producers with P_i > 0 scored with ``wgi_default``); then one
        ``share_<bloc>`` column per bloc (fractions). The concentration metrics are NaN
        when no country has a positive quantity (everything withheld, zero, or in
        "Other countries"): the concentration is then unknown, not 0.
    """
    df = _prepare(rows, keys)
    gids = pd.Index(np.sort(df["_gid"].unique()), name="_gid")
    out = df.drop_duplicates("_gid").set_index("_gid")[list(keys)].reindex(gids)

    is_world = df["country"] == WORLD
    has_q = df["quantity"].notna()
    world = df[is_world & has_q].groupby("_gid")["quantity"].sum(min_count=1)
    valid = df[has_q & ~is_world]
    total = valid.groupby("_gid")["quantity"].sum().reindex(gids)
    other = valid[valid["country"] == OTHER].groupby("_gid")["quantity"].sum()
    other = other.reindex(gids, fill_value=0.0)
    positive_total = total.where(total > 0)

    out["total"] = total
    out["world_reported"] = world.reindex(gids)
    out["coverage"] = total / out["world_reported"].where(out["world_reported"] > 0)
    out["n_withheld"] = (~has_q & ~is_world).groupby(df["_gid"]).sum().reindex(gids).astype("int64")
    out["other_share"] = other / positive_total

    # group ids are 0..n-1 in key order, so grouping again by them keeps them unchanged
    per = country_share_table(df.rename(columns={"_gid": "_g"}), ["_g"])
    per = per.rename(columns={"_g": "_gid"})
    grp = per.groupby("_gid")
    hhi_sum = grp["hhi_component"].sum()
    out["hhi"] = hhi_sum.reindex(gids).where(positive_total.notna())
    out["concentration"] = [concentration_band(v) for v in out["hhi"]]
    first = per[per["rank"] == 1].set_index("_gid")
    out["top1_country"] = first["country"].reindex(gids)
    out["top1_share"] = first["share"].reindex(gids)
    top3 = per[per["rank"] <= 3]
    out["top3_share"] = top3.groupby("_gid")["share"].sum().reindex(gids)
    out["top3_countries"] = top3.groupby("_gid")["country"].agg(";".join).reindex(gids)
    out["n_producers"] = (
        (per["share"] >= threshold).groupby(per["_gid"]).sum().reindex(gids, fill_value=0)
    ).astype("int64")
    out["n_producers_total"] = grp.size().reindex(gids, fill_value=0).astype("int64")

    if "wgi" in per.columns:
        score = per["wgi"].astype("float64")
        missing = score.isna()
        filled = score.fillna(wgi_default)
        weighted = (per["share"] ** 2 * filled).groupby(per["_gid"]).sum()
        out["wgi_weighted_hhi"] = weighted.reindex(gids).where(positive_total.notna())
        out["n_wgi_missing"] = (
            missing.groupby(per["_gid"]).sum().reindex(gids, fill_value=0).astype("int64")
        )
    else:
        out["wgi_weighted_hhi"] = np.nan
        out["n_wgi_missing"] = pd.array([pd.NA] * len(gids), dtype="Int64")

    for bloc_id, members in (blocs or {}).items():
        member_set = set(members)
        in_bloc = valid["country"].isin(member_set) & (valid["country"] != OTHER)
        q = valid["quantity"].where(in_bloc, 0.0).groupby(valid["_gid"]).sum().reindex(gids)
        out[bloc_column(bloc_id)] = q / positive_total
    return out.reset_index(drop=True)


# -- history ---------------------------------------------------------------------------


def add_changes(
    frame: pd.DataFrame,
    series: Sequence[str],
    indicators: Sequence[str],
    *,
    time: str = "year",
) -> pd.DataFrame:
    """Add ``<indicator>_change`` = value − value at the previous available ``time``.

    ``series`` are the columns identifying one time series (e.g. commodity, stage, source,
    unit); the change is taken against the previous row of the same series in time order,
    whose time is reported in ``prev_<time>`` (a gap of more than one year shows there).
    The first year of each series has NaN changes.
    """
    missing = [c for c in (*series, time, *indicators) if c not in frame.columns]
    if missing:
        raise InputError(f"frame lacks column(s) {missing}")
    out = frame.sort_values([*series, time], kind="stable").reset_index(drop=True)
    grp = out.groupby(list(series), dropna=False, sort=False)
    out[f"prev_{time}"] = grp[time].shift(1).astype("Int64")
    for ind in indicators:
        values = pd.to_numeric(out[ind], errors="coerce").astype("float64")
        out[f"{ind}_change"] = values - values.groupby(
            [out[c] for c in series], dropna=False, sort=False
        ).shift(1)
    return out


def rising(
    frame: pd.DataFrame,
    series: Sequence[str],
    *,
    indicator: str = "hhi",
    time: str = "year",
    start: int | None = None,
    end: int | None = None,
    top: int | None = 10,
) -> pd.DataFrame:
    """Series whose ``indicator`` rose most between the first and last available ``time``.

    Within [``start``, ``end``] (inclusive, default: all), for each series takes the
    earliest and the latest row with a value. Returns ``series``, ``start_<time>``,
    ``end_<time>``, ``<indicator>_start``, ``<indicator>_end``, ``change`` (end − start),
    ``change_pct`` (relative, %), ``rank`` (1 = largest rise), only series whose indicator
    rose (change > 0), sorted by ``change`` descending, the first ``top`` (all if None).
    """
    missing = [c for c in (*series, time, indicator) if c not in frame.columns]
    if missing:
        raise InputError(f"frame lacks column(s) {missing}")
    df = frame[frame[indicator].notna()]
    if start is not None:
        df = df[df[time] >= start]
    if end is not None:
        df = df[df[time] <= end]
    df = df.sort_values([*series, time], kind="stable")
    grp = df.groupby(list(series), dropna=False, sort=False)
    first = grp.head(1).set_index(list(series))
    last = grp.tail(1).set_index(list(series))
    res = pd.DataFrame(
        {
            f"start_{time}": first[time],
            f"end_{time}": last[time].reindex(first.index),
            f"{indicator}_start": first[indicator].astype("float64"),
            f"{indicator}_end": last[indicator].reindex(first.index).astype("float64"),
        }
    )
    res["change"] = res[f"{indicator}_end"] - res[f"{indicator}_start"]
    res["change_pct"] = (
        100.0 * res["change"] / res[f"{indicator}_start"].where(res[f"{indicator}_start"] != 0)
    )
    res = res[res["change"] > 0].sort_values("change", ascending=False, kind="stable")
    res["rank"] = np.arange(1, len(res) + 1)
    if top is not None:
        res = res.head(top)
    return res.reset_index()
