"""Small use cases of the patient's web pages that the other services do not cover."""

from __future__ import annotations

from spinestep.services.access import audit_read, load_patient
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.records import FlagSource, ProgrammeEvent


def onboarding_screened(ctx: ServiceContext, actor: Actor, patient_id: int) -> bool:
    """Whether the onboarding red-flag questions have been answered for this patient."""
    with ctx.uow() as uow:
        load_patient(uow, actor, patient_id)
        return any(
            s.source is FlagSource.ONBOARDING for s in uow.screenings.for_patient(patient_id)
        )


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
