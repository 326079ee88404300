"""`minsec assess …` as a user runs it (issue examples), on the default data."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.cli_helpers import run_cli

pytestmark = pytest.mark.default_data


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_supply_csv_has_the_issue_columns(
    default_store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    res = run_cli(
        capsys,
        "assess",
        "supply",
        "--stage",
        "mine",
        "--year",
        "2022",
        "--format",
        "csv",
        "--store",
        str(default_store_path),
    )
    assert res.code == 0, res.err
    rows = _csv(res.out)
    need = {
        "commodity",
        "stage",
        "year",
        "source",
        "hhi",
        "top1_country",
        "top1_share",
        "top3_share",
        "wgi_weighted_hhi",
        "n_producers",
    }
    assert need <= set(rows[0])
    cobalt = next(r for r in rows if r["commodity"] == "cobalt")
    assert cobalt["top1_country"] == "COD" and float(cobalt["hhi"]) == pytest.approx(
        4928.97, abs=0.01
    )


def test_supply_by_country(default_store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(
        capsys,
        "assess",
        "supply",
        "--commodity",
        "cobalt",
        "--year",
        "2022",
        "--by-country",
        "--format",
        "csv",
        "--store",
        str(default_store_path),
    )
    rows = _csv(res.out)
    assert rows[0]["country"] == "COD" and rows[0]["rank"] == "1"
    assert sum(float(r["share"]) for r in rows) == pytest.approx(1.0)


def test_exposure_issue_example(
    default_store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    res = run_cli(
        capsys,
        "assess",
        "exposure",
        "--importer",
        "JPN,EU27",
        "--year",
        "2018-2024",
        "--format",
        "csv",
        "--store",
        str(default_store_path),
    )
    assert res.code == 0, res.err
    rows = _csv(res.out)
    need = {
        "material",
        "importer",
        "year",
        "import_reliance",
        "import_hhi",
        "top_supplier",
        "top_supplier_share",
        "geopolrisk_score",
        "geopolrisk_score_corrected",
        "geopolrisk_material",
    }
    assert need <= set(rows[0])
    assert {r["importer"] for r in rows} == {"JPN", "EU27"}
    assert {int(r["year"]) for r in rows} == set(range(2018, 2025))


def test_rank_json_has_drivers(
    default_store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    res = run_cli(
        capsys,
        "assess",
        "rank",
        "--importer",
        "USA,JPN,like-minded",
        "--year",
        "2024",
        "--top",
        "5",
        "--format",
        "json",
        "--store",
        str(default_store_path),
    )
    assert res.code == 0, res.err
    payload = json.loads(res.out)
    assert payload["meta"]["weights"]["import_reliance"] == 1.0
    rows = payload["data"]
    assert len(rows) == 15 and all(r["drivers"] for r in rows)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["exposure", "--importer", "Japn"], "did you mean 'Japan'"),
        (["exposure", "--year", "20x8"], "--year"),
        (["supply", "--commodity", "coballt"], "did you mean"),
        (["rank", "-w", "import_reliance"], "NAME=NUMBER"),
    ],
)
def test_bad_arguments_exit_2_with_a_hint(
    default_store_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    res = run_cli(capsys, "assess", *args, "--store", str(default_store_path))
    assert res.code == 2 and message in res.err
