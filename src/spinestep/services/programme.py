"""What the patient does today, their history and pain trend, in their own time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from spinestep.errors import NotFound
from spinestep.services.access import audit_read, load_patient, may_see
from spinestep.services.adherence import adherence_in, window_start
from spinestep.services.context import Actor, Identify, ServiceContext, identified
from spinestep.services.deciding import protocol_of, run_rules
from spinestep.services.instructions import stage_instructions
from spinestep.services.local_days import local_day_bounds
from spinestep.services.patient_day_port import PatientDay
from spinestep.services.ports import Clock, UnitOfWork
from spinestep.services.records import AssignmentRecord, PatientRecord, ProgrammeStatus
from spinestep.services.rom_trend import rom_weeks, stage_ids_of
from spinestep.services.screening import MONTHLY_INTERVAL, monthly_due_in
from spinestep.services.today_story import exercise_now, pause_cause, phase_now, update_after
from spinestep.services.views import (
    DecisionView,
    HistoryView,
    PainPoint,
    SessionView,
    TodayView,
)


def _assignment(uow: UnitOfWork, patient: PatientRecord) -> AssignmentRecord:
    assert patient.id is not None
    assignment = uow.assignments.current_for(patient.id)
    if assignment is None:
        raise NotFound(f"patient {patient.id} has no programme yet")
    return assignment


def today(ctx: ServiceContext, actor: Actor, patient_id: int) -> TodayView:
    """Stage, instructions, dose, sessions done today of those planned, last decision, pause."""
    return today_for(ctx, identified(actor, patient_id))


def today_for(ctx: ServiceContext, identify: Identify) -> TodayView:
    """``today`` for the actor and patient that ``identify`` reads in the same unit of work."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        actor, patient_id = identify(uow)
        day = read_day(uow, actor, patient_id, now)
        if day.assignment is None:
            raise NotFound(f"patient {patient_id} has no programme yet")
        view = today_of(uow, ctx.clock, actor, day, day.assignment, now)
        uow.commit()
    return view


def read_day(
    uow: UnitOfWork, actor: Actor, patient_id: int, now: datetime, reader_id: int | None = None
) -> PatientDay:
    """The patient's records for Today in one statement (``PatientDayReader``): NotFound
    unless the patient exists and ``actor`` may see them.

    The sessions read are those of the adherence window (8 days), which always holds the
    patient's local today; the screenings those of the monthly check's 30 days; the
    unread messages those of ``reader_id`` (none without).
    """
    day = uow.patient_day.read(
        patient_id, window_start(now), now - MONTHLY_INTERVAL, reader_id=reader_id
    )
    if day is None or not may_see(actor, day.patient):
        raise NotFound(f"no patient with id {patient_id}")
    return day


def today_of(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    day: PatientDay,
    assignment: AssignmentRecord,
    now: datetime,
) -> TodayView:
    """The Today view of the records in ``day`` (audited; the caller commits).

    Says one story (``services.today_story``): the latest decision only while it
    applies, the exercise and dose of now (maintenance in maintenance). Reads nothing
    more, except for a paused programme whose latest decision did not pause it (older
    data), where the pausing decision is looked up.
    """
    patient = day.patient
    assert patient.id is not None
    patient_id = patient.id
    protocol = protocol_of(assignment)
    stage, dose = exercise_now(protocol, assignment)
    local_date, start, end = local_day_bounds(patient.time_zone, now)
    recent = day.sessions
    done = [s for s in recent if s.completed and start <= s.at < end]
    last = day.latest_decision
    reports = day.red_flags
    flags = tuple(report.code for report in reports if report.resolved_at is None)
    events = day.events
    own_events = [e for e in events if e.assignment_id == assignment.id]
    update = update_after(last, own_events, reports, patient)
    due = tuple(flag.code for flag in monthly_due_in(day.screenings, now))
    adherence = adherence_in(
        uow, assignment, patient.time_zone, now, sessions=recent, events=events
    )
    audit_read(uow, clock, actor, "patient.today", patient_id)
    last_view = None if last is None else DecisionView.of(last)
    paused = assignment.status is ProgrammeStatus.PAUSED
    return TodayView(
        patient_id=patient_id,
        display_name=patient.display_name,
        time_zone=patient.time_zone,
        local_date=local_date,
        emergency_number=patient.emergency_number.value,
        protocol_id=protocol.id,
        protocol_title=protocol.title,
        stage=stage,
        final_stage=protocol.final_stage,
        stage_definition=protocol.stage(stage),
        dose=dose,
        sessions_done_today=len(done),
        sessions_planned=dose.sessions_per_day,
        status=assignment.status,
        paused=paused,
        paused_reason=assignment.paused_reason,
        paused_at=assignment.paused_at,
        clearance=assignment.clearance,
        directional_preference=assignment.directional_preference,
        self_managed=patient.self_managed,
        last_decision=last_view,
        open_red_flags=flags,
        monthly_check_due=due,
        outcome_measure=assignment.outcome_measure,
        psfs_enabled=assignment.psfs_enabled,
        phase=phase_now(assignment),
        instructions=stage_instructions(protocol, stage, dose),
        # While paused the pausing decision still applies, whatever came after it.
        current_decision=last_view if update is None or paused else None,
        update=update,
        pause_decision=pause_cause(uow, assignment, last),
        adherence=adherence,
        clinician_name=day.clinician_name if patient.clinician_id is not None else None,
    )


def history(
    ctx: ServiceContext,
    actor: Actor,
    patient_id: int,
    since: datetime | None = None,
    until: datetime | None = None,
) -> HistoryView:
    """Sessions (oldest first) with their decisions, every decision, the pain trend and the
    range of motion per stage and ISO week (sessions saved with a motion analysis)."""
    with ctx.uow() as uow:
        patient = load_patient(uow, actor, patient_id)
        sessions = uow.sessions.for_patient(patient_id, since, until)
        decisions = [
            d
            for d in uow.decisions.for_patient(patient_id)
            if (since is None or d.made_at >= since) and (until is None or d.made_at < until)
        ]
        stage_ids = stage_ids_of(uow, patient_id)
        audit_read(uow, ctx.clock, actor, "patient.history", patient_id)
        uow.commit()
    zone = ZoneInfo(patient.time_zone)
    trend = tuple(
        PainPoint(
            at=s.at,
            local_date=s.at.astimezone(zone).date(),
            stage=s.stage,
            pain_before=s.pain_before,
            pain_during=s.pain_during,
            pain_after=s.pain_after,
            completed=s.completed,
        )
        for s in sessions
    )
    return HistoryView(
        patient_id=patient_id,
        time_zone=patient.time_zone,
        sessions=tuple(SessionView.of(s) for s in sessions),
        decisions=tuple(DecisionView.of(d) for d in decisions),
        pain_trend=trend,
        rom_trend=rom_weeks(sessions, stage_ids, patient.time_zone),
    )


def evaluate(ctx: ServiceContext, actor: Actor, patient_id: int) -> DecisionView:
    """Run the rules now on what is stored (e.g. after a clinician's change) and store it."""
    with ctx.uow() as uow:
        uow.lock_patient(patient_id)
        patient = load_patient(uow, actor, patient_id)
        assignment = _assignment(uow, patient)
        decision = run_rules(uow, ctx.clock, actor, patient, assignment)
        uow.commit()
    return DecisionView.of(decision)


def first_patient_id(ctx: ServiceContext, actor: Actor) -> int | None:
    """The id of the first visible patient profile (the one profile of a local install)."""
    with ctx.uow() as uow:
        if actor.local:
            patient = uow.patients.first()
        elif actor.user_id is not None:
            patient = uow.patients.by_user(actor.user_id)
        else:
            patient = None
    return None if patient is None else patient.id
