"""minsec — open software for critical-minerals supply security.

The package is layered; data flows one way::

    sources -> store -> assess -> disrupt -> finance -> respond -> interfaces

``minsec.catalog`` (commodities, HS codes, countries, blocs) is used by every layer.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
