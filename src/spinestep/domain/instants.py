"""Bounds on every instant and id that comes from a person or a file.

An instant must carry an offset within ±14:00 (the widest the world uses) and lie
between 2000-01-01 and one day after now: nothing older belongs to this programme, and a
day's slack covers clocks that run fast. Ids fit a signed 32-bit integer, the widest
column both databases store.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from spinestep.errors import InvalidInput

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)
MAX_OFFSET = timedelta(hours=14)
MAX_ID = 2**31 - 1


def check_offset(value: datetime, path: str) -> None:
    """``value`` is timezone-aware with an offset within ±14:00."""
    offset = value.utcoffset()
    if offset is None:
        raise InvalidInput(path, "must include a UTC offset, e.g. 2026-05-01T08:30:00+01:00")
    if abs(offset) > MAX_OFFSET:
        raise InvalidInput(path, "has a UTC offset beyond ±14:00")


def check_instant(value: datetime, path: str, now: datetime) -> datetime:
    """``value`` itself, if it has a sane offset and lies in [2000-01-01, now + 1 day]."""
    check_offset(value, path)
    if value < EARLIEST:
        raise InvalidInput(path, "must be on or after 2000-01-01")
    if value > now + FUTURE_SLACK:
        raise InvalidInput(path, "must not be in the future")
    return value


def check_id(value: int, path: str) -> int:
    """``value`` itself, if it is a positive id that the databases can hold."""
    if not 1 <= value <= MAX_ID:
        raise InvalidInput(path, f"must be an id from 1 to {MAX_ID}")
    return value
