"""Observed outcomes derived from publishers' records (hand-worked), and the packaged tables
reproduced from the public files."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from minsec.disrupt import backtest_observed as bo
from minsec.disrupt.backtest import load_observations
from minsec.errors import InputError
from minsec.sources.comtrade import COLUMNS
from tests.conftest import SHARED_DATA, shared_data

ROOT = Path(__file__).resolve().parents[2]
SOURCE = {"publisher": "P", "dataset": "D", "file": "F", "series": "S"}


def _records(rows: list[tuple[str, str, str, str, float, float | None]]) -> pd.DataFrame:
    """(period, reporter, partner, flow, value_usd, kg) of HS 811010."""
    return pd.DataFrame(
        [
            {"period": p, "reporter": r, "partner": q, "hs_code": "811010", "flow": f,
             "value_usd": v, "net_weight_kg": kg}
            for p, r, q, f, v, kg in rows
        ],
        columns=list(COLUMNS),
    )  # fmt: skip


BASE = _records(
    [
        ("2022", "JPN", "CHN", "M", 1000.0, 100.0),
        ("2022", "JPN", "AUS", "M", 500.0, 50.0),
        ("2022", "JPN", "WLD", "M", 1500.0, 150.0),  # the World record repeats the partners
        ("2022", "USA", "CHN", "M", 500.0, None),  # no weight: 50 kg at 10 USD/kg
        ("2022", "KOR", "CHN", "M", 90.0, 9.0),  # Korea did not report 2024: left out
        ("2022", "CHN", "AUS", "M", 70.0, 7.0),  # the restricting exporter: never an importer
        ("2022", "M49:899", "CHN", "M", 10.0, 1.0),  # "areas, nes": no catalog id
        ("2022", "JPN", "CHN", "X", 10.0, 1.0),  # exports: not used
    ]
)
OBSERVED = _records(
    [
        ("2024", "JPN", "CHN", "M", 800.0, 40.0),
        ("2024", "JPN", "AUS", "M", 800.0, 80.0),
        ("2024", "USA", "CHN", "M", 300.0, 20.0),
        ("2024", "USA", "MYS", "M", 100.0, 5.0),
        ("2024-12", "USA", "CHN", "M", 30.0, 2.0),  # a month: not inside "2024"? it is
    ]
)


def test_trade_observations_by_hand() -> None:
    rows = bo.trade_observations(
        BASE, OBSERVED[OBSERVED["period"] == "2024"], scenario="x", hs_codes=["811010"],
        exporters=["CHN"], base_period="2022", period="2024", source=SOURCE,
    )  # fmt: skip
    got = {r["flow"]: r for r in rows}
    assert list(got) == ["from restricting", "from others", "total"]
    assert {r["importers"] for r in rows} == {"JPN USA"}
    # base: from China 100 + 50 (imputed) kg, from others 50 kg; 2024: 60 and 85 kg
    assert float(got["from restricting"]["baseline"]) == 150
    assert float(got["from others"]["baseline"]) == 50
    assert float(got["total"]["baseline"]) == 200
    assert float(got["from restricting"]["observed"]) == 60
    assert float(got["from others"]["observed"]) == 85
    assert float(got["total"]["observed"]) == 145
    assert got["total"]["basis"] == "kg" and got["total"]["series"] == "S"
    # the method says which importers and how much value had no weight (500 of 2,000 USD)
    assert (
        "2 importers" in got["total"]["method"]
        and "25.0% of the base value" in got["total"]["method"]
    )


def test_trade_observations_monthly_period_and_table_round_trip(tmp_path: Path) -> None:
    rows = bo.trade_observations(
        BASE, OBSERVED, scenario="x", hs_codes=["811010"], exporters=["CHN"],
        base_period="2022", period="2024-12", source=SOURCE,
    )  # fmt: skip
    got = {r["flow"]: r for r in rows}
    # only the USA reported December 2024: 2 kg from China against 50 kg in all of 2022
    assert got["from restricting"]["importers"] == "USA"
    assert float(got["from restricting"]["observed"]) == 2
    assert "from others" not in got  # no imports from others in the base: no row
    # written as the packaged table and read back: the monthly rate against the annual
    from minsec.disrupt.backtest import write_observations

    path = tmp_path / "obs.csv"
    write_observations(rows, path)
    table = load_observations(path)
    assert set(table["flow"]) == {"from restricting", "total"}
    assert table["period"].iloc[0].months == 1


def test_world_totals_give_a_total_only() -> None:
    world = _records(
        [
            ("2024", "JPN", "WLD", "M", 10.0, 4.0),
            ("2024", "USA", "WLD", "M", 10.0, 6.0),
            ("2025", "JPN", "WLD", "M", 10.0, 3.0),
            ("2025", "USA", "WLD", "M", 10.0, 9.0),
            ("2025", "GBR", "WLD", "M", 10.0, 9.0),  # not in 2024
        ]
    )
    rows = bo.trade_observations(
        world, world, scenario="x", hs_codes=["811010"], exporters=["COD"],
        base_period="2024", period="2025", source=SOURCE,
    )  # fmt: skip
    assert [r["flow"] for r in rows] == ["total"]
    assert (float(rows[0]["baseline"]), float(rows[0]["observed"])) == (10, 12)


def test_no_importer_in_both_periods() -> None:
    with pytest.raises(InputError, match="no importer reported"):
        bo.trade_observations(
            BASE, OBSERVED, scenario="x", hs_codes=["811292"], exporters=["CHN"],
            base_period="2022", period="2024", source=SOURCE,
        )  # fmt: skip


def test_price_and_production_rows() -> None:
    series = [
        {"statistic": "price_metal", "year": 2022, "value": 6.18, "unit": "USD/lb"},
        {"statistic": "price_metal", "year": 2024, "value": 9.5, "unit": "USD/lb"},
        {"statistic": "imports", "year": 2024, "value": 1.0, "unit": "t"},
    ]
    row = bo.price_observation(
        series, scenario="x", statistic="price_metal", base_year=2022, year=2024, source=SOURCE
    )
    assert (row["kind"], row["basis"], row["baseline"], row["observed"]) == (
        "price", "USD/lb", "6.18", "9.5",
    )  # fmt: skip
    # a unit the column's suffix gets wrong (USGS "_dt" for dollars per metric ton unit)
    mtu = bo.price_observation(
        series, scenario="x", statistic="price_metal", base_year=2022, year=2024,
        source=SOURCE, unit="USD/mtu",
    )  # fmt: skip
    assert mtu["basis"] == "USD/mtu" and "(USD/mtu)" in mtu["method"]
    with pytest.raises(InputError, match="no price_metal for 2023"):
        bo.price_observation(
            series, scenario="x", statistic="price_metal", base_year=2023, year=2024,
            source=SOURCE,
        )  # fmt: skip
    production = pd.DataFrame(
        {"commodity": "nickel", "country": ["PHL", "IDN", "AUS"], "year": 2013,
         "production_t": [3.0, 8.0, 0.0]}
    )  # fmt: skip
    rows = bo.production_rows(production, "nickel", 2013)
    assert [(r["country"], r["production_t"]) for r in rows] == [("IDN", "8"), ("PHL", "3")]
    with pytest.raises(InputError, match="no production of nickel in 2012"):
        bo.production_rows(production, "nickel", 2012)


@pytest.mark.integration
def test_the_script_reproduces_the_packaged_tables(tmp_path: Path) -> None:
    shared_data("trade", "critical-materials-atlas")
    spec = importlib.util.spec_from_file_location(
        "derive_backtest_observations", ROOT / "scripts" / "derive_backtest_observations.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(["--shared", str(SHARED_DATA), "--out", str(tmp_path)])
    packaged = ROOT / "src" / "minsec" / "disrupt" / "data"
    for name in ("backtest_observations.csv", "backtest_production.csv", "inventory_cover.csv"):
        assert (tmp_path / name).read_text() == (packaged / name).read_text(), name
