"""The guided session of the terminal coach.

Red-flag check, pain and location before, each repetition with a hold countdown (the
patient's dose: ``instructions.countdown_hold_s``), the worst pain during, a rest of
5 minutes the patient may skip (Enter or ``s``), the pain now after resting, location and
effort; then one save and the decision. "Stop now" is offered at every step and records
a not-completed session at once. Nothing is written for the session until the single
save at the end, so Ctrl-C leaves nothing half-saved. The countdowns read a ``Timer``
(the real clock, or a fake one in tests).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from spinestep.cli.coach_check import run_check
from spinestep.cli.coach_prompts import (
    STOP_HINT,
    Prompter,
    StopRequestedError,
    saving_shielded,
    stop_typed,
    typed_line,
)
from spinestep.cli.coach_render import dose_text, today_panel
from spinestep.domain.model import Dose, Effort, Location
from spinestep.services import sessions
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.instructions import REST_BEFORE_PAIN_AFTER_S, countdown_hold_s
from spinestep.services.views import SessionOutcome, TodayView

LOCATION_OPTIONS = (
    ("none", "no symptoms"),
    ("back", "in the back only"),
    ("buttock", "down to the buttock"),
    ("thigh", "down to the thigh"),
    ("below_knee", "below the knee"),
    ("foot", "down to the foot"),
)
EFFORT_OPTIONS = (
    ("easy", "easy"),
    ("moderate", "moderate"),
    ("hard", "hard"),
)
MOVE_S = 2.0
TICK_S = 0.1
REST_S = float(REST_BEFORE_PAIN_AFTER_S)
PAIN_AFTER_QUESTION = "How bad is your pain now, after resting?"


class Timer(Protocol):
    """What the countdowns need of a clock: read it, and wait."""

    def monotonic(self) -> float: ...
    def sleep(self, seconds: float) -> None: ...


class SystemTimer:
    """The real monotonic clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass
class _Answers:
    pain_before: int | None = None
    location_before: Location | None = None
    reps_done: int = 0
    pain_during: int | None = None


class GuidedSession:
    def __init__(
        self,
        ctx: ServiceContext,
        actor: Actor,
        patient_id: int,
        console: Console,
        fast: bool,
        timer: Timer | None = None,
    ) -> None:
        self.ctx = ctx
        self.actor = actor
        self.patient_id = patient_id
        self.console = console
        self.fast = fast
        self.timer: Timer = timer or SystemTimer()
        self.ask = Prompter(console)
        self.answers = _Answers()

    def run(self, today: TodayView) -> SessionOutcome | None:
        """Run the session; None when a red flag ended it before the exercises."""
        self.console.print(today_panel(today))
        self.console.print(f"[bold]At any question, type {STOP_HINT}.[/bold]")
        try:
            if not self._red_flag_check():
                return None
            return self._exercise(today.dose)
        except StopRequestedError:
            return self._stop_now()

    def _red_flag_check(self) -> bool:
        self.console.print("\n[bold]Quick safety check[/bold] (answer y or n)")
        outcome = run_check(self.ctx, self.actor, self.patient_id, self.console, self.ask)
        return outcome.clear

    def _location(self, question: str) -> Location:
        return Location.from_code(self.ask.choice(question, LOCATION_OPTIONS))

    def _exercise(self, dose: Dose) -> SessionOutcome:
        a = self.answers
        self.console.print("\n[bold]Before you start[/bold]")
        a.pain_before = self.ask.integer("Pain now, before the exercises", 0, 10)
        a.location_before = self._location("Where do the symptoms reach now?")
        self.console.print(f"\nToday's dose: {dose_text(dose)}.")
        self.console.print(
            "The first 2-3 repetitions gently; the last few to the end of comfortable range."
        )
        self.ask.enter("Press Enter to start")
        self.repetitions(dose)
        self.console.print("\n[bold]How did it go?[/bold]")
        a.pain_during = self.ask.integer("Worst pain during the exercises", 0, 10)
        self.rest()
        pain_after = self.ask.integer(PAIN_AFTER_QUESTION, 0, 10)
        location_after = self._location("Where do the symptoms reach now?")
        effort = Effort(self.ask.choice("How hard was it?", EFFORT_OPTIONS))
        entry = sessions.SessionInput(
            effort=effort,
            pain_before=a.pain_before,
            pain_during=a.pain_during,
            pain_after=pain_after,
            location_before=a.location_before,
            location_after=location_after,
            completed=True,
            reps=a.reps_done,
        )
        return self._save(
            lambda: sessions.record_session(self.ctx, self.actor, self.patient_id, entry)
        )

    def repetitions(self, dose: Dose) -> None:
        """Each repetition: move into position, hold for the patient's hold, back."""
        hold_s = float(countdown_hold_s(dose))
        for number in range(1, dose.reps + 1):
            gentle = " (gently)" if number <= 3 else ""
            self._countdown(f"Repetition {number}/{dose.reps}{gentle}: move into position", MOVE_S)
            self._countdown(f"Repetition {number}/{dose.reps}: HOLD {hold_s:.0f} s", hold_s)
            self._countdown(f"Repetition {number}/{dose.reps}: back to the start", MOVE_S)
            self.answers.reps_done = number
            if self.fast:
                self.console.print(f"Repetition {number}/{dose.reps} done")

    def rest(self) -> None:
        """Rest before the pain-after question; Enter or ``s`` skips the rest."""
        self.console.print(
            f"\nRest for {REST_S / 60:.0f} minutes, then we ask about your pain now. "
            "Press Enter (or type s and Enter) to skip the rest; type stop if your "
            "symptoms are spreading or getting worse."
        )
        if self._countdown("Resting", REST_S, skippable=True):
            self.console.print("Rest skipped.")

    def _countdown(self, label: str, seconds: float, *, skippable: bool = False) -> bool:
        """Count ``seconds`` down; True when the person skipped it (``skippable`` only)."""
        if self.fast:
            return self._typed(skippable)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[left]:.0f} s"),
            console=self.console,
            transient=True,
        ) as progress:
            task = progress.add_task(label, total=seconds, left=seconds)
            start = self.timer.monotonic()
            while (elapsed := self.timer.monotonic() - start) < seconds:
                progress.update(task, completed=elapsed, left=max(seconds - elapsed, 0.0) + 0.5)
                if self._typed(skippable):
                    return True
                self.timer.sleep(min(TICK_S, seconds - elapsed))
        return False

    def _typed(self, skippable: bool) -> bool:
        """What a line typed during a countdown means: stop now, or skip a skippable one."""
        if not skippable:
            if stop_typed():
                raise StopRequestedError
            return False
        line = typed_line()
        if line is None:
            return False
        if line.strip().lower() == "stop":
            raise StopRequestedError
        return True

    def _stop_now(self) -> SessionOutcome:
        """Ask only what is still missing, then record a not-completed session."""
        a = self.answers
        self.console.print(
            "\n[bold red]Stopping now.[/bold red] A few quick questions, then we save."
        )
        ask = Prompter(self.console, allow_stop=False)
        if a.pain_before is None:
            a.pain_before = ask.integer("Pain before you started", 0, 10)
        if a.location_before is None:
            a.location_before = Location.from_code(
                ask.choice("Where did the symptoms reach before you started?", LOCATION_OPTIONS)
            )
        pain_now = ask.integer("Pain now", 0, 10)
        location_now = Location.from_code(
            ask.choice("Where do the symptoms reach now?", LOCATION_OPTIONS)
        )
        report = sessions.StopNowInput(
            pain_before=a.pain_before,
            pain_now=max(pain_now, a.pain_during or 0),
            location_before=a.location_before,
            location_now=location_now,
            reps_done=a.reps_done,
        )
        return self._save(lambda: sessions.stop_now(self.ctx, self.actor, self.patient_id, report))

    def _save(self, save: Callable[[], SessionOutcome]) -> SessionOutcome:
        with saving_shielded():
            outcome: SessionOutcome = save()
        self.console.print("\n[green]Saved.[/green]")
        return outcome
