"""Plain records of one patient, as the exporters and importers see them.

These dataclasses are the hand-over point between the store (which fills them), the
interop adapters (FHIR, CSV, iCalendar, PDF: which format and parse them) and the
front ends. They hold values only: no database rows, no I/O. Every timestamp is
timezone-aware; identifiers are strings so any backend's keys fit. ``id`` is the local
key (shown and written in CSV); ``uuid`` is the stored record's random UUID, its id
outside this installation (FHIR). Records read from a file get fresh UUIDs: a file's ids
are never trusted, and an import stores new records with new UUIDs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum

from spinestep.domain.model import (
    Decision,
    Direction,
    DirectionalPreference,
    Dose,
    EmergencyNumber,
    Location,
    Phase,
    SessionRecord,
    Urgency,
)
from spinestep.domain.scoring import Bothersomeness, Instrument
from spinestep.services.records import EventKind, FlagSource, OutcomeMeasure, new_uuid


class StageStatus(StrEnum):
    """Where a stage of the programme stands (maps to a FHIR CarePlan activity status)."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class ProgrammeStatus(StrEnum):
    """Where the programme stands (maps to a FHIR CarePlan status)."""

    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class PatientInfo:
    """Who the records belong to. ``name`` may be empty; ``time_zone`` is an IANA name."""

    id: str
    name: str = ""
    birth_date: date | None = None
    time_zone: str = "UTC"
    uuid: str = field(default_factory=new_uuid)
    #: The local emergency number the emergency message gives (SPEC §3.5).
    emergency_number: EmergencyNumber = EmergencyNumber.EU


@dataclass(frozen=True, slots=True)
class StagePlan:
    """One stage of the patient's programme with the dose the clinician set."""

    number: int
    id: str
    title: str
    dose: Dose
    status: StageStatus


@dataclass(frozen=True, slots=True)
class ProgrammeInfo:
    """The assigned programme: protocol, current stage, status and its stages."""

    protocol_id: str
    title: str
    direction: Direction
    current_stage: int
    status: ProgrammeStatus
    started_at: datetime
    stages: tuple[StagePlan, ...]
    #: ``maintenance`` once the programme is complete (SPEC §3.3): the exercise is then the
    #: protocol's maintenance stage at ``maintenance_sessions_per_day``.
    phase: Phase = Phase.PROGRESSION
    maintenance_sessions_per_day: int = 2
    uuid: str = field(default_factory=new_uuid)
    #: What the clinician found the patient's direction to be (SPEC §3.3, R3).
    directional_preference: DirectionalPreference = DirectionalPreference.UNKNOWN
    #: The disability questionnaire the clinician chose, and whether PSFS is asked too.
    outcome_measure: OutcomeMeasure = OutcomeMeasure.ODI
    psfs_enabled: bool = False
    #: Why and since when the programme is paused (both None unless it is paused).
    paused_reason: str | None = None
    paused_at: datetime | None = None
    #: The rules' settings of SPEC §3.3 for this patient.
    progress_after_sessions: int = 6
    min_days_at_stage: int = 3
    worsening_points: int = 2
    progress_max_pain: int = 2
    progress_max_location: Location = Location.BACK
    #: Since when sessions count towards progress (the rules' ``run_since``).
    run_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class SessionEntry:
    """A stored exercise session with its identifier."""

    id: str
    record: SessionRecord
    uuid: str = field(default_factory=new_uuid)
    #: Ended with "stop now" (SPEC §3.5) rather than finished or left incomplete.
    stopped_early: bool = False


@dataclass(frozen=True, slots=True)
class DecisionEntry:
    """A stored decision of the rules: what, how urgent, the deciding rule(s) and message."""

    id: str
    at: datetime
    decision: Decision
    urgency: Urgency
    current_stage: int
    next_stage: int | None
    rules: tuple[str, ...]
    message: str
    rules_version: str = ""


@dataclass(frozen=True, slots=True)
class OdiAnswers:
    """The 10 ODI sections, each 0-5 or ``None`` when unanswered."""

    sections: tuple[int | None, ...]


@dataclass(frozen=True, slots=True)
class RmdqAnswers:
    """The Roland-Morris statements ticked (1-24), in ascending order."""

    ticked: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class PsfsActivity:
    """One activity the patient named and its rating (0 unable - 10 as before)."""

    name: str
    rating: int


@dataclass(frozen=True, slots=True)
class PsfsAnswers:
    activities: tuple[PsfsActivity, ...]


@dataclass(frozen=True, slots=True)
class StartBackAnswers:
    """Items 1-8 (1 agree, 0 disagree) and item 9, the bothersomeness."""

    items: tuple[int, ...]
    bothersomeness: Bothersomeness


Answers = OdiAnswers | RmdqAnswers | PsfsAnswers | StartBackAnswers

ANSWER_TYPES: dict[Instrument, type[Answers]] = {
    Instrument.ODI: OdiAnswers,
    Instrument.RMDQ: RmdqAnswers,
    Instrument.PSFS: PsfsAnswers,
    Instrument.STARTBACK: StartBackAnswers,
}


@dataclass(frozen=True, slots=True)
class QuestionnaireEntry:
    """One completed questionnaire (ODI, RMDQ, PSFS or STarT Back) and when it was taken."""

    id: str
    taken_at: datetime
    answers: Answers
    uuid: str = field(default_factory=new_uuid)

    @property
    def instrument(self) -> Instrument:
        for instrument, answer_type in ANSWER_TYPES.items():
            if isinstance(self.answers, answer_type):
                return instrument
        raise TypeError(f"unknown answers type {type(self.answers).__name__}")


class RomMeasure(StrEnum):
    """The primary angle of a stage (SPEC §6): whole-trunk, never called lumbar."""

    TRUNK_FLEXION = "trunk_flexion"
    HIP_FLEXION = "hip_flexion"


@dataclass(frozen=True, slots=True)
class MotionMetrics:
    """What motion analysis measured in a session besides its median ROM (SPEC §6, as
    ``services.motion_metrics`` keeps it): angles 1 decimal, fractions 2."""

    exercise: str
    """The stage id the video shows (``supine``, ``seated``, ``standing``)."""
    reps: int
    held_count: int
    rep_rom_deg: tuple[Decimal, ...]
    detected_fraction: Decimal
    visibility_mean: Decimal | None = None
    side_view: bool = True

    def to_json(self, measure: RomMeasure, median_deg: Decimal) -> dict[str, object]:
        """The metrics as the session stores them (``services.motion_metrics``)."""
        return {
            "stage": self.exercise,
            "measure": measure.value,
            "reps": self.reps,
            "held_count": self.held_count,
            "rom_deg": [float(value) for value in self.rep_rom_deg],
            "rom_deg_median": float(median_deg),
            "detected_fraction": float(self.detected_fraction),
            "visibility_mean": None
            if self.visibility_mean is None
            else float(self.visibility_mean),
            "side_view": self.side_view,
        }


@dataclass(frozen=True, slots=True)
class RomEntry:
    """A range of motion measured by motion analysis, in degrees (1 decimal)."""

    id: str
    at: datetime
    stage: int
    measure: RomMeasure
    rom_deg: Decimal
    #: The UUID of the session it was measured in.
    uuid: str = field(default_factory=new_uuid)
    #: The rest of what was measured; None only for records made before it was kept.
    metrics: MotionMetrics | None = None


@dataclass(frozen=True, slots=True)
class FlagEntry:
    """A red flag raised for the patient, and when (and whether) a clinician resolved it."""

    code: str
    raised_at: datetime
    resolved_at: datetime | None = None
    uuid: str = field(default_factory=new_uuid)
    #: Where it was reported: the onboarding questions, a session check, the monthly one.
    source: FlagSource = FlagSource.SESSION
    #: What the review or referral found (the clinician's words), once resolved.
    outcome: str | None = None
    #: Resolved by a person without a clinician confirming their assessment (SPEC §3.5).
    resolved_by_self: bool = False


@dataclass(frozen=True, slots=True)
class ScreeningEntry:
    """One set of red-flag answers: each code asked, true for a yes."""

    at: datetime
    source: FlagSource
    answers: tuple[tuple[str, bool], ...]
    uuid: str = field(default_factory=new_uuid)


#: What changed in the programme: exactly the stored event kinds (SPEC §3.5).
ChangeKind = EventKind


@dataclass(frozen=True, slots=True)
class ProgrammeChange:
    """A change to the programme: when, what (``reason``: spinestep's words) and, when
    given, the clinician's own words (``note``: a reason for a plan change, a resume
    note, or what a person without a clinician was told at their assessment)."""

    at: datetime
    kind: ChangeKind
    reason: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class MessageEntry:
    """A secure message between the patient and their care team (exported, not imported:
    a conversation belongs to the care team of the installation that holds it)."""

    thread_uuid: str
    subject: str
    sent_at: datetime
    from_patient: bool
    text: str
    uuid: str = field(default_factory=new_uuid)
    #: The UUID of the thread's message before this one (None: the first).
    in_reply_to: str | None = None


@dataclass(frozen=True, slots=True)
class PatientRecords:
    """Everything held about one patient that is exported (SPEC §7)."""

    patient: PatientInfo
    programme: ProgrammeInfo | None = None
    sessions: tuple[SessionEntry, ...] = ()
    decisions: tuple[DecisionEntry, ...] = ()
    questionnaires: tuple[QuestionnaireEntry, ...] = ()
    rom: tuple[RomEntry, ...] = ()
    flags: tuple[FlagEntry, ...] = ()
    changes: tuple[ProgrammeChange, ...] = ()
    screenings: tuple[ScreeningEntry, ...] = ()
    messages: tuple[MessageEntry, ...] = ()
    #: The UUID of the installation that holds the records (names identifier systems).
    installation: str = field(default_factory=new_uuid)


@dataclass(frozen=True, slots=True)
class ReminderPlan:
    """When the patient plans to exercise: daily times in their time zone from a start date."""

    patient_id: str
    title: str
    time_zone: str
    start: date
    times: tuple[time, ...]
    until: date | None = None
    duration_min: int = 10
    description: str = ""
    #: The calendar events as last published (``services.reminder_slots``); empty for a
    #: plan that was never stored, whose events follow from the times alone.
    events: tuple[ReminderEvent, ...] = ()
    #: Names the patient in event UIDs (their record's UUID); ``patient_id`` when empty.
    calendar_key: str = ""


@dataclass(frozen=True, slots=True)
class ReminderEvent:
    """One daily reminder (a slot of the day), as the calendar should show it now."""

    slot: int
    at: time
    start: date
    until: date | None
    summary: str
    description: str
    duration_min: int
    sequence: int = 0
    modified_at: datetime | None = None
    cancelled: bool = False
