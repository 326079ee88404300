"""The registry columns added for the portfolio plan: ramp-up, permitting, offtake, ownership.

Also the Excel (.xlsx) import, which goes through the same checks as a CSV.
"""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from minsec.errors import InputError
from minsec.sources import projects
from minsec.store import Store

HEADER = [
    "project_id",
    "name",
    "country",
    "commodity",
    "stage",
    "construction_years",
    "ramp_up",
    "permit_expected_months",
    "permit_pessimistic_months",
    "offtake",
    "owner_country",
    "control",
]
GOOD = [
    "P1",
    "Mine one",
    "Australia",
    "lithium",
    "mine",
    "3",
    "0.4; 0.7;1",
    "18",
    "36",
    "USA:0.5;Japan:0.25",
    "JP",
    "JV with a Japanese trader",
]


def _write(tmp_path: Path, rows: list[list[str]]) -> Path:
    path = tmp_path / "p.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    return path


def test_new_columns_are_parsed_to_canonical_form(tmp_path: Path) -> None:
    frame = projects.read(_write(tmp_path, [GOOD]))
    row = frame.iloc[0]
    assert row["construction_years"] == 3
    assert row["ramp_up"] == "0.4;0.7;1"
    assert (row["permit_expected_months"], row["permit_pessimistic_months"]) == (18.0, 36.0)
    assert row["offtake"] == "USA:0.5;JPN:0.25"
    assert row["owner_country"] == "JPN"
    assert row["control"] == "JV with a Japanese trader"


def test_new_columns_round_trip_through_the_store(tmp_store: Store, tmp_path: Path) -> None:
    projects.parse(_write(tmp_path, [GOOD])).write(tmp_store)
    row = tmp_store.table("projects").iloc[0]
    assert row["offtake"] == "USA:0.5;JPN:0.25" and row["construction_years"] == 3


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("ramp_up", "0.4;1.2", r"ramp-up shares must be numbers in \[0, 1\]"),
        ("ramp_up", "fast", "could not convert"),
        ("permit_expected_months", "-3", "cannot be negative"),
        ("permit_pessimistic_months", "12", "below permit_expected_months 18"),
        ("construction_years", "-1", "cannot be negative"),
        ("construction_years", "2.5", "whole number"),
        ("offtake", "USA:0.7;JPN:0.5", "sum to 1.2 > 1"),
        ("offtake", "USA=0.5", "must be COUNTRY:SHARE"),
        ("offtake", "Atlantis:0.5", "unknown importer 'Atlantis'"),
        ("offtake", "USA:1.5", r"must be in \[0, 1\]"),
        ("owner_country", "Narnia", "unknown owner_country 'Narnia'"),
    ],
)
def test_bad_values_name_row_and_column(
    tmp_path: Path, column: str, value: str, message: str
) -> None:
    row = list(GOOD)
    row[HEADER.index(column)] = value
    with pytest.raises(InputError, match=message) as info:
        projects.read(_write(tmp_path, [["P0", *GOOD[1:]], row]))
    assert info.value.row == 3
    assert info.value.column == column


def test_duplicate_id_check_still_applies(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="already used in row 2"):
        projects.read(_write(tmp_path, [GOOD, GOOD]))


def test_xlsx_is_read_like_csv(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([*HEADER, "capacity_tpy", "start_year"])
    numbers = [3, "0.4;0.7;1", 18, 36, "USA:0.5", "AUS", "private", 40000.0, 2029]
    sheet.append([*GOOD[:5], *numbers])
    path = tmp_path / "list.xlsx"
    book.save(path)
    frame = projects.read(path)
    row = frame.iloc[0]
    assert row["country"] == "AUS" and row["capacity_tpy"] == 40000.0
    assert row["start_year"] == 2029 and row["construction_years"] == 3
    assert row["offtake"] == "USA:0.5"
    parsed = projects.parse(path)
    assert parsed.source == "projects-list"


def test_xlsx_errors_name_the_row(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["project_id", "name", "country", "commodity", "stage", "capacity_tpy"])
    sheet.append(["A", "a", "USA", "lithium", "mine", 10])
    sheet.append(["B", "b", "USA", "lithium", "mine", "ten"])
    path = tmp_path / "bad.xlsx"
    book.save(path)
    with pytest.raises(InputError, match="expected a number") as info:
        projects.read(path)
    assert (info.value.row, info.value.column) == (3, "capacity_tpy")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="cannot read the Excel file"):
        projects.read(broken)
