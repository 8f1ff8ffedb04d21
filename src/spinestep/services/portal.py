"""Small use cases of the patient's web pages that the other services do not cover."""

from __future__ import annotations

from dataclasses import dataclass

from spinestep.services.access import audit_read, load_patient
from spinestep.services.care_team import CareTeam, ClinicianContact, team_of
from spinestep.services.context import Actor, Identify, ServiceContext
from spinestep.services.messages import message_reader
from spinestep.services.patient_day_port import PatientDay
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


@dataclass(frozen=True, slots=True)
class TodayPage:
    """What the Today page shows: the Today view (None while there is no programme), the
    questionnaires due, whom to contact and the unread messages."""

    today: TodayView | None
    due: tuple[DueItem, ...]
    team: CareTeam
    unread: int


def today_page(ctx: ServiceContext, identify: Identify) -> TodayPage:
    """The Today page's reads in one statement (``programme.read_day``), in the unit of
    work where ``identify`` reads who acts on whom. The same as ``programme.today``,
    ``questionnaire_tracking.questionnaires_due``, ``care_team.care_team`` and
    ``messages.unread_count`` one after the other (audited as they are)."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        actor, patient_id = identify(uow)
        day = read_day(uow, actor, patient_id, now, reader_id=message_reader(actor))
        assignment = day.assignment
        view = None
        if assignment is not None:
            view = today_of(uow, ctx.clock, actor, day, assignment, now)
        audit_read(uow, ctx.clock, actor, "questionnaire.due", patient_id)
        audit_read(uow, ctx.clock, actor, "care_team.read", patient_id)
        due = due_of(questionnaire_entries(day.questionnaires), now, assignment)
        uow.commit()
    return TodayPage(view, due, _team_of_day(day), day.unread)


def _team_of_day(day: PatientDay) -> CareTeam:
    clinician = None
    if day.clinician_name is not None:
        clinician = ClinicianContact(day.clinician_name, day.clinician_contacts)
    return team_of(day.patient, clinician, day.clinician_active, day.clinic_contacts)


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
