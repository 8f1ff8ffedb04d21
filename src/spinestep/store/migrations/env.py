"""Alembic environment: runs migrations on the connection handed over by ``spinestep.store``.

``spinestep.store.engine.migrate`` builds the Alembic ``Config`` in code and passes an
open connection in ``config.attributes["connection"]``; no ``alembic.ini`` is involved.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from spinestep.store.tables import Base

config = context.config
connection: Connection | None = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through spinestep.store.migrate(engine)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
