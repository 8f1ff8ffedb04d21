"""Instructions say the patient's own hold (SPEC §3.5: one dose everywhere)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from spinestep.domain.model import Dose
from spinestep.protocols import load_builtin
from spinestep.services.instructions import countdown_hold_s, hold_phrase, stage_instructions

FLEXION = load_builtin("lumbar-flexion")
EXTENSION = load_builtin("lumbar-extension")


def test_a_clinicians_hold_replaces_the_protocols_words() -> None:
    lines = stage_instructions(FLEXION, 2, Dose(10, 3, 5, 5))
    assert "Hold for 3 to 5 seconds, then sit up." in lines
    assert not any("1 to 2 seconds" in line for line in lines)
    # The other lines are the protocol's own.
    assert lines[0] == FLEXION.stage(2).instructions[0]


def test_the_protocols_dose_gives_the_protocols_words() -> None:
    for protocol in (FLEXION, EXTENSION):
        for stage in protocol.stages:
            assert stage_instructions(protocol, stage.number, stage.dose) == stage.instructions


def test_holds_in_whole_minutes_and_single_values_read_naturally() -> None:
    lines = stage_instructions(EXTENSION, 1, Dose(1, 60, 60, 5))
    assert "Stay like this for 1 minute." in lines
    assert hold_phrase(Dose(10, 4, 4, 5)) == "4 seconds"
    assert hold_phrase(Dose(10, 1, 1, 5)) == "1 second"
    assert hold_phrase(Dose(1, 120, 240, 5)) == "2 to 4 minutes"
    assert hold_phrase(Dose(1, 90, 120, 5)) == "90 to 120 seconds"


def test_the_countdown_runs_the_top_of_the_hold_range() -> None:
    assert countdown_hold_s(Dose(10, 3, 5, 5)) == 5
    assert countdown_hold_s(Dose(10, 1, 2, 5)) == 2


@given(low=st.integers(0, 600), extra=st.integers(0, 600), stage=st.integers(1, 3))
def test_every_hold_sentence_says_the_dose(low: int, extra: int, stage: int) -> None:
    high = min(600, low + extra)
    dose = Dose(10, low, high, 5)
    lines = stage_instructions(FLEXION, stage, dose)
    hold_lines = [line for line in lines if line.startswith("Hold for")]
    assert hold_lines == [line for line in lines if "Hold" in line]
    assert len(hold_lines) == 1
    assert hold_lines[0].startswith(f"Hold for {hold_phrase(dose)}, then ")
