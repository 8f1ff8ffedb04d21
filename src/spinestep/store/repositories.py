"""SQLAlchemy repositories implementing the storage ports of ``spinestep.services.ports``.

Rows and records share field names, so a generic base copies values across; a session
is the one record whose ``at`` is split into ``at_utc`` and ``at_offset_min``.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.orm import Session

from spinestep.domain.instants import MAX_ID, MAX_OFFSET
from spinestep.errors import Conflict, StorageError
from spinestep.services.records import (
    ApiTokenRecord,
    AssignmentRecord,
    AuditEntry,
    BrowserSessionRecord,
    CalendarFeedRecord,
    DeletionRequest,
    DeletionStatus,
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
from spinestep.store.tables import (
    ApiTokenRow,
    AssignmentRow,
    AuditRow,
    Base,
    BrowserSessionRow,
    CalendarFeedRow,
    DecisionRow,
    DeletionRow,
    EventRow,
    IdempotencyRow,
    InstallationRow,
    InviteRow,
    LoginThrottleRow,
    PasswordResetRow,
    PatientRow,
    QuestionnaireRow,
    RedFlagRow,
    ReminderSlotRow,
    ScreeningRow,
    SessionRow,
    UserRow,
)

RecordT = TypeVar("RecordT")
RowT = TypeVar("RowT", bound=Base)


class _Repository(Generic[RecordT, RowT]):
    """add / get / update for a record type whose fields are the row's columns."""

    row_type: type[RowT]
    record_type: type[RecordT]

    def __init__(self, session: Session) -> None:
        self._session = session

    def _values(self, record: RecordT) -> dict[str, Any]:
        return {f.name: getattr(record, f.name) for f in fields(record)}  # type: ignore[arg-type]

    def _to_record(self, row: RowT) -> RecordT:
        names = [f.name for f in fields(self.record_type)]  # type: ignore[arg-type]
        return self.record_type(**{name: getattr(row, name) for name in names})

    def add(self, record: RecordT) -> RecordT:
        values = self._values(record)
        values.pop("id", None)
        row = self.row_type(**values)
        self._session.add(row)
        self._flush()
        record.id = row.id  # type: ignore[attr-defined]
        return record

    def get(self, record_id: int) -> RecordT | None:
        if not 1 <= record_id <= MAX_ID:  # no such row, and no database could bind it
            return None
        row = self._session.get(self.row_type, record_id)
        return None if row is None else self._to_record(row)

    def update(self, record: RecordT) -> None:
        row = self._session.get(self.row_type, record.id)  # type: ignore[attr-defined]
        if row is None:
            raise LookupError(f"{self.row_type.__tablename__} row is gone")
        for name, value in self._values(record).items():
            if name != "id":
                setattr(row, name, value)
        self._flush()

    def _flush(self) -> None:
        try:
            self._session.flush()
        except sa.exc.IntegrityError:
            self._session.rollback()
            raise Conflict(
                f"the change clashes with stored {self.row_type.__tablename__}"
            ) from None

    def _delete(self, record_id: int) -> None:
        self._session.flush()
        row_id = self.row_type.id  # type: ignore[attr-defined]
        self._session.execute(sa.delete(self.row_type).where(row_id == record_id))
        # ON DELETE CASCADE / SET NULL changed other rows: reload them on next access.
        self._session.expire_all()

    def _all(self, statement: sa.Select[Any]) -> list[RecordT]:
        return [self._to_record(row) for row in self._session.scalars(statement)]

    def _one(self, statement: sa.Select[Any]) -> RecordT | None:
        row = self._session.scalars(statement.limit(1)).first()
        return None if row is None else self._to_record(row)


class SqlUserRepository(_Repository[UserRecord, UserRow]):
    row_type = UserRow
    record_type = UserRecord

    def by_email(self, email: str) -> UserRecord | None:
        return self._one(sa.select(UserRow).where(UserRow.email == email))

    def list_all(self) -> list[UserRecord]:
        return self._all(sa.select(UserRow).order_by(UserRow.id))

    def delete(self, user_id: int) -> None:
        self._delete(user_id)


class SqlApiTokenRepository(_Repository[ApiTokenRecord, ApiTokenRow]):
    row_type = ApiTokenRow
    record_type = ApiTokenRecord

    def by_hash(self, token_hash: str) -> ApiTokenRecord | None:
        return self._one(sa.select(ApiTokenRow).where(ApiTokenRow.token_hash == token_hash))

    def with_account(
        self, token_hash: str
    ) -> tuple[ApiTokenRecord, UserRecord, PatientRecord | None] | None:
        statement = (
            sa.select(ApiTokenRow, UserRow, PatientRow)
            .join(UserRow, UserRow.id == ApiTokenRow.user_id)
            .outerjoin(PatientRow, PatientRow.user_id == UserRow.id)
            .where(ApiTokenRow.token_hash == token_hash)
            .order_by(PatientRow.id)
            .limit(1)
        )
        found = self._session.execute(statement).first()
        if found is None:
            return None
        token, user, patient = found
        profile = (
            None if patient is None else SqlPatientRepository(self._session)._to_record(patient)
        )
        return (
            self._to_record(token),
            SqlUserRepository(self._session)._to_record(user),
            profile,
        )

    def for_user(self, user_id: int) -> list[ApiTokenRecord]:
        statement = sa.select(ApiTokenRow).where(ApiTokenRow.user_id == user_id)
        return self._all(statement.order_by(ApiTokenRow.id))


@cache
def _usable_zone(name: str) -> str:
    """``name`` if it loads as a time zone, else ``UTC``: a patient stored before zones were
    checked (a folder such as ``Europe``) can still be shown, and then given a real zone."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, OSError, ValueError):
        return "UTC"
    return name


class SqlPatientRepository(_Repository[PatientRecord, PatientRow]):
    row_type = PatientRow
    record_type = PatientRecord

    def _to_record(self, row: PatientRow) -> PatientRecord:
        record = super()._to_record(row)
        record.time_zone = _usable_zone(record.time_zone)
        return record

    def first(self) -> PatientRecord | None:
        return self._one(sa.select(PatientRow).order_by(PatientRow.id))

    def by_user(self, user_id: int) -> PatientRecord | None:
        return self._one(sa.select(PatientRow).where(PatientRow.user_id == user_id))

    def list_all(self) -> list[PatientRecord]:
        return self._all(sa.select(PatientRow).order_by(PatientRow.id))

    def for_clinician(self, clinician_id: int) -> list[PatientRecord]:
        statement = sa.select(PatientRow).where(PatientRow.clinician_id == clinician_id)
        return self._all(statement.order_by(PatientRow.id))

    def delete(self, patient_id: int) -> None:
        # Children go by ON DELETE CASCADE; audit and deletion requests keep a NULL patient.
        self._delete(patient_id)


class SqlAssignmentRepository(_Repository[AssignmentRecord, AssignmentRow]):
    row_type = AssignmentRow
    record_type = AssignmentRecord

    def current_for(self, patient_id: int) -> AssignmentRecord | None:
        statement = sa.select(AssignmentRow).where(AssignmentRow.patient_id == patient_id)
        return self._one(statement.order_by(AssignmentRow.id.desc()))

    def for_patient(self, patient_id: int) -> list[AssignmentRecord]:
        statement = sa.select(AssignmentRow).where(AssignmentRow.patient_id == patient_id)
        return self._all(statement.order_by(AssignmentRow.id))


class SqlRedFlagRepository(_Repository[RedFlagReport, RedFlagRow]):
    row_type = RedFlagRow
    record_type = RedFlagReport

    def unresolved_for(self, patient_id: int) -> list[RedFlagReport]:
        statement = sa.select(RedFlagRow).where(
            RedFlagRow.patient_id == patient_id, RedFlagRow.resolved_at.is_(None)
        )
        return self._all(statement.order_by(RedFlagRow.id))

    def for_patient(self, patient_id: int) -> list[RedFlagReport]:
        statement = sa.select(RedFlagRow).where(RedFlagRow.patient_id == patient_id)
        return self._all(statement.order_by(RedFlagRow.id))


class SqlScreeningRepository(_Repository[ScreeningRecord, ScreeningRow]):
    row_type = ScreeningRow
    record_type = ScreeningRecord

    def for_patient(self, patient_id: int) -> list[ScreeningRecord]:
        statement = sa.select(ScreeningRow).where(ScreeningRow.patient_id == patient_id)
        return self._all(statement.order_by(ScreeningRow.at, ScreeningRow.id))

    def last_asked(
        self, patient_id: int, code: str, after: datetime | None = None
    ) -> datetime | None:
        statement = sa.select(ScreeningRow.at, ScreeningRow.answers).where(
            ScreeningRow.patient_id == patient_id
        )
        if after is not None:
            statement = statement.where(ScreeningRow.at > after)
        statement = statement.order_by(ScreeningRow.at.desc(), ScreeningRow.id.desc())
        for at, answers in self._session.execute(statement):
            if code in answers:
                return at  # type: ignore[no-any-return]
        return None

    def any_from(self, patient_id: int, source: FlagSource) -> bool:
        found = sa.select(ScreeningRow.id).where(
            ScreeningRow.patient_id == patient_id, ScreeningRow.source == source
        )
        return self._session.execute(found.limit(1)).first() is not None

    def taken_after(self, patient_id: int, after: datetime) -> list[ScreeningRecord]:
        statement = sa.select(ScreeningRow).where(
            ScreeningRow.patient_id == patient_id, ScreeningRow.at > after
        )
        return self._all(statement.order_by(ScreeningRow.at, ScreeningRow.id))


#: The widest span every zone can show: a day inside the calendar's ends.
_SHOWABLE = (datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 30, tzinfo=UTC))


def _with_offset(at_utc: datetime, offset_min: int) -> datetime:
    """A stored instant at its stored offset, so the person's own clock time comes back.

    Rows stored before instants were checked (a year-1 session, an offset of -23:59) are
    read too, so pages can still show and delete them: an instant within a day of the
    calendar's ends is read as that day (no zone can show it otherwise), and one with an
    offset beyond ±14:00 (no place uses one) comes back in UTC.
    """
    at_utc = min(max(at_utc, _SHOWABLE[0]), _SHOWABLE[1])
    offset = timedelta(minutes=offset_min)
    if abs(offset) > MAX_OFFSET:
        return at_utc.astimezone(UTC)
    return at_utc.astimezone(timezone(offset))


class SqlSessionRepository(_Repository[StoredSession, SessionRow]):
    row_type = SessionRow
    record_type = StoredSession

    def _values(self, record: StoredSession) -> dict[str, Any]:
        values = super()._values(record)
        at: datetime = values.pop("at")
        offset = at.utcoffset()
        if offset is None:
            raise ValueError("a session time must carry its offset")
        values["at_utc"] = at.astimezone(UTC)
        values["at_offset_min"] = int(offset.total_seconds() // 60)
        return values

    def _to_record(self, row: SessionRow) -> StoredSession:
        return StoredSession(
            id=row.id,
            patient_id=row.patient_id,
            assignment_id=row.assignment_id,
            at=_with_offset(row.at_utc, row.at_offset_min),
            stage=row.stage,
            completed=row.completed,
            reps=row.reps,
            effort=row.effort,
            pain_before=row.pain_before,
            pain_during=row.pain_during,
            pain_after=row.pain_after,
            location_before=row.location_before,
            location_after=row.location_after,
            stopped_early=row.stopped_early,
            motion=row.motion,
            created_at=row.created_at,
            uuid=row.uuid,
        )

    def recent(self, assignment_id: int, limit: int) -> list[StoredSession]:
        statement = (
            sa.select(SessionRow)
            .where(SessionRow.assignment_id == assignment_id)
            .order_by(SessionRow.at_utc.desc(), SessionRow.id.desc())
            .limit(limit)
        )
        return list(reversed(self._all(statement)))

    def for_patient(
        self, patient_id: int, since: datetime | None = None, until: datetime | None = None
    ) -> list[StoredSession]:
        statement = sa.select(SessionRow).where(SessionRow.patient_id == patient_id)
        if since is not None:
            statement = statement.where(SessionRow.at_utc >= since)
        if until is not None:
            statement = statement.where(SessionRow.at_utc < until)
        return self._all(statement.order_by(SessionRow.at_utc, SessionRow.id))

    def pain_before_series(self, patient_id: int) -> list[tuple[datetime, int]]:
        statement = (
            sa.select(SessionRow.at_utc, SessionRow.at_offset_min, SessionRow.pain_before)
            .where(SessionRow.patient_id == patient_id)
            .order_by(SessionRow.at_utc, SessionRow.id)
        )
        return [
            (_with_offset(at_utc, offset_min), pain)
            for at_utc, offset_min, pain in self._session.execute(statement)
        ]

    def last_stored_at(self, patient_id: int) -> datetime | None:
        latest = sa.select(sa.func.max(SessionRow.created_at)).where(
            SessionRow.patient_id == patient_id
        )
        stored: datetime | None = self._session.execute(latest).scalar_one()
        return stored


class SqlDecisionRepository(_Repository[StoredDecision, DecisionRow]):
    row_type = DecisionRow
    record_type = StoredDecision

    def latest_for(self, patient_id: int) -> StoredDecision | None:
        statement = sa.select(DecisionRow).where(DecisionRow.patient_id == patient_id)
        return self._one(statement.order_by(DecisionRow.made_at.desc(), DecisionRow.id.desc()))

    def for_session(self, session_id: int) -> StoredDecision | None:
        return self._one(sa.select(DecisionRow).where(DecisionRow.session_id == session_id))

    def for_patient(self, patient_id: int) -> list[StoredDecision]:
        statement = sa.select(DecisionRow).where(DecisionRow.patient_id == patient_id)
        return self._all(statement.order_by(DecisionRow.made_at, DecisionRow.id))


class SqlEventRepository(_Repository[ProgrammeEvent, EventRow]):
    row_type = EventRow
    record_type = ProgrammeEvent

    def for_patient(self, patient_id: int) -> list[ProgrammeEvent]:
        statement = sa.select(EventRow).where(EventRow.patient_id == patient_id)
        return self._all(statement.order_by(EventRow.at, EventRow.id))


class SqlQuestionnaireRepository(_Repository[StoredQuestionnaire, QuestionnaireRow]):
    row_type = QuestionnaireRow
    record_type = StoredQuestionnaire

    def for_patient(
        self, patient_id: int, instrument: str | None = None
    ) -> list[StoredQuestionnaire]:
        statement = sa.select(QuestionnaireRow).where(QuestionnaireRow.patient_id == patient_id)
        if instrument is not None:
            statement = statement.where(QuestionnaireRow.instrument == instrument)
        return self._all(statement.order_by(QuestionnaireRow.taken_at, QuestionnaireRow.id))


class SqlAuditRepository(_Repository[AuditEntry, AuditRow]):
    row_type = AuditRow
    record_type = AuditEntry

    def for_patient(self, patient_id: int) -> list[AuditEntry]:
        statement = sa.select(AuditRow).where(AuditRow.patient_id == patient_id)
        return self._all(statement.order_by(AuditRow.at, AuditRow.id))

    def recent(self, limit: int) -> list[AuditEntry]:
        statement = sa.select(AuditRow).order_by(AuditRow.at.desc(), AuditRow.id.desc())
        return self._all(statement.limit(limit))


class SqlInviteRepository(_Repository[InviteRecord, InviteRow]):
    row_type = InviteRow
    record_type = InviteRecord

    def by_hash(self, token_hash: str) -> InviteRecord | None:
        return self._one(sa.select(InviteRow).where(InviteRow.token_hash == token_hash))


class SqlDeletionRepository(_Repository[DeletionRequest, DeletionRow]):
    row_type = DeletionRow
    record_type = DeletionRequest

    def pending(self) -> list[DeletionRequest]:
        statement = sa.select(DeletionRow).where(DeletionRow.status == DeletionStatus.PENDING)
        return self._all(statement.order_by(DeletionRow.requested_at, DeletionRow.id))


class SqlIdempotencyRepository(_Repository[IdempotencyRecord, IdempotencyRow]):
    row_type = IdempotencyRow
    record_type = IdempotencyRecord

    def find(self, patient_id: int, key: str) -> IdempotencyRecord | None:
        return self._one(
            sa.select(IdempotencyRow).where(
                IdempotencyRow.patient_id == patient_id, IdempotencyRow.key == key
            )
        )


class SqlBrowserSessionRepository(_Repository[BrowserSessionRecord, BrowserSessionRow]):
    row_type = BrowserSessionRow
    record_type = BrowserSessionRecord

    def find(self, nonce_hash: str) -> BrowserSessionRecord | None:
        return self._one(
            sa.select(BrowserSessionRow).where(BrowserSessionRow.nonce_hash == nonce_hash)
        )

    def signed_in(
        self, nonce_hash: str
    ) -> tuple[BrowserSessionRecord, UserRecord, PatientRecord | None, bool] | None:
        onboarded = (
            sa.select(ScreeningRow.id)
            .where(
                ScreeningRow.patient_id == PatientRow.id,
                ScreeningRow.source == FlagSource.ONBOARDING,
            )
            .exists()
        )
        statement = (
            sa.select(BrowserSessionRow, UserRow, PatientRow, onboarded)
            .join(UserRow, UserRow.id == BrowserSessionRow.user_id)
            .outerjoin(PatientRow, PatientRow.user_id == UserRow.id)
            .where(BrowserSessionRow.nonce_hash == nonce_hash)
            .order_by(PatientRow.id)
            .limit(1)
        )
        found = self._session.execute(statement).first()
        if found is None:
            return None
        session, user, patient, answered = found
        profile = (
            None if patient is None else SqlPatientRepository(self._session)._to_record(patient)
        )
        return (
            self._to_record(session),
            SqlUserRepository(self._session)._to_record(user),
            profile,
            bool(answered),
        )

    def end(self, nonce_hash: str) -> None:
        self._session.flush()
        self._session.execute(
            sa.delete(BrowserSessionRow).where(BrowserSessionRow.nonce_hash == nonce_hash)
        )

    def end_all(self, user_id: int, *, keep: str | None = None) -> int:
        self._session.flush()
        statement = sa.delete(BrowserSessionRow).where(BrowserSessionRow.user_id == user_id)
        if keep is not None:
            statement = statement.where(BrowserSessionRow.nonce_hash != keep)
        return int(self._session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]

    def prune(self, now: datetime) -> int:
        self._session.flush()
        statement = sa.delete(BrowserSessionRow).where(BrowserSessionRow.expires_at < now)
        return int(self._session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]


class SqlPasswordResetRepository(_Repository[PasswordResetRecord, PasswordResetRow]):
    row_type = PasswordResetRow
    record_type = PasswordResetRecord

    def by_hash(self, token_hash: str) -> PasswordResetRecord | None:
        return self._one(
            sa.select(PasswordResetRow).where(PasswordResetRow.token_hash == token_hash)
        )

    def void_for_user(self, user_id: int, now: datetime) -> int:
        self._session.flush()
        statement = (
            sa.update(PasswordResetRow)
            .where(PasswordResetRow.user_id == user_id, PasswordResetRow.used_at.is_(None))
            .values(used_at=now)
        )
        count = int(self._session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]
        self._session.expire_all()
        return count


class SqlInstallationRepository:
    """The one ``installation`` row that migration 0007 writes."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def uuid(self) -> str:
        row = self._session.get(InstallationRow, 1)
        if row is None:
            raise StorageError("the installation row is missing; migrate the database")
        return row.uuid


class SqlLoginThrottleRepository:
    """Keyed by the pair's hash; ``save`` inserts or replaces (the caller holds no lock)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    @staticmethod
    def _to_record(row: LoginThrottleRow) -> LoginThrottleRecord:
        return LoginThrottleRecord(row.key, row.failures, row.last_failure_at, row.blocked_until)

    def get(self, key: str) -> LoginThrottleRecord | None:
        row = self._session.get(LoginThrottleRow, key)
        return None if row is None else self._to_record(row)

    def save(self, entry: LoginThrottleRecord) -> None:
        row = self._session.get(LoginThrottleRow, entry.key)
        if row is None:
            self._session.add(
                LoginThrottleRow(
                    key=entry.key,
                    failures=entry.failures,
                    last_failure_at=entry.last_failure_at,
                    blocked_until=entry.blocked_until,
                )
            )
        else:
            row.failures = entry.failures
            row.last_failure_at = entry.last_failure_at
            row.blocked_until = entry.blocked_until
        try:
            self._session.flush()
        except sa.exc.IntegrityError:
            self._session.rollback()
            raise Conflict("the change clashes with stored login_throttle") from None

    def delete(self, key: str) -> None:
        self._session.flush()
        self._session.execute(sa.delete(LoginThrottleRow).where(LoginThrottleRow.key == key))
        self._session.expire_all()

    def prune(self, before: datetime) -> int:
        self._session.flush()
        statement = sa.delete(LoginThrottleRow).where(LoginThrottleRow.last_failure_at < before)
        count = int(self._session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]
        self._session.expire_all()
        return count


class SqlReminderSlotRepository(_Repository[ReminderSlotRecord, ReminderSlotRow]):
    row_type = ReminderSlotRow
    record_type = ReminderSlotRecord

    def for_patient(self, patient_id: int) -> list[ReminderSlotRecord]:
        statement = sa.select(ReminderSlotRow).where(ReminderSlotRow.patient_id == patient_id)
        return self._all(statement.order_by(ReminderSlotRow.slot))


class SqlCalendarFeedRepository(_Repository[CalendarFeedRecord, CalendarFeedRow]):
    row_type = CalendarFeedRow
    record_type = CalendarFeedRecord

    def by_hash(self, token_hash: str) -> CalendarFeedRecord | None:
        return self._one(sa.select(CalendarFeedRow).where(CalendarFeedRow.token_hash == token_hash))

    def for_patient(self, patient_id: int) -> CalendarFeedRecord | None:
        return self._one(sa.select(CalendarFeedRow).where(CalendarFeedRow.patient_id == patient_id))

    def remove(self, patient_id: int) -> bool:
        self._session.flush()
        statement = sa.delete(CalendarFeedRow).where(CalendarFeedRow.patient_id == patient_id)
        count = int(self._session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]
        self._session.expire_all()
        return count > 0
