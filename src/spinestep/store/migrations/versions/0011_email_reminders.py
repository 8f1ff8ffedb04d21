"""E-mail reminders: each patient's opt-in choice, and the reminders already sent
(so that several app processes never send one twice).

- ``reminder_choices``: at most one per patient: the mode (``off``, ``each_session``,
  ``daily_summary``) and the quiet period as local ``HH:MM`` times.
- ``reminders_sent``: one row per reminder claimed, unique on (patient, local date,
  slot); a sender sends only after its insert went in. It keeps the outcome and the
  SHA-256 of the e-mail's unsubscribe token. Rows are pruned after a few weeks.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None


def _patient_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["patient_id"],
        ["patients.id"],
        name=op.f(f"fk_{table}_patient_id_patients"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "reminder_choices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("quiet_start", sa.String(length=5), nullable=False),
        sa.Column("quiet_end", sa.String(length=5), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _patient_fk("reminder_choices"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_choices")),
        sa.UniqueConstraint("patient_id", name=op.f("uq_reminder_choices_patient_id")),
    )
    op.create_table(
        "reminders_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("slot", sa.String(length=7), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("unsubscribe_hash", sa.String(length=64), nullable=False),
        _patient_fk("reminders_sent"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders_sent")),
        sa.UniqueConstraint(
            "patient_id", "local_date", "slot", name=op.f("uq_reminders_sent_patient_id")
        ),
        sa.UniqueConstraint("unsubscribe_hash", name=op.f("uq_reminders_sent_unsubscribe_hash")),
    )
    op.create_index(
        op.f("ix_reminders_sent_local_date"), "reminders_sent", ["local_date"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_reminders_sent_local_date"), table_name="reminders_sent")
    op.drop_table("reminders_sent")
    op.drop_table("reminder_choices")
