"""Migration 0011 adds the e-mail reminder tables to a database that has records: the
records stay, the new tables start empty, and a reminder can be claimed only once.
On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from spinestep.domain.model import EmergencyNumber
from spinestep.services.records import AssignmentRecord, PatientRecord
from spinestep.services.reminder_ports import ReminderChoice, ReminderMode
from spinestep.store import current_revision, migrate, unit_of_work_factory
from spinestep.store.engine import downgrade
from tests.support.migrated import row_count, store_at, table_names

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
NEW_TABLES = {"reminder_choices", "reminders_sent"}


def test_records_stored_before_0011_survive_it(database_url: str) -> None:
    with store_at(database_url, "0010") as engine:
        assert not NEW_TABLES & table_names(engine)
        with engine.begin() as connection:
            for name in ("Ann", "Bo"):
                connection.execute(
                    sa.text(
                        "INSERT INTO patients (uuid, display_name, time_zone, emergency_number,"
                        " self_managed, created_at) VALUES (:uuid, :name, 'UTC', '999', true, :at)"
                    ),
                    {"uuid": f"00000000-0000-4000-8000-00000000000{len(name)}", "name": name,
                     "at": T0.replace(tzinfo=None)},
                )  # fmt: skip

        migrate(engine, "0011")
        assert current_revision(engine) == "0011"
        assert table_names(engine) >= NEW_TABLES
        assert row_count(engine, "patients") == 2
        assert all(row_count(engine, table) == 0 for table in NEW_TABLES)

        factory = unit_of_work_factory(engine)
        with factory() as uow:
            patient = uow.patients.add(PatientRecord("Cy", "UTC", EmergencyNumber.UK, T0))
            assert patient.id is not None
            uow.assignments.add(AssignmentRecord(patient.id, "lumbar-flexion", 1, T0, T0))
            uow.reminders.save_choice(
                ReminderChoice(patient.id, ReminderMode.EACH_SESSION, "21:00", "08:00", T0)
            )
            assert uow.reminders.claim(patient.id, date(2026, 11, 2), "1", "a" * 64, T0)
            assert not uow.reminders.claim(patient.id, date(2026, 11, 2), "1", "b" * 64, T0)
            assert uow.reminders.claim(patient.id, date(2026, 11, 2), "summary", "c" * 64, T0)
            uow.commit()
        with factory() as uow:
            choice = uow.reminders.choice_for(patient.id)
            assert choice is not None and choice.mode is ReminderMode.EACH_SESSION
            assert uow.reminders.patient_for_token("a" * 64) == patient.id
            assert uow.reminders.patient_for_token("b" * 64) is None

        downgrade(engine, "0010")
        assert not NEW_TABLES & table_names(engine)
        assert row_count(engine, "patients") == 3


def test_a_claim_is_unique_even_without_on_conflict(database_url: str) -> None:
    # The unique key itself refuses a second row for the same reminder.
    with store_at(database_url, "head") as engine:
        factory = unit_of_work_factory(engine)
        with factory() as uow:
            patient = uow.patients.add(PatientRecord("Di", "UTC", EmergencyNumber.UK, T0))
            uow.commit()
        assert patient.id is not None
        row = {"p": patient.id, "d": date(2026, 11, 2), "at": T0.replace(tzinfo=None)}
        insert = sa.text(
            "INSERT INTO reminders_sent (patient_id, local_date, slot, claimed_at, outcome,"
            " unsubscribe_hash) VALUES (:p, :d, '2', :at, 'claimed', :h)"
        )
        with engine.begin() as connection:
            connection.execute(insert, {**row, "h": "d" * 64})
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
            connection.execute(insert, {**row, "h": "e" * 64})
        assert row_count(engine, "reminders_sent") == 1
