"""A restore refuses every backup it cannot fully check, with one line, exit 2 and nothing changed.

Each test makes a real backup of a real history with ``spinestep backup``, damages or
crafts it the way an attacker or a broken disk would, runs ``spinestep restore --yes``
and checks: exit status 2, one line on standard error without row data, every row of the
database as before, and the database still usable.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from spinestep.cli.main import main
from tests.services.history_builder import Store, build_history, open_test_store

PATIENT_NAME = "Ana Example"
Rows = dict[str, list[tuple[Any, ...]]]


def all_rows(engine: Engine) -> Rows:
    metadata = sa.MetaData()
    metadata.reflect(bind=engine)
    with engine.connect() as connection:
        return {
            table.name: [
                tuple(row)
                for row in connection.execute(
                    sa.select(table).order_by(
                        *(list(table.primary_key.columns) or list(table.columns))
                    )
                )
            ]
            for table in metadata.sorted_tables
        }


class Cli:
    """``spinestep`` run in this process through its real entry point."""

    def __init__(self, url: str, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
        self.url = url
        self.capsys = capsys
        monkeypatch.setenv("SPINESTEP_DATABASE_URL", url)

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        with pytest.raises(SystemExit) as ended:
            main(list(args))
        out = self.capsys.readouterr()
        code = ended.value.code
        return (code if isinstance(code, int) else 1), out.out, out.err


def made_backup(store: Store, cli: Cli, tmp_path: Path) -> Path:
    build_history(store)
    file = tmp_path / "good.backup"
    code, _out, err = cli("backup", str(file))
    assert code == 0, err
    store.engine.dispose()  # the app is not running while restoring
    return file


def assert_refused(store: Store, cli: Cli, file: Path, reason: str) -> str:
    """Restore ``file`` over the history: refused, nothing changed, database still usable."""
    before = all_rows(store.engine)
    decisions_csv = cli("export", "csv", "--what", "decisions")[1]
    store.engine.dispose()
    code, _out, err = cli("restore", str(file), "--yes")
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("FILE: "), err
    assert reason in lines[0]
    assert "nothing was restored" in lines[0]
    assert PATIENT_NAME not in err and "Traceback" not in err
    assert all_rows(store.engine) == before
    assert cli("export", "csv", "--what", "decisions") == (0, decisions_csv, "")
    store.engine.dispose()
    return lines[0]


# --- SQLite backups: a SQLite file with its manifest in a table -------------------------


def edit_sqlite(file: Path, *statements: str) -> None:
    with sqlite3.connect(file) as connection:
        for statement in statements:
            connection.execute(statement)
    connection.close()


def rewrite_manifest(file: Path, change: Callable[[dict[str, Any]], None]) -> None:
    with sqlite3.connect(file) as connection:
        (text,) = connection.execute("SELECT manifest FROM spinestep_backup_manifest").fetchone()
        manifest = json.loads(text)
        change(manifest)
        connection.execute(
            "UPDATE spinestep_backup_manifest SET manifest = ?", (json.dumps(manifest),)
        )
    connection.close()


@pytest.fixture(params=["sqlite"])
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'spinestep.db'}"


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Any:
    opened = open_test_store(sqlite_url)
    yield opened
    opened.engine.dispose()


@pytest.fixture
def sqlite_cli(sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> Cli:
    return Cli(sqlite_url, monkeypatch, capsys)


def test_sqlite_backup_of_an_unknown_schema_revision_is_refused(
    sqlite_store: Store, sqlite_cli: Cli, tmp_path: Path
) -> None:
    file = made_backup(sqlite_store, sqlite_cli, tmp_path)
    edit_sqlite(file, "UPDATE alembic_version SET version_num = '9999'")
    rewrite_manifest(file, lambda manifest: manifest.update(revision="9999"))
    line = assert_refused(sqlite_store, sqlite_cli, file, "schema revision 9999 is unknown")
    assert "newer" in line


def test_sqlite_backup_with_a_trigger_making_new_accounts_admin_is_refused(
    sqlite_store: Store, sqlite_cli: Cli, tmp_path: Path
) -> None:
    file = made_backup(sqlite_store, sqlite_cli, tmp_path)
    edit_sqlite(
        file,
        "CREATE TRIGGER promote AFTER INSERT ON users "
        "BEGIN UPDATE users SET role = 'admin' WHERE id = NEW.id; END",
    )
    assert_refused(sqlite_store, sqlite_cli, file, "holds a trigger that spinestep does not create")


def test_sqlite_backup_with_a_trigger_resolving_red_flags_is_refused_without_a_manifest(
    sqlite_store: Store, sqlite_cli: Cli, tmp_path: Path
) -> None:
    """An old-format backup (no manifest) gets the same schema checks."""
    file = made_backup(sqlite_store, sqlite_cli, tmp_path)
    edit_sqlite(
        file,
        "DROP TABLE spinestep_backup_manifest",
        "CREATE TRIGGER hide AFTER INSERT ON red_flag_reports "
        "BEGIN DELETE FROM red_flag_reports WHERE id = NEW.id; END",
    )
    assert_refused(sqlite_store, sqlite_cli, file, "holds a trigger that spinestep does not create")


def test_sqlite_backup_with_a_view_is_refused(
    sqlite_store: Store, sqlite_cli: Cli, tmp_path: Path
) -> None:
    file = made_backup(sqlite_store, sqlite_cli, tmp_path)
    edit_sqlite(file, "CREATE VIEW everyone AS SELECT * FROM patients")
    assert_refused(sqlite_store, sqlite_cli, file, "holds a view that spinestep does not create")


def test_sqlite_backup_with_an_altered_table_is_refused(
    sqlite_store: Store, sqlite_cli: Cli, tmp_path: Path
) -> None:
    file = made_backup(sqlite_store, sqlite_cli, tmp_path)
    edit_sqlite(file, "ALTER TABLE users ADD COLUMN is_root INTEGER DEFAULT 1")
    assert_refused(sqlite_store, sqlite_cli, file, "definition of the table users differs")


def test_sqlite_backup_with_a_tampered_pain_score_is_refused(
    sqlite_store: Store, sqlite_cli: Cli, tmp_path: Path
) -> None:
    file = made_backup(sqlite_store, sqlite_cli, tmp_path)
    edit_sqlite(file, "UPDATE sessions SET pain_after = 0 WHERE id = 5")
    assert_refused(sqlite_store, sqlite_cli, file, "rows of table sessions do not match")


def test_sqlite_backup_with_a_deleted_row_is_refused(
    sqlite_store: Store, sqlite_cli: Cli, tmp_path: Path
) -> None:
    file = made_backup(sqlite_store, sqlite_cli, tmp_path)
    edit_sqlite(file, "DELETE FROM red_flag_reports")
    assert_refused(sqlite_store, sqlite_cli, file, "another number of rows")


def test_a_truncated_sqlite_backup_is_refused(
    sqlite_store: Store, sqlite_cli: Cli, tmp_path: Path
) -> None:
    file = made_backup(sqlite_store, sqlite_cli, tmp_path)
    data = file.read_bytes()
    file.write_bytes(data[: len(data) * 2 // 3])
    assert_refused(sqlite_store, sqlite_cli, file, "damaged")


def test_sqlite_restore_refuses_while_the_database_is_in_use(
    sqlite_store: Store, sqlite_cli: Cli, tmp_path: Path
) -> None:
    file = made_backup(sqlite_store, sqlite_cli, tmp_path)
    before = all_rows(sqlite_store.engine)
    with sqlite_store.engine.connect() as running_app:
        running_app.execute(sa.text("SELECT count(*) FROM sessions")).scalar_one()
        code, _out, err = sqlite_cli("restore", str(file), "--yes")
    assert code == 6
    assert "in use" in err and len(err.strip().splitlines()) == 1
    assert all_rows(sqlite_store.engine) == before
    sqlite_store.engine.dispose()
    assert not [p.name for p in tmp_path.iterdir() if ".restore-" in p.name]


# --- PostgreSQL backups: gzip JSON lines, header and trailer -------------------------


def read_lines(file: Path) -> list[dict[str, Any]]:
    with gzip.open(file, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def write_lines(file: Path, lines: list[dict[str, Any]]) -> None:
    with gzip.open(file, "wt", encoding="utf-8") as handle:
        for line in lines:
            handle.write(json.dumps(line) + "\n")


def with_fresh_trailer(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Recompute the trailer (counts, SHA-256 of canonical rows) as the docs describe it."""
    header, rows = lines[0], [line for line in lines[1:] if "end" not in line]
    hashes = {name: hashlib.sha256() for name in header["tables"]}
    counts = dict.fromkeys(header["tables"], 0)
    for row in rows:
        canonical = json.dumps(row["r"], separators=(",", ":"), ensure_ascii=False)
        hashes[row["t"]].update(canonical.encode("utf-8") + b"\n")
        counts[row["t"]] += 1
    end = {"rows": counts, "sha256": {name: h.hexdigest() for name, h in hashes.items()}}
    return [header, *rows, {"end": end}]


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres)])
def pg_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue("postgres_server").create_database()
    return url


@pytest.fixture
def pg_store(pg_url: str) -> Any:
    opened = open_test_store(pg_url)
    yield opened
    opened.engine.dispose()


@pytest.fixture
def pg_cli(pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> Cli:
    return Cli(pg_url, monkeypatch, capsys)


def restore_schemas(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                sa.text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'spinestep_restore%'")
            ).scalars()
        )


def test_a_pg_backup_holding_only_its_header_is_refused(
    pg_store: Store, pg_cli: Cli, tmp_path: Path
) -> None:
    file = made_backup(pg_store, pg_cli, tmp_path)
    write_lines(file, read_lines(file)[:1])
    assert_refused(pg_store, pg_cli, file, "truncated")
    assert restore_schemas(pg_store.engine) == []


def test_a_truncated_pg_backup_is_refused(pg_store: Store, pg_cli: Cli, tmp_path: Path) -> None:
    file = made_backup(pg_store, pg_cli, tmp_path)
    lines = read_lines(file)
    assert "end" in lines[-1]
    write_lines(file, lines[: len(lines) // 2])
    assert_refused(pg_store, pg_cli, file, "truncated")


def test_a_pg_backup_cut_mid_stream_is_refused(
    pg_store: Store, pg_cli: Cli, tmp_path: Path
) -> None:
    file = made_backup(pg_store, pg_cli, tmp_path)
    data = file.read_bytes()
    file.write_bytes(data[: len(data) * 2 // 3])
    assert_refused(pg_store, pg_cli, file, "damaged or truncated")


def test_a_pg_backup_of_an_unknown_schema_revision_is_refused(
    pg_store: Store, pg_cli: Cli, tmp_path: Path
) -> None:
    file = made_backup(pg_store, pg_cli, tmp_path)
    lines = read_lines(file)
    lines[0]["revision"] = "9999"
    write_lines(file, lines)
    assert_refused(pg_store, pg_cli, file, "schema revision 9999 is unknown")


def test_a_pg_backup_with_a_tampered_pain_score_is_refused(
    pg_store: Store, pg_cli: Cli, tmp_path: Path
) -> None:
    file = made_backup(pg_store, pg_cli, tmp_path)
    lines = read_lines(file)
    columns = [name for name, _kind in lines[0]["tables"]["sessions"]]
    session = next(line for line in lines[1:] if line.get("t") == "sessions")
    session["r"][columns.index("pain_after")] = 0
    write_lines(file, lines)
    assert_refused(pg_store, pg_cli, file, "rows of table sessions do not match")


def test_a_pg_backup_with_lines_after_its_trailer_is_refused(
    pg_store: Store, pg_cli: Cli, tmp_path: Path
) -> None:
    file = made_backup(pg_store, pg_cli, tmp_path)
    lines = read_lines(file)
    write_lines(file, [*lines, lines[-2]])
    assert_refused(pg_store, pg_cli, file, "lines after its trailer")


def test_a_pg_backup_of_the_old_format_without_manifest_is_refused(
    pg_store: Store, pg_cli: Cli, tmp_path: Path
) -> None:
    file = made_backup(pg_store, pg_cli, tmp_path)
    lines = read_lines(file)
    lines[0]["version"] = 1
    write_lines(file, lines[:1])  # what a version-1 backup of an emptied clinic looks like
    assert_refused(pg_store, pg_cli, file, "without a manifest")


def test_a_pg_backup_whose_rows_break_the_schema_fails_in_one_line_without_row_data(
    pg_store: Store, pg_cli: Cli, pg_url: str, tmp_path: Path
) -> None:
    """Rows with a consistent manifest that the database refuses (a session of no patient)."""
    file = made_backup(pg_store, pg_cli, tmp_path)
    lines = read_lines(file)
    columns = [name for name, _kind in lines[0]["tables"]["sessions"]]
    for line in lines[1:]:
        if line.get("t") == "sessions":
            line["r"][columns.index("patient_id")] = 987654
            line["r"][columns.index("pain_during")] = 7
    write_lines(file, with_fresh_trailer(lines))
    before = all_rows(pg_store.engine)
    pg_store.engine.dispose()
    child = subprocess.run(
        [sys.executable, "-m", "spinestep", "restore", str(file), "--yes"],
        capture_output=True,
        text=True,
        env={**os.environ, "SPINESTEP_DATABASE_URL": pg_url},
        timeout=120,
        check=False,
    )
    assert child.returncode == 2
    assert child.stderr.strip().splitlines() == [
        "FILE: the backup's rows do not fit the schema (IntegrityError); nothing was restored"
    ]
    assert "987654" not in child.stderr and PATIENT_NAME not in child.stderr
    assert all_rows(pg_store.engine) == before
    assert restore_schemas(pg_store.engine) == []


def test_an_unreachable_pg_database_is_one_line_and_exit_7(
    pg_store: Store, pg_cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    file = made_backup(pg_store, pg_cli, tmp_path)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    nowhere = Cli(f"postgresql+psycopg://postgres@127.0.0.1:{port}/none", monkeypatch, capsys)
    attempts = {
        "reached": ["restore", str(file), "--yes"],
        "backed up": ["backup", str(tmp_path / "new.backup")],
    }
    for failed, args in attempts.items():
        code, _out, err = nowhere(*args)
        assert code == 7
        assert err.strip().splitlines() == [
            f"spinestep: the database could not be {failed} (OperationalError)"
        ]
