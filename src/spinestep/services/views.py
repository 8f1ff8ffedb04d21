"""Read-only views the use cases return to the front ends (frozen dataclasses, no ORM)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from spinestep.domain.model import (
    Decision,
    DirectionalPreference,
    Dose,
    Effort,
    Location,
    Phase,
    Reason,
    StageDefinition,
    Urgency,
)
from spinestep.services.records import (
    FlagSource,
    OutcomeMeasure,
    ProgrammeStatus,
    StoredDecision,
    StoredSession,
)

if TYPE_CHECKING:  # adherence reads the store through deciding, which imports this module
    from spinestep.services.adherence import Adherence


def dose_from_json(data: dict[str, Any]) -> Dose:
    hold = data["hold_s"]
    return Dose(
        reps=int(data["reps"]),
        hold_s_min=int(hold[0]),
        hold_s_max=int(hold[1]),
        sessions_per_day=int(data["sessions_per_day"]),
    )


@dataclass(frozen=True, slots=True)
class DecisionView:
    id: int
    made_at: datetime
    decision: Decision
    urgency: Urgency
    current_stage: int
    next_stage: int | None
    reasons: tuple[Reason, ...]
    message: str
    dose: Dose | None
    responses: dict[str, str] | None
    rules_version: str
    session_id: int | None

    @classmethod
    def of(cls, entry: StoredDecision) -> DecisionView:
        if entry.id is None:
            raise ValueError("the decision has not been stored")
        return cls(
            id=entry.id,
            made_at=entry.made_at,
            decision=entry.decision,
            urgency=entry.urgency,
            current_stage=entry.current_stage,
            next_stage=entry.next_stage,
            reasons=tuple(
                Reason(rule=r["rule"], text=r["text"], flag=r.get("flag")) for r in entry.reasons
            ),
            message=entry.message,
            dose=None if entry.dose is None else dose_from_json(entry.dose),
            responses=entry.responses,
            rules_version=entry.rules_version,
            session_id=entry.session_id,
        )

    @property
    def pauses_programme(self) -> bool:
        return self.decision.pauses_programme

    def to_json(self) -> dict[str, object]:
        """The SPEC §3.4 output shape, plus ``id``, ``made_at`` and ``session_id``."""
        return {
            "id": self.id,
            "made_at": self.made_at.isoformat(),
            "session_id": self.session_id,
            "decision": self.decision.value,
            "urgency": self.urgency.value,
            "current_stage": self.current_stage,
            "next_stage": self.next_stage,
            "continue_programme": self.decision.continues_programme,
            "responses": self.responses,
            "reasons": [reason.to_json() for reason in self.reasons],
            "message": self.message,
            "dose": None if self.dose is None else self.dose.to_json(),
            "rules_version": self.rules_version,
        }


@dataclass(frozen=True, slots=True)
class SessionView:
    id: int
    at: datetime  # with the offset it was recorded in
    stage: int
    completed: bool
    stopped_early: bool
    reps: int | None
    effort: Effort
    pain_before: int
    pain_during: int
    pain_after: int
    location_before: Location
    location_after: Location
    motion: dict[str, Any] | None

    @classmethod
    def of(cls, entry: StoredSession) -> SessionView:
        if entry.id is None:
            raise ValueError("the session has not been stored")
        return cls(
            id=entry.id,
            at=entry.at,
            stage=entry.stage,
            completed=entry.completed,
            stopped_early=entry.stopped_early,
            reps=entry.reps,
            effort=entry.effort,
            pain_before=entry.pain_before,
            pain_during=entry.pain_during,
            pain_after=entry.pain_after,
            location_before=entry.location_before,
            location_after=entry.location_after,
            motion=entry.motion,
        )

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "stage": self.stage,
            "completed": self.completed,
            "stopped_early": self.stopped_early,
            "reps": self.reps,
            "effort": self.effort.value,
            "pain_before": self.pain_before,
            "pain_during": self.pain_during,
            "pain_after": self.pain_after,
            "location_before": self.location_before.code,
            "location_after": self.location_after.code,
            "motion": self.motion,
        }


@dataclass(frozen=True, slots=True)
class SessionOutcome:
    """What ``record_session`` / ``stop_now`` stored and decided."""

    session: SessionView
    decision: DecisionView
    stage_before: int
    stage_after: int
    paused: bool
    emergency_number: str
    #: True when an idempotency key was seen before: this is the first answer, given again.
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class RedFlagView:
    id: int
    code: str
    question: str
    urgency: Urgency
    decision: Decision
    reported_at: datetime
    source: FlagSource
    resolved_at: datetime | None
    resolved_by: int | None
    outcome: str | None


@dataclass(frozen=True, slots=True)
class PatientSummary:
    id: int
    display_name: str
    time_zone: str
    emergency_number: str
    self_managed: bool
    clinician_id: int | None
    user_id: int | None
    status: ProgrammeStatus | None
    current_stage: int | None
    protocol_id: str | None
    open_red_flags: tuple[str, ...]
    last_decision: DecisionView | None
    last_session_at: datetime | None
    attention_rank: int  # higher needs attention sooner (urgency rank, +paused, +flags)


@dataclass(frozen=True, slots=True)
class ProgrammeUpdate:
    """A change to the programme newer than the latest decision (SPEC §3.5, "Today tells one
    story"): a resume, a plan or stage change, a flag resolution, a pause.

    ``kind`` is a stable code (``resume``, ``plan_change``, ``stage_change``,
    ``flag_resolved``, ``pause``, ``clearance``, ``new_programme``, ``maintenance``);
    ``text`` says who did what and when in the patient's local time, e.g. "Your clinician
    resumed your programme on 3 Dec at 10:02."
    """

    kind: str
    at: datetime
    text: str

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "at": self.at.isoformat(), "text": self.text}


@dataclass(frozen=True, slots=True)
class TodayView:
    """What the patient does today, in their own time zone.

    One story (SPEC §3.5): ``current_decision`` is the latest decision only while it
    still applies (while paused, the pausing decision always does); when a resume, plan
    change or flag resolution came after it, ``update`` says so (also while paused).
    While paused, ``pause_decision`` is the decision that paused the programme.
    ``stage``, ``stage_definition``, ``instructions`` and ``dose`` are what the patient
    does now: in maintenance, the maintenance exercise and dose. ``last_decision`` stays
    the newest stored decision (for "Why?").
    """

    patient_id: int
    display_name: str
    time_zone: str
    local_date: date
    emergency_number: str
    protocol_id: str
    protocol_title: str
    stage: int
    final_stage: int
    stage_definition: StageDefinition
    dose: Dose
    sessions_done_today: int
    sessions_planned: int
    status: ProgrammeStatus
    paused: bool
    paused_reason: str | None
    paused_at: datetime | None
    clearance: bool
    directional_preference: DirectionalPreference
    self_managed: bool
    last_decision: DecisionView | None
    open_red_flags: tuple[str, ...]
    monthly_check_due: tuple[str, ...]
    outcome_measure: OutcomeMeasure = OutcomeMeasure.ODI
    psfs_enabled: bool = False
    phase: Phase = Phase.PROGRESSION
    #: The stage's instruction lines with the hold of ``dose``.
    instructions: tuple[str, ...] = ()
    current_decision: DecisionView | None = None
    update: ProgrammeUpdate | None = None
    pause_decision: DecisionView | None = None
    adherence: Adherence | None = None
    clinician_name: str | None = None

    @property
    def can_exercise(self) -> bool:
        """A session may be offered: cleared, not paused, no unresolved red flag."""
        return self.clearance and not self.paused and not self.open_red_flags

    @property
    def maintenance(self) -> bool:
        """The programme is complete and the person keeps up the maintenance exercise."""
        return self.phase is Phase.MAINTENANCE

    @property
    def programme_complete(self) -> bool:
        return self.maintenance or self.status is ProgrammeStatus.COMPLETED

    @property
    def emergency(self) -> bool:
        """Paused by an emergency decision (the number is shown to call)."""
        cause = self.pause_decision
        return cause is not None and cause.urgency is Urgency.EMERGENCY


@dataclass(frozen=True, slots=True)
class PainPoint:
    """One session on the pain trend: its local date and time, and the three scores."""

    at: datetime
    local_date: date
    stage: int
    pain_before: int
    pain_during: int
    pain_after: int
    completed: bool


@dataclass(frozen=True, slots=True)
class RomWeek:
    """Range of motion at one stage in one ISO week of the patient's own calendar.

    ``rom_deg_median`` is the median of the analysed sessions' median ROM (1 decimal);
    ``week_start`` is that week's Monday.
    """

    stage: int
    stage_id: str
    measure: str
    iso_year: int
    iso_week: int
    week_start: date
    rom_deg_median: float
    sessions: int

    @property
    def week_label(self) -> str:
        return f"{self.iso_year}-W{self.iso_week:02d}"

    def to_json(self) -> dict[str, object]:
        return {
            "stage": self.stage,
            "stage_id": self.stage_id,
            "measure": self.measure,
            "week": self.week_label,
            "week_start": self.week_start.isoformat(),
            "rom_deg_median": self.rom_deg_median,
            "sessions": self.sessions,
        }


@dataclass(frozen=True, slots=True)
class HistoryView:
    patient_id: int
    time_zone: str
    sessions: tuple[SessionView, ...]
    decisions: tuple[DecisionView, ...]
    pain_trend: tuple[PainPoint, ...]
    #: ROM per stage and ISO week, from the sessions saved with a motion analysis.
    rom_trend: tuple[RomWeek, ...] = ()

    def decision_for(self, session_id: int) -> DecisionView | None:
        for decision in self.decisions:
            if decision.session_id == session_id:
                return decision
        return None
