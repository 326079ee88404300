"""The tornado over the web API: a named scenario, a posted spec, bad input."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from minsec.disrupt.scenario import get_scenario
from minsec.disrupt.sensitivity import sensitivity
from minsec.store import Store
from tests.api.conftest import Api

pytestmark = pytest.mark.default_data

NAME = "china-graphite-2023"


def test_named_and_posted_scenarios_give_the_tornado(api: Api, default_store: Store) -> None:
    expected = sensitivity(default_store, get_scenario(NAME), parties="USA,JPN").table
    r = api.post(f"/api/v1/scenarios/{NAME}/sensitivity", "jp_viewer")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["meta"]["headline_party"] == "USA+JPN"
    assert {row["id"] for row in body["meta"]["ranges"]} == set(expected["parameter"])
    got = pd.DataFrame(body["data"])[expected.columns]
    pd.testing.assert_frame_equal(got.astype(expected.dtypes.to_dict()), expected, rtol=1e-9)

    spec = api.get(f"/api/v1/scenarios/{NAME}", "jp_viewer").json()
    posted = api.post("/api/v1/sensitivity?party=like-minded&format=csv", "us_viewer", json=spec)
    assert posted.status_code == 200, posted.text
    frame = pd.read_csv(io.StringIO(posted.text))
    assert set(frame["party"]) == {"like-minded", "world"}
    mine = sensitivity(default_store, get_scenario(NAME), parties="like-minded").table
    lows = frame[frame["metric"] == "shortfall_pct"]["at_low"].to_numpy()
    assert lows == pytest.approx(mine[mine["metric"] == "shortfall_pct"]["at_low"].to_numpy())


def test_bad_party_and_unknown_scenario(api: Api) -> None:
    r = api.post(f"/api/v1/scenarios/{NAME}/sensitivity?party=USA,Atlantis", "jp_viewer")
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == "party"
    assert "Atlantis" in r.json()["error"]["message"]
    r = api.post("/api/v1/scenarios/china-graphite/sensitivity", "jp_viewer")
    assert r.status_code == 404
    r = api.post("/api/v1/scenarios/china-gallium-germanium-2023/sensitivity", "jp_viewer")
    assert r.status_code == 409
