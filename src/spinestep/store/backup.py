"""Backup and restore of the whole database, while the app keeps running.

- SQLite: the sqlite3 online backup API copies the database page by page into a new
  SQLite file (a consistent snapshot even while others read and write). Restoring
  copies the pages back the same way.
- PostgreSQL: a logical dump of every table, read in one REPEATABLE READ READ ONLY
  transaction (one snapshot), written as gzip-compressed JSON lines: a header with the
  schema revision and the columns of each table, then one line per row. Restoring
  brings the target to the dump's schema revision, replaces every row in one
  transaction, resets the id sequences, then upgrades to the newest schema.

A restore into a database that already holds records needs ``replace=True``.
"""

from __future__ import annotations

import base64
import gzip
import json
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from spinestep.errors import Conflict, InvalidInput, StorageError
from spinestep.store.engine import current_revision, make_engine, migrate

FORMAT = "spinestep-logical-backup"
FORMAT_VERSION = 1
SQLITE_MAGIC = b"SQLite format 3\x00"
VERSION_TABLE = "alembic_version"
BATCH_ROWS = 1000


@dataclass(frozen=True, slots=True)
class BackupSummary:
    kind: str
    path: Path
    revision: str | None
    rows: int


def backup(url: str, destination: Path, *, overwrite: bool = False) -> BackupSummary:
    """Write a backup of the database at ``url`` to ``destination``."""
    if destination.exists() and not overwrite:
        raise Conflict(f"{destination.name} already exists; choose another name")
    if not destination.parent.is_dir():
        raise InvalidInput("FILE", f"the folder {destination.parent} does not exist")
    engine = make_engine(url)
    try:
        if engine.dialect.name == "sqlite":
            return _backup_sqlite(engine, destination)
        return _backup_logical(engine, destination)
    finally:
        engine.dispose()


def restore(url: str, source: Path, *, replace: bool = False) -> BackupSummary:
    """Restore the backup at ``source`` into the database at ``url``."""
    if not source.is_file():
        raise InvalidInput("FILE", f"{source.name} is not a file")
    with source.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    engine = make_engine(url)
    try:
        if not replace and _row_count(engine) > 0:
            raise Conflict("the database already holds records; confirm to replace them")
        if head == SQLITE_MAGIC:
            if engine.dialect.name != "sqlite":
                raise InvalidInput("FILE", "a SQLite backup restores into a SQLite database")
            summary = _restore_sqlite(engine, source)
        elif head[:2] == b"\x1f\x8b":
            if engine.dialect.name != "postgresql":
                raise InvalidInput("FILE", "a PostgreSQL backup restores into PostgreSQL")
            summary = _restore_logical(engine, source)
        else:
            raise InvalidInput("FILE", "is not a spinestep backup")
        migrate(engine)
        return summary
    finally:
        engine.dispose()


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise StorageError("an in-memory database cannot be backed up")
    return Path(database)


def _backup_sqlite(engine: Engine, destination: Path) -> BackupSummary:
    source_path = _sqlite_path(engine)
    if not source_path.is_file():
        raise StorageError("the database file does not exist")
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    with _sqlite(source_path) as source, _sqlite(partial) as target:
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")
        check = target.execute("PRAGMA integrity_check").fetchone()
    if check is None or check[0] != "ok":
        partial.unlink(missing_ok=True)
        raise StorageError("the backup did not pass SQLite's integrity check")
    partial.replace(destination)
    summary_engine = make_engine(f"sqlite:///{destination}")
    try:
        rows = _row_count(summary_engine)
        revision = current_revision(summary_engine)
    finally:
        summary_engine.dispose()
    return BackupSummary("sqlite", destination, revision, rows)


def _restore_sqlite(engine: Engine, source: Path) -> BackupSummary:
    try:
        with _sqlite(source) as backup_db:
            check = backup_db.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError:
        check = None
    if check is None or check[0] != "ok":
        raise InvalidInput("FILE", "the backup is damaged; nothing was restored")
    with _sqlite(source) as backup_db:
        tables = {row[0] for row in backup_db.execute("SELECT name FROM sqlite_master")}
        if VERSION_TABLE not in tables:
            raise InvalidInput("FILE", "is a SQLite file but not a spinestep database")
        with _sqlite(_sqlite_path(engine)) as target:
            backup_db.backup(target)
    rows = _row_count(engine)
    return BackupSummary("sqlite", source, current_revision(engine), rows)


class _sqlite:  # noqa: N801 - a tiny context manager used like a function
    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(str(path), timeout=30)

    def __enter__(self) -> sqlite3.Connection:
        return self.connection

    def __exit__(self, *exc: object) -> None:
        self.connection.close()


def _data_tables(engine: Engine, connection: sa.Connection | None = None) -> list[sa.Table]:
    metadata = sa.MetaData()
    metadata.reflect(bind=connection if connection is not None else engine)
    return [t for t in metadata.sorted_tables if t.name != VERSION_TABLE]


def _row_count(engine: Engine) -> int:
    with engine.connect() as connection:
        tables = _data_tables(engine, connection)
        return sum(
            connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in tables
        )


def _kind(column: sa.Column[Any]) -> str:
    column_type = column.type
    if isinstance(column_type, sa.DateTime):
        return "datetime"
    if isinstance(column_type, sa.Date):
        return "date"
    if isinstance(column_type, sa.Time):
        return "time"
    if isinstance(column_type, sa.Numeric) and not isinstance(column_type, sa.Float):
        return "decimal"
    if isinstance(column_type, sa.LargeBinary):
        return "bytes"
    return "plain"


def _encode(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind in ("datetime", "date", "time"):
        return value.isoformat()
    if kind == "decimal":
        return str(value)
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _decode(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "time":
        return time.fromisoformat(value)
    if kind == "decimal":
        return Decimal(value)
    if kind == "bytes":
        return base64.b64decode(value)
    return value


def _backup_logical(engine: Engine, destination: Path) -> BackupSummary:
    partial = destination.with_name(destination.name + ".partial")
    rows = 0
    snapshot = engine.connect().execution_options(isolation_level="REPEATABLE READ")
    try:
        with snapshot.begin():
            snapshot.exec_driver_sql("SET TRANSACTION READ ONLY")
            revision = snapshot.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}"))
            revision_num = revision.scalar_one_or_none()
            tables = _data_tables(engine, snapshot)
            header = {
                "format": FORMAT,
                "version": FORMAT_VERSION,
                "revision": revision_num,
                "tables": {t.name: [[c.name, _kind(c)] for c in t.columns] for t in tables},
            }
            with gzip.open(partial, "wt", encoding="utf-8") as out:
                out.write(json.dumps(header) + "\n")
                for table in tables:
                    kinds = [_kind(c) for c in table.columns]
                    order = list(table.primary_key.columns) or list(table.columns)
                    for row in snapshot.execute(sa.select(table).order_by(*order)):
                        values = [_encode(v, k) for v, k in zip(row, kinds, strict=True)]
                        out.write(json.dumps({"t": table.name, "r": values}) + "\n")
                        rows += 1
    finally:
        snapshot.close()
    partial.replace(destination)
    return BackupSummary("logical", destination, revision_num, rows)


def _read_header(handle: IO[str]) -> dict[str, Any]:
    try:
        header = json.loads(handle.readline())
    except (OSError, ValueError, EOFError):
        raise InvalidInput("FILE", "is not a spinestep backup") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise InvalidInput("FILE", "is not a spinestep backup")
    if header.get("version") != FORMAT_VERSION:
        raise InvalidInput("FILE", f"backup format version {header.get('version')} is unknown")
    return header


def _restore_logical(engine: Engine, source: Path) -> BackupSummary:
    try:
        with gzip.open(source, "rt", encoding="utf-8") as handle:
            return _load_logical(engine, source, handle)
    except (OSError, EOFError, ValueError, KeyError, TypeError):
        raise InvalidInput("FILE", "the backup is damaged; nothing was restored") from None


def _load_logical(engine: Engine, source: Path, handle: IO[str]) -> BackupSummary:
    header = _read_header(handle)
    revision = header.get("revision")
    if revision:
        migrate(engine, revision)
    count = 0
    with engine.begin() as connection:
        tables = {t.name: t for t in _data_tables(engine, connection)}
        expected: dict[str, list[list[str]]] = header["tables"]
        for name, columns in expected.items():
            table = tables.get(name)
            if table is None or [c.name for c in table.columns] != [c[0] for c in columns]:
                raise InvalidInput("FILE", f"table {name} does not match this schema")
        for table in reversed(list(tables.values())):
            connection.execute(table.delete())
        kinds = {name: [c[1] for c in columns] for name, columns in expected.items()}
        names = {name: [c[0] for c in columns] for name, columns in expected.items()}
        pending: list[dict[str, Any]] = []
        current = ""
        for line in handle:
            item = json.loads(line)
            name = item["t"]
            if name not in tables:
                raise InvalidInput("FILE", f"row of unknown table {name}")
            if pending and (name != current or len(pending) >= BATCH_ROWS):
                connection.execute(tables[current].insert(), pending)
                pending = []
            current = name
            values = [_decode(v, k) for v, k in zip(item["r"], kinds[name], strict=True)]
            pending.append(dict(zip(names[name], values, strict=True)))
            count += 1
        if pending:
            connection.execute(tables[current].insert(), pending)
        if engine.dialect.name == "postgresql":
            _reset_sequences(connection, list(tables.values()))
    return BackupSummary("logical", source, revision, count)


def _reset_sequences(connection: sa.Connection, tables: list[sa.Table]) -> None:
    for table in tables:
        for column in table.primary_key.columns:
            if not isinstance(column.type, sa.Integer):
                continue
            sequence = connection.execute(
                sa.text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": table.name, "column": column.name},
            ).scalar_one_or_none()
            if sequence is None:
                continue
            connection.execute(
                sa.text(
                    f'SELECT setval(:sequence, COALESCE((SELECT MAX("{column.name}") '
                    f'FROM "{table.name}"), 0) + 1, false)'
                ),
                {"sequence": sequence},
            )
