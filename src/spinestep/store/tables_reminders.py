"""Tables of the e-mail reminders (created by migration 0011)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from spinestep.services.reminder_ports import ReminderMode, SendOutcome
from spinestep.store import tables
from spinestep.store.types import enum_column


class ReminderChoiceRow(tables.Base):
    """A patient's reminder setting: mode and quiet period (local ``HH:MM``)."""

    __tablename__ = "reminder_choices"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("patients.id", ondelete="CASCADE"), unique=True
    )
    mode: Mapped[ReminderMode] = mapped_column(enum_column(ReminderMode, 16))
    quiet_start: Mapped[str] = mapped_column(sa.String(5))
    quiet_end: Mapped[str] = mapped_column(sa.String(5))
    updated_at: Mapped[datetime]


class ReminderSentRow(tables.Base):
    """One reminder, claimed by the sender that inserted it: at most one per (patient,
    local date, slot), so several processes never send the same reminder twice. Only the
    SHA-256 of the e-mail's unsubscribe token is kept."""

    __tablename__ = "reminders_sent"
    __table_args__ = (sa.UniqueConstraint("patient_id", "local_date", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(index=True)
    slot: Mapped[str] = mapped_column(sa.String(7))
    claimed_at: Mapped[datetime]
    outcome: Mapped[SendOutcome] = mapped_column(enum_column(SendOutcome, 8))
    unsubscribe_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
