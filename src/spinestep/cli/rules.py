"""``spinestep decide`` and ``spinestep protocols ...``: the decision rules and the programmes.

Thin: parsing, rules and protocol checks live in ``spinestep.domain``; this module reads
files, prints results and turns errors into one line on standard error with exit status 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from spinestep.cli.output import error_line
from spinestep.domain.decide_request import parse_decide_json
from spinestep.domain.model import EmergencyNumber, ProtocolDefinition
from spinestep.domain.protocol import protocol_to_json
from spinestep.domain.rules import decide
from spinestep.errors import InvalidInput, SpinestepError
from spinestep.protocols import builtin_protocols, load_builtin, load_file


def decide_text(text: str | bytes, emergency_number: str = EmergencyNumber.EU.value) -> str:
    """The whole ``spinestep decide`` path: parse, validate, order, decide, serialise."""
    request = parse_decide_json(text, builtin_protocols(), emergency_number)
    return json.dumps(decide(request).to_json(), ensure_ascii=False)


def _fail(error: SpinestepError) -> typer.Exit:
    typer.echo(error_line(error), err=True)
    return typer.Exit(error.exit_code)


def _read_input(file: str) -> bytes:
    if file == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(file).read_bytes()
    except OSError as error:
        raise InvalidInput("FILE", f"cannot read {file}: {error.strerror or error}") from None


def decide_command(
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE",
            help="JSON file with the decision input (SPEC §3.4); '-' or nothing reads "
            "standard input.",
            show_default=False,
        ),
    ] = "-",
    emergency_number: Annotated[
        EmergencyNumber,
        typer.Option(
            "--emergency-number",
            help="Local emergency number given in emergency messages.",
        ),
    ] = EmergencyNumber.EU,
) -> None:
    """Decide what the patient does next: one JSON object in, one JSON object out.

    Invalid input exits with status 2 and one line on standard error naming the
    offending value, e.g. sessions[2].pain_after.
    """
    try:
        output = decide_text(_read_input(file), emergency_number.value)
    except SpinestepError as error:
        raise _fail(error) from None
    typer.echo(output)


protocols_app = typer.Typer(
    help="List, show and check exercise programmes (protocol files).",
    no_args_is_help=True,
)


@protocols_app.command("list")
def list_command(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON list instead of a table.")
    ] = False,
) -> None:
    """List the built-in programmes."""
    protocols = builtin_protocols()
    if as_json:
        rows = [
            {
                "id": p.id,
                "title": p.title,
                "direction": p.direction.value,
                "stages": len(p.stages),
            }
            for p in protocols.values()
        ]
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    for protocol in protocols.values():
        typer.echo(
            f"{protocol.id}\t{protocol.direction.value}\t{len(protocol.stages)} stages\t"
            f"{protocol.title}"
        )


@protocols_app.command("show")
def show_command(
    protocol_id: Annotated[
        str,
        typer.Argument(
            metavar="ID",
            help="Protocol id, as listed by 'spinestep protocols list'.",
            show_default=False,
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the protocol as JSON.")] = False,
) -> None:
    """Show a built-in programme: its stages, instructions and dose."""
    try:
        protocol = load_builtin(protocol_id)
    except SpinestepError as error:
        raise _fail(error) from None
    if as_json:
        typer.echo(json.dumps(protocol_to_json(protocol), ensure_ascii=False, indent=2))
        return
    typer.echo(_readable(protocol))


@protocols_app.command("validate")
def validate_command(
    file: Annotated[
        Path,
        typer.Argument(metavar="FILE", help="Protocol file (YAML) to check.", show_default=False),
    ],
) -> None:
    """Check a protocol file; problems name the field and the line."""
    try:
        protocol = load_file(file)
    except SpinestepError as error:
        raise _fail(error) from None
    typer.echo(f"valid: {protocol.id} ({len(protocol.stages)} stages)")


def _readable(protocol: ProtocolDefinition) -> str:
    lines = [f"{protocol.title} [{protocol.id}]", f"Direction: {protocol.direction.value}"]
    if protocol.description:
        lines += ["", protocol.description]
    for stage in protocol.stages:
        dose = stage.dose
        hold = (
            f"{dose.hold_s_min} s"
            if dose.hold_s_min == dose.hold_s_max
            else f"{dose.hold_s_min}-{dose.hold_s_max} s"
        )
        lines += [
            "",
            f"Stage {stage.number}: {stage.title} ({stage.id})",
            f"  Dose: {dose.reps} x hold {hold}, {dose.sessions_per_day} sessions a day",
        ]
        lines += [f"  - {line}" for line in stage.instructions]
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    """Add ``decide`` and the ``protocols`` group to the application."""
    app.command("decide")(decide_command)
    app.add_typer(protocols_app, name="protocols")
