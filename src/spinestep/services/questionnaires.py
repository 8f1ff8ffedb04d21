"""Questionnaire responses (SPEC §5): scored on the way in, stored with their score."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from spinestep.domain.instants import check_instant
from spinestep.domain.score_request import CHANGE, score_json
from spinestep.errors import InvalidInput
from spinestep.services.access import audit, audit_read, load_patient
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.records import JsonDict, StoredQuestionnaire


@dataclass(frozen=True, slots=True)
class QuestionnaireView:
    id: int
    instrument: str
    taken_at: datetime
    answers: JsonDict
    score: JsonDict


def _view(entry: StoredQuestionnaire) -> QuestionnaireView:
    assert entry.id is not None
    return QuestionnaireView(entry.id, entry.instrument, entry.taken_at, entry.answers, entry.score)


def record_response(
    ctx: ServiceContext,
    actor: Actor,
    patient_id: int,
    answers: dict[str, Any],
    taken_at: datetime | None = None,
) -> QuestionnaireView:
    """Score and store one response; ``answers`` is a ``spinestep score`` request object.

    Raises InvalidInput (or NotScorable) naming the offending value.
    """
    if answers.get("instrument") == CHANGE:
        raise InvalidInput("instrument", "a change is computed, not stored as a response")
    score = score_json(answers)
    now = ctx.clock.now()
    when = now if taken_at is None else check_instant(taken_at, "taken_at", now)
    with ctx.uow() as uow:
        load_patient(uow, actor, patient_id)
        entry = uow.questionnaires.add(
            StoredQuestionnaire(
                patient_id=patient_id,
                instrument=str(answers["instrument"]),
                taken_at=when,
                answers=dict(answers),
                score=score,
            )
        )
        audit(uow, ctx.clock, actor, "questionnaire.record", patient_id)
        uow.commit()
    return _view(entry)


def list_responses(
    ctx: ServiceContext, actor: Actor, patient_id: int, instrument: str | None = None
) -> tuple[QuestionnaireView, ...]:
    """The patient's responses, oldest first (optionally of one instrument)."""
    with ctx.uow() as uow:
        load_patient(uow, actor, patient_id)
        entries = uow.questionnaires.for_patient(patient_id, instrument)
        audit_read(uow, ctx.clock, actor, "questionnaire.list", patient_id)
        uow.commit()
    return tuple(_view(entry) for entry in entries)
