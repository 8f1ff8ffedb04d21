"""Exercise instructions in the patient's own dose (SPEC §3.5: one dose everywhere).

A protocol's instruction lines say how long to hold in the protocol's default words
("Hold for 1 to 2 seconds, then sit up."; "Stay like this for 2 to 3 minutes."). When a
clinician sets another hold, those words are rebuilt from the patient's dose, so the
instructions, the dose chip and the hold countdown (web and terminal) never disagree.
"""

from __future__ import annotations

import re

from spinestep.domain.model import Dose, ProtocolDefinition

#: "Hold for 1 to 2 seconds", "Stay like this for 2 to 3 minutes", "hold for 5 seconds".
_HOLD_WORDS = re.compile(
    r"\b(?P<verb>[Hh]old|[Ss]tay like this) for \d+(?: to \d+)? (?:seconds?|minutes?)"
)


def _amount(low: int, high: int, unit: str) -> str:
    if low == high:
        return f"{low} {unit}" if low == 1 else f"{low} {unit}s"
    return f"{low} to {high} {unit}s"


def hold_phrase(dose: Dose) -> str:
    """The hold in words: "1 to 2 seconds", "5 seconds", "2 to 3 minutes"."""
    low, high = dose.hold_s_min, dose.hold_s_max
    if low >= 60 and low % 60 == 0 and high % 60 == 0:
        return _amount(low // 60, high // 60, "minute")
    return _amount(low, high, "second")


def stage_instructions(protocol: ProtocolDefinition, stage: int, dose: Dose) -> tuple[str, ...]:
    """The stage's instruction lines with every hold sentence saying ``dose``'s hold."""
    phrase = hold_phrase(dose)
    return tuple(
        _HOLD_WORDS.sub(lambda match: f"{match['verb']} for {phrase}", line)
        for line in protocol.stage(stage).instructions
    )


def countdown_hold_s(dose: Dose) -> int:
    """How long a hold countdown runs, in whole seconds: the top of the dose's hold range
    (the web and terminal guided sessions both count this down)."""
    return dose.hold_s_max


#: The rest before "How bad is your pain now, after resting?" (SPEC §3.1: pain about
#: 5 minutes after); the web and terminal guided sessions both offer it, skippable.
REST_BEFORE_PAIN_AFTER_S = 300
