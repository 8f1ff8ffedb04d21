"""Reminders that stay current: the slots a patient's calendar has published, and feeds.

- ``reminder_slots``: per (patient, slot) what the reminder calendar last said (time,
  first day, last day, wording, length), with a ``sequence`` counting the changes and
  ``cancelled`` for a slot the plan no longer has. The slot number names the calendar
  event, so a changed time updates the event instead of leaving the old one behind.
- ``calendar_feeds``: at most one calendar subscription per patient; only the SHA-256
  of its secret token is kept.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def _patient_column() -> sa.Column[int]:
    return sa.Column("patient_id", sa.Integer(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "reminder_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        _patient_column(),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("at", sa.String(length=5), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("duration_min", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_reminder_slots_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_slots")),
        sa.UniqueConstraint("patient_id", "slot", name=op.f("uq_reminder_slots_patient_id")),
    )
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        _patient_column(),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_calendar_feeds_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("patient_id", name=op.f("uq_calendar_feeds_patient_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feeds_token_hash")),
    )


def downgrade() -> None:
    op.drop_table("calendar_feeds")
    op.drop_table("reminder_slots")
