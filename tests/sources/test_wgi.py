from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from minsec.errors import InputError
from minsec.sources import wgi
from minsec.store import Store
from tests.conftest import shared_data

FIXTURES = Path(__file__).parent / "fixtures" / "wgi"
CODES = {"Japan": "JPN", "Japan (as renamed)": "JPN", "United States": "USA"}


def _cell(text: str) -> Any:
    """Numbers as numbers (as the World Bank's workbook stores them), markers as text."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _rows() -> list[list[Any]]:
    with (FIXTURES / "wgi_long_rows.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return [rows[0]] + [[_cell(c) for c in r] for r in rows[1:]]


def build_xlsx(
    path: Path,
    rows: list[list[Any]] | None = None,
    *,
    with_codes: bool = False,
    sheet: str = "Sheet1",
) -> Path:
    """Write a workbook in the WGI 2024 long layout (one sheet, header on row 1)."""
    rows = _rows() if rows is None else rows
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for n, row in enumerate(rows):
        out = row
        if with_codes:
            code = CODES.get(str(row[0]), "")
            out = (
                ["codeindyr", "code", *row]
                if n == 0
                else [f"{code}{row[2]}{row[1]}", code or None, *row]
            )
        ws.append(out)
    wb.save(path)
    return path


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return build_xlsx(tmp_path / "wgidataset_2024update.xlsx")


def _value(frame: pd.DataFrame, country: str, year: int, indicator: str) -> pd.Series:
    hit = frame[
        (frame["country"] == country) & (frame["year"] == year) & (frame["indicator"] == indicator)
    ]
    assert len(hit) == 1, hit
    return hit.iloc[0]


def test_values_are_parsed_as_published(good: Path) -> None:
    parsed = wgi.parse(good)
    assert parsed.source == "wgi2024"
    assert parsed.kind == "wgi"
    gov = parsed.tables["governance"]
    assert set(gov["indicator"]) == {"PV", "PV.SE", "CC", "CC.SE", "RL", "RL.SE"}
    jpn = _value(gov, "JPN", 2022, "PV")
    assert jpn["value"] == pytest.approx(1.0326371192932129, abs=0)
    assert jpn["source_row"] == 2
    assert _value(gov, "JPN", 2022, "PV.SE")["value"] == pytest.approx(0.22655704617500305)
    assert _value(gov, "KOR", 2022, "PV")["value"] == pytest.approx(0.6078307628631592)
    assert _value(gov, "COD", 2022, "PV")["value"] == pytest.approx(-2.2074100971221924)
    assert _value(gov, "ANT", 2002, "RL")["value"] == pytest.approx(0.83)
    missing = _value(gov, "ASM", 2022, "PV")
    assert pd.isna(missing["value"]) and missing["flag"] == ".."
    assert gov["source_country_code"].isna().all()  # this layout has no code column


def test_official_layout_with_code_columns(tmp_path: Path) -> None:
    rows = _rows()
    rows[1][0] = "Japan (as renamed)"  # unknown name: the code column resolves it
    path = build_xlsx(tmp_path / "wgidataset.xlsx", rows, with_codes=True, sheet="wgidataset")
    gov = wgi.parse(path).tables["governance"]
    jpn = _value(gov, "JPN", 2022, "PV")
    assert jpn["source_country_code"] == "JPN"
    assert jpn["value"] == pytest.approx(1.0326371192932129)


def test_excel_error_text_is_a_flag(tmp_path: Path) -> None:
    rows = _rows()
    rows[2][3] = "#N/A"
    gov = wgi.parse(build_xlsx(tmp_path / "w.xlsx", rows)).tables["governance"]
    cc = _value(gov, "JPN", 2022, "CC")
    assert pd.isna(cc["value"]) and cc["flag"] == "#N/A"


def test_bad_header_names_file_and_expected_header(tmp_path: Path) -> None:
    wide = [["Country/Territory", "Code", "1996", "1998"], ["Japan", "JPN", 1.1, 1.2]]
    path = build_xlsx(tmp_path / "wgi_wide.xlsx", wide)
    with pytest.raises(InputError, match="countryname, year, indicator, estimate") as err:
        wgi.parse(path)
    assert err.value.path == path
    assert "wgi_wide.xlsx" in str(err.value)


def test_unknown_country_names_row_column_and_suggestion(tmp_path: Path) -> None:
    rows = _rows()
    rows[3][0] = "Japn"
    with pytest.raises(InputError, match="Japn") as err:
        wgi.parse(build_xlsx(tmp_path / "w.xlsx", rows))
    assert err.value.row == 4
    assert err.value.column == "countryname"
    assert "Sheet1" in str(err.value)
    assert err.value.hint is not None and "'Japan'" in err.value.hint


@pytest.mark.parametrize(
    ("col", "text", "column"),
    [(3, "1,03", "estimate"), (3, "1.0.3", "estimate"), (4, -0.2, "stddev"), (1, "2022a", "year")],
)
def test_bad_numbers_raise_with_row(tmp_path: Path, col: int, text: Any, column: str) -> None:
    rows = _rows()
    rows[5][col] = text
    with pytest.raises(InputError) as err:
        wgi.parse(build_xlsx(tmp_path / "w.xlsx", rows))
    assert err.value.row == 6
    assert err.value.column == column


def test_unknown_indicator_and_duplicates(tmp_path: Path) -> None:
    rows = _rows()
    rows[2][2] = "xx"
    with pytest.raises(InputError, match="unknown indicator") as err:
        wgi.parse(build_xlsx(tmp_path / "a.xlsx", rows))
    assert err.value.row == 3
    rows = _rows()
    rows.append(["Japan", 2022, "pv", 1.0, 0.2, 9, 1, 1, 1])
    with pytest.raises(InputError, match="both give PV 2022") as err:
        wgi.parse(build_xlsx(tmp_path / "b.xlsx", rows))
    assert err.value.row == len(rows)


def test_bad_file_leaves_store_unchanged(tmp_store: Store, good: Path, tmp_path: Path) -> None:
    wgi.parse(good).write(tmp_store)
    before_counts = tmp_store.counts()
    before = tmp_store.table("governance")
    rows = _rows()
    rows[-1][3] = "1.2.3"
    bad = build_xlsx(tmp_path / "bad.xlsx", rows)
    with pytest.raises(InputError):
        wgi.parse(bad, source_id="wgi2024").write(tmp_store)
    assert tmp_store.counts() == before_counts
    pd.testing.assert_frame_equal(tmp_store.table("governance"), before)


def test_import_and_reimport_is_a_noop(tmp_store: Store, good: Path) -> None:
    first = wgi.parse(good).write(tmp_store)
    assert first.rows == {"governance": 16}
    assert not first.skipped
    again = wgi.parse(good).write(tmp_store)
    assert again.skipped
    assert tmp_store.counts()["governance"] == 16
    status = tmp_store.status()
    assert status.loc[0, "source"] == "wgi2024"
    assert "CC BY 4.0" in status.loc[0, "licence"]


@pytest.mark.integration
def test_real_wgi_2024_update(tmp_store: Store) -> None:
    path = shared_data("wgi", "wgidataset_2024update_as_found.xlsx")
    # oracle: the cell as openpyxl reads it from the publisher's workbook
    wb = openpyxl.load_workbook(path, read_only=True)
    published = None
    n_rows = 0
    for row in wb.worksheets[0].iter_rows(min_row=2, values_only=True):
        n_rows += 1
        if row[0] == "Japan" and row[1] == 2022 and row[2] == "pv":
            published = row[3]
    wb.close()
    assert isinstance(published, float)

    parsed = wgi.parse(path)
    assert parsed.source == "wgi2024"
    gov = parsed.tables["governance"]
    assert len(gov) == 2 * n_rows
    assert _value(gov, "JPN", 2022, "PV")["value"] == published
    assert gov["country"].nunique() == 214
    assert set(gov["indicator"]) == {
        f"{i}{s}" for i in ("VA", "PV", "GE", "RQ", "RL", "CC") for s in ("", ".SE")
    }
    assert (gov.loc[gov["value"].isna(), "flag"] == "..").all()
    result = parsed.write(tmp_store)
    assert result.rows["governance"] == len(gov)
    assert parsed.write(tmp_store).skipped
