"""Red-flag screening (SPEC §3.5, §4): which questions to ask now, what the answers lead
to, and whether a session may be stored.

A "yes" is stored as a red flag report, stays active until resolved, and the rules run
at once (R1), which pauses the programme and says what to do, most urgent first.

Before the first session of the patient's local day each every-session question is
asked on its own (the ``full`` form); before later sessions that day one question lists
them all (the ``combined`` form), and its "no" is stored as a "no" to each of them.
Monthly and onboarding questions that are due are always asked on their own.

A session is accepted only after a screening without a "yes", taken after the patient's
previous session was stored and at most ``FRESH_FOR`` before, that answered every
question then due (``require_fresh_screening``); "stop now" is never refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from spinestep.domain.redflags import (
    RED_FLAGS,
    AskedWhen,
    RedFlag,
    flags_for_monthly_check,
    flags_for_onboarding,
    flags_for_session,
)
from spinestep.errors import InvalidInput, ScreeningRequired
from spinestep.services.access import audit, load_patient
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.deciding import run_rules
from spinestep.services.local_days import local_day_bounds
from spinestep.services.ports import Clock, UnitOfWork
from spinestep.services.records import (
    AssignmentRecord,
    FlagSource,
    PatientRecord,
    RedFlagReport,
    ScreeningRecord,
)
from spinestep.services.views import DecisionView

MONTHLY_INTERVAL = timedelta(days=30)
#: How long before a session its safety check may have been taken (SPEC §3.5).
FRESH_FOR = timedelta(hours=2)
#: The one question of the combined form, followed by the list of every-session flags.
COMBINED_QUESTION = "Has any of these started since your last check?"


class ScreeningForm(StrEnum):
    """How the every-session questions are asked now (SPEC §4)."""

    FULL = "full"
    COMBINED = "combined"


@dataclass(frozen=True, slots=True)
class DueScreening:
    """The questions due now, and the form in which the every-session ones are asked.

    ``every_session`` is asked one by one in the full form and as ``COMBINED_QUESTION``
    in the combined form; ``also_due`` (monthly or onboarding questions not yet answered)
    is always asked one by one.
    """

    form: ScreeningForm
    every_session: tuple[RedFlag, ...]
    also_due: tuple[RedFlag, ...]

    @property
    def questions(self) -> tuple[RedFlag, ...]:
        return self.every_session + self.also_due


@dataclass(frozen=True, slots=True)
class ScreeningOutcome:
    """The flags answered "yes" (most urgent first) and, if any, the decision they led to."""

    screening_id: int
    flagged: tuple[str, ...]
    decision: DecisionView | None

    @property
    def clear(self) -> bool:
        return not self.flagged


def onboarding_questions() -> tuple[RedFlag, ...]:
    return flags_for_onboarding()


def monthly_due(uow: UnitOfWork, patient_id: int, now: datetime) -> tuple[RedFlag, ...]:
    """Monthly questions not answered in the last 30 days.

    Only the last 30 days of screenings are read: an answer older than that makes the
    question due just as no answer does, so the cost does not grow with the history.
    """
    window_start = now - MONTHLY_INTERVAL
    taken = uow.screenings.taken_after(patient_id, window_start)
    return monthly_due_in([(t.at, t.answers) for t in reversed(taken)], now)


def monthly_due_in(
    screenings: Sequence[tuple[datetime, Mapping[str, object]]], now: datetime
) -> tuple[RedFlag, ...]:
    """``monthly_due`` from the screenings (when, answers) taken after ``now`` less 30 days,
    newest first (all it needs: an older answer makes a question due as no answer does)."""
    due: list[RedFlag] = []
    for flag in flags_for_monthly_check():
        last = next((at for at, answers in screenings if flag.code in answers), None)
        if last is None or now - last >= MONTHLY_INTERVAL:
            due.append(flag)
    return tuple(due)


def onboarding_due(uow: UnitOfWork, patient_id: int) -> tuple[RedFlag, ...]:
    """Questions asked only at onboarding that this patient has never answered.

    Once the onboarding screening is stored (one indexed lookup) none is due.
    """
    if uow.screenings.any_from(patient_id, FlagSource.ONBOARDING):
        return ()
    only_onboarding = (f for f in flags_for_onboarding() if f.asked == {AskedWhen.ONBOARDING})
    asked = uow.screenings.last_asked
    return tuple(f for f in only_onboarding if asked(patient_id, f.code) is None)


def screening_form(uow: UnitOfWork, patient: PatientRecord, now: datetime) -> ScreeningForm:
    """``full`` before the first session of the patient's local day, ``combined`` after it."""
    assert patient.id is not None
    _, start, end = local_day_bounds(patient.time_zone, now)
    earlier_today = uow.sessions.for_patient(patient.id, start, end)
    return ScreeningForm.COMBINED if earlier_today else ScreeningForm.FULL


def _also_due(uow: UnitOfWork, patient_id: int, now: datetime) -> tuple[RedFlag, ...]:
    """The monthly and onboarding questions due now that are not every-session ones."""
    every = flags_for_session()
    extra = monthly_due(uow, patient_id, now) + onboarding_due(uow, patient_id)
    return tuple(sorted({f for f in extra if f not in every}, key=lambda f: f.order))


def due_in(uow: UnitOfWork, patient: PatientRecord, now: datetime) -> DueScreening:
    """``due_screening`` inside an open unit of work."""
    assert patient.id is not None
    also = _also_due(uow, patient.id, now)
    return DueScreening(screening_form(uow, patient, now), flags_for_session(), also)


def due_screening(ctx: ServiceContext, actor: Actor, patient_id: int) -> DueScreening:
    """The safety questions to ask before a session now, and their form."""
    with ctx.uow() as uow:
        patient = load_patient(uow, actor, patient_id)
        return due_in(uow, patient, ctx.clock.now())


def session_questions(ctx: ServiceContext, actor: Actor, patient_id: int) -> tuple[RedFlag, ...]:
    """Every question due before a session, one by one: the current-symptom flags, plus the
    monthly and onboarding ones due."""
    return due_screening(ctx, actor, patient_id).questions


def check_answers(answers: Mapping[str, object]) -> None:
    for code, value in answers.items():
        if code not in RED_FLAGS:
            raise InvalidInput(f"answers.{code}", "is not a red flag code")
        if type(value) is not bool:
            raise InvalidInput(f"answers.{code}", "must be true (yes) or false (no)")


def missing_answers(due: Iterable[RedFlag], answers: Mapping[str, bool]) -> tuple[RedFlag, ...]:
    """The due questions without an answer, in SPEC order."""
    return tuple(flag for flag in due if flag.code not in answers)


def _refuse_missing(missing: tuple[RedFlag, ...]) -> None:
    if not missing:
        return
    path = f"answers.{missing[0].code}" if len(missing) == 1 else "answers"
    codes = ", ".join(flag.code for flag in missing)
    raise InvalidInput(path, f"every question due must be answered; not answered: {codes}")


def _with_none_started(
    due: DueScreening, answers: dict[str, bool], none_started: bool
) -> dict[str, bool]:
    """The answers with the combined question's "no" stored as a "no" to each flag it lists."""
    if not none_started:
        return answers
    if due.form is not ScreeningForm.COMBINED:
        raise InvalidInput(
            "none_started",
            "the first check of the day asks each question on its own; answer them all",
        )
    for flag in due.every_session:
        if answers.get(flag.code) is True:
            raise InvalidInput(f"answers.{flag.code}", "is 'yes' but none_started says no")
    return {**answers, **{flag.code: False for flag in due.every_session}}


def store_screening(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    patient: PatientRecord,
    assignment: AssignmentRecord | None,
    source: FlagSource,
    answers: dict[str, bool],
    *,
    at: datetime | None = None,
) -> ScreeningOutcome:
    """Store answers and any new flags; run the rules when a flag was raised. Caller commits.

    ``at`` is when the check was taken, if not now (a check kept offline and sent later).
    """
    assert patient.id is not None
    check_answers(answers)
    now = clock.now() if at is None else at
    screening = uow.screenings.add(
        ScreeningRecord(patient_id=patient.id, at=now, source=source, answers=dict(answers))
    )
    assert screening.id is not None
    already = {report.code for report in uow.red_flags.unresolved_for(patient.id)}
    flagged = [code for code, yes in answers.items() if yes]
    for code in flagged:
        if code not in already:
            uow.red_flags.add(
                RedFlagReport(patient_id=patient.id, code=code, reported_at=now, source=source)
            )
    audit(uow, clock, actor, "screening.record", patient.id)
    decision = None
    if flagged and assignment is not None:
        decision = DecisionView.of(run_rules(uow, clock, actor, patient, assignment))
    ordered = sorted(
        flagged, key=lambda code: (-RED_FLAGS[code].urgency.rank, RED_FLAGS[code].order)
    )
    return ScreeningOutcome(screening.id, tuple(ordered), decision)


def record_screening(
    ctx: ServiceContext,
    actor: Actor,
    patient_id: int,
    answers: dict[str, bool],
    source: FlagSource = FlagSource.SESSION,
    *,
    none_started: bool = False,
) -> ScreeningOutcome:
    """Store a set of red-flag answers (code -> yes) and act on any "yes" at once.

    A session (or monthly) check must answer every question due now, unless it holds a
    "yes": a "yes" is stored at once even when the remaining questions were not asked.
    ``none_started`` is the combined form's "no" (only after a session earlier the same
    local day): it answers every every-session flag "no". Raises InvalidInput naming the
    questions not answered.
    """
    check_answers(answers)
    with ctx.uow() as uow:
        uow.lock_patient(patient_id)
        patient = load_patient(uow, actor, patient_id)
        if source is not FlagSource.ONBOARDING:
            due = due_in(uow, patient, ctx.clock.now())
            answers = _with_none_started(due, answers, none_started)
            if not any(answers.values()):
                _refuse_missing(missing_answers(due.questions, answers))
        elif none_started:
            raise InvalidInput("none_started", "the onboarding questions are asked one by one")
        assignment = uow.assignments.current_for(patient_id)
        outcome = store_screening(uow, ctx.clock, actor, patient, assignment, source, answers)
        uow.commit()
    return outcome


def require_fresh_screening(uow: UnitOfWork, patient: PatientRecord, now: datetime) -> None:
    """Refuse a session (ScreeningRequired) without a fresh, complete safety check.

    Counted: screenings without a "yes", taken after the patient's previous session was
    stored and at most ``FRESH_FOR`` before ``now``; together they must answer every
    question due now. Called inside the session's unit of work, before anything is added.
    """
    assert patient.id is not None
    answered = fresh_answers(uow, patient.id, now, uow.sessions.last_stored_at(patient.id))
    if not answered:
        raise ScreeningRequired(
            "answer the safety questions first: each session needs a safety check taken "
            "since the last session and at most 2 hours before; nothing was saved"
        )
    refuse_unanswered(
        flags_for_session() + _also_due(uow, patient.id, now), answered, "since the last session"
    )


def fresh_answers(
    uow: UnitOfWork, patient_id: int, at: datetime, previous: datetime | None
) -> dict[str, bool]:
    """The answers of the checks without a "yes" taken in ``[at - FRESH_FOR, at]`` and after
    ``previous`` (the patient's previous session), merged oldest first."""
    window_start = at - FRESH_FOR
    answered: dict[str, bool] = {}
    for check in uow.screenings.taken_after(patient_id, window_start - timedelta(seconds=1)):
        fresh = window_start <= check.at <= at and (previous is None or check.at > previous)
        if fresh and not any(check.answers.values()):
            answered.update(check.answers)
    return answered


def refuse_unanswered(due: Iterable[RedFlag], answered: Mapping[str, bool], when: str) -> None:
    """ScreeningRequired naming the due questions the checks did not answer (``when``: since
    the last session, before the session)."""
    missing = missing_answers(due, answered)
    if missing:
        codes = ", ".join(flag.code for flag in missing)
        raise ScreeningRequired(
            f"answer the safety questions first: not answered {when}: {codes}; nothing was saved"
        )
