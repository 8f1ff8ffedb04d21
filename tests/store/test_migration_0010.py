"""Migration 0010: wording packs and contact details, added to a database that has rows.
On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from spinestep.domain.contacts import ContactDetails
from spinestep.domain.model import EmergencyNumber
from spinestep.services.clinic_port import StoredWordingPack
from spinestep.services.records import PatientRecord, Role, StoredQuestionnaire, UserRecord
from spinestep.store import current_revision, migrate, unit_of_work_factory
from spinestep.store.engine import downgrade
from tests.support.migrated import row_count, store_at, table_names

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
NEW_TABLES = {
    "clinic_contacts",
    "clinician_contacts",
    "wording_packs",
    "questionnaire_wording_shown",
}


def test_rows_stored_before_survive_and_the_new_tables_work(database_url: str) -> None:
    with store_at(database_url, "0009") as engine:
        assert not NEW_TABLES & table_names(engine)
        with unit_of_work_factory(engine)() as uow:
            physio = uow.users.add(UserRecord("p@clinic.example", "Physio", Role.CLINICIAN, T0))
            patient = uow.patients.add(
                PatientRecord("Ann", "UTC", EmergencyNumber.UK, T0, clinician_id=physio.id)
            )
            assert patient.id is not None
            response = uow.questionnaires.add(
                StoredQuestionnaire(patient.id, "odi", T0, {"answers": [1] * 10}, {"score": 20})
            )
            uow.commit()

        migrate(engine)
        assert current_revision(engine) != "0009"
        assert table_names(engine) >= NEW_TABLES
        assert row_count(engine, "users") == 1 and row_count(engine, "questionnaire_responses") == 1
        assert all(row_count(engine, table) == 0 for table in NEW_TABLES)

        with unit_of_work_factory(engine)() as uow:
            assert uow.clinic.clinic_contacts().empty
            assert physio.id is not None and response.id is not None
            uow.clinic.set_clinician_contacts(physio.id, ContactDetails(phone="0800 000"), T0)
            pack = uow.clinic.add_pack(
                StoredWordingPack(
                    "odi", "en", 1, "Test", None, "src", "lic", {"items": []}, "0" * 64, T0
                )
            )
            assert pack.id is not None
            uow.clinic.mark_shown(response.id, pack.id)  # an old response can point at a pack
            uow.commit()
        assert row_count(engine, "questionnaire_wording_shown") == 1

        downgrade(engine, "0009")
        assert not NEW_TABLES & table_names(engine)
        assert row_count(engine, "questionnaire_responses") == 1
