"""Tables of the questionnaire wording packs and the care team's contact details (created
by migration 0010).

- ``clinic_contacts``: the one row of the clinic's phone, e-mail and hours;
- ``clinician_contacts``: a clinician's own phone, e-mail and hours (one row per account);
- ``wording_packs``: every loaded wording pack, kept for good (the newest ``pack_version``
  of an instrument and language is shown);
- ``questionnaire_wording_shown``: which pack a stored questionnaire response was answered
  from (none when it was answered from the paper form).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from spinestep.store.tables import Base


class ClinicContactRow(Base):
    __tablename__ = "clinic_contacts"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    hours: Mapped[str | None] = mapped_column(sa.String(200))
    updated_at: Mapped[datetime]
    updated_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))


class ClinicianContactRow(Base):
    __tablename__ = "clinician_contacts"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    hours: Mapped[str | None] = mapped_column(sa.String(200))
    updated_at: Mapped[datetime]


class WordingPackRow(Base):
    __tablename__ = "wording_packs"
    __table_args__ = (sa.UniqueConstraint("instrument", "language", "pack_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument: Mapped[str] = mapped_column(sa.String(16))
    language: Mapped[str] = mapped_column(sa.String(35))
    pack_version: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(200))
    instructions: Mapped[str | None] = mapped_column(sa.Text)
    source: Mapped[str] = mapped_column(sa.Text)
    licence: Mapped[str] = mapped_column(sa.Text)
    content: Mapped[dict[str, Any]]
    checksum: Mapped[str] = mapped_column(sa.String(64))
    loaded_at: Mapped[datetime]
    loaded_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))


class WordingShownRow(Base):
    __tablename__ = "questionnaire_wording_shown"

    response_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questionnaire_responses.id", ondelete="CASCADE"), primary_key=True
    )
    pack_id: Mapped[int] = mapped_column(
        sa.ForeignKey("wording_packs.id", ondelete="RESTRICT"), index=True
    )
