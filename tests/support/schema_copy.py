"""Fresh databases at the newest schema without running every migration for each test.

Alembic's migrations cost about 0.15 s on SQLite and 0.3 s on PostgreSQL per database,
and most tests start from an empty database: the web clinic, the use-case context, the
record-history store. Each test process migrates one template per database server
instead, and ``at_newest_schema(url)`` gives an *empty* database its copy — SQLite a copy
of the template file, PostgreSQL ``CREATE DATABASE … TEMPLATE`` under the same name — with
a new installation UUID, as migration 0007 makes one for every database. A database that
is not empty is left alone, so calling it before ``open_store`` changes nothing for a
test that has already put something there; ``open_store`` then finds the schema at head
and does not load Alembic.

The migrations themselves are still run from empty by the template (once per process)
and by the migration tests, which use ``database_url`` without this helper.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from spinestep.store import open_store
from spinestep.store.engine import normalise_url

_LOCK = threading.Lock()
_TEMPLATES: dict[str, str] = {}  # SQLite: "sqlite" -> file; PostgreSQL: server -> database


def at_newest_schema(database_url: str) -> None:
    """Bring the database at ``database_url`` to the newest schema if it is still empty."""
    url = normalise_url(database_url)
    copied = False
    if url.get_backend_name() == "sqlite":
        copied = _sqlite_copy(url.database or "")
    elif url.get_backend_name() == "postgresql":
        copied = _postgres_copy(database_url)
    if copied:
        _new_installation(database_url)


def _sqlite_copy(database: str) -> bool:
    if not database or database == ":memory:" or database.startswith("file:"):
        return False
    target = Path(database)
    if target.exists() and target.stat().st_size > 0:
        return False
    template = _sqlite_template()
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Owner-only from the start, as the store makes its own files.
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(Path(template).read_bytes())
    return True


def _sqlite_template() -> str:
    with _LOCK:
        if "sqlite" not in _TEMPLATES:
            folder = Path(_private_temp_folder())
            file = folder / "template.db"
            engine, _ = open_store(f"sqlite:///{file}")
            with engine.connect() as connection:
                # Everything into the main file, so copying the one file copies it all.
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                connection.exec_driver_sql("PRAGMA journal_mode=DELETE")
            engine.dispose()
            _TEMPLATES["sqlite"] = str(file)
        return _TEMPLATES["sqlite"]


def _private_temp_folder() -> str:
    folder = tempfile.mkdtemp(prefix="spinestep-template-")
    atexit.register(shutil.rmtree, folder, True)
    return folder


def _postgres_copy(database_url: str) -> bool:
    import psycopg

    url = make_url(database_url)
    name = url.database or ""
    server = url.set(drivername="postgresql", database="postgres")
    server_dsn = server.render_as_string(hide_password=False)
    with psycopg.connect(url.set(drivername="postgresql").render_as_string(False)) as conn:
        has_schema = conn.execute("SELECT to_regclass('public.alembic_version')").fetchone()
    if has_schema is not None and has_schema[0] is not None:
        return False
    template = _postgres_template(server_dsn, url)
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}"')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return True


def _postgres_template(server_dsn: str, url: sa.URL) -> str:
    import psycopg

    with _LOCK:
        if server_dsn not in _TEMPLATES:
            name = f"template_{uuid.uuid4().hex[:12]}"
            with psycopg.connect(server_dsn, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            engine, _ = open_store(url.set(database=name))
            engine.dispose()  # no connection may stay open on a template
            _TEMPLATES[server_dsn] = name
        return _TEMPLATES[server_dsn]


def _new_installation(database_url: str) -> None:
    """A new installation UUID, as the migration gives each database its own (the copy's
    creation time stays the template's, made moments before)."""
    engine = sa.create_engine(normalise_url(database_url), poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE installation SET uuid = :uuid WHERE id = 1"),
                {"uuid": str(uuid.uuid4())},
            )
    finally:
        engine.dispose()
