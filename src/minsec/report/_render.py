"""Shared rendering for briefings: the Jinja environment, number formats, file output."""

from __future__ import annotations

import datetime as dt
import math
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from minsec.catalog import blocs, countries
from minsec.errors import MinsecError


def now_utc() -> str:
    """Generation time stamp shown on every briefing."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def missing(value: Any) -> bool:
    """True for ``None`` and NaN."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_pct(share: Any, digits: int = 1) -> str:
    """A fraction 0–1 as a percentage (``0.9868`` → ``98.7 %``); ``—`` when missing."""
    if missing(share):
        return "—"
    return f"{100 * float(share):,.{digits}f} %"


def fmt_num(value: Any, digits: int = 0) -> str:
    """A number with thousands separators; ``—`` when missing."""
    if missing(value):
        return "—"
    return f"{float(value):,.{digits}f}"


def fmt_usd(value: Any) -> str:
    """US dollars in millions or billions (``1.49 bn USD``); ``—`` when missing."""
    if missing(value):
        return "—"
    v = float(value)
    if abs(v) >= 1e9:
        return f"{v / 1e9:,.2f} bn USD"
    if abs(v) >= 1e6:
        return f"{v / 1e6:,.1f} m USD"
    return f"{v:,.0f} USD"


def fmt_when(value: Any) -> str:
    """A date as ``2025-01-09``, a date-time as ``2024-12-05 09:00 UTC``; ``—`` when missing."""
    if missing(value) or value == "":
        return "—"
    if isinstance(value, dt.datetime):
        when = value.astimezone(dt.UTC) if value.tzinfo is not None else value
        return when.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def country(value: Any) -> str:
    """Name of a country (ISO3 id) or bloc id; anything else is shown as given."""
    text = str(value)
    bloc = blocs.blocs().get(text)
    if bloc is not None and len(bloc.members) > 1:
        return bloc.name
    try:
        return countries.name_of(text)
    except MinsecError:
        return text


def refs(numbers: Any) -> Markup:
    """Footnote markers ``[1][3]`` linking to the sources section."""
    if isinstance(numbers, int):
        numbers = [numbers]
    out = "".join(
        f'<a class="ref" href="#src-{int(n)}">[{int(n)}]</a>' for n in sorted(set(numbers))
    )
    return Markup(f"<sup>{out}</sup>") if out else Markup("")


def environment() -> jinja2.Environment:
    """Jinja environment reading ``minsec/report/templates`` with the briefing filters."""
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(
            lambda name: (
                resources.files("minsec.report").joinpath(f"templates/{name}").read_text("utf-8")
            )
        ),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        pct=fmt_pct,
        num=fmt_num,
        usd=fmt_usd,
        when=fmt_when,
        country=country,
        refs=refs,
        safe_svg=Markup,
    )
    return env


def write(template: str, out_dir: Path | str, name: str = "index.html", **context: Any) -> Path:
    """Render ``template`` into ``out_dir/name`` (folders created) and return the path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    page = environment().get_template(template).render(**context)
    path = out_dir / name
    path.write_text(page, encoding="utf-8")
    return path
