"""``spinestep log``: record a session from options, for scripts; prints the decision.

``--motion ANALYSIS.json`` attaches what ``spinestep analyze --json`` measured (reps,
holds, range of motion). The helpers here are shared with ``analyze --save``
(``cli.motion_save``).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from spinestep.cli.coach_prompts import saving_shielded
from spinestep.cli.coach_render import decision_panel
from spinestep.cli.coach_session import EFFORT_OPTIONS, LOCATION_OPTIONS
from spinestep.cli.coach_wiring import (
    LOCAL,
    PatientOption,
    errors,
    new_console,
    resolve_patient,
    services,
)
from spinestep.domain.model import Effort, Location
from spinestep.errors import InvalidInput
from spinestep.services import programme, sessions
from spinestep.services.motion_metrics import metrics_from_analysis_json
from spinestep.services.views import SessionOutcome


def effort_option(text: str) -> Effort:
    if text not in {e.value for e in Effort}:
        raise InvalidInput("--effort", f"must be {_EFFORT_HELP}, got '{text}'")
    return Effort(text)


def int_option(option: str, text: str, low: int, high: int) -> int:
    stripped = text.strip()
    if not stripped.isdigit() or not low <= int(stripped) <= high:
        raise InvalidInput(option, f"must be a whole number {low}-{high}, got '{text}'")
    return int(stripped)


def location_option(option: str, text: str) -> Location:
    if text not in Location.codes():
        raise InvalidInput(option, f"must be one of {', '.join(Location.codes())}, got '{text}'")
    return Location.from_code(text)


def at_option(text: str | None) -> datetime | None:
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


def read_analysis(path: Path) -> dict[str, Any]:
    """The session metrics of an analysis JSON file written by ``spinestep analyze --json``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problem = getattr(error, "strerror", None) or "not a UTF-8 text file"
        raise InvalidInput("--motion", f"cannot read {path.name}: {problem}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput("--motion", f"{path.name} is not JSON ({error.msg})") from None
    return metrics_from_analysis_json(data)


def option_error(error: InvalidInput, motion_option: str) -> InvalidInput:
    """The service's field name turned into the command-line option that gave it."""
    if error.path == "motion" or error.path.startswith("motion."):
        detail = "" if error.path == "motion" else f"{error.path.removeprefix('motion.')}: "
        return InvalidInput(motion_option, detail + error.problem)
    return InvalidInput(_OPTION_OF_FIELD.get(error.path, error.path), error.problem)


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
    motion: Annotated[
        Path | None,
        typer.Option(
            "--motion",
            help="An analysis written by 'spinestep analyze --json' to keep with the session "
            "(reps, holds, range of motion; --reps defaults to its rep count).",
            show_default=False,
        ),
    ] = None,
    patient: PatientOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Record a session from options, without prompts (for scripts); prints the decision."""
    with errors():
        entry = sessions.SessionInput(
            effort=effort_option(effort),
            pain_before=int_option("--pain-before", pain_before, 0, 10),
            pain_during=int_option("--pain-during", pain_during, 0, 10),
            pain_after=int_option("--pain-after", pain_after, 0, 10),
            location_before=location_option("--location-before", location_before),
            location_after=location_option("--location-after", location_after),
            completed=not (not_completed or stopped_early),
            reps=None if reps is None else int_option("--reps", reps, 0, sessions.MAX_REPS),
            at=at_option(at),
            stopped_early=stopped_early,
            motion=None if motion is None else read_analysis(motion),
        )
        with services() as ctx:
            patient_id = resolve_patient(ctx, patient)
            if entry.reps is None and entry.motion is None:
                dose_reps = programme.today(ctx, LOCAL, patient_id).dose.reps
                entry = replace(entry, reps=dose_reps if entry.completed else 0)
            try:
                with saving_shielded():
                    outcome = sessions.record_session(ctx, LOCAL, patient_id, entry)
            except InvalidInput as error:
                raise option_error(error, "--motion") from None
    _print_outcome(outcome, as_json)


def outcome_json(outcome: SessionOutcome) -> dict[str, object]:
    """The decision (SPEC §3.4 keys) with the saved session and the programme's state."""
    return {
        **outcome.decision.to_json(),
        "session": outcome.session.to_json(),
        "paused": outcome.paused,
        "stage_before": outcome.stage_before,
        "stage_after": outcome.stage_after,
    }


def _print_outcome(outcome: SessionOutcome, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(outcome_json(outcome), ensure_ascii=False))
        return
    console = new_console()
    console.print(f"Saved session {outcome.session.id}.")
    console.print(decision_panel(outcome.decision, outcome.emergency_number))
