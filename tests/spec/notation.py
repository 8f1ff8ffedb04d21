"""Turns the short notation of ``rules.md`` into ``spinestep decide`` JSON.

Sessions (separated by ``;``):

- ``d3 s2 easy 3/3/2 thigh>buttock``: 3 November 2026, stage 2, effort easy, pain
  before/during/after, symptoms before>after.
- ``d3@23:30-05:00 ...``: a local clock time and offset. Without one, the sessions of a
  date are at 08:00, 11:00, 14:00, 17:00, 20:00, 23:00 UTC in the order written.
- ``5x d1 ...``: five identical sessions on that date, each at the next free time.
- ``d1-d14 ...``: the same session once on every date from 1 to 14 November
  (``2x d1-d14 ...``: twice on each of them).
- a trailing ``stopped``: ended with "stop now", recorded as not completed.

Settings and programme state (the ``settings`` cell, words separated by spaces):
``pas=``, ``days=``, ``wp=``, ``maxpain=``, ``maxloc=``, ``mspd=`` set
progress_after_sessions, min_days_at_stage, worsening_points, progress_max_pain,
progress_max_location and maintenance_sessions_per_day; ``maintenance`` gives
``"phase": "maintenance"``; ``since=d3@10:00Z`` gives ``run_since``.
"""

from __future__ import annotations

import re
from typing import Any

_SESSION = re.compile(
    r"(?:(?P<count>\d{1,2})x\s+)?"
    r"d(?P<day>\d{1,2})(?:-d(?P<last_day>\d{1,2}))?"
    r"(?:@(?P<clock>\d{2}:\d{2})(?P<offset>Z|[+-]\d{2}:\d{2}))?"
    r"\s+s(?P<stage>\d)\s+(?P<effort>\w+)\s+(?P<before>\d+)/(?P<during>\d+)/(?P<after>\d+)"
    r"\s+(?P<loc_before>\w+)>(?P<loc_after>\w+)(?P<stopped>\s+stopped)?"
)
_MOMENT = re.compile(r"d(?P<day>\d{1,2})@(?P<clock>\d{2}:\d{2})(?P<offset>Z|[+-]\d{2}:\d{2})")
FIRST_HOUR_UTC = 8
HOURS_BETWEEN = 3
SLOTS_PER_DATE = 6  # 08:00 ... 23:00

SETTING_NAMES = {
    "pas": "progress_after_sessions",
    "days": "min_days_at_stage",
    "wp": "worsening_points",
    "maxpain": "progress_max_pain",
    "maxloc": "progress_max_location",
    "mspd": "maintenance_sessions_per_day",
}


def timestamp(day: int, clock: str, offset: str) -> str:
    return f"2026-11-{day:02d}T{clock}:00{offset}"


def sessions_from_notation(text: str) -> list[dict[str, Any]]:
    text = text.strip()
    if text in ("", "-", "none"):
        return []
    out: list[dict[str, Any]] = []
    slots_used: dict[int, int] = {}
    for part in text.split(";"):
        match = _SESSION.fullmatch(part.strip())
        if match is None:
            raise ValueError(f"cannot read session notation {part!r}")
        count = int(match["count"] or 1)
        first = int(match["day"])
        last = int(match["last_day"] or first)
        if match["clock"] and (count != 1 or last != first):
            raise ValueError(f"a clock time is for one session only: {part!r}")
        for day in range(first, last + 1):
            for _ in range(count):
                if match["clock"]:
                    at = timestamp(day, match["clock"], match["offset"])
                else:
                    slot = slots_used.get(day, 0)
                    if slot >= SLOTS_PER_DATE:
                        raise ValueError(f"more than {SLOTS_PER_DATE} untimed sessions on d{day}")
                    slots_used[day] = slot + 1
                    at = timestamp(day, f"{FIRST_HOUR_UTC + HOURS_BETWEEN * slot:02d}:00", "Z")
                out.append(_session(match, at))
    return out


def _session(match: re.Match[str], at: str) -> dict[str, Any]:
    return {
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


def state_from_notation(text: str) -> dict[str, Any]:
    """The ``settings`` cell as top-level request keys: ``settings``, ``phase``, ``run_since``.

    ``pas=2 days=1 maxloc=below_knee maintenance since=d3@10:00Z``; ``default`` gives {}.
    """
    text = text.strip()
    if text in ("", "-", "default"):
        return {}
    out: dict[str, Any] = {}
    settings: dict[str, Any] = {}
    for item in text.split():
        if item == "maintenance":
            out["phase"] = "maintenance"
            continue
        key, _, value = item.partition("=")
        if key == "since":
            moment = _MOMENT.fullmatch(value)
            if moment is None:
                raise ValueError(f"cannot read run_since {value!r}")
            out["run_since"] = timestamp(int(moment["day"]), moment["clock"], moment["offset"])
        elif key == "maxloc":
            settings[SETTING_NAMES[key]] = value
        else:
            settings[SETTING_NAMES[key]] = int(value)
    if settings:
        out["settings"] = settings
    return out


_DOSE = re.compile(r"(?P<reps>\d+)x(?P<low>\d+)-(?P<high>\d+)s (?P<per_day>\d+)/day")


def dose_from_notation(text: str) -> dict[str, Any] | None:
    """``10x1-2s 5/day`` -> the JSON dose; ``-`` -> None."""
    text = text.strip()
    if text == "-":
        return None
    match = _DOSE.fullmatch(text)
    if match is None:
        raise ValueError(f"cannot read dose notation {text!r}")
    return {
        "reps": int(match["reps"]),
        "hold_s": [int(match["low"]), int(match["high"])],
        "sessions_per_day": int(match["per_day"]),
    }
