"""Rules 2026.12-1: the maintenance phase and new rule settings; notes on events;
idempotency keys.

Programmes gain ``phase``, ``progress_max_pain``, ``progress_max_location``,
``maintenance_sessions_per_day`` and ``run_since``; decisions gain ``phase`` (the phase
after the decision); programme events gain ``note`` (the clinician's own words). The new
``idempotency_keys`` table remembers, per patient, the answer given to a session or
stop-now sent with an ``Idempotency-Key``.

Data: a programme that was ``completed`` becomes ``active`` in phase ``maintenance`` at
its protocol's maintenance stage (written out below, not read from the protocol files,
so this migration means the same thing whatever the files say later). Decisions from the
first ``maintain`` of a programme on are in phase ``maintenance``. ``run_since`` is set
to the time of the programme's last event other than a pause (its prescription, last
stage change, resume, plan change or completion), so the sessions before it do not count
towards progression, as for new data.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

#: Each built-in protocol's maintenance stage, as shipped with rules 2026.12-1.
MAINTENANCE_STAGE = {"lumbar-flexion": 1, "lumbar-extension": 4}

_ASSIGNMENTS = sa.table(
    "programme_assignments",
    sa.column("id", sa.Integer()),
    sa.column("protocol_id", sa.String(64)),
    sa.column("status", sa.String(16)),
    sa.column("phase", sa.String(16)),
    sa.column("current_stage", sa.Integer()),
    sa.column("run_since", sa.DateTime(timezone=True)),
)
_DECISIONS = sa.table(
    "decisions",
    sa.column("assignment_id", sa.Integer()),
    sa.column("decision", sa.String(32)),
    sa.column("made_at", sa.DateTime(timezone=True)),
    sa.column("phase", sa.String(16)),
)
_EVENTS = sa.table(
    "programme_events",
    sa.column("assignment_id", sa.Integer()),
    sa.column("kind", sa.String(16)),
    sa.column("at", sa.DateTime(timezone=True)),
)

_NEW_ASSIGNMENT_COLUMNS = (
    ("phase", sa.String(length=16), "progression"),
    ("progress_max_pain", sa.Integer(), "2"),
    ("progress_max_location", sa.String(length=16), "back"),
    ("maintenance_sessions_per_day", sa.Integer(), "2"),
)


def upgrade() -> None:
    for name, kind, default in _NEW_ASSIGNMENT_COLUMNS:
        op.add_column(
            "programme_assignments",
            sa.Column(name, kind, nullable=False, server_default=default),
        )
    op.add_column(
        "programme_assignments",
        sa.Column("run_since", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "decisions",
        sa.Column("phase", sa.String(length=16), nullable=False, server_default="progression"),
    )
    op.add_column("programme_events", sa.Column("note", sa.Text(), nullable=True))
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_idempotency_keys_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_idempotency_keys_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("patient_id", "key", name=op.f("uq_idempotency_keys_patient_key")),
    )
    _completed_to_maintenance()
    _backfill_run_since()


def _completed_to_maintenance() -> None:
    connection = op.get_bind()
    for protocol_id, stage in MAINTENANCE_STAGE.items():
        connection.execute(
            sa.update(_ASSIGNMENTS)
            .where(
                _ASSIGNMENTS.c.status == "completed",
                _ASSIGNMENTS.c.protocol_id == protocol_id,
            )
            .values(status="active", phase="maintenance", current_stage=stage)
        )
    # The phase after each decision: maintenance from the programme's first maintain on.
    earlier = sa.alias(_DECISIONS, "earlier")
    first_maintain = (
        sa.select(sa.literal(1))
        .select_from(earlier)
        .where(
            earlier.c.assignment_id == _DECISIONS.c.assignment_id,
            earlier.c.decision == "maintain",
            earlier.c.made_at <= _DECISIONS.c.made_at,
        )
    )
    connection.execute(
        sa.update(_DECISIONS).where(first_maintain.exists()).values(phase="maintenance")
    )


def _backfill_run_since() -> None:
    connection = op.get_bind()
    latest = connection.execute(
        sa.select(_EVENTS.c.assignment_id, sa.func.max(_EVENTS.c.at))
        .where(_EVENTS.c.kind != "pause")
        .group_by(_EVENTS.c.assignment_id)
    ).all()
    for assignment_id, at in latest:
        connection.execute(
            sa.update(_ASSIGNMENTS).where(_ASSIGNMENTS.c.id == assignment_id).values(run_since=at)
        )


def downgrade() -> None:
    connection = op.get_bind()
    connection.execute(
        sa.update(_ASSIGNMENTS)
        .where(_ASSIGNMENTS.c.phase == "maintenance", _ASSIGNMENTS.c.status == "active")
        .values(status="completed")
    )
    op.drop_table("idempotency_keys")
    op.drop_column("programme_events", "note")
    op.drop_column("decisions", "phase")
    op.drop_column("programme_assignments", "run_since")
    for name, _kind, _default in reversed(_NEW_ASSIGNMENT_COLUMNS):
        op.drop_column("programme_assignments", name)
