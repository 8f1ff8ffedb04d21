"""The SQLAlchemy unit of work: one database transaction over every repository.

``lock_patient`` makes a unit of work the one writer about a patient (SPEC §3.5): on
PostgreSQL it takes ``SELECT ... FOR UPDATE`` on the patient's programme rows (or on
the patient row while there is no programme); on SQLite it begins the transaction with
``BEGIN IMMEDIATE``, which takes the database's single write lock at once. Either way
the lock is held until commit or rollback, and everything the unit of work reads after
it is read under it. See notes/store.md.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine
from sqlalchemy.orm import Session, sessionmaker

from spinestep.errors import Conflict, StorageError
from spinestep.services import ports
from spinestep.services.caseload_port import CaseloadQueries
from spinestep.services.clinic_port import ClinicRepository
from spinestep.services.messages_port import MessageRepository
from spinestep.services.patient_day_port import PatientDayReader
from spinestep.services.ports import UnitOfWorkFactory
from spinestep.services.reminder_ports import ReminderRepository
from spinestep.store.caseload import SqlCaseloadQueries
from spinestep.store.clinic_repo import SqlClinicRepository
from spinestep.store.engine import make_engine, migrate
from spinestep.store.messages_repo import SqlMessageRepository
from spinestep.store.patient_day import SqlPatientDayReader
from spinestep.store.reminders_repo import SqlReminderRepository
from spinestep.store.repositories import (
    SqlApiTokenRepository,
    SqlAssignmentRepository,
    SqlAuditRepository,
    SqlBrowserSessionRepository,
    SqlCalendarFeedRepository,
    SqlDecisionRepository,
    SqlDeletionRepository,
    SqlEventRepository,
    SqlIdempotencyRepository,
    SqlInstallationRepository,
    SqlInviteRepository,
    SqlLoginThrottleRepository,
    SqlPasswordResetRepository,
    SqlPatientRepository,
    SqlQuestionnaireRepository,
    SqlRedFlagRepository,
    SqlReminderSlotRepository,
    SqlScreeningRepository,
    SqlSessionRepository,
    SqlUserRepository,
)
from spinestep.store.tables import AssignmentRow, PatientRow

#: The advisory lock key of ``lock_accounts`` on PostgreSQL ("spinestep accounts").
ACCOUNTS_LOCK = 0x5350_4E53_4143_4354 & 0x7FFF_FFFF_FFFF_FFFF


class SqlUnitOfWork:
    """Use as ``with factory() as uow: ...; uow.commit()``.

    Leaving the block without ``commit()`` (or through an exception, including
    ``KeyboardInterrupt``) rolls the whole transaction back.
    """

    users: ports.UserRepository
    tokens: ports.ApiTokenRepository
    patients: ports.PatientRepository
    assignments: ports.AssignmentRepository
    red_flags: ports.RedFlagRepository
    screenings: ports.ScreeningRepository
    sessions: ports.SessionRepository
    decisions: ports.DecisionRepository
    events: ports.EventRepository
    questionnaires: ports.QuestionnaireRepository
    audit: ports.AuditRepository
    invites: ports.InviteRepository
    deletions: ports.DeletionRepository
    idempotency: ports.IdempotencyRepository
    browser_sessions: ports.BrowserSessionRepository
    password_resets: ports.PasswordResetRepository
    login_throttle: ports.LoginThrottleRepository
    installation: ports.InstallationRepository
    reminder_slots: ports.ReminderSlotRepository
    calendar_feeds: ports.CalendarFeedRepository
    reminders: ReminderRepository
    caseload: CaseloadQueries
    patient_day: PatientDayReader
    messages: MessageRepository
    clinic: ClinicRepository

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None

    def __enter__(self) -> SqlUnitOfWork:
        session = self._session_factory()
        self._session = session
        self.users = SqlUserRepository(session)
        self.tokens = SqlApiTokenRepository(session)
        self.patients = SqlPatientRepository(session)
        self.assignments = SqlAssignmentRepository(session)
        self.red_flags = SqlRedFlagRepository(session)
        self.screenings = SqlScreeningRepository(session)
        self.sessions = SqlSessionRepository(session)
        self.decisions = SqlDecisionRepository(session)
        self.events = SqlEventRepository(session)
        self.questionnaires = SqlQuestionnaireRepository(session)
        self.audit = SqlAuditRepository(session)
        self.invites = SqlInviteRepository(session)
        self.deletions = SqlDeletionRepository(session)
        self.idempotency = SqlIdempotencyRepository(session)
        self.browser_sessions = SqlBrowserSessionRepository(session)
        self.password_resets = SqlPasswordResetRepository(session)
        self.login_throttle = SqlLoginThrottleRepository(session)
        self.installation = SqlInstallationRepository(session)
        self.reminder_slots = SqlReminderSlotRepository(session)
        self.calendar_feeds = SqlCalendarFeedRepository(session)
        self.reminders = SqlReminderRepository(session)
        self.caseload = SqlCaseloadQueries(session)
        self.patient_day = SqlPatientDayReader(session)
        self.messages = SqlMessageRepository(session)
        self.clinic = SqlClinicRepository(session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self._require()
        try:
            session.rollback()
        finally:
            session.close()
            self._session = None

    def _require(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is used outside its 'with' block")
        return self._session

    def lock_accounts(self) -> None:
        """Become the one writer about accounts until this unit of work ends.

        PostgreSQL: a transaction-scoped advisory lock on a fixed key; SQLite:
        ``BEGIN IMMEDIATE``. Must come before anything else in the unit of work.
        """

        def advisory_lock(session: Session) -> None:
            statement = sa.text("SELECT pg_advisory_xact_lock(:key)")
            session.connection().execute(statement, {"key": ACCOUNTS_LOCK})

        self._begin_locked("lock_accounts", advisory_lock)

    def lock_patient(self, patient_id: int) -> None:
        """Become the one writer about ``patient_id`` until this unit of work ends.

        Must come before anything else in the unit of work (RuntimeError otherwise).
        """

        def programme_rows(session: Session) -> None:
            if not self._lock_programmes(session, patient_id):
                # No programme yet: the patient row stands in. Whoever held it may have
                # just created one; lock that too, so later writers (who lock only the
                # programme rows) still wait for us.
                locked = sa.select(PatientRow.id).where(PatientRow.id == patient_id)
                session.execute(locked.with_for_update())
                self._lock_programmes(session, patient_id)

        self._begin_locked("lock_patient", programme_rows)

    def _begin_locked(self, name: str, postgres_lock: Callable[[Session], None]) -> None:
        """Begin the unit of work holding a lock: ``BEGIN IMMEDIATE`` on SQLite (the
        database's single write lock), ``postgres_lock`` on PostgreSQL."""
        session = self._require()
        if session.in_transaction():
            raise RuntimeError(f"{name} must be the first call of the unit of work")
        try:
            connection = session.connection()
            if connection.dialect.name == "sqlite":
                # pysqlite has not begun a transaction yet (it begins lazily, before the
                # first write); this BEGIN becomes the transaction it commits.
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                return
            postgres_lock(session)
        except sa.exc.OperationalError as error:
            session.rollback()
            raise StorageError(
                f"the database could not be locked for writing ({type(error).__name__})"
            ) from error
        session.expire_all()

    @staticmethod
    def _lock_programmes(session: Session, patient_id: int) -> bool:
        """``FOR UPDATE`` on the patient's programme rows, in id order; whether there were any."""
        statement = (
            sa.select(AssignmentRow.id)
            .where(AssignmentRow.patient_id == patient_id)
            .order_by(AssignmentRow.id)
            .with_for_update()
        )
        return bool(session.execute(statement).all())

    def commit(self) -> None:
        try:
            self._require().commit()
        except sa.exc.IntegrityError:
            self._require().rollback()
            raise Conflict("the change clashes with stored records") from None
        except sa.exc.OperationalError as error:
            self._require().rollback()
            raise StorageError(f"the database could not save ({type(error).__name__})") from error

    def rollback(self) -> None:
        self._require().rollback()


def unit_of_work_factory(engine: Engine) -> UnitOfWorkFactory:
    """A factory of units of work on ``engine`` (whose schema is already migrated)."""
    session_factory = sessionmaker(bind=engine, expire_on_commit=False)

    def factory() -> SqlUnitOfWork:
        return SqlUnitOfWork(session_factory)

    return factory


def open_store(url: str | URL, *, upgrade: bool = True) -> tuple[Engine, UnitOfWorkFactory]:
    """Open the database at ``url``, bring its schema up to date, return engine and factory."""
    engine = make_engine(url)
    if upgrade:
        migrate(engine)
    return engine, unit_of_work_factory(engine)
