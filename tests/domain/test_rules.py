"""decide(): doses, messages, phases, reasons, the emergency number and the bounded look-back.

Which rule decides is covered row by row in tests/spec/rules.md; these tests cover what
the table does not show (messages, dose overrides, invalid stages, what is read).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import SupportsIndex, overload

import pytest

from spinestep.domain.history import tail_needed
from spinestep.domain.model import (
    Decision,
    DecisionInput,
    DirectionalPreference,
    Dose,
    Effort,
    Location,
    Phase,
    RuleSettings,
    SessionRecord,
    Urgency,
)
from spinestep.domain.rules import RULES_VERSION, decide
from spinestep.errors import InvalidInput
from spinestep.protocols import load_builtin

FLEXION = load_builtin("lumbar-flexion")
EXTENSION = load_builtin("lumbar-extension")
START = datetime(2026, 11, 1, 8, tzinfo=UTC)


def record(
    index: int,
    stage: int,
    before: int = 2,
    during: int = 2,
    after: int = 2,
    effort: Effort = Effort.EASY,
    loc_before: Location = Location.BACK,
    loc_after: Location = Location.BACK,
    completed: bool = True,
) -> SessionRecord:
    """Session number ``index``, 10 hours after number ``index - 1``."""
    return SessionRecord(
        at=START + timedelta(hours=10 * index),
        stage=stage,
        effort=effort,
        pain_before=before,
        pain_during=during,
        pain_after=after,
        location_before=loc_before,
        location_after=loc_after,
        completed=completed,
    )


def easy_run(stage: int, count: int = 6, first: int = 0) -> tuple[SessionRecord, ...]:
    """``count`` qualifying sessions 10 hours apart: six of them fall on three dates over
    50 hours, a window for the default settings (6 sessions, 3 dates, 32 hours).
    """
    return tuple(record(first + i, stage) for i in range(count))


def ready(stage: int, **kwargs: object) -> DecisionInput:
    base: dict[str, object] = {
        "protocol": FLEXION,
        "current_stage": stage,
        "sessions": (),
        "clearance": True,
        "directional_preference": DirectionalPreference.FLEXION,
    }
    base.update(kwargs)
    return DecisionInput(**base)  # type: ignore[arg-type]


def test_stay_gives_the_protocol_dose_of_the_current_stage() -> None:
    result = decide(ready(2))
    assert result.decision is Decision.STAY
    assert result.dose == Dose(10, 1, 2, 5)
    assert result.responses is None
    assert result.phase is Phase.PROGRESSION
    assert "stage 2" in result.message


def test_a_clinician_dose_override_wins_for_its_stage() -> None:
    result = decide(ready(2, doses={2: Dose(8, 1, 2, 4)}))
    assert result.to_json()["dose"] == {"reps": 8, "hold_s": [1, 2], "sessions_per_day": 4}


def test_progress_gives_the_next_stage_dose() -> None:
    result = decide(
        ready(1, sessions=easy_run(1), doses={1: Dose(5, 1, 1, 3), 2: Dose(6, 2, 3, 4)})
    )
    assert result.decision is Decision.PROGRESS
    assert (result.current_stage, result.next_stage) == (1, 2)
    assert result.dose == Dose(6, 2, 3, 4)


def test_five_qualifying_sessions_of_the_default_window_are_not_enough() -> None:
    assert decide(ready(1, sessions=easy_run(1, count=5))).decision is Decision.STAY


def test_regress_gives_the_previous_stage_dose() -> None:
    sessions = (record(0, 3, before=2, after=4),)
    result = decide(ready(3, sessions=sessions, doses={2: Dose(7, 1, 2, 5)}))
    assert (result.decision, result.current_stage, result.next_stage) == (Decision.REGRESS, 3, 2)
    assert result.dose == Dose(7, 1, 2, 5)
    assert "stage 2" in result.message


def test_maintain_at_the_final_stage_moves_to_the_maintenance_exercise() -> None:
    result = decide(ready(3, sessions=easy_run(3)))
    assert result.decision is Decision.MAINTAIN
    assert (result.current_stage, result.next_stage) == (3, 1)
    assert result.phase is Phase.MAINTENANCE
    assert result.continue_programme is True
    assert result.urgency is Urgency.NONE
    # Stage 1's dose at the default of two maintenance sessions a day.
    assert result.dose == Dose(10, 1, 2, 2)
    assert "complete" in result.message
    assert "stage 1" in result.message
    assert "twice a day" in result.message
    assert "maintenance" in result.message


def test_maintain_uses_the_maintenance_stage_override_at_maintenance_sessions_per_day() -> None:
    result = decide(
        ready(
            3,
            sessions=easy_run(3),
            doses={1: Dose(6, 2, 3, 4), 3: Dose(12, 1, 2, 5)},
            settings=RuleSettings(maintenance_sessions_per_day=3),
        )
    )
    assert (result.decision, result.next_stage) == (Decision.MAINTAIN, 1)
    assert result.dose == Dose(6, 2, 3, 3)
    assert "3 times a day" in result.message


def test_extension_maintain_keeps_standing_extension() -> None:
    sessions = tuple(replace(s, location_before=Location.NONE) for s in easy_run(4))
    inp = ready(
        4,
        protocol=EXTENSION,
        directional_preference=DirectionalPreference.EXTENSION,
        sessions=sessions,
    )
    result = decide(inp)
    assert (result.decision, result.next_stage, result.phase) == (
        Decision.MAINTAIN,
        4,
        Phase.MAINTENANCE,
    )
    assert result.dose == Dose(10, 1, 2, 2)
    assert "stage 4" in result.message


def test_in_maintenance_qualifying_sessions_keep_maintaining() -> None:
    inp = ready(
        1,
        phase=Phase.MAINTENANCE,
        sessions=easy_run(1, count=12),
        doses={1: Dose(8, 2, 4, 5)},
        settings=RuleSettings(maintenance_sessions_per_day=1),
    )
    result = decide(inp)
    assert (result.decision, result.urgency) == (Decision.MAINTAIN, Urgency.NONE)
    assert (result.current_stage, result.next_stage, result.phase) == (1, 1, Phase.MAINTENANCE)
    assert [reason.rule for reason in result.reasons] == ["R9"]
    assert result.dose == Dose(8, 2, 4, 1)
    assert "maintenance" in result.message


def test_maintenance_is_kept_after_a_stop() -> None:
    inp = ready(1, phase=Phase.MAINTENANCE, sessions=(record(0, 1, before=2, after=4),))
    result = decide(inp)
    assert (result.decision, result.phase, result.next_stage) == (
        Decision.STOP,
        Phase.MAINTENANCE,
        None,
    )
    assert result.to_json()["phase"] == "maintenance"


@pytest.mark.parametrize("stage", [2, 3])
def test_maintenance_at_another_stage_than_the_maintenance_stage_is_invalid(stage: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        decide(ready(stage, phase=Phase.MAINTENANCE))
    assert caught.value.path == "current_stage"


def test_extension_maintenance_must_be_at_stage_four() -> None:
    inp = ready(1, protocol=EXTENSION, directional_preference=DirectionalPreference.EXTENSION)
    with pytest.raises(InvalidInput, match=r"^current_stage: "):
        decide(replace(inp, phase=Phase.MAINTENANCE))
    assert decide(replace(inp, phase=Phase.MAINTENANCE, current_stage=4)).next_stage == 4


def test_extension_stage_one_dose_is_one_long_hold() -> None:
    inp = ready(1, protocol=EXTENSION, directional_preference=DirectionalPreference.EXTENSION)
    assert decide(inp).to_json()["dose"] == {"reps": 1, "hold_s": [120, 180], "sessions_per_day": 5}


def test_emergency_message_gives_the_default_emergency_number() -> None:
    result = decide(ready(1, red_flags=("saddle_anaesthesia",)))
    assert result.decision is Decision.EMERGENCY
    assert "112" in result.message
    assert result.next_stage is None and result.dose is None
    assert result.continue_programme is False


def test_emergency_message_gives_the_configured_emergency_number() -> None:
    result = decide(ready(1, red_flags=("new_bowel_dysfunction",), emergency_number="999"))
    assert "999" in result.message
    assert "112" not in result.message


def test_r1_gives_one_reason_per_flag_most_urgent_first() -> None:
    flags = ("weaker_cancer_risk", "infection_features", "new_bladder_dysfunction")
    out = decide(ready(1, red_flags=flags)).to_json()
    assert [(r["rule"], r["flag"]) for r in out["reasons"]] == [  # type: ignore[attr-defined]
        ("R1", "new_bladder_dysfunction"),
        ("R1", "infection_features"),
        ("R1", "weaker_cancer_risk"),
    ]
    assert out["urgency"] == "emergency"


def test_responses_describe_the_last_session_whichever_rule_decides() -> None:
    sessions = (record(0, 1), record(1, 1, before=3, during=5, after=1, loc_before=Location.THIGH))
    for inp in (
        ready(1, sessions=sessions, red_flags=("major_trauma",)),
        ready(1, sessions=sessions, clearance=False),
        ready(1, sessions=sessions),
    ):
        responses = decide(inp).to_json()["responses"]
        assert responses == {"during": "increased", "after": "better", "location": "centralised"}


def test_stop_at_stage_one_after_an_aggravating_session_has_no_next_stage() -> None:
    result = decide(ready(1, sessions=(record(0, 1, before=1, after=3),)))
    assert (result.decision, result.urgency) == (Decision.STOP, Urgency.SOON)
    assert result.next_stage is None and result.dose is None
    assert "clinician" in result.message


# --- R9's messages: the first that applies --------------------------------------------


def r9(inp: DecisionInput) -> tuple[Decision, Urgency, str]:
    result = decide(inp)
    assert [reason.rule for reason in result.reasons] == ["R9"]
    return result.decision, result.urgency, result.message


def test_r9_without_sessions_says_how_to_start() -> None:
    decision, urgency, message = r9(ready(2))
    assert (decision, urgency) == (Decision.STAY, Urgency.NONE)
    assert "start" in message.lower()


def test_r9_after_a_one_point_rise_cautions_at_any_stage() -> None:
    plain = r9(ready(2, sessions=(record(0, 2),)))[2]
    for stage in (1, 2, 3):
        decision, urgency, message = r9(ready(stage, sessions=(record(0, stage, after=3),)))
        assert (decision, urgency) == (Decision.STAY, Urgency.NONE)
        assert f"stage {stage}" in message
        assert "worse" in message.lower()
        assert message != plain
    decision, _, message = r9(ready(1, phase=Phase.MAINTENANCE, sessions=(record(0, 1, after=3),)))
    assert decision is Decision.MAINTAIN and "worse" in message.lower()


def test_r9_after_a_stop_now_with_nothing_worse_says_rest() -> None:
    stopped = record(5, 2, completed=False)
    decision, urgency, message = r9(ready(2, sessions=(*easy_run(2, count=5), stopped)))
    assert (decision, urgency) == (Decision.STAY, Urgency.NONE)
    assert "rest" in message.lower()
    assert "carry on" not in message.lower()
    # The stopped session comes first even when pain rose a little.
    stopped_with_rise = record(5, 2, after=3, completed=False)
    assert "rest" in r9(ready(2, sessions=(stopped_with_rise,)))[2].lower()
    # And in maintenance.
    decision, _, message = r9(
        ready(1, phase=Phase.MAINTENANCE, sessions=(record(0, 1, completed=False),))
    )
    assert decision is Decision.MAINTAIN and "rest" in message.lower()


def daily(stage: int, days: int, first_day: int = 0) -> tuple[SessionRecord, ...]:
    """One moderate (never qualifying) session a day at 08:00 UTC."""
    return tuple(
        replace(record(0, stage, effort=Effort.MODERATE), at=START + timedelta(days=first_day + d))
        for d in range(days)
    )


def test_r9_after_fourteen_dates_without_progress_suggests_a_review() -> None:
    carry_on = r9(ready(2, sessions=daily(2, 13)))
    assert carry_on[:2] == (Decision.STAY, Urgency.NONE)
    decision, urgency, message = r9(ready(2, sessions=daily(2, 14)))
    assert (decision, urgency) == (Decision.STAY, Urgency.ROUTINE)
    assert "review" in message.lower() and "clinician" in message.lower()
    assert message != carry_on[2]


def test_r9_review_counts_only_the_run() -> None:
    sessions = (*daily(1, 5), *daily(2, 13, first_day=5))
    assert r9(ready(2, sessions=sessions))[1] is Urgency.NONE
    since = START + timedelta(days=1)
    assert r9(ready(2, sessions=daily(2, 14), run_since=since))[1] is Urgency.NONE


def test_r9_in_maintenance_never_suggests_a_review() -> None:
    decision, urgency, message = r9(ready(1, phase=Phase.MAINTENANCE, sessions=daily(1, 20)))
    assert (decision, urgency) == (Decision.MAINTAIN, Urgency.NONE)
    assert "maintenance" in message.lower()


def test_output_has_the_spec_keys_and_the_rules_version() -> None:
    out = decide(ready(1)).to_json()
    assert set(out) >= {
        "decision",
        "urgency",
        "current_stage",
        "next_stage",
        "phase",
        "continue_programme",
        "responses",
        "reasons",
        "message",
        "dose",
        "rules_version",
    }
    assert out["rules_version"] == RULES_VERSION == "2026.12-1"
    assert out["phase"] == "progression"


@pytest.mark.parametrize(
    "inp",
    [
        ready(1),
        ready(1, red_flags=("major_trauma",)),
        ready(1, clearance=False),
        ready(2, sessions=(record(0, 2, after=4),)),
        ready(1, sessions=easy_run(1)),
        ready(3, sessions=easy_run(3)),
        ready(1, phase=Phase.MAINTENANCE),
    ],
)
def test_every_output_carries_the_rules_version(inp: DecisionInput) -> None:
    assert decide(inp).to_json()["rules_version"] == "2026.12-1"


# --- What decide() reads of a long history ---------------------------------------------


class CountingHistory(tuple[SessionRecord, ...]):
    """A session history that remembers which positions decide() read."""

    read: set[int]

    @overload
    def __getitem__(self, key: SupportsIndex) -> SessionRecord: ...
    @overload
    def __getitem__(self, key: slice) -> tuple[SessionRecord, ...]: ...
    def __getitem__(self, key: SupportsIndex | slice) -> SessionRecord | tuple[SessionRecord, ...]:
        if isinstance(key, slice):
            self.read.update(range(len(self))[key])
        else:
            self.read.add(range(len(self))[key])
        return super().__getitem__(key)

    def __iter__(self):  # type: ignore[no-untyped-def]
        raise AssertionError("decide() must not walk the whole history")


def counting(sessions: list[SessionRecord]) -> CountingHistory:
    history = CountingHistory(sessions)
    history.read = set()
    return history


def test_decide_reads_only_the_most_recent_sessions_of_a_long_history() -> None:
    old = [record(i, 1, before=5, after=9, loc_after=Location.FOOT) for i in range(10_000)]
    history = counting(old + list(easy_run(2, first=10_000)))
    result = decide(ready(2, sessions=history))
    assert result.decision is Decision.PROGRESS
    assert history.read
    needed = tail_needed(history, 2, None, RuleSettings())
    assert needed is not None and needed < 20
    # A walk back may read one session beyond the tail, to see it has gone far enough.
    assert min(history.read) >= len(history) - needed - 1


@pytest.mark.parametrize(
    "settings",
    [RuleSettings(), RuleSettings(5, 2), RuleSettings(20, 5), RuleSettings(1, 1)],
)
def test_decide_reads_no_further_back_than_tail_needed(settings: RuleSettings) -> None:
    history = counting([record(i, 2) for i in range(200)])
    result = decide(ready(2, sessions=history, settings=settings))
    assert result.decision is Decision.PROGRESS
    needed = tail_needed(history, 2, None, settings)
    assert needed is not None
    assert needed >= settings.progress_after_sessions
    assert min(history.read) >= len(history) - needed - 1


def test_a_current_stage_outside_the_protocol_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match=r"^current_stage: "):
        decide(ready(4))
