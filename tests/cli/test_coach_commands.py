"""`spinestep init`, `log`, `history`, `today`, `resume`, `start`, run as the installed command."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from spinestep.domain.model import Decision, Effort, Location
from spinestep.services import sessions
from spinestep.services.context import Actor
from spinestep.services.records import ProgrammeStatus
from tests.cli.coach_support import YES_NO, finish, make_profile, run, screen_now, services, spawn
from tests.services.support import screened_session

LOG_OK = [
    "log",
    "--pain-before", "3",
    "--pain-during", "3",
    "--pain-after", "2",
    "--location-before", "thigh",
    "--location-after", "buttock",
    "--effort", "easy",
]  # fmt: skip


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'coach.db'}"


def _replace(args: list[str], option: str, value: str) -> list[str]:
    out = list(args)
    out[out.index(option) + 1] = value
    return out


def test_log_saves_and_prints_the_decision_as_json(url: str) -> None:
    patient_id = make_profile(url)
    screen_now(url, patient_id)
    result = run(url, *LOG_OK, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["decision"] == "stay"
    assert data["reasons"][0]["rule"] == "R9"
    assert data["session"]["pain_after"] == 2
    assert data["session"]["reps"] == 10  # the dose, when not given
    assert data["paused"] is False
    with services(url) as ctx, ctx.uow() as uow:
        (session,) = uow.sessions.for_patient(patient_id)
    assert session.id == data["session"]["id"]
    assert session.location_before is Location.THIGH


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--pain-after", "11"),
        ("--pain-before", "three"),
        ("--location-after", "knee"),
        ("--effort", "easyish"),
    ],
)
def test_log_bad_input_exits_2_naming_the_option(url: str, option: str, value: str) -> None:
    make_profile(url)
    result = run(url, *_replace(LOG_OK, option, value))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{option}: ")
    assert value in lines[0]
    with services(url) as ctx, ctx.uow() as uow:
        assert uow.sessions.for_patient(1) == []


def test_log_bad_timestamp_and_missing_option(url: str) -> None:
    make_profile(url)
    no_offset = run(url, *LOG_OK, "--at", "2026-11-20T08:00:00")
    assert no_offset.returncode == 2
    assert no_offset.stderr.startswith("--at: ")
    missing = run(url, *LOG_OK[:-2])
    assert missing.returncode == 2
    assert "--effort" in missing.stderr


def test_log_with_a_given_time_and_stop(url: str) -> None:
    patient_id = make_profile(url)
    result = run(
        url,
        *_replace(_replace(LOG_OK, "--location-after", "foot"), "--pain-after", "6"),
        "--stopped-early",
        "--reps", "4",
        "--at", "2026-11-20T08:00:00-05:00",
        "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["decision"] == "stop"
    assert data["paused"] is True
    assert data["session"]["at"] == "2026-11-20T08:00:00-05:00"
    assert data["session"]["completed"] is False
    refused = run(url, *LOG_OK)
    assert refused.returncode == 5
    assert "paused" in refused.stderr
    with services(url) as ctx, ctx.uow() as uow:
        assert len(uow.sessions.for_patient(patient_id)) == 1


def test_history_shows_the_table_and_the_pain_trend(url: str) -> None:
    patient_id = make_profile(url, time_zone="UTC")
    start = datetime.now(UTC) - timedelta(days=3)
    with services(url) as ctx:
        for hour, pain_after in enumerate((10, 7, 3, 0)):
            screened_session(
                ctx,
                Actor.local_person(),
                patient_id,
                sessions.SessionInput(
                    effort=Effort.MODERATE,
                    pain_before=10,
                    pain_during=5,
                    pain_after=pain_after,
                    location_before=Location.BACK,
                    location_after=Location.BACK,
                    at=start + timedelta(hours=hour),
                ),
            )
    result = run(url, "history")
    assert result.returncode == 0, result.stderr
    # after-pains 10, 7, 3, 0 on eight levels: 10->7, 7->4.9->5, 3->2.1->2, 0->0
    assert "█▆▃▁" in result.stdout
    assert "10/5/10" in result.stdout  # first session: before/during/after
    assert "back→back" in result.stdout
    assert "Pain trend" in result.stdout
    as_json = json.loads(run(url, "history", "--json").stdout)
    assert [s["pain_after"] for s in as_json["sessions"]] == [10, 7, 3, 0]
    assert len(as_json["decisions"]) == 4


def test_today_json_counts_todays_sessions(url: str) -> None:
    screen_now(url, make_profile(url, time_zone="Pacific/Auckland"))
    assert run(url, *LOG_OK).returncode == 0
    data = json.loads(run(url, "today", "--json").stdout)
    assert (data["sessions_done_today"], data["sessions_planned"]) == (1, 5)
    assert data["time_zone"] == "Pacific/Auckland"
    assert data["stage_id"] == "supine"
    assert data["last_decision"]["decision"] == "stay"


def test_init_refuses_without_clearance_and_saves_nothing(url: str) -> None:
    child = spawn(url, "init")
    child.expect("cleared you")
    child.sendline("n")
    child.expect("cannot start a programme without")
    assert finish(child) == 1
    with services(url) as ctx, ctx.uow() as uow:
        assert uow.patients.list_all() == []


def test_init_through_its_prompts(url: str) -> None:
    child = spawn(url, "init")
    child.expect("cleared you")
    child.sendline("y")
    child.expect("Your name")
    child.sendline("Kiri")
    child.expect("eases your symptoms")
    child.sendline("flexion")
    child.expect("Start stage")
    child.sendline("2")
    child.expect("time zone")
    child.sendline("Pacific/Auckland")
    child.expect("emergency number")
    child.sendline("911")
    child.expect("Safety questions")
    asked = 0
    while child.expect([YES_NO, "Profile saved"]) == 0:
        asked += 1
        child.sendline("n")
    assert asked == 13  # every red flag is asked at onboarding (SPEC §4)
    assert finish(child) == 0
    with services(url) as ctx, ctx.uow() as uow:
        (patient,) = uow.patients.list_all()
        assert patient.id is not None
        assignment = uow.assignments.current_for(patient.id)
    assert (patient.display_name, patient.time_zone, patient.emergency_number.value) == (
        "Kiri",
        "Pacific/Auckland",
        "911",
    )
    assert assignment is not None
    assert (assignment.protocol_id, assignment.current_stage, assignment.clearance) == (
        "lumbar-flexion",
        2,
        True,
    )


def test_init_with_options_and_an_onboarding_red_flag(url: str) -> None:
    result = run(
        url, "init", "--cleared", "--name", "Ann", "--preference", "extension",
        "--stage", "1", "--time-zone", "Europe/London", "--emergency-number", "999",
        "--red-flag", "major_trauma",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "See a doctor today" in result.stdout
    with services(url) as ctx, ctx.uow() as uow:
        (patient,) = uow.patients.list_all()
        assert patient.id is not None
        assignment = uow.assignments.current_for(patient.id)
        decision = uow.decisions.latest_for(patient.id)
    assert assignment is not None and assignment.protocol_id == "lumbar-extension"
    assert assignment.status is ProgrammeStatus.PAUSED
    assert decision is not None and decision.decision is Decision.URGENT_REFERRAL
    again = run(url, "init", "--cleared", "--no-red-flags")
    assert again.returncode == 6
    assert "already exists" in again.stderr


def test_start_shows_today_when_a_profile_exists(url: str) -> None:
    make_profile(url)
    result = run(url, "start")
    assert result.returncode == 0, result.stderr
    assert "Today for Ann" in result.stdout


def test_start_runs_init_without_a_profile(url: str) -> None:
    child = spawn(url, "start")
    child.expect("cleared you")
    child.sendline("n")
    assert finish(child) == 1
