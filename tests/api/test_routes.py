"""Every route: 200 with a token, 401 without; formats; the OpenAPI schema."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from tests.api.conftest import Api

pytestmark = pytest.mark.default_data

DATA_URLS = [
    "/api/v1/status",
    "/api/v1/catalog/commodities",
    "/api/v1/catalog/countries",
    "/api/v1/catalog/blocs",
    "/api/v1/supply?commodity=cobalt&stage=mine&year=2022",
    "/api/v1/supply/producers?commodity=cobalt&year=2022",
    "/api/v1/exposure?importer=JPN&commodity=cobalt&year=2022",
    "/api/v1/imports?importer=USA&commodity=cobalt&year=2022&top=5",
    "/api/v1/rank?importer=USA,JPN&year=2022&commodity=cobalt,graphite,lithium",
]
PRIVATE_URLS = ["/api/v1/stockpiles", "/api/v1/risk-jobs", "/api/v1/me"]


def test_health_needs_no_token(api: Api) -> None:
    r = api.client.get("/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


def test_openapi_is_published(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    paths = set(schema["paths"])
    for path in [
        "/health",
        "/api/v1/status",
        "/api/v1/supply",
        "/api/v1/supply/producers",
        "/api/v1/exposure",
        "/api/v1/imports",
        "/api/v1/rank",
        "/api/v1/stockpiles",
        "/api/v1/stockpiles/{stockpile_id}",
        "/api/v1/audit",
        "/api/v1/risk-jobs",
        "/api/v1/risk-jobs/{job_id}/result",
    ]:
        assert path in paths
    assert "HTTPBearer" in schema["components"]["securitySchemes"]


@pytest.mark.parametrize("url", DATA_URLS + PRIVATE_URLS + ["/api/v1/audit", "/api/v1/users"])
def test_401_without_token(api: Api, url: str) -> None:
    r = api.client.get(url)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    err = r.json()["error"]
    assert "Authorization: Bearer" in err["message"]
    assert err["field"] == "Authorization"


def test_401_with_wrong_or_malformed_token(api: Api) -> None:
    for header in ["Bearer msk_not-a-token", "Bearer nonsense", "Basic dXNlcjpwdw==", "Bearer"]:
        r = api.client.get("/api/v1/status", headers={"Authorization": header})
        assert r.status_code == 401, header
        assert r.json()["error"]["message"]


@pytest.mark.parametrize("url", DATA_URLS)
def test_data_routes_answer_json(api: Api, url: str) -> None:
    r = api.get(url, "jp_viewer")
    assert r.status_code == 200, r.text
    payload = r.json()
    assert set(payload) == {"meta", "data"}
    assert payload["data"], url
    assert payload["meta"]["rows"] == len(payload["data"])


def test_me(api: Api) -> None:
    assert api.get("/api/v1/me", "jp_analyst").json() == {
        "user": "jp_analyst",
        "party": "JPN",
        "role": "analyst",
    }


def test_supply_matches_the_python_api(api: Api, default_store) -> None:  # type: ignore[no-untyped-def]
    from minsec import assess

    r = api.get("/api/v1/supply?commodity=cobalt&stage=mine&year=2022", "us_viewer")
    row = r.json()["data"][0]
    expected = assess.supply(default_store, commodities="cobalt", stage="mine", years=[2022])
    assert row["hhi"] == pytest.approx(float(expected["hhi"].iloc[0]))
    assert row["top1_country"] == expected["top1_country"].iloc[0]


def test_rank_weights_and_top(api: Api) -> None:
    url = "/api/v1/rank?importer=USA&year=2022&top=3&weights=import_concern=2,import_reliance=0.5"
    r = api.get(url, "us_viewer")
    assert r.status_code == 200, r.text
    body = r.json()
    assert [row["rank"] for row in body["data"]] == [1, 2, 3]
    assert body["meta"]["weights"]["import_concern"] == 2.0


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_file_formats(api: Api, fmt: str) -> None:
    r = api.get(f"/api/v1/supply/producers?commodity=cobalt&year=2022&format={fmt}", "us_viewer")
    assert r.status_code == 200
    assert "attachment" in r.headers["content-disposition"]
    if fmt == "csv":
        assert r.headers["content-type"].startswith("text/csv")
        frame = pd.read_csv(io.StringIO(r.text))
    else:
        assert r.headers["content-type"] == "application/vnd.apache.parquet"
        frame = pd.read_parquet(io.BytesIO(r.content))
    js = api.get("/api/v1/supply/producers?commodity=cobalt&year=2022", "us_viewer").json()
    assert len(frame) == len(js["data"])
    assert list(frame["country"]) == [row["country"] for row in js["data"]]


def test_indicator_answers_are_cached(api: Api) -> None:
    url = "/api/v1/imports?importer=JPN&commodity=graphite&year=2023"
    api.get(url, "us_viewer")
    hits = api.state.cache.hits
    again = api.get(url + "&format=json", "jp_viewer")
    assert again.status_code == 200
    assert api.state.cache.hits == hits + 1
    assert again.json()["meta"]["store_checksum"] == api.state.stores.checksum()


def test_data_missing_is_409(api: Api) -> None:
    r = api.get("/api/v1/supply?reserves=true", "us_viewer")
    assert r.status_code == 409
    assert "usgs-mcs" in r.json()["error"]["message"]
