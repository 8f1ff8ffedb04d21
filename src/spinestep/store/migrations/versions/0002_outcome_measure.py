"""The clinician's outcome measure per programme: ODI or RMDQ, and whether PSFS is asked.

Existing programmes get ``odi``, except where the patient's first disability
questionnaire was an RMDQ: that was the choice inferred before this column existed,
so it is kept. ``psfs_enabled`` starts false (PSFS stays optional).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

_RESPONSES = sa.table(
    "questionnaire_responses",
    sa.column("patient_id", sa.Integer()),
    sa.column("instrument", sa.String(32)),
    sa.column("taken_at", sa.DateTime(timezone=True)),
)
_ASSIGNMENTS = sa.table(
    "programme_assignments",
    sa.column("patient_id", sa.Integer()),
    sa.column("outcome_measure", sa.String(8)),
)


def upgrade() -> None:
    op.add_column(
        "programme_assignments",
        sa.Column("outcome_measure", sa.String(length=8), nullable=False, server_default="odi"),
    )
    op.add_column(
        "programme_assignments",
        sa.Column("psfs_enabled", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    _keep_the_measure_taken_first()


def _keep_the_measure_taken_first() -> None:
    connection = op.get_bind()
    first = sa.func.min(_RESPONSES.c.taken_at)
    rows = connection.execute(
        sa.select(_RESPONSES.c.patient_id, _RESPONSES.c.instrument, first)
        .where(_RESPONSES.c.instrument.in_(("odi", "rmdq")))
        .group_by(_RESPONSES.c.patient_id, _RESPONSES.c.instrument)
    ).all()
    earliest: dict[int, dict[str, object]] = {}
    for patient_id, instrument, taken_at in rows:
        earliest.setdefault(patient_id, {})[instrument] = taken_at
    rmdq_first = sorted(
        patient_id
        for patient_id, taken in earliest.items()
        if "rmdq" in taken and ("odi" not in taken or taken["rmdq"] < taken["odi"])  # type: ignore[operator]
    )
    if rmdq_first:
        connection.execute(
            sa.update(_ASSIGNMENTS)
            .where(_ASSIGNMENTS.c.patient_id.in_(rmdq_first))
            .values(outcome_measure="rmdq")
        )


def downgrade() -> None:
    op.drop_column("programme_assignments", "psfs_enabled")
    op.drop_column("programme_assignments", "outcome_measure")
