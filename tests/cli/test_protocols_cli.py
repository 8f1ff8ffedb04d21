"""``spinestep protocols list|show|validate`` and the help text of every rules command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from spinestep.cli.main import build_app

APP = build_app()

GOOD = """\
id: my-protocol
title: Mine
direction: extension
maintenance_stage: 1
stages:
  - id: only
    title: Only stage
    instructions: [Lie face down.]
    dose: {reps: 1, hold_s: [60, 90], sessions_per_day: 3}
"""


def invoke(*args: str) -> Any:
    return CliRunner().invoke(APP, list(args))


def test_list_shows_both_builtin_protocols() -> None:
    result = invoke("protocols", "list")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["lumbar-extension", "lumbar-flexion"]
    assert "4 stages" in lines[0] and "3 stages" in lines[1]


def test_list_as_json() -> None:
    rows = json.loads(invoke("protocols", "list", "--json").stdout)
    assert {(row["id"], row["direction"], row["stages"]) for row in rows} == {
        ("lumbar-extension", "extension", 4),
        ("lumbar-flexion", "flexion", 3),
    }


def test_show_is_readable_with_stages_instructions_and_dose() -> None:
    result = invoke("protocols", "show", "lumbar-flexion")
    assert result.exit_code == 0
    text = result.stdout
    for stage_line in ("Stage 1:", "(supine)", "Stage 2:", "(seated)", "Stage 3:", "(standing)"):
        assert stage_line in text
    assert text.count("Dose: 10 x hold 1-2 s, 5 sessions a day") == 3
    assert "- Stand with your feet about 30 cm apart." in text


def test_show_extension_gives_long_holds() -> None:
    text = invoke("protocols", "show", "lumbar-extension").stdout
    assert text.count("Dose: 1 x hold 120-180 s, 5 sessions a day") == 2


def test_show_as_json() -> None:
    data = json.loads(invoke("protocols", "show", "lumbar-flexion", "--json").stdout)
    assert data["id"] == "lumbar-flexion"
    assert [stage["id"] for stage in data["stages"]] == ["supine", "seated", "standing"]
    assert data["stages"][0]["dose"] == {"reps": 10, "hold_s": [1, 2], "sessions_per_day": 5}


def test_show_unknown_protocol_exits_2_with_one_line() -> None:
    result = invoke("protocols", "show", "lumbar-twist")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "spinestep: unknown protocol 'lumbar-twist' (built in: lumbar-extension, lumbar-flexion)"
    ]


def test_validate_a_good_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(GOOD, encoding="utf-8")
    result = invoke("protocols", "validate", str(path))
    assert result.exit_code == 0
    assert result.stdout.startswith("valid")


def test_validate_a_broken_file_names_field_and_line(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(GOOD.replace("reps: 1,", "reps: 101,"), encoding="utf-8")
    result = invoke("protocols", "validate", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "spinestep: mine.yaml line 9: stages[0].dose.reps: must be an integer 1-100"
    ]


def test_validate_a_missing_file(tmp_path: Path) -> None:
    result = invoke("protocols", "validate", str(tmp_path / "gone.yaml"))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "gone.yaml" in result.stderr


def _rules_commands() -> list[tuple[str, Any]]:
    root: Any = typer.main.get_command(APP)
    context = typer.Context(root)
    protocols = root.get_command(context, "protocols")
    commands = [("decide", root.get_command(context, "decide")), ("protocols", protocols)]
    commands += [
        (f"protocols {name}", protocols.commands[name]) for name in ("list", "show", "validate")
    ]
    return commands


COMMANDS = _rules_commands()


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[name for name, _ in COMMANDS])
def test_every_command_and_option_has_help(name: str, command: Any) -> None:
    assert command.help, name
    for param in command.params:
        assert getattr(param, "help", None), f"{name}: {param.name} has no help"
