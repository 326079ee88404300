"""Project registry helpers over the store's ``projects`` table, and model inputs.

The ``projects`` table holds identity, stage, capacity, capex, opex and, when known,
construction time, ramp-up profile, permitting durations, offtake and ownership. What the
cash-flow model needs beyond that (royalty, tax, financing terms, price) and whatever a row
leaves empty comes from ``finance/data/defaults.toml`` — ``[default]``, then
``[stage.<stage>]``, then ``[commodity.<id>]`` —, then ``key=value`` pairs in the
project's ``notes`` (e.g. ``tax_rate=0.27; ramp_up_years=4``), and finally the row's own
``construction_years``, ``ramp_up``, ``permit_expected_months`` and
``permit_pessimistic_months`` columns (a filled column wins).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import fields
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from minsec.catalog._names import suggestion
from minsec.errors import DataMissingError, InputError
from minsec.finance.cashflow import ProjectInputs
from minsec.store import Store

LIST_COLUMNS = [
    "project_id",
    "name",
    "country",
    "commodity",
    "stage",
    "status",
    "capacity_tpy",
    "capex_musd",
    "opex_usd_per_t",
    "source",
]


@cache
def defaults() -> dict[str, Any]:
    """The parsed ``defaults.toml``."""
    text = resources.files("minsec.finance").joinpath("data/defaults.toml").read_text("utf-8")
    return tomllib.loads(text)


def list_projects(
    store: Store, *, commodity: str | None = None, stage: str | None = None
) -> pd.DataFrame:
    """Projects in the store (main columns), optionally filtered, sorted by id."""
    frame = store.table("projects")
    if commodity:
        frame = frame[frame["commodity"] == commodity]
    if stage:
        frame = frame[frame["stage"] == stage.lower()]
    return frame[LIST_COLUMNS].sort_values("project_id").reset_index(drop=True)


def get_project(store: Store, project_id: str) -> dict[str, Any]:
    """One project row as a dict; unknown ids raise with the nearest ids."""
    frame = store.table("projects")
    if frame.empty:
        raise DataMissingError(
            "the store holds no projects; import some with `minsec projects import FILE` "
            "(a project CSV) or `minsec projects import --kind lithium-projects "
            "../shared/data/projects_lithium_busch`"
        )
    hit = frame[frame["project_id"] == project_id]
    if hit.empty:
        raise InputError(
            f"no project {project_id!r} in the store",
            column="PROJECT_ID",
            hint=suggestion(project_id, frame["project_id"].astype(str).tolist()),
        )
    row = hit.iloc[0].to_dict()
    return {str(k): (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}


def note_values(notes: str | None) -> dict[str, str]:
    """``"a=1; b=x"`` → ``{"a": "1", "b": "x"}`` (other text is ignored)."""
    out: dict[str, str] = {}
    for part in (notes or "").split(";"):
        key, sep, value = part.partition("=")
        if sep and key.strip():
            out[key.strip()] = value.strip()
    return out


def assumptions(project: dict[str, Any]) -> dict[str, Any]:
    """Model assumptions for a project: defaults ← stage ← commodity ← notes."""
    d = defaults()
    out: dict[str, Any] = dict(d["default"])
    out.update(d.get("stage", {}).get(str(project.get("stage")), {}))
    out.update(d.get("commodity", {}).get(str(project.get("commodity")), {}))
    notes = note_values(project.get("notes"))
    for key, value in notes.items():
        if key in out and isinstance(out[key], (int, float)):
            try:
                out[key] = type(out[key])(float(value))
            except ValueError:
                continue
    if "ramp_up_years" in notes:
        try:
            years = max(int(float(notes["ramp_up_years"])), 1)
            out["ramp_up"] = [min((k + 1) / years, 1.0) for k in range(years)]
        except ValueError:
            pass
    for column in ("construction_years", "permit_expected_months", "permit_pessimistic_months"):
        cell = project.get(column)
        if cell is not None and not (isinstance(cell, float) and math.isnan(cell)):
            out[column] = type(out[column])(cell) if column in out else cell
    ramp = project.get("ramp_up")
    if isinstance(ramp, str) and ramp.strip():
        from minsec.sources.projects import parse_ramp_up

        try:
            out["ramp_up"] = list(parse_ramp_up(ramp))
        except ValueError as exc:
            raise InputError(
                f"project {project.get('project_id')!r}: ramp_up {ramp!r}: {exc}",
                column="ramp_up",
            ) from None
    out["permit_pessimistic_months"] = max(
        float(out["permit_pessimistic_months"]), float(out["permit_expected_months"])
    )
    return out


def inputs_for(
    project: dict[str, Any],
    *,
    price_usd_per_t: float | None = None,
    discount_rate: float | None = None,
    start_year: int = 2026,
) -> ProjectInputs:
    """:class:`ProjectInputs` for a registry row (missing numbers raise, naming the column)."""
    a = assumptions(project)
    price = price_usd_per_t if price_usd_per_t is not None else a.get("price_usd_per_t")
    if price is None:
        raise InputError(
            f"no price assumption for commodity {project.get('commodity')!r}; pass --price "
            "USD_PER_T",
            column="--price",
        )
    for col in ("capacity_tpy", "capex_musd", "opex_usd_per_t"):
        if project.get(col) is None:
            raise InputError(
                f"project {project['project_id']!r} has no {col}; add it to the project list",
                column=col,
            )
    names = {f.name for f in fields(ProjectInputs)}
    kwargs: dict[str, Any] = {
        k: (tuple(v) if isinstance(v, list) else v) for k, v in a.items() if k in names
    }
    if discount_rate is not None:
        kwargs["discount_rate"] = discount_rate
    year = project.get("start_year")
    return ProjectInputs(
        **{
            **kwargs,
            "project_id": str(project["project_id"]),
            "capacity_t_per_y": float(project["capacity_tpy"]),
            "capex_usd": float(project["capex_musd"]) * 1e6,
            "opex_usd_per_t": float(project["opex_usd_per_t"]),
            "price_usd_per_t": float(price),
            "start_year": int(year) - kwargs.get("construction_years", 2)
            if year is not None
            else start_year,
        }
    )


def permitting(project: dict[str, Any]) -> dict[str, float]:
    """Expected and pessimistic permitting durations (months) for a project."""
    a = assumptions(project)
    return {
        "permit_expected_months": float(a["permit_expected_months"]),
        "permit_pessimistic_months": float(a["permit_pessimistic_months"]),
    }


def import_projects(store: Store, path: Path, *, kind: str = "projects") -> dict[str, int]:
    """Import a project file with the parser ``kind`` (``projects`` or ``lithium-projects``)."""
    from minsec import sources

    parsed = sources.kind(kind).parse(Path(path))
    return dict(parsed.write(store).rows)
