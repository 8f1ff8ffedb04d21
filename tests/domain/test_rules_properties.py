"""Hypothesis invariants of the rules: safety properties that must hold for any valid input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from spinestep.domain.decide_request import parse_decide_request
from spinestep.domain.model import CONTINUING_DECISIONS, Decision, Location
from spinestep.domain.redflags import RED_FLAGS, most_urgent_first
from spinestep.domain.responses import derive_responses, is_peripheralised, is_worse, qualifies
from spinestep.domain.rules import decide
from spinestep.protocols import builtin_protocols

PROTOCOLS = builtin_protocols()
STAGES = {"lumbar-flexion": 3, "lumbar-extension": 4}
BASE = datetime(2026, 1, 1, tzinfo=UTC)

pain = st.integers(min_value=0, max_value=10)
location = st.sampled_from(Location.codes())
offset_min = st.sampled_from([-300, -60, 0, 0, 60, 330, 600])


@st.composite
def session_json(draw: st.DrawFn, stages: int) -> dict[str, Any]:
    minutes = draw(st.integers(min_value=0, max_value=60 * 24 * 30))
    tz = timezone(timedelta(minutes=draw(offset_min)))
    at = (BASE + timedelta(minutes=minutes)).astimezone(tz).isoformat()
    out: dict[str, Any] = {
        "at": at,
        "stage": draw(st.integers(min_value=1, max_value=stages)),
        "effort": draw(st.sampled_from(["easy", "easy", "moderate", "hard"])),
        "pain_before": draw(pain),
        "pain_during": draw(pain),
        "pain_after": draw(pain),
        "location_before": draw(location),
        "location_after": draw(location),
    }
    if draw(st.booleans()):
        out["completed"] = draw(st.booleans())
    if draw(st.booleans()):
        out["reps"] = draw(st.integers(min_value=0, max_value=30))
    return out


@st.composite
def requests(draw: st.DrawFn, with_flags: bool = True) -> dict[str, Any]:
    protocol = draw(st.sampled_from(sorted(STAGES)))
    stages = STAGES[protocol]
    progress_after = draw(st.integers(min_value=1, max_value=6))
    request: dict[str, Any] = {
        "protocol": protocol,
        "current_stage": draw(st.integers(min_value=1, max_value=stages)),
        "clearance": draw(st.booleans()) if with_flags else True,
        "directional_preference": draw(st.sampled_from(["flexion", "extension", "unknown"])),
        "settings": {
            "progress_after_sessions": progress_after,
            "min_days_at_stage": draw(st.integers(min_value=1, max_value=progress_after)),
            "worsening_points": draw(st.integers(min_value=1, max_value=10)),
        },
        "sessions": draw(st.lists(session_json(stages), max_size=10)),
    }
    if with_flags:
        request["red_flags"] = draw(st.lists(st.sampled_from(list(RED_FLAGS)), unique=True))
    return request


@settings(max_examples=300)
@given(requests())
def test_decide_never_raises_on_valid_input_and_is_consistent(request: dict[str, Any]) -> None:
    inp = parse_decide_request(request, PROTOCOLS)
    result = decide(inp)
    continues = result.decision in CONTINUING_DECISIONS
    assert result.continue_programme is continues
    assert (result.next_stage is None) is (not continues)
    assert (result.dose is None) is (not continues)
    if result.next_stage is not None:
        assert 1 <= result.next_stage <= inp.protocol.final_stage
        assert abs(result.next_stage - inp.current_stage) <= 1
    assert result.reasons
    assert result.message
    if inp.sessions:
        assert result.responses == derive_responses(inp.sessions[-1])
    else:
        assert result.responses is None


@settings(max_examples=300)
@given(requests())
def test_never_moves_on_after_a_worse_or_peripheralised_session(request: dict[str, Any]) -> None:
    inp = parse_decide_request(request, PROTOCOLS)
    result = decide(inp)
    if inp.sessions and (is_worse(inp.sessions[-1]) or is_peripheralised(inp.sessions[-1])):
        assert result.decision not in (Decision.PROGRESS, Decision.MAINTAIN)


@settings(max_examples=300)
@given(requests(with_flags=False))
def test_moves_on_only_after_enough_qualifying_sessions_at_the_stage(
    request: dict[str, Any],
) -> None:
    inp = parse_decide_request(request, PROTOCOLS)
    result = decide(inp)
    if result.decision in (Decision.PROGRESS, Decision.MAINTAIN):
        window = inp.sessions[-inp.settings.progress_after_sessions :]
        assert len(window) == inp.settings.progress_after_sessions
        assert all(s.stage == inp.current_stage and qualifies(s) for s in window)
        assert all(s.completed for s in window)


@settings(max_examples=200)
@given(requests())
def test_any_red_flag_decides_by_the_most_urgent(request: dict[str, Any]) -> None:
    inp = parse_decide_request(request, PROTOCOLS)
    result = decide(inp)
    if inp.red_flags:
        top = most_urgent_first(inp.red_flags)[0]
        assert (result.decision, result.urgency) == (top.decision, top.urgency)
        assert sorted(r.flag or "" for r in result.reasons) == sorted(inp.red_flags)
    else:
        assert all(r.flag is None for r in result.reasons)


@settings(max_examples=200)
@given(requests())
def test_sessions_come_out_in_time_order(request: dict[str, Any]) -> None:
    inp = parse_decide_request(request, PROTOCOLS)
    instants = [s.at for s in inp.sessions]
    assert instants == sorted(instants)
    assert len(inp.sessions) == len(request["sessions"])
