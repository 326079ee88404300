from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from minsec.catalog import commodities
from minsec.errors import InputError
from minsec.sources import icmm
from minsec.store import Store
from tests.conftest import shared_data

FIXTURES = Path(__file__).parent / "fixtures" / "icmm"
CSV = FIXTURES / "icmm_external.csv"


def _rows(path: Path = CSV) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _cell(text: str) -> Any:
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return text  # e.g. '−23.8901' with a typographic minus stays text, as ICMM has it


def build_xlsx(path: Path, rows: list[list[str]] | None = None) -> Path:
    """Write a workbook in ICMM's layout: About, External (data), Supplemental Sheet."""
    rows = _rows() if rows is None else rows
    wb = openpyxl.Workbook()
    about = wb.active
    about.title = "About"
    about.append([None])
    about.append([None, "Global Mining Dataset - September 2025"])
    data = wb.create_sheet("External")
    header = ["Mine Name " if h == "Mine Name" else h for h in rows[0]]  # as published
    data.append(header)
    for r in rows[1:]:
        data.append([_cell(c) for c in r])
    supp = wb.create_sheet("Supplemental Sheet")
    supp.append([None, None, None, None, None, "Commodity or commodity group", "Count"])
    wb.save(path)
    return path


def _write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


@pytest.fixture(params=["xlsx", "csv"])
def good(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    if request.param == "csv":
        return CSV
    return build_xlsx(tmp_path / "ICMM_global-mining-dataset_2025-09_V1.xlsx")


def test_values_are_parsed(good: Path) -> None:
    parsed = icmm.parse(good)
    assert parsed.source == "icmm2025"
    fac = parsed.tables["facilities"].set_index("facility_id")
    assert len(fac) == 8
    pato = fac.loc["ICMM00026"]
    assert pato["name"] == "Pato"
    assert pato["country"] == "COL"
    assert pato["latitude"] == pytest.approx(7.60535)
    assert pato["longitude"] == pytest.approx(-74.8011)
    assert pato["facility_type"] == "mine"
    assert pato["commodities"] == "gold;silver"
    assert pd.isna(pato["owner"]) and pd.isna(pato["status"])
    assert fac.loc["ICMM00048", "facility_type"] == "mine;plant"
    assert fac.loc["ICMM01005", "facility_type"] == "refinery;steel plant"
    # primary, secondary, others in order; ICMM words map to catalog ids, each once
    assert fac.loc["ICMM01002", "commodities"] == "iron_ore;rare_earths;niobium"
    assert fac.loc["ICMM01002", "source_commodities"] == "iron ore;lanthanides;niobium;neodymium"
    assert fac.loc["ICMM01001", "commodities"] == "lithium;tantalum;tin"
    assert fac.loc["ICMM01003", "country"] == "COD"
    assert fac.loc["ICMM01004", "country"] == "TUR"
    assert fac.loc["ICMM01004", "commodities"] == "steam_coal"
    assert fac.loc["ICMM01004", "source_commodities"] == "thermal coal;coal"
    # unmapped words are kept as text only, and counted
    assert fac.loc["ICMM01005", "source_commodities"] == "steel;sulphuric acid"
    assert "sulphuric" not in str(fac.loc["ICMM01005", "commodities"])
    assert parsed.unmapped_words["coal"] == 1
    assert parsed.unmapped_words["sulphuric acid"] == 1
    total = sum(parsed.mapped_words.values()) + sum(parsed.unmapped_words.values())
    assert total == 20
    assert f"{sum(parsed.unmapped_words.values())} of 20 commodity mentions" in parsed.notes[0]
    # the typographic minus of the 2025-09 release
    assert fac.loc["ICMM07721", "latitude"] == pytest.approx(-23.8901)


def test_icmm_words_point_at_catalog_ids() -> None:
    ids = {c.id for c in commodities.commodities()}
    assert set(icmm.ICMM_WORDS.values()) <= ids
    assert icmm.commodity_id("Metallurgical Coal") == "coking_coal"
    assert icmm.commodity_id("coal") is None


def test_xlsx_and_csv_give_the_same_table(tmp_path: Path) -> None:
    a = icmm.parse(build_xlsx(tmp_path / "x.xlsx")).tables["facilities"]
    b = icmm.parse(CSV).tables["facilities"]
    pd.testing.assert_frame_equal(a, b)


def test_bad_header_names_file_and_expected_header(tmp_path: Path) -> None:
    rows = _rows()
    rows[0][0] = "ID"
    for path in (_write_csv(tmp_path / "bad.csv", rows), build_xlsx(tmp_path / "bad.xlsx", rows)):
        with pytest.raises(InputError, match="ICMMID") as err:
            icmm.parse(path)
        assert err.value.path == path and err.value.row == 1
        assert "expected the ICMM header" in str(err.value)


def test_unknown_country_names_row_column_and_suggestion(tmp_path: Path) -> None:
    rows = _rows()
    rows[3][7] = "Austrlia"
    for path in (_write_csv(tmp_path / "c.csv", rows), build_xlsx(tmp_path / "c.xlsx", rows)):
        with pytest.raises(InputError, match="Austrlia") as err:
            icmm.parse(path)
        assert err.value.row == 4
        assert err.value.column == "Country"
        assert err.value.hint is not None and "'Australia'" in err.value.hint


@pytest.mark.parametrize(
    ("col", "text", "column", "match"),
    [
        (4, "95.5", "Latitude", "outside"),
        (5, "-181", "Longitude", "outside"),
        (4, "7,6", "Latitude", "decimal degrees"),
        (5, "", "Longitude", "both"),
    ],
)
def test_bad_coordinates_raise_with_row(
    tmp_path: Path, col: int, text: str, column: str, match: str
) -> None:
    rows = _rows()
    rows[6][col] = text
    with pytest.raises(InputError, match=match) as err:
        icmm.parse(_write_csv(tmp_path / "bad.csv", rows))
    assert err.value.row == 7
    assert err.value.column == column


def test_duplicate_ids_and_empty_names(tmp_path: Path) -> None:
    rows = _rows()
    rows[5][0] = rows[2][0]
    with pytest.raises(InputError, match="row 3") as err:
        icmm.parse(_write_csv(tmp_path / "dup.csv", rows))
    assert err.value.row == 6 and err.value.column == "ICMMID"
    rows = _rows()
    rows[2][2] = ""
    with pytest.raises(InputError, match="name is empty") as err:
        icmm.parse(_write_csv(tmp_path / "noname.csv", rows))
    assert err.value.row == 3


def test_bad_file_leaves_store_unchanged(tmp_store: Store, tmp_path: Path) -> None:
    icmm.parse(CSV).write(tmp_store)
    before_counts = tmp_store.counts()
    before = tmp_store.table("facilities")
    rows = _rows()
    rows[-1][4] = "-123"
    bad = build_xlsx(tmp_path / "ICMM_2025-09.xlsx", rows)
    with pytest.raises(InputError):
        icmm.parse(bad).write(tmp_store)  # same source id icmm2025
    assert tmp_store.counts() == before_counts
    pd.testing.assert_frame_equal(tmp_store.table("facilities"), before)


def test_import_and_reimport_is_a_noop(tmp_store: Store) -> None:
    first = icmm.parse(CSV, source_id="icmm-test").write(tmp_store)
    assert first.rows == {"facilities": 8} and not first.skipped
    assert icmm.parse(CSV, source_id="icmm-test").write(tmp_store).skipped
    stored = tmp_store.query("SELECT * FROM facilities WHERE facility_id = 'ICMM01004'")
    assert stored.loc[0, "country"] == "TUR" and stored.loc[0, "source"] == "icmm-test"


@pytest.mark.integration
def test_real_icmm_dataset(tmp_store: Store) -> None:
    xlsx = shared_data("facilities_icmm", "ICMM_global-mining-dataset_2025-09_V1.xlsx")
    parsed = icmm.parse(xlsx)
    fac = parsed.tables["facilities"]
    assert len(fac) >= 8000
    assert fac["facility_id"].is_unique
    assert fac["latitude"].between(-90, 90).all() and fac["longitude"].between(-180, 180).all()
    assert fac["country"].nunique() >= 100
    lithium = fac["commodities"].fillna("").str.split(";").map(lambda ids: "lithium" in ids)
    assert lithium.sum() >= 60
    assert sum(parsed.unmapped_words.values()) > 0  # coal, steel, ... are reported
    csv_copy = shared_data("facilities_icmm", "icmm_global_mining_dataset_2025-09_external.csv")
    pd.testing.assert_frame_equal(icmm.parse(csv_copy).tables["facilities"], fac)
    result = parsed.write(tmp_store)
    assert result.rows["facilities"] == len(fac)
    assert icmm.parse(xlsx).write(tmp_store).skipped
