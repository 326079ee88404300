"""Users and tokens: the CLI (`minsec users`) and the admin API; tokens stored hashed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from minsec.api import Settings
from tests.api.conftest import Api, bearer, start
from tests.cli_helpers import run_cli


def test_cli_add_list_token_revoke(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, default_store_path: Path
) -> None:
    state = tmp_path / "app.duckdb"
    res = run_cli(capsys, "users", "add", "akiko", "--party", "Japan", "--role", "analyst",
                  "--state", str(state))  # fmt: skip
    assert res.code == 0, res.err
    token = res.out.strip()
    assert token.startswith("msk_")
    assert len(token) > 40
    assert "shown only now" in res.err

    # never stored in clear: only its SHA-256
    con = duckdb.connect(str(state), read_only=True)
    stored = [r[0] for r in con.execute("SELECT token_sha256 FROM tokens").fetchall()]
    dump = str(con.execute("SELECT * FROM tokens").fetchall())
    con.close()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    assert token not in dump

    res = run_cli(capsys, "users", "list", "--format", "csv", "--state", str(state))
    assert res.code == 0
    assert "akiko,JPN,analyst,1" in res.out
    assert token not in res.out

    res = run_cli(capsys, "users", "add", "akiko", "--party", "JPN", "--state", str(state))
    assert res.code == 2
    assert "already exists" in res.err
    res = run_cli(capsys, "users", "add", "bob", "--party", "Narnia", "--state", str(state))
    assert res.code == 2
    assert "unknown party" in res.err
    res = run_cli(capsys, "users", "add", "bob", "--party", "US", "--role", "king",
                  "--state", str(state))  # fmt: skip
    assert res.code == 2
    assert "viewer, analyst, admin" in res.err

    res = run_cli(capsys, "users", "token", "akiko", "--state", str(state))
    second = res.out.strip()
    assert res.code == 0
    assert second.startswith("msk_")
    assert second != token

    # the token works on the API
    settings = Settings(store_path=default_store_path, state_path=state)
    for api in start(settings, users=False):
        r = api.client.get("/api/v1/me", headers=bearer(token))
        assert r.json() == {"user": "akiko", "party": "JPN", "role": "analyst"}
        audit = api.state.audit.entries("JPN")
        assert [e.action for e in audit][:2] == ["user.add", "token.issue"]
        assert audit[0].user.startswith("cli:")

    res = run_cli(capsys, "users", "revoke", "akiko", "--state", str(state))
    assert res.code == 0
    assert "revoked 2 token(s)" in res.err
    for api in start(settings, users=False):
        assert api.client.get("/api/v1/me", headers=bearer(token)).status_code == 401
        assert api.client.get("/api/v1/me", headers=bearer(second)).status_code == 401


def test_admin_manages_users_of_own_party(api: Api) -> None:
    r = api.post("/api/v1/users", "jp_admin", json={"name": "hanako", "role": "viewer"})
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    assert api.client.get("/api/v1/me", headers=bearer(token)).json()["party"] == "JPN"
    names = {u["name"] for u in api.get("/api/v1/users", "jp_admin").json()}
    assert "hanako" in names
    assert "us_analyst" not in names
    # another party's admin cannot see or touch the user
    assert api.post("/api/v1/users/hanako/tokens", "us_admin").status_code == 404
    assert api.delete("/api/v1/users/hanako/tokens", "us_admin").status_code == 404
    # analysts cannot manage users
    assert api.post("/api/v1/users", "jp_analyst", json={"name": "x"}).status_code == 403
    r = api.delete("/api/v1/users/hanako/tokens", "jp_admin")
    assert r.json() == {"user": "hanako", "revoked": 1}
    assert api.client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    r = api.post("/api/v1/users", "jp_admin", json={"name": "bad name!"})
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "name"
