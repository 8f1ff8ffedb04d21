"""A clinician steering a programme: resume, resolve red flags, prescribe and adjust.

Every change is recorded with who and when (a programme event and an audit entry) and,
when given, the clinician's own words (``ProgrammeEvent.note``: the reason for a plan
change, the note of a resume). A stage, dose or settings change and a resume start a
new run (``run_since``): sessions before it do not count towards progressing.
The local person (CLI on their own machine) and a self-managed patient may resume only
by giving who assessed them, when and what they were told (``assessment``, SPEC §3.5);
the open red flags are closed with the same words.
"""

from __future__ import annotations

from datetime import datetime

from spinestep.domain.model import DirectionalPreference, Dose, Phase, RuleSettings
from spinestep.domain.redflags import RED_FLAGS
from spinestep.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from spinestep.services.access import audit, audit_read, load_patient, require_clinical
from spinestep.services.assessment import Assessment, check_assessment_date
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.deciding import apply_settings, protocol_of, rule_settings
from spinestep.services.onboarding import (
    check_direction,
    check_outcome_measure,
    check_protocol_and_stage,
    check_psfs_enabled,
    check_settings,
)
from spinestep.services.ports import UnitOfWork
from spinestep.services.records import (
    AssignmentRecord,
    EventKind,
    OutcomeMeasure,
    PatientRecord,
    ProgrammeEvent,
    ProgrammeStatus,
    RedFlagReport,
    Role,
)
from spinestep.services.views import DecisionView, PatientSummary, RedFlagView

MAX_NOTE_CHARS = 2000


def _note(text: str, name: str) -> str:
    stripped = text.strip()
    if not stripped:
        raise InvalidInput(name, "must not be empty")
    if len(stripped) > MAX_NOTE_CHARS:
        raise InvalidInput(name, f"must be at most {MAX_NOTE_CHARS} characters")
    return stripped


def _optional_note(text: str | None, name: str) -> str | None:
    """The clinician's own words, or None when they gave none."""
    if text is None or not text.strip():
        return None
    return _note(text, name)


def _may_self_confirm(actor: Actor, patient: PatientRecord) -> bool:
    """A person without a clinician may confirm they have seen one (SPEC §3.5)."""
    if actor.local:
        return True
    return (
        actor.role is Role.PATIENT
        and patient.self_managed
        and patient.clinician_id is None
        and actor.user_id is not None
        and patient.user_id == actor.user_id
    )


def _assignment(uow: UnitOfWork, patient_id: int) -> AssignmentRecord:
    assignment = uow.assignments.current_for(patient_id)
    if assignment is None:
        raise NotFound(f"patient {patient_id} has no programme yet")
    return assignment


def _event(
    uow: UnitOfWork,
    ctx: ServiceContext,
    actor: Actor,
    assignment: AssignmentRecord,
    kind: EventKind,
    reason: str,
    note: str | None = None,
    at: datetime | None = None,
) -> None:
    assert assignment.id is not None
    uow.events.add(
        ProgrammeEvent(
            patient_id=assignment.patient_id,
            assignment_id=assignment.id,
            kind=kind,
            at=at or ctx.clock.now(),
            reason=reason,
            actor_user_id=actor.user_id,
            note=note,
        )
    )


def red_flags(ctx: ServiceContext, actor: Actor, patient_id: int) -> tuple[RedFlagView, ...]:
    """Every red flag report of the patient, oldest first."""
    with ctx.uow() as uow:
        load_patient(uow, actor, patient_id)
        reports = uow.red_flags.for_patient(patient_id)
        audit_read(uow, ctx.clock, actor, "patient.red_flags", patient_id)
        uow.commit()
    views = []
    for report in reports:
        assert report.id is not None
        flag = RED_FLAGS[report.code]
        views.append(
            RedFlagView(
                id=report.id,
                code=report.code,
                question=flag.question,
                urgency=flag.urgency,
                decision=flag.decision,
                reported_at=report.reported_at,
                source=report.source,
                resolved_at=report.resolved_at,
                resolved_by=report.resolved_by,
                outcome=report.outcome,
            )
        )
    return tuple(views)


def resolve_red_flag(
    ctx: ServiceContext, actor: Actor, patient_id: int, report_id: int, outcome: str
) -> RedFlagView:
    """Record the outcome of the review or referral and close the flag (who, when; audited).

    Clinicians only: a person without a clinician closes their flags by resuming with
    who assessed them, when and what they were told (``resume(assessment=...)``).
    """
    text = _note(outcome, "outcome")
    with ctx.uow() as uow:
        uow.lock_patient(patient_id)
        load_patient(uow, actor, patient_id)
        if not actor.is_clinical:
            raise PermissionDenied(
                "only a clinician may resolve a red flag; after your assessment, resume "
                "with who assessed you, when and what you were told"
            )
        report = uow.red_flags.get(report_id)
        if report is None or report.patient_id != patient_id:
            raise NotFound(f"no red flag report with id {report_id}")
        if report.resolved_at is not None:
            raise Conflict(f"red flag report {report_id} is already resolved")
        _close_flag(uow, actor, report, text, ctx.clock.now())
        audit(uow, ctx.clock, actor, "red_flag.resolve", patient_id)
        uow.commit()
    flag = RED_FLAGS[report.code]
    return RedFlagView(
        id=report_id,
        code=report.code,
        question=flag.question,
        urgency=flag.urgency,
        decision=flag.decision,
        reported_at=report.reported_at,
        source=report.source,
        resolved_at=report.resolved_at,
        resolved_by=report.resolved_by,
        outcome=report.outcome,
    )


def resume(
    ctx: ServiceContext,
    actor: Actor,
    patient_id: int,
    note: str | None = None,
    *,
    assessment: Assessment | None = None,
    stage: int | None = None,
    phase: Phase | None = None,
) -> None:
    """Resume a paused programme; starts a new run (``run_since``).

    A clinician (or admin) resumes with an optional ``note`` (their own words, kept on
    the event) and may choose the ``stage`` and ``phase`` to resume at; open red flags
    must be resolved first (Conflict). A person without a clinician (the local person or
    a self-managed account) must give ``assessment``: who assessed them, the local date
    (not before the pause or flag, not in the future) and what they were told. Their
    open red flags are closed with those words in the same transaction.
    Refused (Conflict) when nothing is paused or open.
    """
    clinical = actor.is_clinical
    text = _optional_note(note, "note") if clinical else None
    with ctx.uow() as uow:
        uow.lock_patient(patient_id)
        patient = load_patient(uow, actor, patient_id)
        if not (clinical or _may_self_confirm(actor, patient)):
            raise PermissionDenied("your clinician resumes the programme after seeing you")
        assignment = _assignment(uow, patient_id)
        paused = assignment.status is ProgrammeStatus.PAUSED
        open_flags = uow.red_flags.unresolved_for(patient_id)
        now = ctx.clock.now()
        if clinical:
            if not paused:
                raise Conflict("the programme is not paused")
            if open_flags:
                codes = ", ".join(report.code for report in open_flags)
                raise Conflict(f"resolve the open red flags first: {codes}")
            reason = "resumed by the clinician"
            if stage is not None or phase is not None:
                # The clinician's choice of stage and phase, checked as a plan change is.
                _plan_changes(assignment, stage, None, None, phase, now)
                reason += f" at stage {assignment.current_stage} ({assignment.phase.value})"
        else:
            if assessment is None:
                raise InvalidInput(
                    "assessed_by", "say who assessed you, when, and what you were told"
                )
            if not paused and not open_flags:
                raise Conflict("the programme is not paused")
            check_assessment_date(
                assessment, patient.time_zone, now, _answered_since(assignment, open_flags)
            )
            text = assessment.note()
            for report in open_flags:
                _close_flag(uow, actor, report, text, now)
            reason = "resumed after an assessment the person confirmed"
        if paused:
            assignment.status = ProgrammeStatus.ACTIVE
            assignment.paused_reason = None
            assignment.paused_at = None
            assignment.run_since = now
            assignment.updated_at = now
            uow.assignments.update(assignment)
            _event(uow, ctx, actor, assignment, EventKind.RESUME, reason, text, now)
            audit(uow, ctx.clock, actor, "programme.resume", patient_id)
        else:
            audit(uow, ctx.clock, actor, "red_flag.resolve", patient_id)
        uow.commit()


def check_resume_date(
    ctx: ServiceContext, actor: Actor, patient_id: int, assessment: Assessment
) -> None:
    """Check the assessment's date against the pause and open flags, without resuming
    (lets a front end ask again for the date alone)."""
    with ctx.uow() as uow:
        patient = load_patient(uow, actor, patient_id)
        assignment = _assignment(uow, patient_id)
        open_flags = uow.red_flags.unresolved_for(patient_id)
    check_assessment_date(
        assessment, patient.time_zone, ctx.clock.now(), _answered_since(assignment, open_flags)
    )


def _answered_since(
    assignment: AssignmentRecord, open_flags: list[RedFlagReport]
) -> datetime | None:
    """The latest pause or open flag an assessment answers: it cannot predate it."""
    moments = [report.reported_at for report in open_flags]
    if assignment.status is ProgrammeStatus.PAUSED and assignment.paused_at is not None:
        moments.append(assignment.paused_at)
    return max(moments, default=None)


def _close_flag(
    uow: UnitOfWork, actor: Actor, report: RedFlagReport, outcome: str, now: datetime
) -> None:
    report.resolved_at = now
    report.resolved_by = actor.user_id
    report.resolved_by_self = not actor.is_clinical
    report.outcome = outcome
    uow.red_flags.update(report)


def prescribe(
    ctx: ServiceContext,
    actor: Actor,
    patient_id: int,
    protocol_id: str,
    start_stage: int,
    directional_preference: DirectionalPreference = DirectionalPreference.UNKNOWN,
    clearance: bool = True,
    settings: RuleSettings | None = None,
    outcome_measure: OutcomeMeasure | str = OutcomeMeasure.ODI,
    psfs_enabled: bool = False,
    note: str | None = None,
) -> int:
    """Start a new programme assignment for the patient; returns its id.

    ``outcome_measure`` (odi or rmdq) is asked at the start and every 14 days;
    ``psfs_enabled`` asks the PSFS on the same rhythm. ``note`` is the clinician's
    reason, kept on the prescribe event.
    """
    text = _optional_note(note, "reason")
    check_protocol_and_stage(protocol_id, start_stage)
    check_direction(protocol_id, directional_preference)
    chosen = settings or RuleSettings()
    check_settings(chosen)
    measure = check_outcome_measure(outcome_measure)
    psfs = check_psfs_enabled(psfs_enabled)
    with ctx.uow() as uow:
        uow.lock_patient(patient_id)
        patient = load_patient(uow, actor, patient_id)
        require_clinical(actor, patient, "prescribe a programme")
        now = ctx.clock.now()
        planned = AssignmentRecord(
            patient_id=patient_id,
            protocol_id=protocol_id,
            current_stage=start_stage,
            created_at=now,
            updated_at=now,
            clearance=clearance,
            cleared_by=actor.user_id if clearance else None,
            cleared_at=now if clearance else None,
            directional_preference=directional_preference,
            outcome_measure=measure,
            psfs_enabled=psfs,
            run_since=now,
        )
        apply_settings(planned, chosen)
        assignment = uow.assignments.add(planned)
        assert assignment.id is not None
        _event(
            uow,
            ctx,
            actor,
            assignment,
            EventKind.PRESCRIBE,
            f"{protocol_id} from stage {start_stage}",
            text,
            now,
        )
        audit(uow, ctx.clock, actor, "programme.prescribe", patient_id)
        uow.commit()
    return assignment.id


def adjust(
    ctx: ServiceContext,
    actor: Actor,
    patient_id: int,
    *,
    stage: int | None = None,
    doses: dict[int, Dose | None] | None = None,
    settings: RuleSettings | None = None,
    clearance: bool | None = None,
    directional_preference: DirectionalPreference | None = None,
    outcome_measure: OutcomeMeasure | str | None = None,
    psfs_enabled: bool | None = None,
    phase: Phase | None = None,
    note: str | None = None,
) -> None:
    """Change the current programme; only the arguments given change.

    ``doses`` sets a per-stage dose override (``None`` removes it, back to the protocol's).
    ``outcome_measure`` (odi or rmdq) and ``psfs_enabled`` set the questionnaires asked
    every 14 days. ``phase`` moves the programme into or out of maintenance (in
    maintenance the stage is the protocol's maintenance stage). ``note`` is the
    clinician's reason, kept on every event of this change. A stage, dose, settings or
    phase change starts a new run (``run_since``).
    """
    text = _optional_note(note, "reason")
    measure = None if outcome_measure is None else check_outcome_measure(outcome_measure)
    psfs = None if psfs_enabled is None else check_psfs_enabled(psfs_enabled)
    if settings is not None:
        check_settings(settings)
    with ctx.uow() as uow:
        uow.lock_patient(patient_id)
        patient = load_patient(uow, actor, patient_id)
        require_clinical(actor, patient, "change the programme")
        assignment = _assignment(uow, patient_id)
        now = ctx.clock.now()
        changes = _plan_changes(assignment, stage, doses, settings, phase, now)
        if directional_preference is not None:
            check_direction(assignment.protocol_id, directional_preference)
            assignment.directional_preference = directional_preference
            changes.append(
                (EventKind.SETTINGS_CHANGE, f"preference {directional_preference.value}")
            )
        if measure is not None and measure is not assignment.outcome_measure:
            assignment.outcome_measure = measure
            changes.append((EventKind.SETTINGS_CHANGE, f"outcome measure {measure.value}"))
        if psfs is not None and psfs is not assignment.psfs_enabled:
            assignment.psfs_enabled = psfs
            changes.append((EventKind.SETTINGS_CHANGE, "PSFS on" if psfs else "PSFS off"))
        if clearance is not None:
            assignment.clearance = clearance
            assignment.cleared_by = actor.user_id if clearance else None
            assignment.cleared_at = now if clearance else None
            changes.append((EventKind.CLEARANCE, "cleared" if clearance else "clearance withdrawn"))
        if not changes:
            return
        assignment.updated_at = now
        uow.assignments.update(assignment)
        for kind, reason in changes:
            _event(uow, ctx, actor, assignment, kind, reason, text, now)
        audit(uow, ctx.clock, actor, "programme.adjust", patient_id)
        uow.commit()


def _plan_changes(
    assignment: AssignmentRecord,
    stage: int | None,
    doses: dict[int, Dose | None] | None,
    settings: RuleSettings | None,
    phase: Phase | None,
    now: datetime,
) -> list[tuple[EventKind, str]]:
    """Apply a change of phase, stage, doses or rule settings; any of them starts a new run.

    Returns the events to record (kind, words).
    """
    protocol = protocol_of(assignment)
    changes: list[tuple[EventKind, str]] = []
    new_phase = phase or assignment.phase
    if new_phase is Phase.MAINTENANCE:
        if stage is not None and stage != protocol.maintenance_stage:
            raise InvalidInput(
                "current_stage",
                f"in maintenance the stage is the maintenance stage {protocol.maintenance_stage}; "
                "choose the progression phase to move the stage",
            )
        if assignment.phase is not Phase.MAINTENANCE:
            stage = protocol.maintenance_stage
    if new_phase is not assignment.phase:
        changes.append(
            (EventKind.STAGE_CHANGE, f"phase {assignment.phase.value} to {new_phase.value}")
        )
        assignment.phase = new_phase
    if stage is not None and stage != assignment.current_stage:
        check_protocol_and_stage(assignment.protocol_id, stage)
        changes.append((EventKind.STAGE_CHANGE, f"stage {assignment.current_stage} to {stage}"))
        assignment.current_stage = stage
    if doses:
        overrides = dict(assignment.dose_overrides)
        for number, dose in doses.items():
            if not 1 <= number <= protocol.final_stage:
                raise InvalidInput(f"doses.{number}", "is not a stage of the protocol")
            if dose is None:
                overrides.pop(str(number), None)
            else:
                _check_dose(number, dose)
                overrides[str(number)] = dose.to_json()
        assignment.dose_overrides = overrides
        changes.append((EventKind.SETTINGS_CHANGE, "dose"))
    if settings is not None and settings != rule_settings(assignment):
        apply_settings(assignment, settings)
        changes.append((EventKind.SETTINGS_CHANGE, "rule settings"))
    if changes:
        assignment.run_since = now
    return changes


def _check_dose(number: int, dose: Dose) -> None:
    path = f"doses.{number}"
    if not 1 <= dose.reps <= 100:
        raise InvalidInput(f"{path}.reps", "must be 1-100")
    if not 0 <= dose.hold_s_min <= dose.hold_s_max <= 600:
        raise InvalidInput(f"{path}.hold_s", "must be [min, max] with 0 <= min <= max <= 600")
    if not 1 <= dose.sessions_per_day <= 24:
        raise InvalidInput(f"{path}.sessions_per_day", "must be 1-24")


def list_patients(ctx: ServiceContext, actor: Actor) -> tuple[PatientSummary, ...]:
    """The patients the actor may see, the ones needing attention first."""
    with ctx.uow() as uow:
        if actor.local or actor.role is Role.ADMIN:
            patients = uow.patients.list_all()
        elif actor.role is Role.CLINICIAN and actor.user_id is not None:
            patients = uow.patients.for_clinician(actor.user_id)
        else:
            raise PermissionDenied("only a clinician or admin may list patients")
        summaries = [_summary(uow, patient) for patient in patients]
        if actor.is_clinical:
            audit(uow, ctx.clock, actor, "patient.list", None)
        uow.commit()
    return tuple(sorted(summaries, key=lambda s: (-s.attention_rank, s.id)))


def _summary(uow: UnitOfWork, patient: PatientRecord) -> PatientSummary:
    assert patient.id is not None
    assignment = uow.assignments.current_for(patient.id)
    flags = tuple(report.code for report in uow.red_flags.unresolved_for(patient.id))
    last = uow.decisions.latest_for(patient.id)
    sessions = uow.sessions.recent(assignment.id, 1) if assignment and assignment.id else []
    paused = assignment is not None and assignment.status is ProgrammeStatus.PAUSED
    rank = 0 if last is None else last.urgency.rank
    rank = rank * 4 + (2 if flags else 0) + (1 if paused else 0)
    return PatientSummary(
        id=patient.id,
        display_name=patient.display_name,
        time_zone=patient.time_zone,
        emergency_number=patient.emergency_number.value,
        self_managed=patient.self_managed,
        clinician_id=patient.clinician_id,
        user_id=patient.user_id,
        status=None if assignment is None else assignment.status,
        current_stage=None if assignment is None else assignment.current_stage,
        protocol_id=None if assignment is None else assignment.protocol_id,
        open_red_flags=flags,
        last_decision=None if last is None else DecisionView.of(last),
        last_session_at=sessions[-1].at if sessions else None,
        attention_rank=rank,
    )
