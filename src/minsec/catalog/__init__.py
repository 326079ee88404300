"""The catalog: commodities, HS codes, countries and blocs, shipped as data files."""

from minsec.catalog import blocs, commodities, countries

__all__ = ["blocs", "commodities", "countries"]
