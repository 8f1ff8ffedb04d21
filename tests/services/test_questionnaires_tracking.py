"""Recording questionnaires and reading their history through the store (both backends)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from spinestep.domain.change import ChangeVerdict, Measure
from spinestep.domain.scoring import Instrument, StartBackRisk
from spinestep.errors import InvalidInput, NotFound
from spinestep.services.questionnaire_tracking import (
    questionnaire_history,
    questionnaires_due,
    record_questionnaire,
)
from spinestep.services.record_types import PsfsActivity, PsfsAnswers, RmdqAnswers
from tests.services.history_builder import LOCAL, START, Store, build_history, store

__all__ = ["store"]


def test_history_from_stored_questionnaires_and_sessions(store: Store) -> None:
    patient_id = build_history(store)
    found = questionnaire_history(store.ctx, LOCAL, patient_id)
    assert found.startback is not None and found.startback.risk is StartBackRisk.HIGH
    by_measure = {m.measure: m for m in found.measures}
    assert set(by_measure) == {Measure.NPRS, Measure.ODI, Measure.PSFS}
    # NPRS: first session 4 before; last session within 14 days 2 before -> 2 points better.
    nprs = by_measure[Measure.NPRS]
    assert nprs.baseline.value == 4
    assert [f.point.value for f in nprs.follow_ups] == [2]
    assert nprs.follow_ups[0].verdict is ChangeVerdict.IMPORTANT_IMPROVEMENT
    odi = by_measure[Measure.ODI]
    assert odi.follow_ups[0].verdict is ChangeVerdict.IMPORTANT_IMPROVEMENT
    assert by_measure[Measure.PSFS].follow_ups == ()


def test_psfs_keeps_activity_names(store: Store) -> None:
    patient_id = build_history(store)
    answers = PsfsAnswers((PsfsActivity("putting on socks", 2), PsfsActivity("driving", 7)))
    record_questionnaire(store.ctx, LOCAL, patient_id, answers)
    found = questionnaire_history(store.ctx, LOCAL, patient_id)
    psfs = next(m for m in found.measures if m.measure is Measure.PSFS)
    # baseline mean (3 + 6) / 2 = 4.5; follow-up (2 + 7) / 2 = 4.5: no change.
    assert psfs.follow_ups[0].verdict is ChangeVerdict.NO_IMPORTANT_CHANGE
    from spinestep.services.patient_records import load_patient_records

    stored = load_patient_records(store.ctx, LOCAL, patient_id).questionnaires[-1]
    assert stored.answers == answers


def test_rmdq_chosen_is_due_at_once_and_then_every_14_days(store: Store) -> None:
    patient_id = build_history(store)
    due = questionnaires_due(store.ctx, LOCAL, patient_id, Instrument.RMDQ)
    assert [(d.instrument, d.due_at) for d in due] == [
        (Instrument.RMDQ, store.clock.now()),
        (Instrument.PSFS, START + timedelta(days=28)),
    ]
    record_questionnaire(store.ctx, LOCAL, patient_id, RmdqAnswers((1, 2, 3)))
    due = questionnaires_due(store.ctx, LOCAL, patient_id, Instrument.RMDQ)
    assert due[0].due_at == store.clock.now() + timedelta(days=14)


def test_record_refuses_future_times_and_psfs_as_the_chosen_measure(store: Store) -> None:
    patient_id = build_history(store)
    with pytest.raises(InvalidInput, match="taken_at: must not be in the future"):
        record_questionnaire(
            store.ctx, LOCAL, patient_id, RmdqAnswers((1,)), store.clock.now() + timedelta(days=1)
        )
    with pytest.raises(InvalidInput, match="measure: must be odi or rmdq"):
        questionnaires_due(store.ctx, LOCAL, patient_id, Instrument.PSFS)
    with pytest.raises(NotFound):
        questionnaire_history(store.ctx, LOCAL, patient_id + 1)
