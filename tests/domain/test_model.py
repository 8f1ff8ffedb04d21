"""The decision vocabulary: which decisions pause a programme (SPEC §3.4-3.5), stage lookup."""

from __future__ import annotations

import pytest

from spinestep.domain.model import Decision
from spinestep.protocols import builtin_protocols

#: SPEC §3.4/3.5: these leave next_stage and dose null; the first four also pause.
STOPPING = {
    Decision.STOP,
    Decision.EMERGENCY,
    Decision.URGENT_REFERRAL,
    Decision.CLINICIAN_REVIEW,
    Decision.DO_NOT_START,
}
PAUSING = STOPPING - {Decision.DO_NOT_START}


@pytest.mark.parametrize("decision", list(Decision))
def test_a_decision_continues_the_programme_unless_it_stops_it(decision: Decision) -> None:
    assert decision.continues_programme is (decision not in STOPPING)


@pytest.mark.parametrize("decision", list(Decision))
def test_stops_and_referrals_pause_and_nothing_else_does(decision: Decision) -> None:
    assert decision.pauses_programme is (decision in PAUSING)


def test_do_not_start_neither_continues_nor_pauses() -> None:
    # Nothing has started, so there is nothing to pause: the person is told not to begin.
    assert not Decision.DO_NOT_START.continues_programme
    assert not Decision.DO_NOT_START.pauses_programme


@pytest.mark.parametrize("number", [0, -1, 4])
def test_a_stage_outside_the_protocol_is_refused(number: int) -> None:
    flexion = builtin_protocols()["lumbar-flexion"]
    assert flexion.final_stage == 3
    with pytest.raises(ValueError, match=f"stage {number} is not within 1-3"):
        flexion.stage(number)


def test_stages_are_numbered_from_one() -> None:
    flexion = builtin_protocols()["lumbar-flexion"]
    assert [flexion.stage(n).number for n in (1, 2, 3)] == [1, 2, 3]
