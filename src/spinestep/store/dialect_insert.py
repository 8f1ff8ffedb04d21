"""``INSERT`` in the session's own dialect, for ``ON CONFLICT`` clauses.

SQLite and PostgreSQL both have ``INSERT ... ON CONFLICT``, but SQLAlchemy spells it
through each dialect's own ``insert``. The dialect modules are imported on first use, so
opening the store (every CLI command) does not pay for them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session


def dialect_insert(session: Session, table: Any) -> Any:
    """``insert(table)`` of the session's dialect (PostgreSQL or SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)
