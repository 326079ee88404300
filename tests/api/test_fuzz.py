"""Property-based fuzzing of every operation of the OpenAPI schema (schemathesis).

Valid and invalid requests generated from /openapi.json go to the ASGI app in-process
with an admin token (the role that reaches every operation). Every answer must be a
non-5xx; every 4xx must carry the error shape ``{"error": {"message", "field", "hint"}}``
with a message; answers must conform to the documented status codes, content types and
schemas. Examples per operation are bounded so that the whole run stays well under 60 s.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance
from schemathesis.python import asgi

from minsec.api import Settings, create_app
from minsec.api.state import AppState
from tests.api.conftest import BOOT

pytestmark = pytest.mark.default_data

EXAMPLES = int(os.environ.get("MINSEC_FUZZ_EXAMPLES", "12"))
"""Examples per operation and mode; raise it for a deeper local run."""


@pytest.fixture(scope="module")
def fuzz_app(
    tmp_path_factory: pytest.TempPathFactory, default_store_path: Path
) -> Iterator[tuple[Any, dict[str, str]]]:
    home = tmp_path_factory.mktemp("fuzz")
    app = create_app(
        Settings(
            store_path=default_store_path,
            state_path=home / "app.duckdb",
            max_runs=2_000,
            max_active_jobs=1,
            max_years=10,
        )
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)  # starts the lifespan
    state: AppState = app.state.minsec
    _, _, token = state.accounts.add_user("fuzzer", "USA", "admin", by=BOOT)
    yield schema, {"Authorization": f"Bearer {token}"}
    asgi.shutdown_lifespans()


def _cases() -> list[tuple[str, str, GenerationMode]]:
    """(method, path, mode) for every operation, read from the schema without starting the app.

    Invalid-data mode only for operations that take input (an operation without parameters
    or body, like GET /health, has nothing that could be made invalid).
    """
    unused = Path("unused")
    paths = create_app(Settings(store_path=unused, state_path=unused)).openapi()["paths"]
    out = []
    for path, ops in paths.items():
        for method, op in ops.items():
            out.append((method.upper(), path, GenerationMode.POSITIVE))
            if op.get("parameters") or op.get("requestBody"):
                out.append((method.upper(), path, GenerationMode.NEGATIVE))
    return out


def error_shape(ctx: Any, response: Any, case: Any) -> bool | None:
    """No 5xx; a 4xx has {"error": {"message", "field", "hint"}} with a message."""
    status = response.status_code
    if status >= 500:
        raise AssertionError(f"server error {status}: {response.text[:300]}")
    if 400 <= status < 500:
        body = json.loads(response.content)
        assert set(body) == {"error"}, body
        assert set(body["error"]) == {"message", "field", "hint"}, body
        assert isinstance(body["error"]["message"], str) and body["error"]["message"], body
    return None


@pytest.mark.parametrize(("method", "path", "mode"), _cases())
def test_api_fuzz(
    fuzz_app: tuple[Any, dict[str, str]], method: str, path: str, mode: GenerationMode
) -> None:
    schema, auth = fuzz_app
    operation = schema[path][method]

    @given(case=operation.as_strategy(mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any) -> None:
        case.call_and_validate(
            headers=auth,
            additional_checks=[error_shape],
            # a schema cannot list the catalog's names: an unknown commodity or country that
            # is a valid string is rightly a 422, which this check would count as a failure
            excluded_checks=[positive_data_acceptance],
        )

    try:
        run()
    except Unsatisfiable:
        pytest.fail(f"{method} {path}: schemathesis could not generate {mode.value} data")
