"""How the CLI reports an error: one line on standard error."""

from __future__ import annotations

from spinestep.domain.text import terminal_safe
from spinestep.errors import InvalidInput, ScreeningRequired, SpinestepError

#: What to do when a session is refused for want of a fresh safety check.
SCREEN_HINT = "run 'spinestep screen' first"


def error_line(error: SpinestepError) -> str:
    """One line for standard error.

    Invalid input starts with the path of the offending value, as SPEC §3.4 shows
    (``sessions[2].pain_after: must be 0-10``); other errors name the program. A session
    refused for want of a safety check says how to take one. A value quoted from the input
    never sends a control character to the terminal.
    """
    message = terminal_safe(" ".join(str(error).split()))
    if isinstance(error, InvalidInput):
        return message
    if isinstance(error, ScreeningRequired):
        message = f"{message} ({SCREEN_HINT})"
    return f"spinestep: {message}"
