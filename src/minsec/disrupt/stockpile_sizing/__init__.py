"""Stockpile sizing: the cheapest stocks, and their split between partners, for a risk target.

``target`` parses targets (``cvar95<=5%``, ``p10<=5%``); ``lp`` is the stochastic program
over the Monte Carlo runs (HiGHS); ``costs`` the cost of holding a tonne per partner (data
with sources); ``need`` the engine variant that measures what stock must cover;
``study`` runs it all on the store's data (``minsec stockpile size``).
"""

from enum import StrEnum


class SizingTable(StrEnum):
    """The tables of a sizing result (``docs/stockpile-sizing.md``).

    Defined here, without heavy imports, so the CLI can list them at start-up.
    """

    summary = "summary"
    totals = "totals"
    curve = "curve"
    flows = "flows"
    costs = "costs"
    verify = "verify"
