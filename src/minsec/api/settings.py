"""Settings of the web API, read from ``MINSEC_*`` environment variables.

Files default to ``$MINSEC_HOME``.

=============================  ===========================================  ==============
variable                       meaning                                      default
=============================  ===========================================  ==============
``MINSEC_STORE``               data store (opened read-only)                ``minsec.duckdb``
``MINSEC_APP_STATE``           app state as a DuckDB file: users, tokens,   ``app.duckdb``
                               audit, private records, jobs, incidents
``MINSEC_STATE_URL``           app state as a URL; wins over the file:      (unset)
                               ``postgresql://user@host:5432/minsec``
                               (multi-user) or ``duckdb:///path``
``MINSEC_MAX_REQUEST_BYTES``   largest request body accepted (413 above)    1,000,000
``MINSEC_API_MAX_RUNS``        largest Monte Carlo job (runs)               1,000,000
``MINSEC_CACHE_SIZE``          indicator answers kept in the LRU cache      512
``MINSEC_JOB_WORKERS``         background jobs run at once                  1
``MINSEC_MAX_ACTIVE_JOBS``     queued + running jobs per user (429 above)   4
``MINSEC_MAX_YEARS``           years one query may span                     40
=============================  ===========================================  ==============
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from minsec import config
from minsec.errors import InputError


def _int_env(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.replace("_", "").strip())
    except ValueError:
        raise InputError(
            f"{name}={raw!r} is not a whole number", column=name, hint=f"default: {default}"
        ) from None
    if value < minimum:
        raise InputError(f"{name}={value} must be ≥ {minimum}", column=name)
    return value


@dataclass(frozen=True)
class Settings:
    """Everything :func:`minsec.api.app.create_app` needs to know (immutable)."""

    store_path: Path = field(default_factory=config.store_path)
    state_path: Path = field(default_factory=lambda: config.home() / "app.duckdb")
    state_url: str | None = None
    max_request_bytes: int = 1_000_000
    max_runs: int = 1_000_000
    cache_size: int = 512
    job_workers: int = 1
    max_active_jobs: int = 4
    max_years: int = 40

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``env`` (default ``os.environ``); keyword arguments win."""
        e = os.environ if env is None else env
        state = e.get("MINSEC_APP_STATE")
        store = e.get("MINSEC_STORE")
        base = cls(
            store_path=Path(store).expanduser() if store else config.home() / "minsec.duckdb",
            state_path=Path(state).expanduser() if state else config.home() / "app.duckdb",
            state_url=(e.get("MINSEC_STATE_URL") or "").strip() or None,
            max_request_bytes=_int_env(e, "MINSEC_MAX_REQUEST_BYTES", cls.max_request_bytes),
            max_runs=_int_env(e, "MINSEC_API_MAX_RUNS", cls.max_runs),
            cache_size=_int_env(e, "MINSEC_CACHE_SIZE", cls.cache_size, minimum=0),
            job_workers=_int_env(e, "MINSEC_JOB_WORKERS", cls.job_workers),
            max_active_jobs=_int_env(e, "MINSEC_MAX_ACTIVE_JOBS", cls.max_active_jobs),
            max_years=_int_env(e, "MINSEC_MAX_YEARS", cls.max_years),
        )
        return replace(base, **overrides)

    @property
    def state_target(self) -> str:
        """What :class:`~minsec.state.db.StateDB` opens: ``state_url``, else the DuckDB file."""
        return self.state_url or str(self.state_path)
