"""Rules 2026.12-1 defaults for programmes still on the old ones.

Rules 2026.11-1 moved a person on after 3 easy sessions on 2 days; with five sessions a
day that took a person from lying to standing in about 28 hours. The defaults of
2026.12-1 are 6 sessions on 3 dates. A stored programme cannot tell a clinician's choice
of 3 and 2 from the old defaults, so every programme with exactly those two numbers is
raised to the new defaults (the slower, safer reading), and a settings-change event with
no actor records it in the programme's timeline, where the clinician sees it and can
set the old numbers again. Other numbers (a clinician's own choice) are kept.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

OLD = (3, 2)
NEW = (6, 3)
REASON = (
    "rules 2026.12-1: the old defaults (move on after 3 sessions on 2 days) raised to the "
    "new defaults (6 sessions on 3 days)"
)

_ASSIGNMENTS = sa.table(
    "programme_assignments",
    sa.column("id", sa.Integer()),
    sa.column("patient_id", sa.Integer()),
    sa.column("progress_after_sessions", sa.Integer()),
    sa.column("min_days_at_stage", sa.Integer()),
)
_EVENTS = sa.table(
    "programme_events",
    sa.column("patient_id", sa.Integer()),
    sa.column("assignment_id", sa.Integer()),
    sa.column("kind", sa.String(16)),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("reason", sa.Text()),
    sa.column("actor_user_id", sa.Integer()),
    sa.column("note", sa.Text()),
)


def upgrade() -> None:
    bind = op.get_bind()
    old = sa.and_(
        _ASSIGNMENTS.c.progress_after_sessions == OLD[0],
        _ASSIGNMENTS.c.min_days_at_stage == OLD[1],
    )
    rows = bind.execute(sa.select(_ASSIGNMENTS.c.id, _ASSIGNMENTS.c.patient_id).where(old)).all()
    if not rows:
        return
    now = datetime.now(UTC)
    if bind.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # the UTC columns hold naive UTC on SQLite
    bind.execute(
        _ASSIGNMENTS.update()
        .where(old)
        .values(progress_after_sessions=NEW[0], min_days_at_stage=NEW[1])
    )
    bind.execute(
        _EVENTS.insert(),
        [
            {
                "patient_id": patient_id,
                "assignment_id": assignment_id,
                "kind": "settings_change",
                "at": now,
                "reason": REASON,
                "actor_user_id": None,
                "note": None,
            }
            for assignment_id, patient_id in rows
        ],
    )


def downgrade() -> None:
    """Nothing to undo in the schema; the raised numbers stay (they are the safer ones)."""
