"""Red flags pause the programme until resolved and resumed, with who and when."""

from __future__ import annotations

from datetime import timedelta

import pytest

from spinestep.domain.model import Decision, EmergencyNumber, Urgency
from spinestep.errors import Conflict, InvalidInput, PermissionDenied, ProgrammePaused
from spinestep.services import clinician, onboarding, programme, screening
from spinestep.services.assessment import parse_assessment
from spinestep.services.context import Actor, FixedClock, ServiceContext
from spinestep.services.records import EventKind, FlagSource
from tests.services.support import easy, onboard, screened_session
from tests.support.flags import EVERY_SESSION_CODES

ALL_CODES = (
    "new_bladder_dysfunction",
    "new_bowel_dysfunction",
    "saddle_anaesthesia",
    "new_sexual_dysfunction",
    "progressive_or_severe_motor_deficit",
    "bilateral_leg_symptoms",
    "infection_features",
    "history_of_cancer",
    "major_trauma",
    "weaker_cancer_risk",
    "night_pain_unremitting",
    "fragility_fracture_risk",
    "inflammatory_features",
)


def test_a_yes_before_a_session_refers_and_blocks_until_resolved_and_resumed(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    patient_id = onboard(ctx, me)
    outcome = screening.record_screening(
        ctx, me, patient_id, {"infection_features": True, "saddle_anaesthesia": False}
    )
    assert outcome.flagged == ("infection_features",)
    assert outcome.decision is not None
    assert outcome.decision.decision is Decision.URGENT_REFERRAL
    assert outcome.decision.urgency is Urgency.URGENT_SAME_DAY
    with pytest.raises(ProgrammePaused):
        screened_session(ctx, me, patient_id, easy())

    with pytest.raises(InvalidInput, match="assessed_by"):
        clinician.resume(ctx, me, patient_id, "seen")
    with pytest.raises(PermissionDenied):
        clinician.resolve_red_flag(ctx, me, patient_id, 1, "GP: no infection")

    clock.set(clock.now() + timedelta(days=1))
    seen = parse_assessment("Dr Rua, GP", clock.now().date(), "no infection; carry on")
    clinician.resume(ctx, me, patient_id, assessment=seen)
    (flag,) = clinician.red_flags(ctx, me, patient_id)
    assert flag.resolved_at == clock.now()
    assert flag.outcome == f"Assessed by Dr Rua, GP on {clock.now().date()}: no infection; carry on"
    assert programme.today(ctx, me, patient_id).can_exercise
    screened_session(ctx, me, patient_id, easy())


def test_emergency_message_uses_the_patients_emergency_number(
    ctx: ServiceContext, me: Actor
) -> None:
    patient_id = onboard(ctx, me, emergency_number=EmergencyNumber.NORTH_AMERICA)
    outcome = screening.record_screening(ctx, me, patient_id, {"new_bladder_dysfunction": True})
    assert outcome.decision is not None
    assert outcome.decision.decision is Decision.EMERGENCY
    assert "911" in outcome.decision.message
    assert "112" not in outcome.decision.message


def test_most_urgent_flag_comes_first(ctx: ServiceContext, me: Actor) -> None:
    patient_id = onboard(ctx, me)
    outcome = screening.record_screening(
        ctx, me, patient_id, {"night_pain_unremitting": True, "new_bowel_dysfunction": True}
    )
    assert outcome.flagged == ("new_bowel_dysfunction", "night_pain_unremitting")
    assert outcome.decision is not None
    assert [r.flag for r in outcome.decision.reasons] == list(outcome.flagged)


def test_onboarding_red_flag_pauses_before_the_first_session(
    ctx: ServiceContext, me: Actor
) -> None:
    result = onboarding.onboard(
        ctx,
        me,
        onboarding.OnboardingInput(
            "Ann",
            "Europe/London",
            clearance=True,
            red_flag_answers={"history_of_cancer": True, "major_trauma": False},
        ),
    )
    assert result.screening is not None
    assert result.screening.decision is not None
    assert result.screening.decision.decision is Decision.URGENT_REFERRAL
    today = programme.today(ctx, me, result.patient_id)
    assert today.paused and today.open_red_flags == ("history_of_cancer",)
    with pytest.raises(ProgrammePaused):
        screened_session(ctx, me, result.patient_id, easy())


def test_onboarding_refuses_without_clearance(ctx: ServiceContext, me: Actor) -> None:
    with pytest.raises(InvalidInput) as caught:
        onboarding.onboard(
            ctx, me, onboarding.OnboardingInput("Ann", "Europe/London", clearance=False)
        )
    assert caught.value.path == "clearance"
    with ctx.uow() as uow:
        assert uow.patients.list_all() == []


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"start_stage": 4}, "start_stage"),
        ({"display_name": "  "}, "display_name"),
    ],
)
def test_onboarding_checks_its_input(
    ctx: ServiceContext, me: Actor, changes: dict[str, object], path: str
) -> None:
    values: dict[str, object] = {"display_name": "Ann", "time_zone": "UTC", "clearance": True}
    values.update(changes)
    with pytest.raises(InvalidInput) as caught:
        onboarding.onboard(ctx, me, onboarding.OnboardingInput(**values))  # type: ignore[arg-type]
    assert caught.value.path == path


def test_monthly_question_is_due_again_after_thirty_days(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    patient_id = onboard(ctx, me)
    asked = [f.code for f in screening.session_questions(ctx, me, patient_id)]
    assert "weaker_cancer_risk" in asked
    answers = dict.fromkeys(asked, False)
    screening.record_screening(ctx, me, patient_id, answers, FlagSource.SESSION)
    clock.set(clock.now() + timedelta(days=29))
    assert "weaker_cancer_risk" not in [
        f.code for f in screening.session_questions(ctx, me, patient_id)
    ]
    clock.set(clock.now() + timedelta(days=1))
    assert "weaker_cancer_risk" in [
        f.code for f in screening.session_questions(ctx, me, patient_id)
    ]


EVERY_SESSION = set(EVERY_SESSION_CODES)


def test_session_questions_are_the_every_session_flags(ctx: ServiceContext, me: Actor) -> None:
    onboarded = onboard(ctx, me, red_flag_answers=dict.fromkeys(ALL_CODES, False))
    codes = {f.code for f in screening.session_questions(ctx, me, onboarded)}
    # SPEC §4 "every session" rows; the monthly one was answered at onboarding
    assert codes == EVERY_SESSION


def test_questions_never_answered_are_asked_before_a_session(
    ctx: ServiceContext, me: Actor
) -> None:
    patient_id = onboard(ctx, me)  # set up without the onboarding questions
    codes = {f.code for f in screening.session_questions(ctx, me, patient_id)}
    # every-session rows, the monthly one (due at the start) and the onboarding-only ones
    assert codes == EVERY_SESSION | {
        "weaker_cancer_risk",
        "history_of_cancer",
        "major_trauma",
        "fragility_fracture_risk",
        "inflammatory_features",
    }


def test_unknown_answer_code_is_invalid(ctx: ServiceContext, me: Actor) -> None:
    patient_id = onboard(ctx, me)
    with pytest.raises(InvalidInput, match=r"answers\.back_ache"):
        screening.record_screening(ctx, me, patient_id, {"back_ache": True})


def test_resume_of_an_active_programme_is_a_conflict(ctx: ServiceContext, me: Actor) -> None:
    patient_id = onboard(ctx, me)
    seen = parse_assessment("GP", "2026-11-21", "fine")
    with pytest.raises(Conflict, match="not paused"):
        clinician.resume(ctx, me, patient_id, assessment=seen)
    with ctx.uow() as uow:
        assert [e.kind for e in uow.events.for_patient(patient_id)] == [EventKind.PRESCRIBE]
