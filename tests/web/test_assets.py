"""The dashboard's assets and its support endpoint, without a browser.

The page and its assets are served by the API app from package data, without a token and
outside the OpenAPI schema; nothing refers to another host (no CDN, no tiles, no fonts);
the world map is keyed by catalog ids; ``/api/v1/coverage`` agrees with the store.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from minsec.api import Settings
from minsec.catalog import countries
from minsec.store import Store
from minsec.web import static_dir
from tests.api.conftest import Api, start

STATIC = static_dir()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, default_store_path: Path) -> Iterator[Api]:
    home = tmp_path_factory.mktemp("web-assets")
    settings = Settings(store_path=default_store_path, state_path=home / "app.duckdb")
    yield from start(settings)


def test_page_and_assets_are_served_without_token(api: Api) -> None:
    page = api.client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert '<script type="module" src="/static/app.js">' in page.text
    for name, kind in [
        ("app.js", "javascript"),
        ("style.css", "text/css"),
        ("world.json", "application/json"),
    ]:
        r = api.client.get(f"/static/{name}")
        assert r.status_code == 200, name
        assert kind in r.headers["content-type"], name
    assert api.client.get("/static/nope.js").status_code == 404


def test_page_routes_are_not_in_the_openapi_schema(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    assert "/" not in paths
    assert not any(p.startswith("/static") for p in paths)
    assert "/api/v1/coverage" in paths


def test_no_asset_refers_to_another_host() -> None:
    files = [f for f in STATIC.iterdir() if f.suffix in {".html", ".js", ".css", ".json", ".svg"}]
    assert {f.name for f in files} >= {"index.html", "app.js", "style.css", "world.json"}
    for f in files:
        text = f.read_text(encoding="utf-8")
        # the SVG namespace is an identifier, not a request
        text = text.replace("http://www.w3.org/2000/svg", "")
        assert not re.search(r"https?://", text), f"{f.name} refers to another host"
        assert "@import" not in text and "fonts.g" not in text, f.name


def test_world_map_is_keyed_by_catalog_ids_and_small() -> None:
    path = STATIC / "world.json"
    assert path.stat().st_size < 200_000
    world = json.loads(path.read_text(encoding="utf-8"))
    ids = {c.id for c in countries.countries()}
    keys = set(world["countries"])
    assert {"USA", "JPN", "CHN", "COD", "AUS", "FRA", "NOR", "IND", "CHE", "TWN"} <= keys
    unknown = {k for k in keys if not k.startswith("_") and k not in ids}
    assert not unknown
    assert len([k for k in keys if k.startswith("_")]) <= 4  # W. Sahara, N. Cyprus, Somaliland
    assert all(c["d"].startswith("M") for c in world["countries"].values())
    assert (STATIC / "NOTICE").read_text(encoding="utf-8").count("public domain") >= 1


def test_coverage_matches_the_store(api: Api, default_store: Store) -> None:
    r = api.get("/api/v1/coverage", "jp_viewer")
    assert r.status_code == 200
    rows = r.json()["data"]
    cobalt = {row["stage"]: row for row in rows if row["commodity"] == "cobalt"}
    years = default_store.query(
        "SELECT min(year) AS lo, max(year) AS hi, count(DISTINCT country) AS n FROM production "
        "WHERE commodity = 'cobalt' AND stage = 'mine' AND quantity > 0"
    ).iloc[0]
    assert cobalt["mine"]["first_year"] == years["lo"]
    assert cobalt["mine"]["last_year"] == years["hi"]
    assert cobalt["mine"]["n_countries"] == years["n"]
    assert cobalt["mine"]["commodity_name"] == "Cobalt"
    assert (
        len({row["commodity"] for row in rows})
        == default_store.query(
            "SELECT count(DISTINCT commodity) AS n FROM production WHERE quantity > 0"
        ).iloc[0]["n"]
    )


def test_coverage_needs_a_token_and_takes_csv(api: Api) -> None:
    r = api.client.get("/api/v1/coverage")
    assert r.status_code == 401
    assert r.json()["error"]["message"]
    csv = api.get("/api/v1/coverage?format=csv", "us_viewer")
    assert csv.status_code == 200
    assert csv.text.splitlines()[0].startswith("commodity,commodity_name,stage")
