"""'Today' follows the patient's time zone; history gives the pain trend."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from spinestep.domain.model import Decision
from spinestep.services import programme
from spinestep.services.context import Actor, FixedClock, ServiceContext
from tests.services.support import easy, onboard, screened_session


def test_today_counts_sessions_in_the_patients_time_zone(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    # Pacific/Auckland is UTC+13 in November (daylight saving).
    patient_id = onboard(ctx, me, time_zone="Pacific/Auckland")
    clock.set(datetime(2026, 11, 20, 10, 30, tzinfo=UTC))  # 23:30 on Fri 20 Nov in Auckland
    screened_session(ctx, me, patient_id, easy())
    late = programme.today(ctx, me, patient_id)
    assert late.local_date == date(2026, 11, 20)
    assert (late.sessions_done_today, late.sessions_planned) == (1, 5)

    clock.set(datetime(2026, 11, 20, 11, 30, tzinfo=UTC))  # 00:30 on Sat 21 Nov in Auckland
    fresh = programme.today(ctx, me, patient_id)
    assert fresh.local_date == date(2026, 11, 21)  # still 20 Nov in UTC
    assert fresh.sessions_done_today == 0

    screened_session(ctx, me, patient_id, easy())
    screened_session(ctx, me, patient_id, easy(completed=False))
    counted = programme.today(ctx, me, patient_id)
    assert counted.sessions_done_today == 1  # the not-completed one is not "done"


def test_session_time_is_stored_in_the_patients_local_offset(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    patient_id = onboard(ctx, me, time_zone="Pacific/Auckland")
    clock.set(datetime(2026, 11, 20, 11, 30, tzinfo=UTC))
    outcome = screened_session(ctx, me, patient_id, easy())
    assert outcome.session.at.utcoffset() == timedelta(hours=13)
    assert outcome.session.at.date() == date(2026, 11, 21)


def test_a_given_time_keeps_its_own_offset(ctx: ServiceContext, me: Actor) -> None:
    patient_id = onboard(ctx, me, time_zone="Europe/London")
    at = datetime(2026, 11, 19, 23, 0, tzinfo=timezone(timedelta(hours=-5)))
    outcome = screened_session(ctx, me, patient_id, easy(at=at))
    assert outcome.session.at == at
    assert outcome.session.at.utcoffset() == timedelta(hours=-5)


def test_today_shows_stage_dose_and_last_decision(ctx: ServiceContext, me: Actor) -> None:
    patient_id = onboard(ctx, me)
    before = programme.today(ctx, me, patient_id)
    assert before.last_decision is None
    assert (before.stage, before.final_stage, before.stage_definition.id) == (1, 3, "supine")
    assert before.dose.to_json() == {"reps": 10, "hold_s": [1, 2], "sessions_per_day": 5}
    assert before.can_exercise
    screened_session(ctx, me, patient_id, easy())
    after = programme.today(ctx, me, patient_id)
    assert after.last_decision is not None
    assert after.last_decision.decision is Decision.STAY


def test_history_lists_sessions_with_decisions_and_the_pain_trend(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    patient_id = onboard(ctx, me, time_zone="UTC")
    for pain_after in (4, 3, 2):
        screened_session(ctx, me, patient_id, easy(pain_before=5, pain_after=pain_after))
        clock.set(clock.now() + timedelta(hours=6))
    view = programme.history(ctx, me, patient_id)
    assert [p.pain_after for p in view.pain_trend] == [4, 3, 2]
    assert [p.pain_before for p in view.pain_trend] == [5, 5, 5]
    assert len(view.sessions) == 3
    for session in view.sessions:
        decision = view.decision_for(session.id)
        assert decision is not None and decision.session_id == session.id
