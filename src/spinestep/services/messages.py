"""Secure messages between a patient and their care team.

Who takes part (``services.access``): the patient's own account and the clinician
assigned to them. An admin sees patient records as before but not message content, and
the local person of a CLI install has no care team to write to. Every send is audited;
so is every read by a clinician (``audit_read``). Audit entries name the action only.

Bounds: a subject is 1-``SUBJECT_MAX_CHARS`` characters on one line, a message
1-``BODY_MAX_CHARS`` characters (NFC, line breaks kept, no other control or formatting
characters). Rate: each account sends at most ``MESSAGES_PER_HOUR`` messages per clock
hour (UTC), counted in the database (``MessageRepository.take_send``) so every process
of the installation shares the count.

A message the reader has not seen is unread until the reader opens its thread. A
notification goes to the other side only when the message is the first one they have
not seen in that thread, so a burst of replies makes one e-mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from spinestep.domain.text import clean_name, clean_paragraphs
from spinestep.errors import Conflict, MessageLimitReached, NotFound, PermissionDenied
from spinestep.services.access import audit, audit_read, load_patient
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.messages_port import MessageRecord, ThreadRecord, ThreadSummary
from spinestep.services.ports import UnitOfWork
from spinestep.services.record_types import MessageEntry
from spinestep.services.records import PatientRecord, Role

SUBJECT_MAX_CHARS = 120
BODY_MAX_CHARS = 4000
MESSAGES_PER_HOUR = 20
INBOX_LIMIT = 100


@dataclass(frozen=True, slots=True)
class MessageView:
    id: int
    thread_id: int
    from_patient: bool
    mine: bool
    author_name: str
    body: str
    created_at: datetime
    decision_id: int | None


@dataclass(frozen=True, slots=True)
class ThreadView:
    patient_id: int
    thread: ThreadRecord
    messages: tuple[MessageView, ...]


@dataclass(frozen=True, slots=True)
class Recipient:
    """Whom to tell that a message is waiting: an address and the side they are on."""

    email: str
    is_patient: bool


@dataclass(frozen=True, slots=True)
class SendOutcome:
    thread_id: int
    message: MessageView
    notify: tuple[Recipient, ...]


@dataclass(frozen=True, slots=True)
class InboxEntry:
    patient_id: int
    patient_name: str
    summary: ThreadSummary


def _party(uow: UnitOfWork, actor: Actor, patient_id: int) -> tuple[PatientRecord, int]:
    """The patient and the acting account, when the actor takes part in the patient's
    messages: the patient themself or their assigned clinician."""
    if actor.local or actor.user_id is None:
        raise PermissionDenied("messages need a signed-in account")
    if actor.role is Role.ADMIN:
        raise PermissionDenied("an admin does not read patients' messages")
    return load_patient(uow, actor, patient_id), actor.user_id


def _clean_subject(subject: str) -> str:
    return clean_name(subject, "subject", max_chars=SUBJECT_MAX_CHARS)


def _clean_body(body: str) -> str:
    return clean_paragraphs(body, "text", max_chars=BODY_MAX_CHARS)


def _hour_start(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def _check_decision(uow: UnitOfWork, actor: Actor, patient_id: int, decision_id: int) -> None:
    if actor.role is not Role.CLINICIAN:
        raise PermissionDenied("only a clinician may attach a message to a decision")
    decision = uow.decisions.get(decision_id)
    if decision is None or decision.patient_id != patient_id:
        raise NotFound("no such decision about this patient")


def _recipients(
    uow: UnitOfWork, patient: PatientRecord, author_id: int, thread_id: int | None
) -> tuple[Recipient, ...]:
    """The other side's active account, if the new message is the first they have not
    seen in the thread."""
    if patient.user_id == author_id:
        other, is_patient = patient.clinician_id, False
    else:
        other, is_patient = patient.user_id, True
    if other is None:
        return ()
    if thread_id is not None and uow.messages.unread_in_thread(thread_id, other) > 0:
        return ()
    user = uow.users.get(other)
    if user is None or not user.active:
        return ()
    return (Recipient(user.email, is_patient),)


def _view(
    message: MessageRecord, reader_id: int, names: dict[int, str], patient: PatientRecord
) -> MessageView:
    assert message.id is not None
    from_patient = message.author_role is Role.PATIENT
    mine = message.author_user_id == reader_id
    if mine:
        name = "You"
    elif from_patient:
        name = patient.display_name
    else:
        name = names.get(message.author_user_id or 0, "Your care team")
    return MessageView(
        id=message.id,
        thread_id=message.thread_id,
        from_patient=from_patient,
        mine=mine,
        author_name=name,
        body=message.body,
        created_at=message.created_at,
        decision_id=message.decision_id,
    )


def _names(uow: UnitOfWork, messages: list[MessageRecord]) -> dict[int, str]:
    """The display names of the clinicians who wrote any of ``messages``."""
    out: dict[int, str] = {}
    for author in {m.author_user_id for m in messages if m.author_role is not Role.PATIENT}:
        if author is not None and (user := uow.users.get(author)) is not None:
            out[author] = user.display_name
    return out


def _send(
    ctx: ServiceContext,
    actor: Actor,
    patient_id: int,
    *,
    subject: str | None,
    thread_id: int | None,
    body: str,
    decision_id: int | None,
    per_hour: int,
) -> SendOutcome:
    text = _clean_body(body)
    now = ctx.clock.now()
    with ctx.uow() as uow:
        uow.lock_patient(patient_id)
        patient, author_id = _party(uow, actor, patient_id)
        if actor.role is Role.PATIENT and patient.clinician_id is None:
            raise Conflict("there is no care team to write to: no clinician is assigned")
        if decision_id is not None:
            _check_decision(uow, actor, patient_id, decision_id)
        if thread_id is None:
            assert subject is not None
            thread = uow.messages.add_thread(ThreadRecord(patient_id, subject, author_id, now, now))
            assert thread.id is not None
            notify = _recipients(uow, patient, author_id, None)
        else:
            found = uow.messages.thread(patient_id, thread_id)
            if found is None:
                raise NotFound("no such conversation")
            thread = found
            assert thread.id is not None
            notify = _recipients(uow, patient, author_id, thread.id)
            uow.messages.touch_thread(thread.id, now)
        if not uow.messages.take_send(author_id, _hour_start(now), per_hour):
            raise MessageLimitReached(
                f"at most {per_hour} messages an hour may be sent: please try again later"
            )
        message = uow.messages.add(
            MessageRecord(
                thread_id=thread.id,
                patient_id=patient_id,
                author_user_id=author_id,
                author_role=actor.role,
                body=text,
                created_at=now,
                decision_id=decision_id,
            )
        )
        assert message.id is not None
        uow.messages.mark_read(thread.id, author_id, message.id)
        audit(uow, ctx.clock, actor, "message.send", patient_id)
        uow.commit()
    return SendOutcome(thread.id, _view(message, author_id, {}, patient), notify)


def start_thread(
    ctx: ServiceContext,
    actor: Actor,
    patient_id: int,
    subject: str,
    body: str,
    *,
    decision_id: int | None = None,
    per_hour: int = MESSAGES_PER_HOUR,
) -> SendOutcome:
    """A new conversation about the patient with its first message."""
    return _send(
        ctx,
        actor,
        patient_id,
        subject=_clean_subject(subject),
        thread_id=None,
        body=body,
        decision_id=decision_id,
        per_hour=per_hour,
    )


def reply(
    ctx: ServiceContext,
    actor: Actor,
    patient_id: int,
    thread_id: int,
    body: str,
    *,
    decision_id: int | None = None,
    per_hour: int = MESSAGES_PER_HOUR,
) -> SendOutcome:
    """A message added to one of the patient's conversations."""
    return _send(
        ctx,
        actor,
        patient_id,
        subject=None,
        thread_id=thread_id,
        body=body,
        decision_id=decision_id,
        per_hour=per_hour,
    )


def threads(ctx: ServiceContext, actor: Actor, patient_id: int) -> list[ThreadSummary]:
    """The patient's conversations, newest first, with the actor's unread counts."""
    with ctx.uow() as uow:
        _, reader_id = _party(uow, actor, patient_id)
        found = uow.messages.summaries(patient_id, reader_id)
        audit_read(uow, ctx.clock, actor, "messages.list", patient_id)
        uow.commit()
    return found


def open_thread(ctx: ServiceContext, actor: Actor, patient_id: int, thread_id: int) -> ThreadView:
    """One conversation, oldest message first; the actor has now seen all of it."""
    with ctx.uow() as uow:
        uow.lock_patient(patient_id)
        patient, reader_id = _party(uow, actor, patient_id)
        thread = uow.messages.thread(patient_id, thread_id)
        if thread is None:
            raise NotFound("no such conversation")
        messages = uow.messages.in_thread(thread_id)
        if messages and messages[-1].id is not None:
            uow.messages.mark_read(thread_id, reader_id, messages[-1].id)
        names = _names(uow, messages)
        audit_read(uow, ctx.clock, actor, "messages.read", patient_id)
        uow.commit()
    return ThreadView(
        patient_id, thread, tuple(_view(m, reader_id, names, patient) for m in messages)
    )


def message_reader(actor: Actor) -> int | None:
    """The account whose unread messages ``actor`` is shown; None for who takes no part in
    conversations (the terminal's local user, admins)."""
    if actor.local or actor.user_id is None or actor.role is Role.ADMIN:
        return None
    return actor.user_id


def unread_count(ctx: ServiceContext, actor: Actor, patient_id: int) -> int:
    """The actor's unread messages about the patient (0 for who takes no part)."""
    reader = message_reader(actor)
    if reader is None:
        return 0
    with ctx.uow() as uow:
        load_patient(uow, actor, patient_id)
        return uow.messages.unread_for_patient(patient_id, reader)


def inbox(ctx: ServiceContext, actor: Actor) -> list[InboxEntry]:
    """A clinician's conversations over their whole caseload, unread ones first, then the
    newest (at most ``INBOX_LIMIT``; one statement)."""
    if actor.role is not Role.CLINICIAN or actor.user_id is None:
        raise PermissionDenied("only a clinician has a message inbox")
    with ctx.uow() as uow:
        found = uow.messages.inbox(actor.user_id, INBOX_LIMIT)
        audit(uow, ctx.clock, actor, "messages.inbox", None)
        uow.commit()
    return [InboxEntry(patient_id, name, summary) for patient_id, name, summary in found]


def caseload_unread(uow: UnitOfWork, clinician_id: int) -> dict[int, int]:
    """Per patient of the clinician's caseload, the clinician's unread messages (the
    dashboard's one extra statement)."""
    return uow.messages.unread_by_patient(clinician_id)


def message_entries(uow: UnitOfWork, patient_id: int) -> tuple[MessageEntry, ...]:
    """The patient's messages for the record exports, oldest first, each naming the
    message before it in its conversation."""
    threads = {t.id: t for t in uow.messages.threads_for_patient(patient_id)}
    previous: dict[int, str] = {}
    out: list[MessageEntry] = []
    for message in uow.messages.for_patient(patient_id):
        thread = threads.get(message.thread_id)
        if thread is None:
            continue
        out.append(
            MessageEntry(
                thread_uuid=thread.uuid,
                subject=thread.subject,
                sent_at=message.created_at,
                from_patient=message.author_role is Role.PATIENT,
                text=message.body,
                uuid=message.uuid,
                in_reply_to=previous.get(message.thread_id),
            )
        )
        previous[message.thread_id] = message.uuid
    return tuple(out)
