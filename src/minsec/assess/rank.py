"""Criticality ranking of materials for an importer, with the drivers of every score.

A transparent composite (weights are user inputs, see :data:`DEFAULT_WEIGHTS`):

* **supply risk** (0–1) = weighted mean of
  - ``production_concentration`` = HHI of world production / 10,000,
  - ``production_governance`` = share-weighted political instability of producers
    (WGI Political Stability rescaled to 0 = most stable … 1 = least stable),
  - ``production_concern`` = share of world production in "countries of concern";
* **exposure** (0–1) = weighted mean of
  - ``import_reliance`` = net import reliance (clipped to 0–1),
  - ``import_concentration`` = HHI of import value by supplier / 10,000,
  - ``import_concern`` = share of import value from "countries of concern";
* ``criticality`` = 100 · supply risk · exposure (0–100).

Every row names its ``top_driver`` and a ``drivers`` sentence with the numbers behind the
largest contributions. Where its inputs exist, the EU supply-risk indicator (JRC 2017
method) is added: ``eu_supply_risk`` = [HHI_WGI(global) · IR/2 + HHI_WGI(sourcing) ·
(1 − IR/2)] · (1 − EOL_RIR) · SI, with SI = 1 and the trade term t = 1 unless given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from minsec.assess.concentration import WGI_DEFAULT_SCORE
from minsec.assess.exposure import exposure, imports_by_supplier
from minsec.assess.supply import producer_shares, supply, wgi_scores
from minsec.catalog import blocs, commodities, countries
from minsec.store import Store

SUPPLY_COMPONENTS = ("production_concentration", "production_governance", "production_concern")
EXPOSURE_COMPONENTS = ("import_reliance", "import_concentration", "import_concern")
DEFAULT_WEIGHTS: dict[str, float] = {
    "production_concentration": 1.0,
    "production_governance": 1.0,
    "production_concern": 1.0,
    "import_reliance": 1.0,
    "import_concentration": 0.5,
    "import_concern": 1.0,
}
CONCERN_BLOC = "countries-of-concern"


def _weights(user: Mapping[str, float] | None) -> dict[str, float]:
    from minsec.errors import InputError

    w = dict(DEFAULT_WEIGHTS)
    for key, value in (user or {}).items():
        if key not in w:
            raise InputError(f"unknown weight {key!r}; weights are {sorted(w)}", column="weights")
        if value < 0:
            raise InputError(f"weight {key!r} must be ≥ 0, got {value}", column="weights")
        w[key] = float(value)
    for group in (SUPPLY_COMPONENTS, EXPOSURE_COMPONENTS):
        if sum(w[k] for k in group) <= 0:
            raise InputError(f"weights of {group} must not all be 0", column="weights")
    return w


def production_risk(store: Store, years: Sequence[int]) -> pd.DataFrame:
    """Supply-side components per commodity and year (World Mining Data production).

    Uses :func:`minsec.assess.supply.supply` and :func:`~minsec.assess.supply.producer_shares`
    so that the ranking and the supply tables always agree.
    """
    from minsec.assess.exposure import DEFAULT_PRODUCTION_SOURCE

    keys = ["commodity", "year"]
    sup = supply(store, years=list(years), sources=[DEFAULT_PRODUCTION_SOURCE])
    shares = producer_shares(store, years=list(years), sources=[DEFAULT_PRODUCTION_SOURCE])
    score = shares["wgi_score"].fillna(WGI_DEFAULT_SCORE) / 10.0  # 0 stable … 1 unstable
    governance = (shares["share"] * score).groupby([shares[k] for k in keys]).sum()
    out = pd.DataFrame(
        {
            "commodity": sup["commodity"],
            "year": sup["year"],
            "production_concentration": sup["hhi"] / 10_000,
            "production_concern": sup["share_countries_of_concern"],
            "top_producer": sup["top1_country"],
            "top_producer_share": sup["top1_share"],
            "hhi_wgi_global": sup["wgi_weighted_hhi"],
            "wgi_basis": sup["wgi_basis"],
        }
    )
    out["production_governance"] = governance.reindex(
        pd.MultiIndex.from_frame(out[keys])
    ).to_numpy()
    return out.drop_duplicates(keys)


def _concern_import_share(sup: pd.DataFrame) -> pd.DataFrame:
    """Share of each importer's import value from countries of concern."""
    sup = sup.copy()
    concern = set(blocs.blocs()[CONCERN_BLOC].members)
    sup["concern"] = sup["supplier"].isin(concern)
    out = (
        sup[sup["concern"]]
        .groupby(["commodity", "importer", "year"])["share_value"]
        .sum()
        .rename("import_concern")
        .reset_index()
    )
    return out.rename(columns={"commodity": "material"})


def _pct(x: float) -> str:
    return "n/a" if pd.isna(x) else f"{100 * x:.0f} %"


def _driver_text(row: pd.Series) -> str:
    parts = {
        "production_concentration": (
            f"{countries.name_of(str(row['top_producer']))} produces "
            f"{_pct(row['top_producer_share'])} of the world's output "
            f"(HHI {10_000 * row['production_concentration']:,.0f})"
        ),
        "production_governance": (
            f"producers' share-weighted political instability {row['production_governance']:.2f}"
            " (0 stable … 1 unstable)"
        ),
        "production_concern": (
            f"{_pct(row['production_concern'])} of output in countries of concern"
        ),
        "import_reliance": (
            f"net import reliance {_pct(row['import_reliance'])}"
            if row.get("import_reliance_known", True)
            else "net import reliance unknown (no production data in tonnes); "
            f"scored as {_pct(row['import_reliance'])} from imports alone"
        ),
        "import_concentration": (
            f"{_pct(row['top_supplier_share'])} of imports from "
            f"{countries.name_of(str(row['top_supplier']))} (import HHI "
            f"{10_000 * row['import_concentration']:,.0f})"
            if pd.notna(row["top_supplier"])
            else "no imports"
        ),
        "import_concern": (
            f"{_pct(row['import_concern'])} of import value from countries of concern"
        ),
    }
    order = sorted(parts, key=lambda k: -float(row.get(f"contrib_{k}", 0.0) or 0.0))
    return "; ".join(parts[k] for k in order[:3])


def rank(
    store: Store,
    importers: str | Sequence[str] | Mapping[str, Sequence[str]] = ("USA", "JPN", "like-minded"),
    *,
    year: int = 2024,
    weights: Mapping[str, float] | None = None,
    materials: Sequence[str] | str | None = None,
    si_sr: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Rank materials by criticality for each importer (country or bloc) in ``year``.

    Parameters
    ----------
    store:
        The data store (default data suffices).
    importers:
        Countries and blocs, e.g. ``"USA,JPN,like-minded"``.
    year:
        Year of production, trade and governance data (2018–2024 with the default data).
    weights:
        Override :data:`DEFAULT_WEIGHTS` (non-negative; each group needs one > 0).
    materials:
        Restrict to these commodities (ids or names).
    si_sr:
        Substitution index per commodity id for the EU supply-risk formula (default 1).

    Returns
    -------
    pandas.DataFrame
        One row per importer × material, sorted by importer then ``rank``; columns include
        ``criticality`` (0–100), ``supply_risk``, ``exposure``, each component, its
        ``contrib_*``, ``top_driver``, ``drivers`` (words and numbers), ``geopolrisk_score``
        and ``eu_supply_risk``.
    """
    w = _weights(weights)
    exp = exposure(store, importers, years=[year], commodities_=materials)
    parties = exp.attrs["parties"]
    prod = production_risk(store, [year]).rename(columns={"commodity": "material"})
    df = exp.merge(prod, on=["material", "year"], how="left")
    # imports by supplier, computed once for the concern share and the EU sourcing HHI
    suppliers = imports_by_supplier(store, dict(parties), years=[year], commodities_=materials)
    df = df.merge(
        _concern_import_share(suppliers),
        on=["material", "importer", "year"],
        how="left",
    )
    df["import_concern"] = df["import_concern"].fillna(0.0)
    df["import_concentration"] = df["import_hhi"].fillna(0.0) / 10_000
    # no production data in tonnes for a material: reliance unknown; imports are all we
    # see, so an importer is scored as fully reliant (and the driver text says so)
    df["import_reliance_known"] = df["import_reliance"].notna()
    df["import_reliance"] = df["import_reliance"].fillna(
        pd.Series(np.where(df["imports_t"] > 0, 1.0, 0.0), index=df.index)
    )
    sup_w = sum(w[k] for k in SUPPLY_COMPONENTS)
    exp_w = sum(w[k] for k in EXPOSURE_COMPONENTS)
    for k in SUPPLY_COMPONENTS:
        df[f"contrib_{k}"] = w[k] * df[k].fillna(0.0) / sup_w
    for k in EXPOSURE_COMPONENTS:
        df[f"contrib_{k}"] = w[k] * df[k].fillna(0.0) / exp_w
    df["supply_risk"] = df[[f"contrib_{k}" for k in SUPPLY_COMPONENTS]].sum(axis=1)
    df["exposure"] = df[[f"contrib_{k}" for k in EXPOSURE_COMPONENTS]].sum(axis=1)
    df["criticality"] = 100 * df["supply_risk"] * df["exposure"]
    contrib = df[[f"contrib_{k}" for k in (*SUPPLY_COMPONENTS, *EXPOSURE_COMPONENTS)]]
    df["top_driver"] = [str(k).removeprefix("contrib_") for k in contrib.idxmax(axis=1)]
    df["drivers"] = df.apply(_driver_text, axis=1)
    df = _eu_supply_risk(store, df, suppliers, parties, year, si_sr or {})
    df = df[df["production_concentration"].notna() | (df["imports_kusd"] > 0)]
    order = {label: k for k, label in enumerate(parties)}  # keep the order the user gave
    df = df.assign(_order=df["importer"].map(order))
    df = df.sort_values(["_order", "criticality"], ascending=[True, False]).drop(columns="_order")
    df["rank"] = df.groupby("importer").cumcount() + 1
    first = [
        "importer",
        "rank",
        "material",
        "material_name",
        "year",
        "criticality",
        "supply_risk",
        "exposure",
        "top_driver",
        "drivers",
        "geopolrisk_score",
        "eu_supply_risk",
    ]
    rest = [c for c in df.columns if c not in first]
    out = df[first + rest].reset_index(drop=True)
    out.attrs = {"weights": w, "method": __doc__ or "", "year": year, "parties": parties}
    return out


def _eu_supply_risk(
    store: Store,
    df: pd.DataFrame,
    suppliers: pd.DataFrame,
    parties: Mapping[str, Sequence[str]],
    year: int,
    si_sr: Mapping[str, float],
) -> pd.DataFrame:
    """Add ``eu_supply_risk`` with its WGI-weighted HHIs (scale 0–10, s as fractions).

    HHI_WGI(global) comes from :func:`minsec.assess.supply.supply`; HHI_WGI(sourcing) is
    computed over the importer's own production plus its imports by origin (tonnes), each
    weighted by the supplier's WGI score (a bloc's own production gets its members' mean).
    """
    scores = wgi_scores(store)
    scores = (
        scores[scores["year"] <= year].sort_values("year").drop_duplicates("country", keep="last")
    )
    wgi10 = scores.set_index("country")["wgi_score"]
    sup = suppliers.rename(columns={"commodity": "material"})
    sup["w"] = sup["supplier"].map(wgi10).fillna(WGI_DEFAULT_SCORE)
    own = df[["material", "importer", "production_t"]].copy()
    own_w = {}
    for label, members in parties.items():
        known = [float(wgi10[c]) for c in members if c in wgi10.index]
        own_w[label] = sum(known) / len(known) if known else WGI_DEFAULT_SCORE
    own["w"] = own["importer"].map(own_w).fillna(WGI_DEFAULT_SCORE)
    mix = pd.concat(
        [
            sup[["material", "importer", "quantity_t", "w"]],
            own.rename(columns={"production_t": "quantity_t"}),
        ],
        ignore_index=True,
    )
    mix = mix[mix["quantity_t"].fillna(0) > 0]
    total = mix.groupby(["material", "importer"])["quantity_t"].transform("sum")
    mix["s"] = mix["quantity_t"] / total
    sourcing = (mix["s"] ** 2 * mix["w"]).groupby([mix["material"], mix["importer"]]).sum()
    eol = {c.id: c.eol_rir for c in commodities.commodities()}
    df["hhi_wgi_sourcing"] = [
        sourcing.get((m, i), np.nan) for m, i in zip(df["material"], df["importer"], strict=True)
    ]
    df["eol_rir"] = df["material"].map(eol)
    ir = df["import_reliance"]
    si = df["material"].map(lambda m: si_sr.get(m, 1.0))
    df["eu_supply_risk"] = (
        (df["hhi_wgi_global"] * ir / 2 + df["hhi_wgi_sourcing"].fillna(0) * (1 - ir / 2))
        * (1 - df["eol_rir"].fillna(0))
        * si
    )
    return df
