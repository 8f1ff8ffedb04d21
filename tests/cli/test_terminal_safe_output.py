"""The CLI never sends a raw escape to the terminal, and refuses impossible instants,
names and e-mails with one line and exit status 2."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from spinestep.store.tables import PatientRow
from tests.cli.coach_support import SPINESTEP, coach_env, make_profile, run

HOSTILE = "Eve\x1b[2J\x1b]0;owned\x07\u202e[bold red]Admin[/]\r\nX"
LOG = [
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


def _no_raw_controls(text: str) -> None:
    assert not any(char in text for char in "\x1b\x07\r\u202e"), repr(text)


def test_an_old_stored_name_with_escapes_prints_escaped(url: str) -> None:
    make_profile(url)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.update(PatientRow).values(display_name=HOSTILE))
    engine.dispose()
    shown = run(url, "today")
    assert shown.returncode == 0, shown.stderr
    _no_raw_controls(shown.stdout)
    assert "Eve\\u001b[2J" in shown.stdout
    assert "\\u202e[bold red]Admin[/]" in shown.stdout  # markup shown, not applied


@pytest.mark.parametrize(
    ("at", "problem"),
    [
        ("0001-01-01T00:00:00+00:00", "on or after 2000-01-01"),
        ("2999-01-01T00:00:00+00:00", "in the future"),
        ("2026-11-20T08:00:00-23:59", "offset beyond"),
    ],
)
def test_log_refuses_an_impossible_time(url: str, at: str, problem: str) -> None:
    make_profile(url)
    refused = run(url, *LOG, "--at", at)
    assert refused.returncode == 2
    assert refused.stderr.startswith("--at: ") and problem in refused.stderr


@pytest.mark.parametrize(
    "taken_at",
    ["0001-01-01T00:00:00+00:00", "1999-12-31T12:00:00+00:00", "2026-11-20T08:00:00+23:59"],
)
def test_a_questionnaire_refuses_an_impossible_time(url: str, taken_at: str) -> None:
    make_profile(url)
    refused = run(
        url, "questionnaire", "record", "--instrument", "rmdq",
        "--answers", '{"ticked": [1]}', "--taken-at", taken_at,
    )  # fmt: skip
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "taken_at" in refused.stderr


def test_a_refused_value_is_quoted_without_its_escapes(url: str) -> None:
    make_profile(url)
    args = list(LOG)
    args[args.index("--location-before") + 1] = "thigh\x1b[31m\u202e"
    refused = run(url, *args)
    assert refused.returncode == 2
    _no_raw_controls(refused.stderr)
    assert "\\u001b[31m" in refused.stderr


def _user_add(url: str, email: str, name: str) -> subprocess.CompletedProcess[str]:
    command = [SPINESTEP, "user", "add", email, "--name", name, "--role", "clinician"]
    return subprocess.run(
        [*command, "--password-stdin"],
        env=coach_env(url),
        input="a-long-test-password\n",
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_user_add_refuses_an_email_with_an_escape(url: str) -> None:
    refused = _user_add(url, "eve\x1b[31m@home.example", "Eve")
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert refused.stderr.startswith("email: ")
    _no_raw_controls(refused.stdout + refused.stderr)


def test_user_add_refuses_a_name_with_an_escape(url: str) -> None:
    refused = _user_add(url, "eve@home.example", HOSTILE)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert refused.stderr.startswith("display_name: ")
