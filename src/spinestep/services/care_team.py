"""The care team's contact details: the clinic's (set by an admin) and each clinician's
own (set by that clinician), and what a patient is shown of them.

Whom a patient is told to contact comes in this order: the emergency number first (the
patient's own, SPEC §3.5), then their clinician, then the clinic. Details that were never
set are simply left out; the pages still say whom to contact. Every change is audited
(an action name, the actor and, for a clinician's own details, their account).
"""

from __future__ import annotations

from dataclasses import dataclass

from spinestep.domain.contacts import ContactDetails, check_contact_details
from spinestep.domain.model import EmergencyNumber
from spinestep.errors import PermissionDenied
from spinestep.services.access import audit, audit_read, load_patient, require_role
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.ports import UnitOfWork
from spinestep.services.records import PatientRecord, Role


@dataclass(frozen=True, slots=True)
class ClinicianContact:
    name: str
    details: ContactDetails


@dataclass(frozen=True, slots=True)
class CareTeam:
    """Whom the patient contacts, in the order they are shown."""

    emergency_number: EmergencyNumber
    clinicians: tuple[ClinicianContact, ...]
    clinic: ContactDetails


def clinic_contacts(ctx: ServiceContext, actor: Actor) -> ContactDetails:
    """The clinic's contact details (admins)."""
    require_role(actor, Role.ADMIN)
    with ctx.uow() as uow:
        return uow.clinic.clinic_contacts()


def set_clinic_contacts(
    ctx: ServiceContext, actor: Actor, phone: str | None, email: str | None, hours: str | None
) -> ContactDetails:
    """Replace the clinic's contact details (admins); empty values clear a detail."""
    require_role(actor, Role.ADMIN)
    details = check_contact_details(phone, email, hours)
    with ctx.uow() as uow:
        uow.clinic.set_clinic_contacts(details, ctx.clock.now(), actor.user_id)
        audit(uow, ctx.clock, actor, "contacts.clinic.update", None)
        uow.commit()
    return details


def _clinician_id(actor: Actor) -> int:
    if actor.local or actor.role is not Role.CLINICIAN or actor.user_id is None:
        raise PermissionDenied("only a clinician has their own contact details")
    return actor.user_id


def own_contacts(ctx: ServiceContext, actor: Actor) -> ContactDetails:
    """The signed-in clinician's own contact details."""
    user_id = _clinician_id(actor)
    with ctx.uow() as uow:
        return uow.clinic.clinician_contacts([user_id]).get(user_id, ContactDetails())


def set_own_contacts(
    ctx: ServiceContext, actor: Actor, phone: str | None, email: str | None, hours: str | None
) -> ContactDetails:
    """Replace the signed-in clinician's own contact details."""
    user_id = _clinician_id(actor)
    details = check_contact_details(phone, email, hours)
    with ctx.uow() as uow:
        uow.clinic.set_clinician_contacts(user_id, details, ctx.clock.now())
        audit(uow, ctx.clock, actor, "contacts.clinician.update", None, subject_user_id=user_id)
        uow.commit()
    return details


def care_team(ctx: ServiceContext, actor: Actor, patient_id: int) -> CareTeam:
    """Whom this patient contacts: emergency number, their clinician, the clinic."""
    with ctx.uow() as uow:
        patient = load_patient(uow, actor, patient_id)
        team = care_team_in(uow, patient)
        audit_read(uow, ctx.clock, actor, "care_team.read", patient_id)
        uow.commit()
    return team


def care_team_in(uow: UnitOfWork, patient: PatientRecord) -> CareTeam:
    """``care_team`` inside an open unit of work (not audited)."""
    clinician: ClinicianContact | None = None
    active = False
    if patient.clinician_id is not None:
        user = uow.users.get(patient.clinician_id)
        if user is not None and user.id is not None:
            found = uow.clinic.clinician_contacts([user.id])
            clinician = ClinicianContact(user.display_name, found.get(user.id, ContactDetails()))
            active = user.active
    return team_of(patient, clinician, active, uow.clinic.clinic_contacts())


def team_of(
    patient: PatientRecord,
    clinician: ClinicianContact | None,
    clinician_active: bool,
    clinic: ContactDetails,
) -> CareTeam:
    """The care team of records already read (``clinician`` None when the patient has
    none): the clinician is listed only while their account is active."""
    return CareTeam(
        emergency_number=patient.emergency_number,
        clinicians=(clinician,) if clinician is not None and clinician_active else (),
        clinic=clinic,
    )
