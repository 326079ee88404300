"""`minsec data import|status|export` as a user runs them: one message, exit 2, nothing lost."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from minsec.store import Store
from tests.cli_helpers import run_cli

FIXTURES = Path(__file__).parent / "sources" / "fixtures"


def _status(capsys: pytest.CaptureFixture[str], store: Path) -> list[dict[str, object]]:
    res = run_cli(capsys, "data", "status", "--format", "json", "--store", str(store))
    assert res.code == 0, res.err
    data: list[dict[str, object]] = json.loads(res.out)["data"]
    return data


def test_import_then_reimport_is_a_no_op(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.duckdb"
    src = FIXTURES / "projects" / "projects.csv"
    first = run_cli(capsys, "data", "import", "projects", str(src), "--store", str(store))
    assert first.code == 0, first.err
    assert "imported projects-projects" in first.err
    again = run_cli(capsys, "data", "import", "projects", str(src), "--store", str(store))
    assert again.code == 0 and "already imported" in again.err
    (row,) = _status(capsys, store)
    assert row["source"] == "projects-projects" and len(str(row["sha256"])) == 64


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("Australia", "Austrlia", 1), r"row 2.*'country'.*Austrlia.*Australia"),
        (lambda t: t.replace(",10500,", ",-10500,", 1), r"row 2.*capacity_tpy"),
        (lambda t: t.replace(",10500,", ",lots,", 1), r"row 2.*capacity_tpy"),
        (lambda t: t.replace("project_id,", "projectid,", 1), r"projectid"),
    ],
    ids=["unknown-country", "negative", "non-numeric", "wrong-header"],
)
def test_bad_file_gives_one_message_exit_2_and_keeps_the_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: object, message: str
) -> None:
    store = tmp_path / "s.duckdb"
    good = FIXTURES / "projects" / "projects.csv"
    assert run_cli(capsys, "data", "import", "projects", str(good), "--store", str(store)).code == 0
    with Store(store, read_only=True) as st:
        counts, table = st.counts(), st.table("projects")
    bad = tmp_path / "projects.csv"  # same source id as the good file: a replacement attempt
    bad.write_text(edit(good.read_text("utf-8")), encoding="utf-8")  # type: ignore[operator]
    res = run_cli(capsys, "data", "import", "projects", str(bad), "--store", str(store))
    assert res.code == 2
    assert "error:" in res.err and str(bad.name) in res.err
    assert re.search(message, " ".join(res.err.split())), res.err
    with Store(store, read_only=True) as st:
        assert st.counts() == counts
        pd.testing.assert_frame_equal(st.table("projects"), table)


def test_unknown_parser_option_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "BACI_HS17_Y2022_V202501.csv"
    shutil.copy(FIXTURES / "baci" / "BACI_HS17_Y2022_V202501.csv", src)
    res = run_cli(
        capsys,
        "data",
        "import",
        "baci",
        str(src),
        "--option",
        "colour=red",
        "--store",
        str(tmp_path / "s.duckdb"),
    )
    assert res.code == 2 and "no option(s) ['colour']" in res.err and "hs_revision" in res.err


def test_export_formats(
    default_store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "p.parquet"
    res = run_cli(
        capsys,
        "data",
        "export",
        "production",
        "-w",
        "commodity=lithium",
        "--format",
        "parquet",
        "--output",
        str(out),
        "--store",
        str(default_store_path),
    )
    assert res.code == 0, res.err
    frame = pd.read_parquet(out)
    assert set(frame["commodity"]) == {"lithium"} and len(frame) > 50
    bad = run_cli(
        capsys,
        "data",
        "export",
        "production",
        "-w",
        "colour=red",
        "--store",
        str(default_store_path),
    )
    assert bad.code == 2 and "COLUMN=VALUE" in bad.err
