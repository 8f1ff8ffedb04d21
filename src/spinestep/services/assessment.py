"""What a person without a clinician gives to resume after a stop or a red flag (SPEC §3.5).

Who assessed them, the date of that assessment and what they were told: all three are
required, and no front-end option skips them. The date is a local date in the person's
time zone, not before the stop or flag it answers and not in the future. The same
messages serve the terminal, the pages and the API, each naming the missing field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from spinestep.domain.text import clean_name
from spinestep.errors import InvalidInput

MAX_WHO_CHARS = 200
MAX_TOLD_CHARS = 2000


@dataclass(frozen=True, slots=True)
class Assessment:
    """``assessed_by``: who assessed the person (e.g. "Dr Patel, GP"); ``assessed_on``: the
    local date of the assessment; ``told``: what they were told."""

    assessed_by: str
    assessed_on: date
    told: str

    def note(self) -> str:
        """The words kept with the resume and the flags it closes."""
        return f"Assessed by {self.assessed_by} on {self.assessed_on.isoformat()}: {self.told}"


def _required_text(value: str | None, name: str, max_chars: int, problem: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(name, problem)
    if "\x00" in text:
        raise InvalidInput(name, "contains characters that are not allowed")
    if len(text) > max_chars:
        raise InvalidInput(name, f"must be at most {max_chars} characters")
    return text


def parse_assessment(
    assessed_by: str | None, assessed_on: str | date | None, told: str | None
) -> Assessment:
    """The three answers, each checked; the first missing or malformed one is named."""
    who = _required_text(
        assessed_by,
        "assessed_by",
        MAX_WHO_CHARS,
        "say who assessed you (for example 'Dr Patel, GP' or 'physiotherapist at the clinic')",
    )
    who = clean_name(who, "assessed_by", max_chars=MAX_WHO_CHARS)  # a name: NFC, no controls
    if isinstance(assessed_on, date):
        when = assessed_on
    else:
        raw = (assessed_on or "").strip()
        if not raw:
            raise InvalidInput("assessed_on", "give the date you were assessed (YYYY-MM-DD)")
        try:
            when = date.fromisoformat(raw)
        except ValueError:
            raise InvalidInput(
                "assessed_on", "must be a date written as YYYY-MM-DD, e.g. 2026-12-03"
            ) from None
    what = _required_text(
        told, "told", MAX_TOLD_CHARS, "say what you were told (for example 'safe to restart')"
    )
    return Assessment(assessed_by=who, assessed_on=when, told=what)


def check_assessment_date(
    assessment: Assessment, time_zone: str, now: datetime, not_before: datetime | None
) -> None:
    """The assessment's date lies between the stop or flag (``not_before``) and today, both
    as local dates in the person's ``time_zone``."""
    zone = ZoneInfo(time_zone)
    today = now.astimezone(zone).date()
    if assessment.assessed_on > today:
        raise InvalidInput("assessed_on", f"must not be in the future (today is {today})")
    if not_before is not None:
        earliest = not_before.astimezone(zone).date()
        if assessment.assessed_on < earliest:
            raise InvalidInput(
                "assessed_on",
                f"must not be before the pause or red flag it answers ({earliest})",
            )
