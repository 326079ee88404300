"""The vectorised GeoPolRisk core: NumPy over all (material × importer × year) at once.

Pure functions of the tidy tables in :class:`minsec.assess._gpr_inputs.GprInputs`; see
:mod:`minsec.assess.geopolrisk` for the method, units and corrections. Layout: every
result is a flat array over the grid ``(material, party, year)`` in C order, built with
``np.bincount`` on an integer key — no Python loop over combinations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from minsec.assess._gpr_inputs import GprInputs

Float = npt.NDArray[np.float64]
Int = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]

#: geopolrisk-py's fixed copper characterisation factor (mean OECD Cu CF, 2017–2021).
CU_CF = 0.409412948


@dataclass
class Grid:
    """Index of the output grid: materials × parties × years (C order)."""

    materials: list[str]
    parties: list[str]
    years: list[int]

    @property
    def shape(self) -> tuple[int, int, int]:
        """(materials, parties, years)."""
        return len(self.materials), len(self.parties), len(self.years)

    @property
    def size(self) -> int:
        """Number of grid cells (= output rows)."""
        m, p, y = self.shape
        return m * p * y


@dataclass
class _Members:
    """Party membership as integer pairs over a country index."""

    countries: pd.Index
    pair_party: Int
    pair_country: Int
    mask: Bool  # (parties, countries): country is a member of party


def _members(parties: Mapping[str, Sequence[str]], extra: Sequence[str]) -> _Members:
    pairs = [(k, c) for k, members in enumerate(parties.values()) for c in dict.fromkeys(members)]
    names = sorted({c for _, c in pairs} | set(extra))
    countries = pd.Index(names)
    pp = np.fromiter((k for k, _ in pairs), dtype=np.int64, count=len(pairs))
    pc = np.asarray(countries.get_indexer(pd.Index([c for _, c in pairs])), dtype=np.int64)
    mask = np.zeros((len(parties), len(countries)), dtype=bool)
    mask[pp, pc] = True
    return _Members(countries, pp, pc, mask)


def _floats(values: pd.Series) -> Float:
    """A numeric column as float64 (NULL/NA → NaN)."""
    return np.asarray(pd.to_numeric(values, errors="coerce").astype("float64"), dtype=float)


def _labels(values: pd.Series) -> set[str]:
    """The distinct labels of a column (the categories of a categorical)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return {str(c) for c in values.cat.categories}
    return {str(c) for c in values.unique()}


def _codes(
    values: pd.Series | Sequence[str] | npt.NDArray[np.object_], index: Sequence[Any]
) -> Int:
    """Position of each value in ``index`` (-1 where absent)."""
    target: pd.Index = pd.Index(list(index), dtype=object)
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        # map the few categories, then take their codes (fast path for loaded trade)
        where = np.append(target.get_indexer(values.cat.categories), -1).astype(np.int64)
        return np.asarray(where[values.cat.codes.to_numpy()], dtype=np.int64)
    return np.asarray(target.get_indexer(pd.Index(values, dtype=object)), dtype=np.int64)


def _expand_to_parties(importer: Int, mem: _Members) -> tuple[Int, Int]:
    """For each trade row, one copy per party its importer belongs to.

    Returns (row index into the trade rows, party index), both of the expanded length.
    """
    n_countries = len(mem.countries)
    order = np.argsort(mem.pair_country, kind="stable")
    party_sorted = mem.pair_party[order]
    counts = np.bincount(mem.pair_country, minlength=n_countries).astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    rep = counts[importer]
    rows = np.repeat(np.arange(len(importer), dtype=np.int64), rep)
    offsets = np.arange(len(rows), dtype=np.int64) - np.repeat(np.cumsum(rep) - rep, rep)
    party = party_sorted[starts[importer[rows]] + offsets]
    return rows, party


def hhi_truncated_exact(
    material: Int, year: Int, quantity: Float, n_materials: int, n_years: int
) -> Float:
    """HHI as geopolrisk-py computes it: ``Σ int(p)² / (Σ int(p))²`` per (material, year).

    ``int()`` truncates each production value toward zero (NULL → 0); the sums are exact
    (Python integers: Σp² exceeds int64 for crude oil, steam coal and lignite) and the
    one division is correctly rounded. NaN where total production is 0 (the reference
    raises there). Returns a ``(n_materials, n_years)`` array.
    """
    p = np.trunc(np.nan_to_num(quantity, nan=0.0)).astype(np.int64).astype(object)
    key = material * n_years + year
    frame = pd.DataFrame({"key": key, "p": p, "p2": p * p})
    sums = frame.groupby("key", sort=True)[["p", "p2"]].sum()
    out = np.full(n_materials * n_years, np.nan)
    for k, s1, s2 in zip(sums.index, sums["p"], sums["p2"], strict=True):
        if s1 != 0:
            out[int(k)] = int(s2) / (int(s1) * int(s1))
    return out.reshape(n_materials, n_years)


def hhi_float(material: Int, year: Int, quantity: Float, n_materials: int, n_years: int) -> Float:
    """``Σ p² / (Σ p)²`` per (material, year) on un-truncated values (NaN → 0), float64.

    NaN where total production is 0. Returns a ``(n_materials, n_years)`` array.
    """
    q = np.nan_to_num(quantity, nan=0.0)
    key = material * n_years + year
    size = n_materials * n_years
    s1 = np.bincount(key, weights=q, minlength=size)
    s2 = np.bincount(key, weights=q * q, minlength=size)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(s1 != 0, s2 / (s1 * s1), np.nan)
    return out.reshape(n_materials, n_years)


def _production_by_party(
    material: Int,
    year: Int,
    member_key: Int,
    quantity: Float,
    grid: Grid,
    pair_party: Int,
    pair_key: Int,
    n_keys: int,
) -> Float:
    """Σ over each party's members of production, as a flat (material, party, year) array.

    ``member_key`` indexes the production rows by country (or code); ``pair_key`` gives the
    same index for each (party, member) pair (-1 where the member has none).
    """
    m, p, y = grid.shape
    per_key = np.zeros((n_keys, m * y))
    ok = member_key >= 0
    np.add.at(per_key, (member_key[ok], material[ok] * y + year[ok]), quantity[ok])
    membership = np.zeros((p, n_keys))
    has = pair_key >= 0
    np.add.at(membership, (pair_party[has], pair_key[has]), 1.0)
    by_party = membership @ per_key  # (parties, materials*years)
    return np.ascontiguousarray(by_party.reshape(p, m, y).transpose(1, 0, 2)).reshape(-1)


def _ratio(num: Float, den: Float) -> Float:
    """``num / den``, and 0 where ``den == 0`` (the reference's ZeroDivisionError → 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den == 0, 0.0, num / np.where(den == 0, 1.0, den))


def compute(
    inputs: GprInputs,
    parties: Mapping[str, Sequence[str]],
    years: Sequence[int],
    *,
    baci_codes: Mapping[str, int],
    compatible: bool = True,
    corrected: bool = True,
    missing_wgi: float = 0.5,
) -> tuple[Grid, dict[str, Float]]:
    """All GeoPolRisk terms over the grid materials × parties × years.

    Returns the grid and a dict of flat float arrays (one value per grid cell) named as the
    output columns of :func:`minsec.assess.geopolrisk.geopolrisk` (without identifiers).
    """
    grid = Grid(
        materials=[str(m) for m in inputs.materials["material"]],
        parties=list(parties),
        years=[int(y) for y in years],
    )
    n_m, n_p, n_y = grid.shape
    trade = inputs.trade
    mem = _members(
        parties,
        sorted(_labels(trade["exporter"]) | _labels(trade["importer"])),
    )
    n_c = len(mem.countries)

    # -- trade rows -> (material, party, year) keys --------------------------------------
    t_m = _codes(trade["material"], grid.materials)
    t_y = _codes(trade["year"].astype(int), grid.years)
    keep = (t_m >= 0) & (t_y >= 0)
    t_m, t_y = t_m[keep], t_y[keep]
    t_i = _codes(trade["exporter"], list(mem.countries))[keep]
    t_j = _codes(trade["importer"], list(mem.countries))[keep]
    q_raw = _floats(trade["quantity_t"])[keep]
    v = np.nan_to_num(_floats(trade["value_kusd"])[keep], nan=0.0)
    q_missing = np.isnan(q_raw)
    q = np.where(q_missing, 0.0, q_raw)

    rows, party = _expand_to_parties(t_j, mem)
    intra = mem.mask[party, t_i[rows]]
    key = (t_m[rows] * n_p + party) * n_y + t_y[rows]
    size = grid.size

    def total(weights: Float) -> Float:
        return np.asarray(np.bincount(key, weights=weights, minlength=size), dtype=np.float64)

    # exporter weights as (countries × years) matrices
    wgi = inputs.wgi
    w_i = _codes(wgi["exporter"].astype(str), list(mem.countries))
    w_y = _codes(wgi["year"].astype(int), grid.years)
    w_ok = (w_i >= 0) & (w_y >= 0)

    prod = inputs.production
    p_m = _codes(prod["material"], grid.materials)
    p_y = _codes(prod["year"].astype(int), grid.years)
    p_ok = (p_m >= 0) & (p_y >= 0)
    prod = prod[p_ok]
    p_m, p_y = p_m[p_ok], p_y[p_ok]
    p_q = _floats(prod["quantity"])

    out: dict[str, Float] = {}
    if compatible:
        wc = np.full((n_c, n_y), 0.5)
        if "w_compatible" in wgi:
            wc[w_i[w_ok], w_y[w_ok]] = wgi["w_compatible"].to_numpy(dtype=float)[w_ok]
        w_eff = np.where(intra, 0.0, wc[t_i, t_y][rows])
        n = total(q[rows] * w_eff)
        t = total(q[rows])
        val = total(v[rows])

        # production: first row per (material, year, code) by source_row, as float
        factor = inputs.materials["prod_factor_compatible"].to_numpy(dtype=float)
        order = np.lexsort((_floats(prod["source_row"]), p_y, p_m))
        codes_sorted = prod["source_country_code"].astype(str).to_numpy()[order]
        firsts = (
            ~pd.DataFrame({"m": p_m[order], "y": p_y[order], "c": codes_sorted})
            .duplicated()
            .to_numpy()
        )
        sel = order[firsts]
        code_index = pd.Index(sorted(set(codes_sorted)))
        member_code = [
            str(baci_codes[c]) if c in baci_codes else "" for c in mem.countries[mem.pair_country]
        ]
        prodq = _production_by_party(
            p_m[sel],
            p_y[sel],
            _codes(prod["source_country_code"].astype(str).to_numpy()[sel], list(code_index)),
            np.nan_to_num(p_q[sel], nan=0.0) * factor[p_m[sel]],
            grid,
            mem.pair_party,
            _codes(member_code, list(code_index)),
            len(code_index),
        )
        hhi = hhi_truncated_exact(p_m, p_y, p_q, n_m, n_y)
        hhi_cells = np.broadcast_to(hhi[:, None, :], grid.shape).reshape(-1)
        den = t + prodq
        wta = _ratio(n, den)
        price = _ratio(val, t)
        score = hhi_cells * wta
        out.update(
            hhi_gpr=hhi_cells,
            imports_t=t,
            risk_weighted_imports_t=n,
            domestic_production_t=prodq,
            denominator_t=den,
            import_value_kusd=val,
            price_usd_per_kg=price,
            import_risk=wta,
            geopolrisk_score=score,
            geopolrisk_cf=score * price / CU_CF,
        )

    if corrected:
        wr = np.full((n_c, n_y), float(missing_wgi))
        dflt = np.ones((n_c, n_y), dtype=bool)
        if "w_corrected" in wgi:
            wr[w_i[w_ok], w_y[w_ok]] = wgi["w_corrected"].to_numpy(dtype=float)[w_ok]
            dflt[w_i[w_ok], w_y[w_ok]] = wgi["wgi_defaulted"].to_numpy(dtype=bool)[w_ok]
        qc = np.nan_to_num(_floats(trade["content_t"])[keep], nan=0.0)
        w_eff = np.where(intra, 0.0, wr[t_i, t_y][rows])
        n = total(qc[rows] * w_eff)
        t = total(qc[rows])
        val = total(np.where(q_missing, 0.0, v)[rows])
        defaulted = total(np.where(~intra & dflt[t_i, t_y][rows], qc[rows], 0.0))

        factor = inputs.materials["prod_factor_corrected"].to_numpy(dtype=float)
        prodq = _production_by_party(
            p_m,
            p_y,
            _codes(prod["country"].astype(str), list(mem.countries)),
            np.nan_to_num(p_q, nan=0.0) * factor[p_m],
            grid,
            mem.pair_party,
            mem.pair_country,
            n_c,
        )
        hhi = hhi_float(p_m, p_y, p_q, n_m, n_y)
        hhi_cells = np.broadcast_to(hhi[:, None, :], grid.shape).reshape(-1)
        # no production data for the material and year: domestic production is unknown
        prodq = np.where(np.isnan(hhi_cells), np.nan, prodq)
        den = t + prodq
        wta = _ratio(n, den)
        price = _ratio(val, t)
        score = hhi_cells * wta
        out.update(
            hhi_gpr_corrected=hhi_cells,
            imports_t_corrected=t,
            risk_weighted_imports_t_corrected=n,
            imports_default_wgi_t_corrected=defaulted,
            domestic_production_t_corrected=prodq,
            denominator_t_corrected=den,
            import_value_kusd_corrected=val,
            price_usd_per_kg_corrected=price,
            import_risk_corrected=wta,
            geopolrisk_score_corrected=score,
            geopolrisk_cf_corrected=score * price / CU_CF,
        )
    return grid, out
