"""What the services keep: plain, mutable records that the storage ports load and save.

A record with ``id is None`` has not been stored yet; the repository's ``add`` fills the
id in. Timestamps are timezone-aware. JSON columns are plain ``dict``/``list`` values.
These are not the API of the web app; the read-only views live in ``services.views``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from spinestep.domain.model import (
    Decision,
    DirectionalPreference,
    Effort,
    EmergencyNumber,
    Location,
    Phase,
    Urgency,
)

JsonDict = dict[str, Any]


def new_uuid() -> str:
    """A fresh random UUID (version 4) as text: a stored record's id outside this database."""
    return str(uuid.uuid4())


class Role(StrEnum):
    PATIENT = "patient"
    CLINICIAN = "clinician"
    ADMIN = "admin"


class ProgrammeStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"


class FlagSource(StrEnum):
    """Where a red flag was reported: the onboarding questions, a session check, the monthly one."""

    ONBOARDING = "onboarding"
    SESSION = "session"
    MONTHLY = "monthly"


class EventKind(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    PRESCRIBE = "prescribe"
    STAGE_CHANGE = "stage_change"
    CLEARANCE = "clearance"
    SETTINGS_CHANGE = "settings_change"
    COMPLETE = "complete"


class OutcomeMeasure(StrEnum):
    """The disability questionnaire the clinician chose: ODI (the default) or RMDQ (SPEC §5)."""

    ODI = "odi"
    RMDQ = "rmdq"


class DeletionStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"


@dataclass(slots=True)
class UserRecord:
    email: str
    display_name: str
    role: Role
    created_at: datetime
    password_hash: str | None = None
    active: bool = True
    id: int | None = None


@dataclass(slots=True)
class ApiTokenRecord:
    """An API token; only the SHA-256 of the secret is kept."""

    user_id: int
    token_hash: str
    label: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    id: int | None = None


@dataclass(slots=True)
class PatientRecord:
    display_name: str
    time_zone: str
    emergency_number: EmergencyNumber
    created_at: datetime
    self_managed: bool = True
    user_id: int | None = None
    clinician_id: int | None = None
    id: int | None = None
    #: Its id outside this installation (FHIR), random and kept for the record's life.
    uuid: str = field(default_factory=new_uuid)


@dataclass(slots=True)
class AssignmentRecord:
    """A patient's programme: protocol, current stage, settings, clearance and pause state.

    ``dose_overrides`` maps a stage number (as a string) to a dose JSON object of SPEC §2.
    ``outcome_measure`` is asked at the start and every 14 days; ``psfs_enabled`` adds
    the Patient-Specific Functional Scale on the same rhythm (else it stays optional).
    """

    patient_id: int
    protocol_id: str
    current_stage: int
    created_at: datetime
    updated_at: datetime
    progress_after_sessions: int = 6
    min_days_at_stage: int = 3
    worsening_points: int = 2
    dose_overrides: JsonDict = field(default_factory=dict)
    clearance: bool = False
    cleared_by: int | None = None
    cleared_at: datetime | None = None
    directional_preference: DirectionalPreference = DirectionalPreference.UNKNOWN
    status: ProgrammeStatus = ProgrammeStatus.ACTIVE
    paused_reason: str | None = None
    paused_at: datetime | None = None
    outcome_measure: OutcomeMeasure = OutcomeMeasure.ODI
    psfs_enabled: bool = False
    progress_max_pain: int = 2
    progress_max_location: Location = Location.BACK
    maintenance_sessions_per_day: int = 2
    #: ``progression`` until R8 decides ``maintain`` at the final stage (SPEC §3.3).
    phase: Phase = Phase.PROGRESSION
    #: When the current run began: the last stage change, resume, plan or phase change.
    run_since: datetime | None = None
    id: int | None = None
    #: Its id outside this installation (FHIR), random and kept for the record's life.
    uuid: str = field(default_factory=new_uuid)


@dataclass(slots=True)
class RedFlagReport:
    patient_id: int
    code: str
    reported_at: datetime
    source: FlagSource
    resolved_at: datetime | None = None
    resolved_by: int | None = None
    resolved_by_self: bool = False
    outcome: str | None = None
    id: int | None = None
    #: Its id outside this installation (FHIR), random and kept for the record's life.
    uuid: str = field(default_factory=new_uuid)

    @property
    def resolved(self) -> bool:
        return self.resolved_at is not None


@dataclass(slots=True)
class ScreeningRecord:
    """One set of red-flag answers: ``answers`` maps each code asked to true (yes) or false."""

    patient_id: int
    at: datetime
    source: FlagSource
    answers: dict[str, bool]
    id: int | None = None
    #: Its id outside this installation (FHIR), random and kept for the record's life.
    uuid: str = field(default_factory=new_uuid)


@dataclass(slots=True)
class StoredSession:
    """A stored exercise session. ``at`` keeps the offset it was given (its local date)."""

    patient_id: int
    assignment_id: int
    at: datetime
    stage: int
    completed: bool
    effort: Effort
    pain_before: int
    pain_during: int
    pain_after: int
    location_before: Location
    location_after: Location
    created_at: datetime
    reps: int | None = None
    stopped_early: bool = False
    motion: JsonDict | None = None
    id: int | None = None
    #: Its id outside this installation (FHIR), random and kept for the record's life.
    uuid: str = field(default_factory=new_uuid)


@dataclass(slots=True)
class StoredDecision:
    """A stored decision with the inputs it saw and the rules version (SPEC §3.5)."""

    patient_id: int
    made_at: datetime
    decision: Decision
    urgency: Urgency
    current_stage: int
    next_stage: int | None
    reasons: list[JsonDict]
    message: str
    dose: JsonDict | None
    inputs: JsonDict
    rules_version: str
    responses: JsonDict | None = None
    assignment_id: int | None = None
    session_id: int | None = None
    #: The phase the programme is in after this decision (SPEC §3.4).
    phase: Phase = Phase.PROGRESSION
    id: int | None = None
    #: Its id outside this installation (FHIR), random and kept for the record's life.
    uuid: str = field(default_factory=new_uuid)


@dataclass(slots=True)
class ProgrammeEvent:
    """A change to a programme: who (``actor_user_id``; None for the local person), when, why."""

    patient_id: int
    assignment_id: int
    kind: EventKind
    at: datetime
    reason: str
    actor_user_id: int | None = None
    #: The clinician's own words for a plan change, resume or resolution (free text).
    note: str | None = None
    id: int | None = None
    #: Its id outside this installation (FHIR), random and kept for the record's life.
    uuid: str = field(default_factory=new_uuid)


@dataclass(slots=True)
class StoredQuestionnaire:
    patient_id: int
    instrument: str
    taken_at: datetime
    answers: JsonDict
    score: JsonDict
    id: int | None = None
    #: Its id outside this installation (FHIR), random and kept for the record's life.
    uuid: str = field(default_factory=new_uuid)


@dataclass(slots=True)
class AuditEntry:
    """Who did what to which patient's record, and when. Never carries clinical values."""

    action: str
    at: datetime
    actor_user_id: int | None = None
    patient_id: int | None = None
    subject_user_id: int | None = None
    id: int | None = None


@dataclass(slots=True)
class InviteRecord:
    """A one-time invitation; only the SHA-256 of its token is kept."""

    token_hash: str
    email: str
    role: Role
    created_at: datetime
    expires_at: datetime
    created_by: int | None = None
    patient_id: int | None = None
    used_at: datetime | None = None
    id: int | None = None


@dataclass(slots=True)
class DeletionRequest:
    patient_id: int | None
    requested_at: datetime
    requested_by: int | None = None
    status: DeletionStatus = DeletionStatus.PENDING
    completed_at: datetime | None = None
    completed_by: int | None = None
    id: int | None = None


@dataclass(slots=True)
class IdempotencyRecord:
    """The first answer to a session or stop-now sent with an idempotency key (SPEC §3.5).

    ``outcome`` holds what the answer needs besides the stored session and its decision
    (``stage_before``, ``stage_after``, ``paused``). Keys are unique per patient.
    """

    patient_id: int
    key: str
    outcome: JsonDict
    created_at: datetime
    session_id: int | None = None
    id: int | None = None


@dataclass(slots=True)
class BrowserSessionRecord:
    """A signed-in browser session; only the SHA-256 of the cookie's nonce is kept."""

    user_id: int
    nonce_hash: str
    created_at: datetime
    expires_at: datetime
    id: int | None = None


@dataclass(slots=True)
class PasswordResetRecord:
    """A one-time password reset link for ``user_id``; only its SHA-256 is kept."""

    user_id: int
    token_hash: str
    created_at: datetime
    expires_at: datetime
    created_by: int | None = None
    used_at: datetime | None = None
    id: int | None = None


@dataclass(slots=True)
class LoginThrottleRecord:
    """Failed sign-ins of one (account, address) pair (``key`` is a SHA-256 of the pair)."""

    key: str
    failures: int
    last_failure_at: datetime
    blocked_until: datetime | None = None


@dataclass(slots=True)
class ReminderSlotRecord:
    """What the reminder calendar last published for one slot (1 = the day's first time).

    The slot number, not the time, names the calendar event, so changing a time updates
    the event; ``sequence`` counts the changes and ``cancelled`` marks a slot the
    current plan no longer has.
    """

    patient_id: int
    slot: int
    at: str  # HH:MM, local time
    start: date
    until: date | None
    summary: str
    description: str
    duration_min: int
    sequence: int
    modified_at: datetime
    cancelled: bool = False
    id: int | None = None


@dataclass(slots=True)
class CalendarFeedRecord:
    """A patient's calendar subscription; only the SHA-256 of the secret token is kept."""

    patient_id: int
    token_hash: str
    created_at: datetime
    id: int | None = None
