"""Derive the back-test's packaged observations from the public files in ../shared/data.

Writes two small tables of aggregates (never copies of the files):

* ``src/minsec/disrupt/data/backtest_observations.csv``: observed trade (imports reported
  by importers, per partner group and period) and published prices for the real cases
  whose data the default store does not hold;
* ``src/minsec/disrupt/data/backtest_production.csv``: World Mining Data production for the
  pre-2018 baseline years of the back-test (the default store's production starts in 2018);
* ``src/minsec/disrupt/data/inventory_cover.csv``: months of cover of US industry stocks per
  commodity and stage (USGS salient statistics; :mod:`minsec.disrupt.inventory_cover`).

Every input's SHA-256 is pinned below and checked before anything is read (``--no-verify``
to derive from other versions of the files, e.g. to see what changes).

    .venv/bin/python scripts/derive_backtest_observations.py [--shared ../shared/data]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from minsec.disrupt import backtest_observed as bo
from minsec.disrupt import inventory_cover as ic
from minsec.disrupt.backtest import OBSERVATION_COLUMNS, write_observations
from minsec.sources import comtrade, wmd_history
from minsec.sources.base import sha256_file
from minsec.sources.usgs_common import read_csv
from minsec.sources.usgs_salient import parse_table

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "minsec" / "disrupt" / "data"

ATLAS = "trade/critical-materials-atlas"
CAUSAL = "trade/causal-engine"
SALIENT = "usgs_mcs2025/salient_commodity"
SALIENT_2023 = "usgs_mcs2023/salient"

#: Inputs (path under the shared data folder) and their SHA-256.
INPUTS: dict[str, str] = {
    f"{ATLAS}/comtrade_raw_2022_critical31.csv.gz":
        "9a7021dbf0b25ab736828e85ad834b1e685977c041ba3cff1907726340fdd8f9",
    f"{ATLAS}/comtrade_raw_2024_critical31.csv.gz":
        "5ee48216048065e6d9abb9bcba7cffe2176db9b3a739831fbf09672a42b63982",
    f"{ATLAS}/multisource_flows_best_2024_2026.parquet":
        "0f4f85683c302e07112443a002f3238e27f9fd8fcdc22387804c2b0a2ca288ff",
    # the upstream file names are swapped: this one holds 2014-2025 (HS 2604, 2605, 2822...)
    f"{CAUSAL}/cobalt_nickel_ores_2002_2013.csv":
        "cc5ea84171619f7ef2ae65550b814f68a0721e59b55f41787d4ac017428f4597",
    f"{CAUSAL}/cobalt_nickel_2014_2025.csv":
        "5faa721ddc9843e98931a29625276768ca354bb0880c3b1b455ef389ab23c289",
    f"{SALIENT}/mcs2025-graph_salient.csv":
        "05ceed89eb3f8bc96de176b8c009f47691e9867fe0352f7e37e2189de4dc7408",
    f"{SALIENT}/mcs2025-galli_salient.csv":
        "a478af09a10446bac135fb19aef8459ad49e0f8827680cf94e35bc60a1ba025a",
    f"{SALIENT}/mcs2025-germa_salient.csv":
        "60bf0e79d80f5f2a2508474c8b6128c5523b5840b3e8914c2d17fddd4a941923",
    f"{SALIENT}/mcs2025-antim_salient.csv":
        "b6e9d1507c6d9f297faab8fa6ef6fb8b9bcdd9fd517690e8557744f64e3751fe",
    f"{SALIENT}/mcs2025-bauxi_salient.csv":
        "207d64ea78360f0f3e7c3bc3c592d8e8b10befff2fb8da300f8d51c32a2f30a2",
    f"{SALIENT}/mcs2025-cobal_salient.csv":
        "34ca74547867661e0ffd20a14561953035d2d638765219ce4ebce36573840b22",
    f"{SALIENT}/mcs2025-manga_salient.csv":
        "554a8757121094375fa659a197267cb1273a32a55b1de90a3bc8a0625aa35b8d",
    f"{SALIENT}/mcs2025-nicke_salient.csv":
        "be54e3d692b38ee2556fe2d2ec6b8ea18917375f4786badd12b974ec546d7633",
    f"{SALIENT}/mcs2025-timin_salient.csv":
        "e40039b76e0946b8830f2548d5bcd47523fe85684fa213faa8be4d9849a54c46",
    f"{SALIENT_2023}/mcs2023-cobal_salient.csv":
        "74c64b22e1c5f349208209cc192ec255efd9be2816f29789615d8d399b93d62f",
    "wmd/WMD_6.4_production_by_country_1984-2017_compiled.xlsx":
        "97e979a470461bc1ebf8572a76b981fd645b819238831fce820a584283e81fda",
}  # fmt: skip

COMTRADE_RAW = {
    "publisher": "UN Statistics Division (UN Comtrade), via the critical-materials-atlas",
    "dataset": "UN Comtrade reporter records, annual",
}
USGS = {
    "publisher": "U.S. Geological Survey",
    "dataset": "Mineral Commodity Summaries 2025 data release, salient statistics",
}

#: Stocks and consumption of the same product in the salient files: (file code, spec).
COVER = (
    ("bauxi", ic.CoverSpec("bauxite", "ore", "stocks_bauxite", "reported_consumption_bauxite")),
    ("manga", ic.CoverSpec("manganese", "ore", "stocks_ore", "reported_consumption_ore")),
    ("cobal", ic.CoverSpec("cobalt", "refined", "stocks_industry", "estimated_consumption")),
    ("galli", ic.CoverSpec("gallium", "refined", "stocks", "consumption")),
    ("nicke", ic.CoverSpec("nickel", "refined", "stocks_consumer", "reported_consumption_primary")),
)

#: Pre-2018 baselines of the back-test: (commodity, year).
PRODUCTION = (
    ("rare_earths", 2009),
    ("nickel", 2013),
    ("bauxite", 2013),
    ("copper", 2013),
    ("platinum", 2013),
)


def _verify(shared: Path) -> None:
    bad = []
    for rel, digest in INPUTS.items():
        path = shared / rel
        if not path.is_file():
            bad.append(f"{rel}: missing")
        elif sha256_file(path) != digest:
            bad.append(f"{rel}: SHA-256 differs from the pinned {digest}")
    if bad:
        sys.exit("inputs do not verify (use --no-verify to derive anyway):\n  " + "\n  ".join(bad))


def _src(rel: str, series: str, base: dict[str, str]) -> dict[str, str]:
    return {**base, "file": f"{Path(rel).name} (sha256 {INPUTS[rel][:12]}…)", "series": series}


def _salient(shared: Path, rel: str) -> list[dict[str, Any]]:
    rows, _ = parse_table(read_csv(shared / rel), fallback_commodity=None)
    return rows


def observations(shared: Path) -> list[dict[str, Any]]:
    """Every packaged observation row (see the module docstring)."""
    raw22_rel = f"{ATLAS}/comtrade_raw_2022_critical31.csv.gz"
    raw24_rel = f"{ATLAS}/comtrade_raw_2024_critical31.csv.gz"
    raw = pd.concat(
        [
            comtrade.read_raw_records(shared / raw22_rel),
            comtrade.read_raw_records(shared / raw24_rel, year=2024),
        ],
        ignore_index=True,
    )
    both_files = (
        f"{Path(raw22_rel).name} (sha256 {INPUTS[raw22_rel][:12]}…), "
        f"{Path(raw24_rel).name} (sha256 {INPUTS[raw24_rel][:12]}…)"
    )
    annual = {**COMTRADE_RAW, "file": both_files}
    rows: list[dict[str, Any]] = []
    # China's gallium/germanium licensing (Aug 2023): HS17 811292, 2022 vs 2024
    rows += bo.trade_observations(
        raw, raw, scenario="china-gallium-germanium-2023", hs_codes=["811292"], exporters=["CHN"],
        base_period="2022", period="2024",
        source={**annual, "series": "imports of HS 811292 reported by importers"},
    )  # fmt: skip
    # China's antimony licensing (Sep 2024) and US ban (Dec 2024): HS17 811010
    rows += bo.trade_observations(
        raw, raw, scenario="china-antimony-2024", hs_codes=["811010"], exporters=["CHN"],
        base_period="2022", period="2024",
        source={**annual, "series": "imports of HS 811010 reported by importers"},
    )  # fmt: skip
    flows_rel = f"{ATLAS}/multisource_flows_best_2024_2026.parquet"
    monthly = comtrade.read_atlas_flows(shared / flows_rel, sources=("comtrade",))
    rows += bo.trade_observations(
        raw, monthly, scenario="china-antimony-2024", hs_codes=["811010"], exporters=["CHN"],
        base_period="2022", period="2024-12",
        source={
            "publisher": COMTRADE_RAW["publisher"],
            "dataset": "UN Comtrade reporter records: annual 2022 (base), monthly December "
            "2024 (the atlas's multi-source file, source comtrade)",
            "file": f"{both_files}, {Path(flows_rel).name} (sha256 {INPUTS[flows_rel][:12]}…)",
            "series": "imports of HS 811010 reported by importers, December 2024",
        },
    )  # fmt: skip
    # DR Congo's cobalt export suspension (Feb-Oct 2025): World totals of 2822 + 810520
    ores_rel = f"{CAUSAL}/cobalt_nickel_ores_2002_2013.csv"
    metal_rel = f"{CAUSAL}/cobalt_nickel_2014_2025.csv"
    api = pd.concat(
        [comtrade.read_api(shared / ores_rel), comtrade.read_api(shared / metal_rel)],
        ignore_index=True,
    )
    rows += bo.trade_observations(
        api, api, scenario="drc-cobalt-quota-2025", hs_codes=["2822", "810520"],
        exporters=["COD"], base_period="2024", period="2025",
        source={
            "publisher": "UN Statistics Division (UN Comtrade API), via the causal-engine "
            "repository",
            "dataset": "UN Comtrade annual imports by reporter, partner World",
            "file": f"{Path(ores_rel).name} (holds 2014-2025; sha256 {INPUTS[ores_rel][:12]}…), "
            f"{Path(metal_rel).name} (sha256 {INPUTS[metal_rel][:12]}…)",
            "series": "imports of HS 2822 + 810520 (World) of the importers reporting 2025",
        },
    )  # fmt: skip
    # published prices (USGS MCS 2025, annual averages; MCS 2023 for a 2019 base), where
    # the series is of the case's stage (no metal prices for the ore cases of copper, tin
    # and nickel: concentrate terms and ore grades are not in them)
    timin = "Ilmenite and leucoxene, bulk, f.o.b. Australia (the second Price_dt column)"
    mcs2023 = {**USGS, "dataset": USGS["dataset"].replace("2025", "2023")}
    prices = (
        ("china-graphite-2023", "graph", "price_flake", 2022, (2024,),
         "USGS natural flake graphite price"),
        ("china-gallium-germanium-2023", "galli", "price_high_purity", 2022, (2024,),
         "USGS gallium price, high purity"),
        ("china-gallium-germanium-2023", "germa", "price_metal", 2022, (2024,),
         "USGS germanium metal price"),
        ("china-antimony-2024", "antim", "price_metal", 2022, (2024,),
         "USGS antimony metal price (Rotterdam)"),
        ("indonesia-bauxite-2023", "bauxi", "price_bauxite", 2022, (2024,),
         "USGS bauxite price (average value of US imports)"),
        ("australia-manganese-2024", "manga", "price_cn_cif", 2023, (2024,),
         "USGS manganese ore price, 44 % Mn, CIF China (USD per dmtu)"),
        ("ukraine-titanium-2022", "timin", "price_2", 2021, (2022, 2023),
         f"USGS titanium mineral concentrates price: {timin}"),
    )  # fmt: skip
    series = [(sc, f"{SALIENT}/mcs2025-{code}_salient.csv", USGS, stat, base, years, name)
              for sc, code, stat, base, years, name in prices]  # fmt: skip
    series.append(
        ("madagascar-cobalt-2020", f"{SALIENT_2023}/mcs2023-cobal_salient.csv", mcs2023,
         "price_spot", 2019, (2020,), "USGS cobalt price, US spot, cathode (MCS 2023)")
    )  # fmt: skip
    for scenario, rel, publisher, statistic, base, years, name in series:
        table = _salient(shared, rel)
        for year in years:
            rows.append(
                bo.price_observation(
                    table,
                    scenario=scenario,
                    statistic=statistic,
                    base_year=base,
                    year=year,
                    source=_src(rel, name, publisher),
                    unit="USD/mtu" if statistic == "price_cn_cif" else None,
                )
            )
    return rows


def production(shared: Path) -> list[dict[str, Any]]:
    """World Mining Data production of the pre-2018 baseline years."""
    frame, left_out = wmd_history.read(
        shared / "wmd/WMD_6.4_production_by_country_1984-2017_compiled.xlsx"
    )
    if left_out:
        print(f"WMD names without a catalog id (left out): {', '.join(left_out)}", file=sys.stderr)
    out: list[dict[str, Any]] = []
    for commodity, year in PRODUCTION:
        out += bo.production_rows(frame, commodity, year)
    return out


def cover(shared: Path) -> list[dict[str, Any]]:
    """Months of cover of US industry stocks per commodity and stage."""
    out = []
    for code, spec in COVER:
        rel = f"{SALIENT}/mcs2025-{code}_salient.csv"
        row = ic.months_of_cover(_salient(shared, rel), spec, where=rel)
        src = _src(rel, "", USGS)
        out.append({**row, "publisher": src["publisher"], "dataset": src["dataset"],
                    "file": src["file"]})  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> None:
    """Verify the inputs and write the two packaged tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--no-verify", action="store_true", help="do not check the SHA-256")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    if not args.no_verify:
        _verify(args.shared)
    rows = observations(args.shared)
    write_observations(rows, args.out / "backtest_observations.csv")
    prod = pd.DataFrame(production(args.shared))
    rel = "wmd/WMD_6.4_production_by_country_1984-2017_compiled.xlsx"
    head = (
        f"# World Mining Data 6.4, production by country 1984-2017 (Reichl C., Schatz M., World "
        f"Mining Data, Federal Ministry of Finance, Vienna), {Path(rel).name} (sha256 "
        f"{INPUTS[rel][:12]}…); derived by scripts/derive_backtest_observations.py\n"
    )
    with (args.out / "backtest_production.csv").open("w", encoding="utf-8") as fh:
        fh.write(head)
        prod.to_csv(fh, index=False, lineterminator="\n")
    months = pd.DataFrame(cover(args.shared), columns=list(ic.COLUMNS))
    with (args.out / "inventory_cover.csv").open("w", encoding="utf-8") as fh:
        fh.write(
            "# Months of cover of US industry stocks: stocks / (consumption / 12) of the same "
            "product, per year and their median (USGS MCS 2025 salient statistics); derived by "
            "scripts/derive_backtest_observations.py\n"
        )
        months.to_csv(fh, index=False, lineterminator="\n")
    print(f"wrote {len(rows)} observations ({len(OBSERVATION_COLUMNS)} columns), "
          f"{len(prod)} production rows and {len(months)} months of cover "
          f"to {args.out}")  # fmt: skip


if __name__ == "__main__":
    main()
