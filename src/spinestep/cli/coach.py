"""The terminal coach: ``screen``, ``session``, ``history``, ``resume``, ``start``;
``init`` lives in ``coach_init``, ``log`` in ``coach_log`` and ``today`` in ``coach_today``
(the command run most often, so it imports only what it needs).

Thin: the use cases live in ``spinestep.services``; this module wires the store in,
asks questions and prints. One patient profile per local database by default (the
first one); ``--patient ID`` picks another. Nothing is logged.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

import typer

from spinestep.cli.coach_check import run_check
from spinestep.cli.coach_init import init_command
from spinestep.cli.coach_log import log_command
from spinestep.cli.coach_prompts import InputClosedError, Prompter, saving_shielded
from spinestep.cli.coach_render import (
    decision_panel,
    history_table,
    pain_trend,
    rom_table,
    today_panel,
)
from spinestep.cli.coach_session import GuidedSession
from spinestep.cli.coach_today import today_command
from spinestep.cli.coach_wiring import (
    FAST_ENV,
    INTERRUPTED_EXIT,
    LOCAL,
    PatientOption,
    errors,
    new_console,
    resolve_patient,
    services,
)
from spinestep.errors import InvalidInput, ProgrammePaused
from spinestep.services import clinician, programme
from spinestep.services.assessment import Assessment, parse_assessment
from spinestep.services.context import ServiceContext
from spinestep.services.views import TodayView

# --- screen, today ----------------------------------------------------------------------


def screen_command(patient: PatientOption = None) -> None:
    """Answer the safety questions now: before the first session of the day each on its
    own, later that day one question for them all; the monthly and onboarding ones when
    due. A "yes" ends the questions at once and shows what to do. A session (also 'log')
    needs this check, taken since the last session and at most 2 hours before."""
    console = new_console()
    ask = Prompter(console, allow_stop=False)
    with errors(), services() as ctx:
        patient_id = resolve_patient(ctx, patient)
        try:
            outcome = run_check(ctx, LOCAL, patient_id, console, ask)
        except InputClosedError:
            console.print("Input ended: nothing was saved.")
            raise typer.Exit(1) from None
        if outcome.clear:
            console.print(
                "[green]No red flags. Saved: a session may follow within 2 hours.[/green]"
            )


# --- session, log -----------------------------------------------------------------------


def _refuse_if_not_offered(view: TodayView) -> None:
    if view.paused:
        raise ProgrammePaused(
            f"the programme is paused ({view.paused_reason or 'stopped'}): no sessions until "
            "a clinician has seen you; then run 'spinestep resume'"
        )
    if view.open_red_flags:
        raise ProgrammePaused(
            "a red flag awaits a clinician's review; after seeing one, run 'spinestep resume'"
        )
    if not view.clearance:
        raise ProgrammePaused("the programme has not been cleared by a clinician yet")


def session_command(
    patient: PatientOption = None,
    fast: Annotated[
        bool,
        typer.Option(
            "--fast",
            envvar=FAST_ENV,
            help="Skip the countdown waits (for demonstrations and tests).",
        ),
    ] = False,
) -> None:
    """A guided session: safety check, pain before, each repetition with a hold
    countdown, pain during and after, then the decision and why. Type 's' at any
    question to stop now if your symptoms are spreading or getting worse."""
    console = new_console()
    with errors(), services() as ctx:
        patient_id = resolve_patient(ctx, patient)
        view = programme.today(ctx, LOCAL, patient_id)
        _refuse_if_not_offered(view)
        guided = GuidedSession(ctx, LOCAL, patient_id, console, fast)
        try:
            outcome = guided.run(view)
        except KeyboardInterrupt:
            console.print("\n[bold]Session cancelled: no session was saved.[/bold]")
            raise typer.Exit(INTERRUPTED_EXIT) from None
        except InputClosedError:
            console.print("\nInput ended: no session was saved.")
            raise typer.Exit(1) from None
        if outcome is not None:
            console.print(decision_panel(outcome.decision, outcome.emergency_number))


# --- history, resume, start ---------------------------------------------------------------


def history_command(
    patient: PatientOption = None,
    days: Annotated[
        int | None,
        typer.Option(
            "--days", min=1, help="Only the last N days (default: everything).", show_default=False
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print sessions and decisions as JSON.")
    ] = False,
) -> None:
    """Show past sessions with their decisions and the pain trend drawn in the terminal.

    When sessions were saved from a video, the range of motion per stage and week too.
    """
    with errors(), services() as ctx:
        since = None if days is None else ctx.clock.now() - timedelta(days=days)
        view = programme.history(ctx, LOCAL, resolve_patient(ctx, patient), since=since)
    if as_json:
        data = {
            "patient_id": view.patient_id,
            "time_zone": view.time_zone,
            "sessions": [s.to_json() for s in view.sessions],
            "decisions": [d.to_json() for d in view.decisions],
            "rom_trend": [week.to_json() for week in view.rom_trend],
        }
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    console = new_console()
    console.print(history_table(view))
    pain_trend(view, console)
    rom = rom_table(view)
    if rom is not None:
        console.print(rom)


def resume_command(
    patient: PatientOption = None,
    assessed_by: Annotated[
        str | None,
        typer.Option(
            "--assessed-by",
            help="Who assessed you since the pause, e.g. 'Dr Patel, GP' (asked when left out).",
            show_default=False,
        ),
    ] = None,
    assessed_on: Annotated[
        str | None,
        typer.Option(
            "--assessed-on",
            help="The date of that assessment, YYYY-MM-DD in your time zone: not before the "
            "pause or red flag, not in the future (asked when left out).",
            show_default=False,
        ),
    ] = None,
    told: Annotated[
        str | None,
        typer.Option(
            "--told",
            help="What you were told, e.g. 'safe to restart gently' (asked when left out).",
            show_default=False,
        ),
    ] = None,
    yes: Annotated[
        bool,
        typer.Option(
            "--yes",
            help="Skip only the final 'resume now?' question; the three answers are still "
            "required.",
        ),
    ] = False,
) -> None:
    """Resume a paused programme after a clinician has assessed you: who, when and what
    you were told are all required and kept with the record (open red flags close with
    them)."""
    console = new_console()
    ask = Prompter(console, allow_stop=False)
    with errors(), services() as ctx:
        patient_id = resolve_patient(ctx, patient)
        view = programme.today(ctx, LOCAL, patient_id)
        if not view.paused and not view.open_red_flags:
            console.print("The programme is not paused; nothing to resume.")
            return
        console.print(
            "Resume only after a clinician (a doctor or physiotherapist) has assessed you "
            "and agreed that you may continue."
        )
        try:
            assessment = _ask_assessment(ask, ctx, patient_id, assessed_by, assessed_on, told)
            if not yes and not ask.yes_no("Resume the programme now?"):
                console.print("Nothing was changed. The programme stays paused.")
                raise typer.Exit(1)
        except InputClosedError:
            console.print("Input ended: the programme stays paused.")
            raise typer.Exit(1) from None
        with saving_shielded():
            clinician.resume(ctx, LOCAL, patient_id, assessment=assessment)
        console.print("[green]The programme is resumed.[/green]")
        console.print(today_panel(programme.today(ctx, LOCAL, patient_id)))


def _ask_assessment(
    ask: Prompter,
    ctx: ServiceContext,
    patient_id: int,
    assessed_by: str | None,
    assessed_on: str | None,
    told: str | None,
) -> Assessment:
    """The three answers: from the options, else asked (and asked again while wrong).

    A wrong value given as an option is an error (exit 2), never replaced by a question.
    """
    who = assessed_by if assessed_by is not None else ask.text("Who assessed you?")
    when = assessed_on
    while True:
        if when is None:
            when = ask.text("On which date were you assessed? (YYYY-MM-DD)")
        what = told if told is not None else ask.text("What were you told?")
        try:
            assessment = parse_assessment(who, when, what)
            clinician.check_resume_date(ctx, LOCAL, patient_id, assessment)
        except InvalidInput as error:
            if error.path != "assessed_on" or assessed_on is not None:
                raise
            ask.console.print(f"  The date {error.problem}.")
            when, told = None, what
            continue
        return assessment


def start_command() -> None:
    """Start here: set up a profile if there is none, otherwise show today's plan."""
    with errors(), services() as ctx:
        existing = programme.first_patient_id(ctx, LOCAL)
    if existing is None:
        init_command()
    else:
        today_command(patient=existing)


def register(app: typer.Typer) -> None:
    """Add the coach commands to the application."""
    app.command("init")(init_command)
    app.command("screen")(screen_command)
    app.command("session")(session_command)
    app.command("log")(log_command)
    app.command("history")(history_command)
    app.command("resume")(resume_command)
    app.command("start")(start_command)
