"""Party-private stockpiles: invisible to other parties in every answer, export and log."""

from __future__ import annotations

import io
import logging

import pandas as pd
import pytest

from tests.api.conftest import Api

pytestmark = pytest.mark.default_data

SECRET_NOTE = "Release plan: keep 4,321 t for magnets (confidential)"
SECRET_TONNES = 98765.4321


def create(api: Api, user: str = "us_analyst", **fields: object) -> dict[str, object]:
    payload = {"commodity": "cobalt", "tonnes": SECRET_TONNES, "note": SECRET_NOTE, **fields}
    r = api.post("/api/v1/stockpiles", user, json=payload)
    assert r.status_code == 201, r.text
    return dict(r.json())


def visible_ids(api: Api, user: str) -> set[str]:
    return {row["id"] for row in api.get("/api/v1/stockpiles", user).json()["data"]}


def test_crud_for_the_owning_party(api: Api) -> None:
    item = create(api, max_release_t_per_month=500, commodity="Cobalt")
    sid = item["id"]
    assert item["owner_party"] == "USA"
    assert item["commodity"] == "cobalt"
    assert item["created_by"] == "us_analyst"
    assert api.get(f"/api/v1/stockpiles/{sid}", "us_viewer").json()["tonnes"] == SECRET_TONNES
    r = api.patch(f"/api/v1/stockpiles/{sid}", "us_admin", json={"tonnes": 10.5})
    assert r.status_code == 200
    assert r.json()["tonnes"] == 10.5
    assert r.json()["updated_by"] == "us_admin"
    assert api.delete(f"/api/v1/stockpiles/{sid}", "us_analyst").status_code == 204
    assert api.get(f"/api/v1/stockpiles/{sid}", "us_analyst").status_code == 404


def test_viewer_cannot_write(api: Api) -> None:
    r = api.post("/api/v1/stockpiles", "us_viewer", json={"commodity": "cobalt", "tonnes": 1})
    assert r.status_code == 403
    assert "analyst" in r.json()["error"]["message"]
    sid = create(api)["id"]
    assert (
        api.patch(f"/api/v1/stockpiles/{sid}", "us_viewer", json={"tonnes": 1}).status_code == 403
    )
    assert api.delete(f"/api/v1/stockpiles/{sid}", "us_viewer").status_code == 403


def test_other_party_sees_nothing_anywhere(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sid = str(create(api)["id"])
    for user in ("jp_viewer", "jp_analyst", "jp_admin"):
        assert sid not in visible_ids(api, user)
        # get-by-id: 404, exactly as for an id that does not exist (existence does not leak)
        r = api.get(f"/api/v1/stockpiles/{sid}", user)
        missing = api.get("/api/v1/stockpiles/stk_0000000000000000", user)
        assert r.status_code == missing.status_code == 404
        assert r.json()["error"]["message"].replace(sid, "X") == missing.json()["error"][
            "message"
        ].replace("stk_0000000000000000", "X")
        for fmt in ("csv", "parquet", "json"):
            r = api.get(f"/api/v1/stockpiles?format={fmt}", user)
            assert r.status_code == 200
            assert sid.encode() not in r.content
            assert str(SECRET_TONNES).encode() not in r.content
            assert b"confidential" not in r.content
    # writes by another party: 404 too (they cannot know it exists)
    assert (
        api.patch(f"/api/v1/stockpiles/{sid}", "jp_analyst", json={"tonnes": 0}).status_code == 404
    )
    assert api.delete(f"/api/v1/stockpiles/{sid}", "jp_admin").status_code == 404
    # JPN's admin reads JPN's audit log: nothing about it
    audit = api.get("/api/v1/audit", "jp_admin")
    assert audit.status_code == 200
    assert sid not in audit.text
    for fmt in ("csv", "parquet"):
        assert sid.encode() not in api.get(f"/api/v1/audit?format={fmt}", "jp_admin").content
    # and no log line carries the private values
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "confidential" not in logged
    assert str(SECRET_TONNES) not in logged


def test_sharing_makes_it_visible_to_that_party_only(api: Api) -> None:
    sid = str(create(api)["id"])
    assert sid not in visible_ids(api, "jp_viewer")
    r = api.patch(f"/api/v1/stockpiles/{sid}", "us_analyst", json={"shared_with": ["Japan", "AUS"]})
    assert r.status_code == 200
    assert r.json()["shared_with"] == ["AUS", "JPN"]
    assert sid in visible_ids(api, "jp_viewer")
    seen = api.get(f"/api/v1/stockpiles/{sid}", "jp_viewer").json()
    assert seen["tonnes"] == SECRET_TONNES
    assert seen["shared_with"] == ["JPN"]  # not the owner's other partners
    csv = pd.read_csv(io.StringIO(api.get("/api/v1/stockpiles?format=csv", "jp_viewer").text))
    assert sid in set(csv["id"])
    parquet = pd.read_parquet(
        io.BytesIO(api.get("/api/v1/stockpiles?format=parquet", "jp_viewer").content)
    )
    assert sid in set(parquet["id"])
    # shared is read-only for JPN
    r = api.patch(f"/api/v1/stockpiles/{sid}", "jp_analyst", json={"tonnes": 1})
    assert r.status_code == 403
    assert "belongs to USA" in r.json()["error"]["message"]
    # unshare: gone again
    api.patch(f"/api/v1/stockpiles/{sid}", "us_analyst", json={"shared_with": []})
    assert sid not in visible_ids(api, "jp_viewer")
    assert api.get(f"/api/v1/stockpiles/{sid}", "jp_viewer").status_code == 404


def test_filter_by_commodity(api: Api) -> None:
    gid = str(create(api, commodity="graphite")["id"])
    rows = api.get("/api/v1/stockpiles?commodity=graphite", "us_viewer").json()["data"]
    assert gid in {r["id"] for r in rows}
    assert {r["commodity"] for r in rows} == {"graphite"}
    r = api.get("/api/v1/stockpiles?commodity=grafite", "us_viewer")
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "commodity"


def test_patch_rejects_null_for_required_fields(api: Api) -> None:
    sid = str(create(api)["id"])
    r = api.patch(f"/api/v1/stockpiles/{sid}", "us_analyst", json={"tonnes": None})
    assert r.status_code == 422
    assert api.get(f"/api/v1/stockpiles/{sid}", "us_analyst").json()["tonnes"] == SECRET_TONNES


def test_repository_filters_in_the_query(api: Api) -> None:
    """The repository itself never returns another party's rows (not only the routes)."""
    sid = str(create(api)["id"])
    repo = api.state.stockpiles
    assert sid in {s.id for s in repo.visible("USA")}
    assert sid not in {s.id for s in repo.visible("JPN")}
    assert sid not in {s.id for s in repo.visible("KOR")}
