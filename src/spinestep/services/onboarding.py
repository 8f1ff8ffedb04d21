"""Starting a person on a programme: profile, clearance, direction, start stage, red flags.

spinestep refuses to start a programme without clearance (SPEC: safety stance). A
"yes" to any onboarding red-flag question is stored and the rules run at once, which
pauses the programme before the first session.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spinestep.domain.model import DirectionalPreference, EmergencyNumber, Location, RuleSettings
from spinestep.domain.text import clean_name
from spinestep.errors import InvalidInput, NotFound, PermissionDenied
from spinestep.protocols import builtin_ids, load_builtin
from spinestep.services.access import audit, require_role
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.deciding import apply_settings
from spinestep.services.records import (
    AssignmentRecord,
    EventKind,
    FlagSource,
    OutcomeMeasure,
    PatientRecord,
    ProgrammeEvent,
    Role,
)
from spinestep.services.screening import ScreeningOutcome, store_screening
from spinestep.services.time_zones import check_zone

MAX_NAME_CHARS = 200


@dataclass(frozen=True, slots=True)
class OnboardingInput:
    """Everything ``onboard`` needs. ``red_flag_answers`` maps onboarding codes to yes/no."""

    display_name: str
    time_zone: str
    clearance: bool
    emergency_number: EmergencyNumber = EmergencyNumber.EU
    protocol_id: str = "lumbar-flexion"
    start_stage: int = 1
    directional_preference: DirectionalPreference = DirectionalPreference.UNKNOWN
    red_flag_answers: dict[str, bool] = field(default_factory=dict)
    settings: RuleSettings = field(default_factory=RuleSettings)
    outcome_measure: OutcomeMeasure | str = OutcomeMeasure.ODI
    psfs_enabled: bool = False
    user_id: int | None = None
    clinician_id: int | None = None
    self_managed: bool = True


@dataclass(frozen=True, slots=True)
class OnboardingOutcome:
    patient_id: int
    assignment_id: int
    screening: ScreeningOutcome | None


def check_time_zone(name: str) -> str:
    """``name`` if it is a canonical IANA zone (``services.time_zones``), else InvalidInput."""
    return check_zone(name, "time_zone")


def check_display_name(name: str) -> str:
    """``name`` in NFC without surrounding spaces, refused with control or format
    characters (``domain.text.clean_name``)."""
    return clean_name(name, "display_name", max_chars=MAX_NAME_CHARS)


def check_settings(settings: RuleSettings) -> None:
    pas = settings.progress_after_sessions
    if not 1 <= pas <= 50:
        raise InvalidInput("settings.progress_after_sessions", "must be 1-50")
    if not 1 <= settings.min_days_at_stage <= pas:
        raise InvalidInput("settings.min_days_at_stage", f"must be 1-{pas}")
    if not 1 <= settings.worsening_points <= 10:
        raise InvalidInput("settings.worsening_points", "must be 1-10")
    if not 0 <= settings.progress_max_pain <= 10:
        raise InvalidInput("settings.progress_max_pain", "must be 0-10")
    if not isinstance(settings.progress_max_location, Location):
        raise InvalidInput(
            "settings.progress_max_location", f"must be one of {', '.join(Location.codes())}"
        )
    if not 1 <= settings.maintenance_sessions_per_day <= 12:
        raise InvalidInput("settings.maintenance_sessions_per_day", "must be 1-12")


def check_protocol_and_stage(protocol_id: str, stage: int) -> None:
    if protocol_id not in builtin_ids():
        raise InvalidInput("protocol", f"unknown protocol '{protocol_id}'")
    final = load_builtin(protocol_id).final_stage
    if type(stage) is not int or not 1 <= stage <= final:
        raise InvalidInput("start_stage", f"must be 1-{final}")


def check_outcome_measure(value: OutcomeMeasure | str) -> OutcomeMeasure:
    """The clinician's disability questionnaire: ``odi`` or ``rmdq``."""
    try:
        return OutcomeMeasure(value)
    except ValueError:
        raise InvalidInput("outcome_measure", "must be odi or rmdq") from None


def check_psfs_enabled(value: object) -> bool:
    if type(value) is not bool:
        raise InvalidInput("psfs_enabled", "must be true or false")
    return value


def check_direction(protocol_id: str, preference: DirectionalPreference) -> None:
    direction = load_builtin(protocol_id).direction
    if preference.value not in (direction.value, DirectionalPreference.UNKNOWN.value):
        raise InvalidInput(
            "directional_preference",
            f"is {preference.value} but the protocol '{protocol_id}' uses {direction.value}; "
            "choose a protocol in the preferred direction",
        )


def onboard(ctx: ServiceContext, actor: Actor, data: OnboardingInput) -> OnboardingOutcome:
    """Create the patient profile and programme, and store the onboarding screening.

    Raises InvalidInput when clearance is not given by the person themself (a clinician
    may set up an uncleared programme and clear it later; no session is offered until
    then), or when the time zone, stage, protocol or settings are out of range.
    """
    if not data.clearance and not actor.is_clinical:
        raise InvalidInput(
            "clearance",
            "a clinician must clear you for these exercises before the programme starts",
        )
    name = check_display_name(data.display_name)
    check_time_zone(data.time_zone)
    check_protocol_and_stage(data.protocol_id, data.start_stage)
    check_direction(data.protocol_id, data.directional_preference)
    check_settings(data.settings)
    measure = check_outcome_measure(data.outcome_measure)
    psfs = check_psfs_enabled(data.psfs_enabled)
    if not actor.local:
        require_role(actor, Role.CLINICIAN, Role.ADMIN, Role.PATIENT)
        if actor.role is Role.PATIENT and data.user_id != actor.user_id:
            raise PermissionDenied("a patient account may only set up its own profile")
    now = ctx.clock.now()
    with ctx.uow() as uow:
        for user_id in (data.user_id, data.clinician_id):
            if user_id is not None and uow.users.get(user_id) is None:
                raise NotFound(f"no user with id {user_id}")
        clinician_id = data.clinician_id
        if clinician_id is None and actor.role is Role.CLINICIAN and not actor.local:
            clinician_id = actor.user_id
        patient = uow.patients.add(
            PatientRecord(
                display_name=name,
                time_zone=data.time_zone,
                emergency_number=data.emergency_number,
                created_at=now,
                self_managed=data.self_managed and clinician_id is None,
                user_id=data.user_id,
                clinician_id=clinician_id,
            )
        )
        assert patient.id is not None
        programme = AssignmentRecord(
            patient_id=patient.id,
            protocol_id=data.protocol_id,
            current_stage=data.start_stage,
            created_at=now,
            updated_at=now,
            clearance=data.clearance,
            cleared_by=actor.user_id if data.clearance else None,
            cleared_at=now if data.clearance else None,
            directional_preference=data.directional_preference,
            outcome_measure=measure,
            psfs_enabled=psfs,
        )
        apply_settings(programme, data.settings)
        assignment = uow.assignments.add(programme)
        assert assignment.id is not None
        uow.events.add(
            ProgrammeEvent(
                patient_id=patient.id,
                assignment_id=assignment.id,
                kind=EventKind.PRESCRIBE,
                at=now,
                reason=f"{data.protocol_id} from stage {data.start_stage}",
                actor_user_id=actor.user_id,
            )
        )
        audit(uow, ctx.clock, actor, "patient.create", patient.id)
        screening = None
        if data.red_flag_answers:
            screening = store_screening(
                uow,
                ctx.clock,
                actor,
                patient,
                assignment,
                FlagSource.ONBOARDING,
                data.red_flag_answers,
            )
        uow.commit()
    return OnboardingOutcome(patient.id, assignment.id, screening)
