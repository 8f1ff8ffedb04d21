"""``spinestep score``: score a questionnaire, or judge a change, from one JSON object.

Thin: reads the text, hands it to ``spinestep.domain.score_request`` and prints the
result. Invalid or unscorable input raises ``InvalidInput``/``NotScorable``, which the
entry point turns into one line on standard error and exit status 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from spinestep.domain.score_request import decode_json, score_json
from spinestep.errors import InvalidInput

_HELP = (
    "Score an outcome questionnaire, or judge the change between two scores.\n\n"
    "Reads one JSON object from FILE (standard input when FILE is absent or '-') and "
    "writes one JSON object to standard output. Instruments: nprs, odi, rmdq, psfs, "
    "startback; and change, with measure nprs, odi, rmdq or psfs.\n\n"
    'Example: {"instrument": "odi", "answers": [2, 1, 2, 1, 2, 1, 2, null, 2, 3]}\n\n'
    'Example: {"instrument": "change", "measure": "nprs", "baseline": 6, "followup": 3}\n\n'
    "Invalid or unscorable input: exit status 2, nothing on standard output, one line "
    "on standard error naming the offending value."
)


def register(app: typer.Typer) -> None:
    """Add ``spinestep score`` to the application."""
    app.command("score", help=_HELP, short_help="Score a questionnaire or a change (JSON).")(
        score_command
    )


def score_command(
    file: Annotated[
        str | None,
        typer.Argument(
            metavar="FILE",
            help="JSON request file; standard input when absent or '-'.",
            show_default=False,
        ),
    ] = None,
) -> None:
    text = _read_request(file)
    result = score_json(decode_json(text))
    sys.stdout.write(json.dumps(result) + "\n")


def _read_request(file: str | None) -> str:
    if file is None or file == "-":
        buffer = getattr(sys.stdin, "buffer", None)
        if buffer is None:  # a text-only stream (e.g. replaced in tests)
            return sys.stdin.read()
        return _decode(buffer.read(), "standard input")
    try:
        raw = Path(file).read_bytes()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise InvalidInput("FILE", f"cannot read {file!r}: {reason}") from None
    return _decode(raw, repr(file))


def _decode(raw: bytes, source: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("input", f"{source} is not UTF-8 text") from None
