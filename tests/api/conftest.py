"""Fixtures of the API tests: an app on the default data, users of two parties.

The app (and its indicator cache) is shared by the tests of a module; each module gets
its own app-state file. Tokens: ``us_viewer``, ``us_analyst``, ``us_admin``,
``jp_viewer``, ``jp_analyst``, ``jp_admin``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 for its test client; httpx works the same here
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

from minsec.api import Settings, create_app
from minsec.api.accounts import Principal, Role
from minsec.api.state import AppState

BOOT = Principal("test-setup", "USA", Role.admin)
USERS = {
    "us_viewer": ("USA", "viewer"),
    "us_analyst": ("USA", "analyst"),
    "us_admin": ("USA", "admin"),
    "jp_viewer": ("JPN", "viewer"),
    "jp_analyst": ("JPN", "analyst"),
    "jp_admin": ("JPN", "admin"),
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Api:
    """A running app with a client and tokens by user name."""

    app: FastAPI
    client: TestClient
    tokens: dict[str, str]

    @property
    def state(self) -> AppState:
        state: AppState = self.app.state.minsec
        return state

    def h(self, user: str) -> dict[str, str]:
        return bearer(self.tokens[user])

    def get(self, url: str, user: str, **kw: Any) -> Any:
        return self.client.get(url, headers=self.h(user), **kw)

    def post(self, url: str, user: str, **kw: Any) -> Any:
        return self.client.post(url, headers=self.h(user), **kw)

    def patch(self, url: str, user: str, **kw: Any) -> Any:
        return self.client.patch(url, headers=self.h(user), **kw)

    def delete(self, url: str, user: str, **kw: Any) -> Any:
        return self.client.delete(url, headers=self.h(user), **kw)


def start(settings: Settings, *, users: bool = True) -> Iterator[Api]:
    """Run the app (lifespan included) and add the six test users (unless ``users=False``)."""
    app = create_app(settings)
    with TestClient(app) as client:
        state: AppState = app.state.minsec
        tokens: dict[str, str] = {}
        for name, (party, role) in USERS.items() if users else ():
            _, _, tokens[name] = state.accounts.add_user(name, party, role, by=BOOT)
        yield Api(app, client, tokens)


@pytest.fixture(scope="module")
def api_settings(tmp_path_factory: pytest.TempPathFactory, default_store_path: Path) -> Settings:
    home = tmp_path_factory.mktemp("api")
    return Settings(
        store_path=default_store_path,
        state_path=home / "app.duckdb",
        max_request_bytes=100_000,
        max_runs=50_000,
        cache_size=256,
        max_active_jobs=2,
    )


@pytest.fixture(scope="module")
def api(api_settings: Settings) -> Iterator[Api]:
    """The app on the default data with the six users."""
    yield from start(api_settings)
