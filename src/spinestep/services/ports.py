"""The ports the use cases need: a clock, a password hasher and a unit of work with repositories.

``spinestep.store`` implements the storage ports with SQLAlchemy; tests may pass fakes.
A unit of work is one transaction: nothing is written until ``commit()``, and leaving the
``with`` block without committing rolls everything back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Protocol

from spinestep.services.caseload_port import CaseloadQueries
from spinestep.services.clinic_port import ClinicRepository
from spinestep.services.messages_port import MessageRepository
from spinestep.services.patient_day_port import PatientDayReader
from spinestep.services.records import (
    ApiTokenRecord,
    AssignmentRecord,
    AuditEntry,
    BrowserSessionRecord,
    CalendarFeedRecord,
    DeletionRequest,
    FlagSource,
    IdempotencyRecord,
    InviteRecord,
    LoginThrottleRecord,
    PasswordResetRecord,
    PatientRecord,
    ProgrammeEvent,
    RedFlagReport,
    ReminderSlotRecord,
    ScreeningRecord,
    StoredDecision,
    StoredQuestionnaire,
    StoredSession,
    UserRecord,
)
from spinestep.services.reminder_ports import ReminderRepository


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...


class UserRepository(Protocol):
    def add(self, user: UserRecord) -> UserRecord: ...
    def get(self, user_id: int) -> UserRecord | None: ...
    def by_email(self, email: str) -> UserRecord | None: ...
    def list_all(self) -> list[UserRecord]: ...
    def update(self, user: UserRecord) -> None: ...
    def delete(self, user_id: int) -> None: ...


class ApiTokenRepository(Protocol):
    def add(self, token: ApiTokenRecord) -> ApiTokenRecord: ...
    def by_hash(self, token_hash: str) -> ApiTokenRecord | None: ...
    def with_account(
        self, token_hash: str
    ) -> tuple[ApiTokenRecord, UserRecord, PatientRecord | None] | None:
        """The token, its account and the account's patient profile, in one statement."""
        ...

    def for_user(self, user_id: int) -> list[ApiTokenRecord]: ...
    def update(self, token: ApiTokenRecord) -> None: ...


class PatientRepository(Protocol):
    def add(self, patient: PatientRecord) -> PatientRecord: ...
    def get(self, patient_id: int) -> PatientRecord | None: ...
    def first(self) -> PatientRecord | None:
        """The patient with the lowest id (the one profile of a local install)."""
        ...

    def by_user(self, user_id: int) -> PatientRecord | None: ...
    def list_all(self) -> list[PatientRecord]: ...
    def for_clinician(self, clinician_id: int) -> list[PatientRecord]: ...
    def update(self, patient: PatientRecord) -> None: ...
    def delete(self, patient_id: int) -> None:
        """Delete the patient and every record that belongs to them."""
        ...


class AssignmentRepository(Protocol):
    def add(self, assignment: AssignmentRecord) -> AssignmentRecord: ...
    def get(self, assignment_id: int) -> AssignmentRecord | None: ...
    def current_for(self, patient_id: int) -> AssignmentRecord | None:
        """The patient's most recent programme assignment."""
        ...

    def for_patient(self, patient_id: int) -> list[AssignmentRecord]: ...
    def update(self, assignment: AssignmentRecord) -> None: ...


class RedFlagRepository(Protocol):
    def add(self, report: RedFlagReport) -> RedFlagReport: ...
    def get(self, report_id: int) -> RedFlagReport | None: ...
    def unresolved_for(self, patient_id: int) -> list[RedFlagReport]: ...
    def for_patient(self, patient_id: int) -> list[RedFlagReport]: ...
    def update(self, report: RedFlagReport) -> None: ...


class ScreeningRepository(Protocol):
    def add(self, screening: ScreeningRecord) -> ScreeningRecord: ...
    def for_patient(self, patient_id: int) -> list[ScreeningRecord]: ...
    def last_asked(
        self, patient_id: int, code: str, after: datetime | None = None
    ) -> datetime | None:
        """When the question ``code`` was last answered by this patient (only answers
        later than ``after`` are looked at when it is given: None if there are none)."""
        ...

    def any_from(self, patient_id: int, source: FlagSource) -> bool:
        """Whether this patient has any screening from ``source`` (one indexed lookup)."""
        ...

    def taken_after(self, patient_id: int, after: datetime) -> list[ScreeningRecord]:
        """This patient's screenings taken strictly after ``after``, oldest first."""
        ...


class SessionRepository(Protocol):
    def add(self, entry: StoredSession) -> StoredSession: ...
    def get(self, session_id: int) -> StoredSession | None: ...
    def recent(self, assignment_id: int, limit: int) -> list[StoredSession]:
        """The ``limit`` most recent sessions of an assignment, oldest first.

        Ordered by UTC instant, then by the order they were stored.
        """
        ...

    def for_patient(
        self, patient_id: int, since: datetime | None = None, until: datetime | None = None
    ) -> list[StoredSession]:
        """A patient's sessions with ``since <= at < until``, oldest first."""
        ...

    def last_stored_at(self, patient_id: int) -> datetime | None:
        """When the patient's most recently stored session was saved (its ``created_at``)."""
        ...

    def pain_before_series(self, patient_id: int) -> list[tuple[datetime, int]]:
        """Each session's time (at its own offset) and pain before it, oldest first (as
        ``for_patient``): all the NPRS history needs, without the rest of the rows."""
        ...


class DecisionRepository(Protocol):
    def add(self, entry: StoredDecision) -> StoredDecision: ...
    def get(self, decision_id: int) -> StoredDecision | None: ...
    def latest_for(self, patient_id: int) -> StoredDecision | None: ...
    def for_session(self, session_id: int) -> StoredDecision | None: ...
    def for_patient(self, patient_id: int) -> list[StoredDecision]: ...


class EventRepository(Protocol):
    def add(self, event: ProgrammeEvent) -> ProgrammeEvent: ...
    def for_patient(self, patient_id: int) -> list[ProgrammeEvent]: ...


class QuestionnaireRepository(Protocol):
    def add(self, entry: StoredQuestionnaire) -> StoredQuestionnaire: ...
    def for_patient(
        self, patient_id: int, instrument: str | None = None
    ) -> list[StoredQuestionnaire]: ...


class AuditRepository(Protocol):
    def add(self, entry: AuditEntry) -> AuditEntry: ...
    def for_patient(self, patient_id: int) -> list[AuditEntry]: ...
    def recent(self, limit: int) -> list[AuditEntry]: ...


class InviteRepository(Protocol):
    def add(self, invite: InviteRecord) -> InviteRecord: ...
    def by_hash(self, token_hash: str) -> InviteRecord | None: ...
    def update(self, invite: InviteRecord) -> None: ...


class DeletionRepository(Protocol):
    def add(self, request: DeletionRequest) -> DeletionRequest: ...
    def get(self, request_id: int) -> DeletionRequest | None: ...
    def pending(self) -> list[DeletionRequest]: ...
    def update(self, request: DeletionRequest) -> None: ...


class IdempotencyRepository(Protocol):
    def add(self, entry: IdempotencyRecord) -> IdempotencyRecord: ...
    def find(self, patient_id: int, key: str) -> IdempotencyRecord | None:
        """The answer stored for this patient's key, if the key was used before."""
        ...


class BrowserSessionRepository(Protocol):
    def add(self, session: BrowserSessionRecord) -> BrowserSessionRecord: ...
    def find(self, nonce_hash: str) -> BrowserSessionRecord | None: ...
    def signed_in(
        self, nonce_hash: str
    ) -> tuple[BrowserSessionRecord, UserRecord, PatientRecord | None, bool] | None:
        """The session, its account, the account's patient profile and whether that
        profile's onboarding questions were answered, in one statement (every page
        request of a signed-in browser starts with this)."""
        ...

    def end(self, nonce_hash: str) -> None:
        """Delete the session with this nonce hash (nothing if there is none)."""
        ...

    def end_all(self, user_id: int, *, keep: str | None = None) -> int:
        """Delete every session of ``user_id`` but the one with nonce hash ``keep``."""
        ...

    def prune(self, now: datetime) -> int:
        """Delete the sessions that expired before ``now``; how many."""
        ...


class PasswordResetRepository(Protocol):
    def add(self, reset: PasswordResetRecord) -> PasswordResetRecord: ...
    def by_hash(self, token_hash: str) -> PasswordResetRecord | None: ...
    def update(self, reset: PasswordResetRecord) -> None: ...
    def void_for_user(self, user_id: int, now: datetime) -> int:
        """Mark every unused link of ``user_id`` used at ``now``; how many."""
        ...


class LoginThrottleRepository(Protocol):
    def get(self, key: str) -> LoginThrottleRecord | None: ...
    def save(self, entry: LoginThrottleRecord) -> None:
        """Insert or replace the entry for ``entry.key``."""
        ...

    def delete(self, key: str) -> None: ...
    def prune(self, before: datetime) -> int:
        """Delete entries whose last failure is before ``before``; how many."""
        ...


class InstallationRepository(Protocol):
    def uuid(self) -> str:
        """This installation's random UUID (made when the database was created or upgraded)."""
        ...


class UnitOfWork(Protocol):
    """One transaction over every repository.

    Every write about one patient calls ``lock_patient`` first (SPEC §3.5), then reads
    what it needs: the state it acts on is the state under the lock.
    """

    users: UserRepository
    tokens: ApiTokenRepository
    patients: PatientRepository
    assignments: AssignmentRepository
    red_flags: RedFlagRepository
    screenings: ScreeningRepository
    sessions: SessionRepository
    decisions: DecisionRepository
    events: EventRepository
    questionnaires: QuestionnaireRepository
    audit: AuditRepository
    invites: InviteRepository
    deletions: DeletionRepository
    idempotency: IdempotencyRepository
    browser_sessions: BrowserSessionRepository
    password_resets: PasswordResetRepository
    login_throttle: LoginThrottleRepository
    installation: InstallationRepository
    reminder_slots: ReminderSlotRepository
    calendar_feeds: CalendarFeedRepository
    reminders: ReminderRepository
    #: Reads about a clinician's whole caseload at once (the dashboard).
    caseload: CaseloadQueries
    #: The patient's records for Today in one statement (the hot read).
    patient_day: PatientDayReader
    #: Secure messages between the patient and their care team.
    messages: MessageRepository
    #: The care team's contact details and the questionnaire wording packs.
    clinic: ClinicRepository

    def lock_accounts(self) -> None:
        """Start this unit of work as the one writer about accounts until it ends.

        For the few writes whose checks span several accounts: the first-run setup
        (exactly one admin) and deactivating an admin (one active admin always stays).
        Must be the first call of the unit of work, like ``lock_patient``.
        """
        ...

    def lock_patient(self, patient_id: int) -> None:
        """Start this unit of work as the one writer about ``patient_id`` until it ends.

        Must be the first call of the unit of work (RuntimeError otherwise): anything
        read before the lock could be stale. Other writers about the same patient wait
        until this unit of work commits or rolls back; readers are not blocked.
        """
        ...

    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def __enter__(self) -> UnitOfWork: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


class ReminderSlotRepository(Protocol):
    def for_patient(self, patient_id: int) -> list[ReminderSlotRecord]:
        """Every slot the patient's reminder calendar has published, by slot number."""
        ...

    def add(self, record: ReminderSlotRecord) -> ReminderSlotRecord: ...
    def update(self, record: ReminderSlotRecord) -> None: ...


class CalendarFeedRepository(Protocol):
    def by_hash(self, token_hash: str) -> CalendarFeedRecord | None: ...
    def for_patient(self, patient_id: int) -> CalendarFeedRecord | None: ...
    def add(self, record: CalendarFeedRecord) -> CalendarFeedRecord: ...

    def remove(self, patient_id: int) -> bool:
        """Forget the patient's subscription; False when there was none."""
        ...
