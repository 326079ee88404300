"""scripts/build_hs17_extract.py on small files written in the publishers' layouts.

The atlas folder below is hand-made: CEPII's country table, the atlas crosswalks, a BACI
parquet (2024, with quantities), a BACI values CSV (2022, USD), raw UN Comtrade records
(2022 and 2024, with duplicates and mirror declarations) and top-6 flow files (2021, 2022).
Every expected number is worked out by hand in the comments.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import math
import sys
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

from tests.conftest import shared_data

ROOT = Path(__file__).resolve().parents[2]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_hs17_extract", ROOT / "scripts" / "build_hs17_extract.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


build = _load()

COUNTRIES = """country_code,country_name,country_iso2,country_iso3
56,Belgium,BE,BEL
58,Belgium-Luxembourg (...1998),BE,BEL
156,China,CN,CHN
276,Germany,DE,DEU
280,"Fed. Rep. of Germany (...1990)",DE,DEU
392,Japan,JP,JPN
490,"Other Asia, nes",,S19
842,USA,US,USA
"""
CROSSWALK = {
    "gallium": {"ore_hs": [], "refined_hs": ["811292"], "flags": ["shared_refined"]},
    "germanium": {"ore_hs": [], "refined_hs": ["811292"], "flags": ["shared_refined"]},
    "hafnium": {"ore_hs": [], "refined_hs": ["811292"], "flags": []},
    "cobalt": {"ore_hs": [], "refined_hs": ["282200"], "flags": []},
}
CRITICAL = {
    "source": "test",
    "codes": [
        {"material": "gallium", "code": "81129289", "hs6": "811292"},
        {"material": "germanium", "code": "81129295", "hs6": "811292"},
        {"material": "cobalt", "code": "28220000", "hs6": "282200"},
    ],
}


def _flows_json(year: int, edges: list[dict[str, object]]) -> dict[str, object]:
    iso = {"56": "BE", "58": "BE", "156": "CN", "276": "DE", "280": "DE"}
    iso.update({"392": "JP", "490": "TW", "842": "US"})
    return {
        "year": year,
        "source": "UN Comtrade (primary) via CEPII BACI HS17 V202601",
        "iso": iso,
        "names": {},
        "centroids": {},
        "materials": {
            "gallium": edges,
            "germanium": edges,
            "hafnium": edges,
            "cobalt": [{"from": "CN", "to": "US", "value": 5}],
        },
    }


def _gz(path: Path, text: str) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(text)


@pytest.fixture
def atlas(tmp_path: Path) -> Path:
    root = tmp_path / "trade" / "critical-materials-atlas"
    (root / "flows_json").mkdir(parents=True)
    (root / "baci_country_codes_V202601.csv").write_text(COUNTRIES, encoding="utf-8")
    (root / "crosswalk.json").write_text(json.dumps(CROSSWALK), encoding="utf-8")
    (root / "critical_codes.json").write_text(json.dumps(CRITICAL), encoding="utf-8")
    (root / "PROVENANCE.txt").write_text("Commit            : " + "a" * 40 + "\n", encoding="utf-8")
    pd.DataFrame(
        {
            "year": [2024, 2024, 2024, 2024],
            "exporter": ["CHN", "DEU", "S19", "CHN"],
            "exporter_name": ["China", "Germany", "Taiwan", "China"],
            "importer": ["USA", "USA", "JPN", "USA"],
            "importer_name": ["USA", "USA", "Japan", "USA"],
            "hs6": ["811292", "811292", "811292", "282200"],
            "material": ["gallium+germanium"] * 3 + ["cobalt"],
            "value_kusd": [600.0, 300.0, 100.0, 7.0],
            "qty_t": [2.0, 1.0, None, 3.0],
        }
    ).to_parquet(root / "baci_hs17_2024_critical30.parquet")
    (root / "baci_hs17_2022_critical30_values.csv").write_text(
        "i,j,cmd,value\n"
        "CHN,USA,811292,1000000.0\n"  # 1,000 kUSD
        "DEU,JPN,811292,250000.0\n"  # 250 kUSD
        "BEL,USA,811292,50000.0\n"  # 50 kUSD
        "CHN,USA,282200,999.0\n",  # cobalt: not extracted
        encoding="utf-8",
    )
    # 2022 Comtrade, reporter-side. CHN→USA: the US import record (1.1 M USD, 5,000 kg;
    # |ln 1.1| = 0.095) beats China's export record (0.9 M USD, 4,000 kg; |ln 0.9| = 0.105):
    # 5 t × 1.0/1.1 = 4.5454… t. DEU→JPN: records at 2× and 0.4× BACI's value, both
    # outside exp(±0.2): no quantity. BEL→USA: exact duplicates of one record (45,000 USD,
    # 100 kg; |ln 0.9| < 0.2) count once: 0.1 t × 50/45. Partner 0 and cobalt are ignored.
    _gz(
        root / "comtrade_raw_2022_critical31.csv.gz",
        "year,reporter,partner,cmd,flow,value,netwgt,qty,qtyunit\n"
        "2022,842,156,811292,M,1100000.0,5000.0,5000.0,8\n"
        "2022,156,842,811292,X,900000.0,4000.0,4000.0,8\n"
        "2022,392,276,811292,M,500000.0,900.0,900.0,8\n"
        "2022,276,392,811292,X,100000.0,80.0,80.0,8\n"
        "2022,842,56,811292,M,45000.0,100.0,100.0,8\n"
        "2022,842,56,811292,M,45000.0,100.0,100.0,8\n"
        "2022,842,0,811292,M,1000000.0,1.0,1.0,8\n"
        "2022,842,156,282200,M,999.0,1.0,1.0,8\n",
    )
    # 2024 Comtrade (no year column), used only to score the rule against BACI's tonnes:
    # CHN→USA exact value, 2,200 kg vs BACI 2 t (10 % off); DEU→USA 310,000 USD, 1,000 kg
    # → 1 t × 300/310 = 0.9677 t vs 1 t (3.2 % off).
    _gz(
        root / "comtrade_raw_2024_critical31.csv.gz",
        "reporter,partner,cmd,flow,value,netwgt\n"
        "842,156,811292,M,600000.0,2200.0\n"
        "842,156,811292,M,600000.0,2200.0\n"
        "276,842,811292,X,310000.0,1000.0\n",
    )
    flows = root / "flows_json"
    # 2021: top-6 only; Belgium is 56 (58 ended in 1998), Taiwan is 490 (ISO2 TW here)
    edges_2021 = [
        {"from": "CN", "to": "US", "value": 800000},
        {"from": "BE", "to": "US", "value": 40000},
        {"from": "TW", "to": "JP", "value": 70000},
    ]
    (flows / "flows_2021.json").write_text(json.dumps(_flows_json(2021, edges_2021)))
    # 2022: a subset of the complete file, equal values → 1,050 of 1,300 kUSD = 80.77 %
    edges_2022 = [
        {"from": "CN", "to": "US", "value": 1000000},
        {"from": "BE", "to": "US", "value": 50000},
    ]
    (flows / "flows_2022.json").write_text(json.dumps(_flows_json(2022, edges_2022)))
    products = tmp_path / "trade" / "baci-product-codes-tradalyze"
    products.mkdir()
    (products / "product_codes_HS17_V202401.csv").write_text(
        'code,description\n811292,"Gallium, germanium, hafnium, indium, niobium (columbium), '
        "rhenium and vanadium: articles thereof, unwrought, including waste and scrap, "
        'powders"\n282200,"Cobalt oxides and hydroxides"\n',
        encoding="utf-8",
    )
    return root


def _built(atlas: Path) -> object:
    products = atlas.parent / "baci-product-codes-tradalyze" / "product_codes_HS17_V202401.csv"
    return build.build(atlas, product_codes=products, command="test")


def _row(frame: pd.DataFrame, year: int, exporter: int, importer: int) -> pd.Series:
    found = frame[
        (frame["year"] == year) & (frame["exporter"] == exporter) & (frame["importer"] == importer)
    ]
    assert len(found) == 1, (year, exporter, importer)
    return found.iloc[0]


def test_years_and_their_quality(atlas: Path) -> None:
    out = _built(atlas)
    frame = out.frame  # type: ignore[attr-defined]
    assert set(frame["hs6"]) == {"811292"}, "cobalt is left out"
    assert sorted(set(frame["year"])) == [2021, 2022, 2024]
    y2024 = _row(frame, 2024, 156, 842)
    assert (y2024["value_kusd"], y2024["quantity_t"]) == (600.0, 2.0)
    assert (y2024["coverage"], y2024["quantity_basis"]) == ("complete", "baci")
    taiwan = _row(frame, 2024, 490, 392)
    assert math.isnan(taiwan["quantity_t"]) and taiwan["quantity_basis"] == ""
    years = out.meta["years"]  # type: ignore[attr-defined]
    assert years["2021/811292"]["coverage"] == "top6"
    assert years["2021/811292"]["quantity_basis"] == "none"
    assert "80.8 % in 2022" in years["2021/811292"]["note"]
    assert years["2024/811292"]["value_with_quantity_pct"] == 90.0  # 900 of 1,000 kUSD


def test_2022_quantities_from_the_closest_comtrade_record(atlas: Path) -> None:
    frame = _built(atlas).frame  # type: ignore[attr-defined]
    chn = _row(frame, 2022, 156, 842)
    assert chn["value_kusd"] == 1000.0
    assert chn["quantity_t"] == pytest.approx(5.0 / 1.1)
    assert (chn["coverage"], chn["quantity_basis"]) == ("complete", "comtrade")
    bel = _row(frame, 2022, 56, 842)
    assert bel["quantity_t"] == pytest.approx(0.1 * 50 / 45)
    deu = _row(frame, 2022, 276, 392)
    assert math.isnan(deu["quantity_t"]) and deu["quantity_basis"] == ""


def test_the_quantity_rule_is_scored_where_baci_has_tonnes(atlas: Path) -> None:
    check = _built(atlas).meta["checks"]["comtrade_quantity"]["2024"]  # type: ignore[attr-defined]
    # CHN→USA 10 % off (600 kUSD), DEU→USA 1 − 300/310 = 3.23 % off (300 kUSD)
    assert check["flows_compared"] == 2 and check["flows_estimated"] == 2
    assert check["value_share_estimated_pct"] == 90.0
    assert check["median_abs_error_pct"] == pytest.approx((10 + 100 * 10 / 310) / 2, abs=0.01)
    assert check["value_weighted_abs_error_pct"] == pytest.approx(
        (600 * 10 + 300 * 100 * 10 / 310) / 900, abs=0.01
    )
    assert check["total_estimated_over_baci"] == pytest.approx((2.2 + 300 / 310) / 3, abs=1e-4)
    # S19→JPN (100 kUSD) has no record: filled at the others' unit value, 3.1677 t / 900 kUSD,
    # against CEPII's missing tonnes filled the same way (3 t / 900 kUSD): both ratios 1.056
    ratio = (2.2 + 300 / 310) / 3
    assert check["year_total_with_unit_value_fill_over_baci"] == pytest.approx(ratio, abs=1e-3)
    assert check["largest_importers_with_unit_value_fill_over_baci"] == {
        "842": pytest.approx(ratio, abs=1e-3),
        "392": pytest.approx(ratio, abs=1e-3),
    }


def test_top6_years_map_codes_alive_in_their_year(atlas: Path) -> None:
    frame = _built(atlas).frame  # type: ignore[attr-defined]
    top6 = frame[frame["year"] == 2021]
    assert set(top6["coverage"]) == {"top6"} and top6["quantity_t"].isna().all()
    assert _row(frame, 2021, 56, 842)["value_kusd"] == 40.0  # Belgium, not 58
    assert _row(frame, 2021, 490, 392)["value_kusd"] == 70.0
    assert 58 not in set(frame["exporter"])


def test_top6_edges_that_disagree_with_the_complete_year_stop_the_build(atlas: Path) -> None:
    path = atlas / "flows_json" / "flows_2022.json"
    edges = [{"from": "CN", "to": "US", "value": 999999}]
    path.write_text(json.dumps(_flows_json(2022, edges)))
    with pytest.raises(build.BuildError, match="differ from the complete file"):
        _built(atlas)


def test_a_country_outside_cepii_table_is_named(atlas: Path) -> None:
    path = atlas / "baci_hs17_2022_critical30_values.csv"
    path.write_text("i,j,cmd,value\nXXX,USA,811292,5.0\n", encoding="utf-8")
    with pytest.raises(build.BuildError, match=r"XXX.*not in CEPII's country table"):
        _built(atlas)


def test_provenance_records_inputs_output_and_licence(atlas: Path) -> None:
    out = _built(atlas)
    meta = out.meta  # type: ignore[attr-defined]
    text = out.csv  # type: ignore[attr-defined]
    assert meta["extract"]["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert meta["extract"]["rows"] == len(text.splitlines()) - 1
    assert meta["licence"] == "Etalab Open Licence 2.0" and "Zignago" in meta["citation"]
    assert meta["version"] == "V202601" and meta["mirror"]["commit"] == "a" * 40
    assert meta["products"]["811292"].startswith("Gallium, germanium, hafnium")
    inputs = {i["file"]: i for i in meta["inputs"]}
    for name in (
        "baci_hs17_2024_critical30.parquet",
        "baci_hs17_2022_critical30_values.csv",
        "comtrade_raw_2022_critical31.csv.gz",
        "flows_json/flows_2021.json",
        "crosswalk.json",
    ):
        assert inputs[name]["sha256"] == hashlib.sha256((atlas / name).read_bytes()).hexdigest()
    assert "trade/baci-product-codes-tradalyze/product_codes_HS17_V202401.csv" in inputs
    assert json.loads(out.provenance) == meta  # type: ignore[attr-defined]


def test_the_build_is_reproducible_and_check_sees_changes(atlas: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["--atlas", str(atlas), "--out", str(out), "--product-codes", str(tmp_path / "none")]
    assert build.main(args) == 0
    first = (out / build.EXTRACT).read_bytes()
    assert build.main([*args, "--check"]) == 0
    (out / build.EXTRACT).write_bytes(first.replace(b"600.0", b"601.0"))
    assert build.main([*args, "--check"]) == 1
    assert build.main(args) == 0 and (out / build.EXTRACT).read_bytes() == first


@pytest.mark.integration
def test_shared_data_rebuilds_the_packaged_extract_byte_for_byte() -> None:
    from importlib import resources

    from minsec.sources import hs17_gage

    atlas = shared_data("trade", "critical-materials-atlas")
    products = shared_data(
        "trade", "baci-product-codes-tradalyze", "product_codes_HS17_V202401.csv"
    )
    out = build.build(atlas, product_codes=products, command=build.COMMAND)
    packaged = resources.files("minsec.sources").joinpath("data")
    assert out.csv == packaged.joinpath(hs17_gage.EXTRACT).read_text("utf-8")
    assert out.provenance == packaged.joinpath(hs17_gage.PROVENANCE).read_text("utf-8")
    assert out.meta["extract"]["sha256"] == hs17_gage.SHA256
