from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest

from minsec.errors import InputError
from minsec.sources import projects
from minsec.store import Store

FIXTURES = Path(__file__).parent / "fixtures" / "projects"
GOOD = FIXTURES / "projects.csv"
MINIMAL = FIXTURES / "minimal.csv"
DOC = Path(__file__).resolve().parents[2] / "docs" / "projects-csv.md"


def _rows(path: Path = GOOD) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _write(tmp_path: Path, rows: list[list[str]], name: str = "bad.csv") -> Path:
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_values_are_parsed() -> None:
    parsed = projects.parse(GOOD)
    assert parsed.source == "projects-projects"
    assert parsed.kind == "projects-csv"
    p = parsed.tables["projects"].set_index("project_id")
    assert list(p.columns) == [c for c in projects.COLUMNS if c != "project_id"]
    assert p.loc["JP-REE-01", "country"] == "AUS"
    assert p.loc["JP-REE-01", "commodity"] == "rare_earths"
    assert p.loc["JP-REE-01", "capacity_tpy"] == 10500.0
    assert p.loc["JP-REE-01", "capex_musd"] == 500.0
    assert p.loc["JP-REE-01", "start_year"] == 2024
    assert p.loc["JP-REE-01", "latitude"] == pytest.approx(-30.7489)
    assert p.loc["JP-REE-01", "notes"] == "REE carbonate, feeds Malaysia"
    assert p.loc["US-LI-02", "country"] == "USA"
    assert p.loc["KR-NI-03", "country"] == "KOR"  # alias "Korea, South"
    assert pd.isna(p.loc["KR-NI-03", "capacity_tpy"]) and pd.isna(p.loc["KR-NI-03", "sponsor"])
    assert p.loc["CD-CO-04", "country"] == "COD"  # by id
    assert p.loc["CD-CO-04", "capex_musd"] == 320.5
    assert p.loc["CD-CO-04", "status"] == "Construction"  # as given


def test_only_required_columns() -> None:
    parsed = projects.parse(MINIMAL)
    assert parsed.source == "projects-minimal"
    p = parsed.tables["projects"]
    assert p["commodity"].tolist() == ["gallium", "graphite"]
    assert p["stage"].tolist() == ["refinery", "anode"]
    assert p["capex_musd"].isna().all()


def test_unknown_column_suggests_the_right_one(tmp_path: Path) -> None:
    rows = _rows()
    rows[0][7] = "capex_usd"
    path = _write(tmp_path, rows)
    with pytest.raises(InputError, match="unknown column 'capex_usd'") as err:
        projects.parse(path)
    assert err.value.path == path and err.value.row == 1 and err.value.column == "capex_usd"
    assert err.value.hint is not None and "'capex_musd'" in err.value.hint


def test_missing_required_column_names_the_header(tmp_path: Path) -> None:
    rows = [r[:2] + r[3:] for r in _rows()]  # no country
    path = _write(tmp_path, rows)
    with pytest.raises(InputError, match=r"missing required column\(s\) \['country'\]") as err:
        projects.parse(path)
    assert err.value.row == 1 and "bad.csv" in str(err.value)


def test_semicolon_separated_file_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_text("project_id;name;country;commodity;stage\nP1;X;Japan;gallium;refinery\n")
    with pytest.raises(InputError, match="commas as separators"):
        projects.parse(path)


@pytest.mark.parametrize(
    ("col", "text", "match", "hint"),
    [
        ("country", "Austrlia", "unknown country 'Austrlia'", "'australia'"),
        ("commodity", "lithum", "unknown commodity 'lithum'", "'lithium'"),
    ],
)
def test_unknown_names_give_row_column_and_suggestion(
    tmp_path: Path, col: str, text: str, match: str, hint: str
) -> None:
    rows = _rows()
    rows[2][rows[0].index(col)] = text
    with pytest.raises(InputError, match=match) as err:
        projects.parse(_write(tmp_path, rows))
    assert err.value.row == 3 and err.value.column == col
    assert err.value.hint is not None and hint in err.value.hint.lower()


@pytest.mark.parametrize(
    ("col", "text", "match"),
    [
        ("capacity_tpy", "40,000", "expected a number"),
        ("capex_musd", "about 3bn", "expected a number"),
        ("capacity_tpy", "-5", "cannot be negative"),
        ("capex_musd", "-1", "cannot be negative"),
        ("opex_usd_per_t", "-0.5", "cannot be negative"),
        ("start_year", "2028.5", "whole number"),
        ("start_year", "28", "between 1900 and 2100"),
        ("latitude", "91", "outside"),
        ("longitude", "", "both be given"),
        ("name", "", "required"),
        ("capex_musd", "nan", "finite"),
    ],
)
def test_bad_values_raise_with_row_and_column(
    tmp_path: Path, col: str, text: str, match: str
) -> None:
    rows = _rows()
    rows[2][rows[0].index(col)] = text
    with pytest.raises(InputError, match=match) as err:
        projects.parse(_write(tmp_path, rows))
    assert err.value.row == 3
    assert err.value.column == col


def test_duplicate_ids_name_both_rows(tmp_path: Path) -> None:
    rows = _rows()
    rows[4][0] = rows[1][0]
    with pytest.raises(InputError, match="already used in row 2") as err:
        projects.parse(_write(tmp_path, rows))
    assert err.value.row == 5 and err.value.column == "project_id"


def test_extra_cells_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "extra.csv"
    path.write_text(MINIMAL.read_text() + "P3,Nickel,Indonesia,nickel,refinery,oops\n")
    with pytest.raises(InputError, match="6 cells") as err:
        projects.parse(path)
    assert err.value.row == 4


def test_bad_file_leaves_store_unchanged(tmp_path: Path, tmp_store: Store) -> None:
    projects.parse(GOOD).write(tmp_store)
    before_counts = tmp_store.counts()
    before = tmp_store.table("projects")
    rows = _rows()
    rows[-1][rows[0].index("capacity_tpy")] = "-12000"
    bad = _write(tmp_path, rows, name="projects.csv")  # same default source id
    with pytest.raises(InputError):
        projects.parse(bad).write(tmp_store)
    assert tmp_store.counts() == before_counts
    pd.testing.assert_frame_equal(tmp_store.table("projects"), before)


def test_import_and_reimport_is_a_noop(tmp_store: Store) -> None:
    first = projects.parse(GOOD).write(tmp_store)
    assert first.rows == {"projects": 4} and not first.skipped
    assert projects.parse(GOOD).write(tmp_store).skipped
    stored = tmp_store.query("SELECT * FROM projects WHERE project_id = 'US-LI-02'")
    assert stored.loc[0, "start_year"] == 2028 and stored.loc[0, "source"] == "projects-projects"


def test_utf8_bom_from_excel(tmp_path: Path) -> None:
    path = tmp_path / "My Projects (2025).csv"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.read_bytes())
    parsed = projects.parse(path)
    assert parsed.source == "projects-my-projects-2025"
    assert len(parsed.tables["projects"]) == 2


def test_doc_lists_every_column_and_its_example_parses(tmp_path: Path) -> None:
    text = DOC.read_text("utf-8")
    for col in projects.COLUMNS:
        assert f"`{col}`" in text, col
    example = re.search(r"```csv\n(.*?)```", text, re.S)
    assert example is not None
    path = tmp_path / "example.csv"
    path.write_text(example.group(1))
    assert len(projects.parse(path).tables["projects"]) >= 3
