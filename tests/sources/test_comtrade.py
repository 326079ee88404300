"""UN Comtrade records in the publisher's API layout and the atlas's layouts."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from minsec.errors import InputError
from minsec.sources import comtrade

API_HEADER = (
    "typeCode,freqCode,refPeriodId,refYear,refMonth,period,reporterCode,reporterISO,"
    "reporterDesc,flowCode,flowDesc,partnerCode,partnerISO,partnerDesc,partner2Code,"
    "partner2ISO,partner2Desc,classificationCode,classificationSearchCode,"
    "isOriginalClassification,cmdCode,cmdDesc,aggrLevel,isLeaf,customsCode,customsDesc,"
    "mosCode,motCode,motDesc,qtyUnitCode,qtyUnitAbbr,qty,isQtyEstimated,altQtyUnitCode,"
    "altQtyUnitAbbr,altQty,isAltQtyEstimated,netWgt,isNetWgtEstimated,grossWgt,"
    "isGrossWgtEstimated,cifvalue,fobvalue,primaryValue,legacyEstimationFlag,isReported,"
    "isAggregate"
)


def _api_row(
    year: str, month: str, freq: str, reporter: str, flow: str, partner: str, cmd: str,
    kg: str, value: str, partner2: str = "0", customs: str = "C00", mot: str = "0",
) -> str:  # fmt: skip
    cells = [
        "C", freq, f"{year}0101", year, month, year, reporter, "", "", flow, "", partner, "",
        "", partner2, "", "", "H6", "HS", "true", cmd, "", str(len(cmd)), "false", customs, "", "0",
        mot, "", "8", "kg", kg, "false", "-1", "N/A", "", "false", kg, "false", "", "false",
        value, "", value, "0", "true", "false",
    ]  # fmt: skip
    # the published records end with an empty trailing field
    return ",".join(f'"{c}"' if c else "" for c in cells) + ","


def test_api_layout_keeps_totals_and_maps_codes(tmp_path: Path) -> None:
    path = tmp_path / "api.csv"
    path.write_text(
        "\n".join(
            [
                API_HEADER,
                _api_row("2025", "52", "A", "392", "M", "0", "810520", "3610000", "1.2e8"),
                # a breakdown by mode of transport: not counted again
                _api_row("2025", "52", "A", "392", "M", "0", "810520", "10", "5", mot="1000"),
                _api_row("2024", "52", "A", "842", "M", "0", "2822", "", "7000"),
                _api_row("2025", "3", "M", "826", "X", "180", "2822", "50", "900"),
                _api_row("2025", "52", "A", "899", "M", "156", "2822", "1", "1"),
            ]
        )
        + "\n",
        encoding="latin-1",
    )
    got = comtrade.read_api(path)
    assert list(got.columns) == list(comtrade.COLUMNS)
    assert len(got) == 4
    japan = got.iloc[0]
    assert (japan["period"], japan["reporter"], japan["partner"]) == ("2025", "JPN", "WLD")
    assert japan["hs_code"] == "810520" and japan["flow"] == "M"
    assert japan["net_weight_kg"] == 3_610_000 and japan["value_usd"] == 1.2e8
    # a heading published at four digits keeps them (HS 2822 is one subheading, 282200, but
    # not every heading is)
    usa = got.iloc[1]
    assert usa["reporter"] == "USA" and usa["hs_code"] == "2822"
    assert pd.isna(usa["net_weight_kg"])
    uk = got.iloc[2]
    assert (uk["period"], uk["reporter"], uk["partner"]) == ("2025-03", "GBR", "COD")
    assert uk["flow"] == "X"
    assert got.iloc[3]["reporter"] == "M49:899"


def test_api_layout_errors(tmp_path: Path) -> None:
    path = tmp_path / "api.csv"
    path.write_text("refYear,reporterCode\n2024,392\n")
    with pytest.raises(InputError, match="missing column"):
        comtrade.read_api(path)
    path.write_text(
        API_HEADER + "\n" + _api_row("2025", "", "M", "392", "M", "0", "2822", "1", "1") + "\n"
    )
    with pytest.raises(InputError, match="row 2, column 'refMonth'"):
        comtrade.read_api(path)
    path.write_text(
        API_HEADER + "\n" + _api_row("2025", "52", "A", "392", "Q", "0", "2822", "1", "1") + "\n"
    )
    with pytest.raises(InputError, match="unknown trade flow 'Q'"):
        comtrade.read_api(path)


def test_raw_records_sum_repeated_records(tmp_path: Path) -> None:
    # the atlas's 2024 file has no year column and repeats records: all are summed
    path = tmp_path / "comtrade_raw_2024.csv.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(
            "reporter,partner,cmd,flow,value,netwgt\n"
            "392,156,811010,M,100.0,10.0\n"
            "392,156,811010,M,100.0,10.0\n"
            "392,0,811010,M,200.0,20.0\n"
            "490,156,811010,M,5.0,\n"
        )
    got = comtrade.read_raw_records(path, year=2024)
    assert list(got["period"].unique()) == ["2024"]
    assert list(got["reporter"]) == ["JPN", "JPN", "JPN", "TWN"]
    partners = got[got["partner"] != comtrade.WORLD]
    japan = partners[partners["reporter"] == "JPN"]
    world = got[got["partner"] == comtrade.WORLD]["net_weight_kg"].sum()
    assert japan["net_weight_kg"].sum() == world  # partner records add up to the World one
    assert pd.isna(got.iloc[3]["net_weight_kg"])
    with pytest.raises(InputError, match="no year column"):
        comtrade.read_raw_records(path)


def test_atlas_flows(tmp_path: Path) -> None:
    path = tmp_path / "flows.parquet"
    pd.DataFrame(
        {
            "source": ["comtrade", "hmrc", "baci"],
            "freq": ["M", "M", "A"],
            "period": [202412, 202501, 2024],
            "reporter": ["USA", "GBR", "CHN"],
            "partner": ["CHN", "CHN", "USA"],
            "flow": ["import", "import", "export"],
            "hs6": ["811010", "811010", "81010"],
            "value_usd": [10.0, 20.0, 30.0],
            "qty_kg": [1.0, None, 3.0],
        }
    ).to_parquet(path)
    got = comtrade.read_atlas_flows(path)
    assert list(got["period"]) == ["2024-12", "2025-01", "2024"]
    assert list(got["flow"]) == ["M", "M", "X"]
    assert list(got["hs_code"]) == ["811010", "811010", "081010"]  # a lost leading zero
    only = comtrade.read_atlas_flows(path, sources=("comtrade",))
    assert len(only) == 1 and only.iloc[0]["reporter"] == "USA"
