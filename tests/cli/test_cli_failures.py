"""Failures of the command as users see them: one line, a documented exit status, no
traceback and no personal data, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from spinestep.cli import main as cli_main
from spinestep.interop.fhir import bundle_json
from spinestep.services.patient_records import load_patient_records
from tests.cli.coach_support import interruptible
from tests.services.history_builder import (
    LOCAL,
    Store,
    build_history,
    second_database_url,
    second_store,
    store,
)

__all__ = ["second_database_url", "second_store", "store"]

SECRET_NAME = "Ana Example"  # the name build_history gives the patient


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "spinestep", *args]


def environment(url: str | None, tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "SPINESTEP_DATA_DIR": str(tmp_path / "data")}
    env.pop("SPINESTEP_DATABASE_URL", None)
    if url is not None:
        env["SPINESTEP_DATABASE_URL"] = url
    return env


def run(url: str | None, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(*args),
        capture_output=True,
        text=True,
        env=environment(url, tmp_path),
        timeout=120,
        check=False,
    )


def one_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    assert stderr.endswith("\n") and stderr.count("\n") == 1, stderr
    return stderr.strip()


def test_an_unparsable_database_url_is_one_line_and_exit_7(tmp_path: Path) -> None:
    result = run("not a url://user:hunter2@x", tmp_path, "today")
    line = one_line(result.stderr)
    assert result.returncode == 7
    assert (
        line
        == "spinestep: the database failed (ArgumentError); the change in progress was not saved"
    )
    assert "hunter2" not in line


@pytest.fixture
def refusing_database(store: Store, database_url: str) -> str:
    """A database that refuses every new patient with an error quoting the row."""
    build_history(store)
    with store.engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            # Run time, not creation, finds the missing table: an OperationalError.
            connection.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON patients "
                "BEGIN INSERT INTO nowhere VALUES (NEW.display_name); END"
            )
        else:
            connection.exec_driver_sql(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'refused %%', NEW.display_name; END $$"
            )
            connection.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON patients "
                "FOR EACH ROW EXECUTE FUNCTION refuse()"
            )
    return database_url


def test_a_database_error_names_no_statement_and_no_row_data(
    store: Store, refusing_database: str, tmp_path: Path
) -> None:
    text = bundle_json(load_patient_records(store.ctx, LOCAL, 1), store.clock.now())
    file = tmp_path / "bundle.json"
    file.write_text(text)
    result = run(refusing_database, tmp_path, "import", "fhir", str(file))
    line = one_line(result.stderr)
    assert result.returncode == 7
    assert line.startswith("spinestep: the database failed (")
    assert SECRET_NAME not in line and "INSERT" not in line and "Europe/Berlin" not in line
    assert result.stdout == ""
    with store.engine.connect() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM patients")).scalar_one()
    assert count == 1


def test_a_full_disk_on_standard_output_is_one_line_and_exit_10(
    store: Store, database_url: str, tmp_path: Path
) -> None:
    build_history(store)
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            command("export", "fhir"),
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=environment(database_url, tmp_path),
            timeout=120,
            check=False,
        )
    line = one_line(result.stderr)
    assert result.returncode == 10
    assert line == "spinestep: cannot read or write a file or the terminal: No space left on device"


def test_a_pipe_closed_early_ends_quietly(store: Store, database_url: str, tmp_path: Path) -> None:
    build_history(store)
    reader, writer = os.pipe()
    os.close(reader)  # like "| head" that has already exited
    with subprocess.Popen(
        command("export", "fhir"),
        stdout=writer,
        stderr=subprocess.PIPE,
        env=environment(database_url, tmp_path),
    ) as child:
        os.close(writer)
        assert child.stderr is not None
        stderr = child.stderr.read().decode()
        assert child.wait(timeout=120) == 141
    assert stderr == ""


def test_ctrl_c_at_a_prompt_ends_quietly_with_130(tmp_path: Path) -> None:
    with subprocess.Popen(
        command("init"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment(None, tmp_path),
        preexec_fn=interruptible,
    ) as child:
        assert child.stdout is not None and child.stderr is not None
        os.set_blocking(child.stdout.fileno(), False)
        seen = b""
        deadline = time.monotonic() + 60
        while b":" not in seen and time.monotonic() < deadline:
            seen += child.stdout.read() or b""
            time.sleep(0.1)
        assert b":" in seen  # the first question is asked
        child.send_signal(signal.SIGINT)
        assert child.wait(timeout=60) == 130
        assert "Traceback" not in child.stderr.read().decode()


@pytest.mark.parametrize(
    "args",
    [
        ("import", "csv"),
        ("import", "fhir"),
        ("score",),
        ("decide",),
        ("restore",),
    ],
)
@pytest.mark.parametrize("kind", ["directory", "binary", "latin-1"])
def test_a_file_that_cannot_be_read_is_one_line_and_exit_2(
    tmp_path: Path, args: tuple[str, ...], kind: str
) -> None:
    target = tmp_path / "input"
    if kind == "directory":
        target.mkdir()
    elif kind == "binary":
        target.write_bytes(bytes(range(256)) * 4)
    else:
        target.write_bytes(f"{SECRET_NAME} Müller".encode("latin-1"))
    url = f"sqlite:///{tmp_path / 'spinestep.db'}"
    result = run(url, tmp_path, *args, str(target))
    line = one_line(result.stderr)
    assert result.returncode == 2
    assert SECRET_NAME not in line


def test_an_unexpected_error_is_named_by_its_type_only(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def explode(**_: object) -> None:
        raise KeyError(f"{SECRET_NAME}, pain 7")

    monkeypatch.setattr(cli_main, "build_app", lambda: explode)
    with pytest.raises(SystemExit) as done:
        cli_main.main(["today"])
    assert done.value.code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    line = one_line(captured.err)
    assert line == "spinestep: unexpected error (KeyError); the change in progress was not saved"
