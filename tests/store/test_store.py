from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from minsec.errors import InputError, MinsecError
from minsec.store import Store, schema


def _gov(n: int = 3, value: float = 0.5) -> pd.DataFrame:
    return pd.DataFrame(
        {"country": ["USA", "JPN", "CHN"][:n], "year": 2020, "indicator": "PV", "value": value}
    )


def _snapshot(store: Store) -> dict[str, object]:
    return {
        "counts": store.counts(),
        "prov": store.status().to_dict("records"),
        "gov": store.query("SELECT * FROM governance ORDER BY ALL").to_dict("records"),
    }


def test_schema_creates_every_table(tmp_store: Store) -> None:
    assert set(tmp_store.counts()) == set(schema.tables())
    cols = tmp_store.query("DESCRIBE production")["column_name"].tolist()
    assert cols == [c.name for c in schema.tables()["production"]]


def test_import_records_provenance_and_rows(tmp_store: Store) -> None:
    result = tmp_store.write_source(
        source="s1", kind="test", sha256="abc", tables={"governance": _gov()}, version="v1"
    )
    assert result.rows == {"governance": 3} and not result.skipped
    status = tmp_store.status()
    assert status.loc[0, "source"] == "s1" and status.loc[0, "rows"] == 3
    assert status.loc[0, "tables"] == "governance=3"


def test_same_checksum_is_a_no_op(tmp_store: Store) -> None:
    tmp_store.write_source(source="s1", kind="t", sha256="abc", tables={"governance": _gov()})
    before = _snapshot(tmp_store)
    again = tmp_store.write_source(
        source="s1", kind="t", sha256="abc", tables={"governance": _gov(value=0.9)}
    )
    assert again.skipped
    assert _snapshot(tmp_store) == before


def test_new_version_of_a_source_replaces_its_rows_only(tmp_store: Store) -> None:
    tmp_store.write_source(source="s1", kind="t", sha256="a", tables={"governance": _gov()})
    tmp_store.write_source(source="s2", kind="t", sha256="b", tables={"governance": _gov(2)})
    tmp_store.write_source(source="s1", kind="t", sha256="c", tables={"governance": _gov(1, 0.9)})
    by_source = tmp_store.query("SELECT source, count(*) n FROM governance GROUP BY 1 ORDER BY 1")
    assert by_source.to_dict("records") == [{"source": "s1", "n": 1}, {"source": "s2", "n": 2}]


def test_failure_inside_import_leaves_store_unchanged(tmp_store: Store) -> None:
    tmp_store.write_source(source="s1", kind="t", sha256="a", tables={"governance": _gov()})
    before = _snapshot(tmp_store)

    def failing_writer(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
        con.execute("INSERT INTO governance VALUES ('KOR', 2020, 'PV', 1, NULL, 's1', NULL, NULL)")
        raise InputError("bad row", path="x.csv", row=7, column="v")

    with pytest.raises(InputError, match=r"x.csv, row 7, column 'v': bad row"):
        tmp_store.write_source(
            source="s1",
            kind="t",
            sha256="new",
            tables={"governance": _gov(1)},
            writer=failing_writer,
        )
    assert _snapshot(tmp_store) == before


def test_missing_required_value_is_named(tmp_store: Store) -> None:
    bad = _gov()
    bad.loc[1, "country"] = None
    with pytest.raises(InputError, match=r"column 'country' is empty in record 2"):
        tmp_store.write_source(source="s", kind="t", sha256="a", tables={"governance": bad})
    assert tmp_store.counts()["governance"] == 0


def test_unknown_column_is_rejected(tmp_store: Store) -> None:
    with pytest.raises(InputError, match="has no column"):
        tmp_store.write_source(
            source="s", kind="t", sha256="a", tables={"governance": _gov().assign(colour="red")}
        )


def test_read_only_store_that_does_not_exist_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(MinsecError, match="minsec data fetch"):
        Store(tmp_path / "none.duckdb", read_only=True)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MB tmpfs, to run out of disk for real (needs root, as on CI and dev machines)."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3M", "tmpfs", str(mnt)],
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        pytest.skip("mounting a 3 MB tmpfs to simulate a full disk needs root")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_full_disk_gives_clear_error_and_keeps_previous_data(tiny_disk: Path) -> None:
    path = tiny_disk / "s.duckdb"
    with Store(path) as st:
        st.write_source(source="a", kind="t", sha256="1", tables={"governance": _gov()})
    n = 400_000
    rng = np.random.default_rng(0)
    big = pd.DataFrame(
        {
            "country": rng.choice(["USA", "JPN"], n),
            "year": np.arange(n),
            "indicator": "PV",
            "value": rng.random(n),
        }
    )
    st = Store(path)
    with pytest.raises(MinsecError, match="No space left on device"):
        st.write_source(source="b", kind="t", sha256="2", tables={"governance": big})
    with contextlib.suppress(duckdb.Error):
        st.close()
    with Store(path, read_only=True) as again:
        assert again.counts()["governance"] == 3
        assert again.status()["source"].tolist() == ["a"]


def test_a_store_from_an_older_schema_gains_the_new_columns(tmp_path: Path) -> None:
    # a store written before `projects` had its permitting and offtake columns
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE projects (project_id VARCHAR NOT NULL, name VARCHAR NOT NULL, "
        "country VARCHAR NOT NULL, commodity VARCHAR NOT NULL, stage VARCHAR NOT NULL, "
        "source VARCHAR NOT NULL)"
    )
    con.execute("INSERT INTO projects VALUES ('p1', 'Old mine', 'AUS', 'lithium', 'mine', 'x')")
    con.close()
    with Store(path) as st:
        cols = st.query("SELECT * FROM projects")
        assert {c.name for c in schema.tables()["projects"]} == set(cols.columns)
        assert cols["name"].tolist() == ["Old mine"]  # the row is kept
        assert cols["permit_expected_months"].isna().all()
    with Store(path) as st:  # idempotent
        assert len(st.query("SELECT * FROM projects")) == 1


def test_a_missing_required_column_on_a_table_with_rows_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE projects (project_id VARCHAR NOT NULL)")
    con.execute("INSERT INTO projects VALUES ('p1')")
    con.close()
    with pytest.raises(MinsecError, match=r"predates column projects\.name"):
        Store(path)
    # nothing was changed: the old table is as it was
    con = duckdb.connect(str(path), read_only=True)
    assert [r[0] for r in con.execute("DESCRIBE projects").fetchall()] == ["project_id"]
    con.close()


def test_status_of_an_older_store_opened_read_only(tmp_path: Path) -> None:
    # a store written before a table was added to the schema, opened read-only (no
    # upgrade possible): `data status` still answers
    from minsec.store.summary import summary

    path = tmp_path / "old.duckdb"
    with Store(path) as st:
        st.write_source(
            source="demo", kind="test", sha256="abc", tables={"governance": _gov()}, version="v1"
        )
        st.con.execute('DROP TABLE "trade_quality"')
    with Store(path, read_only=True) as st:
        assert "trade_quality" not in st.existing_tables()
        table = summary(st)
    assert list(table["source"]) == ["demo"]
    assert table["rows"].iloc[0] > 0
