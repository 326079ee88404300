"""The app-state database: users, tokens, audit log, private records, jobs, incidents.

A layer below :mod:`minsec.respond` and the interfaces (API, CLI): :class:`StateDB` opens
the database named by a URL (embedded DuckDB by default, PostgreSQL for a multi-user
deployment) and migrates it with the Alembic revisions shipped in
``minsec/state/migrations``; :class:`AuditLog` is the append-only, hash-chained log that
every write appends to in its own transaction.
"""

from __future__ import annotations

from minsec.state.audit import AuditEntry, AuditLog
from minsec.state.db import StateDB, Tx, state_url
from minsec.state.errors import ConflictError, ForbiddenError, NotFoundError
from minsec.state.principal import Principal, Role, now

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
