"""What the e-mail reminders keep, and the storage port they need.

A patient's ``ReminderChoice`` says whether they get reminders (one e-mail per session
time, or one daily summary) and their quiet period in local clock times. Every reminder
is *claimed* before it is sent: the store inserts a row keyed by (patient, local date,
slot), and only the one sender whose insert went in sends the e-mail. That key, not any
process's memory, is what keeps several app processes from sending one twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import Protocol

from spinestep.services.records import AssignmentRecord

#: The slot of the daily summary (a session time's slot is its number, "1" to "24").
SUMMARY_SLOT = "summary"

DEFAULT_QUIET_START = time(21, 0)
DEFAULT_QUIET_END = time(8, 0)


class ReminderMode(StrEnum):
    OFF = "off"
    EACH_SESSION = "each_session"
    DAILY_SUMMARY = "daily_summary"


class SendOutcome(StrEnum):
    """What became of a claimed reminder: still being sent, sent, or refused by the server."""

    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"


@dataclass(slots=True)
class ReminderChoice:
    """A patient's reminder setting; quiet times are local ``HH:MM`` clock times."""

    patient_id: int
    mode: ReminderMode
    quiet_start: str
    quiet_end: str
    updated_at: datetime
    id: int | None = None


@dataclass(frozen=True, slots=True)
class SentReminder:
    """A reminder claimed for the patient (what their data export shows of it)."""

    local_date: date
    slot: str
    claimed_at: datetime
    outcome: SendOutcome


@dataclass(frozen=True, slots=True)
class ReminderCandidate:
    """A patient who wants reminders and may get them now: account active, programme
    not paused and cleared, no deletion pending (the store checks those)."""

    patient_id: int
    email: str
    time_zone: str
    choice: ReminderChoice
    assignment: AssignmentRecord


class ReminderRepository(Protocol):
    def choice_for(self, patient_id: int) -> ReminderChoice | None: ...

    def save_choice(self, choice: ReminderChoice) -> None:
        """Store the patient's choice, replacing the one before."""
        ...

    def candidates(self) -> list[ReminderCandidate]:
        """Every patient with reminders on who may get one now (one query)."""
        ...

    def claim(
        self, patient_id: int, local_date: date, slot: str, unsubscribe_hash: str, now: datetime
    ) -> bool:
        """Insert the claim of one reminder; False when it was already claimed (by anyone)."""
        ...

    def record_outcome(
        self, patient_id: int, local_date: date, slot: str, outcome: SendOutcome
    ) -> None: ...

    def sent_for(self, patient_id: int) -> list[SentReminder]:
        """The patient's reminders still on record, oldest first."""
        ...

    def patient_for_token(self, unsubscribe_hash: str) -> int | None:
        """The patient whose reminder carried the unsubscribe link with this hash."""
        ...

    def sessions_between(self, patient_id: int, start: datetime, end: datetime) -> int:
        """How many sessions the patient recorded from ``start`` (inclusive) to ``end``."""
        ...

    def forget_claims_before(self, day: date) -> int:
        """Remove claims of local dates before ``day``; how many went."""
        ...
