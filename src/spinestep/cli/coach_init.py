"""``spinestep init``: set up a profile and programme, refusing to start without clearance."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from spinestep.cli.coach_prompts import InputClosedError, Prompter, saving_shielded
from spinestep.cli.coach_render import decision_panel, today_panel
from spinestep.cli.coach_wiring import LOCAL, errors, new_console, services
from spinestep.domain.model import DirectionalPreference, EmergencyNumber
from spinestep.domain.redflags import flags_for_onboarding
from spinestep.errors import Conflict, InvalidInput
from spinestep.protocols import builtin_protocols, load_builtin
from spinestep.services import onboarding, programme
from spinestep.services.records import OutcomeMeasure


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
    outcome_measure: Annotated[
        OutcomeMeasure,
        typer.Option(
            "--outcome-measure",
            help="The disability questionnaire your clinician chose, asked at the start and "
            "every 2 weeks: odi (Oswestry) or rmdq (Roland-Morris).",
        ),
    ] = OutcomeMeasure.ODI,
    psfs: Annotated[
        bool,
        typer.Option(
            "--psfs/--no-psfs",
            help="Also ask the Patient-Specific Functional Scale every 2 weeks.",
        ),
    ] = False,
    add: Annotated[
        bool, typer.Option("--add", help="Add another profile even if one exists.")
    ] = False,
) -> None:
    """Set up your profile and programme: clearance, direction, start stage, time zone,
    emergency number and the onboarding red-flag questions."""
    console = new_console()
    ask = Prompter(console, allow_stop=False)
    with errors(), services() as ctx:
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
        data = replace(data, outcome_measure=outcome_measure, psfs_enabled=psfs)
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
