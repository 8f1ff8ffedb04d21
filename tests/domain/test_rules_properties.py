"""Hypothesis invariants of the rules, and a second, deliberately naive reading of SPEC §3.3.

``model_decision`` restates R2-R9 straight from the SPEC text, walking whole lists with
no care for cost; decide() must agree with it on every generated input.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import given, settings

from spinestep.domain.decide_request import parse_decide_request
from spinestep.domain.model import (
    CONTINUING_DECISIONS,
    Decision,
    DecisionInput,
    Direction,
    DirectionalPreference,
    Effort,
    Location,
    Phase,
    SessionRecord,
    Urgency,
)
from spinestep.domain.redflags import most_urgent_first
from spinestep.domain.responses import derive_responses
from spinestep.domain.rules import decide
from spinestep.protocols import builtin_protocols
from tests.domain.rules_strategies import requests

PROTOCOLS = builtin_protocols()


# --- The SPEC, read naively ---------------------------------------------------------


def rise(s: SessionRecord) -> int:
    return s.pain_after - s.pain_before


def peripheralised(s: SessionRecord) -> bool:
    return s.location_after > s.location_before and s.location_after >= Location.BUTTOCK


def qualifies(s: SessionRecord, inp: DecisionInput) -> bool:
    limit_pain = inp.settings.progress_max_pain
    limit_location = inp.settings.progress_max_location
    during_ok = s.pain_during == s.pain_before or s.pain_during < s.pain_before
    return (
        s.completed
        and s.effort is Effort.EASY
        and during_ok
        and s.pain_after <= s.pain_before
        and not peripheralised(s)
        and s.pain_during <= limit_pain
        and s.pain_after <= limit_pain
        and s.location_before <= limit_location
        and s.location_after <= limit_location
    )


def dates(sessions: Sequence[SessionRecord]) -> set[date]:
    return {s.at.date() for s in sessions}


def run_of(inp: DecisionInput) -> list[SessionRecord]:
    run: list[SessionRecord] = []
    for s in reversed(inp.sessions):
        if s.stage != inp.current_stage or (inp.run_since is not None and s.at < inp.run_since):
            break
        run.insert(0, s)
    return run


def window_of(inp: DecisionInput) -> list[SessionRecord] | None:
    run = run_of(inp)
    days = inp.settings.min_days_at_stage
    for start in range(len(run) - 1, -1, -1):
        part = run[start:]
        if (
            len(part) >= inp.settings.progress_after_sessions
            and len(dates(part)) >= days
            and part[-1].at - part[0].at >= timedelta(hours=16 * (days - 1))
        ):
            return part
    return None


def reference_of(sessions: Sequence[SessionRecord]) -> SessionRecord:
    earliest_date = sorted(dates(sessions), reverse=True)[:3][-1]
    return next(s for s in sessions if s.at.date() == earliest_date)


Expected = tuple[str, Decision, Urgency, int | None]


def model_decision(inp: DecisionInput) -> Expected:
    """(rule, decision, urgency, next stage) for input without red flags."""
    opposite = {Direction.FLEXION: "extension", Direction.EXTENSION: "flexion"}
    if not inp.clearance:
        return "R2", Decision.DO_NOT_START, Urgency.ROUTINE, None
    if inp.directional_preference is DirectionalPreference(opposite[inp.protocol.direction]):
        return "R3", Decision.DO_NOT_START, Urgency.ROUTINE, None
    sessions, stage, wp = inp.sessions, inp.current_stage, inp.settings.worsening_points
    maintenance = inp.phase is Phase.MAINTENANCE
    if sessions:
        last = sessions[-1]
        spread = (
            len(sessions) >= 2
            and last.location_after > sessions[-2].location_after
            and last.location_after >= Location.THIGH
        )
        if peripheralised(last) or spread:
            return "R4", Decision.STOP, Urgency.SOON, None
        if len(sessions) >= 2 and rise(last) >= wp and rise(sessions[-2]) >= wp:
            return "R5", Decision.STOP, Urgency.SOON, None
        step_back: Expected | None = None
        if rise(last) >= wp and last.stage <= stage:
            step_back = ("R6", Decision.REGRESS, Urgency.SOON, stage - 1)
        elif len(sessions) >= 3:
            reference = reference_of(sessions)
            looked_at = [*sessions[-3:], reference]
            if (
                all(s.stage <= stage for s in looked_at)
                and last.pain_before - reference.pain_before >= wp
            ):
                step_back = ("R7", Decision.REGRESS, Urgency.SOON, stage - 1)
        if step_back is not None:
            if maintenance or stage == 1:
                return step_back[0], Decision.STOP, Urgency.SOON, None
            return step_back
    window = window_of(inp)
    if not maintenance and window is not None and all(qualifies(s, inp) for s in window):
        if stage == inp.protocol.final_stage:
            return "R8", Decision.MAINTAIN, Urgency.NONE, inp.protocol.maintenance_stage
        return "R8", Decision.PROGRESS, Urgency.NONE, stage + 1
    if maintenance:
        return "R9", Decision.MAINTAIN, Urgency.NONE, stage
    urgency = Urgency.NONE
    if sessions:
        last = sessions[-1]
        cautious = 1 <= rise(last) < wp
        if last.completed and not cautious and len(dates(run_of(inp))) >= 14:
            urgency = Urgency.ROUTINE
    return "R9", Decision.STAY, urgency, stage


def parsed(request: dict[str, Any]) -> DecisionInput:
    return parse_decide_request(request, PROTOCOLS)


# --- Properties -------------------------------------------------------------------------


@settings(max_examples=600, deadline=None)
@given(requests(with_flags=False))
def test_decide_agrees_with_a_naive_reading_of_the_spec(request: dict[str, Any]) -> None:
    inp = parsed(request)
    result = decide(inp)
    rule, decision, urgency, next_stage = model_decision(inp)
    assert [reason.rule for reason in result.reasons] == [rule]
    assert (result.decision, result.urgency, result.next_stage) == (decision, urgency, next_stage)


@settings(max_examples=200, deadline=None)
@given(requests())
def test_decide_never_raises_on_valid_input_and_is_consistent(request: dict[str, Any]) -> None:
    inp = parsed(request)
    result = decide(inp)
    continues = result.decision in CONTINUING_DECISIONS
    assert result.continue_programme is continues
    assert (result.next_stage is None) is (not continues)
    assert (result.dose is None) is (not continues)
    assert result.current_stage == inp.current_stage
    if result.next_stage is not None:
        assert 1 <= result.next_stage <= inp.protocol.final_stage
    if result.decision is Decision.REGRESS:
        assert result.next_stage == inp.current_stage - 1 >= 1
    if result.decision is Decision.PROGRESS:
        assert result.next_stage == inp.current_stage + 1 <= inp.protocol.final_stage
    assert result.reasons
    assert result.message
    assert result.rules_version == "2026.12-1"
    if inp.sessions:
        assert result.responses == derive_responses(inp.sessions[-1])
    else:
        assert result.responses is None


@settings(max_examples=200, deadline=None)
@given(requests())
def test_phase_stage_and_dose_of_the_output(request: dict[str, Any]) -> None:
    inp = parsed(request)
    result = decide(inp)
    maintained = result.decision is Decision.MAINTAIN
    assert result.phase is (Phase.MAINTENANCE if maintained else inp.phase)
    if inp.phase is Phase.MAINTENANCE:
        assert inp.current_stage == inp.protocol.maintenance_stage
        assert result.decision not in (Decision.PROGRESS, Decision.REGRESS, Decision.STAY)
    if maintained:
        assert result.next_stage == inp.protocol.maintenance_stage
    if result.next_stage is not None:
        expected = inp.doses.get(result.next_stage, inp.protocol.stage(result.next_stage).dose)
        assert result.dose is not None
        assert (result.dose.reps, result.dose.hold_s_min, result.dose.hold_s_max) == (
            expected.reps,
            expected.hold_s_min,
            expected.hold_s_max,
        )
        per_day = (
            inp.settings.maintenance_sessions_per_day if maintained else expected.sessions_per_day
        )
        assert result.dose.sessions_per_day == per_day


def moved_on(result_decision: Decision, rule: str) -> bool:
    return result_decision is Decision.PROGRESS or (
        result_decision is Decision.MAINTAIN and rule == "R8"
    )


@settings(max_examples=300, deadline=None)
@given(requests(with_flags=False))
def test_moves_on_only_after_a_painless_last_session_and_enough_dates_of_the_run(
    request: dict[str, Any],
) -> None:
    inp = parsed(request)
    result = decide(inp)
    if not moved_on(result.decision, result.reasons[0].rule):
        return
    # Never after an aggravating, worse, peripheralised or stopped last session.
    last = inp.sessions[-1]
    assert rise(last) < inp.settings.worsening_points
    assert rise(last) <= 0
    assert not peripheralised(last)
    assert last.completed and last.effort is Effort.EASY
    assert last.stage == inp.current_stage
    # Never within fewer than min_days_at_stage dates of the run.
    assert inp.phase is Phase.PROGRESSION
    run = run_of(inp)
    assert len(run) >= inp.settings.progress_after_sessions
    assert len(dates(run)) >= inp.settings.min_days_at_stage
    span = run[-1].at - run[0].at
    assert span >= timedelta(hours=16 * (inp.settings.min_days_at_stage - 1))
    since: datetime | None = inp.run_since
    assert since is None or all(s.at >= since for s in run)


@settings(max_examples=100, deadline=None)
@given(requests())
def test_any_red_flag_decides_by_the_most_urgent(request: dict[str, Any]) -> None:
    inp = parsed(request)
    result = decide(inp)
    if inp.red_flags:
        top = most_urgent_first(inp.red_flags)[0]
        assert (result.decision, result.urgency) == (top.decision, top.urgency)
        assert sorted(r.flag or "" for r in result.reasons) == sorted(inp.red_flags)
        assert result.phase is inp.phase
    else:
        assert all(r.flag is None for r in result.reasons)


@settings(max_examples=50, deadline=None)
@given(requests())
def test_sessions_come_out_in_time_order(request: dict[str, Any]) -> None:
    inp = parsed(request)
    instants = [s.at for s in inp.sessions]
    assert instants == sorted(instants)
    assert len(inp.sessions) == len(request["sessions"])
