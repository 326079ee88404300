"""Party-private notes become records of their own (``incident_notes``).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

Up to 0001 an incident's ``note`` could be private to the owner party (``note_private``,
shared through ``incident_shares`` under the object id ``<incident id>#note``). Writing it
raised the incident's version and ``updated_*``, so other parties saw that a note existed
and when it was written. From 0002 a party's private note is a row of ``incident_notes``
(one per incident and party, with its own version); the incident's ``note`` is public.

Upgrade: each private note moves to ``incident_notes`` (id ``note_<incident id>``, version
1, written at the incident's ``updated_at`` by its ``updated_by``: the best that is known)
with its share list; the incident keeps no trace of it (``note`` emptied, the
``note_private`` column dropped); shares of public notes, which meant nothing, go.

Downgrade: the owner party's private note goes back to its incident when the incident
has no public note (other parties' notes, which 0001 cannot hold, are lost).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``incident_notes``, move the private notes into it, drop ``note_private``."""
    op.create_table(
        "incident_notes",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("incident_id", sa.String(), nullable=False),
        sa.Column("party", sa.String(), nullable=False),
        sa.Column("text", sa.String(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(), nullable=False),
        sa.UniqueConstraint("incident_id", "party"),
    )
    op.execute(
        "INSERT INTO incident_notes (id, incident_id, party, text, version, created_at, "
        "created_by, updated_at, updated_by) "
        "SELECT 'note_' || id, id, owner_party, note, 1, updated_at, updated_by, updated_at, "
        "updated_by FROM incidents WHERE note_private AND note IS NOT NULL"
    )
    op.execute(
        "UPDATE incident_shares SET object_id = 'note_' || substr(object_id, 1, "
        "length(object_id) - 5) WHERE object_id LIKE '%#note' AND EXISTS (SELECT 1 FROM "
        "incident_notes n WHERE n.id = 'note_' || substr(incident_shares.object_id, 1, "
        "length(incident_shares.object_id) - 5))"
    )
    op.execute("DELETE FROM incident_shares WHERE object_id LIKE '%#note'")
    op.execute("UPDATE incidents SET note = NULL WHERE note_private")
    op.drop_column("incidents", "note_private")


def downgrade() -> None:
    """Put the owner party's private notes back on their incidents; drop the table."""
    op.add_column(
        "incidents",
        sa.Column("note_private", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute(
        "UPDATE incidents SET note_private = TRUE, note = (SELECT n.text FROM incident_notes n "
        "WHERE n.incident_id = incidents.id AND n.party = incidents.owner_party) "
        "WHERE note IS NULL AND EXISTS (SELECT 1 FROM incident_notes n WHERE n.incident_id = "
        "incidents.id AND n.party = incidents.owner_party AND n.text IS NOT NULL)"
    )
    op.execute(
        "UPDATE incident_shares SET object_id = (SELECT n.incident_id || '#note' FROM "
        "incident_notes n WHERE n.id = incident_shares.object_id) WHERE object_id IN (SELECT "
        "n.id FROM incident_notes n JOIN incidents i ON i.id = n.incident_id AND n.party = "
        "i.owner_party AND i.note_private)"
    )
    op.execute("DELETE FROM incident_shares WHERE object_id IN (SELECT id FROM incident_notes)")
    op.drop_table("incident_notes")
