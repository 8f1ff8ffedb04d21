"""Rows written straight through the repositories, for tests that need many of them fast."""

from __future__ import annotations

from datetime import datetime

from spinestep.domain.model import Decision, Effort, Location, Urgency
from spinestep.services.ports import UnitOfWork
from spinestep.services.records import StoredDecision, StoredSession


def add_easy_session_and_stay(
    uow: UnitOfWork,
    patient_id: int,
    assignment_id: int,
    at: datetime,
    pain: tuple[int, int, int],
    reason_text: str,
) -> None:
    """An easy, completed stage-1 session in the back only, with its R9 'stay' decision."""
    pain_before, pain_during, pain_after = pain
    session = uow.sessions.add(
        StoredSession(
            patient_id=patient_id,
            assignment_id=assignment_id,
            at=at,
            stage=1,
            completed=True,
            effort=Effort.EASY,
            pain_before=pain_before,
            pain_during=pain_during,
            pain_after=pain_after,
            location_before=Location.BACK,
            location_after=Location.BACK,
            created_at=at,
            reps=10,
        )
    )
    uow.decisions.add(
        StoredDecision(
            patient_id=patient_id,
            made_at=at,
            decision=Decision.STAY,
            urgency=Urgency.NONE,
            current_stage=1,
            next_stage=1,
            reasons=[{"rule": "R9", "text": reason_text}],
            message="Carry on at this stage.",
            dose=None,
            inputs={},
            rules_version="test",
            assignment_id=assignment_id,
            session_id=session.id,
        )
    )
