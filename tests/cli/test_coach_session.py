"""The guided `spinestep session`, driven through its prompts with pexpect."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from spinestep.domain.model import Decision, Effort, Location
from spinestep.services.records import ProgrammeStatus
from tests.cli.coach_support import (
    answer_safety_questions,
    finish,
    make_profile,
    services,
    spawn,
    start_repetitions,
)


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'coach.db'}"


def test_a_whole_guided_session_is_saved_with_its_decision(url: str) -> None:
    patient_id = make_profile(url)
    child = spawn(url, "session", "--fast")
    start_repetitions(child, 3, "thigh")
    child.expect("Repetition 10/10 done")
    child.expect("Worst pain during")
    child.sendline("3")
    child.expect("Rest for 5 minutes")
    child.expect(r"How bad is your pain now, after resting\?")
    child.sendline("2")
    child.expect("Where do the symptoms reach now")
    child.sendline("2")  # by number: buttock
    child.expect("How hard was it")
    child.sendline("easy")
    child.expect("Saved")
    child.expect("Stay at this stage")
    assert finish(child) == 0

    with services(url) as ctx, ctx.uow() as uow:
        (session,) = uow.sessions.for_patient(patient_id)
        assert session.id is not None
        decision = uow.decisions.for_session(session.id)
        screenings = uow.screenings.for_patient(patient_id)
    assert session.completed and not session.stopped_early
    assert session.reps == 10
    assert (session.pain_before, session.pain_during, session.pain_after) == (3, 3, 2)
    assert (session.location_before, session.location_after) == (Location.THIGH, Location.BUTTOCK)
    assert session.effort is Effort.EASY
    assert decision is not None and decision.decision is Decision.STAY
    assert len(screenings) == 1 and not any(screenings[0].answers.values())


def test_stop_now_ends_the_session_records_it_and_pauses(url: str) -> None:
    patient_id = make_profile(url)
    child = spawn(url, "session", "--fast")
    start_repetitions(child, 2, "back")
    child.expect("Worst pain during")
    child.sendline("stop")
    child.expect("Stopping now")
    child.expect("Pain now")
    child.sendline("6")
    child.expect("Where do the symptoms reach now")
    child.sendline("below_knee")
    child.expect("Saved")
    child.expect("Stop the exercises")
    child.expect("programme is paused")
    assert finish(child) == 0

    with services(url) as ctx, ctx.uow() as uow:
        (session,) = uow.sessions.for_patient(patient_id)
        assignment = uow.assignments.current_for(patient_id)
    assert not session.completed and session.stopped_early
    assert session.reps == 10  # the repetitions were done before the stop
    assert (session.pain_before, session.pain_after) == (2, 6)
    assert (session.location_before, session.location_after) == (Location.BACK, Location.BELOW_KNEE)
    assert assignment is not None and assignment.status is ProgrammeStatus.PAUSED

    again = spawn(url, "session", "--fast")
    again.expect("paused")
    again.expect("resume")
    assert finish(again) == 5


def test_stop_at_the_first_pain_question_asks_what_is_missing(url: str) -> None:
    patient_id = make_profile(url)
    child = spawn(url, "session", "--fast")
    answer_safety_questions(child)
    child.sendline("s")
    child.expect("Pain before you started")
    child.sendline("4")
    child.expect("Where did the symptoms reach before")
    child.sendline("buttock")
    child.expect("Pain now")
    child.sendline("5")
    child.expect("Where do the symptoms reach now")
    child.sendline("buttock")
    child.expect("Saved")
    assert finish(child) == 0
    with services(url) as ctx, ctx.uow() as uow:
        (session,) = uow.sessions.for_patient(patient_id)
    assert session.stopped_early and session.reps == 0
    assert (session.pain_before, session.pain_during, session.pain_after) == (4, 5, 5)


def test_ctrl_c_at_a_prompt_saves_no_session(url: str) -> None:
    patient_id = make_profile(url)
    child = spawn(url, "session", "--fast")
    start_repetitions(child, 3, "thigh")
    child.expect("Worst pain during")
    child.sendintr()
    child.expect("no session was saved")
    assert finish(child) == 130
    with services(url) as ctx, ctx.uow() as uow:
        assert uow.sessions.for_patient(patient_id) == []
        assert uow.decisions.for_patient(patient_id) == []


def test_ctrl_c_during_the_hold_countdown_saves_no_session(url: str) -> None:
    patient_id = make_profile(url)
    child = spawn(url, "session")  # real countdowns
    start_repetitions(child, 1, "back")
    time.sleep(1.5)  # inside the first repetition
    child.sendintr()
    child.expect("no session was saved")
    assert finish(child) == 130
    with services(url) as ctx, ctx.uow() as uow:
        assert uow.sessions.for_patient(patient_id) == []


def test_a_yes_at_the_safety_check_ends_the_session_with_the_emergency_number(url: str) -> None:
    patient_id = make_profile(url, number="999")
    child = spawn(url, "session", "--fast")
    answer_safety_questions(child, yes_to="numbness around")  # saddle anaesthesia
    child.expect("EMERGENCY")
    child.expect("999")
    assert finish(child) == 0
    with services(url) as ctx, ctx.uow() as uow:
        assert uow.sessions.for_patient(patient_id) == []
        (flag,) = uow.red_flags.unresolved_for(patient_id)
        assignment = uow.assignments.current_for(patient_id)
    assert flag.code == "saddle_anaesthesia"
    assert assignment is not None and assignment.status is ProgrammeStatus.PAUSED


def test_without_a_profile_session_says_to_run_init(url: str) -> None:
    child = spawn(url, "session", "--fast")
    child.expect("spinestep init")
    assert finish(child) == 3


def test_stop_typed_during_a_hold_countdown(url: str) -> None:
    patient_id = make_profile(url)
    child = spawn(url, "session")  # real countdowns
    start_repetitions(child, 2, "back")
    time.sleep(1.0)  # inside the first repetition
    child.sendline("s")
    child.expect("Stopping now")
    child.expect("Pain now")
    child.sendline("5")
    child.expect("Where do the symptoms reach now")
    child.sendline("thigh")
    child.expect("Saved")
    assert finish(child) == 0
    with services(url) as ctx, ctx.uow() as uow:
        (session,) = uow.sessions.for_patient(patient_id)
    assert session.stopped_early and not session.completed
    assert session.reps == 0  # stopped within the first repetition
    assert (session.location_before, session.location_after) == (Location.BACK, Location.THIGH)
