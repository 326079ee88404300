"""Name normalisation and nearest-name suggestions shared by the catalog resolvers."""

from __future__ import annotations

import difflib
import re
import unicodedata


def normalise(name: str) -> str:
    """Fold a name for matching: accents, case, punctuation and spacing do not matter.

    >>> normalise("  Côte d'Ivoire ")
    'cote d ivoire'
    """
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().replace("&", " and ")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return text.strip()


def nearest(name: str, candidates: list[str], n: int = 3) -> list[str]:
    """Return up to ``n`` candidates closest to ``name`` (difflib ratio), best first."""
    folded = {normalise(c): c for c in candidates}
    hits = difflib.get_close_matches(normalise(name), list(folded), n=n, cutoff=0.6)
    return [folded[h] for h in hits]


def suggestion(name: str, candidates: list[str]) -> str | None:
    """A 'did you mean …?' text, or None when nothing is close."""
    near = nearest(name, candidates)
    return f"did you mean {', '.join(repr(x) for x in near)}?" if near else None
