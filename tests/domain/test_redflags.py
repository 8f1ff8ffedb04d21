"""The red flags of SPEC §4 as data: codes, urgency, decision, when asked, ordering."""

from __future__ import annotations

import pytest

from spinestep.domain.model import Decision, Urgency
from spinestep.domain.redflags import (
    RED_FLAGS,
    AskedWhen,
    flags_for_monthly_check,
    flags_for_onboarding,
    flags_for_session,
    most_urgent_first,
)
from spinestep.errors import InvalidInput

# Copied by hand from the SPEC §4 table, in its order.
SPEC_TABLE = [
    ("new_bladder_dysfunction", "emergency", "emergency"),
    ("new_bowel_dysfunction", "emergency", "emergency"),
    ("saddle_anaesthesia", "emergency", "emergency"),
    ("new_sexual_dysfunction", "emergency", "emergency"),
    ("progressive_or_severe_motor_deficit", "urgent_same_day", "urgent_referral"),
    ("bilateral_leg_symptoms", "urgent_same_day", "urgent_referral"),
    ("infection_features", "urgent_same_day", "urgent_referral"),
    ("history_of_cancer", "urgent", "urgent_referral"),
    ("major_trauma", "urgent", "urgent_referral"),
    ("weaker_cancer_risk", "soon", "clinician_review"),
    ("night_pain_unremitting", "soon", "clinician_review"),
    ("fragility_fracture_risk", "soon", "clinician_review"),
    ("inflammatory_features", "routine", "clinician_review"),
]
EVERY_SESSION = {
    "new_bladder_dysfunction",
    "new_bowel_dysfunction",
    "saddle_anaesthesia",
    "new_sexual_dysfunction",
    "progressive_or_severe_motor_deficit",
    "bilateral_leg_symptoms",
    "infection_features",
    "night_pain_unremitting",
}


def test_thirteen_flags_with_the_spec_codes_in_spec_order() -> None:
    assert list(RED_FLAGS) == [code for code, _, _ in SPEC_TABLE]


@pytest.mark.parametrize(("code", "urgency", "decision"), SPEC_TABLE)
def test_flag_urgency_and_decision(code: str, urgency: str, decision: str) -> None:
    flag = RED_FLAGS[code]
    assert flag.urgency is Urgency(urgency)
    assert flag.decision is Decision(decision)
    assert flag.question.endswith("?")
    assert flag.suspected


def test_flags_asked_before_every_session() -> None:
    assert {flag.code for flag in flags_for_session()} == EVERY_SESSION
    in_table_order = [code for code, _, _ in SPEC_TABLE if code in EVERY_SESSION]
    assert [flag.code for flag in flags_for_session()] == in_table_order


def test_every_flag_is_asked_at_onboarding() -> None:
    assert [flag.code for flag in flags_for_onboarding()] == list(RED_FLAGS)


def test_weaker_cancer_risk_is_asked_monthly() -> None:
    assert [flag.code for flag in flags_for_monthly_check()] == ["weaker_cancer_risk"]
    assert RED_FLAGS["weaker_cancer_risk"].asked == {AskedWhen.ONBOARDING, AskedWhen.MONTHLY}


def test_most_urgent_first_breaks_ties_by_table_order() -> None:
    ordered = most_urgent_first(
        ["inflammatory_features", "major_trauma", "fragility_fracture_risk", "history_of_cancer"]
    )
    assert [flag.code for flag in ordered] == [
        "history_of_cancer",
        "major_trauma",
        "fragility_fracture_risk",
        "inflammatory_features",
    ]


def test_most_urgent_first_of_nothing_is_empty() -> None:
    assert most_urgent_first([]) == ()


def test_unknown_flag_code_is_invalid() -> None:
    with pytest.raises(InvalidInput, match="red_flags"):
        most_urgent_first(["Saddle_Anaesthesia"])
