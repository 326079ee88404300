"""The supply-security brief: which minerals matter most for each importer, and why.

``build_brief`` gathers the numbers (pure data frames); ``print_brief`` shows them in the
terminal; ``write_html`` writes one self-contained HTML file (charts embedded as PNG, no
external assets) into a folder.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from rich.console import Console
from rich.table import Table

from minsec import __version__
from minsec.assess.exposure import exposure, imports_by_supplier
from minsec.assess.rank import rank
from minsec.catalog import countries
from minsec.report import charts
from minsec.store import Store


@dataclass
class Brief:
    """Everything the brief shows, as tidy frames."""

    year: int
    importers: list[str]
    ranking: pd.DataFrame
    focus: list[str]
    production_shares: pd.DataFrame
    supplier_mix: pd.DataFrame
    risk_history: pd.DataFrame
    provenance: pd.DataFrame
    generated_at: str = field(
        default_factory=lambda: dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    )
    weights: dict[str, float] = field(default_factory=dict)
    scenarios: pd.DataFrame = field(default_factory=pd.DataFrame)
    scenario_notes: list[str] = field(default_factory=list)


def build_brief(
    store: Store,
    importers: str | Sequence[str] = "USA,JPN,like-minded",
    *,
    year: int = 2024,
    top: int = 10,
    focus_size: int = 6,
    weights: Mapping[str, float] | None = None,
) -> Brief:
    """Collect the brief's numbers for ``importers`` in ``year``.

    The *focus* minerals are the union of each importer's top-ranked ones (up to
    ``focus_size``); charts show their producers, suppliers and GeoPolRisk over time.
    """
    ranking = rank(store, importers, year=year, weights=weights)
    labels = list(dict.fromkeys(ranking["importer"]))
    focus: list[str] = []
    for depth in range(1, top + 1):
        for imp in labels:
            rows = ranking[(ranking["importer"] == imp) & (ranking["rank"] == depth)]
            for m in rows["material"]:
                if m not in focus and len(focus) < focus_size:
                    focus.append(str(m))
    parties = {k: tuple(v) for k, v in ranking.attrs.get("parties", {}).items()} or None
    shares = _production_shares(store, focus, year)
    mix = imports_by_supplier(store, parties or labels, years=[year], commodities_=focus)
    years = list(range(max(2018, year - 6), year + 1))
    hist = exposure(store, parties or labels, years=years, commodities_=focus)
    hist = hist[
        [
            "material",
            "material_name",
            "importer",
            "year",
            "geopolrisk_score",
            "import_reliance",
            "import_hhi",
        ]
    ]
    scenarios, scenario_notes = _scenario_table(store, labels)
    return Brief(
        year=year,
        importers=labels,
        ranking=ranking[ranking["rank"] <= top].reset_index(drop=True),
        focus=focus,
        production_shares=shares,
        supplier_mix=mix,
        risk_history=hist,
        provenance=store.status(),
        weights=dict(ranking.attrs.get("weights", {})),
        scenarios=scenarios,
        scenario_notes=scenario_notes,
    )


def _scenario_table(store: Store, parties: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Run every named scenario; one row per scenario × stage × party of the brief.

    Scenarios whose data are missing are listed in the notes with how to get the data;
    scenarios with allied sharing add the coordinated-response line.
    """
    from minsec.disrupt.scenario import named_scenarios, simulate
    from minsec.errors import MinsecError

    rows: list[pd.DataFrame] = []
    notes: list[str] = []
    for sc in named_scenarios().values():
        try:
            result = simulate(store, sc)
        except MinsecError as exc:
            notes.append(f"{sc.title or sc.name}: not run — {exc}")
            continue
        part = result.summary[result.summary["party"].isin(parties)]
        cols = [
            "stage",
            "party",
            "shortfall_pct",
            "peak_shortfall_pct",
            "peak_price_change_pct",
            "value_at_risk_usd",
        ]
        rows.append(part[cols].assign(scenario=sc.title or sc.name, baseline=result.baseline_year))
        notes.extend(
            f"{sc.title or sc.name}: {n}" for n in result.notes if "allied allocation —" in n
        )
    table = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if not table.empty:
        table = table.sort_values("peak_shortfall_pct", ascending=False, kind="stable")
    return table, notes


def _production_shares(store: Store, materials: list[str], year: int) -> pd.DataFrame:
    """World production shares of the focus minerals (the same numbers as the ranking)."""
    from minsec.assess.exposure import DEFAULT_PRODUCTION_SOURCE
    from minsec.assess.supply import producer_shares

    if not materials:
        return pd.DataFrame(columns=["material", "country", "share"])
    shares = producer_shares(
        store, commodities=materials, years=[year], sources=[DEFAULT_PRODUCTION_SOURCE]
    )
    shares = shares.rename(columns={"commodity": "material"})
    return shares.sort_values(["material", "share"], ascending=[True, False])


def print_brief(brief: Brief, console: Console | None = None) -> None:
    """Show the ranking tables (and the worst scenario outcomes) in the terminal."""
    console = console or Console()
    _print_scenarios(brief, console)
    for imp in brief.importers:
        part = brief.ranking[brief.ranking["importer"] == imp]
        table = Table(title=f"Most critical minerals for {imp}, {brief.year}", title_justify="left")
        for col, just in (
            ("#", "right"),
            ("mineral", "left"),
            ("criticality", "right"),
            ("GeoPolRisk", "right"),
            ("why", "left"),
        ):
            table.add_column(col, justify=just, overflow="fold")  # type: ignore[arg-type]
        for _, r in part.iterrows():
            gpr = r.get("geopolrisk_score")
            table.add_row(
                str(r["rank"]),
                str(r["material_name"]),
                f"{r['criticality']:.1f}",
                "—" if pd.isna(gpr) else f"{gpr:.4f}",
                str(r["drivers"]),
            )
        console.print(table)


def _print_scenarios(brief: Brief, console: Console) -> None:
    if brief.scenarios.empty:
        return
    table = Table(title="Disruption scenarios: worst outcomes", title_justify="left")
    for col in ("scenario", "party", "shortfall", "worst month", "peak price"):
        table.add_column(col, justify="left" if col in ("scenario", "party") else "right")
    for _, r in brief.scenarios.head(8).iterrows():
        table.add_row(
            str(r["scenario"]),
            str(r["party"]),
            f"{r['shortfall_pct']:.1f} %",
            f"{r['peak_shortfall_pct']:.1f} %",
            f"{r['peak_price_change_pct']:+.0f} %",
        )
    console.print(table)
    for note in brief.scenario_notes:
        console.print(f"[dim]{note}[/]", highlight=False)


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return html.escape(str(value))


def write_html(brief: Brief, out_dir: Path) -> Path:
    """Write ``index.html`` (self-contained) into ``out_dir`` and return its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = dict(zip(brief.ranking["material"], brief.ranking["material_name"], strict=True))
    names.update(
        dict(zip(brief.risk_history["material"], brief.risk_history["material_name"], strict=True))
    )
    shares = brief.production_shares.assign(label=lambda d: d["material"].map(names))
    production_chart = charts.share_bars(
        shares,
        label="label",
        key="country",
        title=f"World production shares, {brief.year} (World Mining Data)",
    )
    supplier_charts = {}
    for imp in brief.importers:
        part = brief.supplier_mix[brief.supplier_mix["importer"] == imp]
        part = part.assign(label=part["commodity"].map(names), share=part["share_value"])
        if not part.empty:
            supplier_charts[imp] = charts.share_bars(
                part,
                label="label",
                key="supplier",
                title=f"Where {imp} imports come from, {brief.year} (share of import value, BACI)",
            )
    risk_charts = {}
    for imp in brief.importers:
        part = brief.risk_history[brief.risk_history["importer"] == imp]
        part = part.assign(label=part["material"].map(names))
        if part["geopolrisk_score"].notna().any():
            risk_charts[imp] = charts.lines(
                part,
                x="year",
                y="geopolrisk_score",
                series="label",
                title=f"GeoPolRisk supply-risk score for {imp}",
                ylabel="score (HHI × import risk)",
            )
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(
            lambda name: (
                resources.files("minsec.report").joinpath(f"templates/{name}").read_text("utf-8")
            )
        ),
        autoescape=jinja2.select_autoescape(["html"]),
    )
    env.filters["fmt"] = _fmt
    env.filters["country"] = countries.name_of
    page = env.get_template("brief.html").render(
        b=brief,
        version=__version__,
        production_chart=production_chart,
        supplier_charts=supplier_charts,
        risk_charts=risk_charts,
        ranking=brief.ranking.to_dict("records"),
        scenarios=brief.scenarios.to_dict("records"),
        provenance=brief.provenance.to_dict("records"),
    )
    path = out_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
