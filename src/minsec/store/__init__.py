"""The store: one DuckDB file with tidy tables and a provenance log."""

from minsec.store.store import ImportResult, Store

__all__ = ["ImportResult", "Store"]
