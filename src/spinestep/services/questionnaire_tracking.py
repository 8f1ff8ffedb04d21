"""Use cases for questionnaires over time: record one, what is due, history with verdicts.

The scoring and the schedule are in ``questionnaire_scores`` (pure); these functions
load and store through the unit of work, check who may act, and audit.
"""

from __future__ import annotations

from datetime import datetime

from spinestep.domain.instants import check_instant
from spinestep.domain.scoring import Instrument
from spinestep.errors import InvalidInput
from spinestep.services.access import audit, audit_read, load_patient
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.patient_records import stored_questionnaires
from spinestep.services.ports import Clock, UnitOfWork
from spinestep.services.questionnaire_scores import (
    DueItem,
    QuestionnaireHistory,
    answers_to_json,
    due,
    history_of_pains,
    score_answers,
)
from spinestep.services.record_types import Answers, QuestionnaireEntry
from spinestep.services.records import AssignmentRecord, StoredQuestionnaire
from spinestep.services.wording_packs import check_shown_pack

CHOOSABLE = (Instrument.ODI, Instrument.RMDQ)


def record_questionnaire(
    ctx: ServiceContext,
    actor: Actor,
    patient_id: int,
    answers: Answers,
    taken_at: datetime | None = None,
    wording_pack_id: int | None = None,
) -> QuestionnaireEntry:
    """Score and store one completed questionnaire (PSFS keeps its activity names).

    ``wording_pack_id`` names the wording pack the questions were shown from (stored with
    the response); None when they were read from the paper form.
    """
    result = score_answers(answers)
    now = ctx.clock.now()
    when = now if taken_at is None else check_instant(taken_at, "taken_at", now)
    if when > now:
        raise InvalidInput("taken_at", "must not be in the future")
    instrument = result.instrument
    with ctx.uow() as uow:
        load_patient(uow, actor, patient_id)
        stored = uow.questionnaires.add(
            StoredQuestionnaire(
                patient_id=patient_id,
                instrument=instrument.value,
                taken_at=when,
                answers={"instrument": instrument.value, **answers_to_json(answers)},
                score=result.to_json(),
            )
        )
        if wording_pack_id is not None:
            assert stored.id is not None
            pack = check_shown_pack(uow.clinic.get_pack(wording_pack_id), instrument)
            assert pack.id is not None
            uow.clinic.mark_shown(stored.id, pack.id)
        audit(uow, ctx.clock, actor, "questionnaire.record", patient_id)
        uow.commit()
    return QuestionnaireEntry(id=str(stored.id), taken_at=when, answers=answers)


def questionnaire_history(
    ctx: ServiceContext, actor: Actor, patient_id: int
) -> QuestionnaireHistory:
    """STarT Back risk, and every measure's baseline, follow-ups and verdicts."""
    with ctx.uow() as uow:
        load_patient(uow, actor, patient_id)
        entries = stored_questionnaires(uow, patient_id)
        pains = uow.sessions.pain_before_series(patient_id)
        audit_read(uow, ctx.clock, actor, "questionnaire.history", patient_id)
        uow.commit()
    return history_of_pains(entries, pains)


def questionnaires_due(
    ctx: ServiceContext, actor: Actor, patient_id: int, chosen: Instrument | None = None
) -> tuple[DueItem, ...]:
    """What to ask next, by the clinician's choices stored with the programme.

    The programme's ``outcome_measure`` (ODI or RMDQ) is followed and PSFS is asked when
    ``psfs_enabled``; ``chosen`` overrides the measure for this answer only. A patient
    without a programme follows the measure taken first.
    """
    if chosen is not None and chosen not in CHOOSABLE:
        raise InvalidInput("measure", "must be odi or rmdq")
    with ctx.uow() as uow:
        load_patient(uow, actor, patient_id)
        assignment = uow.assignments.current_for(patient_id)
        found = due_in(uow, ctx.clock, actor, patient_id, assignment, chosen)
        uow.commit()
    return found


def due_in(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    patient_id: int,
    assignment: AssignmentRecord | None,
    chosen: Instrument | None = None,
) -> tuple[DueItem, ...]:
    """``questionnaires_due`` inside an open unit of work (audited; the caller commits)."""
    entries = stored_questionnaires(uow, patient_id)
    audit_read(uow, clock, actor, "questionnaire.due", patient_id)
    return due_of(entries, clock.now(), assignment, chosen)


def due_of(
    entries: tuple[QuestionnaireEntry, ...],
    now: datetime,
    assignment: AssignmentRecord | None,
    chosen: Instrument | None = None,
) -> tuple[DueItem, ...]:
    """What is due from the questionnaires already read, by the programme's choices."""
    if chosen is None and assignment is not None:
        chosen = Instrument(assignment.outcome_measure.value)
    psfs = assignment is not None and assignment.psfs_enabled
    return due(entries, now, chosen, psfs_enabled=psfs)
