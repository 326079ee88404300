"""Bad input is a 4xx with a message that says what to fix — never a 500."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api

pytestmark = pytest.mark.default_data


def error(r) -> dict[str, object]:  # type: ignore[no-untyped-def]
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    body = r.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "field", "hint"}
    assert body["error"]["message"]
    return body["error"]


def test_unknown_commodity_suggests_the_nearest(api: Api) -> None:
    r = api.get("/api/v1/supply?commodity=cobalx", "us_viewer")
    assert r.status_code == 422
    err = error(r)
    assert err["field"] == "commodity"
    assert "cobalx" in str(err["message"])
    assert "Cobalt" in str(err["hint"])


def test_unknown_country_suggests_the_nearest(api: Api) -> None:
    r = api.get("/api/v1/exposure?importer=Japn&year=2022", "us_viewer")
    assert r.status_code == 422
    err = error(r)
    assert err["field"] == "importer"
    assert "Japan" in str(err["hint"])


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/supply?year=20x2", "year"),
        ("/api/v1/supply?year=2024-2018", "year"),
        ("/api/v1/supply?year=1000-3000", "year"),
        ("/api/v1/rank?year=abc", "year"),
        ("/api/v1/rank?year=99999", "year"),
        ("/api/v1/rank?weights=import_concern", "weights"),
        ("/api/v1/rank?weights=nonsense=1", "weights"),
        ("/api/v1/rank?weights=import_concern=-1", "weights"),
        ("/api/v1/imports?top=-1", "top"),
        ("/api/v1/supply?format=xlsx", "format"),
        ("/api/v1/exposure?importer=", "importer"),
        ("/api/v1/supply?commodity=" + "x" * 600, "commodity"),
        ("/api/v1/supply?commodty=cobalt", "commodty"),  # a typo is not ignored
    ],
)
def test_bad_query_parameters(api: Api, url: str, field: str) -> None:
    r = api.get(url, "us_viewer")
    assert r.status_code == 422, r.text
    assert error(r)["field"] == field


def test_malformed_json(api: Api) -> None:
    r = api.client.post(
        "/api/v1/stockpiles",
        headers={**api.h("us_analyst"), "Content-Type": "application/json"},
        content=b'{"commodity": "cobalt", "tonnes": ',
    )
    assert r.status_code == 422
    err = error(r)
    assert err["field"] == "body"
    assert "not valid JSON" in str(err["message"])


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"commodity": "cobalt", "tonnes": "lots"}, "tonnes"),
        ({"commodity": "cobalt", "tonnes": -5}, "tonnes"),
        ({"commodity": "cobalt"}, "tonnes"),
        ({"commodity": "cobalt", "tonnes": 1, "colour": "red"}, "colour"),
        ({"commodity": "cobalt", "tonnes": 1, "shared_with": "JPN"}, "shared_with"),
        ({"commodity": "cobalt", "tonnes": 1, "shared_with": ["Narnia"]}, "shared_with"),
        ({"commodity": "unobtainium", "tonnes": 1}, "commodity"),
        ([1, 2, 3], "body"),
    ],
)
def test_wrong_types_and_values_in_a_body(api: Api, payload: object, field: str) -> None:
    before = len(api.get("/api/v1/stockpiles", "us_analyst").json()["data"])
    r = api.post("/api/v1/stockpiles", "us_analyst", json=payload)
    assert r.status_code == 422, r.text
    assert error(r)["field"] == field
    # nothing half-written
    assert len(api.get("/api/v1/stockpiles", "us_analyst").json()["data"]) == before


def test_oversized_body_is_413(api: Api) -> None:
    big = {"commodity": "cobalt", "tonnes": 1, "note": "x" * 200_000}
    r = api.post("/api/v1/stockpiles", "us_analyst", json=big)
    assert r.status_code == 413
    err = error(r)
    assert "100,000 bytes" in str(err["message"])


def test_oversized_chunked_body_is_413(api: Api) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(30):
            yield b"x" * 10_000

    r = api.client.post("/api/v1/stockpiles", headers=api.h("us_analyst"), content=chunks())
    assert r.status_code == 413
    error(r)


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({"commodity": "cobalt", "runs": 1_000_000_000}, "runs", "limit of 50,000"),
        ({"commodity": "cobalt", "runs": -3}, "runs", "greater than or equal to 1"),
        ({"commodity": "cobalt", "runs": 10, "overrides": {"CHN": -0.2}}, "overrides.CHN", ""),
        ({"commodity": "cobalt", "runs": 10, "overrides": {"Atlantis": 0.2}}, "overrides", ""),
        ({"commodity": "cobalt", "runs": "many"}, "runs", "integer"),
        ({"commodity": "cobalt", "alpha": 1.5}, "alpha", ""),
        ({"commodity": "kryptonite"}, "commodity", ""),
        ({"commodity": "cobalt", "importer": "Mordor"}, "importer", ""),
    ],
)
def test_bad_risk_jobs_are_refused_before_queueing(
    api: Api, payload: dict[str, object], field: str, words: str
) -> None:
    before = len(api.get("/api/v1/risk-jobs", "us_analyst").json())
    r = api.post("/api/v1/risk-jobs", "us_analyst", json=payload)
    assert r.status_code == 422, r.text
    err = error(r)
    assert err["field"] == field
    assert words in str(err["message"])
    assert len(api.get("/api/v1/risk-jobs", "us_analyst").json()) == before


def test_unknown_endpoint_and_method(api: Api) -> None:
    r = api.get("/api/v1/nothing-here", "us_viewer")
    assert r.status_code == 404
    assert "/docs" in str(error(r)["hint"])
    r = api.client.put("/api/v1/supply", headers=api.h("us_viewer"))
    assert r.status_code == 405
    error(r)
