"""`spinestep resume` for a person without a clinician (SPEC §3.5): who assessed them, the
date and what they were told are always required; ``--yes`` skips only the last question."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from spinestep.services.context import Actor
from spinestep.services.records import EventKind, ProgrammeStatus
from tests.cli.coach_support import YES_NO, finish, make_profile, run, services, spawn
from tests.services.support import screen

ZONE = "Pacific/Kiritimati"  # UTC+14: its local date is often not the UTC date
STOPPING_LOG = [
    "log",
    "--pain-before", "3",
    "--pain-during", "3",
    "--pain-after", "2",
    "--location-before", "thigh",
    "--location-after", "foot",
    "--effort", "easy",
]  # fmt: skip


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'coach.db'}"


@pytest.fixture
def paused(url: str) -> int:
    patient_id = make_profile(url, time_zone=ZONE)
    with services(url) as ctx:
        screen(ctx, Actor.local_person(), patient_id)
    result = run(url, *STOPPING_LOG)
    assert result.returncode == 0, result.stderr
    assert _status(url, patient_id) is ProgrammeStatus.PAUSED
    return patient_id


def _local_today() -> str:
    return datetime.now(ZoneInfo(ZONE)).date().isoformat()


def _status(url: str, patient_id: int) -> ProgrammeStatus:
    with services(url) as ctx, ctx.uow() as uow:
        assignment = uow.assignments.current_for(patient_id)
    assert assignment is not None
    return assignment.status


def test_yes_with_the_three_answers_resumes_and_keeps_them(url: str, paused: int) -> None:
    today = _local_today()
    result = run(
        url,
        "resume",
        "--yes",
        "--assessed-by", "Dr Patel, GP",
        "--assessed-on", today,
        "--told", "safe to restart gently",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "resumed" in result.stdout
    with services(url) as ctx, ctx.uow() as uow:
        assignment = uow.assignments.current_for(paused)
        event = uow.events.for_patient(paused)[-1]
    assert assignment is not None and assignment.status is ProgrammeStatus.ACTIVE
    assert event.kind is EventKind.RESUME
    assert event.note == f"Assessed by Dr Patel, GP on {today}: safe to restart gently"
    assert assignment.run_since == event.at


def test_yes_alone_still_asks_the_three_questions(url: str, paused: int) -> None:
    child = spawn(url, "resume", "--yes")
    child.expect("Who assessed you")
    child.sendeof()
    child.expect("stays paused")
    assert finish(child) == 1
    assert _status(url, paused) is ProgrammeStatus.PAUSED


def test_the_questions_are_asked_and_a_future_date_asked_again(url: str, paused: int) -> None:
    tomorrow = (datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=1)).isoformat()
    child = spawn(url, "resume")
    child.expect("Who assessed you")
    child.sendline("")  # an empty answer is not taken
    child.expect("Please type an answer")
    child.sendline("the practice nurse")
    child.expect(r"On which date were you assessed\? \(YYYY-MM-DD\)")
    child.sendline("yesterday")
    child.expect("What were you told")
    child.sendline("walk daily")
    child.expect("must be a date written as YYYY-MM-DD")
    child.expect("On which date")
    child.sendline(tomorrow)
    child.expect("must not be in the future")
    child.expect("On which date")
    child.sendline(_local_today())
    child.expect("Resume the programme now")
    child.expect(YES_NO)
    child.sendline("y")
    child.expect("resumed")
    assert finish(child) == 0
    with services(url) as ctx, ctx.uow() as uow:
        note = uow.events.for_patient(paused)[-1].note
    assert note == f"Assessed by the practice nurse on {_local_today()}: walk daily"


def test_a_no_at_the_last_question_keeps_the_pause(url: str, paused: int) -> None:
    child = spawn(
        url, "resume", "--assessed-by", "GP", "--assessed-on", _local_today(), "--told", "ok"
    )
    child.expect("Resume the programme now")
    child.sendline("n")
    child.expect("stays paused")
    assert finish(child) == 1
    assert _status(url, paused) is ProgrammeStatus.PAUSED


@pytest.mark.parametrize(
    ("option", "value", "path"),
    [
        ("--assessed-on", "2020-01-01", "assessed_on: must not be before"),
        ("--assessed-on", "03/12/2026", "assessed_on: must be a date"),
        ("--assessed-by", "  ", "assessed_by: say who assessed you"),
        ("--told", "", "told: say what you were told"),
    ],
)
def test_a_wrong_option_is_an_error_naming_it(
    url: str, paused: int, option: str, value: str, path: str
) -> None:
    values = {"--assessed-by": "GP", "--assessed-on": _local_today(), "--told": "ok"}
    values[option] = value
    args = [item for pair in values.items() for item in pair]
    result = run(url, "resume", "--yes", *args)
    assert result.returncode == 2
    assert path in result.stderr
    assert _status(url, paused) is ProgrammeStatus.PAUSED


def test_nothing_to_resume_says_so(url: str) -> None:
    make_profile(url)
    result = run(url, "resume", "--yes")
    assert result.returncode == 0
    assert "nothing to resume" in result.stdout
