from __future__ import annotations

import shutil
import tracemalloc
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from minsec.catalog import countries
from minsec.errors import InputError
from minsec.sources import baci
from minsec.store import Store
from tests.conftest import shared_data

FIXTURES = Path(__file__).parent / "fixtures" / "baci"
GOOD = FIXTURES / "BACI_HS17_Y2022_V202501.csv"
CODES = FIXTURES / "country_codes_V202501.csv"
HEADER = "t,i,j,k,v,q\n"


def _release(tmp_path: Path, *names: str) -> Path:
    """A folder as CEPII ships it: data files plus the country-code table."""
    folder = tmp_path / "BACI_HS17_V202501"
    folder.mkdir()
    shutil.copy(CODES, folder / CODES.name)
    for name in names:
        shutil.copy(GOOD, folder / name)
    return folder


def _bad(tmp_path: Path, line: str, *, at: int = 4, name: str = GOOD.name) -> Path:
    """The good fixture with its data line ``at`` (file row, header = 1) replaced."""
    lines = GOOD.read_text().splitlines()
    lines[at - 1] = line
    path = tmp_path / "bad" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    shutil.copy(CODES, path.parent / CODES.name)
    return path


def _flow(frame: pd.DataFrame, exporter: str, importer: str, hs6: str) -> pd.Series:
    hit = frame[
        (frame["exporter"] == exporter) & (frame["importer"] == importer) & (frame["hs6"] == hs6)
    ]
    assert len(hit) == 1, hit
    return hit.iloc[0]


def test_values_are_parsed_and_streamed(tmp_store: Store) -> None:
    parsed = baci.parse(GOOD)
    assert parsed.source == "baci-hs17-v202501-2022"
    assert parsed.version == "BACI HS17 V202501"
    assert parsed.tables == {} and parsed.writer is not None  # nothing held in memory
    result = parsed.write(tmp_store)
    assert result.rows == {"trade": 8}
    trade = tmp_store.table("trade")
    assert set(trade["hs_revision"]) == {"HS17"} and set(trade["year"]) == {2022}
    assert set(trade["source"]) == {"baci-hs17-v202501-2022"}
    afg = _flow(trade, "AFG", "USA", "010121")  # k zero-padded to six digits
    assert afg["value_kusd"] == 12.5 and afg["quantity_t"] == 3.2
    assert _flow(trade, "COD", "CHN", "260500")["value_kusd"] == 150000.25
    assert pd.isna(_flow(trade, "COD", "CHN", "810520")["quantity_t"])  # NA
    assert pd.isna(_flow(trade, "TWN", "JPN", "811292")["quantity_t"])  # padded NA
    assert pd.isna(_flow(trade, "FRA", "IND", "850511")["quantity_t"])  # blank
    assert _flow(trade, "USA", "JPN", "280530")["quantity_t"] == 88.125


def test_folder_of_years_and_source_id(tmp_path: Path, tmp_store: Store) -> None:
    folder = _release(tmp_path, "BACI_HS17_Y2022_V202501.csv")
    lines = GOOD.read_text().replace("\n2022,", "\n2021,")
    (folder / "BACI_HS17_Y2021_V202501.csv").write_text(lines)
    parsed = baci.parse(folder)
    assert parsed.source == "baci-hs17-v202501-2021-2022"
    assert parsed.write(tmp_store).rows == {"trade": 16}
    years = tmp_store.query("SELECT year, count(*) AS n FROM trade GROUP BY year ORDER BY year")
    assert years.to_dict("list") == {"year": [2021, 2022], "n": [8, 8]}


def test_revision_and_version_from_options(tmp_path: Path) -> None:
    plain = tmp_path / "trade.csv"
    shutil.copy(GOOD, plain)
    with pytest.raises(InputError, match="hs_revision='HS17'"):
        baci.parse(plain)
    parsed = baci.parse(plain, hs_revision="hs17", version="V202501")
    assert parsed.source == "baci-hs17-v202501-trade"
    assert parsed.version == "BACI HS17 V202501"
    assert baci.parse(GOOD, hs_revision="HS12").version == "BACI HS12 V202501"
    with pytest.raises(InputError, match="unknown HS revision"):
        baci.parse(GOOD, hs_revision="HS18")


def test_mixed_releases_in_one_folder_are_refused(tmp_path: Path) -> None:
    folder = _release(tmp_path, "BACI_HS17_Y2022_V202501.csv", "BACI_HS17_Y2021_V202401.csv")
    with pytest.raises(InputError, match="mix versions"):
        baci.parse(folder)


def test_bad_header_lists_expected_and_found(tmp_path: Path) -> None:
    path = tmp_path / "BACI_HS17_Y2022_V202501.csv"
    path.write_text("year,exporter,importer,product,value,quantity\n2022,4,842,10121,1,1\n")
    with pytest.raises(InputError) as err:
        baci.parse(path)
    text = str(err.value)
    assert "expected exactly t,i,j,k,v,q" in text
    assert "year,exporter,importer,product,value,quantity" in text
    assert err.value.path == path and err.value.row == 1
    with pytest.raises(InputError, match="country-code table"):
        baci.parse(CODES, hs_revision="HS17")


def test_unknown_country_code_names_code_row_and_cepii_name(
    tmp_path: Path, tmp_store: Store
) -> None:
    path = _bad(tmp_path, "2022,899,156,260500,1.0,1.0", at=6)
    with (path.parent / CODES.name).open("a") as fh:
        fh.write("899,Atlantis,AT,ATL\n")
    with pytest.raises(InputError, match="BACI country code 899") as err:
        baci.parse(path).write(tmp_store)
    assert err.value.row == 6 and err.value.column == "i"
    assert "'Atlantis'" in str(err.value)
    assert 899 not in countries.baci_to_id()


@pytest.mark.parametrize(
    ("line", "column", "match"),
    [
        ("2022,180,156,810520,12x,1", "v", "must be a number"),
        ("2022,180,156,810520,12,abc", "q", "must be a number, blank or NA"),
        ("2022,180,156,810520,12,-3.5", "q", "negative"),
        ("2022,180,156,810520,-12,3", "v", "negative"),
        ("2022,180,156,8105201,12,3", "k", "HS6"),
        ("2022,180,China,810520,12,3", "j", "must be a BACI country code"),
        ("2021,180,156,810520,12,3", "t", "file name says Y2022"),
        ("2022,180,156,810520,12,3,7", None, "Expected Number of Columns"),
    ],
)
def test_bad_rows_raise_with_row_and_column(
    tmp_path: Path, tmp_store: Store, line: str, column: str | None, match: str
) -> None:
    path = _bad(tmp_path, line, at=7)
    with pytest.raises(InputError, match=match) as err:
        baci.parse(path).write(tmp_store)
    assert err.value.row == 7
    assert err.value.column == column
    assert err.value.path == path


def test_bad_file_leaves_store_unchanged(tmp_path: Path, tmp_store: Store) -> None:
    baci.parse(GOOD).write(tmp_store)
    before_counts = tmp_store.counts()
    before = tmp_store.table("trade")
    bad = _bad(tmp_path, "2022,180,156,810520,12,-1", at=9)
    parsed = baci.parse(bad)
    assert parsed.source == "baci-hs17-v202501-2022"  # would replace the good import
    with pytest.raises(InputError, match="negative"):
        parsed.write(tmp_store)
    assert tmp_store.counts() == before_counts
    pd.testing.assert_frame_equal(tmp_store.table("trade"), before)
    # the store's connection is usable afterwards
    assert tmp_store.status()["source"].tolist() == ["baci-hs17-v202501-2022"]


def test_reimport_is_a_noop(tmp_store: Store) -> None:
    assert not baci.parse(GOOD).write(tmp_store).skipped
    again = baci.parse(GOOD).write(tmp_store)
    assert again.skipped and again.rows == {}
    assert tmp_store.counts()["trade"] == 8


def test_parquet_with_baci_columns(tmp_path: Path, tmp_store: Store) -> None:
    target = tmp_path / "BACI_HS17_Y2022_V202501.parquet"
    with duckdb.connect() as con:
        con.execute(
            f"COPY (SELECT * FROM read_csv('{GOOD}', all_varchar = true)) TO '{target}' "
            "(FORMAT parquet)"
        )
    parsed = baci.parse(target)
    assert parsed.source == "baci-hs17-v202501-2022"
    assert parsed.write(tmp_store).rows == {"trade": 8}
    assert _flow(tmp_store.table("trade"), "AFG", "USA", "010121")["value_kusd"] == 12.5


def test_large_file_streams_with_small_python_memory(tmp_path: Path, tmp_store: Store) -> None:
    """~200k rows: Python's peak allocation stays far below the file size."""
    codes = sorted(countries.baci_to_id())
    path = tmp_path / "BACI_HS17_Y2023_V202501.csv"
    n = 200_000
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        con.execute(
            f"""COPY (
                SELECT 2023 AS t, list_extract({codes}, (x % {len(codes)}) + 1) AS i,
                       list_extract({codes}, ((x * 7 + 3) % {len(codes)}) + 1) AS j,
                       10000 + x % 90000 AS k, round(x * 0.37 + 1, 3) AS v,
                       CASE WHEN x % 10 = 0 THEN '         NA' ELSE CAST(x % 977 AS VARCHAR) END
                       AS q
                FROM range({n}) r(x)) TO '{path}' (HEADER true)"""
        )
    size = path.stat().st_size
    assert size > 5_000_000
    tracemalloc.start()
    try:
        parsed = baci.parse(path)  # header check and SHA-256 (read in 1 MiB blocks)
        _, peak_parse = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        result = parsed.write(tmp_store)  # validation scan and INSERT, both in DuckDB
        _, peak_write = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.rows == {"trade": n}
    assert max(peak_parse, peak_write) < size / 2, (peak_parse, peak_write, size)
    assert peak_write < size / 10, f"peak Python memory {peak_write} B for a {size} B file"
    stats = tmp_store.query(
        "SELECT count(*) AS n, count(quantity_t) AS q, min(length(hs6)) AS l FROM trade"
    )
    assert stats.loc[0, "n"] == n and stats.loc[0, "q"] == n - n // 10 and stats.loc[0, "l"] == 6


@pytest.mark.integration
def test_real_baci_hs17_2024_extract(tmp_store: Store) -> None:
    path = shared_data("trade", "critical-materials-atlas", "baci_hs17_2024_critical30.parquet")
    parsed = baci.parse(path, version="202601")
    assert parsed.source == "baci-hs17-v202601-2024-critical30"
    result = parsed.write(tmp_store)
    with duckdb.connect() as con:  # oracle: the extract read directly
        raw = con.execute(f"SELECT * FROM read_parquet('{path}')").df()
    assert result.rows == {"trade": len(raw)}
    trade = tmp_store.table("trade")
    assert set(trade["hs_revision"]) == {"HS17"} and set(trade["year"]) == {2024}
    assert trade["value_kusd"].sum() == pytest.approx(raw["value_kusd"].sum())
    assert trade["quantity_t"].isna().sum() == raw["qty_t"].isna().sum()
    assert (trade["exporter"] == "TWN").sum() == (raw["exporter"] == "S19").sum() > 0
    first = raw.iloc[0]
    row = _flow(trade, first["exporter"], first["importer"], first["hs6"])
    assert row["value_kusd"] == first["value_kusd"]
    assert parsed.write(tmp_store).skipped


@pytest.mark.integration
def test_cepii_country_code_table_matches_catalog() -> None:
    path = shared_data("trade", "critical-materials-atlas", "baci_country_codes_V202601.csv")
    names = baci.country_names(path.parent)
    assert names[490] == "Other Asia, nes"
    assert set(names) <= set(countries.baci_to_id())
