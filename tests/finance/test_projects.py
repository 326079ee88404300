"""The Busch lithium loader, the registry helpers and the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from minsec.errors import DataMissingError, InputError
from minsec.finance import projects
from minsec.sources import REGISTRY, lithium_busch
from minsec.store import Store
from tests.cli_helpers import run_cli
from tests.conftest import shared_data

FIXTURE = Path(__file__).parent / "fixtures" / "Deposit.csv"


def test_busch_fixture_maps_fields() -> None:
    f = lithium_busch.read(FIXTURE)
    assert f["project_id"].tolist() == [
        "li-busch-001",
        "li-busch-002",
        "li-busch-003",
        "li-busch-011",
    ]
    first = f.iloc[0]
    assert (first["country"], first["commodity"], first["stage"]) == ("CHL", "lithium", "mine")
    assert first["status"] == "operating"
    # capacity = prod_rate2030 (kt Li) × 1000, not max_prod_rate (324 kt Li, 3 % of the
    # resource a year); capex = cost_opening + cost_expansion × capacity
    assert first["capacity_tpy"] == pytest.approx(39451.4371594965)
    assert first["capex_musd"] == pytest.approx(56955.8377136237 * 39451.4371594965 / 1e6)
    assert first["opex_usd_per_t"] == pytest.approx(21238.77)
    assert first["ramp_up"] == "0.25;0.5;0.75;1"
    assert "tax_rate=0.27" in first["notes"] and "ramp_up_years=4" in first["notes"]
    assert "max_prod_rate_kt_li=324" in first["notes"]
    assert f.iloc[3]["country"] == "COD"
    assert pd.isna(f.iloc[2]["status"])
    # no projected production: capacity and capex unknown (not the resource ceiling)
    assert pd.isna(f.iloc[1]["capacity_tpy"]) and pd.isna(f.iloc[1]["capex_musd"])
    assert pd.isna(f.iloc[2]["capacity_tpy"]) and pd.isna(f.iloc[2]["capex_musd"])
    assert "cost_opening_musd=199.702" in f.iloc[2]["notes"]
    for col in ("permit_expected_months", "offtake", "owner_country", "control"):
        assert f[col].isna().all()
    assert REGISTRY["lithium-projects"].module == "minsec.sources.lithium_busch"


def test_busch_errors_name_row_and_column(tmp_path: Path) -> None:
    text = FIXTURE.read_text().splitlines()
    bad = tmp_path / "Deposit.csv"
    bad.write_text("\n".join([text[0], text[1].replace('"Chile"', '"Atlantis"'), *text[2:]]))
    with pytest.raises(InputError, match=r"row 2.*Country.*Atlantis"):
        lithium_busch.read(bad)
    cut = tmp_path / "cut.csv"
    cut.write_text(text[0].replace(',"max_prod_rate"', "") + "\n")
    with pytest.raises(InputError, match="max_prod_rate"):
        lithium_busch.read(cut)


def test_assumptions_from_defaults_and_notes(tmp_store: Store) -> None:
    lithium_busch.parse(FIXTURE).write(tmp_store)
    row = projects.get_project(tmp_store, "li-busch-003")
    a = projects.assumptions(row)
    assert a["tax_rate"] == pytest.approx(0.25)
    assert a["ramp_up"] == [0.25, 0.5, 0.75, 1.0]
    assert a["construction_years"] == 3 and a["price_usd_per_t"] == 69000.0
    with pytest.raises(InputError, match="capacity_tpy"):
        projects.inputs_for(row, price_usd_per_t=50_000.0)
    inp = projects.inputs_for(projects.get_project(tmp_store, "li-busch-001"), price_usd_per_t=5e4)
    assert inp.capex_usd == pytest.approx(56955.8377136237 * 39451.4371594965)
    assert inp.ramp_up == (0.25, 0.5, 0.75, 1.0)
    assert projects.permitting(row)["permit_pessimistic_months"] == 84.0
    # the row's own columns win over notes and defaults
    row2 = {**row, "ramp_up": "0.5;1", "construction_years": 4, "permit_expected_months": 90.0}
    a2 = projects.assumptions(row2)
    assert a2["ramp_up"] == [0.5, 1.0] and a2["construction_years"] == 4
    assert a2["permit_expected_months"] == 90.0
    assert a2["permit_pessimistic_months"] == 90.0  # never below the expected duration
    with pytest.raises(InputError, match="ramp_up"):
        projects.assumptions({**row, "ramp_up": "0.5;2"})
    with pytest.raises(InputError, match="li-busch-001"):
        projects.get_project(tmp_store, "li-busch-01")
    assert len(projects.list_projects(tmp_store, commodity="lithium")) == 4


def test_empty_store_says_how_to_import(tmp_store: Store) -> None:
    with pytest.raises(DataMissingError, match="projects import"):
        projects.get_project(tmp_store, "x")


def test_cli_projects_and_finance(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    store = str(tmp_path / "s.duckdb")
    folder = tmp_path / "busch"
    folder.mkdir()
    shutil.copy(FIXTURE, folder / "Deposit.csv")
    r = run_cli(
        capsys, "projects", "import", str(folder), "--kind", "lithium-projects", "--store", store
    )
    assert r.code == 0, r.err
    r = run_cli(capsys, "projects", "list", "--store", store, "--format", "json")
    assert len(json.loads(r.out)) == 4
    r = run_cli(capsys, "projects", "show", "li-busch-001", "--store", store, "--format", "csv")
    assert "assumed.tax_rate" in r.out
    r = run_cli(
        capsys,
        "finance",
        "li-busch-001",
        "--instrument",
        "loan:rate=0.03,tenor=12,grace=2",
        "--price",
        "40000",
        "--store",
        store,
        "--format",
        "json",
    )
    assert r.code == 0, r.err
    s = json.loads(r.out)["data"][0]
    assert s["public_cost_usd"] > 0 and isinstance(s["bankable"], bool)
    r = run_cli(
        capsys, "finance", "li-busch-001", "--view", "cashflows", "--store", store, "-f", "csv"
    )
    assert r.out.splitlines()[0].startswith("t,year,capex_usd")
    r = run_cli(
        capsys, "finance", "li-busch-001", "--view", "vehicle", "--store", store, "-f", "json"
    )
    assert {d["party"] for d in json.loads(r.out)["data"]} == {"Japan", "US"}
    r = run_cli(capsys, "finance", "li-busch-001", "-I", "loan:tenor=x", "--store", store)
    assert r.code == 2 and "tenor" in r.err
    r = run_cli(capsys, "finance", "nope", "--store", store)
    assert r.code == 2 and "no project 'nope'" in r.err


@pytest.mark.integration
def test_busch_real_file_loads(tmp_store: Store) -> None:
    path = shared_data("projects_lithium_busch")
    parsed = lithium_busch.parse(path)
    frame = parsed.tables["projects"]
    assert len(frame) == 160
    assert frame["project_id"].is_unique
    assert set(frame["status"].dropna()) == {"operating", "construction", "evaluation"}
    # capacity only where Busch projects 2030 production (producing/construction)
    has_cap = frame["capacity_tpy"].notna()
    assert has_cap.sum() == 37 and frame.loc[has_cap, "capacity_tpy"].gt(0).all()
    assert set(frame.loc[has_cap, "status"]) <= {"operating", "construction"}
    assert frame.loc[has_cap, "capex_musd"].notna().all()
    assert frame.loc[~has_cap, "capex_musd"].isna().all()
    # the resource ceiling overstates: Busch's 2030 rates are far below max_prod_rate
    thacker = frame.set_index("project_id").loc["li-busch-009"]
    assert thacker["capacity_tpy"] == pytest.approx(14277.66, rel=1e-5)
    assert "max_prod_rate_kt_li=107.651" in thacker["notes"]
    result = parsed.write(tmp_store)
    assert result.rows["projects"] == 160
    # every project with capex runs through the model
    for pid in frame.loc[frame["capex_musd"] > 0, "project_id"].head(20):
        inp = projects.inputs_for(projects.get_project(tmp_store, pid))
        from minsec.finance.instruments import evaluate

        s = evaluate(inp).summary()
        assert isinstance(s["sponsor_npv_usd"], float)
