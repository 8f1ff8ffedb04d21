"""spinestep.store: SQLAlchemy tables, repositories and the Alembic migrations.

The public entry points::

    engine = make_engine(url)            # SQLite file or PostgreSQL (psycopg 3)
    migrate(engine)                      # schema to the newest shipped revision
    uow_factory = unit_of_work_factory(engine)
    engine, uow_factory = open_store(url)  # both at once
"""

from spinestep.store.engine import (
    current_revision,
    head_revision,
    integrity_ok,
    make_engine,
    migrate,
)
from spinestep.store.uow import SqlUnitOfWork, open_store, unit_of_work_factory

__all__ = [
    "SqlUnitOfWork",
    "current_revision",
    "head_revision",
    "integrity_ok",
    "make_engine",
    "migrate",
    "open_store",
    "unit_of_work_factory",
]
