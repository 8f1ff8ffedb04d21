"""The one exception tree of spinestep.

The CLI prints ``str(error)`` on one line and exits non-zero; the web API maps each
class to an HTTP status. Messages never carry pain scores, free text or names.
"""

from __future__ import annotations


class SpinestepError(Exception):
    """Root of every error spinestep raises on purpose."""

    exit_code = 1


class InvalidInput(SpinestepError):
    """Input that breaks a contract.

    ``path`` names the offending value, e.g. ``sessions[2].pain_after``.
    """

    exit_code = 2

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}" if path else problem)


class ProtocolError(SpinestepError):
    """A protocol file that is missing or does not match the schema."""

    exit_code = 2


class NotScorable(InvalidInput):
    """A questionnaire that cannot be scored (e.g. more than two ODI sections missing)."""


class NotFound(SpinestepError):
    """A record that does not exist, or that the caller may not see."""

    exit_code = 3


class PermissionDenied(SpinestepError):
    """The caller may not do this."""

    exit_code = 4


class ProgrammePaused(SpinestepError):
    """No session is offered while a stop or referral awaits a clinician (SPEC §3.5)."""

    exit_code = 5


class ScreeningRequired(SpinestepError):
    """A session sent without a complete safety check taken since the previous session and
    at most 2 hours before (SPEC §3.5); nothing was stored. Stop now is never refused."""

    exit_code = 8


class SessionLimitReached(SpinestepError):
    """A session refused because the patient's local day already holds ``3 × sessions a
    day + 5`` of them: far more than any plan asks (a stop now has its own, larger cap)."""

    exit_code = 9


class MessageLimitReached(SpinestepError):
    """A message refused because its author already sent the most allowed in this clock
    hour (``services.messages``); nothing was stored."""

    exit_code = 9


class Conflict(SpinestepError):
    """The request clashes with what is stored (e.g. a duplicate account)."""

    exit_code = 6


class StorageError(SpinestepError):
    """The database could not be reached or migrated."""

    exit_code = 7


class MotionUnavailable(SpinestepError):
    """The optional motion extra is not installed."""

    exit_code = 2


class MediaError(SpinestepError):
    """A file that is not a readable video or image, or a camera that cannot be opened."""

    exit_code = 2
