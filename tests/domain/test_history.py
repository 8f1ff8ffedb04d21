"""What the rules read from the history (SPEC §3.2, §3.3): rises, spread between sessions,
R7's reference, R8's window, the run's dates, and how much of the history is needed.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spinestep.domain.decide_request import parse_decide_request
from spinestep.domain.history import (
    is_aggravating,
    reference_session,
    rise,
    run_dates_reach,
    spread_since_previous,
    tail_needed,
    window_qualifies,
)
from spinestep.domain.model import Effort, Location, RuleSettings, SessionRecord
from spinestep.domain.rules import decide
from spinestep.protocols import builtin_protocols
from tests.domain.rules_strategies import requests

PROTOCOLS = builtin_protocols()
DAY1 = datetime(2026, 11, 1, 8, tzinfo=UTC)


def at(day: int, hour: float = 8, offset_h: float = 0) -> datetime:
    """Local clock time ``hour`` on ``day`` November 2026, at a UTC offset of ``offset_h``."""
    tz = timezone(timedelta(hours=offset_h))
    return datetime(2026, 11, day, tzinfo=tz) + timedelta(hours=hour)


def s(
    when: datetime,
    stage: int = 1,
    pain: tuple[int, int, int] = (1, 1, 1),
    where: tuple[Location, Location] = (Location.BACK, Location.BACK),
    effort: Effort = Effort.EASY,
    completed: bool = True,
) -> SessionRecord:
    return SessionRecord(
        at=when,
        stage=stage,
        effort=effort,
        pain_before=pain[0],
        pain_during=pain[1],
        pain_after=pain[2],
        location_before=where[0],
        location_after=where[1],
        completed=completed,
    )


def five_a_day(days: range, stage: int = 1) -> list[SessionRecord]:
    return [s(at(day, 8 + 3 * slot), stage) for day in days for slot in range(5)]


# --- Rises and spread ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pain", "points", "aggravating"),
    [
        ((2, 2, 4), 2, True),
        ((2, 2, 3), 2, False),  # one point is within the error of the scale
        ((2, 2, 3), 1, True),
        ((0, 5, 5), 5, True),
        ((2, 2, 6), 5, False),
        ((4, 4, 2), 1, False),
    ],
)
def test_aggravating_means_a_rise_of_worsening_points_or_more(
    pain: tuple[int, int, int], points: int, aggravating: bool
) -> None:
    session = s(DAY1, pain=pain)
    assert rise(session) == pain[2] - pain[0]
    assert is_aggravating(session, points) is aggravating


B, BU, T, K, F = (
    Location.BACK,
    Location.BUTTOCK,
    Location.THIGH,
    Location.BELOW_KNEE,
    Location.FOOT,
)


@pytest.mark.parametrize(
    ("previous", "last", "spread"),
    [
        ((B, B), (F, F), True),  # back one day, foot the next
        ((B, B), (F, B), False),  # spread overnight, centralised back during the session
        ((B, B), (F, T), True),  # partial centralisation still ends further out
        ((B, B), (BU, BU), False),  # not as far as the thigh
        ((BU, BU), (T, T), True),
        ((T, T), (T, T), False),
        ((F, F), (K, K), False),  # nearer than before
        ((B, F), (F, F), False),  # compared with where the previous one ended
        ((B, T), (B, K), True),
    ],
)
def test_spread_since_the_previous_session(
    previous: tuple[Location, Location], last: tuple[Location, Location], spread: bool
) -> None:
    sessions = [s(at(1), where=previous), s(at(2), stage=2, where=last)]
    assert spread_since_previous(sessions) is spread


def test_no_spread_without_a_previous_session() -> None:
    assert spread_since_previous([]) is False
    assert spread_since_previous([s(at(1), where=(Location.NONE, Location.FOOT))]) is False


# --- R7's reference ----------------------------------------------------------------------


def test_reference_is_the_first_session_of_the_earliest_of_three_recent_dates() -> None:
    sessions = five_a_day(range(1, 5))
    assert reference_session(sessions) == sessions[5]  # 2 November, 08:00
    assert reference_session(sessions[:11]) == sessions[0]  # three dates: the first of all
    assert reference_session(sessions[:3]) == sessions[0]  # one date
    assert reference_session([]) is None


def test_reference_dates_are_on_each_sessions_own_clock() -> None:
    sessions = [
        s(at(1, 8)),
        s(at(2, 23.5, offset_h=-5), pain=(2, 2, 2)),  # 3 November 04:30 UTC, 2 November there
        s(at(3, 8)),
        s(at(4, 8)),
    ]
    # Own clocks: dates 1, 2, 3, 4 November; in UTC it would be 1, 3, 3, 4.
    assert reference_session(sessions) == sessions[1]


def test_reference_can_be_an_earlier_instant_on_a_later_date() -> None:
    sessions = [
        s(at(2, 15, offset_h=10), pain=(1, 1, 1)),  # 2 Nov 05:00 UTC, 2 November there
        s(at(1, 20, offset_h=-10), pain=(3, 3, 3)),  # 2 Nov 06:00 UTC, 1 November there
        s(at(2, 8), pain=(3, 3, 3)),
        s(at(3, 8), pain=(3, 3, 3)),
        s(at(4, 8), pain=(3, 3, 3)),
    ]
    assert [x.at for x in sessions] == sorted(x.at for x in sessions)
    # Dates 4, 3 and 2 November; the earliest session dated 2 November is the first one,
    # although a session dated 1 November comes after it.
    assert reference_session(sessions) == sessions[0]
    assert tail_needed(sessions, 1, None, RuleSettings()) is None


# --- R8's window and the run -------------------------------------------------------------


DEFAULTS = RuleSettings()


def test_five_a_day_first_window_is_at_the_first_session_of_the_third_date() -> None:
    sessions = five_a_day(range(1, 4))
    assert not window_qualifies(sessions[:10], 1, None, DEFAULTS)
    assert window_qualifies(sessions[:11], 1, None, DEFAULTS)


def test_window_needs_the_span_in_hours_as_well_as_the_dates() -> None:
    two = RuleSettings(2, 2)
    late, early = s(at(1, 23.5)), s(at(2, 0) + timedelta(minutes=40))
    assert not window_qualifies([late, early], 1, None, two)
    assert window_qualifies([s(at(1, 8) + timedelta(minutes=40)), late, early], 1, None, two)
    assert not window_qualifies([s(at(1, 8) + timedelta(minutes=41)), late, early], 1, None, two)


def test_window_is_within_the_run() -> None:
    sessions = five_a_day(range(1, 4))
    other_stage = [*sessions[:5], replace(sessions[5], stage=2), *sessions[6:11]]
    assert not window_qualifies(other_stage, 1, None, DEFAULTS)
    assert not window_qualifies(sessions[:11], 1, at(2, 0), DEFAULTS)
    assert window_qualifies(sessions[:11], 1, sessions[4].at, DEFAULTS)  # at run_since counts
    assert not window_qualifies(sessions[:11], 2, None, DEFAULTS)


def test_a_session_that_does_not_qualify_inside_the_window_prevents_it() -> None:
    sessions = five_a_day(range(1, 4))[:11]
    moderate_inside = replace(sessions[5], effort=Effort.MODERATE)
    assert not window_qualifies([*sessions[:5], moderate_inside, *sessions[6:]], 1, None, DEFAULTS)
    moderate_before = replace(sessions[0], effort=Effort.MODERATE)
    assert window_qualifies([moderate_before, *sessions[1:]], 1, None, DEFAULTS)
    stopped_last = replace(sessions[-1], completed=False)
    assert not window_qualifies([*sessions[:-1], stopped_last], 1, None, DEFAULTS)


def test_window_uses_the_clinicians_limits() -> None:
    legs = [
        replace(x, location_before=Location.BELOW_KNEE, location_after=Location.BELOW_KNEE)
        for x in five_a_day(range(1, 4))[:11]
    ]
    assert not window_qualifies(legs, 1, None, DEFAULTS)
    allowed = RuleSettings(progress_max_location=Location.BELOW_KNEE)
    assert window_qualifies(legs, 1, None, allowed)
    threes = [replace(x, pain_before=3, pain_during=3, pain_after=3) for x in legs]
    assert not window_qualifies(threes, 1, None, allowed)
    assert window_qualifies(threes, 1, None, replace(allowed, progress_max_pain=3))


def test_run_dates_reach_counts_dates_of_the_run_only() -> None:
    daily = [s(at(day)) for day in range(1, 15)]
    assert run_dates_reach(daily, 1, None, 14)
    assert not run_dates_reach(daily[1:], 1, None, 14)
    assert not run_dates_reach(daily, 1, at(1, 9), 14)
    assert not run_dates_reach([replace(daily[0], stage=2), *daily[1:]], 1, None, 14)
    assert not run_dates_reach(daily, 2, None, 1)


# --- How much of the history the rules need ---------------------------------------------


def test_tail_needed_is_none_when_older_sessions_could_still_matter() -> None:
    # A run that could go on further back: an older session might complete the window.
    assert tail_needed([s(at(day)) for day in range(1, 4)], 1, None, DEFAULTS) is None


def test_tail_needed_is_short_when_the_run_and_the_reference_dates_end() -> None:
    old = [s(at(1, hour), stage=2, pain=(9, 9, 9)) for hour in (8, 11, 14)]
    sessions = old + five_a_day(range(5, 9))
    needed = tail_needed(sessions, 1, None, DEFAULTS)
    assert needed is not None
    assert 11 <= needed < len(sessions)


@settings(max_examples=300, deadline=None)
@given(requests(max_size=40), st.data())
def test_deciding_on_the_needed_tail_equals_deciding_on_all(
    request: dict[str, Any], data: st.DataObject
) -> None:
    inp = parse_decide_request(request, PROTOCOLS)
    history = list(inp.sessions)
    everything = decide(inp).to_json()
    needed = tail_needed(history, inp.current_stage, inp.run_since, inp.settings)
    if needed is not None:
        assert 0 < needed <= len(history)
        assert decide(replace(inp, sessions=tuple(history[-needed:]))).to_json() == everything
    # A caller holding only the newest k sessions is never told that too few suffice, nor
    # a different number; with one session more than needed it is told the number (a walk
    # back may need to see the first session it does not need, to know it can stop).
    k = data.draw(st.integers(min_value=1, max_value=max(1, len(history))))
    if history:
        tail = history[-k:]
        from_tail = tail_needed(tail, inp.current_stage, inp.run_since, inp.settings)
        if from_tail is not None:
            assert needed is not None and k >= needed
            assert from_tail == needed
            assert decide(replace(inp, sessions=tuple(tail))).to_json() == everything
        if needed is not None and k > needed:
            assert from_tail == needed
