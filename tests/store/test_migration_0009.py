"""Migration 0009: the message tables arrive on a database that already holds patients,
accounts and decisions (their rows survive), take messages that refer to them, and go
again on downgrade without touching the rest. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

from spinestep.domain.model import Decision, EmergencyNumber, Urgency
from spinestep.services.messages_port import MessageRecord, ThreadRecord
from spinestep.services.records import PatientRecord, Role, StoredDecision, UserRecord
from spinestep.store import current_revision, migrate, unit_of_work_factory
from spinestep.store.engine import downgrade
from tests.support.migrated import row_count, store_at, table_names

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
MESSAGE_TABLES = {"message_threads", "messages", "message_reads", "message_sends"}


def test_rows_stored_before_survive_and_messages_refer_to_them(database_url: str) -> None:
    with store_at(database_url, "0008") as engine:
        assert not MESSAGE_TABLES & table_names(engine)
        with unit_of_work_factory(engine)() as uow:
            user = uow.users.add(UserRecord("pat@example.org", "Pat", Role.PATIENT, T0))
            patient = uow.patients.add(
                PatientRecord("Pat", "UTC", EmergencyNumber.UK, T0, user_id=user.id)
            )
            assert patient.id is not None and user.id is not None
            decision = uow.decisions.add(
                StoredDecision(
                    patient.id, T0, Decision.STAY, Urgency.ROUTINE, 1, None, [], "", None, {},
                    "2026.12-1",
                )
            )  # fmt: skip
            uow.commit()
        before = {t: row_count(engine, t) for t in ("users", "patients", "decisions")}

        migrate(engine, "0009")
        assert current_revision(engine) == "0009"
        assert table_names(engine) >= MESSAGE_TABLES
        assert {t: row_count(engine, t) for t in before} == before
        migrate(engine)
        with unit_of_work_factory(engine)() as uow:
            thread = uow.messages.add_thread(ThreadRecord(patient.id, "Hello", user.id, T0, T0))
            assert thread.id is not None
            uow.messages.add(
                MessageRecord(
                    thread.id, patient.id, user.id, Role.PATIENT, "Hi", T0, decision_id=decision.id
                )
            )
            assert uow.messages.take_send(user.id, T0, 5)
            uow.commit()
        with unit_of_work_factory(engine)() as uow:
            assert uow.messages.unread_for_patient(patient.id, user.id) == 0
            assert [m.decision_id for m in uow.messages.for_patient(patient.id)] == [decision.id]

        downgrade(engine, "0008")
        assert not MESSAGE_TABLES & table_names(engine)
        assert {t: row_count(engine, t) for t in before} == before
