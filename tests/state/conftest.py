"""Fixtures of the state tests: the app state on DuckDB and on a local PostgreSQL."""

from tests.state.pgcluster import postgres_server, state_target

__all__ = ["postgres_server", "state_target"]
