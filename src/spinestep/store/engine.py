"""Engines and migrations.

``make_engine(url)`` opens SQLite (a file; its directory is created) or PostgreSQL (via
psycopg 3). SQLite runs in WAL mode with ``synchronous=FULL`` and foreign keys on, so a
committed session survives a crash or power cut. A SQLite file is owner-only: its folder
0700, the database and its ``-wal``/``-shm`` files 0600 (``spinestep.store.files``),
checked and tightened whenever an engine is made. ``migrate(engine)`` brings the schema to
the newest Alembic revision shipped inside this package; no ``alembic.ini`` is needed.
"""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

from spinestep.errors import StorageError
from spinestep.store.files import create_private_file, private_folder, private_sqlite_files

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

#: The newest revision in ``migrations/versions`` (a test checks it against Alembic's
#: head). A database already there opens without importing Alembic at all, which keeps
#: every command that opens the store quick to start; raise it with each new migration.
HEAD_REVISION = "0011"


def normalise_url(url: str | URL) -> URL:
    """Use psycopg 3 for a bare ``postgresql://`` URL."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str | URL, *, echo: bool = False) -> Engine:
    """An engine for ``url``: SQLite (file created with its directory) or PostgreSQL."""
    parsed = normalise_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        file = None
        if database and database != ":memory:" and not database.startswith("file:"):
            file = Path(database).expanduser()
            _private_database(file)
        engine = sa.create_engine(parsed, echo=echo, connect_args={"timeout": 30})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        if file is not None:
            sa.event.listen(engine, "connect", _sidecars_checked(file), once=True)
        return engine
    if backend == "postgresql":
        return sa.create_engine(parsed, echo=echo, pool_pre_ping=True)
    raise StorageError(f"unsupported database URL scheme: {parsed.drivername}")


def _private_database(file: Path) -> None:
    """The database 0600, created so or tightened; its folder made 0700 when we create it.

    An existing folder is tightened only when it is the default data folder: a folder
    someone chose for the database may be shared (``/tmp``, a home or project folder).
    """
    from spinestep.settings import default_data_dir

    folder = file.parent
    private_folder(folder, tighten_existing=folder.resolve() == default_data_dir().resolve())
    if not file.exists():
        with suppress(FileExistsError):  # another process made it a moment ago
            create_private_file(file)
    private_sqlite_files(file)


def _sidecars_checked(file: Path) -> Any:
    """After the first connection: the ``-wal``/``-shm`` files SQLite may just have made."""

    def check(_dbapi_connection: Any, _record: Any) -> None:
        private_sqlite_files(file)

    return check


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=30000")
    finally:
        cursor.close()


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic configuration built in code, pointing at the packaged migrations."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise StorageError("no migrations are shipped with this installation")
    return head


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def known_revisions() -> frozenset[str]:
    """Every schema revision this installation's migrations know."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return frozenset(revision.revision for revision in script.walk_revisions())


def stored_revision(engine: Engine) -> str | None:
    """The revision the database records, read with one query (None: no schema yet)."""
    try:
        with engine.connect() as connection:
            rows = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    except sa.exc.DBAPIError:
        return None  # no alembic_version table: a new database
    return str(rows[0][0]) if len(rows) == 1 else None


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema to ``revision`` (the newest by default)."""
    if revision in ("head", HEAD_REVISION) and stored_revision(engine) == HEAD_REVISION:
        return
    from alembic import command

    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), revision)
    except sa.exc.SQLAlchemyError as error:
        problem = type(error).__name__
        raise StorageError(f"the database could not be migrated ({problem})") from error


def migrate_connection(connection: sa.Connection, revision: str = "head") -> None:
    """Upgrade the schema seen by ``connection`` inside the caller's transaction."""
    from alembic import command

    try:
        command.upgrade(alembic_config(connection), revision)
    except sa.exc.SQLAlchemyError as error:
        problem = type(error).__name__
        raise StorageError(f"the database could not be migrated ({problem})") from error


def integrity_ok(engine: Engine) -> bool:
    """SQLite's ``integrity_check`` and ``foreign_key_check``; PostgreSQL always answers true."""
    if engine.dialect.name != "sqlite":
        return True
    with engine.connect() as connection:
        integrity = connection.exec_driver_sql("PRAGMA integrity_check").scalars().all()
        dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    return integrity == ["ok"] and not dangling


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to ``revision`` (``base`` drops every table). For admins and tests."""
    from alembic import command

    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)
