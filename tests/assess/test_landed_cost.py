"""Suppliers by landed cost: hand-worked unit values and ranking; the CLI on the default data."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from minsec.assess import landed_cost as lc
from minsec.catalog import tariffs as tf
from minsec.errors import InputError, UnknownNameError
from minsec.store import Store
from tests.cli_helpers import run_cli

DAY = dt.date(2026, 1, 15)


def test_unit_values_and_ranking_by_hand() -> None:
    flows = pd.DataFrame(
        {
            "hs6": ["250410"] * 4,
            "exporter": ["CHN", "CHN", "MOZ", "CAN"],
            "importer": ["USA", "JPN", "USA", "USA"],
            "value_kusd": [200.0, 100.0, 60.0, 30.0],
            "quantity_t": [100.0, 50.0, 100.0, 20.0],
            "value_no_qty_kusd": [0.0, 0.0, 0.0, 0.0],
        }
    )
    prices = lc.exporter_prices(flows, "USA").set_index("exporter")
    assert prices.loc["CHN", "unit_value_usd_per_t"] == pytest.approx(2000.0)  # 300 kUSD / 150 t
    assert prices.loc["CHN", "exports_to_destination_t"] == 100.0
    assert prices.loc["MOZ", "unit_value_usd_per_t"] == pytest.approx(600.0)
    table = lc.rank_landed(prices.reset_index(), tf.book(user=False), "USA", DAY)
    rows = table.set_index("origin")
    # China: 2,000 × (1 + 35 %) + 100; Mozambique 600 + 100; Canada 1,500 + 60 (overland)
    assert rows.loc["CHN", "landed_usd_per_t"] == pytest.approx(2000 * 1.35 + 100)
    assert rows.loc["CHN", "duty_usd_per_t"] == pytest.approx(700.0)
    assert rows.loc["MOZ", "landed_usd_per_t"] == pytest.approx(700.0)
    assert rows.loc["CAN", "landed_usd_per_t"] == pytest.approx(1560.0)
    assert list(table["origin"]) == ["MOZ", "CAN", "CHN"] and list(table["rank"]) == [1, 2, 3]


@pytest.mark.default_data
def test_graphite_suppliers_in_the_us(default_store: Store) -> None:
    table, meta = lc.supplier_landed_costs(default_store, "graphite", "USA", day=DAY, top=10)
    assert meta["trade_year"] == 2024 and set(table["hs6"]) == {"250410", "250490"}
    for _, part in table.groupby("hs6"):
        landed = part["landed_usd_per_t"].dropna()
        assert landed.is_monotonic_increasing
        assert len(part) == 10
    china = table[(table["origin"] == "CHN") & (table["hs6"] == "250410")].iloc[0]
    assert china["duty_pct"] == pytest.approx(35.0)
    assert china["landed_usd_per_t"] == pytest.approx(
        china["unit_value_usd_per_t"] * 1.35 + china["freight_usd_per_t"]
    )
    assert "USA" not in set(table["origin"])
    with pytest.raises(UnknownNameError, match="unknown destination 'Atlantis'"):
        lc.supplier_landed_costs(default_store, "graphite", "Atlantis")
    with pytest.raises(InputError, match="no HS code starting with 2505"):
        lc.supplier_landed_costs(default_store, "graphite", "USA", hs6="2505")


@pytest.mark.default_data
def test_landed_cost_cli(capsys: pytest.CaptureFixture[str], default_store_path: Path) -> None:
    res = run_cli(
        capsys, "tariffs", "landed-cost", "-c", "graphite", "--destination", "USA",
        "--date", "2026-01-15", "--hs6", "250410", "--top", "5", "--format", "json",
        "--store", str(default_store_path),
    )  # fmt: skip
    assert res.code == 0, res.err
    payload = json.loads(res.out)
    assert payload["meta"]["destination"] == "USA" and len(payload["data"]) == 5
    assert [r["rank"] for r in payload["data"]] == [1, 2, 3, 4, 5]
    bad = run_cli(capsys, "tariffs", "landed-cost", "-c", "graphite", "--destination", "USA",
                  "--top", "0", "--store", str(default_store_path))  # fmt: skip
    assert bad.code == 2 and "--top must be at least 1" in bad.err
