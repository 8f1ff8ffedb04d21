"""The packaged Alembic migrations build the schema from empty on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from spinestep.errors import StorageError
from spinestep.store import current_revision, head_revision, make_engine, migrate
from spinestep.store.engine import MIGRATIONS_DIR, downgrade
from spinestep.store.tables import Base

# Written out by hand from the storage brief, not read from the code.
EXPECTED_TABLES = {
    "users",
    "api_tokens",
    "patients",
    "programme_assignments",
    "red_flag_reports",
    "screenings",
    "sessions",
    "decisions",
    "programme_events",
    "questionnaire_responses",
    "audit_log",
    "invites",
    "deletion_requests",
    "idempotency_keys",  # 0004
    "browser_sessions",  # 0006
    "password_resets",  # 0006
    "login_throttle",  # 0006
    "installation",  # 0007
    "reminder_slots",  # 0008
    "calendar_feeds",  # 0008
    "message_threads",  # 0009
    "messages",  # 0009
    "message_reads",  # 0009
    "message_sends",  # 0009
    "clinic_contacts",  # 0010
    "clinician_contacts",  # 0010
    "wording_packs",  # 0010
    "questionnaire_wording_shown",  # 0010
    "reminder_choices",  # 0011
    "reminders_sent",  # 0011
}


def test_upgrade_from_empty_creates_every_table(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert current_revision(engine) is None
        migrate(engine)
        tables = set(sa.inspect(engine).get_table_names())
        assert tables == EXPECTED_TABLES | {"alembic_version"}
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_table_definitions(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_migrating_twice_changes_nothing(engine: Engine) -> None:
    before = current_revision(engine)
    migrate(engine)
    assert current_revision(engine) == before == head_revision()


def test_downgrade_to_base_removes_the_tables(engine: Engine) -> None:
    downgrade(engine, "base")
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate(engine)
    assert set(sa.inspect(engine).get_table_names()) >= EXPECTED_TABLES


def test_migrations_ship_inside_the_package() -> None:
    import spinestep

    package_dir = Path(spinestep.__file__).parent
    assert MIGRATIONS_DIR.is_relative_to(package_dir)
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert list((MIGRATIONS_DIR / "versions").glob("0001_*.py"))


def test_sqlite_file_in_a_missing_directory_is_created_durable(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "spinestep.db"
    engine = make_engine(f"sqlite:///{target}")
    try:
        migrate(engine)
        assert target.is_file()
        with engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar_one() == "wal"
            assert pragma("PRAGMA foreign_keys").scalar_one() == 1
            assert pragma("PRAGMA synchronous").scalar_one() == 2  # FULL
    finally:
        engine.dispose()


def test_unsupported_url_is_a_storage_error() -> None:
    with pytest.raises(StorageError, match="unsupported database URL"):
        make_engine("mysql://localhost/spinestep")
