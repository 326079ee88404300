"""Portfolio plans end to end: YAML spec → projects, instruments, Monte Carlo need → result."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from minsec.errors import InputError
from minsec.finance import instruments as ins
from minsec.finance import plan
from minsec.finance import projects as fin_projects
from minsec.store import Store
from tests.cli_helpers import run_cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "portfolio.yaml"


# --------------------------------------------------------------------------- spec


def test_example_yaml_is_valid_and_resolves() -> None:
    spec = plan.load_spec(EXAMPLE)
    assert spec.objective == "cvar" and spec.budget_usd == 2e9
    cands, notes = plan.resolve_projects(spec, None)
    assert len(cands) == len(spec.projects)
    thacker = next(c for c in cands if c.row["project_id"] == "li-busch-009")
    assert thacker.offtake == {"USA": 0.8, "JPN": 0.0}
    centenario = next(c for c in cands if c.row["project_id"] == "li-busch-018")
    assert centenario.like_minded_share == pytest.approx(0.6)  # FRA is like-minded
    goulamina = next(c for c in cands if c.row["project_id"] == "li-busch-047")
    assert goulamina.like_minded_share == pytest.approx(0.1)  # CHN is not
    assert notes == []


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("budget_usd: -1\n", "budget_usd", "greater than or equal to 0"),
        ("budgt_usd: 5\n", "budgt_usd", "Extra inputs are not permitted"),
        ("objective: worst\n", "objective", "unknown objective 'worst'"),
        ("projects:\n  - id: a\n    capacity_tpy: -5\n", "projects.0.capacity_tpy", "greater"),
        ("projects:\n  - id: a\n    ramp_up: [0.5, 2]\n", "projects.0.ramp_up", "shares"),
        ("projects:\n  - id: a\n    offtake: {USA: 0.8, JPN: 0.5}\n", "projects.0.offtake", "sum"),
        ("runs: many\n", "runs", "valid integer"),
    ],
)
def test_bad_yaml_names_the_field(tmp_path: Path, text: str, column: str, message: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as info:
        plan.load_spec(path)
    assert info.value.column == column
    assert info.value.path == path


def test_yaml_syntax_and_shape_errors(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("name: x\nbudget_usd: [1,\n")
    with pytest.raises(InputError, match="not valid YAML") as info:
        plan.load_spec(path)
    assert info.value.row is not None
    path.write_text("- a\n- b\n")
    with pytest.raises(InputError, match="YAML mapping"):
        plan.load_spec(path)
    with pytest.raises(InputError, match="not found"):
        plan.load_spec(tmp_path / "missing.yaml")
    # overrides win, None overrides are ignored
    assert plan.load_spec({"budget_usd": 5.0}, budget_usd=7.0, runs=None).budget_usd == 7.0


def test_unknown_names_and_missing_fields_are_reported() -> None:
    spec = plan.load_spec({"projects": [{"id": "x", "name": "X", "country": "Atlantis"}]})
    with pytest.raises(InputError, match="not in the store and has no commodity"):
        plan.resolve_projects(spec, None)
    spec = plan.load_spec(
        {
            "projects": [
                {
                    "id": "x",
                    "name": "X",
                    "country": "Atlantis",
                    "commodity": "lithium",
                    "stage": "mine",
                }
            ]
        }
    )
    with pytest.raises(InputError, match="Atlantis") as info:
        plan.resolve_projects(spec, None)
    assert info.value.column == "projects.0"


# --------------------------------------------------------------------------- timing


def _spec(**kw: Any) -> plan.PlanSpec:
    return plan.load_spec({"runs": 20_000, **kw})


def test_permitting_distribution_median_and_p90() -> None:
    row = {"status": "evaluation"}
    a = {"permit_expected_months": 24.0, "permit_pessimistic_months": 60.0, "construction_years": 2}
    m = plan.first_output_months(row, a, _spec(), np.random.default_rng(1))
    permit = m - 24.0  # construction 2 years
    assert np.median(permit) == pytest.approx(24.0, rel=0.03)
    assert np.quantile(permit, 0.9) == pytest.approx(60.0, rel=0.03)
    # under construction: permitting done, half the construction left
    m = plan.first_output_months({"status": "construction"}, a, _spec(), np.random.default_rng(1))
    assert np.all(m == 12.0)
    # a start year is the expected case; slower permitting delays it
    m = plan.first_output_months({"status": "evaluation", "start_year": 2029}, a,
                                 _spec(start_year=2026), np.random.default_rng(1))  # fmt: skip
    assert m.min() == pytest.approx(36.0)
    assert np.mean(m == 36.0) == pytest.approx(0.5, abs=0.02)


def test_monthly_supply_hand_worked() -> None:
    # capacity 12 t/y, ramp 50 % then 100 %, first output after 6 months, 3 years:
    # year 0: months 6–11 at 0.5 → 12 × 6 × 0.5 / 12 = 3
    # year 1: months 12–17 at 0.5, 18–23 at 1 → 12 × (6 × 0.5 + 6) / 12 = 9
    # year 2: all at 1 → 12
    out = plan.monthly_supply(12.0, (0.5, 1.0), np.array([6.0, 28.0]), 3)
    assert out[0].tolist() == pytest.approx([3.0, 9.0, 12.0])
    assert out[1].tolist() == pytest.approx([0.0, 0.0, 12.0 * 8 * 0.5 / 12])


# --------------------------------------------------------------------------- end to end


@dataclass
class FakeRisk:
    shortfall_runs_t: np.ndarray
    summary: pd.DataFrame
    meta: dict[str, Any]


def fake_simulate(calls: list[dict[str, Any]], years: int) -> Any:
    """run_risk stand-in: USA short 100 t a year in every 4th scenario, JPN 40 t in every 2nd.

    Simulated year r is year r % years of scenario r // years (how the plan cuts them).
    """

    def run(store: Any, importers: list[str], **kw: Any) -> FakeRisk:
        calls.append({"importers": importers, **kw})
        n = kw["runs"]
        scenario = np.arange(n) // years
        out = np.zeros((n, len(importers)))
        out[scenario % 4 == 0, 0] = 100.0
        out[scenario % 2 == 0, 1] = 40.0
        kw["progress"](n, n)
        summary = pd.DataFrame({"importer": importers, "consumption_t": [1000.0, 500.0]})
        return FakeRisk(out, summary, {"year": 2024, "stage": "refined", "notes": []})

    return run


PROJECTS = [
    {"id": "fast", "name": "Fast mine", "country": "AUS", "commodity": "lithium",
     "stage": "mine", "status": "construction", "capacity_tpy": 2000.0, "capex_musd": 100.0,
     "opex_usd_per_t": 20000.0, "offtake": {"USA": 0.5, "JPN": 0.5}},
    {"id": "slow", "name": "Slow mine", "country": "USA", "commodity": "lithium",
     "stage": "mine", "status": "evaluation", "capacity_tpy": 4000.0, "capex_musd": 300.0,
     "opex_usd_per_t": 25000.0, "permit_expected_months": 12, "permit_pessimistic_months": 36,
     "offtake": {"USA": 1.0}},
    {"id": "old", "name": "Old mine", "country": "CHL", "commodity": "lithium",
     "stage": "mine", "status": "operating", "capacity_tpy": 1.0, "capex_musd": 1.0,
     "opex_usd_per_t": 1.0},
    {"id": "bare", "name": "No numbers", "country": "CAN", "commodity": "lithium",
     "stage": "mine"},
    {"id": "china", "name": "Sold to China", "country": "ARG", "commodity": "lithium",
     "stage": "mine", "status": "construction", "capacity_tpy": 500.0, "capex_musd": 50.0,
     "opex_usd_per_t": 15000.0, "offtake": {"CHN": 0.9, "JPN": 0.1}},
]  # fmt: skip


def test_run_plan_links_finance_timing_and_need() -> None:
    calls: list[dict[str, Any]] = []
    spec = plan.load_spec(
        {
            "runs": 40,
            "horizon_years": 6,
            "budget_usd": 1e9,
            "projects": PROJECTS,
            "min_offtake_share": 0.5,
            "buckets": None,
            "seed": 3,
            "minerals": {"lithium": {"demand_growth": 0.1}},
        }
    )
    r = plan.run_plan(spec, None, simulate=fake_simulate(calls, 6))
    # the ensemble: one call per mineral, runs × years simulated years, both partners
    assert len(calls) == 1 and calls[0]["runs"] == 240 and calls[0]["importers"] == ["USA", "JPN"]
    assert calls[0]["keep_runs"] is True
    notes = " ".join(r.meta["notes"])
    assert "old: already operating" in notes and "bare: no capacity_tpy" in notes
    assert "china: offtake to partners/like-minded 10% < 50%" in notes
    # need: USA 100 t/y in every 4th scenario, JPN 40 t/y in every 2nd; growth 10 %/y
    # E[Σ_t need] = (25 + 20) × Σ_t 1.1^t
    growth = sum(1.1**t for t in range(6))
    assert r.summary.set_index("metric").loc["expected_shortfall_before_t", "value"] == (
        pytest.approx(45.0 * growth)
    )
    # instrument options: public cost and bankability as the cash-flow model gives them
    opts = r.options.set_index(["project_id", "option"])
    row = {**PROJECTS[0], "project_id": "fast"}
    inputs = fin_projects.inputs_for(row, start_year=2026)
    loan = ins.evaluate(inputs, (ins.ConcessionalLoan(rate=0.03, tenor_years=12, grace_years=2),))
    assert opts.loc[("fast", 0), "public_cost_usd"] == pytest.approx(
        loan.summary()["public_cost_usd"]
    )
    grant = opts.loc[("fast", 2)]
    assert grant["instrument"] == "grant:capex_share=0.2"
    assert grant["public_capital_usd"] == pytest.approx(0.2 * 100e6)
    assert set(r.portfolio["project_id"]) == {"fast", "slow", "china"}
    # a budget this large backs both useful projects, each with its cheapest instrument
    port = r.portfolio.set_index("project_id")
    assert bool(port.loc["fast", "chosen"]) and not bool(port.loc["china", "chosen"])
    for pid in port.index[port["chosen"]]:
        allowed = opts.loc[pid][opts.loc[pid]["allowed"]]
        assert port.loc[pid, "public_cost_usd"] == pytest.approx(allowed["public_cost_usd"].min())
    assert port.loc["fast", "first_output_p50_year"] == pytest.approx(2027.5)  # 18 months
    # shortfall after = before − what the chosen projects cover, per partner
    short = r.shortfall.set_index("partner")
    assert short["expected_shortfall_after_t"].le(short["expected_shortfall_before_t"]).all()
    summary = r.summary.set_index("metric")["value"]
    assert summary["expected_shortfall_after_t"] == pytest.approx(
        short["expected_shortfall_after_t"].sum()
    )
    assert summary["public_cost_usd"] == pytest.approx(port["public_cost_usd"].sum())
    # accelerating the project still in permitting is worth something (it starts late)
    acc = r.accelerations.set_index("project_id")
    assert list(acc.index) == ["slow"]
    assert acc.loc["slow", "shortfall_avoided_t_12m_per_month"] >= 0.0
    # alone, a year earlier covers USA need in more scenario-years: strictly positive
    assert acc.loc["slow", "standalone_shortfall_avoided_t_12m_per_month"] > 0.0
    assert r.meta["status"] == "optimal"


def test_budget_too_small_chooses_nothing_and_dual_is_positive_when_binding() -> None:
    base = {
        "runs": 30,
        "horizon_years": 5,
        "projects": PROJECTS[:2],
        "buckets": None,
        "binary": False,
        "instruments": ["grant:capex_share=0.3"],
        "require_bankable": False,
    }
    r0 = plan.run_plan(
        plan.load_spec({**base, "budget_usd": 0.0}), None, simulate=fake_simulate([], 5)
    )
    assert not r0.portfolio["chosen"].any()
    small = plan.load_spec({**base, "budget_usd": 1e6})
    r1 = plan.run_plan(small, None, simulate=fake_simulate([], 5))
    dual = r1.summary.set_index("metric").loc["budget_dual_per_usd", "value"]
    assert dual > 0
    # the dual is the LP's marginal value: a finite difference of 1,000 USD agrees (the LP
    # value is piecewise linear in the budget; 1,000 USD stays within one piece here)
    r2 = plan.run_plan(
        plan.load_spec({**base, "budget_usd": 1e6 + 1e3}), None, simulate=fake_simulate([], 5)
    )
    v1 = r1.summary.set_index("metric").loc["objective_value", "value"]
    v2 = r2.summary.set_index("metric").loc["objective_value", "value"]
    assert (v1 - v2) / 1e3 == pytest.approx(dual, rel=1e-6)


def test_no_usable_project_is_an_error() -> None:
    spec = plan.load_spec({"projects": [PROJECTS[2], PROJECTS[3]]})
    with pytest.raises(InputError, match="no usable candidate project"):
        plan.run_plan(spec, None, simulate=fake_simulate([], 5))


def test_store_projects_fill_missing_fields(tmp_store: Store) -> None:
    from minsec.sources import lithium_busch

    lithium_busch.parse(Path(__file__).parent / "fixtures" / "Deposit.csv").write(tmp_store)
    spec = plan.load_spec(
        {
            "projects": [{"id": "li-busch-001", "status": "construction", "offtake": {"JPN": 1}}],
            "store_projects": {"commodity": "lithium"},
        }
    )
    cands, notes = plan.resolve_projects(spec, tmp_store)
    assert [c.row["project_id"] for c in cands] == ["li-busch-001"]
    row = cands[0].row
    assert row["name"] == "Salar de Atacama (SQM)" and row["status"] == "construction"
    assert row["capacity_tpy"] == pytest.approx(39451.4371594965)
    assert cands[0].offtake == {"USA": 0.0, "JPN": 1.0}
    assert any("li-busch-002: already operating" in n for n in notes)
    assert any("li-busch-003: no capacity_tpy, capex_musd" in n for n in notes)


@pytest.mark.default_data
def test_example_runs_on_the_default_store(default_store: Store) -> None:
    spec = plan.load_spec(EXAMPLE, runs=60)
    r = plan.run_plan(spec, default_store)
    assert r.meta["status"] == "optimal"
    assert r.meta["monte_carlo"]["lithium"]["stage"] == "refined"
    s = r.summary.set_index("metric")["value"]
    assert s["cvar95_after_t"] <= s["cvar95_before_t"]
    assert s["public_cost_usd"] <= 2e9
    assert math.isfinite(s["budget_dual_per_usd"]) and s["budget_dual_per_usd"] >= 0
    assert not r.portfolio.set_index("project_id").loc["li-busch-047", "chosen"]  # offtake rule


@pytest.mark.default_data
def test_cli_plan(
    capsys: pytest.CaptureFixture[str],
    default_store_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # a wide terminal: table headers on one line
    store = str(default_store_path)
    r = run_cli(capsys, "plan", str(EXAMPLE), "--runs", "40", "--budget", "5e8", "--store",
                store, "--format", "json", "--chosen-only")  # fmt: skip
    assert r.code == 0, r.err
    payload = json.loads(r.out)
    assert payload["meta"]["budget_usd"] == 5e8 and payload["meta"]["runs"] == 40
    assert all(row["chosen"] for row in payload["data"])
    assert "Monte Carlo lithium" in r.err  # progress on stderr
    r = run_cli(capsys, "plan", str(EXAMPLE), "--runs", "40", "--store", store, "--view",
                "shortfall", "--format", "csv")  # fmt: skip
    assert r.code == 0, r.err
    assert r.out.splitlines()[0].startswith("commodity,partner,consumption_t_per_y")
    # the terminal table: the columns that fit, money in million USD, the JSON's figures
    r = run_cli(capsys, "plan", str(EXAMPLE), "--runs", "40", "--budget", "5e8", "--store",
                store, "--chosen-only")  # fmt: skip
    assert r.code == 0, r.err
    assert "public_cost_musd" in r.out and "capex_usd" not in r.out
    for row in payload["data"]:
        assert row["name"].split()[0] in r.out
        assert f"{row['public_cost_usd'] / 1e6:.3g}"[:3] in r.out
    bad = tmp_path / "bad.yaml"
    bad.write_text("projects:\n  - id: a\n    capex_musd: lots\n")
    r = run_cli(capsys, "plan", str(bad), "--store", store)
    assert r.code == 2
    assert "projects.0.capex_musd" in r.err
