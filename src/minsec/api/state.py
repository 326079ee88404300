"""Everything a running API holds: settings, the data store, app state, cache, jobs."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from minsec.api.accounts import Accounts
from minsec.api.cache import LRUCache
from minsec.api.jobs import JobManager
from minsec.api.private import Stockpiles
from minsec.api.settings import Settings
from minsec.errors import DataMissingError
from minsec.respond.incidents import Incidents, data_checksum
from minsec.state.audit import AuditLog
from minsec.state.db import StateDB
from minsec.store import Store


class StoreProvider:
    """Read-only connections to the data store, one per thread.

    DuckDB connections are not shared between threads; each is opened on first use and
    all are closed with :meth:`close`.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._all: list[Store] = []
        self._lock = threading.Lock()
        self._checksum: str | None = None

    def get(self) -> Store:
        """The store of the calling thread; 409 (DataMissingError) when there is no store file."""
        st: Store | None = getattr(self._local, "store", None)
        if st is None:
            if not Path(self.path).exists():
                raise DataMissingError(
                    f"the server has no data store ({Path(self.path).name}); an operator runs "
                    "`minsec data fetch` (default data) and restarts `minsec serve`"
                )
            st = Store(self.path, read_only=True)
            self._local.store = st
            with self._lock:
                self._all.append(st)
        return st

    @property
    def known_checksum(self) -> str | None:
        """The checksum once computed (no I/O), else None."""
        return self._checksum

    def checksum(self) -> str:
        """SHA-256 over the store's provenance (source, file checksum, import time)."""
        if self._checksum is None:
            self._checksum = data_checksum(self.get())
        return self._checksum

    def close(self) -> None:
        """Close every connection opened."""
        with self._lock:
            for st in self._all:
                st.close()
            self._all.clear()
        self._local = threading.local()


@dataclass
class AppState:
    """The objects behind the routes (``app.state.minsec``)."""

    settings: Settings
    db: StateDB
    audit: AuditLog
    accounts: Accounts
    stockpiles: Stockpiles
    jobs: JobManager
    stores: StoreProvider
    incidents: Incidents
    cache: LRUCache = field(default_factory=lambda: LRUCache(512))

    @classmethod
    def open(cls, settings: Settings) -> AppState:
        """Open (and create if needed) the app state for ``settings``."""
        db = StateDB(settings.state_target)
        audit = AuditLog(db)
        stores = StoreProvider(settings.store_path)
        return cls(
            settings=settings,
            db=db,
            audit=audit,
            accounts=Accounts(db, audit),
            stockpiles=Stockpiles(db, audit),
            jobs=JobManager(
                db, audit, workers=settings.job_workers, max_active=settings.max_active_jobs
            ),
            stores=stores,
            incidents=Incidents(db, audit, stores.get, stores.checksum),
            cache=LRUCache(settings.cache_size),
        )

    def close(self) -> None:
        """Stop jobs, close the store connections and the app state."""
        self.jobs.shutdown()
        self.stores.close()
        self.db.close()
