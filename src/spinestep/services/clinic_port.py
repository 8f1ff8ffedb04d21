"""The storage port of the clinic's own settings: the care team's contact details and the
questionnaire wording packs (implemented by ``spinestep.store.clinic_repo``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from spinestep.domain.contacts import ContactDetails
from spinestep.services.records import JsonDict


@dataclass(slots=True)
class StoredWordingPack:
    """A loaded wording pack; ``content`` holds its items as ``WordingPack.content_json``."""

    instrument: str
    language: str
    pack_version: int
    title: str
    instructions: str | None
    source: str
    licence: str
    content: JsonDict
    checksum: str
    loaded_at: datetime
    loaded_by: int | None = None
    id: int | None = None


class ClinicRepository(Protocol):
    def clinic_contacts(self) -> ContactDetails:
        """The clinic's contact details (empty when never set)."""
        ...

    def set_clinic_contacts(self, details: ContactDetails, at: datetime, by: int | None) -> None:
        """Insert or replace the clinic's one row of contact details."""
        ...

    def clinician_contacts(self, user_ids: list[int]) -> dict[int, ContactDetails]:
        """The contact details of these clinicians (only those who set some)."""
        ...

    def set_clinician_contacts(self, user_id: int, details: ContactDetails, at: datetime) -> None:
        """Insert or replace the clinician's own contact details."""
        ...

    def add_pack(self, pack: StoredWordingPack) -> StoredWordingPack: ...
    def find_pack(
        self, instrument: str, language: str, version: int
    ) -> StoredWordingPack | None: ...

    def get_pack(self, pack_id: int) -> StoredWordingPack | None: ...
    def newest_pack(self, instrument: str, language: str) -> StoredWordingPack | None:
        """The pack of the highest ``pack_version`` for this instrument and language."""
        ...

    def packs(self) -> list[StoredWordingPack]:
        """Every loaded pack, by instrument, language and version."""
        ...

    def mark_shown(self, response_id: int, pack_id: int) -> None:
        """Record that the response ``response_id`` was answered from pack ``pack_id``."""
        ...

    def shown_packs(self, response_ids: list[int]) -> dict[int, StoredWordingPack]:
        """The pack each of these responses was answered from (those answered from one)."""
        ...
