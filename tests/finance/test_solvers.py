"""The portfolio optimiser with SCIP (pyscipopt) as well as HiGHS (GitHub issue #5)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings

from minsec.errors import InputError, MinsecError
from minsec.finance import plan
from minsec.finance.portfolio import optimise, solve
from tests.cli_helpers import run_cli
from tests.finance.test_portfolio import CAP, COST, NEED, OBJ, START, general_problems, problems

pytest.importorskip("pyscipopt")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "portfolio.yaml"


@pytest.mark.parametrize(("objective", "value"), [("expected", 3.5), ("cvar", 7.0)])
def test_hand_worked_with_scip(objective: str, value: float) -> None:
    # the hand-worked optimum of test_portfolio.py: {P0 with the loan, P1 with the grant},
    # cost 90, E 3.5, CVaR_0.5 7
    kw = {"objective": objective, "alpha": 0.5}
    r = optimise(COST, CAP, START, NEED, 110.0, solver="scip", **kw)  # type: ignore[arg-type]
    h = optimise(COST, CAP, START, NEED, 110.0, **kw)  # type: ignore[arg-type]
    assert r.chosen == (0, 1) == h.chosen
    assert r.instrument.tolist() == [1, 0, -1] == h.instrument.tolist()
    assert r.public_cost_usd == pytest.approx(90.0)
    assert r.objective_value == pytest.approx(value, abs=1e-9)
    assert r.objective_value == pytest.approx(h.objective_value, abs=1e-9)
    assert r.expected_shortfall_after_t == pytest.approx(3.5)
    assert r.cvar_after_t == pytest.approx(7.0)
    assert r.status == "optimal"
    assert r.solver.startswith("SCIP ") and "HiGHS" in r.solver
    assert h.solver.startswith("HiGHS")
    # the dual is HiGHS' LP relaxation's whichever solver chose the portfolio
    assert r.budget_dual == pytest.approx(h.budget_dual, abs=1e-12)
    assert set(r.highs_seconds) == {"mip", "cheapest", "lp_dual"}


def test_tonnes_per_dollar_and_lp_with_scip() -> None:
    # hand-worked in test_portfolio.py: best within 110 is {P0, P2} = 35 expected tonnes
    r = optimise(COST, CAP, START, NEED, 110.0, objective="tonnes_per_dollar", solver="scip")
    assert r.chosen == (0, 2)
    assert r.objective_value == pytest.approx(35.0)
    # LP (binary=False): same optimal value as HiGHS, dual from HiGHS' LP
    b = 30.0
    lp = optimise(COST, CAP, START, NEED, b, binary=False, solver="scip")
    hl = optimise(COST, CAP, START, NEED, b, binary=False)
    assert lp.objective_value == pytest.approx(hl.objective_value, rel=1e-6)
    assert lp.budget_dual == pytest.approx(hl.budget_dual, rel=1e-9)
    assert lp.budget_dual > 0


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


@settings(max_examples=15, deadline=None)
@given(problems(), OBJ)
def test_scip_matches_highs_optimise(problem, objective) -> None:  # type: ignore[no-untyped-def]
    cost, cap, start, need, budget = problem
    kw = {"objective": objective, "alpha": 0.6}
    h = optimise(cost, cap, start, need, budget, **kw)
    s = optimise(cost, cap, start, need, budget, solver="scip", **kw)
    assert _close(s.objective_value, h.objective_value), (s.objective_value, h.objective_value)
    assert s.public_cost_usd <= budget + 1e-9


@settings(max_examples=15, deadline=None)
@given(general_problems(), OBJ)
def test_scip_matches_highs_general(problem, objective) -> None:  # type: ignore[no-untyped-def]
    h = solve(problem, objective=objective, alpha=0.6)
    s = solve(problem, objective=objective, alpha=0.6, solver="scip")
    assert _close(s.objective_value, h.objective_value), (s.objective_value, h.objective_value)


def test_unknown_solver_and_missing_pyscipopt(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match="solver") as info:
        optimise(COST, CAP, START, NEED, 110.0, solver="gurobi")  # type: ignore[arg-type]
    assert info.value.column == "solver"
    with pytest.raises(InputError) as spec_err:
        plan.load_spec(EXAMPLE, solver="cplex")
    assert spec_err.value.column == "solver" and "highs or scip" in str(spec_err.value)
    assert plan.load_spec(EXAMPLE, solver=" SCIP ").solver == "scip"
    assert plan.load_spec(EXAMPLE).solver == "highs"
    monkeypatch.setitem(sys.modules, "pyscipopt", None)  # import pyscipopt -> ImportError
    with pytest.raises(MinsecError, match="pip install pyscipopt"):
        optimise(COST, CAP, START, NEED, 110.0, solver="scip")


@pytest.mark.default_data
def test_cli_plan_solver(capsys: pytest.CaptureFixture[str], default_store_path: Path) -> None:
    store = str(default_store_path)
    summary: dict[str, dict[str, float]] = {}
    chosen: dict[str, set[str]] = {}
    for name in ("scip", "highs"):
        r = run_cli(capsys, "plan", str(EXAMPLE), "--runs", "40", "--solver", name,
                    "--store", store, "--format", "json")  # fmt: skip
        assert r.code == 0, r.err
        payload = json.loads(r.out)
        assert payload["meta"]["status"] == "optimal"
        assert payload["meta"]["solver"].lower().startswith(name)
        assert any(row["chosen"] for row in payload["data"])  # a real choice
        summary[name] = payload["meta"]["summary"]
        chosen[name] = {row["project_id"] for row in payload["data"] if row["chosen"]}
    # The example (CVaR95, 40 runs) has alternative optima (several projects cover the same
    # need); the second solve funds the cheapest of them, so both solvers agree
    for key in ("cvar95_after_t", "expected_shortfall_after_t", "public_cost_usd"):
        assert summary["scip"][key] == pytest.approx(summary["highs"][key], rel=1e-6, abs=1e-9)
    assert chosen["scip"] == chosen["highs"]
    assert summary["scip"]["public_cost_usd"] <= 2e9
    r = run_cli(capsys, "plan", str(EXAMPLE), "--runs", "40", "--solver", "nope",
                "--store", store)  # fmt: skip
    assert r.code == 2
    assert "solver" in r.err and "scip" in r.err


def test_scip_result_arrays_are_well_formed() -> None:
    r = optimise(COST, CAP, START, NEED, 0.0, solver="scip")
    assert r.chosen == ()
    assert np.all(r.instrument == -1)


@pytest.mark.parametrize("solver", ["highs", "scip"])
@pytest.mark.parametrize("costs", [(5.0, 3.0, 4.0), (3.0, 5.0, 4.0), (4.0, 5.0, 3.0)])
def test_equal_optima_pick_the_cheapest_portfolio(
    solver: str, costs: tuple[float, float, float]
) -> None:
    # one scenario, one year, 10 t of need; each of three projects alone covers it all:
    # every single project is an optimum (shortfall 0) — the cheapest is the one to fund,
    # and funding two would waste money (without the second solve HiGHS and SCIP each
    # returned a dearer optimum for one of these orders)
    cost = np.array(costs)[:, None]
    cap = np.array([10.0, 10.0, 10.0])
    start = np.array([[0, 0, 0]])  # (S, P): every project produces from year 0
    need = np.array([[10.0]])
    cheapest = int(np.argmin(costs))
    for objective in ("expected", "cvar"):
        r = optimise(cost, cap, start, need, 10.0, objective=objective, solver=solver)  # type: ignore[arg-type]
        assert r.objective_value == pytest.approx(0.0, abs=1e-9)
        assert r.chosen == (cheapest,)
        assert r.public_cost_usd == pytest.approx(min(costs))
    # without the tie-break the optimum is as good but may cost more; never less
    plain = optimise(cost, cap, start, need, 10.0, solver=solver, cheapest=False)  # type: ignore[arg-type]
    assert plain.objective_value == pytest.approx(0.0, abs=1e-9)
    assert plain.public_cost_usd >= min(costs) - 1e-9


def test_the_cheapest_search_is_skipped_after_a_slow_first_solve(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import minsec.finance.portfolio as portfolio

    monkeypatch.setattr(portfolio, "CHEAPEST_AFTER_S", 0.0)  # every first solve is "slow"
    cost = np.array([[4.0], [5.0], [3.0]])
    cap = np.array([10.0, 10.0, 10.0])
    start = np.array([[0, 0, 0]])
    need = np.array([[10.0]])
    r = optimise(cost, cap, start, need, 10.0)
    plain = optimise(cost, cap, start, need, 10.0, cheapest=False)
    assert r.chosen == plain.chosen and "cheapest" not in r.highs_seconds
    assert any("no search for a cheaper portfolio" in n for n in r.notes)
