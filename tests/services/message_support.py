"""A clinic for the message tests: a clinician, their patient (with an account), another
clinician, an admin and a patient without a clinician, written through the repositories."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from spinestep.domain.model import EmergencyNumber
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.records import PatientRecord, Role, UserRecord

CREATED = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Clinic:
    clinician: Actor
    other_clinician: Actor
    admin: Actor
    patient: Actor
    patient_id: int
    alone: Actor
    alone_id: int


def add_user(ctx: ServiceContext, email: str, role: Role, name: str = "") -> Actor:
    with ctx.uow() as uow:
        user = uow.users.add(UserRecord(email, name or email.split("@")[0], role, CREATED))
        uow.commit()
    return Actor.for_user(user)


def add_patient(ctx: ServiceContext, account: Actor, name: str, clinician: Actor | None) -> int:
    with ctx.uow() as uow:
        patient = uow.patients.add(
            PatientRecord(
                name,
                "Europe/London",
                EmergencyNumber("112"),
                CREATED,
                clinician is None,
                user_id=account.user_id,
                clinician_id=None if clinician is None else clinician.user_id,
            )
        )
        uow.commit()
    assert patient.id is not None
    return patient.id


def make_clinic(ctx: ServiceContext) -> Clinic:
    clinician = add_user(ctx, "dr.lee@example.org", Role.CLINICIAN, "Dr Lee")
    other = add_user(ctx, "dr.roe@example.org", Role.CLINICIAN, "Dr Roe")
    admin = add_user(ctx, "admin@example.org", Role.ADMIN)
    patient = add_user(ctx, "pat@example.org", Role.PATIENT)
    alone = add_user(ctx, "solo@example.org", Role.PATIENT)
    return Clinic(
        clinician=clinician,
        other_clinician=other,
        admin=admin,
        patient=patient,
        patient_id=add_patient(ctx, patient, "Pat Example", clinician),
        alone=alone,
        alone_id=add_patient(ctx, alone, "Solo Example", None),
    )
