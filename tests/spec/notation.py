"""Turns the short session notation of ``rules.md`` into ``spinestep decide`` JSON.

A session is written ``d3 s2 easy 3/3/2 thigh>buttock`` (day 3 of November 2026, stage 2,
effort easy, pain before/during/after, symptoms before>after), optionally with a clock
time and offset ``d3@23:30-05:00`` and a trailing ``stopped`` for a session ended with
"stop now" (recorded as not completed). Sessions on the same day without a time are at
08:00, 11:00, 14:00 ... UTC in the order written. Sessions are separated by ``;``.
"""

from __future__ import annotations

import re
from typing import Any

_SESSION = re.compile(
    r"d(?P<day>\d{1,2})(?:@(?P<clock>\d{2}:\d{2})(?P<offset>Z|[+-]\d{2}:\d{2}))?"
    r"\s+s(?P<stage>\d)\s+(?P<effort>\w+)\s+(?P<before>\d+)/(?P<during>\d+)/(?P<after>\d+)"
    r"\s+(?P<loc_before>\w+)>(?P<loc_after>\w+)(?P<stopped>\s+stopped)?"
)


def sessions_from_notation(text: str) -> list[dict[str, Any]]:
    text = text.strip()
    if text in ("", "-", "none"):
        return []
    out: list[dict[str, Any]] = []
    untimed_per_day: dict[int, int] = {}
    for part in text.split(";"):
        match = _SESSION.fullmatch(part.strip())
        if match is None:
            raise ValueError(f"cannot read session notation {part!r}")
        day = int(match["day"])
        if match["clock"]:
            at = f"2026-11-{day:02d}T{match['clock']}:00{match['offset']}"
        else:
            slot = untimed_per_day.get(day, 0)
            untimed_per_day[day] = slot + 1
            at = f"2026-11-{day:02d}T{8 + 3 * slot:02d}:00:00Z"
        out.append(
            {
                "at": at,
                "stage": int(match["stage"]),
                "completed": match["stopped"] is None,
                "effort": match["effort"],
                "pain_before": int(match["before"]),
                "pain_during": int(match["during"]),
                "pain_after": int(match["after"]),
                "location_before": match["loc_before"],
                "location_after": match["loc_after"],
            }
        )
    return out


def settings_from_notation(text: str) -> dict[str, int]:
    """``pas=2 days=1 wp=3`` -> progress_after_sessions, min_days_at_stage, worsening_points."""
    names = {
        "pas": "progress_after_sessions",
        "days": "min_days_at_stage",
        "wp": "worsening_points",
    }
    text = text.strip()
    if text in ("", "-", "default"):
        return {}
    out = {}
    for item in text.split():
        key, value = item.split("=")
        out[names[key]] = int(value)
    return out
