"""The terminal's safety check (SPEC §3.5, §4): `screen`, and `log` refused without it."""

from __future__ import annotations

from pathlib import Path

import pexpect
import pytest

from spinestep.services import onboarding
from spinestep.services.context import Actor
from tests.cli.coach_support import YES_NO, finish, run, screen_now, services, spawn
from tests.support.flags import EVERY_SESSION_CODES

LOG_OK = [
    "log",
    "--pain-before", "3",
    "--pain-during", "3",
    "--pain-after", "2",
    "--location-before", "thigh",
    "--location-after", "buttock",
    "--effort", "easy",
]  # fmt: skip
EVERY_SESSION = list(EVERY_SESSION_CODES)
ONBOARDING = [
    *EVERY_SESSION,
    "history_of_cancer",
    "major_trauma",
    "weaker_cancer_risk",
    "fragility_fracture_risk",
    "inflammatory_features",
]


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'coach.db'}"


def _onboarded(url: str) -> int:
    """A profile whose onboarding questions were all answered "no" (not fresh any more
    once a session is logged)."""
    with services(url) as ctx:
        return onboarding.onboard(
            ctx,
            Actor.local_person(),
            onboarding.OnboardingInput(
                "Ann",
                "Europe/London",
                clearance=True,
                red_flag_answers=dict.fromkeys(ONBOARDING, False),
            ),
        ).patient_id


def _last_answers(url: str, patient_id: int) -> dict[str, bool]:
    with services(url) as ctx, ctx.uow() as uow:
        return uow.screenings.for_patient(patient_id)[-1].answers


def _sessions(url: str, patient_id: int) -> int:
    with services(url) as ctx, ctx.uow() as uow:
        return len(uow.sessions.for_patient(patient_id))


def test_log_without_a_check_since_the_last_session_exits_8_and_saves_nothing(url: str) -> None:
    patient_id = _onboarded(url)
    assert run(url, *LOG_OK).returncode == 0  # the onboarding answers were the check
    refused = run(url, *LOG_OK)
    assert refused.returncode == 8
    assert refused.stdout == ""
    (line,) = refused.stderr.strip().splitlines()
    assert "safety" in line and "spinestep screen" in line
    assert _sessions(url, patient_id) == 1
    screen_now(url, patient_id)
    assert run(url, *LOG_OK).returncode == 0
    assert _sessions(url, patient_id) == 2


def test_log_stopped_early_is_never_refused_for_the_check(url: str) -> None:
    patient_id = _onboarded(url)
    assert run(url, *LOG_OK).returncode == 0
    stopped = run(url, *LOG_OK, "--stopped-early", "--reps", "2")
    assert stopped.returncode == 0, stopped.stderr
    assert _sessions(url, patient_id) == 2


def test_a_yes_ends_the_questions_at_once_and_says_what_to_do(url: str) -> None:
    patient_id = _onboarded(url)
    child = spawn(url, "screen")
    child.expect("each question on its own")
    child.expect(YES_NO)
    assert "trouble passing urine" in (child.before or "")
    child.sendline("y")
    # no further question: the answer is saved and the emergency advice shown
    index = child.expect([YES_NO, "Do not exercise now"])
    assert index == 1
    child.expect("EMERGENCY")
    child.expect("112")
    assert finish(child) == 0
    assert _last_answers(url, patient_id) == {"new_bladder_dysfunction": True}


def test_later_the_same_day_one_question_covers_the_flags(url: str) -> None:
    patient_id = _onboarded(url)
    assert run(url, *LOG_OK).returncode == 0
    child = spawn(url, "screen")
    child.expect("One question covers these")
    child.expect(YES_NO)
    assert "Has any of these started since your last check?" in (child.before or "")
    child.sendline("n")
    child.expect("No red flags. Saved.")
    assert finish(child) == 0
    assert _last_answers(url, patient_id) == dict.fromkeys(EVERY_SESSION, False)
    assert run(url, *LOG_OK).returncode == 0


def test_a_yes_to_the_combined_question_asks_which(url: str) -> None:
    patient_id = _onboarded(url)
    assert run(url, *LOG_OK).returncode == 0
    child = spawn(url, "screen")
    child.expect(YES_NO)
    child.sendline("y")
    child.expect("Which one")
    for answer in ("n", "n", "y"):  # bladder, bowel, then saddle numbness
        child.expect(YES_NO)
        child.sendline(answer)
    assert child.expect([YES_NO, "Do not exercise now"]) == 1
    assert finish(child) == 0
    assert _last_answers(url, patient_id) == {
        "new_bladder_dysfunction": False,
        "new_bowel_dysfunction": False,
        "saddle_anaesthesia": True,
    }


def test_input_ending_during_the_check_saves_nothing(url: str) -> None:
    patient_id = _onboarded(url)
    child = spawn(url, "screen")
    child.expect(YES_NO)
    child.sendeof()
    child.expect("nothing was saved")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    with services(url) as ctx, ctx.uow() as uow:
        assert len(uow.screenings.for_patient(patient_id)) == 1  # the onboarding answers
