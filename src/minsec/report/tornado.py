"""The sensitivity of a briefing's scenario: which assumption drives the answer.

:func:`sensitivity_views` turns a :class:`~minsec.disrupt.sensitivity.SensitivityResult`
into what a briefing shows per stage: the headline (the briefing's importers together)
shortfall in % of their consumption at each assumption's low and high value, each
importer's, the peak price, and one provenance line per range (its source, or
"judgement", and why). :func:`tornado_svg` draws the headline as a black-and-white
tornado (:func:`minsec.report.svg.tornado`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from minsec.disrupt.sensitivity import SensitivityResult, metric_text, value_text
from minsec.report import svg

METRIC = "shortfall_pct"
PRICE = "peak_price_index"
_AT = ("at_low", "at_base", "at_high")


@dataclass
class SensitivityView:
    """One stage of a scenario's tornado, as a briefing shows it.

    ``rows`` (largest swing of the headline first) hold ``parameter``, ``label``,
    ``low``/``high`` (the assumption's values as text), ``source``, ``judgement``, the
    headline ``at_low``/``at_base``/``at_high``/``swing`` (% of consumption),
    ``partners`` (importer → (at low, at high)), ``price`` (peak p/p0 at low, base,
    high), ``basis`` and ``note``.
    """

    stage: str
    headline: str
    partners: list[str]
    base: float
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def moves(self) -> bool:
        """Whether any assumption moves the headline shortfall or the peak price."""
        return any(r["swing"] > 0 or r["price"][0] != r["price"][2] for r in self.rows)


def sensitivity_views(result: SensitivityResult) -> list[SensitivityView]:
    """One :class:`SensitivityView` per stage of ``result`` (ranked by the headline)."""
    ranges = {r.id: r for r in result.ranges}
    partners = [p for p in result.parties if p not in ("world", result.headline_party)]
    views = []
    t = result.table
    for stage in result.stages:
        head = result.tornado(METRIC, stage=stage)
        if head.empty:
            continue
        view = SensitivityView(stage, result.headline_party, partners, float(head["at_base"][0]))
        price = {r["parameter"]: r for r in result.tornado(PRICE, stage=stage).to_dict("records")}
        for r in head.to_dict("records"):
            pid = str(r["parameter"])
            each = {}
            for p in partners:
                row = t[(t["stage"] == stage) & (t["party"] == p) & (t["metric"] == METRIC)]
                row = row[row["parameter"] == pid]
                if not row.empty:
                    each[p] = (float(row["at_low"].iloc[0]), float(row["at_high"].iloc[0]))
            view.rows.append(
                {
                    "parameter": pid,
                    "label": str(r["label"]),
                    "low": value_text(float(r["low_value"]), str(r["unit"]), short=True),
                    "high": value_text(float(r["high_value"]), str(r["unit"]), short=True),
                    "source": str(r["source"]),
                    "judgement": bool(r["judgement"]),
                    "at_low": float(r["at_low"]),
                    "at_base": float(r["at_base"]),
                    "at_high": float(r["at_high"]),
                    "swing": float(r["swing"]),
                    "partners": each,
                    "price": tuple(float(price[pid][c]) for c in _AT),
                    "basis": ranges[pid].basis,
                    "note": str(r["note"]),
                }
            )
        views.append(view)
    return views


def tornado_svg(view: SensitivityView) -> str:
    """The headline tornado of one stage as inline SVG (black and white, direct labels)."""
    bars = [
        svg.TornadoBar(r["label"], r["low"], r["high"], r["at_low"], r["at_high"], r["parameter"])
        for r in view.rows
    ]
    return svg.tornado(
        bars,
        title=f"Shortfall of {view.headline} ({view.stage}), % of consumption: what moves it",
        base=view.base,
        fmt=lambda v: metric_text(METRIC, v),
    )
