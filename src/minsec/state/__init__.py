"""The app-state database: users, tokens, audit log, private records, jobs, incidents.

A layer below :mod:`minsec.respond` and the interfaces (API, CLI): :class:`StateDB` opens
the database named by a URL (embedded DuckDB by default, PostgreSQL for a multi-user
deployment) and migrates it with the Alembic revisions shipped in
``minsec/state/migrations``; :class:`AuditLog` is the append-only, hash-chained log that
every write appends to in its own transaction.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from minsec.state.audit import AuditEntry, AuditLog
    from minsec.state.db import StateDB, Tx, state_url
    from minsec.state.errors import ConflictError, ForbiddenError, NotFoundError
    from minsec.state.principal import Principal, Role, now

# imported on first use: SQLAlchemy and Alembic take a third of a second to import, which
# every CLI command would pay otherwise
_WHERE = {
    "AuditEntry": "audit",
    "AuditLog": "audit",
    "StateDB": "db",
    "Tx": "db",
    "state_url": "db",
    "ConflictError": "errors",
    "ForbiddenError": "errors",
    "NotFoundError": "errors",
    "Principal": "principal",
    "Role": "principal",
    "now": "principal",
}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'minsec.state' has no attribute {name!r}")
    return getattr(importlib.import_module(f"minsec.state.{where}"), name)


__all__ = [
    "AuditEntry",
    "AuditLog",
    "ConflictError",
    "ForbiddenError",
    "NotFoundError",
    "Principal",
    "Role",
    "StateDB",
    "Tx",
    "now",
    "state_url",
]
