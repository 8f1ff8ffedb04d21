"""Every command of the `spinestep` application has help text and is documented in docs/cli.md."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from spinestep.cli.main import build_app

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def _commands() -> Iterator[tuple[str, Any]]:
    """(full name, command) for every command and group, depth first."""
    root = typer.main.get_command(build_app())
    context = typer.Context(root)

    def walk(command: Any, path: list[str]) -> Iterator[tuple[str, Any]]:
        if path:
            yield " ".join(path), command
        if hasattr(command, "list_commands"):
            for name in command.list_commands(context):
                yield from walk(command.get_command(context, name), [*path, name])

    yield from walk(root, [])


def test_the_walk_finds_the_coach_commands() -> None:
    names = {name for name, _ in _commands()}
    expected = {"init", "screen", "today", "session", "log", "history", "resume", "start"}
    assert expected <= names


def test_every_command_has_help_text() -> None:
    missing = [name for name, command in _commands() if not (command.help or "").strip()]
    assert missing == []


def test_every_option_and_argument_has_help_text() -> None:
    missing = [
        f"{name} {param.name}"
        for name, command in _commands()
        for param in command.params
        if not (getattr(param, "help", None) or "").strip()
    ]
    assert missing == []


def test_every_command_is_documented() -> None:
    text = " ".join(DOC.read_text(encoding="utf-8").split())
    undocumented = [
        name
        for name, _ in _commands()
        if re.search(rf"spinestep {re.escape(name)}(?![\w-])", text) is None
    ]
    assert undocumented == []
