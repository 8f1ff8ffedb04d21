"""Small use cases of the patient's web pages that the other services do not cover."""

from __future__ import annotations

from spinestep.services.access import audit_read, load_patient
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.patient_records import questionnaire_entries
from spinestep.services.programme import read_day, today_of
from spinestep.services.questionnaire_scores import DueItem
from spinestep.services.questionnaire_tracking import due_of
from spinestep.services.records import FlagSource, ProgrammeEvent
from spinestep.services.views import TodayView


def onboarding_screened(ctx: ServiceContext, actor: Actor, patient_id: int) -> bool:
    """Whether the onboarding red-flag questions have been answered for this patient."""
    with ctx.uow() as uow:
        load_patient(uow, actor, patient_id)
        return uow.screenings.any_from(patient_id, FlagSource.ONBOARDING)


def today_and_due(
    ctx: ServiceContext, actor: Actor, patient_id: int
) -> tuple[TodayView | None, tuple[DueItem, ...]]:
    """The Today page's reads in one statement (``programme.read_day``): the Today view
    (None while there is no programme) and the questionnaires due. The same as
    ``programme.today`` followed by ``questionnaire_tracking.questionnaires_due``.
    """
    now = ctx.clock.now()
    with ctx.uow() as uow:
        day = read_day(uow, actor, patient_id, now)
        assignment = day.assignment
        view = None
        if assignment is not None:
            view = today_of(uow, ctx.clock, actor, day, assignment, now)
        audit_read(uow, ctx.clock, actor, "questionnaire.due", patient_id)
        due = due_of(questionnaire_entries(day.questionnaires), now, assignment)
        uow.commit()
    return view, due


def has_users(ctx: ServiceContext) -> bool:
    """Whether any account exists (a fresh install opens on the setup page)."""
    with ctx.uow() as uow:
        return bool(uow.users.list_all())


def programme_events(ctx: ServiceContext, actor: Actor, patient_id: int) -> list[ProgrammeEvent]:
    """Changes to the programme (prescribe, stage, clearance, pause, resume), oldest first."""
    with ctx.uow() as uow:
        load_patient(uow, actor, patient_id)
        events = uow.events.for_patient(patient_id)
        audit_read(uow, ctx.clock, actor, "patient.events", patient_id)
        uow.commit()
    return events
