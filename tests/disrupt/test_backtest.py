"""Back-test against observed trade: it runs and produces its table (accuracy is reported)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from minsec.catalog import countries
from minsec.disrupt.scenario import backtest, backtest_markdown, backtest_one, get_scenario
from minsec.sources import baci
from minsec.store import Store
from tests.conftest import shared_data

ATLAS = ("trade", "critical-materials-atlas")


@pytest.mark.default_data
def test_backtest_runs_on_the_default_data(default_store: Store) -> None:
    frame = backtest(default_store)
    ok = frame[frame["status"] == "ok"]
    assert set(ok["scenario"]) == {"china-graphite-2023", "indonesia-nickel-ore-2020"}
    nickel = ok[ok["scenario"] == "indonesia-nickel-ore-2020"]
    assert sorted(set(nickel["observed_year"])) == [2020, 2021, 2022, 2023, 2024]
    assert set(ok["flow"]) == {"from restricting", "from others", "total"}
    # a full ban: the model predicts no more imports from Indonesia
    first = nickel[(nickel["observed_year"] == 2020) & (nickel["flow"] == "from restricting")]
    assert first["predicted_change_pct"].iloc[0] == pytest.approx(-100.0)
    assert ok[["baseline", "predicted", "observed", "error_pp"]].notna().all().all()
    # Ga/Ge needs the HS17 file: the row says so instead of returning zeros
    gage = frame[frame["scenario"] == "china-gallium-germanium-2023"]
    assert len(gage) == 1 and "HS17" in gage["status"].iloc[0]
    table = backtest_markdown(frame)
    assert table.startswith("| scenario | HS |") and "Mean absolute error" in table
    assert "china-gallium-germanium-2023: data missing" in table


def _hs17_store(path: Path) -> Store:
    """BACI HS17 2024 (atlas parquet, with quantities) and 2022 (values only) for 811292."""
    parquet = shared_data(*ATLAS, "baci_hs17_2024_critical30.parquet")
    values = shared_data(*ATLAS, "baci_hs17_2022_critical30_values.csv")
    st = Store(path)
    baci.parse(parquet, hs_revision="HS17", source_id="baci-hs17-2024").write(st)
    raw = pd.read_csv(values, dtype={"i": str, "j": str, "cmd": str})
    raw = raw[raw["cmd"].str.zfill(6) == "811292"]
    codes = countries.baci_to_id()

    def cid(code: str) -> str | None:
        if code in baci.BACI_PSEUDO_ISO3:
            return codes.get(baci.BACI_PSEUDO_ISO3[code])
        return countries.find(code)

    trade = pd.DataFrame(
        {
            "hs6": "811292",
            "hs_revision": "HS17",
            "year": 2022,
            "exporter": raw["i"].map(cid),
            "importer": raw["j"].map(cid),
            "value_kusd": raw["value"] / 1000.0,
            "quantity_t": None,
        }
    ).dropna(subset=["exporter", "importer"])
    st.write_source(
        source="baci-hs17-2022-values",
        kind="test",
        sha256=hashlib.sha256(values.read_bytes()).hexdigest(),
        tables={"trade": trade},
    )
    return st


@pytest.mark.integration
def test_backtest_gallium_germanium_on_hs17(tmp_path: Path) -> None:
    with _hs17_store(tmp_path / "hs17.duckdb") as st:
        frame = backtest_one(st, get_scenario("china-gallium-germanium-2023"))
    assert (frame["status"] == "ok").all()
    assert set(frame["measure"]) == {"kUSD"} and set(frame["observed_year"]) == {2024}
    restricting = frame[frame["flow"] == "from restricting"].iloc[0]
    assert restricting["predicted_change_pct"] < 0
    assert "811292" in backtest_markdown(frame)


@pytest.mark.integration
def test_backtest_on_the_packaged_extract_equals_the_atlas_files(
    gage_store: Store, tmp_path: Path
) -> None:
    """`minsec data fetch` alone back-tests Ga/Ge, with the numbers of the public files."""
    scenario = get_scenario("china-gallium-germanium-2023")
    packaged = backtest_one(gage_store, scenario)
    with _hs17_store(tmp_path / "hs17.duckdb") as st:
        atlas = backtest_one(st, scenario)
    assert (packaged["status"] == "ok").all() and len(packaged) == len(atlas) == 3
    cols = ["flow", "baseline", "predicted", "observed", "error_pp"]
    pd.testing.assert_frame_equal(
        packaged[cols].reset_index(drop=True), atlas[cols].reset_index(drop=True), rtol=1e-9
    )
