"""Commands of the spinestep CLI (placeholder until filled in)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the application."""
