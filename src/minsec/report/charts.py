"""Charts for reports: matplotlib (object API, no pyplot state), embedded as PNG data URIs.

Colours encode blocs consistently: countries of concern red, like-minded blue, others
grey; each bloc also has its own hatching (concern ``///``, others ``..``, like-minded
plain) and the larger bars are labelled, so the charts read in black and white.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import pandas as pd
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import PercentFormatter

from minsec.catalog import blocs, countries

CONCERN = "#c0392b"
LIKE_MINDED = "#2e6da4"
OTHER = "#9a9a9a"


def colour_of(country: str) -> str:
    """Bloc colour of a country."""
    b = blocs.blocs()
    if country in b["countries-of-concern"].members:
        return CONCERN
    if country in b["like-minded"].members:
        return LIKE_MINDED
    return OTHER


def hatch_of(country: str) -> str:
    """Bloc hatching of a country (so bars read in black and white)."""
    return {CONCERN: "///", LIKE_MINDED: "", OTHER: ".."}[colour_of(country)]


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def share_bars(shares: pd.DataFrame, *, label: str, key: str, title: str, top: int = 5) -> str:
    """Stacked horizontal bars: for each ``label`` row group, the top ``key`` shares.

    ``shares`` has columns ``label``, ``key`` (a country id) and ``share`` (0–1).
    """
    groups = list(dict.fromkeys(shares[label]))
    fig = Figure(figsize=(8, 0.45 * len(groups) + 1.2))
    ax = fig.subplots()
    for y, g in enumerate(groups):
        part = shares[shares[label] == g].sort_values("share", ascending=False)
        left = 0.0
        for _, row in part.head(top).iterrows():
            c = str(row[key])
            ax.barh(
                y,
                row["share"],
                left=left,
                color=colour_of(c),
                edgecolor="white",
                hatch=hatch_of(c),
            )
            if row["share"] >= 0.06:
                ax.text(
                    left + row["share"] / 2,
                    y,
                    c,
                    ha="center",
                    va="center",
                    color="white",
                    fontsize=8,
                    fontweight="bold",
                    path_effects=[patheffects.withStroke(linewidth=2.2, foreground="black")],
                )
            left += float(row["share"])
        if left < 0.999:
            ax.barh(y, 1 - left, left=left, color="#e5e5e5", edgecolor="white")
    ax.set_yticks(range(len(groups)), labels=groups)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title(title, loc="left", fontsize=11, pad=22)
    ax.spines[["top", "right"]].set_visible(False)
    handles = [
        Rectangle((0, 0), 1, 1, facecolor=c, edgecolor="white", hatch=h)
        for c, h in ((CONCERN, "///"), (LIKE_MINDED, ""), (OTHER, ".."))
    ]
    ax.legend(
        handles,
        ["countries of concern", "like-minded", "other"],
        loc="lower left",
        fontsize=8,
        frameon=False,
        bbox_to_anchor=(0, 1.0),
        ncol=3,
    )
    return _png(fig)


def lines(frame: pd.DataFrame, *, x: str, y: str, series: str, title: str, ylabel: str) -> str:
    """One line per ``series`` value (markers and dashes differ so it reads in grey)."""
    fig = Figure(figsize=(8, 3.6))
    ax = fig.subplots()
    markers = "osD^vP*X"
    dashes = ("-", "--", ":", "-.")
    for k, (name, group) in enumerate(frame.groupby(series, sort=False)):
        part = group.sort_values(x)
        ax.plot(
            part[x],
            part[y],
            marker=markers[k % len(markers)],
            linestyle=dashes[k % len(dashes)],
            label=str(name),
        )
    ax.set_title(title, loc="left", fontsize=11)
    ax.set_ylabel(ylabel)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=8, frameon=False, ncol=2, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _png(fig)


def country_label(ids: Sequence[str]) -> list[str]:
    """Display names for country ids."""
    return [countries.name_of(i) for i in ids]
