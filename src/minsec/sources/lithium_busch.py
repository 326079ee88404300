"""Lithium deposits of Busch et al. (2024/2025), ``Parameters/Deposit.csv``.

Replication package of "Effects of demand and recycling on future lithium extraction"
(github.com/pmbusch/Critical-Minerals-EV, MIT licence): 160 deposits, 38 columns.
Quantities are in **kt of lithium content** and costs in **USD per t of lithium**.

Mapping into the ``projects`` table (see ``docs/finance.md`` for the unmapped fields):

=================== ================================================================
project_id          ``li-busch-<d>`` (``d`` = the file's row id, zero-padded to 3)
name                ``Deposit_Name``
country             ``Country`` (``DR Congo`` → COD)
commodity           ``lithium``
stage               ``mine`` (hard rock, brine and volcano-sedimentary deposits)
status              ``Status``: Producing → operating, Construction → construction,
                    Evaluation → evaluation, No info → empty
capacity_tpy        ``prod_rate2030`` × 1000 (t Li/y) where it is > 0 — Busch's projected
                    2030 production of producing and construction projects, built from
                    company reports; empty otherwise (123 of 160 deposits). Not
                    ``max_prod_rate``: that is Busch's model ceiling on extraction, 3–5 % of
                    the deposit's total resource a year (median 5 %), not a plant design
                    capacity (Salar de Atacama: 324 kt Li vs 39.5 kt Li projected for 2030,
                    Jadar: 36 kt Li vs ≈ 11 kt Li announced (58 kt LCE)); it is kept in
                    ``notes`` as ``max_prod_rate_kt_li``
capex_musd          (``cost_opening`` + ``cost_expansion`` × capacity) / 1e6 where the
                    capacity is known, else empty: Busch's cost model, a fixed opening cost
                    by resource type (126, 200 or 250 MUSD; 0 for deposits already open)
                    plus an expansion cost per t/y of capacity by resource type (19 103,
                    56 956 or 82 730 USD per t Li/y) — not a reported project capex
opex_usd_per_t      ``cost1_noTax`` (first resource tier, before tax, USD/t Li)
start_year          empty (the file gives a delay, not a year)
ramp_up             ``k/n`` for k = 1 … n with n = ``max_prod_rate / max_ramp_up`` (4 in
                    every row: 0.25;0.5;0.75;1)
latitude/longitude  ``Latitude``/``Longitude``
notes               ``key=value; …``: resource_type, tax_rate, ramp_up_years,
                    delay_years (Busch's lead time by status: 3 producing, 5 construction,
                    8 evaluation, 10 no info), prod_rate2030_kt_li, max_prod_rate_kt_li,
                    reserve_kt_li, all_resource_kt_li, cost_opening_musd,
                    cost_expansion_usd_per_tpy, cost_source
=================== ================================================================
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from minsec.catalog import countries
from minsec.errors import InputError
from minsec.sources.base import Parsed, require_columns, resolve_names, sha256_file
from minsec.sources.projects import COLUMNS

KIND = "lithium-projects"
SOURCE = "lithium-busch"
LICENCE = "MIT (c) 2024 Pablo Busch; cite Busch et al., Effects of demand and recycling"
NEEDED = (
    "cost_expansion",
    "d",
    "Country",
    "Deposit_Name",
    "Resource_Type",
    "Latitude",
    "Longitude",
    "Status",
    "max_prod_rate",
    "max_ramp_up",
    "cost_opening",
    "cost1_noTax",
    "delay_years",
    "Corporate_Tax_Rate",
    "reserve",
    "all_resource",
    "cost_source",
    "prod_rate2030",
)
STATUS = {"producing": "operating", "construction": "construction", "evaluation": "evaluation"}
ALIASES = {"DR Congo": "COD"}
NUMERIC = (
    "cost_expansion",
    "d",
    "Latitude",
    "Longitude",
    "max_prod_rate",
    "max_ramp_up",
    "cost_opening",
    "cost1_noTax",
    "delay_years",
    "Corporate_Tax_Rate",
    "reserve",
    "all_resource",
    "prod_rate2030",
)


def _find_country(name: str) -> str | None:
    return ALIASES.get(name) or countries.find(name)


def read(path: Path) -> pd.DataFrame:
    """Read and check ``Deposit.csv``; return a ``projects`` frame (no ``source``)."""
    path = Path(path)
    if path.is_dir():
        path = path / "Deposit.csv"
    if not path.exists():
        raise InputError("file not found (expected Busch et al. Deposit.csv)", path=path)
    raw = pd.read_csv(path, na_values=["NA"], keep_default_na=True)
    require_columns(raw, NEEDED, path=path)
    for col in NUMERIC:
        values = pd.to_numeric(raw[col], errors="coerce")
        bad = values.isna() & raw[col].notna()
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise InputError(
                f"expected a number, found {raw[col].iloc[row]!r}",
                path=path,
                row=row + 2,
                column=col,
            )
        raw[col] = values
    for col in ("d", "Country", "Deposit_Name", "max_prod_rate"):
        if raw[col].isna().any():
            row = int(raw[col].isna().to_numpy().nonzero()[0][0])
            raise InputError("a value is required", path=path, row=row + 2, column=col)
    for col in ("max_prod_rate", "cost_opening", "cost1_noTax", "cost_expansion", "prod_rate2030"):
        if (raw[col] < 0).any():
            row = int((raw[col] < 0).to_numpy().nonzero()[0][0])
            raise InputError(f"{col} cannot be negative", path=path, row=row + 2, column=col)
    if raw["d"].duplicated().any():
        row = int(raw["d"].duplicated().to_numpy().nonzero()[0][0])
        raise InputError(
            f"deposit id d={raw['d'].iloc[row]:g} repeats", path=path, row=row + 2, column="d"
        )
    country = resolve_names(
        raw["Country"].astype(str), _find_country, path=path, column="Country", what="country"
    )

    def ramp_profile(r: pd.Series) -> str | None:
        if not (r["max_ramp_up"] and r["max_ramp_up"] > 0):
            return None
        n = max(round(r["max_prod_rate"] / r["max_ramp_up"]), 1)
        return ";".join(f"{(k + 1) / n:g}" for k in range(n))

    def notes(r: pd.Series) -> str:
        ramp = (
            r["max_prod_rate"] / r["max_ramp_up"]
            if r["max_ramp_up"] and r["max_ramp_up"] > 0
            else None
        )
        parts = {
            "resource_type": r["Resource_Type"],
            "tax_rate": r["Corporate_Tax_Rate"],
            "ramp_up_years": None if ramp is None else round(ramp),
            "delay_years": r["delay_years"],
            "prod_rate2030_kt_li": r["prod_rate2030"],
            "max_prod_rate_kt_li": r["max_prod_rate"],
            "reserve_kt_li": r["reserve"],
            "all_resource_kt_li": r["all_resource"],
            "cost_opening_musd": r["cost_opening"] / 1e6,
            "cost_expansion_usd_per_tpy": r["cost_expansion"],
            "cost_source": r["cost_source"],
        }
        return "; ".join(
            f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
            for k, v in parts.items()
            if v is not None and not (isinstance(v, float) and pd.isna(v))
        )

    capacity = (raw["prod_rate2030"] * 1000.0).where(raw["prod_rate2030"] > 0)
    capex_musd = (raw["cost_opening"] + raw["cost_expansion"] * capacity) / 1e6
    frame = pd.DataFrame(
        {
            "project_id": [f"li-busch-{int(d):03d}" for d in raw["d"]],
            "name": raw["Deposit_Name"].astype(str),
            "country": country,
            "commodity": "lithium",
            "stage": "mine",
            "status": raw["Status"].map(lambda s: STATUS.get(str(s).strip().lower())),
            "capacity_tpy": capacity,
            "capex_musd": capex_musd,
            "opex_usd_per_t": raw["cost1_noTax"],
            "start_year": pd.array([None] * len(raw), dtype="Int64"),
            "sponsor": None,
            "ramp_up": [ramp_profile(r) for _, r in raw.iterrows()],
            "latitude": raw["Latitude"],
            "longitude": raw["Longitude"],
            "notes": raw.apply(notes, axis=1),
        }
    )
    for col in COLUMNS:  # permitting, offtake and ownership are not in the file
        if col not in frame.columns:
            frame[col] = None
    return frame[list(COLUMNS)]


def parse(path: Path, *, source_id: str | None = None) -> Parsed:
    """Parse Busch et al.'s ``Deposit.csv`` (or its folder) into the ``projects`` table."""
    path = Path(path)
    file = path / "Deposit.csv" if path.is_dir() else path
    frame = read(file)
    return Parsed(
        source=source_id or SOURCE,
        kind=KIND,
        sha256=sha256_file(file) if file.exists() else "",
        tables={"projects": frame},
        version=None,
        path=str(file),
        licence=LICENCE,
    )
