"""Questionnaires over time: worked examples of baselines, follow-ups and verdicts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from spinestep.domain.change import ChangeVerdict, Measure
from spinestep.domain.model import Effort, Location, SessionRecord
from spinestep.domain.scoring import Bothersomeness, Instrument, StartBackRisk
from spinestep.errors import InvalidInput, NotScorable
from spinestep.services.questionnaire_scores import (
    answers_from_json,
    answers_to_json,
    due,
    history,
    score_value,
)
from spinestep.services.record_types import (
    OdiAnswers,
    PsfsActivity,
    PsfsAnswers,
    QuestionnaireEntry,
    RmdqAnswers,
    SessionEntry,
    StartBackAnswers,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def odi(day: int, *sections: int | None) -> QuestionnaireEntry:
    return QuestionnaireEntry(f"odi{day}", T0 + timedelta(days=day), OdiAnswers(sections))


def rmdq(day: int, count: int) -> QuestionnaireEntry:
    ticked = tuple(range(1, count + 1))
    return QuestionnaireEntry(f"rmdq{day}", T0 + timedelta(days=day), RmdqAnswers(ticked))


def psfs(day: int, *ratings: int) -> QuestionnaireEntry:
    activities = tuple(PsfsActivity(f"task {i}", r) for i, r in enumerate(ratings))
    return QuestionnaireEntry(f"psfs{day}", T0 + timedelta(days=day), PsfsAnswers(activities))


def pain(day: float, before: int) -> SessionEntry:
    record = SessionRecord(
        at=T0 + timedelta(days=day),
        stage=1,
        effort=Effort.EASY,
        pain_before=before,
        pain_during=before,
        pain_after=before,
        location_before=Location.BACK,
        location_after=Location.BACK,
    )
    return SessionEntry(str(day), record)


def measure(entries: list[QuestionnaireEntry], which: Measure, sessions=()):  # type: ignore[no-untyped-def]
    (found,) = [m for m in history(entries, sessions).measures if m.measure is which]
    return found


def test_odi_important_improvement_by_points_and_percent() -> None:
    # 23/45 = 51.11 %, then 10/45 = 22.22 %: 28.89 points better. Change is computed
    # from the reported scores (SPEC §5 inputs), so 28.89 / 51.11 = 56.525... -> 56.53 %.
    found = measure(
        [odi(0, 3, 2, 3, 2, 3, 2, 3, None, 3, 2), odi(14, 1, 1, 2, 1, 1, 1, 1, None, 1, 1)],
        Measure.ODI,
    )
    assert found.baseline.value == Decimal("51.11")
    (follow,) = found.follow_ups
    assert follow.point.value == Decimal("22.22")
    assert follow.change.improvement == Decimal("28.89")
    assert follow.change.improvement_percent == Decimal("56.53")
    assert follow.verdict is ChangeVerdict.IMPORTANT_IMPROVEMENT


def test_odi_ten_points_worse_is_an_important_worsening() -> None:
    # 10/50 = 20 %, then 15/50 = 30 %.
    found = measure(
        [odi(0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), odi(14, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1)], Measure.ODI
    )
    assert found.follow_ups[0].verdict is ChangeVerdict.IMPORTANT_WORSENING


def test_odi_six_points_better_is_no_important_change() -> None:
    # 20/50 = 40 %, then 17/50 = 34 %: 6 points and 15 %, under both thresholds.
    found = measure(
        [odi(0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2), odi(14, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1)], Measure.ODI
    )
    assert found.follow_ups[0].verdict is ChangeVerdict.NO_IMPORTANT_CHANGE


def test_rmdq_three_points_from_ten_is_important_by_the_inclusive_30_percent() -> None:
    found = measure([rmdq(0, 10), rmdq(14, 7), rmdq(28, 12)], Measure.RMDQ)
    first, second = found.follow_ups
    assert first.change.improvement_percent == Decimal("30.00")
    assert first.verdict is ChangeVerdict.IMPORTANT_IMPROVEMENT
    # 10 -> 12: 2 points worse, under the 5-point threshold.
    assert second.verdict is ChangeVerdict.NO_IMPORTANT_CHANGE


def test_psfs_uses_points_only() -> None:
    # mean 3.5 -> 5.0: 1.5 points (42.86 %) is not important; 3.5 -> 5.5 is.
    found = measure([psfs(0, 3, 4), psfs(14, 5, 5), psfs(28, 5, 6)], Measure.PSFS)
    assert [f.verdict for f in found.follow_ups] == [
        ChangeVerdict.NO_IMPORTANT_CHANGE,
        ChangeVerdict.IMPORTANT_IMPROVEMENT,
    ]
    assert found.follow_ups[0].change.improvement_percent == Decimal("42.86")


def test_nprs_baseline_is_the_first_session_then_one_point_per_14_days() -> None:
    sessions = [pain(0, 6), pain(3, 5), pain(10, 4), pain(16, 7), pain(20, 9)]
    found = measure([], Measure.NPRS, sessions)
    assert found.baseline.value == 6
    assert [f.point.value for f in found.follow_ups] == [4, 9]
    assert [f.verdict for f in found.follow_ups] == [
        ChangeVerdict.IMPORTANT_IMPROVEMENT,  # 6 -> 4
        ChangeVerdict.IMPORTANT_WORSENING,  # 6 -> 9
    ]


def test_startback_risk_group_is_reported() -> None:
    entry = QuestionnaireEntry(
        "sb", T0, StartBackAnswers((1, 1, 1, 1, 0, 0, 0, 0), Bothersomeness.MODERATELY)
    )
    summary = history([entry], []).startback
    assert summary is not None
    assert (summary.total, summary.psychosocial, summary.risk) == (4, 0, StartBackRisk.MEDIUM)


def test_due_at_the_start_offers_startback_and_both_disability_measures() -> None:
    items = due([], T0)
    assert [(i.instrument, i.optional) for i in items] == [
        (Instrument.STARTBACK, False),
        (Instrument.ODI, True),
        (Instrument.RMDQ, True),
        (Instrument.PSFS, True),
    ]


def test_the_measure_taken_first_is_followed_every_14_days() -> None:
    startback = QuestionnaireEntry("sb", T0, StartBackAnswers((0,) * 8, Bothersomeness.NOT_AT_ALL))
    items = due([startback, rmdq(0, 8), rmdq(14, 6)], T0 + timedelta(days=20))
    assert [(i.instrument, i.due_at) for i in items] == [
        (Instrument.RMDQ, T0 + timedelta(days=28)),
        (Instrument.PSFS, T0 + timedelta(days=20)),
    ]
    chosen = due([startback], T0, chosen=Instrument.ODI)
    assert [(i.instrument, i.optional) for i in chosen] == [
        (Instrument.ODI, False),
        (Instrument.PSFS, True),
    ]


def test_answers_json_round_trip_and_checks() -> None:
    answers = PsfsAnswers((PsfsActivity("walking", 3), PsfsActivity("lifting", 6)))
    data = answers_to_json(answers)
    assert data == {"ratings": [3, 6], "activities": ["walking", "lifting"]}
    assert answers_from_json(Instrument.PSFS, data) == answers
    assert answers_from_json(Instrument.RMDQ, {"ticked": [9, 1, 4]}) == RmdqAnswers((1, 4, 9))
    assert score_value(answers_from_json(Instrument.ODI, {"answers": [5] * 10})) == Decimal(100)
    with pytest.raises(NotScorable):
        answers_from_json(Instrument.ODI, {"answers": [1, None, None, None, 1, 1, 1, 1, 1, 1]})
    with pytest.raises(InvalidInput, match="ticked\\[1\\]: statement 4 is ticked twice"):
        answers_from_json(Instrument.RMDQ, {"ticked": [4, 4]})
    with pytest.raises(InvalidInput, match="colour: is not a known field"):
        answers_from_json(Instrument.RMDQ, {"ticked": [], "colour": 1})
    with pytest.raises(InvalidInput, match="bothersomeness: must be one of"):
        answers_from_json(Instrument.STARTBACK, {"items": [0] * 8, "bothersomeness": "lots"})


def test_psfs_activity_names_keep_single_spaces_only() -> None:
    data = {"ratings": [4, 7], "activities": ["  climbing\x85stairs ", "tying\u00a0\tshoes"]}
    answers = answers_from_json(Instrument.PSFS, data)
    assert answers == PsfsAnswers(
        (PsfsActivity("climbing stairs", 4), PsfsActivity("tying shoes", 7))
    )
    with pytest.raises(InvalidInput, match="activities: must name each rated activity"):
        answers_from_json(Instrument.PSFS, {"ratings": [4], "activities": ["\x85\u3000"]})


def test_psfs_activity_names_drop_control_and_formatting_characters() -> None:
    # A byte-order mark or an escape is no part of a name (and no valid FHIR string).
    data = {"ratings": [3], "activities": ["\ufeffgar\x1bdening\u202e"]}
    answers = answers_from_json(Instrument.PSFS, data)
    assert answers == PsfsAnswers((PsfsActivity("gardening", 3),))
