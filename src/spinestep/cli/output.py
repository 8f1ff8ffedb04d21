"""How the CLI reports an error: one line on standard error."""

from __future__ import annotations

from spinestep.errors import InvalidInput, SpinestepError


def error_line(error: SpinestepError) -> str:
    """One line for standard error.

    Invalid input starts with the path of the offending value, as SPEC §3.4 shows
    (``sessions[2].pain_after: must be 0-10``); other errors name the program.
    """
    message = " ".join(str(error).split())
    if isinstance(error, InvalidInput):
        return message
    return f"spinestep: {message}"
