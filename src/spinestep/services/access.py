"""Who may see and change which patient's record, and the audit trail of it (SPEC §8).

- an admin: every patient;
- a clinician: the patients whose ``clinician_id`` is theirs;
- a patient account: their own profile only;
- the local person (CLI on their own machine): every profile in their database.

Every change is audited, and so is every read by a clinician or admin. Audit entries
hold an action name, the actor, the patient and the time, never clinical values.
"""

from __future__ import annotations

from spinestep.errors import NotFound, PermissionDenied
from spinestep.services.context import Actor
from spinestep.services.ports import Clock, UnitOfWork
from spinestep.services.records import AuditEntry, PatientRecord, Role


def may_see(actor: Actor, patient: PatientRecord) -> bool:
    if actor.local or actor.role is Role.ADMIN:
        return True
    if actor.role is Role.CLINICIAN:
        return actor.user_id is not None and patient.clinician_id == actor.user_id
    return actor.user_id is not None and patient.user_id == actor.user_id


def load_patient(uow: UnitOfWork, actor: Actor, patient_id: int) -> PatientRecord:
    """The patient, if it exists and the actor may see it; otherwise NotFound."""
    patient = uow.patients.get(patient_id)
    if patient is None or not may_see(actor, patient):
        raise NotFound(f"no patient with id {patient_id}")
    return patient


def require_clinical(actor: Actor, patient: PatientRecord, what: str) -> None:
    """Clinician-only changes: a clinician of this patient, an admin, or the local person."""
    if actor.local or actor.is_clinical:
        return
    raise PermissionDenied(f"only a clinician may {what}")


def require_role(actor: Actor, *roles: Role) -> None:
    if actor.local or actor.role in roles:
        return
    names = " or ".join(role.value for role in roles)
    raise PermissionDenied(f"this needs a {names} account")


def audit(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    action: str,
    patient_id: int | None,
    *,
    subject_user_id: int | None = None,
) -> None:
    """Add an audit entry to the current unit of work (committed with the change).

    ``subject_user_id`` names the account an account action was about (a reset, a
    deactivation); the actor is ``actor``.
    """
    uow.audit.add(
        AuditEntry(
            action=action,
            at=clock.now(),
            actor_user_id=actor.user_id,
            patient_id=patient_id,
            subject_user_id=subject_user_id,
        )
    )


def audit_read(uow: UnitOfWork, clock: Clock, actor: Actor, action: str, patient_id: int) -> None:
    """Audit a read when a clinician or admin looks at a patient's record."""
    if actor.is_clinical:
        audit(uow, clock, actor, action, patient_id)
