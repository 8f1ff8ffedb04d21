"""The command line imports only what the command it runs needs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spinestep.cli.main import COMMANDS, load_commands
from spinestep.settings import Settings, SettingsError, load_settings
from spinestep.store.engine import HEAD_REVISION, head_revision
from tests.support.fresh_cli import run_fresh

HEAVY = ("sqlalchemy", "alembic", "fastapi", "mediapipe", "cv2", "numpy", "pydantic_settings")


def _modules_after(argv: list[str], tmp_path: Path) -> tuple[list[str], str, int]:
    """Run ``spinestep argv`` in a fresh interpreter; the heavy packages it imported."""
    code, modules, stdout = run_fresh(argv, tmp_path)
    loaded = [m for m in HEAVY if m in modules]
    commands = [
        m
        for m in modules
        if m.startswith("spinestep.cli.")
        and m not in ("spinestep.cli.main", "spinestep.cli.output")
    ]
    return loaded + commands, stdout, code


def test_decide_imports_no_database_web_or_video_library(tmp_path: Path) -> None:
    request = tmp_path / "in.json"
    request.write_text(json.dumps({"current_stage": 1, "sessions": []}), encoding="utf-8")
    loaded, stdout, code = _modules_after(["decide", str(request)], tmp_path)
    assert code == 0
    assert json.loads(stdout)["decision"] == "do_not_start"
    assert [m for m in loaded if not m.startswith("spinestep.")] == []
    assert set(loaded) <= {"spinestep.cli.rules"}


def test_help_lists_every_command_without_importing_one(tmp_path: Path) -> None:
    loaded, stdout, code = _modules_after(["--help"], tmp_path)
    assert code == 0
    assert loaded == []
    rows = stdout.split("Commands:")[1].splitlines()
    listed = [row.split()[0] for row in rows if row.startswith("  ") and row[2:3].strip()]
    assert listed == list(COMMANDS)


def test_today_opens_an_up_to_date_database_without_alembic(tmp_path: Path) -> None:
    # The first command creates and migrates the database; later ones only read it.
    _modules_after(["today"], tmp_path)
    loaded, _, code = _modules_after(["today"], tmp_path)
    assert code == 3  # no profile yet: the documented exit status
    assert "alembic" not in loaded
    assert "pydantic_settings" not in loaded


def test_the_command_table_names_each_command_with_the_module_that_defines_it() -> None:
    modules = {module for module, _ in COMMANDS.values()}
    defined = {name: module for module in modules for name in load_commands(module)}
    assert defined == {name: module for name, (module, _) in COMMANDS.items()}
    for name, (_, line) in COMMANDS.items():
        assert line.endswith(".") and len(line) <= 72, name


def test_the_head_revision_constant_is_the_newest_migration() -> None:
    assert head_revision() == HEAD_REVISION


def test_settings_come_from_arguments_then_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SPINESTEP_PORT", "8123")
    monkeypatch.setenv("SPINESTEP_DATA_DIR", str(tmp_path))
    settings = Settings(port=9000)
    assert (settings.port, settings.data_dir, settings.host) == (9000, tmp_path, "127.0.0.1")
    assert Settings().port == 8123
    assert settings.replace(host="::1").host == "::1"
    monkeypatch.setenv("SPINESTEP_SMTP_PORT", "twenty-five")
    with pytest.raises(SettingsError, match="smtp_port"):
        Settings()
    with pytest.raises(Exception, match="SPINESTEP_SMTP_PORT: must be a whole number"):
        load_settings()
    monkeypatch.setenv("SPINESTEP_SMTP_PORT", "70000")
    with pytest.raises(SettingsError, match="smtp_port: must be a port number"):
        Settings()
    with pytest.raises(TypeError, match="colour"):
        Settings(colour="blue")
    monkeypatch.delenv("SPINESTEP_SMTP_PORT")
    monkeypatch.setenv("SPINESTEP_THREADS", "2")
    assert Settings().threads == 2
    for wrong in ("0", "65", "two"):
        monkeypatch.setenv("SPINESTEP_THREADS", wrong)
        with pytest.raises(SettingsError, match="threads: must be"):
            Settings()
