"""The vocabulary of spinestep: enums and value objects shared by every layer.

Pure: standard library only, no I/O, no clock. The JSON strings of SPEC.md are the
enum values, so the edge can convert with ``Enum(value)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum

from spinestep.domain.demonstration import Demonstration


class Location(IntEnum):
    """The most distant place the symptoms reach, nearest first (SPEC §3.1)."""

    NONE = 0
    BACK = 1
    BUTTOCK = 2
    THIGH = 3
    BELOW_KNEE = 4
    FOOT = 5

    @property
    def code(self) -> str:
        return self.name.lower()

    @classmethod
    def from_code(cls, code: str) -> Location:
        return cls[code.upper()]

    @classmethod
    def codes(cls) -> tuple[str, ...]:
        return tuple(member.code for member in cls)


class Effort(StrEnum):
    EASY = "easy"
    MODERATE = "moderate"
    HARD = "hard"


class Direction(StrEnum):
    FLEXION = "flexion"
    EXTENSION = "extension"


class DirectionalPreference(StrEnum):
    FLEXION = "flexion"
    EXTENSION = "extension"
    UNKNOWN = "unknown"


class Decision(StrEnum):
    EMERGENCY = "emergency"
    URGENT_REFERRAL = "urgent_referral"
    CLINICIAN_REVIEW = "clinician_review"
    DO_NOT_START = "do_not_start"
    STOP = "stop"
    REGRESS = "regress"
    STAY = "stay"
    PROGRESS = "progress"
    MAINTAIN = "maintain"

    @property
    def pauses_programme(self) -> bool:
        """A stop or referral pauses the programme until it is resumed (SPEC §3.5)."""
        return self in PAUSING_DECISIONS

    @property
    def continues_programme(self) -> bool:
        return self in CONTINUING_DECISIONS


PAUSING_DECISIONS = frozenset(
    {Decision.STOP, Decision.EMERGENCY, Decision.URGENT_REFERRAL, Decision.CLINICIAN_REVIEW}
)
CONTINUING_DECISIONS = frozenset(
    {Decision.REGRESS, Decision.STAY, Decision.PROGRESS, Decision.MAINTAIN}
)


class Urgency(StrEnum):
    NONE = "none"
    ROUTINE = "routine"
    SOON = "soon"
    URGENT = "urgent"
    URGENT_SAME_DAY = "urgent_same_day"
    EMERGENCY = "emergency"

    @property
    def rank(self) -> int:
        """Higher is more urgent: emergency > urgent_same_day > urgent > soon > routine > none."""
        return _URGENCY_ORDER.index(self)


_URGENCY_ORDER = (
    Urgency.NONE,
    Urgency.ROUTINE,
    Urgency.SOON,
    Urgency.URGENT,
    Urgency.URGENT_SAME_DAY,
    Urgency.EMERGENCY,
)


class DuringResponse(StrEnum):
    NO_EFFECT = "no_effect"
    PRODUCED = "produced"
    INCREASED = "increased"
    DECREASED = "decreased"
    ABOLISHED = "abolished"


class AfterResponse(StrEnum):
    BETTER = "better"
    WORSE = "worse"
    NO_WORSE = "no_worse"
    NO_BETTER = "no_better"
    NO_EFFECT = "no_effect"


class LocationResponse(StrEnum):
    PERIPHERALISED = "peripheralised"
    CENTRALISED = "centralised"
    UNCHANGED = "unchanged"


class Phase(StrEnum):
    """Where a programme is (SPEC §3.3): moving through the stages, or complete and maintained."""

    PROGRESSION = "progression"
    MAINTENANCE = "maintenance"


class EmergencyNumber(StrEnum):
    """Selectable local emergency numbers (SPEC §3.5); 112 is the default."""

    EU = "112"
    UK = "999"
    NORTH_AMERICA = "911"


@dataclass(frozen=True, slots=True)
class Dose:
    """Repetitions per session, hold range in seconds, sessions per day."""

    reps: int
    hold_s_min: int
    hold_s_max: int
    sessions_per_day: int

    def to_json(self) -> dict[str, object]:
        return {
            "reps": self.reps,
            "hold_s": [self.hold_s_min, self.hold_s_max],
            "sessions_per_day": self.sessions_per_day,
        }


@dataclass(frozen=True, slots=True)
class RuleSettings:
    """Per-patient settings of the decision rules (SPEC §3.3)."""

    progress_after_sessions: int = 6
    min_days_at_stage: int = 3
    worsening_points: int = 2
    progress_max_pain: int = 2
    progress_max_location: Location = Location.BACK
    maintenance_sessions_per_day: int = 2


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One exercise session as the rules see it (SPEC §3.1).

    ``at`` is timezone-aware; its own offset decides the calendar date used by R8.
    """

    at: datetime
    stage: int
    effort: Effort
    pain_before: int
    pain_during: int
    pain_after: int
    location_before: Location
    location_after: Location
    completed: bool = True
    reps: int | None = None


@dataclass(frozen=True, slots=True)
class StageDefinition:
    """One stage of a protocol: its id (e.g. ``supine``), title, instructions and dose."""

    number: int
    id: str
    title: str
    instructions: tuple[str, ...]
    dose: Dose
    #: How the exercise looks, drawn and animated; None when the protocol gives none.
    demonstration: Demonstration | None = None


@dataclass(frozen=True, slots=True)
class ProtocolDefinition:
    """A programme loaded from a protocol data file."""

    id: str
    title: str
    direction: Direction
    stages: tuple[StageDefinition, ...]
    description: str = ""
    #: The stage kept up as maintenance once the programme is complete (SPEC §3.3).
    maintenance_stage: int = 1

    @property
    def final_stage(self) -> int:
        return len(self.stages)

    def stage(self, number: int) -> StageDefinition:
        if not 1 <= number <= len(self.stages):
            raise ValueError(f"stage {number} is not within 1-{len(self.stages)}")
        return self.stages[number - 1]


@dataclass(frozen=True, slots=True)
class Responses:
    """The derived McKenzie responses of one session (SPEC §3.2)."""

    during: DuringResponse
    after: AfterResponse
    location: LocationResponse

    def to_json(self) -> dict[str, str]:
        return {
            "during": self.during.value,
            "after": self.after.value,
            "location": self.location.value,
        }


@dataclass(frozen=True, slots=True)
class Reason:
    """The deciding rule (``R1``..``R9``), a plain-language text, and for R1 the flag code."""

    rule: str
    text: str
    flag: str | None = None

    def to_json(self) -> dict[str, str]:
        out = {"rule": self.rule, "text": self.text}
        if self.flag is not None:
            out["flag"] = self.flag
        return out


@dataclass(frozen=True, slots=True)
class DecisionInput:
    """Everything the rules look at. ``sessions`` must already be in time order (oldest first)."""

    protocol: ProtocolDefinition
    current_stage: int
    sessions: tuple[SessionRecord, ...]
    clearance: bool = False
    directional_preference: DirectionalPreference = DirectionalPreference.UNKNOWN
    red_flags: tuple[str, ...] = ()
    settings: RuleSettings = field(default_factory=RuleSettings)
    doses: dict[int, Dose] = field(default_factory=dict)
    emergency_number: str = "112"
    phase: Phase = Phase.PROGRESSION
    #: Sessions before this instant do not count towards R8's run (SPEC §3.4).
    run_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class DecisionResult:
    """What the patient does next, and why (SPEC §3.4 output)."""

    decision: Decision
    urgency: Urgency
    current_stage: int
    next_stage: int | None
    continue_programme: bool
    responses: Responses | None
    reasons: tuple[Reason, ...]
    message: str
    dose: Dose | None
    rules_version: str = ""
    phase: Phase = Phase.PROGRESSION

    def to_json(self) -> dict[str, object]:
        return {
            "decision": self.decision.value,
            "urgency": self.urgency.value,
            "current_stage": self.current_stage,
            "next_stage": self.next_stage,
            "phase": self.phase.value,
            "continue_programme": self.continue_programme,
            "responses": None if self.responses is None else self.responses.to_json(),
            "reasons": [reason.to_json() for reason in self.reasons],
            "message": self.message,
            "dose": None if self.dose is None else self.dose.to_json(),
            "rules_version": self.rules_version,
        }
