"""`spinestep init --outcome-measure`, `questionnaire choose` and `questionnaire due`."""

from __future__ import annotations

from pathlib import Path

import pytest

from spinestep.services.records import EventKind, OutcomeMeasure
from tests.cli.coach_support import run, services

INIT = [
    "init", "--cleared", "--name", "Ann", "--preference", "flexion", "--stage", "1",
    "--time-zone", "Europe/London", "--emergency-number", "112", "--no-red-flags",
]  # fmt: skip


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'coach.db'}"


def _due(url: str) -> dict[str, str]:
    done = run(url, "questionnaire", "due")
    assert done.returncode == 0, done.stderr
    return {line.split()[0]: line for line in done.stdout.splitlines()}


def test_init_default_follows_odi_with_psfs_optional(url: str) -> None:
    assert run(url, *INIT).returncode == 0
    due = _due(url)
    assert set(due) == {"startback", "odi", "psfs"}
    assert "due now" in due["odi"] and "(optional)" not in due["odi"]
    assert "(optional)" in due["psfs"]


def test_init_with_rmdq_and_psfs(url: str) -> None:
    done = run(url, *INIT, "--outcome-measure", "rmdq", "--psfs")
    assert done.returncode == 0, done.stderr
    due = _due(url)
    assert set(due) == {"startback", "rmdq", "psfs"}
    assert "(optional)" not in due["rmdq"] and "(optional)" not in due["psfs"]
    with services(url) as ctx, ctx.uow() as uow:
        assignment = uow.assignments.current_for(1)
        assert assignment is not None
        assert (assignment.outcome_measure, assignment.psfs_enabled) == (
            OutcomeMeasure.RMDQ,
            True,
        )


def test_choose_changes_the_measure_and_is_recorded(url: str) -> None:
    assert run(url, *INIT).returncode == 0
    done = run(url, "questionnaire", "choose", "--measure", "rmdq", "--psfs")
    assert done.returncode == 0, done.stderr
    assert "rmdq at the start and every 14 days; PSFS asked" in done.stdout
    assert set(_due(url)) == {"startback", "rmdq", "psfs"}
    assert "(optional)" not in _due(url)["psfs"]
    off = run(url, "questionnaire", "choose", "--no-psfs")
    assert off.returncode == 0, off.stderr
    assert "rmdq at the start and every 14 days; PSFS optional" in off.stdout
    with services(url) as ctx, ctx.uow() as uow:
        changes = [e.reason for e in uow.events.for_patient(1)]
        kinds = {e.kind for e in uow.events.for_patient(1)}
    assert changes[-3:] == ["outcome measure rmdq", "PSFS on", "PSFS off"]
    assert EventKind.SETTINGS_CHANGE in kinds


@pytest.mark.parametrize(
    "args",
    [
        ["questionnaire", "choose"],
        ["questionnaire", "choose", "--measure", "psfs"],
        ["init", "--outcome-measure", "sf36"],
    ],
)
def test_bad_choices_exit_2(url: str, args: list[str]) -> None:
    if args[0] != "init":
        assert run(url, *INIT).returncode == 0
        done = run(url, *args)
    else:
        done = run(url, *INIT, *args[1:])
    assert done.returncode == 2
    assert done.stdout == ""
    assert ("--measure" in done.stderr) or ("--outcome-measure" in done.stderr)
