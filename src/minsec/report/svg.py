"""Inline SVG graphics for briefings that read on paper in black and white.

Nothing here uses colour to carry meaning: blocs are told apart by fill patterns
(countries of concern: diagonal hatching; like-minded: solid dark grey; others: dots),
map classes by grey levels with a legend and direct labels, lines by dash style and
marker. Every graphic is a self-contained ``<svg>`` element (no external references);
pattern ids carry a per-graphic prefix so several graphics can share one page.

The world map uses ``minsec/web/static/world.json`` (pre-projected Equal Earth outlines
keyed by ISO3, built from Natural Earth via world-atlas); :func:`world_map` returns
``None`` when that file is not installed and the briefing falls back to the ranked bars.
"""

from __future__ import annotations

import html
import io
import itertools
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

CONCERN = "countries-of-concern"
LIKE_MINDED = "like-minded"
_ids = itertools.count(1)

# grey classes of the production-share map: (lower bound, fill, legend text)
MAP_CLASSES: tuple[tuple[float, str, str], ...] = (
    (0.5, "#111111", "50 % or more"),
    (0.10, "#555555", "10–50 %"),
    (0.01, "#9a9a9a", "1–10 %"),
    (0.0, "#d4d4d4", "under 1 %"),
)
NO_DATA_FILL = "#ffffff"


@dataclass(frozen=True)
class Segment:
    """One country's share in a bar.

    ``bloc`` is ``countries-of-concern``, ``like-minded`` or anything else (other).
    """

    label: str
    share: float
    bloc: str = ""


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _pct(share: float) -> str:
    return f"{100 * share:.1f} %" if share < 0.995 else f"{100 * share:.0f} %"


def _patterns(prefix: str) -> str:
    """``<defs>`` with the three bloc fills (hatched, solid, dotted)."""
    return (
        "<defs>"
        f'<pattern id="{prefix}-concern" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
        '<rect width="2.6" height="6" fill="#000"/></pattern>'
        f'<pattern id="{prefix}-other" width="5" height="5" patternUnits="userSpaceOnUse">'
        '<rect width="5" height="5" fill="#fff"/><circle cx="2.5" cy="2.5" r="1.1" fill="#000"/>'
        "</pattern></defs>"
    )


def _fill(prefix: str, bloc: str) -> str:
    if bloc == CONCERN:
        return f"url(#{prefix}-concern)"
    if bloc == LIKE_MINDED:
        return "#5a5a5a"
    return f"url(#{prefix}-other)"


def _legend(prefix: str, x: float, y: float) -> str:
    items = (
        (CONCERN, "countries of concern"),
        (LIKE_MINDED, "like-minded"),
        ("", "other"),
    )
    out = []
    for label_bloc, text in items:
        out.append(
            f'<rect x="{x}" y="{y}" width="14" height="10" fill="{_fill(prefix, label_bloc)}" '
            'stroke="#000" stroke-width=".6"/>'
            f'<text x="{x + 18}" y="{y + 9}" font-size="10">{_esc(text)}</text>'
        )
        x += 30 + 6.2 * len(text)
    return "".join(out)


def ranked_bars(rows: Sequence[Segment], *, title: str, top: int = 10) -> str:
    """Horizontal bars, largest first, each labelled with its share (0–1) and bloc pattern."""
    prefix = f"rb{next(_ids)}"
    rows = sorted(rows, key=lambda r: -r.share)[:top]
    width, left, bar_h, gap = 640, 150, 16, 6
    plot_w = width - left - 70
    top_y = 46
    height = top_y + len(rows) * (bar_h + gap) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{_esc(title)}" font-family="sans-serif">',
        _patterns(prefix),
        f'<text x="0" y="14" font-size="13" font-weight="bold">{_esc(title)}</text>',
        _legend(prefix, 0, 24),
    ]
    for i, row in enumerate(rows):
        y = top_y + i * (bar_h + gap)
        w = max(plot_w * row.share, 0.5)
        parts.append(
            f'<text x="{left - 6}" y="{y + 12}" font-size="11" text-anchor="end">'
            f"{_esc(row.label)}</text>"
            f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" '
            f'fill="{_fill(prefix, row.bloc)}" stroke="#000" stroke-width=".7"/>'
            f'<text x="{left + w + 5:.1f}" y="{y + 12}" font-size="11">{_pct(row.share)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def stacked_bars(
    groups: Sequence[tuple[str, Sequence[Segment]]], *, title: str, top: int = 5
) -> str:
    """One 100 % bar per group.

    Its ``top`` segments (labelled inside when wide enough) and the rest as a plain white
    "all others" segment.
    """
    prefix = f"sb{next(_ids)}"
    width, left, bar_h, gap = 640, 110, 24, 12
    plot_w = width - left - 24
    top_y = 50
    height = top_y + len(groups) * (bar_h + gap) + 24
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{_esc(title)}" font-family="sans-serif">',
        _patterns(prefix),
        f'<text x="0" y="14" font-size="13" font-weight="bold">{_esc(title)}</text>',
        _legend(prefix, 0, 26),
    ]
    for i, (name, segs) in enumerate(groups):
        y = top_y + i * (bar_h + gap)
        parts.append(
            f'<text x="{left - 6}" y="{y + 16}" font-size="12" text-anchor="end" '
            f'font-weight="bold">{_esc(name)}</text>'
        )
        x = float(left)
        for seg in sorted(segs, key=lambda s: -s.share)[:top]:
            w = plot_w * seg.share
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                f'fill="{_fill(prefix, seg.bloc)}" stroke="#000" stroke-width=".8"/>'
            )
            text = f"{seg.label} {_pct(seg.share)}" if w >= 64 else seg.label
            if w >= 26:
                parts.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + 16}" font-size="11" text-anchor="middle" '
                    'font-weight="bold" fill="#000" stroke="#fff" stroke-width="3" '
                    f'paint-order="stroke">{_esc(text)}</text>'
                )
            x += w
        if x < left + plot_w - 0.5:
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{left + plot_w - x:.1f}" height="{bar_h}" '
                'fill="#fff" stroke="#000" stroke-width=".8"/>'
            )
    axis_y = top_y + len(groups) * (bar_h + gap)
    for k in range(0, 101, 25):
        x = left + plot_w * k / 100
        parts.append(
            f'<text x="{x:.1f}" y="{axis_y + 8}" font-size="10" text-anchor="middle">{k} %</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


# -- tornado ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TornadoBar:
    """One assumption of a tornado: its low and high value (as text) and the results."""

    label: str
    low_text: str
    high_text: str
    at_low: float
    at_high: float
    key: str = ""


def _low_pattern(prefix: str) -> str:
    return (
        f'<defs><pattern id="{prefix}-low" width="5" height="5" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="5" height="5" fill="#fff"/>'
        '<rect width="1.8" height="5" fill="#000"/></pattern></defs>'
    )


def tornado(
    bars: Sequence[TornadoBar], *, title: str, base: float, fmt: Callable[[float], str]
) -> str:
    """A tornado: per assumption, two bars from the published value (a dashed line).

    The upper bar is the result with the assumption at its low value (diagonal hatching),
    the lower one at its high value (solid dark grey); each bar is labelled at its end
    with the assumption's value and the result (``fmt`` formats results), so the chart
    reads in black and white without a legend lookup. ``bars`` are drawn in order.
    """
    prefix = f"td{next(_ids)}"
    width, label_w, room = 640, 128, 112
    bar_h, row_h, top_y = 9, 30, 58
    x0, x1 = label_w + room, width - room
    values = [v for b in bars for v in (b.at_low, b.at_high) if not math.isnan(v)]
    lo, hi = min([base, *values]), max([base, *values])
    if not hi > lo:
        lo, hi = base - 1.0, base + 1.0

    def px(v: float) -> float:
        return x0 + (v - lo) / (hi - lo) * (x1 - x0)

    height = top_y + len(bars) * row_h + 6
    xb = px(base)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{_esc(title)}" font-family="sans-serif">',
        _low_pattern(prefix),
        f'<text x="0" y="14" font-size="13" font-weight="bold">{_esc(title)}</text>',
        f'<rect x="0" y="22" width="14" height="10" fill="url(#{prefix}-low)" stroke="#000" '
        'stroke-width=".7"/><text x="18" y="31" font-size="10">assumption at its low value'
        "</text>"
        '<rect x="170" y="22" width="14" height="10" fill="#5a5a5a" stroke="#000" '
        'stroke-width=".7"/><text x="188" y="31" font-size="10">at its high value</text>'
        f'<line x1="300" y1="27" x2="318" y2="27" stroke="#000" stroke-dasharray="4 3"/>'
        f'<text x="322" y="31" font-size="10">as published: {_esc(fmt(base))}</text>',
        f'<line x1="{xb:.1f}" y1="{top_y - 8}" x2="{xb:.1f}" y2="{height - 4}" stroke="#000" '
        'stroke-width="1" stroke-dasharray="4 3"/>',
    ]
    for i, b in enumerate(bars):
        y = top_y + i * row_h
        parts.append(
            f'<g data-parameter="{_esc(b.key or b.label)}">'
            f'<text x="0" y="{y + bar_h + 3}" font-size="11">{_esc(b.label)}</text>'
        )
        for k, (value, text, fill, side) in enumerate(
            (
                (b.at_low, b.low_text, f"url(#{prefix}-low)", "low"),
                (b.at_high, b.high_text, "#5a5a5a", "high"),
            )
        ):
            if math.isnan(value):
                continue
            yb = y + k * (bar_h + 2)
            xv = px(value)
            left = xv < xb - 0.05
            w = max(abs(xv - xb), 0.8)
            parts.append(
                f'<rect x="{min(xb, xv):.1f}" y="{yb}" width="{w:.1f}" height="{bar_h}" '
                f'fill="{fill}" stroke="#000" stroke-width=".6" data-side="{side}"/>'
                f'<text x="{xv + (-4 if left else 4):.1f}" y="{yb + bar_h - 1}" font-size="9.5" '
                f'text-anchor="{"end" if left else "start"}" data-side="{side}">'
                f"{_esc(text)}: {_esc(fmt(value))}</text>"
            )
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


# -- world map ---------------------------------------------------------------------------


@cache
def _world() -> dict[str, Any] | None:
    path = resources.files("minsec").joinpath("web/static/world.json")
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def world_available() -> bool:
    """Whether the world outlines (``minsec/web/static/world.json``) are installed."""
    return _world() is not None


def _label_point(d: str) -> tuple[float, float]:
    """Centre of the bounding box of the largest ring of an SVG path (absolute M/L/Z)."""
    best: tuple[float, float, float] = (-1.0, 0.0, 0.0)
    for ring in re.split(r"(?=M)", d):
        nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", ring)]
        if len(nums) < 4:
            continue
        xs, ys = nums[0::2], nums[1::2]
        area = (max(xs) - min(xs)) * (max(ys) - min(ys))
        if area > best[0]:
            best = (area, (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2)
    return best[1], best[2]


def _free_spot(
    cx: float,
    cy: float,
    width: float,
    height: float,
    placed: list[tuple[float, float, float, float]],
    bounds: tuple[float, float],
) -> tuple[float, float]:
    """A label position near (cx, cy) whose box overlaps no placed box (then recorded)."""

    def box(x: float, y: float) -> tuple[float, float, float, float]:
        return (x - width / 2, y - height + 3, x + width / 2, y + 3)

    def clear(b: tuple[float, float, float, float]) -> bool:
        inside = b[0] >= 0 and b[2] <= bounds[0] and b[1] >= 0 and b[3] <= bounds[1]
        return inside and all(
            b[2] <= o[0] or b[0] >= o[2] or b[3] <= o[1] or b[1] >= o[3] for o in placed
        )

    candidates = [(cx, cy)] + [
        (cx + dx, cy + dy)
        for step in range(1, 8)
        for dx, dy in (
            (0, 18 * step),
            (0, -18 * step),
            (60 * step, 9 * step),
            (-60 * step, 9 * step),
        )
    ]
    for x, y in candidates:
        if clear(box(x, y)):
            placed.append(box(x, y))
            return x, y
    placed.append(box(cx, cy))
    return cx, cy


def map_class(share: float) -> tuple[str, str]:
    """Grey fill and legend text of a production share (0–1) on the map."""
    for lower, fill, text in MAP_CLASSES:
        if share >= lower:
            return fill, text
    return NO_DATA_FILL, "no production"


def world_map(shares: Mapping[str, float], *, title: str, label_top: int = 5) -> str | None:
    """Choropleth of production shares by country (ISO3 → 0–1) in grey classes.

    The ``label_top`` largest producers carry a direct label (ISO3 and share) with a white
    halo; countries without production stay white. Returns ``None`` when the world
    outlines are not installed.
    """
    world = _world()
    if world is None:
        return None
    w, h = float(world["width"]), float(world["height"])
    legend_h = 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 {-legend_h - 22} {w} '
        f'{h + legend_h + 22}" width="100%" role="img" aria-label="{_esc(title)}" '
        'font-family="sans-serif">',
        f'<text x="0" y="{-legend_h - 6}" font-size="16" font-weight="bold">{_esc(title)}</text>',
    ]
    x = 0.0
    for _, fill, text in (*MAP_CLASSES, (0.0, NO_DATA_FILL, "no production")):
        parts.append(
            f'<rect x="{x}" y="{-legend_h + 4}" width="18" height="12" fill="{fill}" '
            'stroke="#000" stroke-width=".6"/>'
            f'<text x="{x + 23}" y="{-legend_h + 14}" font-size="14">{_esc(text)}</text>'
        )
        x += 44 + 7.5 * len(text)
    countries: dict[str, dict[str, str]] = world["countries"]
    for iso, shape in countries.items():
        share = float(shares.get(iso, 0.0))
        fill = map_class(share)[0] if share > 0 else NO_DATA_FILL
        parts.append(
            f'<path d="{_esc(shape["d"])}" fill="{fill}" stroke="#444" stroke-width=".35">'
            f"<title>{_esc(shape.get('name', iso))}: {_pct(share) if share > 0 else '—'}"
            "</title></path>"
        )
    ranked = sorted(((s, c) for c, s in shares.items() if c in countries and s > 0), reverse=True)
    placed: list[tuple[float, float, float, float]] = []
    for share, iso in ranked[:label_top]:
        cx, cy = _label_point(countries[iso]["d"])
        text = f"{iso} {_pct(share)}"
        x, y = _free_spot(cx, cy, 7.6 * len(text), 15.0, placed, (w, h))
        if (x, y) != (cx, cy):  # moved off its country: a leader line shows whose it is
            parts.append(
                f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{x:.1f}" y2="{y - 4:.1f}" '
                'stroke="#000" stroke-width=".8"/>'
            )
        parts.append(
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="13" font-weight="bold" '
            'text-anchor="middle" fill="#000" stroke="#fff" stroke-width="3.5" '
            f'paint-order="stroke">{_esc(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


# -- line chart (matplotlib, exported as SVG with text kept as text) --------------------

_STYLES = (("-", "o"), ("--", "s"), (":", "D"), ("-.", "^"), ((0, (5, 1, 1, 1)), "v"))


def _spread(
    ends: Sequence[tuple[float, float, str]], *, gap: float
) -> list[tuple[float, float, str, float]]:
    """End labels moved apart vertically (at least ``gap``) so none overlaps another."""
    order = sorted(ends, key=lambda e: e[1])
    placed: list[float] = []
    for _, y, _ in order:
        placed.append(max(y, placed[-1] + gap) if placed else y)
    return [(x, y, text, p) for (x, y, text), p in zip(order, placed, strict=True)]


def lines(
    series: Mapping[str, Sequence[tuple[float, float]]],
    *,
    title: str,
    ylabel: str,
    percent: bool = True,
) -> str:
    """Black lines, one per series, told apart by dash style and marker.

    Each is labelled at its last point (no legend to decode).
    """
    with rc_context({"svg.fonttype": "none", "font.family": "sans-serif"}):
        fig = Figure(figsize=(7.6, 3.4))
        ax = fig.subplots()
        ends: list[tuple[float, float, str]] = []
        for k, (name, points) in enumerate(series.items()):
            if not points:
                continue
            xs, ys = zip(*sorted(points), strict=True)
            dash, marker = _STYLES[k % len(_STYLES)]
            ax.plot(
                xs,
                ys,
                color="black",
                linestyle=dash,
                marker=marker,
                markersize=4.5,
                markerfacecolor="white" if k % 2 else "black",
                linewidth=1.4,
            )
            ends.append((float(xs[-1]), float(ys[-1]), name))
        if percent:
            ax.set_ylim(0, 1.05)
        else:  # a zero baseline: no exaggerated slopes
            ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
        low, high = ax.get_ylim()
        for x, y, text, y_text in _spread(ends, gap=(high - low) * 0.07):
            ax.annotate(
                text,
                (x, y),
                xytext=(x + 0.35, y_text),
                textcoords="data",
                va="center",
                fontsize=8,
                xycoords="data",
                arrowprops={"arrowstyle": "-", "color": "#777", "linewidth": 0.5},
            )
        ax.set_title(title, loc="left", fontsize=10.5)
        ax.set_ylabel(ylabel, fontsize=9)
        if percent:
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(axis="y", color="#bbbbbb", linewidth=0.5)
        ax.spines[["top", "right"]].set_visible(False)
        fig.subplots_adjust(right=0.78)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    start = text.index("<svg")
    svg = text[start:]
    # scale with the page: drop the fixed size, keep the view box
    svg = re.sub(r'<svg([^>]*?) width="[^"]+" height="[^"]+"', r'<svg\1 width="100%"', svg, count=1)
    return svg
