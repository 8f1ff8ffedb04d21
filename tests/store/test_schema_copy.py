"""The tests' fresh databases (``tests/support/schema_copy.py``) are what migrating an
empty database gives: the newest schema, no rows but the installation, and an
installation UUID of their own."""

from __future__ import annotations

import sqlalchemy as sa

from spinestep.store import make_engine, migrate
from spinestep.store.engine import HEAD_REVISION, stored_revision
from tests.services.history_builder import second_database_url
from tests.support.schema_copy import at_newest_schema

__all__ = ["second_database_url"]


def _shape(url: str) -> tuple[str | None, dict[str, list[str]], str, int]:
    engine = make_engine(url)
    try:
        inspector = sa.inspect(engine)
        tables = {
            name: sorted(column["name"] for column in inspector.get_columns(name))
            for name in inspector.get_table_names()
        }
        with engine.connect() as connection:
            installation = connection.execute(sa.text("SELECT uuid FROM installation")).scalar_one()
            users = connection.execute(sa.text("SELECT count(*) FROM users")).scalar_one()
        return stored_revision(engine), tables, installation, int(users)
    finally:
        engine.dispose()


def test_a_copy_is_the_migrated_schema_with_an_installation_of_its_own(
    database_url: str, second_database_url: str
) -> None:
    at_newest_schema(database_url)
    migrated_url = second_database_url
    engine = make_engine(migrated_url)
    migrate(engine)
    engine.dispose()

    revision, tables, installation, users = _shape(database_url)
    migrated_revision, migrated_tables, migrated_installation, _ = _shape(migrated_url)
    assert revision == migrated_revision == HEAD_REVISION
    assert tables == migrated_tables
    assert users == 0
    assert installation != migrated_installation


def test_a_database_with_a_schema_is_left_alone(database_url: str) -> None:
    at_newest_schema(database_url)
    _, _, installation, _ = _shape(database_url)
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO users (email, display_name, role, active, created_at) "
                "VALUES ('a@b.example', 'A', 'admin', true, CURRENT_TIMESTAMP)"
            )
        )
    engine.dispose()
    at_newest_schema(database_url)
    _, _, again, users = _shape(database_url)
    assert (again, users) == (installation, 1)
