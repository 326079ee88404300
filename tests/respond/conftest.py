"""Fixtures of the workflow tests: incidents on DuckDB and on a local PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from minsec.respond import Incidents
from minsec.state import AuditLog, Principal, Role, StateDB
from minsec.store import Store
from tests.state.pgcluster import postgres_server, state_target

__all__ = ["postgres_server", "state_target"]

US = Principal("ann", "USA", Role.analyst)
JP = Principal("ken", "JPN", Role.analyst)
KR = Principal("min", "KOR", Role.analyst)
US_VIEWER = Principal("vic", "USA", Role.viewer)


class Checksum:
    """A data checksum the test can change (as a new import would)."""

    def __init__(self) -> None:
        self.value = "data-v1"

    def __call__(self) -> str:
        return self.value


@pytest.fixture
def checksum() -> Checksum:
    return Checksum()


@pytest.fixture
def incidents(state_target: str, default_store: Store, checksum: Checksum) -> Iterator[Incidents]:
    """Incidents on an empty app state of each backend, assessed on the default data."""
    db = StateDB(state_target)
    try:
        yield Incidents(db, AuditLog(db), lambda: default_store, checksum)
    finally:
        db.close()
