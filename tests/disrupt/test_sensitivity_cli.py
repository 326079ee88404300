"""`minsec simulate --sensitivity` on the default data, and the tornado against simulate()."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from minsec.disrupt.scenario import get_scenario, simulate
from minsec.disrupt.sensitivity import WORLD, sensitivity
from minsec.store import Store
from tests.cli_helpers import run_cli

pytestmark = pytest.mark.default_data

NAME = "china-graphite-like-minded"


def test_base_case_is_the_published_simulation(default_store: Store) -> None:
    sc = get_scenario(NAME)
    result = simulate(default_store, sc)
    tornado = sensitivity(default_store, sc, parties="USA,JPN,like-minded")
    assert tornado.headline_party == "USA+JPN+like-minded"
    assert tornado.parties == ["USA", "JPN", "like-minded", WORLD]
    summary = result.summary.set_index("party")
    table = tornado.table
    for party in ("USA", "JPN", "like-minded"):
        rows = table[(table["party"] == party) & (table["metric"] == "shortfall_t")]
        assert len(rows) == len(tornado.ranges)
        assert rows["at_base"].to_numpy() == pytest.approx(summary.loc[party, "shortfall_t"])
        pct = table[(table["party"] == party) & (table["metric"] == "shortfall_pct")]
        assert pct["at_base"].iloc[0] == pytest.approx(summary.loc[party, "shortfall_pct"])
    peak = tornado.tornado("peak_price_index")
    assert peak["at_base"].iloc[0] == pytest.approx(result.market["price_index"].max())
    mean = tornado.tornado("mean_price_index")
    assert mean["at_base"].iloc[0] == pytest.approx(result.market["price_index"].mean())
    # the union of the partners is like-minded itself (the US and Japan are members)
    union = tornado.tornado("shortfall_t")
    assert union["at_base"].iloc[0] == pytest.approx(summary.loc["like-minded", "shortfall_t"])
    # a watertight ban hurts the targets more than one that leaks half (leakage 0 vs 0.5)
    leak = union[union["parameter"] == "leakage"].iloc[0]
    assert leak["at_low"] > leak["at_base"] > leak["at_high"]
    # a ban on 50 % of the flows instead of 100 % cuts the shortfall; x1.5 is capped at 1
    share = union[union["parameter"] == "event_fraction"].iloc[0]
    assert share["at_low"] < share["at_base"] == pytest.approx(share["at_high"])
    assert "high value limited to 0–1" in share["note"]


def test_cli_json_csv_and_table(
    capsys: pytest.CaptureFixture[str], default_store_path: Path, default_store: Store
) -> None:
    store = ["--store", str(default_store_path)]
    res = run_cli(capsys, "simulate", "-s", NAME, "--sensitivity", "-f", "json", *store)
    assert res.code == 0, res.err
    payload = json.loads(res.out)
    meta = payload["meta"]
    assert meta["headline_party"] == "USA+JPN"
    assert {r["id"] for r in meta["ranges"]} >= {"leakage", "spot_share", "spare_capacity"}
    assert all(r["judgement"] or r["source"] != "judgement" for r in meta["ranges"])
    rows = pd.DataFrame(payload["data"])
    expected = sensitivity(default_store, get_scenario(NAME)).table
    pd.testing.assert_frame_equal(
        rows[expected.columns].astype(expected.dtypes.to_dict()), expected, rtol=1e-9
    )

    csv = run_cli(capsys, "simulate", "-s", NAME, "--sensitivity", "--party", "JPN", "-f", "csv",
                  *store)  # fmt: skip
    assert csv.code == 0, csv.err
    frame = pd.read_csv(io.StringIO(csv.out))
    assert set(frame["party"]) == {"JPN", WORLD}
    first = frame[(frame["party"] == "JPN") & (frame["metric"] == "shortfall_pct")]
    assert first["rank"].tolist() == list(range(1, len(first) + 1))
    assert first["swing"].is_monotonic_decreasing

    table = run_cli(capsys, "simulate", "-s", NAME, "--sensitivity", *store)
    assert table.code == 0, table.err
    lines = table.out.splitlines()
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    tornado_at = next(i for i, line in enumerate(lines) if line.startswith("Tornado — USA+JPN"))
    bars = lines[tornado_at + 2 : tornado_at + 2 + len(first)]
    top = expected[(expected["party"] == "USA+JPN") & (expected["metric"] == "shortfall_pct")]
    assert [b[:24].strip() for b in bars] == top["label"].tolist()
    lead = top.iloc[0]
    assert f"{lead['at_low']:.1f} % | {lead['at_high']:.1f} %" in bars[0]
    assert "▒" in bars[0] and "█" in bars[0] and "│" in bars[0]
    assert "note:" in table.err

    price = run_cli(capsys, "simulate", "-s", NAME, "--sensitivity", "--metric",
                    "peak_price_index", *store)  # fmt: skip
    assert price.code == 0 and "Tornado — world" in price.out

    bad = run_cli(capsys, "simulate", "-s", NAME, "--sensitivity", "--party", "Atlantis", *store)
    assert bad.code == 2 and "Atlantis" in bad.err
    wrong = run_cli(capsys, "simulate", "-s", NAME, "--sensitivity", "--metric", "mood", *store)
    assert wrong.code == 2
