"""The safety check of a session done offline, sent later with it (SPEC §3.5 for late sessions).

A phone without a connection keeps the session and the safety check answered before it,
each with the instant it happened, and sends them when the connection returns. The
server then treats the session like any late-arriving one: its own time, the rules run
again, and no duplicate (its idempotency key). Its check is judged at the session's
time, not at the time it arrives: a check without a "yes", taken at most ``FRESH_FOR``
before the session and after the patient's previous session (by the sessions' own
times), that answers every question then due.

A check that was stored when it was taken (the phone was online then) is not sent again
(``answers is None``); one taken offline is stored now, at its own time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from spinestep.domain.instants import check_instant
from spinestep.errors import InvalidInput, ScreeningRequired
from spinestep.services.access import load_patient
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.ports import Clock, UnitOfWork
from spinestep.services.records import AssignmentRecord, FlagSource, PatientRecord
from spinestep.services.screening import (
    FRESH_FOR,
    ScreeningOutcome,
    _with_none_started,
    check_answers,
    due_in,
    fresh_answers,
    refuse_unanswered,
    store_screening,
)


@dataclass(frozen=True, slots=True)
class LateCheck:
    """The safety check taken before a session done offline.

    ``answers`` (code -> yes) is None when the check was stored when it was taken;
    ``none_started`` is the combined form's "no" (SPEC §4).
    """

    at: datetime
    answers: dict[str, bool] | None = None
    none_started: bool = False


def validate_late_check(check: LateCheck, session_at: datetime, now: datetime) -> None:
    """Its instant is sane, not after the session and at most ``FRESH_FOR`` before it."""
    check_instant(check.at, "checked_at", now)
    if check.at > session_at:
        raise InvalidInput("checked_at", "must not be after the session")
    if session_at - check.at > FRESH_FOR:
        raise ScreeningRequired(
            "the safety check was taken more than 2 hours before the session; nothing was saved"
        )
    if check.answers is not None:
        check_answers(check.answers)
        if any(check.answers.values()):
            raise InvalidInput(
                "answers", "a check with a 'yes' ends the session: send the check on its own"
            )


def store_late_check(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    patient: PatientRecord,
    assignment: AssignmentRecord,
    check: LateCheck,
    session_at: datetime,
) -> None:
    """Store a check taken offline at its own time, then refuse the session
    (ScreeningRequired) unless a fresh, complete check covers it at ``session_at``.
    Runs inside the session's unit of work, before the session is added."""
    assert patient.id is not None
    if check.answers is not None:
        due = due_in(uow, patient, check.at)
        answers = _with_none_started(due, dict(check.answers), check.none_started)
        store_screening(
            uow, clock, actor, patient, assignment, FlagSource.SESSION, answers, at=check.at
        )
    require_screening_before(uow, patient, session_at)


def require_screening_before(uow: UnitOfWork, patient: PatientRecord, at: datetime) -> None:
    """ScreeningRequired unless checks without a "yes", taken in ``[at - FRESH_FOR, at]`` and
    after the patient's last session before ``at``, answer every question due at ``at``."""
    assert patient.id is not None
    earlier = uow.sessions.for_patient(patient.id, since=at - FRESH_FOR, until=at)
    previous = max((session.at for session in earlier), default=None)
    answered = fresh_answers(uow, patient.id, at, previous)
    if not answered:
        raise ScreeningRequired(
            "answer the safety questions first: the session needs a safety check taken "
            "before it and at most 2 hours earlier; nothing was saved"
        )
    due = due_in(uow, patient, at)
    refuse_unanswered((*due.every_session, *due.also_due), answered, "before the session")


def record_late_screening(
    ctx: ServiceContext, actor: Actor, patient_id: int, check: LateCheck
) -> tuple[ScreeningOutcome, bool]:
    """Store a safety check answered offline with a "yes" (the session ended there), at its
    own time, and act on it as on any "yes": the flags, then the rules (R1).

    The same check sent again (same instant, same answers) is stored once; the second
    answer says ``replayed``. Raises InvalidInput for an instant out of range or answers
    that are not red-flag codes.
    """
    if check.answers is None or not check.answers:
        raise InvalidInput("answers", "the safety check's answers are missing")
    check_answers(check.answers)
    with ctx.uow() as uow:
        uow.lock_patient(patient_id)
        now = ctx.clock.now()
        check_instant(check.at, "checked_at", now)
        patient = load_patient(uow, actor, patient_id)
        assert patient.id is not None
        answers = dict(check.answers)
        for earlier in uow.screenings.taken_after(patient.id, check.at - timedelta(seconds=1)):
            if earlier.at == check.at and earlier.answers == answers:
                assert earlier.id is not None
                return ScreeningOutcome(earlier.id, (), None), True
        assignment = uow.assignments.current_for(patient.id)
        outcome = store_screening(
            uow, ctx.clock, actor, patient, assignment, FlagSource.SESSION, answers, at=check.at
        )
        uow.commit()
    return outcome, False
