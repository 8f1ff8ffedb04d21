"""A store migrated to one revision, and what its tables hold, for the upgrade tests of
single migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from spinestep.store import make_engine, migrate


@contextmanager
def store_at(database_url: str, revision: str) -> Iterator[sa.Engine]:
    """An engine on ``database_url`` with the schema migrated up to ``revision`` only;
    disposed when the block ends."""
    engine = make_engine(database_url)
    try:
        migrate(engine, revision)
        yield engine
    finally:
        engine.dispose()


def table_names(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def row_count(engine: sa.Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
