"""The thirteen red flags of SPEC §4 as data.

Each flag has a stable code, a plain-language question, when it is asked, what it may
point to, its urgency and the decision it leads to. ``RED_FLAGS`` keeps the order of
the SPEC table, which also breaks ties between flags of equal urgency.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from spinestep.domain.model import Decision, Urgency
from spinestep.errors import InvalidInput


class AskedWhen(StrEnum):
    ONBOARDING = "onboarding"
    EVERY_SESSION = "every_session"
    MONTHLY = "monthly"


@dataclass(frozen=True, slots=True)
class RedFlag:
    code: str
    question: str
    asked: frozenset[AskedWhen]
    suspected: str
    urgency: Urgency
    decision: Decision
    order: int


_ON = AskedWhen.ONBOARDING
_EVERY = AskedWhen.EVERY_SESSION
_MONTHLY = AskedWhen.MONTHLY

# (code, question, when asked, suspected, urgency, decision) in SPEC table order.
_TABLE: tuple[tuple[str, str, frozenset[AskedWhen], str, Urgency, Decision], ...] = (
    (
        "new_bladder_dysfunction",
        "Do you have new trouble passing urine, or new trouble holding it in?",
        frozenset({_ON, _EVERY}),
        "cauda equina syndrome",
        Urgency.EMERGENCY,
        Decision.EMERGENCY,
    ),
    (
        "new_bowel_dysfunction",
        "Have you newly lost control of your bowels?",
        frozenset({_ON, _EVERY}),
        "cauda equina syndrome",
        Urgency.EMERGENCY,
        Decision.EMERGENCY,
    ),
    (
        "saddle_anaesthesia",
        "Is there numbness around your back passage, your genitals or your inner buttocks?",
        frozenset({_ON, _EVERY}),
        "cauda equina syndrome",
        Urgency.EMERGENCY,
        Decision.EMERGENCY,
    ),
    (
        "new_sexual_dysfunction",
        "Have you newly lost feeling in your genitals, or can they no longer work as usual?",
        frozenset({_ON, _EVERY}),
        "cauda equina syndrome",
        Urgency.EMERGENCY,
        Decision.EMERGENCY,
    ),
    (
        "progressive_or_severe_motor_deficit",
        "Is a leg getting weaker, does your foot drop or catch, or is walking getting hard?",
        frozenset({_ON, _EVERY}),
        "nerve compression",
        Urgency.URGENT_SAME_DAY,
        Decision.URGENT_REFERRAL,
    ),
    (
        "bilateral_leg_symptoms",
        "Do you have new, or quickly worsening, pain, numbness or weakness in both legs?",
        frozenset({_ON, _EVERY}),
        "possible cauda equina syndrome",
        Urgency.URGENT_SAME_DAY,
        Decision.URGENT_REFERRAL,
    ),
    (
        "infection_features",
        "Do you have a fever or chills, or feel generally unwell? Do you inject drugs, "
        "or is your immune system weakened?",
        frozenset({_ON, _EVERY}),
        "spinal infection",
        Urgency.URGENT_SAME_DAY,
        Decision.URGENT_REFERRAL,
    ),
    (
        "history_of_cancer",
        "Have you ever had cancer, and is this back pain new since then?",
        frozenset({_ON}),
        "cancer spreading to the spine",
        Urgency.URGENT,
        Decision.URGENT_REFERRAL,
    ),
    (
        "major_trauma",
        "Did the pain start after a serious accident, such as a fall from a height or "
        "a road accident?",
        frozenset({_ON}),
        "fracture",
        Urgency.URGENT,
        Decision.URGENT_REFERRAL,
    ),
    (
        "weaker_cancer_risk",
        "Have you lost weight without trying, are you over 50 with back pain that is new, "
        "or has the pain not improved at all in a month?",
        frozenset({_ON, _MONTHLY}),
        "cancer (weaker warning signs)",
        Urgency.SOON,
        Decision.CLINICIAN_REVIEW,
    ),
    (
        "night_pain_unremitting",
        "Is there constant pain at night that no position eases?",
        frozenset({_ON, _EVERY}),
        "cancer or infection",
        Urgency.SOON,
        Decision.CLINICIAN_REVIEW,
    ),
    (
        "fragility_fracture_risk",
        "Do you have thin bones (osteoporosis) or take steroid tablets long-term, and did "
        "the pain start suddenly after a minor knock or fall?",
        frozenset({_ON}),
        "fragility fracture",
        Urgency.SOON,
        Decision.CLINICIAN_REVIEW,
    ),
    (
        "inflammatory_features",
        "Are you under 40 with back stiffness in the morning that eases as you move, or "
        "buttock pain that swaps sides?",
        frozenset({_ON}),
        "inflammatory back disease (spondyloarthritis)",
        Urgency.ROUTINE,
        Decision.CLINICIAN_REVIEW,
    ),
)

RED_FLAGS: Mapping[str, RedFlag] = MappingProxyType(
    {
        code: RedFlag(code, question, asked, suspected, urgency, decision, order)
        for order, (code, question, asked, suspected, urgency, decision) in enumerate(_TABLE)
    }
)


def red_flag(code: str) -> RedFlag:
    """The flag with this code; an unknown code is invalid input."""
    try:
        return RED_FLAGS[code]
    except KeyError:
        raise InvalidInput("red_flags", f"unknown red flag code '{code}'") from None


def flags_for_onboarding() -> tuple[RedFlag, ...]:
    """Every flag: all thirteen are asked when a person starts."""
    return tuple(flag for flag in RED_FLAGS.values() if AskedWhen.ONBOARDING in flag.asked)


def flags_for_session() -> tuple[RedFlag, ...]:
    """The current-symptom flags asked before every session, in SPEC order."""
    return tuple(flag for flag in RED_FLAGS.values() if AskedWhen.EVERY_SESSION in flag.asked)


def flags_for_monthly_check() -> tuple[RedFlag, ...]:
    """The flags asked again once a month."""
    return tuple(flag for flag in RED_FLAGS.values() if AskedWhen.MONTHLY in flag.asked)


def _urgency_key(flag: RedFlag) -> tuple[int, int]:
    return (-flag.urgency.rank, flag.order)


def most_urgent_first(codes: Iterable[str]) -> tuple[RedFlag, ...]:
    """The given flags, most urgent first; equal urgency keeps SPEC table order."""
    return tuple(sorted({red_flag(code) for code in codes}, key=_urgency_key))
