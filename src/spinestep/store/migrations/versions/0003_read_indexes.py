"""Indexes for the patient's reads: per patient, in time order.

Today, the plan and the questionnaire pages read one patient's rows in a time window
(today's sessions, the latest decision, the last 30 days of screenings, the
questionnaires taken) or one patient's open red flags. With an index on ``patient_id``
alone the database reads all of that patient's rows and sorts them; these composite
indexes (patient first, then time) answer each read from a short index range. They
replace the single-column ``patient_id`` indexes, which they make redundant (foreign-key
cascades use their first column just the same). No data changes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

# (table, the single-column index replaced, the new index, its columns)
INDEXES = (
    ("sessions", "ix_sessions_patient_id", "ix_sessions_patient_at", ["patient_id", "at_utc"]),
    (
        "decisions",
        "ix_decisions_patient_id",
        "ix_decisions_patient_made_at",
        ["patient_id", "made_at"],
    ),
    (
        "red_flag_reports",
        "ix_red_flag_reports_patient_id",
        "ix_red_flag_reports_patient_resolved",
        ["patient_id", "resolved_at"],
    ),
    ("screenings", "ix_screenings_patient_id", "ix_screenings_patient_at", ["patient_id", "at"]),
    (
        "questionnaire_responses",
        "ix_questionnaire_responses_patient_id",
        "ix_questionnaire_responses_patient_taken",
        ["patient_id", "taken_at"],
    ),
    ("audit_log", "ix_audit_log_patient_id", "ix_audit_log_patient_at", ["patient_id", "at"]),
)
# Whether onboarding was answered: one row of this patient from this source.
SOURCE_INDEX = ("screenings", "ix_screenings_patient_source", ["patient_id", "source"])


def upgrade() -> None:
    for table, old, new, columns in INDEXES:
        op.create_index(new, table, columns, unique=False)
        op.drop_index(old, table_name=table)
    table, name, columns = SOURCE_INDEX
    op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    table, name, _columns = SOURCE_INDEX
    op.drop_index(name, table_name=table)
    for table, old, new, _columns in INDEXES:
        op.create_index(old, table, ["patient_id"], unique=False)
        op.drop_index(new, table_name=table)
