"""Backup and restore on SQLite and PostgreSQL: the restored database equals the original."""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from spinestep.domain.model import Effort, Location
from spinestep.errors import Conflict, InvalidInput
from spinestep.services.records import LoginThrottleRecord, StoredSession
from spinestep.store import current_revision, head_revision, make_engine, migrate
from spinestep.store.backup import backup, restore
from tests.services.history_builder import (
    START,
    Store,
    build_history,
    open_test_store,
    second_database_url,
    store,
)

__all__ = ["second_database_url", "store"]


def all_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (alembic_version included), ordered by primary key."""
    metadata = sa.MetaData()
    metadata.reflect(bind=engine)
    out = {}
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [
                tuple(row) for row in connection.execute(sa.select(table).order_by(*order))
            ]
    return out


def rows_at(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """``all_rows`` of the database at ``url`` (a restore target)."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        return all_rows(engine)
    finally:
        engine.dispose()


def test_restored_database_equals_the_original(
    store: Store, database_url: str, second_database_url: str, tmp_path: Path
) -> None:
    build_history(store)
    original = all_rows(store.engine)
    assert len(original["sessions"]) == 5 and len(original["decisions"]) == 5
    file = tmp_path / "spinestep.backup"
    summary = backup(database_url, file)
    assert summary.rows == sum(len(rows) for name, rows in original.items()) - 1  # alembic
    restore(second_database_url, file)
    assert rows_at(second_database_url) == original


def test_restore_asks_before_replacing_records(
    store: Store, database_url: str, tmp_path: Path
) -> None:
    build_history(store)
    file = tmp_path / "before.backup"
    backup(database_url, file)
    original = all_rows(store.engine)
    with store.ctx.uow() as uow:
        uow.patients.delete(1)
        uow.commit()
    assert all_rows(store.engine)["sessions"] == []
    with pytest.raises(Conflict, match="confirm to replace"):
        restore(database_url, file)
    store.engine.dispose()
    restore(database_url, file, replace=True)
    assert all_rows(store.engine) == original


def test_new_records_after_a_restore_get_fresh_ids(
    store: Store, database_url: str, second_database_url: str, tmp_path: Path
) -> None:
    patient_id = build_history(store)
    file = tmp_path / "ids.backup"
    backup(database_url, file)
    restore(second_database_url, file)
    restored = open_test_store(second_database_url)
    try:
        with restored.ctx.uow() as uow:
            added = uow.sessions.add(a_later_session(patient_id))
            uow.commit()
        assert added.id == 6
    finally:
        restored.engine.dispose()


def test_backup_is_consistent_while_a_write_is_in_progress(
    store: Store, database_url: str, second_database_url: str, tmp_path: Path
) -> None:
    build_history(store)
    committed = all_rows(store.engine)
    file = tmp_path / "online.backup"
    with store.ctx.uow() as uow:  # another user of the app, mid-transaction
        uow.sessions.add(
            StoredSession(
                patient_id=1,
                assignment_id=1,
                at=START + timedelta(days=9),
                stage=2,
                completed=True,
                effort=Effort.EASY,
                pain_before=1,
                pain_during=1,
                pain_after=1,
                location_before=Location.BACK,
                location_after=Location.BACK,
                created_at=START + timedelta(days=9),
            )
        )
        backup(database_url, file)
        uow.rollback()
    restore(second_database_url, file)
    assert rows_at(second_database_url) == committed


def test_backup_refuses_to_overwrite_and_restore_refuses_other_files(
    store: Store, database_url: str, tmp_path: Path
) -> None:
    build_history(store)
    file = tmp_path / "exists.backup"
    file.write_text("hello")
    with pytest.raises(Conflict, match="already exists"):
        backup(database_url, file)
    with pytest.raises(InvalidInput, match="not a spinestep backup"):
        restore(database_url, file, replace=True)
    with pytest.raises(InvalidInput, match="does not exist"):
        backup(database_url, tmp_path / "missing" / "x.backup")


def test_a_damaged_backup_restores_nothing(
    store: Store, database_url: str, second_database_url: str, tmp_path: Path
) -> None:
    build_history(store)
    file = tmp_path / "damaged.backup"
    backup(database_url, file)
    data = file.read_bytes()
    file.write_bytes(data[: len(data) // 2])
    with pytest.raises(InvalidInput, match="damaged"):
        restore(second_database_url, file)
    target = sa.create_engine(second_database_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        rows = all_rows(target)
        assert all(not rows.get(name) for name in ("patients", "sessions", "decisions"))
    finally:
        target.dispose()


def test_a_backup_round_trips_exactly_through_the_cli_with_a_text_keyed_table(
    store: Store, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``spinestep backup`` then ``restore --yes`` over changed records gives every row back,
    ``login_throttle`` (a text primary key, no sequence) included; ids continue afterwards."""
    from spinestep.cli.main import main

    build_history(store)
    with store.ctx.uow() as uow:
        uow.login_throttle.save(
            LoginThrottleRecord(key="ab" * 32, failures=3, last_failure_at=START)
        )
        uow.commit()
    original = all_rows(store.engine)
    assert len(original["login_throttle"]) == 1
    file = tmp_path / "round.backup"
    monkeypatch.setenv("SPINESTEP_DATABASE_URL", database_url)
    with pytest.raises(SystemExit) as ended:
        main(["backup", str(file)])
    assert ended.value.code in (0, None)
    with store.ctx.uow() as uow:
        uow.patients.delete(1)
        uow.login_throttle.delete("ab" * 32)
        uow.commit()
    store.engine.dispose()
    with pytest.raises(SystemExit) as ended:
        main(["restore", str(file), "--yes"])
    assert ended.value.code in (0, None)
    assert all_rows(store.engine) == original
    with store.ctx.uow() as uow:
        added = uow.sessions.add(a_later_session(1))
        uow.commit()
    assert added.id == 6


def test_an_old_sqlite_backup_without_manifest_still_restores(tmp_path: Path) -> None:
    """Format 1 SQLite backups (a plain copy) pass the same checks minus the digests."""
    source = open_test_store(f"sqlite:///{tmp_path / 'source.db'}")
    try:
        build_history(source)
        original = all_rows(source.engine)
    finally:
        source.engine.dispose()
    file = tmp_path / "old.backup"
    backup(f"sqlite:///{tmp_path / 'source.db'}", file)
    with sqlite3.connect(file) as old_format:
        old_format.execute("DROP TABLE spinestep_backup_manifest")
    old_format.close()
    target = f"sqlite:///{tmp_path / 'target.db'}"
    assert restore(target, file).rows == sum(len(r) for r in original.values()) - 1
    assert rows_at(target) == original


def test_a_backup_carries_its_manifest(store: Store, tmp_path: Path) -> None:
    build_history(store)
    if store.engine.dialect.name != "sqlite":
        file = tmp_path / "pg.backup"
        backup(store.engine.url.render_as_string(hide_password=False), file)
        with gzip.open(file, "rt", encoding="utf-8") as handle:
            lines = [json.loads(line) for line in handle]
        header, trailer = lines[0], lines[-1]["end"]
        assert header["version"] == 2 and header["revision"] == head_revision()
        counted = {name: 0 for name in header["tables"]}
        for line in lines[1:-1]:
            counted[line["t"]] += 1
        assert trailer["rows"] == counted
        assert trailer["rows"]["sessions"] == 5
        return
    file = tmp_path / "sqlite.backup"
    backup(store.engine.url.render_as_string(hide_password=False), file)
    with sqlite3.connect(file) as copy:
        (text,) = copy.execute("SELECT manifest FROM spinestep_backup_manifest").fetchone()
        sessions = copy.execute("SELECT * FROM sessions ORDER BY id").fetchall()
    copy.close()
    manifest = json.loads(text)
    assert manifest["version"] == 2 and manifest["revision"] == head_revision()
    assert manifest["tables"]["sessions"]["rows"] == 5
    canonical = b"".join(
        json.dumps(list(row), separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
        for row in sessions
    )
    assert manifest["tables"]["sessions"]["sha256"] == hashlib.sha256(canonical).hexdigest()


def test_a_backup_of_an_older_schema_is_restored_and_upgraded(
    database_url: str, second_database_url: str, tmp_path: Path
) -> None:
    """The copy is built at the backup's revision, checked, then upgraded to the newest."""
    engine = make_engine(database_url)
    try:
        migrate(engine, "0005")
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO users (id, email, display_name, role, password_hash, active, "
                    "created_at) VALUES (7, 'a@example.org', 'A', 'clinician', NULL, true, :at)"
                ),
                {"at": START},
            )
    finally:
        engine.dispose()
    file = tmp_path / "older.backup"
    assert backup(database_url, file).revision == "0005"
    summary = restore(second_database_url, file)
    assert (summary.revision, summary.rows) == ("0005", 1)
    restored = make_engine(second_database_url)
    try:
        assert current_revision(restored) == head_revision()
        with restored.connect() as connection:
            users = connection.execute(sa.text("SELECT id, email FROM users")).all()
        assert [tuple(user) for user in users] == [(7, "a@example.org")]
    finally:
        restored.dispose()


def a_later_session(patient_id: int) -> StoredSession:
    """A session after the backed-up ones: its id shows whether ids go on after a restore."""
    return StoredSession(
        patient_id=patient_id,
        assignment_id=1,
        at=START + timedelta(days=30),
        stage=2,
        completed=True,
        effort=Effort.EASY,
        pain_before=1,
        pain_during=1,
        pain_after=1,
        location_before=Location.BACK,
        location_after=Location.BACK,
        created_at=START + timedelta(days=30),
    )
