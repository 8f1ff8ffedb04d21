"""Backup and restore of the whole database, while the app keeps running.

- SQLite (``spinestep.store.backup_sqlite``): a consistent copy made with SQLite's online
  backup API, carrying its manifest in a table of the copy.
- PostgreSQL (``spinestep.store.backup_logical``): gzip-compressed JSON lines read in
  one snapshot, with a header and a trailer that is the manifest.

Every backup says its schema revision and, per table, its row count and SHA-256
(``spinestep.store.backup_manifest``). A restore builds and checks a complete copy
first (revision known, manifest equal to the rows, no unexpected schema objects,
integrity) and only then swaps it in atomically; any refusal is one ``InvalidInput``
line and leaves the database as it was. Backup files are created 0600.

A restore into a database that already holds records needs ``replace=True``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from spinestep.errors import Conflict, InvalidInput, StorageError
from spinestep.store import backup_logical, backup_sqlite
from spinestep.store.backup_manifest import refused
from spinestep.store.engine import make_engine

SQLITE_MAGIC = b"SQLite format 3\x00"
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, slots=True)
class BackupSummary:
    kind: str
    path: Path
    revision: str | None
    rows: int


def backup(url: str, destination: Path, *, overwrite: bool = False) -> BackupSummary:
    """Write a backup of the database at ``url`` to ``destination`` (a new 0600 file)."""
    if destination.exists() and not overwrite:
        raise Conflict(f"{destination.name} already exists; choose another name")
    if not destination.parent.is_dir():
        raise InvalidInput("FILE", f"the folder {destination.parent} does not exist")
    engine = make_engine(url)
    try:
        if engine.dialect.name == "sqlite":
            revision, rows = backup_sqlite.write_backup(_sqlite_path(engine), destination)
            return BackupSummary("sqlite", destination, revision, rows)
        revision_or_none, rows = backup_logical.write_backup(engine, destination)
        return BackupSummary("logical", destination, revision_or_none, rows)
    except sa.exc.SQLAlchemyError as error:
        problem = type(error).__name__
        raise StorageError(f"the database could not be backed up ({problem})") from None
    finally:
        engine.dispose()


def restore(url: str, source: Path, *, replace: bool = False) -> BackupSummary:
    """Check the backup at ``source`` in a copy, then swap it in for the database at ``url``."""
    if not source.is_file():
        raise InvalidInput("FILE", f"{source.name} is not a file")
    try:
        with source.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise InvalidInput("FILE", f"cannot read {source.name}: {error.strerror}") from None
    engine = make_engine(url)
    try:
        if head == SQLITE_MAGIC:
            if engine.dialect.name != "sqlite":
                raise refused("a SQLite backup restores into a SQLite database")
            target = _sqlite_path(engine)
            engine.dispose()
            revision, rows = backup_sqlite.restore_backup(source, target, replace=replace)
            return BackupSummary("sqlite", source, revision, rows)
        if head[:2] == GZIP_MAGIC:
            if engine.dialect.name != "postgresql":
                raise refused("a PostgreSQL backup restores into PostgreSQL")
            if not replace and _holds_records(engine):
                raise Conflict("the database already holds records; confirm to replace them")
            revision, rows = backup_logical.restore_backup(engine, source)
            return BackupSummary("logical", source, revision, rows)
        raise refused("the file is not a spinestep backup")
    finally:
        engine.dispose()


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise StorageError("an in-memory database cannot be backed up or restored")
    return Path(database).expanduser()


def _holds_records(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            return any(
                connection.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first()
                for table in backup_logical.data_tables(connection)
            )
    except sa.exc.SQLAlchemyError as error:
        problem = type(error).__name__
        raise StorageError(f"the database could not be reached ({problem})") from None
