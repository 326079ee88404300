"""Months of cover of industry stocks: worked by hand, and the packaged table in use."""

from __future__ import annotations

import pytest

from minsec.disrupt import baseline as bl
from minsec.disrupt.inventory_cover import CoverSpec, months_of_cover, packaged_cover
from minsec.errors import InputError

SPEC = CoverSpec("bauxite", "ore", "stocks_bauxite", "reported_consumption_bauxite")


def _rows(year: int, stocks: float | None, consumption: float | None) -> list[dict[str, object]]:
    return [
        {"year": year, "statistic": "stocks_bauxite", "value": stocks},
        {"year": year, "statistic": "reported_consumption_bauxite", "value": consumption},
        {"year": year, "statistic": "imports_bauxite", "value": 999.0},
    ]


def test_months_of_cover_by_hand() -> None:
    # 250 kt against 3,000 kt a year = 1 month; 200 against 1,200 = 2 months; 2022 withheld
    rows = [*_rows(2020, 250.0, 3000.0), *_rows(2021, 200.0, 1200.0), *_rows(2022, 240.0, None),
            *_rows(2023, 300.0, 1200.0)]  # fmt: skip
    got = months_of_cover(rows, SPEC)
    assert got["years"] == "2020-2023"
    assert (got["months_min"], got["months_median"], got["months_max"]) == (1.0, 2.0, 3.0)
    with pytest.raises(InputError, match="no year with both stocks_bauxite and reported_"):
        months_of_cover(_rows(2020, None, 3000.0), SPEC, where="mcs2025-bauxi_salient.csv")


def test_the_packaged_table_and_the_parameters_that_use_it() -> None:
    table = packaged_cover().set_index(["commodity", "stage"])
    assert {("bauxite", "ore"), ("cobalt", "refined"), ("gallium", "refined")} <= set(table.index)
    assert (table["months_min"] <= table["months_median"]).all()
    assert table["file"].str.contains("sha256").all()
    # bauxite's buyers' inventories in parameters.toml are the table's median (sourced)
    assert bl.commodity_parameters("bauxite").inventory_months == pytest.approx(
        table.loc[("bauxite", "ore"), "months_median"]
    )
