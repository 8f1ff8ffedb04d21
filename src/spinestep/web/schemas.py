"""The JSON shapes of the API (requests strict, responses documented). Separate from the tables."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)

from spinestep.services.password_policy import MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS
from spinestep.web.motion_series import MAX_FRAMES as MOTION_SERIES_MAX_FRAMES

LocationCode = Literal["none", "back", "buttock", "thigh", "below_knee", "foot"]
EffortCode = Literal["easy", "moderate", "hard"]
RoleCode = Literal["patient", "clinician", "admin"]
PreferenceCode = Literal["flexion", "extension", "unknown"]
EmergencyCode = Literal["112", "999", "911"]
Pain = Annotated[int, Field(ge=0, le=10, strict=True)]


def _no_nul(text: str) -> str:
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    return text


Text = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_no_nul)]
ShortText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, strip_whitespace=True),
    AfterValidator(_no_nul),
]
Email = Annotated[
    str,
    StringConstraints(
        min_length=3, max_length=320, strip_whitespace=True, pattern=r"^[^@\s]+@[^@\s]+$"
    ),
    AfterValidator(_no_nul),
]
#: A new password, exactly as typed (never stripped). Its rules are the service's
#: (``services.password_policy``), so the API and the pages refuse with the same words.
Password = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_PASSWORD_CHARS),
    Field(
        description=f"{MIN_PASSWORD_CHARS}-{MAX_PASSWORD_CHARS} characters, taken exactly as "
        "typed; no leading or trailing whitespace; not a common password"
    ),
]
#: A password to check (sign-in, current password), exactly as typed.
GivenPassword = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_PASSWORD_CHARS), AfterValidator(_no_nul)
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ErrorDetail(BaseModel):
    code: str
    message: str
    path: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


# --- authentication ------------------------------------------------------------------


class TokenRequest(Strict):
    email: Email
    password: GivenPassword
    label: ShortText = "api"


class TokenOut(BaseModel):
    token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime | None


class AccountOut(BaseModel):
    id: int
    email: str
    display_name: str
    role: RoleCode
    active: bool = True


class AccountUpdate(Strict):
    """`active`: false deactivates the account (and revokes its API tokens), true reactivates."""

    active: bool


class PasswordChange(Strict):
    current_password: GivenPassword
    new_password: Password


class AccountCreate(Strict):
    email: Email
    display_name: ShortText
    role: RoleCode
    password: Password


class InviteAccept(Strict):
    token: Annotated[str, StringConstraints(min_length=10, max_length=200), AfterValidator(_no_nul)]
    display_name: ShortText
    password: Password


# --- the patient's plan and sessions -----------------------------------------------------


class DoseOut(BaseModel):
    reps: int
    hold_s: list[int]
    sessions_per_day: int


class DoseIn(Strict):
    reps: Annotated[int, Field(ge=1, le=100, strict=True)]
    hold_s: Annotated[
        list[Annotated[int, Field(ge=0, le=600, strict=True)]], Field(min_length=2, max_length=2)
    ]
    sessions_per_day: Annotated[int, Field(ge=1, le=24, strict=True)]


class ReasonOut(BaseModel):
    rule: str
    text: str
    flag: str | None = None


class ResponsesOut(BaseModel):
    during: str
    after: str
    location: str


class DecisionOut(BaseModel):
    decision: str
    urgency: str
    current_stage: int
    next_stage: int | None
    continue_programme: bool
    responses: ResponsesOut | None
    reasons: list[ReasonOut]
    message: str
    dose: DoseOut | None
    made_at: datetime | None = None
    rules_version: str = ""


class StageOut(BaseModel):
    number: int
    id: str
    title: str
    #: The instruction lines with the hold of ``dose`` (the patient's dose).
    instructions: list[str]
    dose: DoseOut
    #: How long each hold countdown runs (web and terminal alike).
    countdown_hold_s: int = 0


class ProgrammeUpdateOut(BaseModel):
    """A change to the programme after the latest decision, which replaces its message."""

    kind: str
    at: datetime
    text: str


class PlanOut(BaseModel):
    protocol: str
    protocol_title: str
    direction: str
    stage: StageOut
    stage_count: int
    status: str
    paused: bool
    paused_reason: str | None
    clearance: bool
    directional_preference: PreferenceCode
    sessions_today: int
    sessions_planned_today: int
    time_zone: str
    emergency_number: str
    session_flags: list[str]
    latest_decision: DecisionOut | None
    #: ``progression`` or ``maintenance`` (then ``stage`` is the maintenance exercise).
    phase: str = "progression"
    #: The latest decision while it still applies (else null and ``update`` says why).
    current_decision: DecisionOut | None = None
    update: ProgrammeUpdateOut | None = None
    #: While paused: the decision that paused the programme.
    pause_decision: DecisionOut | None = None
    #: SPEC §3.5 adherence over the last 7 local days; null when no day counts.
    adherence_7d_percent: int | None = None
    clinician_name: str | None = None


class ScreeningIn(Strict):
    """Red-flag answers (code -> true for yes). Every question due must be answered unless
    one answer is yes. ``none_started: true`` is the combined form's "no" (only after a
    session earlier the same local day): it answers each every-session flag no."""

    answers: Annotated[
        dict[Annotated[str, StringConstraints(max_length=64)], bool], Field(max_length=32)
    ]
    none_started: bool = False


#: The camera coach's angle series (``web.motion_series`` checks it; its errors name the
#: value, e.g. ``motion_series.frames[12][1]``). The schema documents the shape.
MotionSeriesBody = Annotated[
    dict[str, Any],
    WithJsonSchema(
        {
            "type": "object",
            "description": "Per-frame angles measured on the device (never images): the "
            "server counts reps, holds and ROM again and stores that, not `live`.",
            "required": ["v", "stage", "model", "facing", "live", "frames"],
            "additionalProperties": False,
            "properties": {
                "v": {"const": 1},
                "stage": {"enum": ["standing", "seated", "supine"]},
                "model": {"enum": ["lite", "full"]},
                "facing": {"enum": ["left", "right", None]},
                "live": {
                    "type": "object",
                    "required": ["reps", "held"],
                    "additionalProperties": False,
                    "properties": {
                        "reps": {"type": "integer", "minimum": 0, "maximum": 1000},
                        "held": {"type": "integer", "minimum": 0, "maximum": 1000},
                    },
                },
                "frames": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": MOTION_SERIES_MAX_FRAMES,
                    "description": "[t_ms, angle_deg|null, visibility, yaw_deg|null, "
                    "facing_vote|null] per frame, t_ms increasing",
                    "items": {
                        "type": "array",
                        "minItems": 5,
                        "maxItems": 5,
                        "items": {"type": ["number", "null"]},
                    },
                },
            },
        }
    ),
]


class SessionIn(Strict):
    pain_before: Pain
    pain_during: Pain
    pain_after: Pain
    location_before: LocationCode
    location_after: LocationCode
    effort: EffortCode
    reps: Annotated[int, Field(ge=0, le=1000, strict=True)]
    completed: bool = True
    motion_series: MotionSeriesBody | None = None


class StopNowIn(Strict):
    """`pain_now`: the worst pain during the session so far; `location_now`: where it reaches."""

    pain_before: Pain
    pain_now: Pain
    location_before: LocationCode
    location_now: LocationCode
    reps: Annotated[int, Field(ge=0, le=1000, strict=True)] = 0


class SessionOut(BaseModel):
    id: int
    at: datetime
    stage: int
    completed: bool
    reps: int | None
    effort: str
    pain_before: int
    pain_during: int
    pain_after: int
    location_before: str
    location_after: str


class RedFlagOut(BaseModel):
    id: int
    code: str
    question: str
    urgency: str
    reported_at: datetime
    resolved: bool
    resolved_at: datetime | None
    outcome: str | None


class HistoryOut(BaseModel):
    sessions: list[SessionOut]
    decisions: list[DecisionOut]


class SelfResumeIn(Strict):
    """Who assessed the person, the date (YYYY-MM-DD, their local date) and what they were
    told: all three required (SPEC §3.5); a missing one is named in the 422 answer."""

    assessed_by: Annotated[str, StringConstraints(max_length=200)] | None = None
    assessed_on: Annotated[str, StringConstraints(max_length=40)] | None = None
    told: Text | None = None


class DeletionOut(BaseModel):
    status: Literal["deleted", "requested"]
    message: str


# --- the clinician ---------------------------------------------------------------------


class AttentionOut(BaseModel):
    rank: int
    level: str
    reason: str


class PatientSummaryOut(BaseModel):
    id: int
    display_name: str
    protocol: str | None
    stage: int | None
    status: str | None
    attention: AttentionOut
    adherence_7d_percent: int | None
    #: Messages about the patient the clinician has not read.
    unread_messages: int = 0


class PatientDetailOut(BaseModel):
    id: int
    display_name: str
    time_zone: str
    emergency_number: str
    plan: PlanOut | None
    red_flags: list[RedFlagOut]
    sessions: list[SessionOut]
    decisions: list[DecisionOut]


class SettingsIn(Strict):
    """Rule settings (SPEC §3.3); a value left out keeps the current one.
    ``min_days_at_stage`` must not exceed ``progress_after_sessions`` (422 otherwise)."""

    progress_after_sessions: Annotated[int, Field(ge=1, le=50, strict=True)] | None = None
    min_days_at_stage: Annotated[int, Field(ge=1, le=50, strict=True)] | None = None
    worsening_points: Annotated[int, Field(ge=1, le=10, strict=True)] | None = None
    progress_max_pain: Annotated[int, Field(ge=0, le=10, strict=True)] | None = None
    progress_max_location: LocationCode | None = None
    maintenance_sessions_per_day: Annotated[int, Field(ge=1, le=12, strict=True)] | None = None


class PlanUpdateIn(Strict):
    protocol: Annotated[str, StringConstraints(max_length=64)] | None = None
    current_stage: Annotated[int, Field(ge=1, le=20, strict=True)] | None = None
    dose: DoseIn | None = None
    settings: SettingsIn | None = None
    clearance: bool | None = None
    directional_preference: PreferenceCode | None = None
    outcome_measure: Literal["odi", "rmdq"] | None = None
    psfs_enabled: bool | None = None
    phase: Literal["progression", "maintenance"] | None = None
    #: The clinician's reason for the change, kept with the programme events.
    reason: Text = ""


class ResolveFlagIn(Strict):
    outcome: Annotated[
        str,
        StringConstraints(min_length=1, max_length=2000, strip_whitespace=True),
        AfterValidator(_no_nul),
    ]


class ResumeIn(Strict):
    """The clinician's note (kept with the resume event); optionally the stage and phase
    to resume at (in maintenance the stage is the protocol's maintenance stage)."""

    note: Text = ""
    current_stage: Annotated[int, Field(ge=1, le=20, strict=True)] | None = None
    phase: Literal["progression", "maintenance"] | None = None


class InviteIn(Strict):
    email: Email
    display_name: ShortText
    time_zone: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "UTC"
    emergency_number: EmergencyCode = "112"


class InviteOut(BaseModel):
    url: str
    expires_at: datetime


class AlertOut(BaseModel):
    patient_id: int
    display_name: str
    kind: str
    urgency: str
    at: datetime
    summary: str


class DeletionRequestOut(BaseModel):
    id: int
    patient_id: int | None
    requested_at: datetime
    status: str


def dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error answers a route can give (always ``ErrorBody``)."""
    described = {
        400: "Malformed request",
        401: "Missing, unknown or expired bearer token",
        403: "This account may not do that",
        404: "No such record, or not one of yours",
        409: "Clashes with the current state (e.g. the programme is paused)",
        422: "Invalid input; `path` names the offending value",
        429: "Too many failed attempts",
        503: "The database is unavailable",
    }
    return {status: {"model": ErrorBody, "description": described[status]} for status in statuses}


class OnboardingIn(Strict):
    display_name: ShortText
    time_zone: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "UTC"
    emergency_number: EmergencyCode = "112"
    protocol: Annotated[str, StringConstraints(max_length=64)] = "lumbar-flexion"
    clearance_confirmed: bool
    red_flag_answers: Annotated[
        dict[Annotated[str, StringConstraints(max_length=64)], bool], Field(max_length=32)
    ]


class ScreeningOut(BaseModel):
    flagged: list[str]
    decision: DecisionOut | None


class QuestionOut(BaseModel):
    code: str
    question: str
    urgency: str


class ScreeningDueOut(BaseModel):
    """The safety check due before a session now (SPEC §4).

    ``questions`` are all the questions due, one by one. ``form`` is ``full`` before the
    first session of the local day (ask each of them) and ``combined`` later that day: then
    ``combined_question`` covers the flags of ``combined_codes`` at once (its "no" is sent
    as ``none_started: true``; its "yes" opens those questions one by one), and the other
    questions are asked on their own.
    """

    form: Literal["full", "combined"]
    combined_question: str | None
    combined_codes: list[str]
    questions: list[QuestionOut]


class SessionOutcomeOut(BaseModel):
    session: SessionOut
    decision: DecisionOut
    stage_before: int
    stage_after: int
    paused: bool
    motion: dict[str, Any] | None = Field(
        default=None,
        description="What the server counted from `motion_series` (SPEC §6 keys: reps, "
        "held_count, rom_deg, rom_deg_median, detected_fraction, visibility_mean, "
        "side_view); null without a series",
    )
