"""The reads behind a clinician's screens (patient list, alerts, a patient's timeline).

Every caseload method reads about all the clinician's patients at once, so the dashboard
costs a fixed number of statements whatever the caseload (no query per patient); the
timeline methods read one window of one patient's history, so a page costs the same
whatever the length of the history. The store implements it in
``spinestep.store.caseload``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from spinestep.domain.model import Urgency
from spinestep.services.records import (
    AssignmentRecord,
    PatientRecord,
    ProgrammeEvent,
    RedFlagReport,
    StoredDecision,
)


class TimelineFilter(StrEnum):
    """What a patient's timeline shows: everything, or one kind of event."""

    ALL = "all"
    DECISIONS = "decisions"
    #: Stop decisions, sessions stopped early and pauses.
    STOPS = "stops"
    FLAGS = "flags"
    #: Programme changes: prescriptions, stage and settings changes, pauses, resumes...
    PLAN = "plan"


@dataclass(frozen=True, slots=True)
class CaseloadPatient:
    """A patient of the caseload with their current programme and two facts the database
    works out: when the current programme's last session was, and whether a regress
    decision was made since the instant asked about."""

    patient: PatientRecord
    assignment: AssignmentRecord | None
    last_session_at: datetime | None
    regressed: bool


@dataclass(frozen=True, slots=True)
class CaseloadSession:
    """What the 7-day adherence needs of one session (no pain scores, no motion)."""

    patient_id: int
    assignment_id: int
    at: datetime
    completed: bool
    stage: int


@dataclass(frozen=True, slots=True)
class CaseloadStop:
    """A stop decision of the rules about a patient of the caseload."""

    patient_id: int
    made_at: datetime
    urgency: Urgency


class CaseloadQueries(Protocol):
    def patients(self, clinician_id: int, regressed_since: datetime) -> list[CaseloadPatient]:
        """The clinician's patients (by id) with their current programme (the newest)."""
        ...

    def open_flags(self, clinician_id: int) -> list[RedFlagReport]:
        """Unresolved red flags of the clinician's patients."""
        ...

    def flags_since(self, clinician_id: int, since: datetime) -> list[RedFlagReport]:
        """Red flags of the clinician's patients reported at or after ``since``."""
        ...

    def stops_since(self, clinician_id: int, since: datetime) -> list[CaseloadStop]:
        """Stop decisions about the clinician's patients made at or after ``since``."""
        ...

    def sessions_since(self, clinician_id: int, since: datetime) -> list[CaseloadSession]:
        """Sessions of the clinician's patients from ``since`` on, oldest first."""
        ...

    def events(self, clinician_id: int) -> list[ProgrammeEvent]:
        """Programme events (pauses, resumes, completions...) of the clinician's patients."""
        ...

    def newest_before(
        self, patient_id: int, before: datetime | None, shown: TimelineFilter
    ) -> datetime | None:
        """The instant of the patient's newest timeline item of the kinds ``shown`` before
        ``before`` (None: at any time), or None when there is none."""
        ...

    def decisions_between(
        self, patient_id: int, since: datetime, until: datetime
    ) -> list[StoredDecision]:
        """The patient's decisions made in ``[since, until)``, oldest first."""
        ...
