"""Adherence over the last 7 local days (SPEC §3.5), worked out by hand.

completed ÷ planned over the days on which the programme was active (started, not
paused for the whole day), whole percent half up, at most 100, "—" when no day counts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from spinestep.domain.model import Effort, Location, Phase
from spinestep.services import clinician, programme, sessions
from spinestep.services.adherence import (
    Adherence,
    SessionMark,
    first_active,
    seven_days,
)
from spinestep.services.assessment import Assessment
from spinestep.services.context import Actor, FixedClock, ServiceContext
from spinestep.services.sessions import StopNowInput
from tests.services.support import easy, onboard, screened_session

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)  # London is on UTC in December
LONDON = "Europe/London"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in December 2026 (November when ``day`` <= 0 is not used: see ``nov``)."""
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def nov(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def five(_instant: datetime, _day: date) -> int:
    return 5


def done(*instants: datetime) -> list[SessionMark]:
    return [SessionMark(instant, completed=True) for instant in instants]


def week(
    started_at: datetime | None,
    sessions: list[SessionMark],
    paused: list[tuple[datetime, datetime | None]] | None = None,
    planned: Callable[[datetime, date], int] = five,
    now: datetime = NOW,
) -> Adherence:
    return seven_days(
        now=now,
        time_zone=LONDON,
        started_at=started_at,
        paused=paused or [],
        sessions=sessions,
        sessions_per_day_at=planned,
    )


def test_days_before_the_programme_began_do_not_count() -> None:
    # Started 1 Dec 15:00: 1, 2 and 3 Dec count (3 x 5 = 15 planned). The session on
    # 29 Nov (before the start) is not counted; one stopped early on 2 Dec is not done.
    marks = done(nov(29, 9), at(1, 16), at(2, 8), at(2, 12), at(2, 17), at(3, 8))
    marks.append(SessionMark(at(2, 20), completed=False))
    result = week(at(1, 15), marks)
    assert (result.first_day, result.last_day) == (date(2026, 11, 27), date(2026, 12, 3))
    assert [d.active for d in result.days] == [False, False, False, False, True, True, True]
    assert (result.planned, result.completed, result.not_completed) == (15, 5, 1)
    assert result.percent == 33  # 5 / 15 = 33.3 %
    assert result.text == "33 %"


def test_days_paused_all_day_do_not_count() -> None:
    # Paused 28 Nov 12:00 until 1 Dec 09:00: 29 and 30 Nov were paused all day.
    # Counted: 27, 28 Nov and 1, 2, 3 Dec = 5 days x 5 = 25; done 5 + 2 + 3 + 5 + 1 = 16.
    marks = done(
        *[nov(27, h) for h in (8, 10, 12, 14, 16)],
        nov(28, 8),
        nov(28, 10),
        at(1, 10),
        at(1, 13),
        at(1, 16),
        *[at(2, h) for h in (8, 10, 12, 14, 16)],
        at(3, 8),
    )
    result = week(nov(25, 9), marks, paused=[(nov(28, 12), at(1, 9))])
    assert [d.active for d in result.days] == [True, True, False, False, True, True, True]
    assert (result.planned, result.completed) == (25, 16)
    assert result.percent == 64


def test_a_programme_still_paused_counts_up_to_the_day_it_paused() -> None:
    # Started 20 Nov, paused 2 Dec 08:30 and not resumed: 27 Nov - 2 Dec count (6 days).
    marks = done(*[at(1, h) for h in (8, 10, 12)], at(2, 8))
    result = week(nov(20, 9), marks, paused=[(at(2, 8, 30), None)])
    assert [d.active for d in result.days] == [True] * 6 + [False]
    assert (result.planned, result.completed) == (30, 4)
    assert result.percent == 13  # 13.3 %


def test_no_day_counts_before_the_programme_starts() -> None:
    result = week(None, done(at(2, 9)))
    assert result.percent is None
    assert result.text == "—"
    assert result.planned == 0


def test_capped_at_one_hundred_and_rounded_half_up() -> None:
    many = done(*[at(3, 0, minute) for minute in range(0, 60, 5)])  # 12 sessions today
    assert week(at(3, 0), many).percent == 100

    # One of 8 planned is 12.5 %, which rounds up to 13.
    def eight(_instant: datetime, _day: date) -> int:
        return 8

    assert week(at(3, 0), done(at(3, 9)), planned=eight).percent == 13


def test_planned_per_day_is_the_dose_when_the_days_active_part_began() -> None:
    # Maintenance (2 a day) from 2 Dec 14:00; progression at 5 a day before. The day's
    # active part begins at 00:00 on 2 Dec (progression) and 3 Dec (maintenance).
    def dose_at(instant: datetime, _day: date) -> int:
        return 2 if instant >= at(2, 14) else 5

    result = week(at(1, 8), done(at(1, 9), at(2, 9), at(3, 9)), planned=dose_at)
    assert [d.planned for d in result.days if d.active] == [5, 5, 2]
    assert result.percent == 25  # 3 / 12


def test_first_active_skips_the_paused_stretches() -> None:
    begin, end = at(2, 0), at(3, 0)
    assert first_active(begin, end, []) == begin
    assert first_active(begin, end, [(at(1, 12), at(2, 9))]) == at(2, 9)
    assert first_active(begin, end, [(at(1, 12), at(2, 9)), (at(2, 9), at(2, 11))]) == at(2, 11)
    assert first_active(begin, end, [(at(1, 12), None)]) is None
    assert first_active(begin, end, [(at(1, 12), at(3, 1))]) is None
    assert first_active(begin, end, [(at(2, 10), None)]) == begin


@given(
    started_days_ago=st.one_of(st.none(), st.integers(min_value=-2, max_value=20)),
    completed=st.lists(st.integers(min_value=0, max_value=7 * 24 - 1), max_size=60),
    per_day=st.integers(min_value=1, max_value=12),
)
def test_adherence_stays_a_whole_percent_within_range(
    started_days_ago: int | None, completed: list[int], per_day: int
) -> None:
    started = None if started_days_ago is None else NOW - timedelta(days=started_days_ago)
    marks = done(*[NOW - timedelta(hours=hours) for hours in completed])
    result = week(started, marks, planned=lambda _i, _d: per_day)
    counted = [d for d in result.days if d.active]
    if not counted:
        assert result.percent is None and result.text == "—"
    else:
        assert result.percent is not None
        assert 0 <= result.percent <= 100
        assert result.planned == per_day * len(counted)
        assert result.completed == sum(d.completed for d in counted)


# --- on stored programmes --------------------------------------------------------------


START = datetime(2026, 11, 20, 19, 0, tzinfo=UTC)  # 08:00 on 21 Nov in Auckland (+13)


def test_a_new_patient_counts_only_the_days_since_onboarding(
    ctx: ServiceContext, clock: FixedClock, me: Actor
) -> None:
    patient_id = onboard(ctx, me)  # at 08:00 on 21 Nov, Auckland
    clock.set(START + timedelta(hours=2))
    screened_session(ctx, me, patient_id, easy())
    today = programme.today(ctx, me, patient_id)
    assert today.adherence is not None
    # Only 21 Nov counts: 1 of 5 = 20 % (not 1 of 35 over seven days).
    assert [d.active for d in today.adherence.days] == [False] * 6 + [True]
    assert today.adherence.percent == 20


def test_a_stop_pauses_the_count_until_the_resume(
    ctx: ServiceContext, clock: FixedClock, me: Actor
) -> None:
    patient_id = onboard(ctx, me)  # 21 Nov, Auckland
    clock.set(START + timedelta(hours=1))  # 09:00 on 21 Nov
    screened_session(ctx, me, patient_id, easy())
    sessions.stop_now(
        ctx,
        me,
        patient_id,
        StopNowInput(
            pain_before=3,
            pain_now=7,
            location_before=Location.BACK,
            location_now=Location.FOOT,
            effort=Effort.HARD,
        ),
    )
    # Paused on 21 Nov; resumed at 10:00 on 24 Nov (Auckland): 22 and 23 Nov do not count.
    clock.set(datetime(2026, 11, 23, 21, 0, tzinfo=UTC))
    seen = Assessment("Dr Patel, GP", date(2026, 11, 24), "carry on gently")
    clinician.resume(ctx, me, patient_id, assessment=seen)
    clock.set(datetime(2026, 11, 23, 22, 0, tzinfo=UTC))  # 11:00 on 24 Nov
    screened_session(ctx, me, patient_id, easy())
    today = programme.today(ctx, me, patient_id)
    assert today.adherence is not None
    days = {d.day: d for d in today.adherence.days}
    assert days[date(2026, 11, 21)].active and days[date(2026, 11, 24)].active
    assert not days[date(2026, 11, 22)].active and not days[date(2026, 11, 23)].active
    # 2 days x 5 planned; done: one completed on 21 Nov (the stop is not), one on 24 Nov.
    assert (today.adherence.planned, today.adherence.completed) == (10, 2)
    assert today.adherence.percent == 20


def test_maintenance_days_plan_the_maintenance_sessions(
    ctx: ServiceContext, clock: FixedClock, me: Actor
) -> None:
    patient_id = onboard(ctx, me)  # 21 Nov, Auckland
    clock.set(datetime(2026, 11, 21, 21, 0, tzinfo=UTC))  # 10:00 on 22 Nov
    clinician.adjust(ctx, me, patient_id, phase=Phase.MAINTENANCE)
    clock.set(datetime(2026, 11, 22, 21, 0, tzinfo=UTC))  # 10:00 on 23 Nov
    screened_session(ctx, me, patient_id, easy())
    today = programme.today(ctx, me, patient_id)
    assert today.adherence is not None
    # 21 and 22 Nov began in progression (5 a day), 23 Nov in maintenance (2 a day).
    assert [d.planned for d in today.adherence.days if d.active] == [5, 5, 2]
    assert today.adherence.percent == 8  # 1 / 12 = 8.3 %
