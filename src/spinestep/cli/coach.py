"""The terminal coach: ``screen``, ``today``, ``session``, ``history``, ``resume``, ``start``;
``init`` lives in ``coach_init`` and ``log`` in ``coach_log``.

Thin: the use cases live in ``spinestep.services``; this module wires the store in,
asks questions and prints. One patient profile per local database by default (the
first one); ``--patient ID`` picks another. Nothing is logged.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

import typer

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
from spinestep.errors import ProgrammePaused
from spinestep.services import clinician, programme, screening
from spinestep.services.records import FlagSource
from spinestep.services.views import TodayView

# --- screen, today ----------------------------------------------------------------------


def screen_command(patient: PatientOption = None) -> None:
    """Answer the red-flag questions now (those asked before every session, and the
    monthly ones when due)."""
    console = new_console()
    ask = Prompter(console, allow_stop=False)
    with errors(), services() as ctx:
        patient_id = resolve_patient(ctx, patient)
        questions = screening.session_questions(ctx, LOCAL, patient_id)
        try:
            answers = {flag.code: ask.yes_no(flag.question) for flag in questions}
        except InputClosedError:
            console.print("Input ended: nothing was saved.")
            raise typer.Exit(1) from None
        with saving_shielded():
            outcome = screening.record_screening(
                ctx, LOCAL, patient_id, answers, FlagSource.SESSION
            )
        if outcome.clear:
            console.print("[green]No red flags. Saved.[/green]")
            return
        number = programme.today(ctx, LOCAL, patient_id).emergency_number
        if outcome.decision is not None:
            console.print(decision_panel(outcome.decision, number))


def _today_json(view: TodayView) -> dict[str, object]:
    return {
        "patient_id": view.patient_id,
        "local_date": view.local_date.isoformat(),
        "time_zone": view.time_zone,
        "protocol": view.protocol_id,
        "stage": view.stage,
        "stage_id": view.stage_definition.id,
        "dose": view.dose.to_json(),
        "sessions_done_today": view.sessions_done_today,
        "sessions_planned": view.sessions_planned,
        "status": view.status.value,
        "paused": view.paused,
        "paused_reason": view.paused_reason,
        "open_red_flags": list(view.open_red_flags),
        "last_decision": None if view.last_decision is None else view.last_decision.to_json(),
        "emergency_number": view.emergency_number,
    }

        "phase": view.phase.value,
        "instructions": list(view.instructions),
        "current_decision": (
            None if view.current_decision is None else view.current_decision.to_json()
        ),
        "update": None if view.update is None else view.update.to_json(),
        "pause_decision": None if view.pause_decision is None else view.pause_decision.to_json(),
        "adherence_7d_percent": None if view.adherence is None else view.adherence.percent,

def today_command(
    patient: PatientOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a panel.")] = False,
) -> None:
    """Show what to do today: stage, instructions, dose, sessions done, last decision."""
    with errors(), services() as ctx:
        view = programme.today(ctx, LOCAL, resolve_patient(ctx, patient))
    if as_json:
        typer.echo(json.dumps(_today_json(view), ensure_ascii=False))
        return
    new_console().print(today_panel(view))


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
    yes: Annotated[
        bool,
        typer.Option(
            "--yes", help="Confirm without asking that you have seen a clinician since the pause."
        ),
    ] = False,
    note: Annotated[
        str | None,
        typer.Option(
            "--note",
            help="What the clinician said (kept with the resume record).",
            show_default=False,
        ),
    ] = None,
    outcome: Annotated[
        str | None,
        typer.Option(
            "--outcome",
            help="What the clinician found about the open red flags (asked when needed).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Resume a paused programme after you have seen a clinician (recorded with the time)."""
    console = new_console()
    ask = Prompter(console, allow_stop=False)
    with errors(), services() as ctx:
        patient_id = resolve_patient(ctx, patient)
        view = programme.today(ctx, LOCAL, patient_id)
        if not view.paused and not view.open_red_flags:
            console.print("The programme is not paused; nothing to resume.")
            return
        try:
            if not yes and not ask.yes_no(
                "Have you seen a clinician (physiotherapist or doctor) about this since the "
                "programme was paused?"
            ):
                console.print("Please see a clinician first. The programme stays paused.")
                raise typer.Exit(1)
            for flag in clinician.red_flags(ctx, LOCAL, patient_id):
                if flag.resolved_at is None:
                    found = outcome or ask.text(f"What did the clinician find about '{flag.code}'?")
                    clinician.resolve_red_flag(ctx, LOCAL, patient_id, flag.id, found)
            if view.paused:
                text = note or ask.text("What did the clinician say? (a short note)")
                clinician.resume(ctx, LOCAL, patient_id, text)
        except InputClosedError:
            console.print("Input ended: the programme stays paused.")
            raise typer.Exit(1) from None
        console.print("[green]The programme is resumed.[/green]")
        console.print(today_panel(programme.today(ctx, LOCAL, patient_id)))


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
    app.command("today")(today_command)
    app.command("session")(session_command)
    app.command("log")(log_command)
    app.command("history")(history_command)
    app.command("resume")(resume_command)
    app.command("start")(start_command)
