"""The calibration fit: it recovers parameters the engine itself generated the outcome with;
the specification is data and its errors name the table and field."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from minsec.disrupt.backtest import BacktestCase, Comparison, parse_period, year_period
from minsec.disrupt.backtest_fit import (
    FitParameter,
    FitSpec,
    cross_validate,
    fit,
    load_fit_spec,
    parse_fit_spec,
    predict_many,
    variants,
)
from minsec.disrupt.model import Baseline, Parameters
from minsec.disrupt.scenario import build_responses, build_shocks, parse_scenario
from minsec.errors import InputError

START = dt.date(2023, 1, 1)


def _baseline() -> Baseline:
    """China (restricting) and Australia produce 100 t each; Japan and the US import."""
    names = ("AUS", "CHN", "JPN", "USA")
    trade = np.zeros((4, 4))
    trade[1, 2] = trade[1, 3] = 40.0  # CHN → JPN, USA
    trade[0, 2] = trade[0, 3] = 30.0  # AUS → JPN, USA
    production = np.array([100.0, 100.0, 0.0, 0.0])
    consumption = np.maximum(production + trade.sum(axis=0) - trade.sum(axis=1), 0.0)
    return Baseline(
        commodity="graphite", stage="ore", year=2022, hs6=("250410",), countries=names,
        trade_t=trade, production_t=production, consumption_t=consumption,
        price_usd_per_t=1000.0, spare_capacity=np.full(4, 0.1),
    )  # fmt: skip


def _case(
    observed: np.ndarray | None = None, *, set_: str = "calibration", name: str = "synthetic"
) -> BacktestCase:
    b = _baseline()
    sc = parse_scenario(
        {
            "name": name, "commodity": "graphite", "baseline_year": 2022,
            "start": "2023-01-01", "months": 24,
            "events": [{"type": "export_restriction", "exporter": "CHN", "fraction": 0.6,
                        "start": "2023-01-01"}],
            "backtest": {"set": set_},
        }
    )  # fmt: skip
    shocks, _ = build_shocks(None, sc, b, START)
    responses, _ = build_responses(sc, b, ["ore"])
    importers = np.array([False, False, True, True])
    base = year_period(2022)
    specs = [
        ("trade", "from others", "2023-01..2023-03"),
        ("trade", "from others", "2023-04..2023-06"),
        ("trade", "from others", "2023-07..2023-12"),
        ("trade", "from others", "2024"),
        ("trade", "from restricting", "2023"),
        ("price", "price", "2023"),
    ]
    comparisons = []
    for i, (kind, flow, text) in enumerate(specs):
        period = parse_period(text)
        change = 0.0 if observed is None else float(observed[i])
        comparisons.append(
            Comparison(
                kind, flow, "JPN USA", importers, base, period, float(base.months),
                period.months * (1.0 + change / 100.0), "t", "synthetic", "engine", "truth",
            )
        )  # fmt: skip
    params = Parameters(
        months=24, leakage=0.0, ramp_months=6.0, demand_elasticity=-0.1,
        supply_elasticity=1.0, max_price_multiple=10.0, spot_share=0.0,
    )  # fmt: skip
    return BacktestCase(
        scenario=sc, stage="ore", baseline=b, shocks=shocks, responses=responses,
        parameters=params, start=START, restricting=np.array([False, True, False, False]),
        comparisons=tuple(comparisons),
    )  # fmt: skip


SPEC = FitSpec(
    parameters=(
        FitParameter("spare_capacity", "scale", 0.0, 3.0, points=3),
        FitParameter("ramp_months", "set", 1.0, 12.0, points=3),
    ),
    tolerance=0.001,
)


def test_fit_recovers_the_parameters_the_engine_generated_the_outcome_with() -> None:
    truth = np.array([[1.7, 4.0]])  # spare capacity 17 % of output, reached in 4 months
    observed = predict_many(_case(), SPEC, truth)[0]
    # the outcome depends on both: Australia adds 17 t a year at full ramp, ramped over 4
    # months, to the others' 60 t
    assert observed[3] == pytest.approx(100 * 17 / 60)
    # the first quarter ramps (1/4, 2/4, 3/4 of it): 17 t × 1.5/12 against 60 t × 3/12
    assert observed[0] == pytest.approx(100 * (17 * 1.5 / 12) / (60 * 3 / 12))
    assert observed[1] == pytest.approx(observed[3])
    result = fit([_case(observed)], SPEC)
    assert result.values["spare_capacity"] == pytest.approx(1.7, abs=0.01)
    assert result.values["ramp_months"] == pytest.approx(4.0, abs=0.05)
    assert result.objective_after < 0.05 < result.objective_before
    after = result.after
    assert after["error_pp"].abs().max() < 0.2
    table = result.parameters.set_index("name")
    assert table.loc["spare_capacity", "default"] == "1"
    assert table.loc["ramp_months", "default"] == "6"
    assert (table["sensitivity_pp"] > 1.0).all()  # both identified by these rows
    # deterministic: the same cases give the same fit
    again = fit([_case(observed)], SPEC)
    assert again.values == result.values and again.evaluations == result.evaluations


def test_holdout_cases_do_not_drive_the_fit_but_are_reported() -> None:
    truth = np.array([[1.7, 4.0]])
    observed = predict_many(_case(), SPEC, truth)[0]
    wrong = observed + 30.0  # a holdout case the fit must not chase
    result = fit([_case(observed), _case(wrong, set_="holdout")], SPEC)
    assert result.values["spare_capacity"] == pytest.approx(1.7, abs=0.01)
    holdout = result.after[result.after["set"] == "holdout"]
    assert holdout["error_pp"].to_numpy() == pytest.approx(-30.0, abs=0.3)
    with pytest.raises(InputError, match="no back-test case is in the calibration set"):
        fit([_case(wrong, set_="holdout")], SPEC)


def test_defaults_are_kept_when_nothing_beats_them() -> None:
    at_defaults = predict_many(_case(), SPEC, np.array([[1.0, 6.0]]))[0]
    result = fit([_case(at_defaults)], SPEC)
    assert result.values == {} and result.objective_after == pytest.approx(0.0, abs=1e-9)
    assert "defaults kept" in result.lines()[0]
    summary = result.summary()  # JSON-ready: no NaN (a fit that kept the defaults, no holdout)
    json.dumps(summary, allow_nan=False)
    assert [p["fitted"] for p in summary["parameters"]] == [None, None]
    assert summary["holdout"]["trade_mae_pp_fitted"] is None


def test_cross_validation_predicts_each_case_with_a_fit_that_never_saw_it() -> None:
    truth = np.array([[1.7, 4.0]])
    other = np.array([[0.3, 11.0]])
    a = predict_many(_case(), SPEC, truth)[0]
    b = predict_many(_case(), SPEC, other)[0]
    cases = [_case(a, name="case-a1"), _case(a, name="case-a2", set_="holdout"),
             _case(b, name="case-b")]  # fmt: skip
    cv = cross_validate(cases, SPEC)
    folds = cv.folds.set_index("scenario")
    assert list(folds.index) == ["case-a1", "case-a2", "case-b"]
    assert (folds["training_cases"] == 2).all()
    # without case-b the two others agree on the truth, so case-b is predicted with it
    assert folds.loc["case-b", "spare_capacity"] == pytest.approx(1.7, abs=0.01)
    assert folds.loc["case-b", "ramp_months"] == pytest.approx(4.0, abs=0.05)
    out_b = cv.after[cv.after["scenario"] == "case-b"]
    np.testing.assert_allclose(out_b["predicted_change_pct"], a, atol=0.3)
    np.testing.assert_allclose(out_b["error_pp"], a - b, atol=0.3)
    # every fold is the calibration fit on the two other cases, run on its own (the folds
    # share their engine runs: the same values, to the bit)
    observed = {"case-a1": a, "case-a2": a, "case-b": b}
    for left in observed:
        alone = fit([_case(o, name=n) for n, o in observed.items() if n != left], SPEC)
        for n in ("spare_capacity", "ramp_months"):
            assert folds.loc[left, n] == alone.values.get(n, np.nan) or (
                np.isnan(folds.loc[left, n]) and n not in alone.values
            )
        assert folds.loc[left, "objective_after"] == alone.objective_after
    # case-a1 is predicted with its fold's values (the defaults where it kept them:
    # spare × 1, 6 months)
    alone = fit([_case(a, name="case-a2"), _case(b, name="case-b")], SPEC)
    used = [alone.values.get("spare_capacity", 1.0), alone.values.get("ramp_months", 6.0)]
    out_a = cv.after[cv.after["scenario"] == "case-a1"]
    own = predict_many(_case(), SPEC, np.array([used]))[0]
    np.testing.assert_allclose(out_a["predicted_change_pct"], own, atol=1e-9)
    # out of sample it is worse than a fit on itself would be (error 0)
    assert out_a["error_pp"].abs().max() > 0.5
    # the sets are kept (a holdout case also trains the other folds) and the words say it
    assert set(cv.after["set"]) == {"calibration", "holdout"}
    text = "\n".join(cv.lines())
    assert "3 folds" in text and "spare_capacity: fitted × " in text  # a multiple
    assert "ramp_months: fitted " in text and "ramp_months: fitted ×" not in text  # a value
    json.dumps(cv.summary(), allow_nan=False)
    with pytest.raises(InputError, match="at least two back-test cases"):
        cross_validate([_case(a)], SPEC)


def test_variants_batch_engine_values_and_split_baselines() -> None:
    spec = FitSpec(
        parameters=(
            FitParameter("spot_share", "set", 0.0, 1.0),
            FitParameter("demand_elasticity", "scale", 0.5, 2.0),
            FitParameter("spare_capacity", "scale", 0.0, 2.0),
        )
    )
    values = np.array([[0.1, 2.0, 1.0], [0.2, 0.5, 0.0], [0.3, 1.0, 1.0]])
    out = variants(_case(), spec, values)
    assert [list(idx) for idx, _, _ in out] == [[0, 2], [1]]
    _, params, b = out[0]
    assert list(params.spot_share) == [0.1, 0.3]  # type: ignore[arg-type]
    assert list(params.demand_elasticity) == pytest.approx([-0.2, -0.1])  # type: ignore[arg-type]
    assert list(b.spare_capacity) == [0.1] * 4
    assert list(out[1][2].spare_capacity) == [0.0] * 4
    # batched predictions equal one call per parameter set
    batched = predict_many(_case(), spec, values)
    for k in range(3):
        single = predict_many(_case(), spec, values[k : k + 1])[0]
        assert batched[k] == pytest.approx(single, abs=1e-9)


def test_packaged_spec_and_errors() -> None:
    spec = load_fit_spec()
    names = [p.name for p in spec.parameters]
    assert {"spot_share", "spare_capacity", "demand_elasticity"} <= set(names)
    assert {p.target for p in spec.parameters} == {"engine", "baseline"}
    ok = {"parameter": [{"name": "max_price_multiple", "mode": "set", "low": 2, "high": 20}]}
    assert parse_fit_spec(ok, "f.toml").parameters[0].target == "engine"
    for table, message in (
        ({"name": "months", "low": 1, "high": 2}, "neither an engine parameter"),
        ({"name": "leakage", "mode": "double", "low": 0, "high": 1}, "mode must be set or scale"),
        ({"name": "leakage", "low": 1, "high": 0}, "low <= high"),
        ({"name": "leakage", "mode": "scale", "low": -1, "high": 1}, "cannot be negative"),
        ({"name": "leakage", "low": 0}, "needs numbers low and high"),
        ({"name": "leakage", "low": 0, "high": 1, "step": 2}, "unknown field"),
    ):
        with pytest.raises(InputError, match=message) as exc:
            parse_fit_spec({"parameter": [table]}, "f.toml")
        assert "f.toml" in str(exc.value) and "parameter[0]" in str(exc.value)
    with pytest.raises(InputError, match="listed twice"):
        parse_fit_spec({"parameter": [ok["parameter"][0], ok["parameter"][0]]}, "f.toml")
    with pytest.raises(InputError, match="one or more"):
        parse_fit_spec({}, "f.toml")
