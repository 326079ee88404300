from __future__ import annotations

from pathlib import Path

from minsec.store import schema

ROOT = Path(__file__).resolve().parents[2]


def test_docs_show_the_current_schema() -> None:
    """docs/data.md must list every table and column as the schema file defines them."""
    doc = (ROOT / "docs" / "data.md").read_text("utf-8")
    assert schema.markdown() in doc, "regenerate the Tables section of docs/data.md"


def test_every_table_has_a_source_column_for_replace_on_import() -> None:
    for table, cols in schema.tables().items():
        assert "source" in [c.name for c in cols], table
