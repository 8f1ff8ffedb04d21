"""What the rules read from the session history (SPEC §3.2, §3.3), newest first.

Every function walks back from the most recent session and stops as soon as its answer
is known, so its cost depends on the few sessions it needs, not on the length of the
history. ``sessions`` are in time order, oldest first.

A session's *date* is the calendar date of its ``at`` in its own offset. Offsets can
differ between sessions (travel, daylight saving), so an earlier instant can fall on a
later date; an RFC 3339 offset is less than 24 hours, so never more than two dates later.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from spinestep.domain.model import Location, RuleSettings, SessionRecord
from spinestep.domain.responses import qualifies

#: Symptoms must reach at least this far for a spread between sessions to stop (SPEC §3.2).
SPREAD_MIN_LOCATION = Location.THIGH
#: R7 compares with the first session of the earliest of this many most recent dates.
REFERENCE_DATES = 3
#: R8's window must span (min_days_at_stage - 1) times this.
HOURS_PER_DAY_OF_WINDOW = 16
#: In the progression phase, a run on this many dates without progress suggests a review.
REVIEW_AFTER_DATES = 14
#: The furthest a date can run ahead of an earlier instant's date (offsets are < 24 h).
_OFFSET_SLACK = timedelta(days=2)


def rise(session: SessionRecord) -> int:
    """Pain about five minutes after, minus pain before."""
    return session.pain_after - session.pain_before


def is_aggravating(session: SessionRecord, worsening_points: int) -> bool:
    return rise(session) >= worsening_points


def spread_since_previous(sessions: Sequence[SessionRecord]) -> bool:
    """The last session ended with symptoms further out than the one before it ended,
    and at least at the thigh (whatever the stages of the two sessions).
    """
    if len(sessions) < 2:
        return False
    last, previous = sessions[-1], sessions[-2]
    return (
        last.location_after > previous.location_after and last.location_after >= SPREAD_MIN_LOCATION
    )


def reference_session(sessions: Sequence[SessionRecord]) -> SessionRecord | None:
    """R7's reference: the earliest session on the earliest of the (at most) three most
    recent dates that have sessions. None without sessions.
    """
    return _scan_reference(sessions)[0]


def _in_run(session: SessionRecord, stage: int, run_since: datetime | None) -> bool:
    return session.stage == stage and (run_since is None or session.at >= run_since)


def window_qualifies(
    sessions: Sequence[SessionRecord],
    stage: int,
    run_since: datetime | None,
    settings: RuleSettings,
) -> bool:
    """R8: the window exists and every session in it qualifies.

    The window is the shortest trailing part of the run holding at least
    ``progress_after_sessions`` sessions on at least ``min_days_at_stage`` dates, its
    first and last sessions at least (min_days_at_stage - 1) x 16 hours apart. Walking
    back, a session that does not qualify before the window is complete is inside it.
    """
    return _walk_window(sessions, stage, run_since, settings)[0]


def run_dates_reach(
    sessions: Sequence[SessionRecord], stage: int, run_since: datetime | None, target: int
) -> bool:
    """Whether the run's sessions fall on at least ``target`` different dates."""
    return _walk_run_dates(sessions, stage, run_since, target)[0]


def tail_needed(
    sessions: Sequence[SessionRecord],
    stage: int,
    run_since: datetime | None,
    settings: RuleSettings,
) -> int | None:
    """How many of the most recent ``sessions`` the rules can look at, or None when every
    one given might matter (a caller holding only the newest part of a longer history
    should then supply more). ``decide`` on that tail gives the same result as on all.
    """
    scans = (
        _scan_reference(sessions)[1],
        _walk_window(sessions, stage, run_since, settings)[1],
        _walk_run_dates(sessions, stage, run_since, REVIEW_AFTER_DATES)[1],
    )
    if any(scan is None for scan in scans):
        return None
    return max(min(len(sessions), REFERENCE_DATES), *(scan for scan in scans if scan is not None))


def _scan_reference(sessions: Sequence[SessionRecord]) -> tuple[SessionRecord | None, int | None]:
    """(R7's reference, sessions walked over until no earlier one can fall on the three
    most recent dates; None when it walked over all).
    """
    earliest: dict[date, SessionRecord] = {}  # walking back, the last one kept is earliest
    newest: list[date] = []  # the three most recent dates seen so far, newest first
    walked: int | None = None
    for scanned, session in enumerate(reversed(sessions)):
        day = session.at.date()
        if len(newest) == REFERENCE_DATES and day < newest[-1] - _OFFSET_SLACK:
            walked = scanned
            break
        earliest[day] = session
        if day not in newest:
            newest = sorted({*newest, day}, reverse=True)[:REFERENCE_DATES]
    return (earliest[newest[-1]] if newest else None), walked


def _walk_window(
    sessions: Sequence[SessionRecord],
    stage: int,
    run_since: datetime | None,
    settings: RuleSettings,
) -> tuple[bool, int | None]:
    """(R8 applies, sessions walked over to know it; None when it walked over all)."""
    if not sessions:
        return False, 0
    span = timedelta(hours=HOURS_PER_DAY_OF_WINDOW * (settings.min_days_at_stage - 1))
    last_at = sessions[-1].at
    dates: set[date] = set()
    for count, session in enumerate(reversed(sessions), start=1):
        if not _in_run(session, stage, run_since):
            return False, count  # the run ended before a window was complete
        if not qualifies(session, settings.progress_max_pain, settings.progress_max_location):
            return False, count
        dates.add(session.at.date())
        if (
            count >= settings.progress_after_sessions
            and len(dates) >= settings.min_days_at_stage
            and last_at - session.at >= span
        ):
            return True, count
    return False, None


def _walk_run_dates(
    sessions: Sequence[SessionRecord], stage: int, run_since: datetime | None, target: int
) -> tuple[bool, int | None]:
    dates: set[date] = set()
    for count, session in enumerate(reversed(sessions), start=1):
        if not _in_run(session, stage, run_since):
            return False, count
        dates.add(session.at.date())
        if len(dates) >= target:
            return True, count
    return False, None
