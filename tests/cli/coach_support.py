"""Helpers for the terminal-coach tests: a database, the installed command, pexpect."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pexpect

from spinestep.services import onboarding, screening
from spinestep.services.context import Actor, ServiceContext, SystemClock
from spinestep.store import open_store

SPINESTEP = str(Path(sys.executable).parent / "spinestep")
YES_NO = r"\(y/n\)"


def coach_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPINESTEP_")}
    env.update(
        {
            "SPINESTEP_DATABASE_URL": url,
            "TERM": "dumb",
            "COLUMNS": "120",
            "NO_COLOR": "1",
            "PYTHONWARNINGS": "ignore",
        }
    )
    return env


@contextmanager
def services(url: str) -> Iterator[ServiceContext]:
    engine, uow = open_store(url)
    try:
        yield ServiceContext(uow=uow, clock=SystemClock())
    finally:
        engine.dispose()


def make_profile(url: str, time_zone: str = "Europe/London", number: str = "112") -> int:
    from spinestep.domain.model import EmergencyNumber

    with services(url) as ctx:
        return onboarding.onboard(
            ctx,
            Actor.local_person(),
            onboarding.OnboardingInput(
                "Ann", time_zone, clearance=True, emergency_number=EmergencyNumber(number)
            ),
        ).patient_id


def screen_now(url: str, patient_id: int) -> None:
    """Answer "no" to every safety question due now, as 'spinestep screen' would save it,
    so that a session may follow (SPEC §3.5)."""
    me = Actor.local_person()
    with services(url) as ctx:
        due = screening.session_questions(ctx, me, patient_id)
        screening.record_screening(ctx, me, patient_id, {flag.code: False for flag in due})


def interruptible() -> None:
    """Run in the child before it starts: Ctrl-C (SIGINT) back to its default.

    A command typed at a terminal gets SIGINT's default disposition, so Python turns it
    into KeyboardInterrupt. A test run started in the background of a script (``cmd &``)
    ignores SIGINT, every child inherits that, and Python then leaves it ignored: the
    Ctrl-C tests would wait for an interrupt that never comes.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def spawn(url: str, *args: str) -> pexpect.spawn:
    return pexpect.spawn(
        SPINESTEP,
        list(args),
        env=coach_env(url),
        encoding="utf-8",
        timeout=30,
        dimensions=(50, 120),
        preexec_fn=interruptible,
    )


def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SPINESTEP, *args], env=coach_env(url), capture_output=True, text=True, timeout=60
    )


def answer_safety_questions(child: pexpect.spawn, yes_to: str | None = None) -> None:
    """Answer 'n' to each safety question, 'y' to the one containing ``yes_to``."""
    child.expect("Quick safety check")
    while True:
        index = child.expect([YES_NO, "Pain now, before", "Do not exercise now"])
        if index > 0:
            return
        question = child.before or ""
        child.sendline("y" if yes_to is not None and yes_to in question else "n")


def start_repetitions(child: pexpect.spawn, pain_before: int, location_before: str) -> None:
    """Answer the opening of a guided session (safety check, pain and location before), then
    press Enter to start the repetitions."""
    answer_safety_questions(child)
    child.sendline(str(pain_before))
    child.expect("Where do the symptoms reach now")
    child.sendline(location_before)
    child.expect("Press Enter to start")
    child.sendline("")


def finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    status: int | None = child.exitstatus
    if status is None:
        status = -(child.signalstatus or 0)
    return status
