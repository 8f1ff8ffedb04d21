"""The clinic's settings in SQL: care-team contact details and questionnaire wording packs.

Contact details are written with an upsert (``INSERT ... ON CONFLICT DO UPDATE`` on both
SQLite and PostgreSQL), so two people saving at once never clash on the first insert;
the last one saved wins.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from spinestep.domain.contacts import ContactDetails
from spinestep.services.clinic_port import StoredWordingPack
from spinestep.store.dialect_insert import dialect_insert
from spinestep.store.tables_clinic import (
    ClinicContactRow,
    ClinicianContactRow,
    WordingPackRow,
    WordingShownRow,
)

CLINIC_ROW_ID = 1
_PACK_FIELDS = tuple(f.name for f in fields(StoredWordingPack))


def contact_details(row: ClinicContactRow | ClinicianContactRow | None) -> ContactDetails:
    if row is None:
        return ContactDetails()
    return ContactDetails(phone=row.phone, email=row.email, hours=row.hours)


def _pack(row: WordingPackRow) -> StoredWordingPack:
    return StoredWordingPack(**{name: getattr(row, name) for name in _PACK_FIELDS})


class SqlClinicRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def _upsert(self, table: sa.Table, key: str, values: dict[str, Any]) -> None:
        self._session.flush()
        statement = dialect_insert(self._session, table).values(**values)
        updated = {name: value for name, value in values.items() if name != key}
        self._session.execute(statement.on_conflict_do_update(index_elements=[key], set_=updated))
        self._session.expire_all()

    def clinic_contacts(self) -> ContactDetails:
        return contact_details(self._session.get(ClinicContactRow, CLINIC_ROW_ID))

    def set_clinic_contacts(self, details: ContactDetails, at: datetime, by: int | None) -> None:
        values = {
            "id": CLINIC_ROW_ID,
            "phone": details.phone,
            "email": details.email,
            "hours": details.hours,
            "updated_at": at,
            "updated_by": by,
        }
        self._upsert(ClinicContactRow.__table__, "id", values)  # type: ignore[arg-type]

    def clinician_contacts(self, user_ids: list[int]) -> dict[int, ContactDetails]:
        if not user_ids:
            return {}
        statement = sa.select(ClinicianContactRow).where(ClinicianContactRow.user_id.in_(user_ids))
        return {row.user_id: contact_details(row) for row in self._session.scalars(statement)}

    def set_clinician_contacts(self, user_id: int, details: ContactDetails, at: datetime) -> None:
        values = {
            "user_id": user_id,
            "phone": details.phone,
            "email": details.email,
            "hours": details.hours,
            "updated_at": at,
        }
        self._upsert(ClinicianContactRow.__table__, "user_id", values)  # type: ignore[arg-type]

    def add_pack(self, pack: StoredWordingPack) -> StoredWordingPack:
        row = WordingPackRow(**{name: getattr(pack, name) for name in _PACK_FIELDS if name != "id"})
        self._session.add(row)
        self._session.flush()
        pack.id = row.id
        return pack

    def find_pack(self, instrument: str, language: str, version: int) -> StoredWordingPack | None:
        statement = sa.select(WordingPackRow).where(
            WordingPackRow.instrument == instrument,
            WordingPackRow.language == language,
            WordingPackRow.pack_version == version,
        )
        row = self._session.scalars(statement).first()
        return None if row is None else _pack(row)

    def get_pack(self, pack_id: int) -> StoredWordingPack | None:
        row = self._session.get(WordingPackRow, pack_id)
        return None if row is None else _pack(row)

    def newest_pack(self, instrument: str, language: str) -> StoredWordingPack | None:
        statement = (
            sa.select(WordingPackRow)
            .where(WordingPackRow.instrument == instrument, WordingPackRow.language == language)
            .order_by(WordingPackRow.pack_version.desc())
            .limit(1)
        )
        row = self._session.scalars(statement).first()
        return None if row is None else _pack(row)

    def packs(self) -> list[StoredWordingPack]:
        statement = sa.select(WordingPackRow).order_by(
            WordingPackRow.instrument, WordingPackRow.language, WordingPackRow.pack_version
        )
        return [_pack(row) for row in self._session.scalars(statement)]

    def mark_shown(self, response_id: int, pack_id: int) -> None:
        self._session.add(WordingShownRow(response_id=response_id, pack_id=pack_id))
        self._session.flush()

    def shown_packs(self, response_ids: list[int]) -> dict[int, StoredWordingPack]:
        if not response_ids:
            return {}
        statement = (
            sa.select(WordingShownRow.response_id, WordingPackRow)
            .join(WordingPackRow, WordingPackRow.id == WordingShownRow.pack_id)
            .where(WordingShownRow.response_id.in_(response_ids))
        )
        return {response_id: _pack(row) for response_id, row in self._session.execute(statement)}
