"""Monte Carlo risk: probability model, sampling, seeding, metrics, chunking, backends.

Most tests run on a small hand-built baseline with a tiny stand-in engine (``toy_engine``:
lost exports of the months an event covers are the shortfall; the price index rises with
the share of world consumption lost), so they test the Monte Carlo machinery alone and
run in milliseconds. The tests at the end use the real engine and the default data.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.random import SeedSequence

from minsec.disrupt import montecarlo as mc
from minsec.disrupt.model import Baseline, Outcome, Parameters, Responses, Shocks
from minsec.disrupt.risk_model import (
    RiskModel,
    compile_model,
    governance_scores,
    target_matrix,
)
from minsec.errors import DataMissingError, InputError, UnknownNameError

COUNTRIES = ("AUS", "CHN", "DEU", "JPN", "RUS", "USA")


def toy_baseline(commodity: str = "graphite", year: int = 2022) -> Baseline:
    n = len(COUNTRIES)
    trade = np.zeros((n, n))
    i = {c: k for k, c in enumerate(COUNTRIES)}
    trade[i["CHN"], i["JPN"]] = 400.0
    trade[i["CHN"], i["USA"]] = 300.0
    trade[i["CHN"], i["DEU"]] = 200.0
    trade[i["AUS"], i["JPN"]] = 100.0
    trade[i["RUS"], i["DEU"]] = 50.0
    trade[i["AUS"], i["CHN"]] = 80.0
    production = np.array([300.0, 2000.0, 0.0, 0.0, 100.0, 10.0])
    consumption = production + trade.sum(axis=0) - trade.sum(axis=1)
    return Baseline(
        commodity=commodity,
        stage="mine",
        year=year,
        hs6=("250410",),
        countries=COUNTRIES,
        trade_t=trade,
        production_t=production,
        consumption_t=np.clip(consumption, 0.0, None),
        price_usd_per_t=1000.0,
        spare_capacity=np.zeros(n),
    )


def toy_engine(
    baseline: Baseline, shocks: Shocks, params: Parameters, responses: Responses | None = None
) -> Outcome:
    """Test stand-in for the engine: lost exports in the months each event covers."""
    months = np.arange(params.months, dtype=np.float64)
    start = shocks.start_month[:, None, :]
    end = start + shocks.duration_months[:, None, :]
    cover = np.clip(
        np.minimum(end, months[None, :, None] + 1) - np.maximum(start, months[None, :, None]), 0, 1
    )
    withheld = shocks.export_fraction[:, None, :] * cover  # (R, M, n)
    flows = baseline.trade_t * shocks.targets / 12.0
    shortfall = np.einsum("rmk,kj->rmj", withheld, flows)
    monthly = baseline.consumption_t / 12.0
    shortfall = np.minimum(shortfall, monthly[None, None, :])
    lost = shortfall.sum(axis=2) / monthly.sum()
    price = 1.0 + 5.0 * lost
    return Outcome(
        shortfall_t=shortfall,
        supply_t=monthly[None, None, :] - shortfall,
        stock_release_t=np.zeros_like(shortfall),
        price_index=price,
        baseline_monthly_t=monthly,
    )


SCORES = {"AUS": 3.0, "CHN": 6.0, "DEU": 3.5, "JPN": 2.5, "RUS": 7.0, "USA": 5.0}


def model(**changes: object) -> RiskModel:
    return dataclasses.replace(RiskModel.load(user=False), **changes)  # type: ignore[arg-type]


def risk(runs: int = 3000, **kw: object) -> mc.RiskResult:
    args: dict[str, object] = {
        "importers": "USA,JPN,DEU,EU27",
        "runs": runs,
        "seed": 7,
        "scores": SCORES,
        "engine": toy_engine,
        "model": model(p_best=0.05, p_worst=0.5),
    }
    args.update(kw)
    return mc.run_risk(toy_baseline(), **args)  # type: ignore[arg-type]


# -- probability model -----------------------------------------------------------------


def test_defaults_load_and_are_documented() -> None:
    m = RiskModel.load(user=False)
    assert m.governance_basis == "PV"
    assert 0 < m.p_best < m.p_worst <= m.cap <= 1
    assert {p.commodity for p in m.past_restrictions} >= {"graphite", "gallium", "rare_earths"}
    assert "W" in m.describe()["probability"]


def test_probability_monotone_in_instability() -> None:
    m = RiskModel.load(user=False)
    w = np.linspace(-1, 11, 241)
    p = m.base_probability(w)
    assert np.all(np.diff(p) >= 0)
    assert p[0] == pytest.approx(m.p_best) and p[-1] == pytest.approx(m.p_worst)
    assert m.base_probability(5.0) == pytest.approx(math.sqrt(m.p_best * m.p_worst))
    assert m.base_probability(np.nan) == pytest.approx(m.base_probability(m.missing_score))
    assert np.all(model(cap=0.01).base_probability(w) <= 0.01)


def test_compiled_probabilities_history_and_exports() -> None:
    sm = compile_model(RiskModel.load(user=False), toy_baseline(), SCORES)
    t = sm.table.set_index("country")
    # CHN restricted graphite in 2023: history multiplier
    assert t.loc["CHN", "history_factor"] == 4.0
    assert "2023-12-01" in t.loc["CHN", "history"]
    assert t.loc["CHN", "p_restrict"] == pytest.approx(4.0 * t.loc["CHN", "p_governance"])
    # DEU, JPN and USA export nothing in the toy baseline: nothing to restrict
    assert t.loc[["DEU", "JPN", "USA"], "p_restrict"].eq(0).all()
    # not the history of another mineral
    other = compile_model(RiskModel.load(user=False), toy_baseline("copper"), SCORES)
    assert other.table.set_index("country").loc["CHN", "history_factor"] == 1.0
    off = compile_model(model(history_enabled=False), toy_baseline(), SCORES)
    assert off.table.set_index("country").loc["CHN", "history_factor"] == 1.0


def test_overrides_python_and_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = RiskModel.load(user=False)
    m = base.with_override("China", probability=0.5, commodity="graphite")
    m = m.with_override("RUS", multiplier=2.0)
    t = compile_model(m, toy_baseline(), SCORES).table.set_index("country")
    assert t.loc["CHN", "p_restrict"] == 0.5
    assert t.loc["RUS", "p_restrict"] == pytest.approx(2 * t.loc["RUS", "p_governance"])
    # a graphite override does not touch copper
    t2 = compile_model(m, toy_baseline("copper"), SCORES).table.set_index("country")
    assert t2.loc["CHN", "p_restrict"] == pytest.approx(t2.loc["CHN", "p_governance"])

    # user file in MINSEC_HOME, then an explicit file on top
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("MINSEC_HOME", str(home))
    (home / "risk.toml").write_text(
        "[probability]\np_worst = 0.3\n\n[[override]]\ncountry = 'AUS'\nprobability = 0.25\n"
    )
    extra = tmp_path / "extra.toml"
    extra.write_text("[duration]\nmedian_months = 6\n[correlation]\nrho = 0.4\n")
    loaded = RiskModel.load(extra)
    assert loaded.p_worst == 0.3 and loaded.p_best == base.p_best
    assert loaded.duration.median_months == 6 and loaded.duration.sigma == base.duration.sigma
    assert loaded.rho == 0.4
    assert loaded.overrides[-1].country == "AUS"
    t3 = compile_model(loaded, toy_baseline(), SCORES).table.set_index("country")
    assert t3.loc["AUS", "p_restrict"] == 0.25


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[probability]\np_best = 0.5\np_worst = 0.1\n", "p_best"),
        ("[correlation]\nrho = 1.0\n", "rho"),
        ("[[override]]\ncountry = 'Atlantis'\nprobability = 0.1\n", "Atlantis"),
        ("[[override]]\ncountry = 'CHN'\nprobability = 1.5\n", r"\[0, 1\]"),
        ("[[override]]\ncountry = 'CHN'\n", "exactly one"),
        ("[bogus]\nx = 1\n", "unknown table"),
        ("[magnitude]\na = -1\n", "Beta"),
        ("[governance]\nbasis = 'XX'\n", "basis"),
    ],
)
def test_bad_model_files(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=match):
        RiskModel.load(path, user=False)


def test_targets_all_and_bloc() -> None:
    t = target_matrix(COUNTRIES, "all")
    assert t.sum() == len(COUNTRIES) * (len(COUNTRIES) - 1) and not t.diagonal().any()
    lm = target_matrix(COUNTRIES, "like-minded")
    i = {c: k for k, c in enumerate(COUNTRIES)}
    # CHN (not like-minded) targets only like-minded importers
    assert lm[i["CHN"], i["USA"]] and lm[i["CHN"], i["JPN"]] and not lm[i["CHN"], i["RUS"]]
    # AUS (like-minded) restricts towards everyone
    assert lm[i["AUS"], i["CHN"]] and lm[i["AUS"], i["RUS"]]
    with pytest.raises(UnknownNameError):
        target_matrix(COUNTRIES, "nobody")


# -- sampling and seeding --------------------------------------------------------------


def test_block_seed_is_spawn() -> None:
    root = SeedSequence(12345)
    children = SeedSequence(12345).spawn(6)
    for b in (0, 3, 5):
        a = mc.block_seed(root, b).generate_state(8)
        assert np.array_equal(a, children[b].generate_state(8))
    g1 = mc.block_generator(root, 2).random(5)
    g2 = np.random.Generator(np.random.PCG64(children[2])).random(5)
    assert np.array_equal(g1, g2)


def test_sample_shocks_shapes_and_reproducibility() -> None:
    b = toy_baseline()
    sm = compile_model(model(p_best=0.1, p_worst=0.6), b, SCORES)
    s1 = mc.sample_shocks(b, sm, SeedSequence(3), 500)
    s2 = mc.sample_shocks(b, sm, 3, 500)
    for f in ("export_fraction", "outage_fraction", "start_month", "duration_months"):
        a1, a2 = getattr(s1, f), getattr(s2, f)
        assert a1.shape == (500, b.n)
        assert np.array_equal(a1, a2)
    ev = s1.export_fraction > 0
    assert ev.any()
    assert np.all((s1.export_fraction >= 0) & (s1.export_fraction <= 1))
    assert np.all(s1.duration_months[ev] > 0)
    assert np.all(s1.duration_months[~ev] == 0)
    assert np.all((s1.start_month >= 0) & (s1.start_month <= 11))
    assert np.array_equal(s1.start_month, np.round(s1.start_month))
    # non-exporters never restrict
    i = {c: k for k, c in enumerate(COUNTRIES)}
    assert not ev[:, [i["USA"], i["JPN"], i["DEU"]]].any()
    assert not s1.outage_fraction.any()
    assert s1.runs == 500


def test_event_rates_and_distributions() -> None:
    b = toy_baseline()
    m = model(p_best=0.1, p_worst=0.6)
    sm = compile_model(m, b, SCORES)
    runs = 40_000
    s = mc.sample_shocks(b, sm, 11, runs)
    ev = s.export_fraction > 0
    rate = ev.mean(axis=0)
    p = sm.p_restrict
    sd = np.sqrt(p * (1 - p) / runs)
    assert np.all(np.abs(rate - p) <= 5 * sd + 1e-12)
    mag = s.export_fraction[ev]
    assert mag.mean() == pytest.approx(m.magnitude.mean, abs=0.01)
    dur = s.duration_months[ev]
    assert np.median(dur) == pytest.approx(m.duration.median_months, rel=0.05)
    assert dur.max() <= m.duration.max_months


def test_zero_probability_gives_no_events() -> None:
    b = toy_baseline()
    sm = compile_model(
        model()
        .with_override("CHN", probability=0.0)
        .with_override("AUS", probability=0.0)
        .with_override("RUS", probability=0.0),
        b,
        SCORES,
    )
    s = mc.sample_shocks(b, sm, 1, 1000)
    assert not s.export_fraction.any() and not s.duration_months.any()


def test_correlation_keeps_marginals_and_adds_joint_events() -> None:
    # CHN and RUS in one correlated bloc
    b = toy_baseline()
    m = model(p_best=0.1, p_worst=0.6, history_enabled=False)
    ind = compile_model(m, b, SCORES)
    cor = compile_model(dataclasses.replace(m, rho=0.8), b, SCORES)
    i = {c: k for k, c in enumerate(COUNTRIES)}
    assert cor.group[i["CHN"]] == cor.group[i["RUS"]] == 0 and cor.group[i["AUS"]] == -1
    runs = 40_000
    e_ind = mc.sample_shocks(b, ind, 5, runs).export_fraction > 0
    e_cor = mc.sample_shocks(b, cor, 5, runs).export_fraction > 0
    for e in (e_ind, e_cor):
        for c in ("CHN", "RUS", "AUS"):
            p = ind.p_restrict[i[c]]
            assert e[:, i[c]].mean() == pytest.approx(p, abs=5 * math.sqrt(p * (1 - p) / runs))
    both_ind = (e_ind[:, i["CHN"]] & e_ind[:, i["RUS"]]).mean()
    both_cor = (e_cor[:, i["CHN"]] & e_cor[:, i["RUS"]]).mean()
    assert both_cor > 2 * both_ind
    # AUS stays independent of CHN
    joint = (e_cor[:, i["CHN"]] & e_cor[:, i["AUS"]]).mean()
    expect = ind.p_restrict[i["CHN"]] * ind.p_restrict[i["AUS"]]
    assert joint == pytest.approx(expect, abs=0.01)


def test_outages_share_timing() -> None:
    b = toy_baseline()
    m = model(outage_enabled=True, outage_probability=0.5, p_best=0.2, p_worst=0.9)
    sm = compile_model(m, b, SCORES)
    s = mc.sample_shocks(b, sm, 2, 2000)
    out = s.outage_fraction > 0
    assert out.any()
    i = {c: k for k, c in enumerate(COUNTRIES)}
    assert not out[:, i["DEU"]].any()  # no production, no outage
    assert np.all(s.duration_months[out] > 0)


# -- metrics ---------------------------------------------------------------------------


def test_var_cvar_definition() -> None:
    x = np.arange(1.0, 101.0)  # 1..100
    var, cvar = mc.var_cvar(x, 0.95)
    assert var == 95.0
    assert cvar == pytest.approx(np.mean(x[-5:]))  # mean of the worst 5
    assert mc.tail_size(100, 0.95) == 6
    assert mc.tail_size(1000, 0.95) == 51
    var2, cvar2 = mc.var_cvar(np.zeros(10))
    assert var2 == cvar2 == 0.0


def test_cvar_equals_direct_computation() -> None:
    res = risk(runs=2500, keep_runs=True)
    raw = res.shortfall_runs_t
    assert raw is not None and raw.shape == (2500, 4)
    for j, row in res.summary.iterrows():
        col = raw[:, j]
        var, cvar = mc.var_cvar(col, 0.95)
        assert row["var95_t"] == var
        assert row["cvar95_t"] == pytest.approx(cvar, rel=1e-13, abs=1e-12)
        assert row["expected_shortfall_t"] == pytest.approx(col.mean(), rel=1e-12)
        limit = 0.10 * row["consumption_t"]
        assert row["p_shortfall_gt_10pct"] == (col > limit).mean()
        # (1 − α)·R = 125 whole runs: CVaR is the mean of the worst 125
        assert row["cvar95_t"] == pytest.approx(np.sort(col)[-125:].mean(), rel=1e-12)
    price = res.price_runs
    assert price is not None
    assert res.summary["price_p95"].iloc[0] == np.quantile(price, 0.95)


def test_metric_properties() -> None:
    res = risk(runs=2000, alpha=0.9, threshold=0.05)
    s = res.summary
    assert {"var90_t", "cvar90_t", "p_shortfall_gt_5pct"} <= set(s.columns)
    assert (s["cvar90_t"] >= s["var90_t"]).all() and (s["var90_t"] >= 0).all()
    assert (s["cvar90_t"] >= s["expected_shortfall_t"]).all()
    for col in ("p_shortfall_gt_5pct", "p_any_shortfall"):
        assert s[col].between(0, 1).all()
    assert (s["p_any_shortfall"] >= s["p_shortfall_gt_5pct"]).all()
    assert (s["expected_shortfall_pct"] > 0).all()
    assert s["expected_shortfall_pct"].iloc[0] == pytest.approx(
        100 * s["expected_shortfall_t"].iloc[0] / s["consumption_t"].iloc[0]
    )
    p = res.price.set_index("statistic")
    assert (p["p5"] <= p["p50"]).all() and (p["p50"] <= p["p95"]).all()
    assert p.loc["peak_month", "mean"] >= p.loc["horizon_mean", "mean"] >= 1.0
    assert res.exporters.set_index("country").loc["CHN", "event_rate"] > 0


def test_zero_probability_means_zero_shortfall() -> None:
    m = model(p_best=1e-9, p_worst=1e-9, history_enabled=False)
    for c in COUNTRIES:
        m = m.with_override(c, probability=0.0)
    s = risk(runs=1500, model=m).summary
    cols = [c for c in s.columns if c.endswith(("_t", "_pct")) and c != "consumption_t"]
    assert (s[cols] == 0).all().all()
    assert (s["p_any_shortfall"] == 0).all()
    assert (s["price_mean"] == 1.0).all()


def test_bloc_is_sum_of_members() -> None:
    res = risk(runs=1200, importers="DEU,EU27,JPN", keep_runs=True)
    raw = res.shortfall_runs_t
    assert raw is not None
    s = res.summary.set_index("importer")
    # the toy baseline's only EU27 member is DEU
    assert np.array_equal(raw[:, 0], raw[:, 1])
    assert s.loc["EU27", "members"] == 27
    assert any("EU27" in n for n in res.meta["notes"])


# -- reproducibility -------------------------------------------------------------------


def _same(a: mc.RiskResult, b: mc.RiskResult) -> None:
    pd.testing.assert_frame_equal(a.summary, b.summary, check_exact=True)
    pd.testing.assert_frame_equal(a.price, b.price, check_exact=True)
    pd.testing.assert_frame_equal(a.exporters, b.exporters, check_exact=True)
    if a.shortfall_runs_t is not None or b.shortfall_runs_t is not None:
        assert a.shortfall_runs_t is not None and b.shortfall_runs_t is not None
        assert np.array_equal(a.shortfall_runs_t, b.shortfall_runs_t)


def test_same_seed_any_chunking_identical() -> None:
    runs = 15_500  # last block partial
    ref = risk(runs=runs, keep_runs=True)
    assert ref.meta["n_blocks"] == 16
    for chunk in (1000, 7000, 1500, None, runs):
        _same(ref, risk(runs=runs, keep_runs=True, chunk_runs=chunk))
    _same(ref, risk(runs=runs, keep_runs=True, workers=2, chunk_runs=3000))
    procs = risk(runs=runs, keep_runs=True, workers=2, chunk_runs=2000, parallel="processes")
    assert procs.meta.get("processes") is True
    _same(ref, procs)
    other = risk(runs=runs, seed=8)
    assert not other.summary["expected_shortfall_t"].equals(ref.summary["expected_shortfall_t"])


def test_parallel_auto_uses_processes_for_large_runs() -> None:
    small = risk(runs=3000, workers=2)
    assert small.meta.get("threads") is True  # too few blocks to pay for processes
    large = risk(runs=mc.PROCESS_MIN_BLOCKS * 1000, workers=2, keep_runs=True)
    if mc._forkable():  # (not under a runner with threads of its own, e.g. pytest-xdist)
        assert large.meta.get("processes") is True and large.meta["start_method"] == "fork"
    else:
        assert large.meta.get("threads") is True
    threads = risk(runs=mc.PROCESS_MIN_BLOCKS * 1000, workers=2, keep_runs=True, parallel="threads")
    assert threads.meta.get("threads") is True
    _same(large, threads)


def test_seed_none_is_reported_and_reusable() -> None:
    a = risk(runs=1000, seed=None)
    b = risk(runs=1000, seed=a.meta["seed"])
    _same(a, b)


def test_dask_local_cluster_matches_numpy() -> None:
    pytest.importorskip("distributed")
    ref = risk(runs=6000, keep_runs=True)
    seen: list[tuple[int, int]] = []
    got = risk(
        runs=6000,
        keep_runs=True,
        backend="dask",
        chunk_runs=2000,
        cluster_options={"processes": False, "n_workers": 2},
        progress=lambda done, total: seen.append((done, total)),
    )
    _same(ref, got)
    assert seen[-1] == (6000, 6000) and len(seen) == 3
    assert got.meta["backend"] == "dask" and got.meta["workers"] == 2


# -- bad inputs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"runs": -5}, "positive"),
        ({"runs": 0}, "positive"),
        ({"runs": 2.5}, "positive"),
        ({"runs": 5000, "max_runs": 1000}, "exceeds the cap"),
        ({"alpha": 1.0}, "alpha"),
        ({"threshold": -0.1}, "threshold"),
        ({"backend": "spark"}, "backend"),
        ({"chunk_runs": 0}, "chunk_runs"),
        ({"seed": -1}, "seed"),
        ({"scheduler": "tcp://127.0.0.1:1"}, "backend='dask'"),
        ({"workers": 0}, "workers"),
        ({"workers": 2, "parallel": "gpu"}, "parallel"),
    ],
)
def test_bad_arguments(kw: dict[str, object], match: str) -> None:
    with pytest.raises(InputError, match=match):
        risk(**kw)


def test_max_runs_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINSEC_MAX_RUNS", "100")
    with pytest.raises(InputError, match="100"):
        risk(runs=101)


def test_unknown_or_absent_importer() -> None:
    with pytest.raises(UnknownNameError, match="Atlantis"):
        risk(importers="USA,Atlantis")
    with pytest.raises(DataMissingError, match="BRA"):
        risk(importers="BRA")


def test_keep_runs_memory_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mc, "MAX_KEPT_VALUES", 100)
    with pytest.raises(InputError, match="keep_runs"):
        risk(runs=1000, keep_runs=True)


def test_all_importers_by_default() -> None:
    res = risk(runs=1000, importers=None)
    b = toy_baseline()
    assert list(res.summary["importer"]) == [
        c for c, v in zip(b.countries, b.consumption_t, strict=True) if v > 0
    ]


def test_governance_scores_from_store(default_store) -> None:  # type: ignore[no-untyped-def]
    pv = governance_scores(default_store, 2022, basis="PV")
    assert set(pv.columns) >= {"country", "wgi_score", "wgi_year"}
    assert (pv["wgi_year"] == 2022).all()
    s = pv.set_index("country")["wgi_score"]
    assert s["COD"] > s["CHN"] > s["JPN"]
    assert s.between(0, 10).all()
    later = governance_scores(default_store, 2100, basis="all")
    assert later["wgi_year"].iloc[0] < 2100


def test_dask_scheduler_address() -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        got = risk(runs=3000, scheduler=cluster.scheduler_address, backend="dask")
        assert got.meta["cluster"] == f"scheduler {cluster.scheduler_address}"
        with distributed.Client(cluster) as client:
            again = risk(runs=3000, scheduler=client, backend="dask", chunk_runs=1000)
            assert client.status == "running"  # a client passed in is left open
    _same(risk(runs=3000), got)
    _same(got, again)


# -- the real engine on the default data -----------------------------------------------


@pytest.fixture(scope="module")
def graphite(default_store):  # type: ignore[no-untyped-def]
    from minsec.disrupt.baseline import build_baseline

    baseline = build_baseline(default_store, "graphite", 2022)
    return baseline, governance_scores(default_store, 2022)


@pytest.mark.default_data
def test_real_engine_numpy_and_dask_processes_identical(graphite) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("distributed")
    baseline, scores = graphite
    kw = {"importers": "USA,JPN,like-minded,KOR", "runs": 2500, "seed": 42, "scores": scores}
    ref = mc.run_risk(baseline, keep_runs=True, workers=1, **kw)
    threads = mc.run_risk(baseline, keep_runs=True, workers=2, chunk_runs=7000, **kw)
    dask = mc.run_risk(
        baseline,
        keep_runs=True,
        backend="dask",
        chunk_runs=1000,
        cluster_options={"n_workers": 2, "memory_limit": "1GiB"},
        **kw,
    )
    _same(ref, threads)
    _same(ref, dask)  # worker processes: other BLAS state, same bits
    assert len(dask.meta["worker_peak_rss_mb"]) == 2
    assert len(dask.meta["worker_cpu_s"]) == 2
    assert all(v > 0 for v in dask.meta["worker_cpu_s"].values())
    # the engine's outcome, reduced: CVaR exact, metrics ordered
    raw = ref.shortfall_runs_t
    assert raw is not None
    s = ref.summary
    for j in range(len(s)):
        var, cvar = mc.var_cvar(raw[:, j])
        assert s["var95_t"].iloc[j] == var
        assert s["cvar95_t"].iloc[j] == pytest.approx(cvar, rel=1e-12)
    assert (s["cvar95_t"] >= s["var95_t"]).all() and (s["var95_t"] >= 0).all()
    assert s.set_index("importer").loc["like-minded", "members"] > 30
    assert (s["price_p95"] >= 1.0).all()
    ex = ref.exporters.set_index("country")
    assert ex.loc["CHN", "history_factor"] == 4.0 and ex.loc["CHN", "event_rate"] > 0


@pytest.mark.default_data
def test_real_engine_from_store(default_store) -> None:  # type: ignore[no-untyped-def]
    res = mc.run_risk(default_store, "USA,JPN", commodity="Graphite", year=2022, runs=1000, seed=1)
    assert res.meta["commodity"] == "graphite" and res.meta["year"] == 2022
    assert res.meta["horizon_months"] == 12
    assert any("trade:" in n for n in res.meta["notes"])
    calm = mc.run_risk(
        default_store,
        "USA,JPN",
        commodity="graphite",
        year=2022,
        runs=1000,
        seed=1,
        model=model(p_best=1e-9, p_worst=1e-9, history_enabled=False, cap=0.0),
    )
    assert (calm.summary["expected_shortfall_t"] == 0).all()
    assert (calm.summary["cvar95_t"] == 0).all()
    assert (calm.summary["price_p95"] == 1.0).all()


def test_concurrent_simulations_share_the_blas_limit() -> None:
    from concurrent.futures import ThreadPoolExecutor

    threadpoolctl = pytest.importorskip("threadpoolctl")
    before = [i["num_threads"] for i in threadpoolctl.threadpool_info()]
    ref = risk(runs=3000, keep_runs=True, workers=1)
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda _: risk(runs=3000, keep_runs=True, workers=2), range(3)))
    for res in results:
        _same(ref, res)
    assert [i["num_threads"] for i in threadpoolctl.threadpool_info()] == before
    assert "1 thread per block" in ref.meta["blas"]
