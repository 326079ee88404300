"""The audit log: every write appends one entry; nothing can change or delete one."""

from __future__ import annotations

import pytest

from minsec.state.audit import AuditLog
from tests.api.conftest import Api

pytestmark = pytest.mark.default_data


def entries(api: Api, user: str = "us_admin", **params: object) -> list[dict[str, object]]:
    r = api.client.get("/api/v1/audit", headers=api.h(user), params=params)
    assert r.status_code == 200, r.text
    return list(r.json()["data"])


def test_only_admins_read_it(api: Api) -> None:
    for user in ("us_viewer", "us_analyst", "jp_analyst"):
        r = api.get("/api/v1/audit", user)
        assert r.status_code == 403
        assert "admin" in r.json()["error"]["message"]


def test_every_write_is_recorded(api: Api) -> None:
    last = max((int(e["id"]) for e in entries(api)), default=0)  # type: ignore[call-overload]
    sid = api.post(
        "/api/v1/stockpiles", "us_analyst", json={"commodity": "nickel", "tonnes": 5}
    ).json()["id"]
    api.patch(f"/api/v1/stockpiles/{sid}", "us_analyst", json={"tonnes": 6})
    api.patch(f"/api/v1/stockpiles/{sid}", "us_admin", json={"shared_with": ["JPN"]})
    api.delete(f"/api/v1/stockpiles/{sid}", "us_analyst")
    new = entries(api, after_id=last)
    ours = [e for e in new if e["object"] == f"stockpile:{sid}"]
    assert [e["action"] for e in ours] == [
        "stockpile.create",
        "stockpile.update",
        "stockpile.share",
        "stockpile.delete",
    ]
    assert [e["user"] for e in ours] == ["us_analyst", "us_analyst", "us_admin", "us_analyst"]
    assert all(e["party"] == "USA" and e["at"] for e in ours)
    assert ours[1]["detail"] == {"tonnes": 6.0}
    # a refused write leaves no entry
    api.post("/api/v1/stockpiles", "us_analyst", json={"commodity": "nope", "tonnes": 5})
    api.post("/api/v1/stockpiles", "us_viewer", json={"commodity": "nickel", "tonnes": 5})
    assert len(entries(api, after_id=last)) == len(new)


def test_admins_see_their_own_party_only(api: Api) -> None:
    api.post("/api/v1/stockpiles", "jp_analyst", json={"commodity": "lithium", "tonnes": 7})
    us = entries(api, "us_admin")
    jp = entries(api, "jp_admin")
    assert {e["party"] for e in us} == {"USA"}
    assert {e["party"] for e in jp} == {"JPN"}
    assert not {e["id"] for e in us} & {e["id"] for e in jp}
    assert any(e["action"] == "stockpile.create" for e in jp)


def test_filter_by_action(api: Api) -> None:
    rows = entries(api, action="user.add")
    assert rows
    assert {e["action"] for e in rows} == {"user.add"}


def test_the_api_offers_no_way_to_change_or_delete_entries(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    audit_paths = {p: ops for p, ops in schema["paths"].items() if "audit" in p}
    assert set(audit_paths) == {"/api/v1/audit"}
    assert set(audit_paths["/api/v1/audit"]) == {"get"}
    first = entries(api)[0]
    for method in ("delete", "put", "patch", "post"):
        for url in ("/api/v1/audit", f"/api/v1/audit/{first['id']}"):
            r = api.client.request(method.upper(), url, headers=api.h("us_admin"), json={})
            assert r.status_code in (404, 405), (method, url, r.status_code)
    assert entries(api)[0] == first


def test_the_repository_has_no_update_or_delete() -> None:
    public = {name for name in dir(AuditLog) if not name.startswith("_")}
    assert public == {"append", "entries", "verify"}


def test_hash_chain_detects_tampering(api: Api) -> None:
    log = api.state.audit
    assert log.verify() is None
    assert api.get("/api/v1/audit", "us_admin").json()["meta"]["chain_intact"] is True
    # someone with the database file edits an entry behind the API's back
    target = entries(api)[1]["id"]
    db = api.state.db
    with db.transaction() as tx:
        old = tx.fetchone("SELECT user_name FROM audit WHERE id = ?", [target])
        tx.execute("UPDATE audit SET user_name = 'mallory' WHERE id = ?", [target])
    try:
        assert log.verify() == target
        assert api.get("/api/v1/audit", "us_admin").json()["meta"]["chain_intact"] is False
    finally:
        assert old is not None
        with db.transaction() as tx:
            tx.execute("UPDATE audit SET user_name = ? WHERE id = ?", [old[0], target])
    assert log.verify() is None
