"""Red-flag screening (SPEC §4): which questions to ask now, and what the answers lead to.

A "yes" is stored as a red flag report, stays active until resolved, and the rules run
at once (R1), which pauses the programme and says what to do, most urgent first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from spinestep.domain.redflags import (
    RED_FLAGS,
    RedFlag,
    flags_for_monthly_check,
    flags_for_onboarding,
    flags_for_session,
)
from spinestep.errors import InvalidInput
from spinestep.services.access import audit, load_patient
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.deciding import run_rules
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
    due: list[RedFlag] = []
    window_start = now - MONTHLY_INTERVAL
    for flag in flags_for_monthly_check():
        last = uow.screenings.last_asked(patient_id, flag.code, after=window_start)
        if last is None or now - last >= MONTHLY_INTERVAL:
            due.append(flag)
    return tuple(due)


def session_questions(ctx: ServiceContext, actor: Actor, patient_id: int) -> tuple[RedFlag, ...]:
    """The questions to ask before a session: the current-symptom flags, plus monthly ones due."""
    with ctx.uow() as uow:
        load_patient(uow, actor, patient_id)
        monthly = monthly_due(uow, patient_id, ctx.clock.now())
    every = flags_for_session()
    return every + tuple(flag for flag in monthly if flag not in every)


def check_answers(answers: dict[str, bool]) -> None:
    for code, value in answers.items():
        if code not in RED_FLAGS:
            raise InvalidInput(f"answers.{code}", "is not a red flag code")
        if type(value) is not bool:
            raise InvalidInput(f"answers.{code}", "must be true (yes) or false (no)")


def store_screening(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    patient: PatientRecord,
    assignment: AssignmentRecord | None,
    source: FlagSource,
    answers: dict[str, bool],
) -> ScreeningOutcome:
    """Store answers and any new flags; run the rules when a flag was raised. Caller commits."""
    assert patient.id is not None
    check_answers(answers)
    now = clock.now()
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
) -> ScreeningOutcome:
    """Store a set of red-flag answers (code -> yes) and act on any "yes" at once."""
    with ctx.uow() as uow:
        patient = load_patient(uow, actor, patient_id)
        assignment = uow.assignments.current_for(patient_id)
        outcome = store_screening(uow, ctx.clock, actor, patient, assignment, source, answers)
        uow.commit()
    return outcome
