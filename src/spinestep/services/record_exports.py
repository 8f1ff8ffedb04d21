"""Use cases behind the reminder calendar and the clinician report."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from spinestep.domain.instants import EARLIEST
from spinestep.errors import InvalidInput, NotFound
from spinestep.services.access import audit_read, load_patient
from spinestep.services.adherence import patient_adherence
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.deciding import effective_dose, protocol_of
from spinestep.services.patient_records import load_patient_records
from spinestep.services.record_types import ReminderPlan
from spinestep.services.reminder_slots import planned_events, publish
from spinestep.services.report import ClinicianReport, build_report

FIRST_SESSION = time(8, 0)
LONGEST_GAP_MIN = 180
WAKING_SPAN_MIN = 13 * 60
SESSION_MIN = 10
MAX_TIMES = 24


def default_times(sessions_per_day: int, first: time = FIRST_SESSION) -> tuple[time, ...]:
    """Session times spread over the waking day: every 3 hours from 08:00 when they fit.

    5 sessions: 08:00, 11:00, 14:00, 17:00, 20:00. More sessions come closer together
    so the last stays within 13 hours of the first.
    """
    if not 1 <= sessions_per_day <= 24:
        raise InvalidInput("sessions_per_day", "must be 1-24")
    gap_min = LONGEST_GAP_MIN
    if sessions_per_day > 1:
        gap_min = min(LONGEST_GAP_MIN, WAKING_SPAN_MIN // (sessions_per_day - 1))
    start_min = first.hour * 60 + first.minute
    out = []
    for index in range(sessions_per_day):
        minutes = (start_min + index * gap_min) % (24 * 60)
        out.append(time(minutes // 60, minutes % 60))
    return tuple(out)


def reminder_plan(
    ctx: ServiceContext,
    actor: Actor,
    patient_id: int,
    times: tuple[time, ...] | None = None,
    start: date | None = None,
    days: int | None = None,
) -> ReminderPlan:
    """The planned session times of the patient's current stage, in their time zone.

    The events are stored as published (``services.reminder_slots``): the same slot
    keeps its UID, and a change of times, stage or dose is a newer version of it.
    """
    if days is not None and not 1 <= days <= 366:
        raise InvalidInput("days", "must be 1-366")
    if times is not None and len(set(times)) != len(times):
        raise InvalidInput("times", "the same time is given twice")
    if times is not None and len(times) > MAX_TIMES:
        raise InvalidInput("times", f"at most {MAX_TIMES} a day")
    now = ctx.clock.now()
    if start is not None and not EARLIEST.date() <= start <= now.date() + timedelta(days=366):
        raise InvalidInput("start", f"must be from {EARLIEST.date()} to a year from today")
    with ctx.uow() as uow:
        uow.lock_patient(patient_id)  # the published slots are written below
        patient = load_patient(uow, actor, patient_id)
        assignment = uow.assignments.current_for(patient_id)
        if assignment is None:
            raise NotFound(f"patient {patient_id} has no programme yet")
        audit_read(uow, ctx.clock, actor, "records.reminders", patient_id)
        protocol = protocol_of(assignment)
        stage = protocol.stage(assignment.current_stage)
        dose = effective_dose(protocol, assignment, stage.number)
        first_day = start or now.astimezone(ZoneInfo(patient.time_zone)).date()
        plan = ReminderPlan(
            patient_id=str(patient_id),
            title=f"{protocol.title}: {stage.title}",
            time_zone=patient.time_zone,
            start=first_day,
            times=times if times else default_times(dose.sessions_per_day),
            until=None if days is None else first_day + timedelta(days=days - 1),
            duration_min=SESSION_MIN,
            description=(
                f"{dose.reps} repetitions, hold {dose.hold_s_min}-{dose.hold_s_max} s. "
                f"Stage {stage.number}, {dose.sessions_per_day} sessions a day. "
                "Open spinestep for the guided session and the pain check-in."
            ),
            calendar_key=patient.uuid,
        )
        events = publish(uow, patient_id, planned_events(plan), now, pinned_start=bool(start))
        uow.commit()
    return replace(plan, events=events)


def clinician_report(ctx: ServiceContext, actor: Actor, patient_id: int) -> ClinicianReport:
    """The one-page report's content for ``patient_id`` as of now."""
    records = load_patient_records(ctx, actor, patient_id)
    adherence = patient_adherence(ctx, actor, patient_id)
    return build_report(records, ctx.clock.now(), adherence)
