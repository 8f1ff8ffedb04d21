"""PostgreSQL backups: gzip JSON lines with a header and a trailer; a restore checked first.

File layout (format 2), one JSON object a line:

- header: ``{"format": "spinestep-logical-backup", "version": 2, "revision": ...,
  "tables": {name: [[column, kind], ...]}}``;
- one line per row: ``{"t": table, "r": [values...]}``, tables in dependency order and
  rows in primary-key order;
- trailer: ``{"end": {"rows": {table: count}, "sha256": {table: hex}}}``, the manifest.

The dump is read in one REPEATABLE READ READ ONLY transaction, one snapshot.

Restore runs in one transaction: it makes a new schema, builds the backup's revision
there with the migrations, loads the rows while recomputing counts and digests, checks
them against the trailer (a file without its trailer, with lines after it or with other
counts or digests is refused), checks that the new schema holds no trigger, view or
function, upgrades it to the newest revision, then upgrades the live schema too, replaces
every live row by the checked copy's, resets the id sequences and drops the new schema.
Any failure rolls the whole transaction back: nothing changed. Errors name what failed
and never carry row data.
"""

from __future__ import annotations

import base64
import gzip
import json
import secrets
import zlib
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from spinestep.errors import SpinestepError, StorageError
from spinestep.store.backup_manifest import (
    MANIFEST_VERSION,
    TableDigest,
    canonical_row,
    check_revision,
    check_tables,
    manifest_tables,
    refused,
)
from spinestep.store.engine import known_revisions, migrate_connection
from spinestep.store.files import create_private_file

FORMAT = "spinestep-logical-backup"
VERSION_TABLE = "alembic_version"
BATCH_ROWS = 1000
MAX_PARAMETERS = 30000


def data_tables(connection: sa.Connection, schema: str | None = None) -> list[sa.Table]:
    metadata = sa.MetaData(schema=schema)
    metadata.reflect(bind=connection, schema=schema)
    return [t for t in metadata.sorted_tables if t.name != VERSION_TABLE]


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


def write_backup(engine: Engine, destination: Path) -> tuple[str | None, int]:
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    create_private_file(partial)
    try:
        revision, rows = _dump(engine, partial)
        partial.replace(destination)
    finally:
        partial.unlink(missing_ok=True)
    return revision, rows


def _dump(engine: Engine, partial: Path) -> tuple[str | None, int]:
    snapshot = engine.connect().execution_options(isolation_level="REPEATABLE READ")
    digests: dict[str, TableDigest] = {}
    try:
        with snapshot.begin():
            snapshot.exec_driver_sql("SET TRANSACTION READ ONLY")
            version = snapshot.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}"))
            revision = version.scalar_one_or_none()
            tables = data_tables(snapshot)
            header = {
                "format": FORMAT,
                "version": MANIFEST_VERSION,
                "revision": revision,
                "tables": {t.name: [[c.name, _kind(c)] for c in t.columns] for t in tables},
            }
            with gzip.open(partial, "wt", encoding="utf-8") as out:
                out.write(json.dumps(header) + "\n")
                for table in tables:
                    digest = digests[table.name] = TableDigest()
                    kinds = [_kind(c) for c in table.columns]
                    order = list(table.primary_key.columns) or list(table.columns)
                    for row in snapshot.execute(sa.select(table).order_by(*order)):
                        values = [_encode(v, k) for v, k in zip(row, kinds, strict=True)]
                        digest.add(values)
                        out.write('{"t":' + json.dumps(table.name) + ',"r":')
                        out.write(canonical_row(values).decode("utf-8") + "}\n")
                trailer = manifest_tables(digests)
                out.write(
                    json.dumps(
                        {
                            "end": {
                                "rows": {n: e["rows"] for n, e in trailer.items()},
                                "sha256": {n: e["sha256"] for n, e in trailer.items()},
                            }
                        }
                    )
                    + "\n"
                )
    finally:
        snapshot.close()
    return revision, sum(digest.rows for digest in digests.values())


def read_header(handle: IO[str]) -> dict[str, Any]:
    try:
        header = json.loads(handle.readline())
    except (OSError, ValueError, EOFError, zlib.error):
        raise refused("the file is not a spinestep backup") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise refused("the file is not a spinestep backup")
    if header.get("version") == 1:
        raise refused(
            "the backup was written by an older spinestep without a manifest, so a "
            "truncated file cannot be told apart; restore it with the version that wrote it"
        )
    if header.get("version") != MANIFEST_VERSION:
        raise refused("the backup's format version is unknown to this version of spinestep")
    if not isinstance(header.get("tables"), dict):
        raise refused("the backup's header does not list its tables")
    return header


def restore_backup(engine: Engine, source: Path) -> tuple[str, int]:
    try:
        with gzip.open(source, "rt", encoding="utf-8") as handle:
            header = read_header(handle)
            revision = check_revision(header.get("revision"))
            with _connected(engine) as connection:
                _check_live_revision(connection)
                with connection.begin():
                    rows = _restore_in_transaction(connection, header, revision, handle)
            return revision, rows
    except SpinestepError:
        raise
    except (OSError, EOFError, ValueError, KeyError, TypeError, zlib.error):
        raise refused("the backup is damaged or truncated") from None
    except sa.exc.SQLAlchemyError as error:
        raise refused(f"the backup's rows do not fit the schema ({type(error).__name__})") from None


def _connected(engine: Engine) -> sa.Connection:
    try:
        return engine.connect()
    except sa.exc.SQLAlchemyError as error:
        problem = type(error).__name__
        raise StorageError(f"the database could not be reached ({problem})") from None


def _check_live_revision(connection: sa.Connection) -> None:
    """A live schema newer than this version is refused before anything is written."""
    has_version = connection.execute(
        sa.text("SELECT to_regclass(:name) IS NOT NULL"), {"name": VERSION_TABLE}
    ).scalar_one()
    revision = None
    if has_version:
        version = connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}"))
        revision = version.scalar()
    connection.rollback()
    if revision is not None and revision not in known_revisions():
        raise StorageError("the database's schema is newer than this version of spinestep")


def _restore_in_transaction(
    connection: sa.Connection, header: dict[str, Any], revision: str, handle: IO[str]
) -> int:
    live_schema = connection.execute(sa.text("SELECT current_schema()")).scalar_one()
    work_schema = f"spinestep_restore_{secrets.token_hex(6)}"
    connection.exec_driver_sql(f'CREATE SCHEMA "{work_schema}"')
    connection.exec_driver_sql(f'SET LOCAL search_path TO "{work_schema}"')
    migrate_connection(connection, revision)
    ordered = data_tables(connection, work_schema)
    for table in reversed(ordered):  # rows a migration wrote (the installation's UUID)
        connection.execute(table.delete())
    tables = {t.name: t for t in ordered}
    promised: dict[str, Any] = header["tables"]
    if set(promised) != set(tables):
        raise refused("the backup's tables are not the ones of its schema revision")
    for name, columns in promised.items():
        table = tables[name]
        if columns != [[c.name, _kind(c)] for c in table.columns]:
            raise refused(f"the columns of table {name} do not match its schema revision")
    digests = _load_rows(connection, tables, handle)
    _check_no_extra_objects(connection, work_schema)
    migrate_connection(connection, "head")
    if live_schema is None:
        raise StorageError("the database has no schema to restore into")
    connection.exec_driver_sql(f'SET LOCAL search_path TO "{live_schema}"')
    migrate_connection(connection, "head")
    _replace_rows(connection, work_schema, live_schema)
    connection.exec_driver_sql(f'DROP SCHEMA "{work_schema}" CASCADE')
    return sum(digest.rows for digest in digests.values())


def _load_rows(
    connection: sa.Connection, tables: dict[str, sa.Table], handle: IO[str]
) -> dict[str, TableDigest]:
    digests = {name: TableDigest() for name in tables}
    kinds = {name: [_kind(c) for c in t.columns] for name, t in tables.items()}
    names = {name: [c.name for c in t.columns] for name, t in tables.items()}
    pending: list[dict[str, Any]] = []
    current = ""
    trailer: dict[str, Any] | None = None
    for line in handle:
        if trailer is not None:
            raise refused("the backup has lines after its trailer")
        item = json.loads(line)
        if not isinstance(item, dict):
            raise refused("the backup holds a line that is not a row")
        if "end" in item:
            trailer = item["end"]
            continue
        name, values = item["t"], item["r"]
        if name not in tables or not isinstance(values, list):
            raise refused("the backup holds a row of an unknown table")
        if len(values) != len(kinds[name]):
            raise refused(f"a row of table {name} has another number of columns")
        if pending and (name != current or len(pending) >= _batch(tables[current])):
            _insert(connection, tables[current], pending)
            pending = []
        current = name
        digests[name].add(values)
        decoded = [_decode(v, k) for v, k in zip(values, kinds[name], strict=True)]
        pending.append(dict(zip(names[name], decoded, strict=True)))
    if pending:
        _insert(connection, tables[current], pending)
    if not isinstance(trailer, dict):
        raise refused("the backup is truncated (its trailer is missing)")
    rows, sha256 = trailer.get("rows"), trailer.get("sha256")
    if not isinstance(rows, dict) or not isinstance(sha256, dict):
        raise refused("the backup's trailer cannot be read")
    check_tables(
        {name: {"rows": rows.get(name), "sha256": sha256.get(name)} for name in rows}
        if set(rows) == set(sha256)
        else None,
        digests,
    )
    return digests


def _batch(table: sa.Table) -> int:
    """Rows per INSERT, keeping its bound parameters well below PostgreSQL's 65,535."""
    return max(1, min(BATCH_ROWS, MAX_PARAMETERS // len(table.columns)))


def _insert(connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """One multi-row INSERT statement. Not executemany: psycopg's pipeline logs its own
    warning line when a row is refused, and the refusal must stay one line."""
    connection.execute(table.insert().values(rows))


def _check_no_extra_objects(connection: sa.Connection, schema: str) -> None:
    """No trigger, view, function or rule in the restored schema (the migrations make none)."""
    found = connection.execute(
        sa.text(
            "SELECT "
            "(SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            " JOIN pg_namespace n ON n.oid = c.relnamespace "
            " WHERE n.nspname = :schema AND NOT t.tgisinternal) + "
            "(SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            " WHERE n.nspname = :schema AND c.relkind IN ('v', 'm')) + "
            "(SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            " WHERE n.nspname = :schema) + "
            "(SELECT count(*) FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class "
            " JOIN pg_namespace n ON n.oid = c.relnamespace "
            " WHERE n.nspname = :schema AND r.rulename <> '_RETURN')"
        ),
        {"schema": schema},
    ).scalar_one()
    if found:
        raise refused("the restored copy holds triggers, views or functions")


def _replace_rows(connection: sa.Connection, work_schema: str, live_schema: str) -> None:
    live = data_tables(connection, live_schema)
    work = {t.name: t for t in data_tables(connection, work_schema)}
    if {t.name for t in live} != set(work):
        raise StorageError("the live schema and the restored copy have other tables")
    names = ", ".join(f'"{live_schema}"."{table.name}"' for table in live)
    if names:  # no writer may slip a row in between the delete and the copy
        connection.exec_driver_sql(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE")
    for table in reversed(live):
        connection.execute(table.delete())
    for table in live:
        columns = [c.name for c in table.columns]
        source = work[table.name]
        connection.execute(
            table.insert().from_select(columns, sa.select(*(source.c[c] for c in columns)))
        )
    _reset_sequences(connection, live, live_schema)


def _reset_sequences(connection: sa.Connection, tables: list[sa.Table], schema: str) -> None:
    """Sequences of integer ``id`` keys continue after the highest restored id."""
    for table in tables:
        column = table.columns.get("id")
        if column is None or not column.primary_key or not isinstance(column.type, sa.Integer):
            continue
        qualified = f'"{schema}"."{table.name}"'
        sequence = connection.execute(
            sa.text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": qualified}
        ).scalar_one_or_none()
        if sequence is None:
            continue
        connection.execute(
            sa.text(
                f"SELECT setval(:sequence, COALESCE((SELECT MAX(id) FROM {qualified}), 0) + 1, "
                "false)"
            ),
            {"sequence": sequence},
        )
