"""Opt-in e-mail reminders: the patient's choice, sending the reminders due, unsubscribing.

Only the patient sets their reminders (a clinician cannot sign them up for e-mail).
They go to the account's own e-mail address. Every change is audited, and so is an
unsubscribe through an e-mail's link (as the patient, who followed their own link).

Sending (``send_due``) is safe to run in any number of processes at once: each reminder
is claimed in the database before the e-mail goes (``ReminderRepository.claim``), and
only the claimer sends it. A reminder whose e-mail the server refused is not retried:
it is recorded as failed, and the next session time brings the next one.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Protocol

from spinestep.errors import InvalidInput, NotFound, PermissionDenied, StorageError
from spinestep.services.access import audit, load_patient
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.local_days import local_day_bounds
from spinestep.services.passwords import new_token, token_hash
from spinestep.services.records import ProgrammeStatus, Role
from spinestep.services.reminder_ports import (
    DEFAULT_QUIET_END,
    DEFAULT_QUIET_START,
    ReminderCandidate,
    ReminderChoice,
    ReminderMode,
    SendOutcome,
)
from spinestep.services.reminder_times import (
    DueSlot,
    clock_text,
    due_slots,
    parse_clock,
    session_times,
)

logger = logging.getLogger("spinestep.reminders")

#: What ``passwords.new_token`` makes (32 random bytes): 43 URL-safe characters.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")
#: How long a sent reminder's claim (and so its unsubscribe link) is kept.
KEEP_CLAIMS = timedelta(days=60)


@dataclass(frozen=True, slots=True)
class ReminderSettings:
    """What the patient sees of their reminders."""

    mode: ReminderMode
    quiet_start: str
    quiet_end: str
    email: str
    time_zone: str
    #: The day's session times the reminders follow (empty without a programme).
    session_times: tuple[str, ...]
    #: False while the programme is paused (no reminders are sent then).
    active: bool


@dataclass(frozen=True, slots=True)
class ReminderMail:
    """One e-mail to send: to whom, which kind, and its unsubscribe token (shown once)."""

    to: str
    mode: ReminderMode
    unsubscribe_token: str


class ReminderMailer(Protocol):
    def send_reminder(self, mail: ReminderMail) -> bool:
        """Send now; False when the mail server could not be reached or refused it."""
        ...


@dataclass(frozen=True, slots=True)
class SendReport:
    due: int = 0
    sent: int = 0
    failed: int = 0
    #: Due but claimed by another sender (or in an earlier run).
    taken: int = 0
    #: Due but no longer needed: that session is already done.
    done: int = 0


def _require_patient(actor: Actor) -> None:
    if actor.local or actor.role is not Role.PATIENT or actor.user_id is None:
        raise PermissionDenied("only the patient, signed in, may set their e-mail reminders")


def _settings(
    choice: ReminderChoice | None,
    email: str,
    time_zone: str,
    times: tuple[time, ...],
    active: bool,
) -> ReminderSettings:
    """The settings shown; a patient who never chose has reminders off, quiet 21:00-08:00."""
    return ReminderSettings(
        mode=ReminderMode.OFF if choice is None else choice.mode,
        quiet_start=clock_text(DEFAULT_QUIET_START) if choice is None else choice.quiet_start,
        quiet_end=clock_text(DEFAULT_QUIET_END) if choice is None else choice.quiet_end,
        email=email,
        time_zone=time_zone,
        session_times=tuple(clock_text(at) for at in times),
        active=active,
    )


def reminder_settings(ctx: ServiceContext, actor: Actor, patient_id: int) -> ReminderSettings:
    """The patient's reminder settings (off, 21:00-08:00 quiet, when never set)."""
    _require_patient(actor)
    with ctx.uow() as uow:
        patient = load_patient(uow, actor, patient_id)
        user = None if patient.user_id is None else uow.users.get(patient.user_id)
        if user is None:
            raise NotFound(f"no patient with id {patient_id}")
        assignment = uow.assignments.current_for(patient_id)
        choice = uow.reminders.choice_for(patient_id)
    times = () if assignment is None else session_times(assignment)
    active = assignment is not None and assignment.status is not ProgrammeStatus.PAUSED
    return _settings(choice, user.email, patient.time_zone, times, active)


def save_reminder_settings(
    ctx: ServiceContext,
    actor: Actor,
    patient_id: int,
    mode: str,
    quiet_start: str,
    quiet_end: str,
) -> ReminderSettings:
    """Store the patient's choice; ``InvalidInput`` names a wrong field."""
    _require_patient(actor)
    try:
        chosen = ReminderMode(mode)
    except ValueError:
        allowed = ", ".join(m.value for m in ReminderMode)
        raise InvalidInput("mode", f"must be one of {allowed}") from None
    start = parse_clock("quiet_start", quiet_start)
    end = parse_clock("quiet_end", quiet_end)
    with ctx.uow() as uow:
        uow.lock_patient(patient_id)
        load_patient(uow, actor, patient_id)
        uow.reminders.save_choice(
            ReminderChoice(
                patient_id=patient_id,
                mode=chosen,
                quiet_start=clock_text(start),
                quiet_end=clock_text(end),
                updated_at=ctx.clock.now(),
            )
        )
        audit(uow, ctx.clock, actor, "reminders.update", patient_id)
        uow.commit()
    return reminder_settings(ctx, actor, patient_id)


def unsubscribe_target(ctx: ServiceContext, token: str) -> int | None:
    """The patient whose reminder carried this unsubscribe token, else None."""
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    with ctx.uow() as uow:
        return uow.reminders.patient_for_token(token_hash(token))


def unsubscribe(ctx: ServiceContext, token: str) -> bool:
    """Turn the reminders off for the patient whose e-mail carried ``token``.

    False for a token that names no reminder (never sent, or older than
    ``KEEP_CLAIMS``). Turning off reminders that are already off changes nothing.
    """
    patient_id = unsubscribe_target(ctx, token)
    if patient_id is None:
        return False
    with ctx.uow() as uow:
        uow.lock_patient(patient_id)
        patient = uow.patients.get(patient_id)
        choice = uow.reminders.choice_for(patient_id)
        if patient is None or choice is None:
            return False
        if choice.mode is not ReminderMode.OFF:
            choice.mode = ReminderMode.OFF
            choice.updated_at = ctx.clock.now()
            uow.reminders.save_choice(choice)
            actor = Actor(role=Role.PATIENT, user_id=patient.user_id)
            audit(uow, ctx.clock, actor, "reminders.unsubscribe", patient_id)
            uow.commit()
    return True


def _still_needed(
    ctx: ServiceContext, candidate: ReminderCandidate, due: list[DueSlot]
) -> list[DueSlot]:
    needed = []
    with ctx.uow() as uow:
        for slot in due:
            _, start, end = local_day_bounds(candidate.time_zone, slot.due_at)
            done = uow.reminders.sessions_between(candidate.patient_id, start, end)
            if slot.still_needed(done):
                needed.append(slot)
    return needed


def _claim(ctx: ServiceContext, candidate: ReminderCandidate, slot: DueSlot, token: str) -> bool:
    """Insert the claim as the unit of work's first statement and commit it at once."""
    try:
        with ctx.uow() as uow:
            claimed = uow.reminders.claim(
                candidate.patient_id, slot.local_date, slot.slot, token_hash(token), ctx.clock.now()
            )
            uow.commit()
    except StorageError:
        logger.warning("a reminder could not be claimed now; it is tried again next run")
        return False
    return claimed


def _record(ctx: ServiceContext, candidate: ReminderCandidate, slot: DueSlot, sent: bool) -> None:
    outcome = SendOutcome.SENT if sent else SendOutcome.FAILED
    with ctx.uow() as uow:
        uow.reminders.record_outcome(candidate.patient_id, slot.local_date, slot.slot, outcome)
        uow.commit()


def send_due(
    ctx: ServiceContext, mailer: ReminderMailer, now: datetime | None = None
) -> SendReport:
    """Claim and send every reminder due at ``now`` (default: the context's clock)."""
    at = ctx.clock.now() if now is None else now
    with ctx.uow() as uow:
        candidates = uow.reminders.candidates()
    due = sent = failed = taken = done = 0
    for candidate in candidates:
        choice = candidate.choice
        slots = due_slots(
            choice.mode,
            session_times(candidate.assignment),
            candidate.time_zone,
            parse_clock("quiet_start", choice.quiet_start),
            parse_clock("quiet_end", choice.quiet_end),
            at,
        )
        if not slots:
            continue
        due += len(slots)
        needed = _still_needed(ctx, candidate, slots)
        done += len(slots) - len(needed)
        for slot in needed:
            token = new_token()
            if not _claim(ctx, candidate, slot, token):
                taken += 1
                continue
            ok = mailer.send_reminder(ReminderMail(candidate.email, choice.mode, token))
            _record(ctx, candidate, slot, ok)
            sent += ok
            failed += not ok
    with ctx.uow() as uow:
        uow.reminders.forget_claims_before((at - KEEP_CLAIMS).date())
        uow.commit()
    return SendReport(due=due, sent=sent, failed=failed, taken=taken, done=done)
