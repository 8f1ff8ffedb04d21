"""decide(): doses, messages, reasons, the emergency number and the bounded look-back.

Which rule decides is covered row by row in tests/spec/rules.md; these tests cover what
the table does not show.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import SupportsIndex, overload

import pytest

from spinestep.domain.model import (
    Decision,
    DecisionInput,
    DirectionalPreference,
    Dose,
    Effort,
    Location,
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
) -> SessionRecord:
    return SessionRecord(
        at=START + timedelta(hours=10 * index),
        stage=stage,
        effort=effort,
        pain_before=before,
        pain_during=during,
        pain_after=after,
        location_before=loc_before,
        location_after=loc_after,
    )


def easy_run(stage: int, count: int = 3) -> tuple[SessionRecord, ...]:
    """``count`` qualifying sessions, 10 hours apart (so at least two calendar dates)."""
    return tuple(record(i, stage) for i in range(count))


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
    assert "stage 2" in result.message


def test_a_clinician_dose_override_wins_for_its_stage() -> None:
    result = decide(ready(2, doses={2: Dose(8, 1, 2, 4)}))
    assert result.to_json()["dose"] == {"reps": 8, "hold_s": [1, 2], "sessions_per_day": 4}


def test_progress_gives_the_next_stage_dose() -> None:
    result = decide(
        ready(1, sessions=easy_run(1), doses={1: Dose(5, 1, 1, 3), 2: Dose(6, 2, 3, 4)})
    )
    assert result.decision is Decision.PROGRESS
    assert result.next_stage == 2
    assert result.dose == Dose(6, 2, 3, 4)


def test_regress_gives_the_previous_stage_dose() -> None:
    sessions = (record(0, 3, before=2, after=4),)
    result = decide(ready(3, sessions=sessions, doses={2: Dose(7, 1, 2, 5)}))
    assert (result.decision, result.next_stage) == (Decision.REGRESS, 2)
    assert result.dose == Dose(7, 1, 2, 5)


def test_maintain_keeps_the_final_stage_and_recommends_stage_one() -> None:
    result = decide(ready(3, sessions=easy_run(3)))
    assert result.decision is Decision.MAINTAIN
    assert result.next_stage == 3
    assert result.continue_programme is True
    assert result.dose == FLEXION.stages[2].dose
    assert "complete" in result.message
    assert "stage 1" in result.message
    assert "a few times a day" in result.message


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


def test_stop_at_stage_one_after_clear_worsening_has_no_next_stage() -> None:
    result = decide(ready(1, sessions=(record(0, 1, before=1, after=3),)))
    assert (result.decision, result.urgency) == (Decision.STOP, Urgency.SOON)
    assert result.next_stage is None and result.dose is None
    assert "clinician" in result.message


def test_small_worsening_at_stage_one_stays_with_a_caution() -> None:
    result = decide(ready(1, sessions=(record(0, 1, before=1, after=2),)))
    assert (result.decision, result.urgency, result.next_stage) == (Decision.STAY, Urgency.NONE, 1)
    assert "worse" in result.message


def test_output_has_the_spec_keys_and_the_rules_version() -> None:
    out = decide(ready(1)).to_json()
    assert set(out) >= {
        "decision",
        "urgency",
        "current_stage",
        "next_stage",
        "continue_programme",
        "responses",
        "reasons",
        "message",
        "dose",
    }
    assert out["rules_version"] == RULES_VERSION
    assert re.fullmatch(r"\d{4}\.\d{2}-\d+", RULES_VERSION)


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


def test_decide_reads_only_the_most_recent_sessions_of_a_long_history() -> None:
    old = [record(i, 1, before=5, after=9, loc_after=Location.FOOT) for i in range(10_000)]
    recent = [record(10_000 + 3 * i, 2) for i in range(3)]  # 30 h apart
    history = CountingHistory(old + recent)
    history.read = set()
    result = decide(ready(2, sessions=history))
    assert result.decision is Decision.PROGRESS
    assert history.read
    assert min(history.read) >= len(history) - 3


def test_look_back_grows_with_progress_after_sessions_only() -> None:
    sessions = [record(i, 2) for i in range(20)]
    history = CountingHistory(sessions)
    history.read = set()
    result = decide(ready(2, sessions=history, settings=RuleSettings(5, 2, 2)))
    assert result.decision is Decision.PROGRESS
    assert min(history.read) == len(history) - 5


def test_a_current_stage_outside_the_protocol_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match=r"^current_stage: "):
        decide(ready(4))
