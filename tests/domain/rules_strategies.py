"""Hypothesis strategies for ``spinestep decide`` requests, shared by the rules' property tests.

Histories are built as a timeline with the gaps that matter to the rules (minutes, the
16 hours of R8's span, days), mixed offsets, and runs of easy, painless or of steady
sessions at the current stage, so that progress, windows and reviews after 14 dates
happen often enough to be tested.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from spinestep.domain.model import Location
from spinestep.domain.redflags import RED_FLAGS

STAGES = {"lumbar-flexion": 3, "lumbar-extension": 4}
MAINTENANCE_STAGE = {"lumbar-flexion": 1, "lumbar-extension": 4}
BASE = datetime(2026, 1, 1, 8, tzinfo=UTC)

pain = st.integers(min_value=0, max_value=10)
location = st.sampled_from(Location.codes())
offset_min = st.sampled_from([-300, -60, 0, 0, 0, 60, 330, 600])


@st.composite
def session_json(
    draw: st.DrawFn, at: datetime, stages: int, current: int, kind: str
) -> dict[str, Any]:
    """One session of a kind: ``good`` (easy and painless at the current stage, as a rule),
    ``steady`` (unchanged pain at the current stage), ``flare`` (pain after rising by 0-3,
    sometimes at the stage above) or ``any``.
    """
    tz = timezone(timedelta(minutes=draw(offset_min)))
    if kind == "good":
        before = draw(st.integers(min_value=0, max_value=2))
        out: dict[str, Any] = {
            "stage": current,
            "effort": "easy",
            "pain_before": before,
            "pain_during": draw(st.integers(min_value=0, max_value=before)),
            "pain_after": draw(st.integers(min_value=0, max_value=before)),
            "location_before": draw(st.sampled_from(["none", "back"])),
            "location_after": draw(st.sampled_from(["none", "back"])),
        }
    elif kind == "steady":
        level = draw(st.integers(min_value=0, max_value=6))
        where = draw(st.sampled_from(["back", "buttock", "thigh"]))
        out = {
            "stage": current,
            "effort": draw(st.sampled_from(["easy", "moderate"])),
            "pain_before": level,
            "pain_during": level,
            "pain_after": level,
            "location_before": where,
            "location_after": where,
        }
    elif kind == "flare":
        before = draw(st.integers(min_value=0, max_value=7))
        out = {
            "stage": draw(st.sampled_from([current, current, min(current + 1, stages)])),
            "effort": draw(st.sampled_from(["easy", "moderate", "hard"])),
            "pain_before": before,
            "pain_during": draw(st.integers(min_value=before, max_value=10)),
            "pain_after": before + draw(st.integers(min_value=0, max_value=3)),
            "location_before": "back",
            "location_after": "back",
        }
    else:
        out = {
            "stage": draw(st.integers(min_value=1, max_value=stages)),
            "effort": draw(st.sampled_from(["easy", "easy", "moderate", "hard"])),
            "pain_before": draw(pain),
            "pain_during": draw(pain),
            "pain_after": draw(pain),
            "location_before": draw(location),
            "location_after": draw(location),
        }
    out["at"] = at.astimezone(tz).isoformat()
    if draw(st.integers(min_value=0, max_value=19)) == 0:
        out["completed"] = False
    if draw(st.booleans()):
        out["reps"] = draw(st.integers(min_value=0, max_value=30))
    return out


GAPS_MIN = {
    "dense": [0, 1, 70, 180, 180, 180, 600, 959, 960],
    "mixed": [0, 70, 180, 600, 959, 960, 1440, 2880],
    "daily": [1380, 1440, 1440, 1500],
}


@st.composite
def history_json(
    draw: st.DrawFn, stages: int, current: int, max_size: int = 30
) -> list[dict[str, Any]]:
    count = draw(st.integers(min_value=0, max_value=max_size))
    kinds = draw(
        st.sampled_from(
            [
                ["good"],
                ["good"] * 9 + ["any"],
                ["good", "any"],
                ["good", "flare"],
                ["steady"],
                ["steady", "any"],
                ["steady", "flare"],
            ]
        )
    )
    gaps = GAPS_MIN[draw(st.sampled_from(sorted(GAPS_MIN)))]
    at = BASE
    out = []
    for _ in range(count):
        at += timedelta(minutes=draw(st.sampled_from(gaps)))
        out.append(draw(session_json(at, stages, current, draw(st.sampled_from(kinds)))))
    if out and draw(st.integers(min_value=0, max_value=3)) == 0:
        out = draw(st.permutations(out))  # the parser puts them in time order
    return out


@st.composite
def settings_json(draw: st.DrawFn) -> dict[str, Any]:
    progress_after = draw(st.integers(min_value=1, max_value=8))
    settings: dict[str, Any] = {
        "progress_after_sessions": progress_after,
        "min_days_at_stage": draw(st.integers(min_value=1, max_value=min(progress_after, 4))),
        "worsening_points": draw(st.integers(min_value=1, max_value=4)),
        "progress_max_pain": draw(st.integers(min_value=0, max_value=4)),
        "progress_max_location": draw(st.sampled_from(["none", "back", "back", "thigh", "foot"])),
        "maintenance_sessions_per_day": draw(st.integers(min_value=1, max_value=12)),
    }
    keep = draw(st.sets(st.sampled_from(sorted(settings))))
    if "min_days_at_stage" in keep:
        keep.add("progress_after_sessions")  # a partial object must stay in range
    return {key: value for key, value in settings.items() if key in keep}


@st.composite
def requests(draw: st.DrawFn, with_flags: bool = True, max_size: int = 30) -> dict[str, Any]:
    """A valid decide request (JSON data)."""
    protocol = draw(st.sampled_from(sorted(STAGES)))
    stages = STAGES[protocol]
    maintenance = draw(st.integers(min_value=0, max_value=4)) == 0
    current = (
        MAINTENANCE_STAGE[protocol]
        if maintenance
        else draw(st.integers(min_value=1, max_value=stages))
    )
    direction = protocol.removeprefix("lumbar-")
    request: dict[str, Any] = {
        "protocol": protocol,
        "current_stage": current,
        "clearance": draw(st.sampled_from([True] * 9 + [False])),
        "directional_preference": draw(st.sampled_from([direction] * 5 + ["unknown"] * 4 + ["x"])),
        "sessions": draw(history_json(stages, current, max_size)),
    }
    if request["directional_preference"] == "x":
        request["directional_preference"] = "extension" if direction == "flexion" else "flexion"
    if draw(st.booleans()):
        request["settings"] = draw(settings_json())
    if maintenance:
        request["phase"] = "maintenance"
    elif draw(st.booleans()):
        request["phase"] = "progression"
    if draw(st.integers(min_value=0, max_value=3)) == 0:
        minutes = draw(st.integers(min_value=0, max_value=60 * 24 * 10))
        since = (BASE + timedelta(minutes=minutes)).astimezone(
            timezone(timedelta(minutes=draw(offset_min)))
        )
        request["run_since"] = since.isoformat()
    if with_flags and draw(st.integers(min_value=0, max_value=3)) == 0:
        request["red_flags"] = draw(
            st.lists(st.sampled_from(list(RED_FLAGS)), unique=True, min_size=1)
        )
    return request
