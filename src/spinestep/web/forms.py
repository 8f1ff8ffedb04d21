"""Reading values out of submitted page forms, each problem as one plain sentence."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.datastructures import FormData

from spinestep.domain.model import Effort, Location
from spinestep.errors import InvalidInput
from spinestep.services.password_policy import MAX_PASSWORD_CHARS
from spinestep.services.sessions import SessionInput


def text(form: FormData, name: str, *, max_chars: int = 2000, required: bool = False) -> str:
    value = form.get(name)
    if value is None or not isinstance(value, str):
        value = ""
    value = value.strip()
    if "\x00" in value:
        raise InvalidInput(name, "contains characters that are not allowed")
    if len(value) > max_chars:
        raise InvalidInput(name, f"must be at most {max_chars} characters")
    if required and not value:
        raise InvalidInput(name, "is required")
    return value


def password(form: FormData, name: str, *, required: bool = False) -> str:
    """A password exactly as typed: never stripped (``services.password_policy``)."""
    value = form.get(name)
    if value is None or not isinstance(value, str):
        value = ""
    if len(value) > MAX_PASSWORD_CHARS:
        raise InvalidInput(name, f"must be at most {MAX_PASSWORD_CHARS} characters")
    if required and not value:
        raise InvalidInput(name, "is required")
    return value


def integer(form: FormData, name: str, low: int, high: int, label: str | None = None) -> int:
    raw = text(form, name, max_chars=12)
    what = label or name.replace("_", " ")
    if not raw:
        raise InvalidInput(name, f"choose the {what}")
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(name, f"the {what} must be a whole number {low}-{high}") from None
    if not low <= value <= high:
        raise InvalidInput(name, f"the {what} must be a whole number {low}-{high}")
    return value


def optional_integer(form: FormData, name: str, low: int, high: int) -> int | None:
    if not text(form, name, max_chars=12):
        return None
    return integer(form, name, low, high)


def pain(form: FormData, name: str) -> int:
    return integer(form, name, 0, 10, label="pain score (0-10)")


def location(form: FormData, name: str) -> Location:
    raw = text(form, name, max_chars=20)
    if raw not in Location.codes():
        raise InvalidInput(name, "choose where you feel the symptoms")
    return Location.from_code(raw)


def effort(form: FormData, name: str = "effort") -> Effort:
    raw = text(form, name, max_chars=20)
    try:
        return Effort(raw)
    except ValueError:
        raise InvalidInput(name, "choose how hard the session was") from None


def completed_session(
    form: FormData,
    *,
    at: datetime | None = None,
    motion: dict[str, Any] | None = None,
    motion_uncounted_ok: bool = False,
) -> SessionInput:
    """A finished session from its form: effort, pain before, during and after, where the
    symptoms reach before and after, and the repetitions done."""
    return SessionInput(
        effort=effort(form),
        pain_before=pain(form, "pain_before"),
        pain_during=pain(form, "pain_during"),
        pain_after=pain(form, "pain_after"),
        location_before=location(form, "location_before"),
        location_after=location(form, "location_after"),
        reps=integer(form, "reps", 0, 1000, "number of repetitions"),
        completed=True,
        at=at,
        motion=motion,
        motion_uncounted_ok=motion_uncounted_ok,
    )


def yes_no(form: FormData, name: str) -> bool:
    raw = text(form, name, max_chars=5)
    if raw not in ("yes", "no"):
        raise InvalidInput(name, "answer yes or no")
    return raw == "yes"


def checked(form: FormData, name: str) -> bool:
    return text(form, name, max_chars=10) in ("yes", "on", "true", "1")
