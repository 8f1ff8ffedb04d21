"""The tables, as SQLAlchemy 2 typed declarative classes.

Column names match the fields of ``spinestep.services.records`` so the repositories can
copy values across; the one exception is a session's ``at``, stored as the UTC instant
(``at_utc``) plus the offset it was given in minutes (``at_offset_min``) so its local
date can be recovered. The schema itself is created by the Alembic migrations in
``spinestep.store.migrations``, never by ``create_all``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from spinestep.domain.model import (
    Decision,
    DirectionalPreference,
    Effort,
    EmergencyNumber,
    Location,
    Phase,
    Urgency,
)
from spinestep.services.records import (
    DeletionStatus,
    EventKind,
    FlagSource,
    OutcomeMeasure,
    ProgrammeStatus,
    Role,
)
from spinestep.store.types import LocationCode, UTCDateTime, enum_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _user_fk() -> sa.ForeignKey:
    return sa.ForeignKey("users.id", ondelete="SET NULL")


def _patient_fk() -> sa.ForeignKey:
    return sa.ForeignKey("patients.id", ondelete="CASCADE")


def _uuid_column() -> Mapped[str]:
    """A record's random UUID, its id outside this installation (migration 0007)."""
    return mapped_column(sa.String(36), unique=True, index=True)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: sa.JSON(),
    }


class InstallationRow(Base):
    """The one row naming this installation: a random UUID made by migration 0007."""

    __tablename__ = "installation"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(36))
    created_at: Mapped[datetime]


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role, 16))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    label: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class PatientRow(Base):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = _uuid_column()
    user_id: Mapped[int | None] = mapped_column(_user_fk(), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(200))
    time_zone: Mapped[str] = mapped_column(sa.String(64))
    emergency_number: Mapped[EmergencyNumber] = mapped_column(enum_column(EmergencyNumber, 3))
    clinician_id: Mapped[int | None] = mapped_column(_user_fk(), index=True)
    self_managed: Mapped[bool]
    created_at: Mapped[datetime]


class AssignmentRow(Base):
    __tablename__ = "programme_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = _uuid_column()
    patient_id: Mapped[int] = mapped_column(_patient_fk(), index=True)
    protocol_id: Mapped[str] = mapped_column(sa.String(64))
    current_stage: Mapped[int]
    progress_after_sessions: Mapped[int]
    min_days_at_stage: Mapped[int]
    worsening_points: Mapped[int]
    dose_overrides: Mapped[dict[str, Any]]
    clearance: Mapped[bool]
    cleared_by: Mapped[int | None] = mapped_column(_user_fk())
    cleared_at: Mapped[datetime | None]
    directional_preference: Mapped[DirectionalPreference] = mapped_column(
        enum_column(DirectionalPreference, 16)
    )
    status: Mapped[ProgrammeStatus] = mapped_column(enum_column(ProgrammeStatus, 16))
    paused_reason: Mapped[str | None] = mapped_column(sa.Text)
    paused_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Added by migration 0002 (existing rows: odi, unless RMDQ was the one taken first).
    outcome_measure: Mapped[OutcomeMeasure] = mapped_column(
        enum_column(OutcomeMeasure, 8), server_default=OutcomeMeasure.ODI.value
    )
    psfs_enabled: Mapped[bool] = mapped_column(server_default=sa.false())
    # Added by migration 0004 (rules 2026.12-1).
    phase: Mapped[Phase] = mapped_column(
        enum_column(Phase, 16), server_default=Phase.PROGRESSION.value
    )
    progress_max_pain: Mapped[int] = mapped_column(server_default="2")
    progress_max_location: Mapped[Location] = mapped_column(LocationCode(), server_default="back")
    maintenance_sessions_per_day: Mapped[int] = mapped_column(server_default="2")
    run_since: Mapped[datetime | None]


class RedFlagRow(Base):
    __tablename__ = "red_flag_reports"
    __table_args__ = (
        sa.Index("ix_red_flag_reports_patient_resolved", "patient_id", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = _uuid_column()
    patient_id: Mapped[int] = mapped_column(_patient_fk())
    code: Mapped[str] = mapped_column(sa.String(64))
    reported_at: Mapped[datetime]
    source: Mapped[FlagSource] = mapped_column(enum_column(FlagSource, 16))
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[int | None] = mapped_column(_user_fk())
    resolved_by_self: Mapped[bool]
    outcome: Mapped[str | None] = mapped_column(sa.Text)


class ScreeningRow(Base):
    __tablename__ = "screenings"
    __table_args__ = (
        sa.Index("ix_screenings_patient_at", "patient_id", "at"),
        sa.Index("ix_screenings_patient_source", "patient_id", "source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = _uuid_column()
    patient_id: Mapped[int] = mapped_column(_patient_fk())
    at: Mapped[datetime]
    source: Mapped[FlagSource] = mapped_column(enum_column(FlagSource, 16))
    answers: Mapped[dict[str, Any]]


class SessionRow(Base):
    __tablename__ = "sessions"
    # Composite indexes of migration 0003 (patient, then time) serve the patient's reads.
    __table_args__ = (
        sa.Index("ix_sessions_assignment_at", "assignment_id", "at_utc"),
        sa.Index("ix_sessions_patient_at", "patient_id", "at_utc"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = _uuid_column()
    patient_id: Mapped[int] = mapped_column(_patient_fk())
    assignment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programme_assignments.id", ondelete="CASCADE")
    )
    at_utc: Mapped[datetime]
    at_offset_min: Mapped[int]
    stage: Mapped[int]
    completed: Mapped[bool]
    reps: Mapped[int | None]
    effort: Mapped[Effort] = mapped_column(enum_column(Effort, 16))
    pain_before: Mapped[int]
    pain_during: Mapped[int]
    pain_after: Mapped[int]
    location_before: Mapped[Location] = mapped_column(LocationCode())
    location_after: Mapped[Location] = mapped_column(LocationCode())
    stopped_early: Mapped[bool]
    motion: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]


class DecisionRow(Base):
    __tablename__ = "decisions"
    __table_args__ = (sa.Index("ix_decisions_patient_made_at", "patient_id", "made_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = _uuid_column()
    session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sessions.id", ondelete="CASCADE"), unique=True
    )
    patient_id: Mapped[int] = mapped_column(_patient_fk())
    assignment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("programme_assignments.id", ondelete="CASCADE")
    )
    made_at: Mapped[datetime]
    decision: Mapped[Decision] = mapped_column(enum_column(Decision, 32))
    urgency: Mapped[Urgency] = mapped_column(enum_column(Urgency, 32))
    current_stage: Mapped[int]
    next_stage: Mapped[int | None]
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON())
    message: Mapped[str] = mapped_column(sa.Text)
    dose: Mapped[dict[str, Any] | None]
    responses: Mapped[dict[str, Any] | None]
    inputs: Mapped[dict[str, Any]]
    rules_version: Mapped[str] = mapped_column(sa.String(32))
    # Added by migration 0004: the phase after the decision.
    phase: Mapped[Phase] = mapped_column(
        enum_column(Phase, 16), server_default=Phase.PROGRESSION.value
    )


class EventRow(Base):
    __tablename__ = "programme_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = _uuid_column()
    patient_id: Mapped[int] = mapped_column(_patient_fk(), index=True)
    assignment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programme_assignments.id", ondelete="CASCADE")
    )
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind, 16))
    at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(sa.Text)
    actor_user_id: Mapped[int | None] = mapped_column(_user_fk())
    # Added by migration 0004: the clinician's own words.
    note: Mapped[str | None] = mapped_column(sa.Text)


class IdempotencyRow(Base):
    """The answer given to a session or stop-now sent with an ``Idempotency-Key``."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        sa.UniqueConstraint("patient_id", "key", name="uq_idempotency_keys_patient_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(_patient_fk())
    key: Mapped[str] = mapped_column(sa.String(100))
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sessions.id", ondelete="CASCADE"))
    outcome: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class QuestionnaireRow(Base):
    __tablename__ = "questionnaire_responses"
    __table_args__ = (
        sa.Index("ix_questionnaire_responses_patient_taken", "patient_id", "taken_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = _uuid_column()
    patient_id: Mapped[int] = mapped_column(_patient_fk())
    instrument: Mapped[str] = mapped_column(sa.String(32))
    taken_at: Mapped[datetime]
    answers: Mapped[dict[str, Any]]
    score: Mapped[dict[str, Any]]


class AuditRow(Base):
    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_patient_at", "patient_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_user_id: Mapped[int | None] = mapped_column(_user_fk())
    action: Mapped[str] = mapped_column(sa.String(64))
    patient_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("patients.id", ondelete="SET NULL")
    )
    at: Mapped[datetime]
    # Added by migration 0006: the account an account action was about (a plain id).
    subject_user_id: Mapped[int | None]


class BrowserSessionRow(Base):
    """A signed-in browser session, found by the SHA-256 of its cookie's nonce."""

    __tablename__ = "browser_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    nonce_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class PasswordResetRow(Base):
    """A one-time password reset link (only the SHA-256 of its secret is kept)."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(_user_fk())
    used_at: Mapped[datetime | None]


class LoginThrottleRow(Base):
    """Failed sign-ins of one (account, address) pair, keyed by a SHA-256 of the pair."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int]
    last_failure_at: Mapped[datetime] = mapped_column(index=True)
    blocked_until: Mapped[datetime | None]


class InviteRow(Base):
    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    email: Mapped[str] = mapped_column(sa.String(320))
    role: Mapped[Role] = mapped_column(enum_column(Role, 16))
    created_by: Mapped[int | None] = mapped_column(_user_fk())
    patient_id: Mapped[int | None] = mapped_column(_patient_fk())
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class DeletionRow(Base):
    __tablename__ = "deletion_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("patients.id", ondelete="SET NULL")
    )
    requested_at: Mapped[datetime]
    requested_by: Mapped[int | None] = mapped_column(_user_fk())
    status: Mapped[DeletionStatus] = mapped_column(enum_column(DeletionStatus, 16))
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[int | None] = mapped_column(_user_fk())


class ReminderSlotRow(Base):
    """What the reminder calendar last said for one (patient, slot): migration 0008."""

    __tablename__ = "reminder_slots"
    __table_args__ = (sa.UniqueConstraint("patient_id", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(_patient_fk())
    slot: Mapped[int]
    at: Mapped[str] = mapped_column(sa.String(5))
    start: Mapped[date]
    until: Mapped[date | None]
    summary: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.String(1000))
    duration_min: Mapped[int]
    sequence: Mapped[int]
    modified_at: Mapped[datetime]
    cancelled: Mapped[bool]


class CalendarFeedRow(Base):
    """A patient's calendar subscription: only the SHA-256 of its secret token is kept."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(_patient_fk(), unique=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime]


# Feature tables kept in their own modules; imported here so that ``Base.metadata`` is whole
# wherever the tables are used.
from spinestep.store import tables_clinic as _tables_clinic  # noqa: E402
from spinestep.store import tables_messages as _tables_messages  # noqa: E402
from spinestep.store import tables_reminders as _tables_reminders  # noqa: E402

__all__ = ["_tables_clinic", "_tables_messages", "_tables_reminders"]
