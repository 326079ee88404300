"""A small thread-safe LRU cache for indicator answers.

Keys are built by :func:`key` from the endpoint, its normalised parameters and the
store's provenance checksum, so an answer is never served for data it was not computed
from. Only public indicator answers are cached — never party-private records.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from typing import Any


def key(endpoint: str, params: Mapping[str, Any], checksum: str) -> tuple[Hashable, ...]:
    """A cache key: endpoint, sorted normalised parameters, store checksum."""
    norm = tuple(
        sorted(
            (k, v.strip() if isinstance(v, str) else v) for k, v in params.items() if v is not None
        )
    )
    return (endpoint, norm, checksum)


class LRUCache:
    """At most ``size`` entries; the least recently used goes first (size 0 = off)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, k: Hashable) -> Any | None:
        """The value for ``k`` (and mark it recently used), or None."""
        with self._lock:
            if k in self._data:
                self._data.move_to_end(k)
                self.hits += 1
                return self._data[k]
            self.misses += 1
            return None

    def put(self, k: Hashable, value: Any) -> None:
        """Store ``value`` under ``k``, evicting the oldest entry when full."""
        if self.size <= 0:
            return
        with self._lock:
            self._data[k] = value
            self._data.move_to_end(k)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)
