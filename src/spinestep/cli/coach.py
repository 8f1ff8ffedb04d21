"""The terminal coach: ``init``, ``screen``, ``today``, ``session``, ``log``, ``history``,
``resume`` and ``start``.

Thin: the use cases live in ``spinestep.services``; this module wires the store in,
asks questions and prints. One patient profile per local database by default (the
first one); ``--patient ID`` picks another. Nothing is logged.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from spinestep.cli.coach_prompts import InputClosedError, Prompter, saving_shielded
from spinestep.cli.coach_render import (
    decision_panel,
    history_table,
    pain_trend,
    today_panel,
)
from spinestep.cli.coach_session import EFFORT_OPTIONS, LOCATION_OPTIONS, GuidedSession
from spinestep.domain.model import DirectionalPreference, Effort, EmergencyNumber, Location
from spinestep.domain.redflags import flags_for_onboarding
from spinestep.errors import Conflict, InvalidInput, NotFound, ProgrammePaused, SpinestepError
from spinestep.protocols import builtin_protocols, load_builtin
from spinestep.services import clinician, onboarding, programme, screening, sessions
from spinestep.services.context import Actor, ServiceContext, SystemClock
from spinestep.services.records import FlagSource
from spinestep.services.views import SessionOutcome, TodayView
from spinestep.settings import load_settings

LOCAL = Actor.local_person()
FAST_ENV = "SPINESTEP_FAST_COUNTDOWN"
INTERRUPTED_EXIT = 130

PatientOption = Annotated[
    int | None,
    typer.Option(
        "--patient",
        help="Patient profile id; by default the first profile in this database.",
        show_default=False,
    ),
]


def _console() -> Console:
    return Console(highlight=False)


@contextmanager
def _services() -> Iterator[ServiceContext]:
    """Open the configured database (SPINESTEP_DATABASE_URL or the local SQLite file)."""
    from spinestep.store import open_store

    engine, uow = open_store(load_settings().resolved_database_url())
    try:
        yield ServiceContext(uow=uow, clock=SystemClock())
    finally:
        engine.dispose()


def _fail(error: SpinestepError) -> NoReturn:
    typer.echo(f"spinestep: {' '.join(str(error).split())}", err=True)
    raise typer.Exit(error.exit_code)


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except SpinestepError as error:
        _fail(error)


def _patient(ctx: ServiceContext, patient: int | None) -> int:
    if patient is not None:
        return patient
    found = programme.first_patient_id(ctx, LOCAL)
    if found is None:
        raise NotFound("there is no profile yet: run 'spinestep init' first")
    return found


def system_time_zone() -> str:
    """The IANA name of this computer's time zone, or UTC when it cannot be told."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        target = str(localtime.resolve())
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    for name in candidates:
        if name:
            try:
                return onboarding.check_time_zone(name)
            except InvalidInput:
                continue
    return "UTC"


# --- init -------------------------------------------------------------------------------


def init_command(
    name: Annotated[
        str | None, typer.Option("--name", help="Name shown on the screen.", show_default=False)
    ] = None,
    cleared: Annotated[
        bool | None,
        typer.Option(
            "--cleared/--not-cleared",
            help="A clinician has examined your back and cleared you for this programme "
            "(asked when not given; the programme never starts without it).",
            show_default=False,
        ),
    ] = None,
    preference: Annotated[
        DirectionalPreference | None,
        typer.Option(
            "--preference",
            help="Directional preference your clinician found (the movement that eases "
            "your symptoms).",
            show_default=False,
        ),
    ] = None,
    protocol: Annotated[
        str | None,
        typer.Option(
            "--protocol",
            help="Programme id (default: lumbar-flexion, or lumbar-extension for an "
            "extension preference).",
            show_default=False,
        ),
    ] = None,
    stage: Annotated[
        int | None,
        typer.Option(
            "--stage",
            help="Start stage (1 unless your clinician said otherwise).",
            show_default=False,
        ),
    ] = None,
    time_zone: Annotated[
        str | None,
        typer.Option(
            "--time-zone",
            help="IANA time zone, e.g. Europe/London (default: this computer's).",
            show_default=False,
        ),
    ] = None,
    emergency_number: Annotated[
        EmergencyNumber | None,
        typer.Option(
            "--emergency-number", help="Local emergency number (default 112).", show_default=False
        ),
    ] = None,
    no_red_flags: Annotated[
        bool,
        typer.Option(
            "--no-red-flags",
            help="Answer 'no' to every onboarding red-flag question without asking "
            "(only when that is true).",
        ),
    ] = False,
    red_flag: Annotated[
        list[str] | None,
        typer.Option(
            "--red-flag",
            help="A red-flag code you answer 'yes' to (repeatable); the others count as 'no'.",
            show_default=False,
        ),
    ] = None,
    add: Annotated[
        bool, typer.Option("--add", help="Add another profile even if one exists.")
    ] = False,
) -> None:
    """Set up your profile and programme: clearance, direction, start stage, time zone,
    emergency number and the onboarding red-flag questions."""
    console = _console()
    ask = Prompter(console, allow_stop=False)
    with _errors(), _services() as ctx:
        existing = programme.first_patient_id(ctx, LOCAL)
        if existing is not None and not add:
            raise Conflict(
                f"a profile already exists (patient {existing}); use 'spinestep today', "
                "or 'spinestep init --add' for another"
            )
        try:
            data = _onboarding_answers(
                console,
                ask,
                name,
                cleared,
                preference,
                protocol,
                stage,
                time_zone,
                emergency_number,
                no_red_flags,
                red_flag or [],
            )
        except InputClosedError:
            console.print("Input ended: nothing was saved.")
            raise typer.Exit(1) from None
        if data is None:
            raise typer.Exit(1)
        with saving_shielded():
            outcome = onboarding.onboard(ctx, LOCAL, data)
        console.print(f"\n[green]Profile saved[/green] (patient {outcome.patient_id}).")
        if outcome.screening is not None and outcome.screening.decision is not None:
            console.print(decision_panel(outcome.screening.decision, data.emergency_number.value))
            return
        console.print(today_panel(programme.today(ctx, LOCAL, outcome.patient_id)))
        console.print("Run 'spinestep session' for a guided session.")


def _onboarding_answers(
    console: Console,
    ask: Prompter,
    name: str | None,
    cleared: bool | None,
    preference: DirectionalPreference | None,
    protocol_id: str | None,
    stage: int | None,
    time_zone: str | None,
    emergency_number: EmergencyNumber | None,
    no_red_flags: bool,
    red_flags: list[str],
) -> onboarding.OnboardingInput | None:
    if cleared is None:
        cleared = ask.yes_no(
            "Has a clinician (physiotherapist or doctor) examined your back and cleared you "
            "for this exercise programme?"
        )
    if not cleared:
        console.print(
            "[bold]spinestep cannot start a programme without a clinician's clearance.[/bold] "
            "Please see a physiotherapist or doctor first; nothing was saved."
        )
        return None
    name = name or ask.text("Your name (as shown on the screen)", "Me")
    if preference is None:
        preference = DirectionalPreference(
            ask.choice(
                "Which movement did your clinician find eases your symptoms?",
                (
                    ("flexion", "bending forward"),
                    ("extension", "bending backward"),
                    ("unknown", "not tested / not sure"),
                ),
                default="unknown",
            )
        )
    if protocol_id is None:
        extension = preference is DirectionalPreference.EXTENSION
        protocol_id = "lumbar-extension" if extension else "lumbar-flexion"
    if protocol_id not in builtin_protocols():
        raise InvalidInput("--protocol", f"unknown programme '{protocol_id}'")
    definition = load_builtin(protocol_id)
    if stage is None:
        options = tuple((str(s.number), f"{s.id}: {s.title}") for s in definition.stages)
        console.print(f"Stages of {definition.title}:")
        stage = int(
            ask.choice("Start stage (1 unless your clinician said otherwise)", options, "1")
        )
    if time_zone is None:
        time_zone = ask.text("Your time zone (IANA name)", system_time_zone())
    if emergency_number is None:
        emergency_number = EmergencyNumber(
            ask.choice(
                "Local emergency number",
                (("112", "Europe and most countries"), ("999", "UK"), ("911", "North America")),
                default="112",
            )
        )
    answers: dict[str, bool]
    if red_flags or no_red_flags:
        answers = {flag.code: flag.code in red_flags for flag in flags_for_onboarding()}
        unknown = sorted(set(red_flags) - set(answers))
        if unknown:
            raise InvalidInput("--red-flag", f"unknown red flag code '{unknown[0]}'")
    else:
        console.print("\n[bold]Safety questions[/bold] (answer y or n)")
        answers = {flag.code: ask.yes_no(flag.question) for flag in flags_for_onboarding()}
    return onboarding.OnboardingInput(
        display_name=name,
        time_zone=time_zone,
        clearance=True,
        emergency_number=emergency_number,
        protocol_id=protocol_id,
        start_stage=stage,
        directional_preference=preference,
        red_flag_answers=answers,
    )


# --- screen, today ----------------------------------------------------------------------


def screen_command(patient: PatientOption = None) -> None:
    """Answer the red-flag questions now (those asked before every session, and the
    monthly ones when due)."""
    console = _console()
    ask = Prompter(console, allow_stop=False)
    with _errors(), _services() as ctx:
        patient_id = _patient(ctx, patient)
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


def today_command(
    patient: PatientOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a panel.")] = False,
) -> None:
    """Show what to do today: stage, instructions, dose, sessions done, last decision."""
    with _errors(), _services() as ctx:
        view = programme.today(ctx, LOCAL, _patient(ctx, patient))
    if as_json:
        typer.echo(json.dumps(_today_json(view), ensure_ascii=False))
        return
    _console().print(today_panel(view))


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
    console = _console()
    with _errors(), _services() as ctx:
        patient_id = _patient(ctx, patient)
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


def _int_option(option: str, text: str, low: int, high: int) -> int:
    stripped = text.strip()
    if not stripped.isdigit() or not low <= int(stripped) <= high:
        raise InvalidInput(option, f"must be a whole number {low}-{high}, got '{text}'")
    return int(stripped)


def _location_option(option: str, text: str) -> Location:
    if text not in Location.codes():
        raise InvalidInput(option, f"must be one of {', '.join(Location.codes())}, got '{text}'")
    return Location.from_code(text)


def _at_option(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        at = None
    if at is None or at.utcoffset() is None:
        raise InvalidInput(
            "--at", "must be a timestamp with an offset, e.g. 2026-11-20T08:00:00+01:00"
        )
    return at


_OPTION_OF_FIELD = {
    "pain_before": "--pain-before",
    "pain_during": "--pain-during",
    "pain_after": "--pain-after",
    "reps": "--reps",
    "at": "--at",
}
_LOCATIONS_HELP = "one of " + ", ".join(code for code, _ in LOCATION_OPTIONS)
_EFFORT_HELP = "one of " + ", ".join(code for code, _ in EFFORT_OPTIONS)


def log_command(
    pain_before: Annotated[
        str, typer.Option("--pain-before", help="Pain before, 0-10.", show_default=False)
    ],
    pain_during: Annotated[
        str, typer.Option("--pain-during", help="Worst pain during, 0-10.", show_default=False)
    ],
    pain_after: Annotated[
        str,
        typer.Option("--pain-after", help="Pain about 5 minutes after, 0-10.", show_default=False),
    ],
    location_before: Annotated[
        str,
        typer.Option(
            "--location-before",
            help=f"Where symptoms reached before: {_LOCATIONS_HELP}.",
            show_default=False,
        ),
    ],
    location_after: Annotated[
        str,
        typer.Option(
            "--location-after",
            help=f"Where symptoms reached after: {_LOCATIONS_HELP}.",
            show_default=False,
        ),
    ],
    effort: Annotated[
        str, typer.Option("--effort", help=f"How hard it was: {_EFFORT_HELP}.", show_default=False)
    ],
    reps: Annotated[
        str | None,
        typer.Option("--reps", help="Repetitions done (default: the dose).", show_default=False),
    ] = None,
    not_completed: Annotated[
        bool, typer.Option("--not-completed", help="The session was not completed.")
    ] = False,
    stopped_early: Annotated[
        bool,
        typer.Option(
            "--stopped-early",
            help="Stopped early because symptoms spread or got worse (implies --not-completed).",
        ),
    ] = False,
    at: Annotated[
        str | None,
        typer.Option("--at", help="When, RFC 3339 with offset (default: now).", show_default=False),
    ] = None,
    patient: PatientOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Record a session from options, without prompts (for scripts); prints the decision."""
    with _errors():
        if effort not in {e.value for e in Effort}:
            raise InvalidInput("--effort", f"must be {_EFFORT_HELP}, got '{effort}'")
        entry = sessions.SessionInput(
            effort=Effort(effort),
            pain_before=_int_option("--pain-before", pain_before, 0, 10),
            pain_during=_int_option("--pain-during", pain_during, 0, 10),
            pain_after=_int_option("--pain-after", pain_after, 0, 10),
            location_before=_location_option("--location-before", location_before),
            location_after=_location_option("--location-after", location_after),
            completed=not (not_completed or stopped_early),
            reps=None if reps is None else _int_option("--reps", reps, 0, sessions.MAX_REPS),
            at=_at_option(at),
            stopped_early=stopped_early,
        )
        with _services() as ctx:
            patient_id = _patient(ctx, patient)
            if entry.reps is None:
                dose_reps = programme.today(ctx, LOCAL, patient_id).dose.reps
                entry = replace(entry, reps=dose_reps if entry.completed else 0)
            try:
                with saving_shielded():
                    outcome = sessions.record_session(ctx, LOCAL, patient_id, entry)
            except InvalidInput as error:
                raise InvalidInput(
                    _OPTION_OF_FIELD.get(error.path, error.path), error.problem
                ) from None
    _print_outcome(outcome, as_json)


def _print_outcome(outcome: SessionOutcome, as_json: bool) -> None:
    if as_json:
        data = {
            **outcome.decision.to_json(),
            "session": outcome.session.to_json(),
            "paused": outcome.paused,
            "stage_before": outcome.stage_before,
            "stage_after": outcome.stage_after,
        }
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    console = _console()
    console.print(f"Saved session {outcome.session.id}.")
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
    """Show past sessions with their decisions, and the pain trend drawn in the terminal."""
    with _errors(), _services() as ctx:
        since = None if days is None else ctx.clock.now() - timedelta(days=days)
        view = programme.history(ctx, LOCAL, _patient(ctx, patient), since=since)
    if as_json:
        data = {
            "patient_id": view.patient_id,
            "time_zone": view.time_zone,
            "sessions": [s.to_json() for s in view.sessions],
            "decisions": [d.to_json() for d in view.decisions],
        }
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    console = _console()
    console.print(history_table(view))
    pain_trend(view, console)


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
    console = _console()
    ask = Prompter(console, allow_stop=False)
    with _errors(), _services() as ctx:
        patient_id = _patient(ctx, patient)
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
    with _errors(), _services() as ctx:
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
