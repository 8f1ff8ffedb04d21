"""The guided session's countdowns: the patient's hold, the rest before "pain now", and
the message after a stop-now that shows no worsening.

The countdown lengths are checked with a fake timer in the process (no wall time); the
rest and the stop-now go through the real prompts with pexpect.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import pexpect
import pytest
from rich.console import Console

from spinestep.cli.coach_session import MOVE_S, REST_S, GuidedSession
from spinestep.domain.model import Dose
from spinestep.services import clinician, programme
from spinestep.services.context import Actor
from tests.cli.coach_support import finish, make_profile, services, spawn, start_repetitions

LOCAL = Actor.local_person()


@dataclass
class FakeTimer:
    """A clock that moves only when slept on; remembers every sleep."""

    now_s: float = 0.0
    slept_s: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now_s

    def sleep(self, seconds: float) -> None:
        self.slept_s.append(seconds)
        self.now_s += seconds


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'coach.db'}"


def _guided(url: str, patient_id: int, timer: FakeTimer) -> tuple[GuidedSession, Dose]:
    with services(url) as ctx:
        dose = programme.today(ctx, LOCAL, patient_id).dose
        console = Console(file=io.StringIO(), force_terminal=False)
        return GuidedSession(ctx, LOCAL, patient_id, console, fast=False, timer=timer), dose


def test_a_clinicians_hold_of_3_to_5_s_makes_each_hold_count_5_s(url: str) -> None:
    patient_id = make_profile(url)
    with services(url) as ctx:
        hold = Dose(reps=2, hold_s_min=3, hold_s_max=5, sessions_per_day=5)
        clinician.adjust(ctx, LOCAL, patient_id, doses={1: hold})
    timer = FakeTimer()
    guided, dose = _guided(url, patient_id, timer)
    assert (dose.hold_s_min, dose.hold_s_max) == (3, 5)
    guided.repetitions(dose)
    # Each repetition: move in (2 s), hold, back (2 s). Two repetitions took 18 s.
    per_rep_s = timer.now_s / 2
    hold_s = per_rep_s - 2 * MOVE_S
    assert hold_s == pytest.approx(5.0)
    assert 3 <= round(hold_s, 6) <= 5
    assert guided.answers.reps_done == 2


def test_the_protocol_hold_of_1_to_2_s_counts_2_s(url: str) -> None:
    patient_id = make_profile(url)
    timer = FakeTimer()
    guided, dose = _guided(url, patient_id, timer)
    assert (dose.reps, dose.hold_s_min, dose.hold_s_max) == (10, 1, 2)  # SPEC §2
    guided.repetitions(dose)
    assert timer.now_s == pytest.approx(10 * (2 * MOVE_S + 2.0))


def test_the_rest_counts_five_minutes_when_not_skipped(url: str) -> None:
    patient_id = make_profile(url)
    timer = FakeTimer()
    guided, _ = _guided(url, patient_id, timer)
    guided.rest()
    assert REST_S == 300.0
    assert timer.now_s == pytest.approx(300.0)
    assert max(timer.slept_s) <= 0.1  # the countdown stays responsive to a skip


def test_the_rest_before_the_pain_now_question_can_be_skipped(url: str) -> None:
    patient_id = make_profile(url)
    with services(url) as ctx:
        quick = Dose(reps=1, hold_s_min=0, hold_s_max=0, sessions_per_day=5)
        clinician.adjust(ctx, LOCAL, patient_id, doses={1: quick})
    child = spawn(url, "session")  # real countdowns: one repetition, no hold
    start_repetitions(child, 3, "thigh")
    child.expect("Worst pain during")
    child.sendline("3")
    child.expect("Rest for 5 minutes")
    child.expect("Enter")
    child.sendline("")
    child.expect("Rest skipped")
    child.expect(r"How bad is your pain now, after resting\?")
    child.sendline("2")
    child.expect("Where do the symptoms reach now")
    child.sendline("buttock")
    child.expect("How hard was it")
    child.sendline("easy")
    child.expect("Saved")
    assert finish(child) == 0
    with services(url) as ctx, ctx.uow() as uow:
        (session,) = uow.sessions.for_patient(patient_id)
    assert (session.pain_during, session.pain_after, session.reps) == (3, 2, 1)


def test_stop_now_without_worsening_shows_the_rest_message_of_the_decision(url: str) -> None:
    patient_id = make_profile(url)
    child = spawn(url, "session", "--fast")
    start_repetitions(child, 2, "back")
    child.expect("Worst pain during")
    child.sendline("stop")
    child.expect("Pain now")
    child.sendline("2")  # no worse than before
    child.expect("Where do the symptoms reach now")
    child.sendline("back")  # no further than before
    child.expect("Saved")
    child.expect(pexpect.EOF)
    shown = " ".join((child.before or "").split())  # the panel wraps lines
    child.close()
    assert child.exitstatus == 0
    # R9 for a session stopped early (SPEC §3.3): rest now, try the next one only if no worse.
    assert "Rest now. Try your next session only if your symptoms are no worse" in " ".join(
        part.strip(" │") for part in shown.split("│")
    )
    assert "carry on" not in shown.lower()
    with services(url) as ctx, ctx.uow() as uow:
        (decision,) = uow.decisions.for_patient(patient_id)
    assert [r["rule"] for r in decision.reasons] == ["R9"]
