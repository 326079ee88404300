"""World Mining Data 6.4 compiled 1984-2017: blocks per mineral, historical country names."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from minsec.errors import InputError
from minsec.sources import wmd_history
from tests.conftest import shared_data


def _sheet(path: Path, rows: list[list[object]]) -> None:
    pd.DataFrame(rows).to_excel(path, header=False, index=False)


def test_blocks_units_and_names(tmp_path: Path) -> None:
    path = tmp_path / "wmd.xlsx"
    _sheet(
        path,
        [
            [None, None, None, None],
            ["Rare Earths (REO)", "Unit", 2009, 2010],
            ["China", "metr. tons", 129400, 130000],
            ["Brazil", "metr. tons", 303, None],
            ["Total", "metr. tons", 129703, 130000],
            ["Bauxite (crude ore)", "Unit", 2009, 2010],
            ["Zaire", "metr. tons", 5, 6],
            ["Russia, Asia", "metr. tons", 10, 10],
            ["Russia, Europe", "metr. tons", 20, 20],
            ["USSR (Asia)", "metr. tons", 1, 1],
            ["Diamonds (Gem)", "Unit", 2009, 2010],
            ["Botswana", "ct.", 100, 100],
            ["Germanium", "Unit", 2009, 2010],
            ["China", "kg", 80000, 90000],
        ],
    )
    frame, left_out = wmd_history.read(path)
    got = frame.set_index(["commodity", "country", "year"])["production_t"]
    assert got[("rare_earths", "CHN", 2009)] == 129400
    assert got[("rare_earths", "BRA", 2009)] == 303
    assert ("rare_earths", "BRA", 2010) not in got.index  # a blank cell is not a zero
    assert got[("bauxite", "COD", 2010)] == 6  # Zaire
    assert got[("bauxite", "RUS", 2009)] == 30  # Russia, Asia + Russia, Europe
    assert got[("germanium", "CHN", 2010)] == 90  # kg → t
    assert "diamonds" not in set(frame["commodity"])  # carats are not tonnes
    assert left_out == ["USSR (Asia)"]


def test_not_the_layout(tmp_path: Path) -> None:
    path = tmp_path / "other.xlsx"
    _sheet(path, [["Country", "2009"], ["China", 1]])
    with pytest.raises(InputError, match="no block header"):
        wmd_history.read(path)
    _sheet(path, [["Nickel", "Unit", "year one"], ["China", "metr. tons", 1]])
    with pytest.raises(InputError, match=r"row 1.*is not a year"):
        wmd_history.read(path)


@pytest.mark.integration
@pytest.mark.parametrize(
    ("block", "commodity", "year"),
    [("Rare Earths (REO)", "rare_earths", 2009), ("Nickel", "nickel", 2013),
     ("Bauxite (crude ore)", "bauxite", 2013)],
)  # fmt: skip
def test_the_compiled_file_adds_up_to_its_totals(block: str, commodity: str, year: int) -> None:
    """The countries read add up to the sheet's own Total row (the back-test's baselines)."""
    path = shared_data("wmd", "WMD_6.4_production_by_country_1984-2017_compiled.xlsx")
    frame, _ = wmd_history.read(path)
    sheet = pd.read_excel(path, header=None)
    head = int(sheet.index[sheet.iloc[:, 0].astype(str) == block][0])
    col = int(list(sheet.iloc[head]).index(year))
    below = sheet.iloc[head + 1 :, 0].astype(str)
    total_row = int(below.index[below == "Total"][0])
    total = float(sheet.iat[total_row, col])
    got = frame[(frame["commodity"] == commodity) & (frame["year"] == year)]
    assert got["production_t"].sum() == pytest.approx(total, rel=1e-6)
    if commodity == "rare_earths":
        assert float(got.set_index("country").loc["CHN", "production_t"]) == 129_400
