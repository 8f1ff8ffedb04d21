"""The safety check of the terminal coach (SPEC §4), for ``screen`` and ``session``.

Before the first session of the local day each every-session question is asked on its
own; later that day one question lists them all, and its "yes" asks them one by one.
Monthly and onboarding questions that are due follow, one by one. The first "yes" ends
the questions at once: it is saved, and what to do is shown, most urgent first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console

from spinestep.cli.coach_prompts import Prompter, saving_shielded
from spinestep.cli.coach_render import decision_panel
from spinestep.domain.redflags import RedFlag
from spinestep.services import programme, screening
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.records import FlagSource
from spinestep.services.screening import DueScreening, ScreeningForm, ScreeningOutcome

FULL_INTRO = "First check of the day: each question on its own."
COMBINED_INTRO = "You have done a session today. One question covers these:"


@dataclass
class CheckAnswers:
    """What was answered; ``none_started`` is a "no" to the combined question."""

    answers: dict[str, bool] = field(default_factory=dict)
    none_started: bool = False

    @property
    def flagged(self) -> bool:
        return any(self.answers.values())


def _one_by_one(ask: Prompter, flags: tuple[RedFlag, ...], into: CheckAnswers) -> None:
    """Ask each question; stop at the first "yes"."""
    for flag in flags:
        into.answers[flag.code] = ask.yes_no(flag.question)
        if into.answers[flag.code]:
            return


def ask_check(ask: Prompter, console: Console, due: DueScreening) -> CheckAnswers:
    """Ask the questions due in their form (StopRequestedError and InputClosedError pass)."""
    taken = CheckAnswers()
    if due.form is ScreeningForm.COMBINED:
        console.print(COMBINED_INTRO)
        for flag in due.every_session:
            console.print(f"  - {flag.question}")
        if ask.yes_no(screening.COMBINED_QUESTION):
            console.print("Which one? Each question on its own:")
            _one_by_one(ask, due.every_session, taken)
            if not taken.flagged:
                console.print("  None of them was a yes: the answers are saved as given.")
        else:
            taken.none_started = True
    else:
        console.print(FULL_INTRO)
        _one_by_one(ask, due.every_session, taken)
    if not taken.flagged:
        _one_by_one(ask, due.also_due, taken)
    return taken


def run_check(
    ctx: ServiceContext, actor: Actor, patient_id: int, console: Console, ask: Prompter
) -> ScreeningOutcome:
    """Ask, save, and on a "yes" show what to do now (the decision, most urgent first)."""
    due = screening.due_screening(ctx, actor, patient_id)
    taken = ask_check(ask, console, due)
    with saving_shielded():
        outcome = screening.record_screening(
            ctx,
            actor,
            patient_id,
            taken.answers,
            FlagSource.SESSION,
            none_started=taken.none_started,
        )
    if not outcome.clear:
        console.print("\n[bold red]Do not exercise now.[/bold red]")
        if outcome.decision is not None:
            number = programme.today(ctx, actor, patient_id).emergency_number
            console.print(decision_panel(outcome.decision, number))
    return outcome
