"""The catalog as data frames (what `minsec catalog …` and the API's /catalog print)."""

from __future__ import annotations

import pandas as pd

from minsec.catalog import blocs, commodities, countries


def commodities_frame() -> pd.DataFrame:
    """One row per commodity: id, name, stages, HS92/HS17 baskets, source names."""
    return pd.DataFrame(
        [
            {
                "id": c.id,
                "name": c.name,
                "stages": ",".join(c.stages),
                "hs92": ",".join(c.hs92),
                "hs17": ",".join(c.hs17),
                "wmd": c.wmd,
                "geopolrisk": c.geopolrisk,
                "usgs": "; ".join(c.usgs),
            }
            for c in commodities.commodities()
        ]
    )


def countries_frame() -> pd.DataFrame:
    """One row per country: id, name, ISO2, BACI code, last year of historical entities."""
    return pd.DataFrame(
        [
            {
                "id": c.id,
                "name": c.name,
                "iso2": c.iso2,
                "baci_code": c.baci_code,
                "until_year": c.until_year,
                "aliases": "; ".join(c.aliases),
            }
            for c in countries.countries()
        ]
    )


def blocs_frame() -> pd.DataFrame:
    """One row per bloc with its expanded members."""
    return pd.DataFrame(
        [
            {
                "id": b.id,
                "name": b.name,
                "n_members": len(b.members),
                "members": ",".join(b.members),
                "source": b.source,
            }
            for b in blocs.blocs().values()
        ]
    )
