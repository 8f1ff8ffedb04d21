"""The port of the patient's hot read: everything the Today view and the plan need at once.

Today and ``/api/v1/me/plan`` are the patient's most frequent requests. Their records
(the profile, the current programme, the clinician's name, the recent sessions, the
latest decision, the red flags, the programme events, the recent screenings and the
questionnaires; for the page, the care team's contact details and the unread messages)
are read by one statement rather than one per repository, because on
PostgreSQL each statement is a round trip and in SQLAlchemy each carries a fixed cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from spinestep.domain.contacts import ContactDetails
from spinestep.services.records import (
    AssignmentRecord,
    PatientRecord,
    ProgrammeEvent,
    RedFlagReport,
    StoredDecision,
    StoredQuestionnaire,
    StoredSession,
)


@dataclass(frozen=True, slots=True)
class PatientDay:
    """One patient's records for the Today view, ordered as the repositories order them.

    ``assignment`` is the current programme (``assignments.current_for``);
    ``sessions`` are those at or after the ``sessions_since`` asked for (oldest first);
    ``screenings`` are (when, answers) of those after ``screenings_after``, newest first;
    the red flags (by id), events (by time) and questionnaires (by time) are all of them.
    Around the Today view: whether the clinician's account is active, the clinician's and
    the clinic's contact details (empty when never set), and the reader's unread messages
    about the patient (0 when no reader was given).
    """

    patient: PatientRecord
    assignment: AssignmentRecord | None
    clinician_name: str | None
    sessions: tuple[StoredSession, ...]
    latest_decision: StoredDecision | None
    red_flags: tuple[RedFlagReport, ...]
    events: tuple[ProgrammeEvent, ...]
    screenings: tuple[tuple[datetime, dict[str, Any]], ...]
    questionnaires: tuple[StoredQuestionnaire, ...]
    clinician_active: bool
    clinician_contacts: ContactDetails
    clinic_contacts: ContactDetails
    unread: int


class PatientDayReader(Protocol):
    def read(
        self,
        patient_id: int,
        sessions_since: datetime,
        screenings_after: datetime,
        reader_id: int | None = None,
    ) -> PatientDay | None:
        """The patient's day in one statement; None when there is no such patient.
        ``reader_id``: whose unread messages about the patient are counted."""
        ...
