"""SQLite backups: a consistent copy with its manifest; a restore that swaps in a checked copy.

Backup: SQLite's online backup API copies the live database page by page into a new
0600 file (a consistent snapshot while the app keeps writing); the copy gets a table
``spinestep_backup_manifest`` holding the manifest (JSON: format, version, schema
revision, rows and SHA-256 per table), computed from the copy itself.

Restore never touches the live database until the very end:

1. the backup is copied (backup API again) into a new 0600 file next to the database;
2. on that copy: ``integrity_check``; the schema revision is one this version knows; its
   tables, indexes and their definitions equal what the migrations create at that
   revision (so no trigger, view or altered table); the manifest's counts and digests
   equal the copy's rows; ``foreign_key_check``;
3. the manifest table is dropped, the copy is upgraded to the newest schema and checked
   again;
4. the live database is switched out of WAL mode, which SQLite allows only when no other
   connection is open (so a running app makes restore refuse), locked exclusively, and the
   copy replaces it with ``os.replace``: readers see the old or the new file, never a mix,
   and no stale ``-wal`` is left to be replayed onto the new file.

Backups without a manifest (format 1, written before manifests existed) are checked the
same way minus the digests.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
from contextlib import closing
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from spinestep.errors import Conflict, StorageError
from spinestep.store.backup_manifest import (
    MANIFEST_VERSION,
    TableDigest,
    check_revision,
    check_tables,
    manifest_tables,
    refused,
)
from spinestep.store.engine import integrity_ok, make_engine, migrate
from spinestep.store.files import (
    create_private_file,
    private_file,
    private_folder,
    sqlite_files,
)

FORMAT = "spinestep-sqlite-backup"
MANIFEST_TABLE = "spinestep_backup_manifest"
VERSION_TABLE = "alembic_version"
#: Tables SQLite itself may add (ANALYZE statistics); they hold no records.
_SQLITE_STATISTICS = frozenset({"sqlite_stat1", "sqlite_stat2", "sqlite_stat3", "sqlite_stat4"})

Objects = dict[tuple[str, str], tuple[str, str]]


def connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    if read_only:
        uri = f"file:{quote(str(path.resolve()))}?mode=ro"
        return sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
    return sqlite3.connect(str(path), timeout=30, isolation_level=None)


def write_backup(source_path: Path, destination: Path) -> tuple[str, int]:
    """Copy the database at ``source_path`` to ``destination`` with its manifest."""
    partial = destination.with_name(destination.name + ".partial")
    for stale in sqlite_files(partial):
        stale.unlink(missing_ok=True)
    create_private_file(partial)
    try:
        revision, digests = _copy_with_manifest(source_path, partial)
        _fsync(partial)
        partial.replace(destination)
        _fsync(destination.parent)
    finally:
        for leftover in sqlite_files(partial):
            leftover.unlink(missing_ok=True)
    return revision, sum(digest.rows for digest in digests.values())


def _copy_with_manifest(source_path: Path, partial: Path) -> tuple[str, dict[str, TableDigest]]:
    try:
        with closing(connect(source_path)) as source, closing(connect(partial)) as copy:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
            if copy.execute("PRAGMA integrity_check").fetchall() != [("ok",)]:
                raise StorageError("the backup did not pass SQLite's integrity check")
            revision = _revision(copy)
            digests = _digests(copy, _data_tables(_objects(copy)))
            manifest = {
                "format": FORMAT,
                "version": MANIFEST_VERSION,
                "revision": revision,
                "tables": manifest_tables(digests),
            }
            copy.execute(f"CREATE TABLE {MANIFEST_TABLE} (manifest TEXT NOT NULL)")
            copy.execute(f"INSERT INTO {MANIFEST_TABLE} VALUES (?)", (json.dumps(manifest),))
    except sqlite3.DatabaseError as error:
        problem = type(error).__name__
        raise StorageError(f"the database could not be backed up ({problem})") from None
    return revision, digests


def restore_backup(source: Path, target: Path, *, replace: bool) -> tuple[str, int]:
    """Check ``source`` in a copy next to ``target``, then swap the copy in."""
    if not replace and target.exists() and _holds_records(target):
        raise Conflict("the database already holds records; confirm to replace them")
    private_folder(target.parent, tighten_existing=False)
    work = target.with_name(f".{target.name}.restore-{secrets.token_hex(6)}")
    create_private_file(work)
    try:
        revision, rows = _copy_and_check(source, work)
        _upgrade(work)
        _swap(work, target)
    finally:
        for leftover in sqlite_files(work):
            leftover.unlink(missing_ok=True)
    for path in sqlite_files(target):
        private_file(path)
    return revision, rows


def _copy_and_check(source: Path, work: Path) -> tuple[str, int]:
    try:
        with closing(connect(source, read_only=True)) as backup, closing(connect(work)) as copy:
            backup.backup(copy)
    except sqlite3.DatabaseError:
        raise refused("the backup is damaged or not a SQLite database") from None
    with closing(connect(work)) as copy:
        try:
            return _check_copy(copy)
        except sqlite3.DatabaseError as error:
            raise refused(f"the backup is damaged ({type(error).__name__})") from None


def _check_copy(copy: sqlite3.Connection) -> tuple[str, int]:
    copy.execute("PRAGMA journal_mode=DELETE")
    if copy.execute("PRAGMA integrity_check").fetchall() != [("ok",)]:
        raise refused("the backup is damaged (it fails SQLite's integrity check)")
    objects = _objects(copy)
    if ("table", VERSION_TABLE) not in objects:
        raise refused("the file is a SQLite database but not a spinestep backup")
    revision = check_revision(_revision(copy))
    manifest = _manifest(copy, objects)
    objects.pop(("table", MANIFEST_TABLE), None)
    expected = _objects_at(revision)
    unexpected = sorted(set(objects) - set(expected))
    if unexpected:
        kind, _name = unexpected[0]
        raise refused(f"the backup holds a {kind} that spinestep does not create")
    missing = sorted(set(expected) - set(objects))
    if missing:
        raise refused(f"the backup lacks the {missing[0][0]} {missing[0][1]}")
    for key in sorted(objects):
        if objects[key] != expected[key]:
            raise refused(f"the definition of the {key[0]} {key[1]} differs from spinestep's")
    digests = _digests(copy, _data_tables(objects))
    if manifest is not None:
        if manifest.get("format") != FORMAT or manifest.get("version") != MANIFEST_VERSION:
            raise refused("the backup's manifest has an unknown format")
        if manifest.get("revision") != revision:
            raise refused("the backup's manifest names another schema revision")
        check_tables(manifest.get("tables"), digests)
    if copy.execute("PRAGMA foreign_key_check").fetchall():
        raise refused("the backup holds rows whose references point nowhere")
    copy.execute(f"DROP TABLE IF EXISTS {MANIFEST_TABLE}")
    return revision, sum(digest.rows for digest in digests.values())


def _manifest(copy: sqlite3.Connection, objects: Objects) -> dict[str, Any] | None:
    if ("table", MANIFEST_TABLE) not in objects:
        return None
    rows = copy.execute(f"SELECT manifest FROM {MANIFEST_TABLE}").fetchall()
    try:
        manifest = json.loads(rows[0][0]) if len(rows) == 1 else None
    except (TypeError, ValueError):
        manifest = None
    if not isinstance(manifest, dict):
        raise refused("the backup's manifest cannot be read")
    return manifest


def _upgrade(work: Path) -> None:
    engine = make_engine(f"sqlite:///{work}")
    try:
        migrate(engine)
        if not integrity_ok(engine):
            raise refused("the upgraded backup fails SQLite's integrity check")
    finally:
        engine.dispose()
    with closing(connect(work)) as copy:
        copy.execute("PRAGMA journal_mode=DELETE")
    _fsync(work)


def _swap(work: Path, target: Path) -> None:
    if not target.exists():
        os.replace(work, target)
        _fsync(target.parent)
        return
    with closing(sqlite3.connect(str(target), timeout=2, isolation_level=None)) as live:
        try:
            mode = live.execute("PRAGMA journal_mode=DELETE").fetchone()
            live.execute("BEGIN EXCLUSIVE")
        except sqlite3.OperationalError:
            mode = None
        if mode != ("delete",):
            raise Conflict(
                "the database is in use; stop 'spinestep serve' and other spinestep "
                "commands, then restore again"
            ) from None
        try:
            os.replace(work, target)
            _fsync(target.parent)
        finally:
            live.execute("ROLLBACK")


def _holds_records(target: Path) -> bool:
    try:
        with closing(connect(target)) as live:
            tables = _data_tables(_objects(live))
            return any(
                live.execute(f'SELECT 1 FROM "{name}" LIMIT 1').fetchone() for name in tables
            )
    except sqlite3.DatabaseError:
        return True  # unreadable: treat as full, so only --yes replaces it


def _objects(connection: sqlite3.Connection) -> Objects:
    """Every schema object: (type, name) -> (table it belongs to, normalised SQL)."""
    rows = connection.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    return {
        (str(kind), str(name)): (str(table), _normalised(sql))
        for kind, name, table, sql in rows
        if name not in _SQLITE_STATISTICS
    }


def _normalised(sql: object) -> str:
    """SQL text without quoting, case or layout differences."""
    text = str(sql or "").lower()
    for quote_mark in ('"', "`", "[", "]"):
        text = text.replace(quote_mark, "")
    text = " ".join(text.split())
    for mark in ("(", ")", ","):
        text = text.replace(f" {mark}", mark).replace(f"{mark} ", mark)
    return text


@lru_cache(maxsize=8)
def _objects_at(revision: str) -> Objects:
    """The objects the migrations create at ``revision``, in a scratch in-memory database."""
    engine = make_engine("sqlite://")
    try:
        migrate(engine, revision)
        with engine.connect() as connection:
            raw = connection.connection.dbapi_connection
            assert raw is not None
            return _objects(raw)  # type: ignore[arg-type]
    finally:
        engine.dispose()


def _data_tables(objects: Objects) -> list[str]:
    return sorted(
        name
        for kind, name in objects
        if kind == "table"
        and name not in (VERSION_TABLE, MANIFEST_TABLE)
        and not name.startswith("sqlite_")
    )


def _revision(connection: sqlite3.Connection) -> str:
    rows = connection.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchall()
    if len(rows) != 1 or not isinstance(rows[0][0], str):
        raise refused("the backup does not say which schema revision it holds")
    return rows[0][0]


def _digests(connection: sqlite3.Connection, tables: list[str]) -> dict[str, TableDigest]:
    out = {}
    for name in tables:
        columns = connection.execute(f'PRAGMA table_info("{name}")').fetchall()
        keys = [c[1] for c in sorted(columns, key=lambda c: c[5]) if c[5]] or [
            c[1] for c in columns
        ]
        order = ", ".join(f'"{key}"' for key in keys)
        digest = TableDigest()
        for row in connection.execute(f'SELECT * FROM "{name}" ORDER BY {order}'):
            digest.add([_plain(value) for value in row])
        out[name] = digest
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"hex": value.hex()}
    return value


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
