"""Alembic environment of the app state: runs on the connection :class:`StateDB` hands in.

Applied programmatically (``minsec.state.db.migrate``); there is no ``alembic.ini``. To
write a new revision, add a file to ``versions/`` whose ``down_revision`` is the newest
one, using only types and statements that work on DuckDB and PostgreSQL.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError(
        "the minsec app-state migrations run through minsec.state.db.migrate(connection)"
    )
context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
