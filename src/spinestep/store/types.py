"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from spinestep.domain.model import Location


class UTCDateTime(TypeDecorator[datetime]):
    """An instant, stored in UTC; always read back timezone-aware (UTC).

    SQLite keeps no zone, so the value is stored as naive UTC there; PostgreSQL uses
    ``timestamp with time zone``. A naive value is refused: it is always a bug.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(enum_class: type[Enum], length: int = 32) -> sa.Enum:
    """A string column holding an enum's values (not names), without a native DB type."""
    return sa.Enum(
        enum_class,
        native_enum=False,
        length=length,
        values_callable=lambda members: [str(member.value) for member in members],
        validate_strings=True,
    )


def json_column() -> sa.types.TypeEngine[Any]:
    return sa.JSON()


class LocationCode(TypeDecorator[Location]):
    """A symptom location stored as its SPEC code (``thigh``), read back as ``Location``."""

    impl = sa.String(16)
    cache_ok = True

    def process_bind_param(self, value: Location | None, dialect: Dialect) -> str | None:
        return None if value is None else Location(value).code

    def process_result_value(self, value: str | None, dialect: Dialect) -> Location | None:
        return None if value is None else Location.from_code(value)
