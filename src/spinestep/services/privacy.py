"""Export everything held about a person; delete an account; the audit trail (SPEC §7, §8)."""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from spinestep.errors import NotFound, PermissionDenied
from spinestep.services.access import audit, audit_read, load_patient, require_role
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.ports import UnitOfWork
from spinestep.services.records import (
    AuditEntry,
    CalendarFeedRecord,
    DeletionRequest,
    DeletionStatus,
    Role,
    StoredQuestionnaire,
)

EXPORT_FORMAT = "spinestep-export/1"


def _plain(value: Any) -> Any:
    """JSON-ready: dataclasses to dicts, enums to their values, datetimes to RFC 3339."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Enum):
        return value.value if not isinstance(value.value, int) else value.name.lower()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _subscription(feed: CalendarFeedRecord | None) -> dict[str, str] | None:
    """Whether the patient has a calendar subscription link, never its token or hash."""
    return None if feed is None else {"created_at": feed.created_at.isoformat()}


def _wording_shown(uow: UnitOfWork, entries: list[StoredQuestionnaire]) -> list[dict[str, Any]]:
    """Which wording pack each questionnaire answered at home was shown from."""
    shown = uow.clinic.shown_packs([e.id for e in entries if e.id is not None])
    return [
        {
            "questionnaire_id": response_id,
            "instrument": pack.instrument,
            "language": pack.language,
            "pack_version": pack.pack_version,
            "checksum": pack.checksum,
        }
        for response_id, pack in sorted(shown.items())
    ]


def export_patient_data(ctx: ServiceContext, actor: Actor, patient_id: int) -> dict[str, Any]:
    """Every record held about the patient (and their account, without secrets), as JSON."""
    with ctx.uow() as uow:
        patient = load_patient(uow, actor, patient_id)
        user = None if patient.user_id is None else uow.users.get(patient.user_id)
        questionnaires = uow.questionnaires.for_patient(patient_id)
        data: dict[str, Any] = {
            "format": EXPORT_FORMAT,
            "exported_at": ctx.clock.now().isoformat(),
            "patient": _plain(patient),
            "account": None
            if user is None
            else {
                "email": user.email,
                "display_name": user.display_name,
                "role": user.role.value,
                "created_at": user.created_at.isoformat(),
            },
            "programmes": _plain(uow.assignments.for_patient(patient_id)),
            "programme_events": _plain(uow.events.for_patient(patient_id)),
            "sessions": _plain(uow.sessions.for_patient(patient_id)),
            "decisions": _plain(uow.decisions.for_patient(patient_id)),
            "red_flags": _plain(uow.red_flags.for_patient(patient_id)),
            "screenings": _plain(uow.screenings.for_patient(patient_id)),
            "questionnaires": _plain(questionnaires),
            "questionnaire_wording": _wording_shown(uow, questionnaires),
            "audit": _plain(uow.audit.for_patient(patient_id)),
            "reminders": _plain(uow.reminder_slots.for_patient(patient_id)),
            "calendar_subscription": _subscription(uow.calendar_feeds.for_patient(patient_id)),
            "email_reminders": _plain(uow.reminders.choice_for(patient_id)),
            "email_reminders_sent": _plain(uow.reminders.sent_for(patient_id)),
            "message_threads": _plain(uow.messages.threads_for_patient(patient_id)),
            "messages": _plain(uow.messages.for_patient(patient_id)),
        }
        audit_read(uow, ctx.clock, actor, "patient.export", patient_id)
        uow.commit()
    return data


@dataclass(frozen=True, slots=True)
class DeletionOutcome:
    """``deleted`` when the data is gone now; else a request awaits the clinic's admin."""

    deleted: bool
    request_id: int | None


def delete_account(ctx: ServiceContext, actor: Actor, patient_id: int) -> DeletionOutcome:
    """A self-managing person's data is deleted at once (with their account); for a clinic's
    patient the request is recorded, to be carried out by an admin under the clinic's policy.
    """
    with ctx.uow() as uow:
        uow.lock_patient(patient_id)
        patient = load_patient(uow, actor, patient_id)
        own = actor.local or (actor.user_id is not None and patient.user_id == actor.user_id)
        if not own and actor.role is not Role.ADMIN:
            raise PermissionDenied("only the person themself or an admin may delete an account")
        if patient.self_managed and patient.clinician_id is None and own:
            user_id = patient.user_id
            uow.patients.delete(patient_id)
            if user_id is not None:
                uow.users.delete(user_id)
            # The actor's account is gone with the data, so the entry cannot point at it
            # (a foreign key); the action itself says the person deleted their own account.
            uow.audit.add(
                AuditEntry(action="patient.delete_self", at=ctx.clock.now(), actor_user_id=None)
            )
            uow.commit()
            return DeletionOutcome(deleted=True, request_id=None)
        request = uow.deletions.add(
            DeletionRequest(
                patient_id=patient_id,
                requested_at=ctx.clock.now(),
                requested_by=actor.user_id,
            )
        )
        audit(uow, ctx.clock, actor, "patient.deletion_request", patient_id)
        uow.commit()
    return DeletionOutcome(deleted=False, request_id=request.id)


def pending_deletions(ctx: ServiceContext, actor: Actor) -> list[DeletionRequest]:
    require_role(actor, Role.ADMIN)
    with ctx.uow() as uow:
        return uow.deletions.pending()


def carry_out_deletion(ctx: ServiceContext, actor: Actor, request_id: int) -> None:
    """An admin deletes the patient of a pending request (and their account)."""
    require_role(actor, Role.ADMIN)
    with ctx.uow() as uow:
        request = uow.deletions.get(request_id)
        if request is None or request.status is not DeletionStatus.PENDING:
            raise NotFound(f"no pending deletion request with id {request_id}")
        patient = None if request.patient_id is None else uow.patients.get(request.patient_id)
        user_id = None if patient is None else patient.user_id
        request.status = DeletionStatus.DONE
        request.completed_at = ctx.clock.now()
        request.completed_by = actor.user_id
        request.patient_id = None
        if request.requested_by is not None and request.requested_by == user_id:
            request.requested_by = None
        uow.deletions.update(request)
        if patient is not None and patient.id is not None:
            uow.patients.delete(patient.id)
            if user_id is not None:
                uow.users.delete(user_id)
        audit(uow, ctx.clock, actor, "patient.delete", None)
        uow.commit()


@dataclass(frozen=True, slots=True)
class AuditView:
    at: datetime
    action: str
    actor_user_id: int | None
    patient_id: int | None


def audit_trail(
    ctx: ServiceContext, actor: Actor, patient_id: int | None = None, limit: int = 200
) -> tuple[AuditView, ...]:
    """The audit trail of one patient (oldest first) or the most recent entries (admins)."""
    with ctx.uow() as uow:
        if patient_id is None:
            require_role(actor, Role.ADMIN)
            entries = uow.audit.recent(limit)
        else:
            load_patient(uow, actor, patient_id)
            entries = uow.audit.for_patient(patient_id)
    return tuple(AuditView(e.at, e.action, e.actor_user_id, e.patient_id) for e in entries)
