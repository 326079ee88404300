"""The app state as of minsec 0.1: accounts, audit, private stockpiles, jobs, incidents.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

The first five tables are those the API created before migrations existed, column for
column (``IF NOT EXISTS``: a database made by that version is adopted as it is). The
``incident*`` tables hold the Rapid Response Group's incidents, their assessments (one
row per run, history kept), actions, decisions, deadlines, and the parties a private
field is shared with.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _str(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=nullable)


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(), nullable=nullable)


def _id(name: str = "id") -> sa.Column[str]:
    return sa.Column(name, sa.String(), primary_key=True)


def upgrade() -> None:
    """Create every table."""
    create = op.create_table
    create(
        "audit",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=False),
        _ts("occurred_at"),
        _str("user_name"),
        _str("party"),
        _str("action"),
        _str("object"),
        _str("detail"),
        _str("prev_hash"),
        _str("hash"),
        if_not_exists=True,
    )
    create(
        "users",
        sa.Column("name", sa.String(), primary_key=True),
        _str("party"),
        _str("role"),
        _ts("created_at"),
        _str("created_by"),
        if_not_exists=True,
    )
    create(
        "tokens",
        sa.Column("token_id", sa.String(), primary_key=True),
        _str("user_name"),
        sa.Column("token_sha256", sa.String(), nullable=False, unique=True),
        _ts("created_at"),
        _ts("revoked_at", nullable=True),
        if_not_exists=True,
    )
    create(
        "stockpiles",
        _id(),
        _str("owner_party"),
        _str("commodity"),
        sa.Column("tonnes", sa.Double(), nullable=False),
        sa.Column("max_release_t_per_month", sa.Double(), nullable=True),
        _str("note", nullable=True),
        _ts("created_at"),
        _str("created_by"),
        _ts("updated_at"),
        _str("updated_by"),
        if_not_exists=True,
    )
    create(
        "stockpile_shares",
        sa.Column("stockpile_id", sa.String(), primary_key=True),
        sa.Column("party", sa.String(), primary_key=True),
        if_not_exists=True,
    )
    create(
        "jobs",
        _id(),
        _str("kind"),
        _str("user_name"),
        _str("party"),
        _str("status"),
        sa.Column("progress", sa.Double(), nullable=False),
        _str("params"),
        _str("result", nullable=True),
        _str("error", nullable=True),
        _ts("created_at"),
        _ts("started_at", nullable=True),
        _ts("finished_at", nullable=True),
        if_not_exists=True,
    )
    create(
        "incidents",
        _id(),
        _str("title"),
        _str("description"),
        _str("origin"),
        _str("exporter", nullable=True),
        _str("commodities"),
        _str("measure", nullable=True),
        sa.Column("fraction", sa.Double(), nullable=True),
        _str("targets"),
        sa.Column("effective_date", sa.Date(), nullable=True),
        sa.Column("duration_months", sa.Double(), nullable=True),
        _str("source_url", nullable=True),
        _str("scenario_name", nullable=True),
        _str("scenario", nullable=True),
        sa.Column("baseline_year", sa.Integer(), nullable=True),
        _str("partners"),
        _str("responses"),
        _str("parameters"),
        _str("status"),
        _str("owner_party"),
        _str("note", nullable=True),
        sa.Column("note_private", sa.Boolean(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        _ts("created_at"),
        _str("created_by"),
        _ts("updated_at"),
        _str("updated_by"),
        _ts("closed_at", nullable=True),
        _str("closed_by", nullable=True),
        _str("close_reason", nullable=True),
    )
    create(
        "incident_assessments",
        _id(),
        _str("incident_id"),
        sa.Column("seq", sa.Integer(), nullable=False),
        _ts("assessed_at"),
        _str("assessed_by"),
        _str("reason"),
        sa.Column("baseline_year", sa.Integer(), nullable=False),
        _str("parameters"),
        _str("data_checksum"),
        _str("scenarios"),
        _str("impact"),
        _str("response"),
        _str("notes"),
        sa.UniqueConstraint("incident_id", "seq"),
    )
    create(
        "incident_actions",
        _id(),
        _str("incident_id"),
        _str("kind"),
        _str("title"),
        _str("detail", nullable=True),
        _str("params"),
        _str("owner_party"),
        _str("assignee", nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        _str("status"),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _ts("created_at"),
        _str("created_by"),
        _ts("updated_at"),
        _str("updated_by"),
    )
    create(
        "incident_decisions",
        _id(),
        _str("incident_id"),
        _str("summary"),
        _str("rationale"),
        _str("decided_by"),
        sa.Column("decided_on", sa.Date(), nullable=False),
        _str("party"),
        sa.Column("private", sa.Boolean(), nullable=False),
        _str("action_ids"),
        _ts("recorded_at"),
        _str("recorded_by"),
    )
    create(
        "incident_deadlines",
        _id(),
        _str("incident_id"),
        _str("title"),
        sa.Column("due_date", sa.Date(), nullable=False),
        _str("owner_party"),
        _ts("met_at", nullable=True),
        _str("met_by", nullable=True),
        _ts("created_at"),
        _str("created_by"),
    )
    create(
        "incident_shares",
        sa.Column("object_id", sa.String(), primary_key=True),
        sa.Column("party", sa.String(), primary_key=True),
    )
    op.create_index("ix_incident_actions_incident", "incident_actions", ["incident_id"])
    op.create_index("ix_incident_decisions_incident", "incident_decisions", ["incident_id"])
    op.create_index("ix_incident_deadlines_incident", "incident_deadlines", ["incident_id"])


def downgrade() -> None:
    """Drop the incident tables (the tables that predate migrations are kept)."""
    for name in (
        "incident_shares",
        "incident_deadlines",
        "incident_decisions",
        "incident_actions",
        "incident_assessments",
        "incidents",
    ):
        op.drop_table(name)
