"""The mineral briefing: figures equal the assessment functions, gaps are said, sources cited."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from minsec.assess.exposure import DEFAULT_PRODUCTION_SOURCE, exposure, imports_by_supplier
from minsec.assess.supply import supply
from minsec.catalog import blocs, commodities
from minsec.disrupt.scenario import get_scenario, simulate
from minsec.report import svg
from minsec.report.mineral_brief import build_mineral_brief, write_mineral_html
from minsec.store import Store
from tests.cli_helpers import run_cli
from tests.report._html import key_figures, links, tornado_tables

pytestmark = pytest.mark.default_data


def _pct(x: float, digits: int = 1) -> str:
    return f"{100 * x:,.{digits}f} %"


@pytest.fixture(scope="module")
def gallium(default_store: Store, tmp_path_factory: pytest.TempPathFactory) -> tuple[object, str]:
    b = build_mineral_brief(default_store, "gallium", "USA,JPN", year=2024)
    page = write_mineral_html(b, tmp_path_factory.mktemp("ga")).read_text("utf-8")
    return b, page


@pytest.fixture(scope="module")
def cobalt(default_store: Store, tmp_path_factory: pytest.TempPathFactory) -> tuple[object, str]:
    b = build_mineral_brief(default_store, "cobalt", ["USA", "JPN"], year=2024)
    page = write_mineral_html(b, tmp_path_factory.mktemp("co")).read_text("utf-8")
    return b, page


def test_production_figures_equal_supply_structure(
    default_store: Store, gallium: tuple[object, str]
) -> None:
    _, page = gallium
    stage = commodities.get("gallium").wmd_stage
    oracle = supply(
        default_store,
        commodities="gallium",
        stage=stage,
        years=2024,
        sources=DEFAULT_PRODUCTION_SOURCE,
    ).iloc[0]
    values, refs = key_figures(page)
    assert values["hhi"] == f"{oracle['hhi']:,.0f}"
    assert values["top1"] == f"China, {_pct(oracle['top1_share'])}"
    assert oracle["top1_country"] == "CHN"
    assert values["top3"] == _pct(oracle["top3_share"])
    assert values["like_minded"] == _pct(oracle["share_like_minded"])
    assert values["concern"] == _pct(oracle["share_countries_of_concern"])
    assert values["governance"] == f"{oracle['wgi_weighted_hhi']:,.2f}"
    # every key figure carries at least one footnote that resolves to a source row
    for key in ("hhi", "top1", "top3", "like_minded", "concern", "governance"):
        assert refs[key], key
        for href in refs[key]:
            assert f'id="{href[1:]}"' in page


def test_gallium_trade_gap_is_said_not_zeroed(gallium: tuple[object, str]) -> None:
    b, page = gallium
    values, _ = key_figures(page)
    # no importer figure at all: no zero import reliance, no zero GeoPolRisk
    assert not [k for k in values if k.startswith(("USA.", "JPN."))]
    gap = next(g for g in b.gaps if g.topic == "trade")  # type: ignore[attr-defined]
    assert "No gallium trade data for 2024" in gap.message
    assert "no HS code" in gap.message and "minsec data import baci" in gap.message
    assert "Missing data — not zeros" in page and "No gallium trade data for 2024" in page
    # the named Ga/Ge scenarios are listed as not run, with the reason
    ran = {s.name: s.ran for s in b.scenarios}  # type: ignore[attr-defined]
    assert ran == {
        "china-gallium-germanium-2023": False,
        "china-gallium-germanium-us-ban-2024": False,
    }
    assert page.count("Not run:") == 2 and page.count("not run:") == 2


def test_germanium_trade_gap_names_the_last_year(default_store: Store, tmp_path: Path) -> None:
    codes = list(commodities.get("germanium").hs92)
    last = int(
        default_store.query(
            "SELECT max(year) AS y FROM trade WHERE list_contains(?, hs6)", [codes]
        ).iloc[0]["y"]
    )
    assert last < 2024
    b = build_mineral_brief(default_store, "germanium", "USA,JPN", year=2024)
    gap = next(g for g in b.gaps if g.topic == "trade")
    assert f"–{last}" in gap.message and "HS17" in gap.message
    assert all(not v.figures for v in b.importer_views)


def test_importer_figures_equal_exposure(default_store: Store, cobalt: tuple[object, str]) -> None:
    _, page = cobalt
    values, refs = key_figures(page)
    exp = exposure(default_store, "USA,JPN", years=[2024], commodities_="cobalt").set_index(
        "importer"
    )
    sup = imports_by_supplier(default_store, "USA,JPN", years=[2024], commodities_="cobalt")
    concern = set(blocs.blocs()["countries-of-concern"].members)
    for imp in ("USA", "JPN"):
        e = exp.loc[imp]
        assert values[f"{imp}.import_hhi"] == f"{e['import_hhi']:,.0f}"
        assert values[f"{imp}.geopolrisk"] == f"{e['geopolrisk_score']:,.4f}"
        s = sup[(sup["importer"] == imp) & (sup["value_kusd"] > 0)].sort_values("rank")
        share = s.loc[s["supplier"].isin(concern), "share_value"].sum()
        assert values[f"{imp}.concern_imports"] == _pct(share)
        top = "; ".join(f"{r.supplier_name} {_pct(r.share_value)}" for r in s.head(3).itertuples())
        assert values[f"{imp}.top_suppliers"] == top
        assert refs[f"{imp}.import_hhi"]
    assert values["USA.import_reliance"] == _pct(exp.loc["USA", "import_reliance"], 0)
    # Japan exports more cobalt than it produces and imports (it refines intermediates
    # outside the basket): the ratio is undefined, but a net exporter relies on no imports
    assert math.isnan(exp.loc["JPN", "import_reliance_unclipped"])
    assert exp.loc["JPN", "import_reliance"] == 0.0
    assert values["JPN.import_reliance"] == "0 %"
    assert "net exporter of the HS basket" in page


def test_sources_section_lists_the_store_with_checksums(
    default_store: Store, cobalt: tuple[object, str]
) -> None:
    b, page = cobalt
    sources = page[page.index('<section class="major" id="sources">') :]
    status = default_store.status()
    assert not status.empty
    for _, row in status.iterrows():
        assert row["source"] in sources and row["sha256"] in sources
    # every footnote marker in the page points at a row of the sources table
    targets = set(re.findall(r'href="#(src-\d+)"', page))
    assert targets and all(f'id="{t}"' in sources for t in targets)
    datasets = {c.dataset for c in b.citations.entries}  # type: ignore[attr-defined]
    assert {"World Mining Data", "BACI bilateral trade"} <= datasets
    assert "generated" in page and "minsec " in page


def test_html_is_self_contained(cobalt: tuple[object, str]) -> None:
    _, page = cobalt
    found = links(page)
    external = [(t, u, inside) for t, u, inside in found if re.match(r"(https?:)?//", u)]
    assert external, "the sources section links the publishers"
    assert all(inside for _, _, inside in external), external
    assert all(t == "a" for t, _, _ in external)
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert not re.search(r"url\((['\"])?(https?:)?//", page)
    assert page.count("<svg") >= 4  # map, producer bars, history, suppliers


def test_world_map_and_fallback(
    default_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    b = build_mineral_brief(default_store, "cobalt", "USA", year=2024)
    assert svg.world_available()
    page = write_mineral_html(b, tmp_path / "map").read_text("utf-8")
    top = b.producers.iloc[0]
    assert f"{top['country']} {_pct(top['share'])}" in page  # the map's direct label
    assert page.count("<path") > 150
    monkeypatch.setattr(svg, "_world", lambda: None)
    page = write_mineral_html(b, tmp_path / "bars").read_text("utf-8")
    assert page.count("<path") < 50 and "Largest producers, 2024" in page


def test_scenario_and_coordinated_response_match_the_engine(
    default_store: Store, tmp_path: Path
) -> None:
    b = build_mineral_brief(default_store, "graphite", "USA,JPN", year=2024)
    view = next(s for s in b.scenarios if s.name == "china-graphite-like-minded")
    assert view.ran and view.response
    result = simulate(default_store, get_scenario("china-graphite-like-minded"))
    oracle = result.summary.set_index(["stage", "party"])
    for row in view.rows:
        assert row["shortfall_pct"] == pytest.approx(
            oracle.loc[(row["stage"], row["party"]), "shortfall_pct"]
        )
    rs = result.response_shortfall
    for row in view.response:
        part = rs[(rs["partner"] == row["partner"]) & (rs["stage"] == row["stage"])]
        assert row["coordinated_t"] == pytest.approx(
            part.loc[part["coordinated"], "shortfall_t"].sum()
        )
    # the months on the price cap, as the engine's market table has them
    market = result.market
    assert (view.capped_months, view.months) == (int(market["at_price_cap"].sum()), len(market))
    page = write_mineral_html(b, tmp_path).read_text("utf-8")
    assert "Coordinated response (allied allocation)" in page
    assert 'data-scenario="china-graphite-like-minded"' in page
    assert f"the price sits on the cap in {view.capped_months} of {view.months} months" in page


def test_brief_says_how_the_model_did_on_real_cases(default_store: Store, tmp_path: Path) -> None:
    from minsec.disrupt.backtest import backtest, summarize

    b = build_mineral_brief(default_store, "graphite", "USA,JPN", year=2024)
    record = b.track_record
    assert record is not None and not record.message
    # the back-test's own figures, per statistic and set
    frame = backtest(default_store)
    table = summarize(frame).table.set_index(["kind", "set"])
    direct = next(
        r for r in record.mae if r["set"] == "holdout" and r["label"].startswith("imports from the")
    )
    assert direct["mae_pp"] == pytest.approx(
        table.loc[("trade from restricting", "holdout"), "mae_pp"]
    )
    assert direct["rows"] == table.loc[("trade from restricting", "holdout"), "rows"]
    # the graphite case's own rows, a defect marked; the cases the store lacks are named
    own = {(r["scenario"], r["flow"]): r for r in record.rows}
    assert set(own) == {("china-graphite-2023", "from restricting"),
                        ("china-graphite-2023", "from others"),
                        ("mozambique-graphite-2020", "from restricting"),
                        ("mozambique-graphite-2020", "from others")}  # fmt: skip
    row = frame[
        (frame["scenario"] == "china-graphite-2023") & (frame["flow"] == "from restricting")
    ]
    assert own[("china-graphite-2023", "from restricting")]["predicted_pct"] == pytest.approx(
        row["predicted_change_pct"].iloc[0]
    )
    assert any(m.startswith("china-antimony-2024: data missing") for m in record.missing)
    # the market's own swing: the placebo's floor on the clean held-out rows, beside the
    # model's error on the same rows (the back-test's own error of those rows)
    from minsec.disrupt import backtest_placebo as pl
    from minsec.disrupt.backtest import has_note, prepare

    cases, _ = prepare(default_store)
    floors = pl.with_floor(frame, pl.placebo(default_store, cases))
    held = floors[floors["in_mae"].astype(bool) & (floors["set"] == "holdout")
                  & ~has_note(floors) & floors["noise_floor_pp"].notna()]  # fmt: skip
    assert record.floor["rows"] == len(held) > 5
    mine = floors[(floors["scenario"] == "china-graphite-2023") & (floors["flow"] == "from others")]
    assert own[("china-graphite-2023", "from others")]["floor_pp"] == pytest.approx(
        mine["noise_floor_pp"].iloc[0]
    )
    assert record.floor["floor_pp"] == pytest.approx(held["noise_floor_pp"].mean())
    assert record.floor["model_pp"] == pytest.approx(held["error_pp"].abs().mean())
    assert 5 < record.floor["others_pct"] < 50
    page = write_mineral_html(b, tmp_path).read_text("utf-8")
    assert 'id="track-record"' in page and '<tr data-scenario="china-graphite-2023">' in page
    assert 'id="noise-floor"' in page and "blind to that swing" in page
    assert "a known defect of the observed data touches the row" in page
    # a mineral without a named scenario has no record (and no back-test run)
    assert build_mineral_brief(default_store, "zinc", "USA", year=2024).track_record is None


def test_brief_tornado_has_the_sensitivity_numbers(default_store: Store, tmp_path: Path) -> None:
    from minsec.disrupt.sensitivity import sensitivity

    b = build_mineral_brief(default_store, "graphite", "USA,JPN", year=2024)
    page = write_mineral_html(b, tmp_path).read_text("utf-8")
    tables = tornado_tables(page)
    ran = [s for s in b.scenarios if s.ran]
    moving = {(s.name, v.stage) for s in ran for v in s.sensitivity if v.moves}
    assert moving == set(tables) and moving
    # a scenario no assumption moves (the tariff case: no shortfall) says so, without a chart
    still = [(s, v) for s in ran for v in s.sensitivity if not v.moves]
    assert page.count('data-sensitivity="none"') == len(still)
    for _, v in still:
        assert all(r["swing"] == 0 for r in v.rows)
    for s in ran:
        if not any(v.moves for v in s.sensitivity):
            continue
        oracle = sensitivity(default_store, get_scenario(s.name), parties="USA,JPN",
                             baseline_year=s.baseline_year)  # fmt: skip
        for stage in oracle.stages:
            table = tables[s.name, stage]
            head = oracle.tornado("shortfall_pct", stage=stage)
            assert table["base"] == pytest.approx(head["at_base"].iloc[0])
            rows = table["rows"]
            assert isinstance(rows, list)
            # ranked by swing, as sensitivity() ranks them, with its numbers (0.1 pp)
            assert [r["parameter"] for r in rows] == head["parameter"].tolist()
            for r, o in zip(rows, head.to_dict("records"), strict=True):
                assert float(r["at_low"]) == pytest.approx(o["at_low"], abs=0.051)
                assert float(r["at_high"]) == pytest.approx(o["at_high"], abs=0.051)
                assert float(r["swing"]) == pytest.approx(o["swing"], abs=0.051)
                usa = oracle.table[
                    (oracle.table["party"] == "USA") & (oracle.table["stage"] == stage)
                    & (oracle.table["metric"] == "shortfall_pct")
                    & (oracle.table["parameter"] == o["parameter"])
                ].iloc[0]  # fmt: skip
                assert r["USA"] == f"{usa['at_low']:,.1f} → {usa['at_high']:,.1f}"
                price = oracle.tornado("peak_price_index", stage=stage).set_index("parameter")
                lo, hi = price.loc[o["parameter"], ["at_low", "at_high"]]
                assert r["price"] == f"{lo:,.2f} → {hi:,.2f}"
                # a provenance line per range: judgement or its source, and why
                line = re.search(
                    rf'<li id="range-{s.name}-{stage}-{o["parameter"]}"[^>]*>(.*?)</li>', page,
                    re.S,
                )  # fmt: skip
                assert line is not None
                assert ("judgement" if o["judgement"] else f"source: {o['source']}") in line[1]
            # the chart: a group per assumption in the same order, with direct labels
            at = page.index(f'<table class="tornado" data-scenario="{s.name}" data-stage="{stage}"')
            svg_part = page[page.rindex("<svg", 0, at) : at]
            assert f"Shortfall of USA+JPN ({stage})" in svg_part
            order = re.findall(r'<g data-parameter="([a-z_]+)">', svg_part)
            assert order == [r["parameter"] for r in rows]
            lead = head.iloc[0]
            assert f"{lead['at_low']:.1f} %</text>" in svg_part
            assert 'fill="url(#td' in svg_part  # the low value is hatched (black and white)


def test_cli_mineral_brief(
    default_store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ga"
    res = run_cli(
        capsys,
        "brief",
        "--mineral",
        "gallium",
        "--importer",
        "USA,JPN",
        "--no-pdf",
        "--out",
        str(out),
        "--store",
        str(default_store_path),
    )
    assert res.code == 0, res.err
    assert (out / "index.html").exists() and not (out / "index.pdf").exists()
    assert "Gallium: key figures, 2024" in res.out
    assert "missing data — trade: No gallium trade data for 2024" in " ".join(res.err.split())


@pytest.mark.integration
def test_hs17_import_fills_the_gallium_gap(default_store_path: Path, tmp_path: Path) -> None:
    import shutil

    from minsec.sources import baci
    from tests.conftest import shared_data

    path = shared_data("trade", "critical-materials-atlas", "baci_hs17_2024_critical30.parquet")
    copy = tmp_path / "store.duckdb"
    shutil.copy(default_store_path, copy)
    with Store(copy) as st:
        parsed = baci.parse(path, version="202601")
        parsed.write(st)
        b = build_mineral_brief(st, "gallium", "USA,JPN", year=2024)
        assert b.trade_source == parsed.source and b.trade_revision == "HS17"
        assert not [g for g in b.gaps if g.topic == "trade"]
        exp = exposure(
            st, "USA,JPN", years=[2024], commodities_="gallium", trade_source=parsed.source
        ).set_index("importer")
        assert b.figure("USA.import_hhi").raw == pytest.approx(exp.loc["USA", "import_hhi"])
        assert any("811292" in c and "Germanium" in c for c in b.trade_caveats)
        # gallium has no GeoPolRisk characterisation: said, not zero
        assert b.figure("USA.geopolrisk").raw is None
