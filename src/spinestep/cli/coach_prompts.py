"""Prompts of the terminal coach, with the "stop now" answer at every one.

Typing ``s`` or ``stop`` at a prompt raises ``StopRequestedError``. During a hold countdown
the same line (``s`` + Enter) is noticed too, on systems where standard input can be
polled (POSIX). Ctrl-C is "quit without saving"; ``saving_shielded`` defers it while a
save is being committed, so the user is told the truth about what was saved.
"""

from __future__ import annotations

import os
import select
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType

from rich.console import Console

STOP_WORDS = frozenset({"s", "stop"})
STOP_HINT = "s = stop now: my symptoms are spreading or getting worse"


class StopRequestedError(Exception):
    """The person chose "stop now — my symptoms are spreading or getting worse"."""


class InputClosedError(Exception):
    """Standard input ended before the session was finished."""


class Prompter:
    """Asks questions on a Rich console and reads answers from standard input."""

    def __init__(self, console: Console, *, allow_stop: bool = True) -> None:
        self.console = console
        self.allow_stop = allow_stop

    def _read(self, prompt: str) -> str:
        try:
            answer = self.console.input(prompt)
        except EOFError:
            raise InputClosedError from None
        text = answer.strip().lower()
        if self.allow_stop and text in STOP_WORDS:
            raise StopRequestedError
        return text

    def _suffix(self) -> str:
        return " [dim](s = stop now)[/dim]" if self.allow_stop else ""

    def integer(self, question: str, low: int, high: int) -> int:
        while True:
            text = self._read(f"{question} [bold]({low}-{high})[/bold]{self._suffix()}: ")
            if text.isdigit() and low <= int(text) <= high:
                return int(text)
            self.console.print(f"  Please type a whole number from {low} to {high}.")

    def yes_no(self, question: str) -> bool:
        while True:
            text = self._read(f"{question} [bold](y/n)[/bold]{self._suffix()}: ")
            if text in ("y", "yes"):
                return True
            if text in ("n", "no"):
                return False
            self.console.print("  Please answer y (yes) or n (no).")

    def choice(self, question: str, options: Sequence[tuple[str, str]], default: str = "") -> str:
        """One of ``options`` (code, label): by number or by code.

        Options whose codes are numbers already (stages) are chosen by that number only,
        so the screen never shows two numbers side by side.
        """
        codes = [code for code, _ in options]
        numbered = not all(code.isdigit() for code in codes)
        for number, (code, label) in enumerate(options):
            prefix = f"[bold]{number}[/bold] " if numbered else ""
            self.console.print(f"  {prefix}{code:<11} {label}")
        shown = f" [{default}]" if default else ""
        while True:
            text = self._read(f"{question}{shown}{self._suffix()}: ")
            if not text and default:
                return default
            if text in codes:
                return text
            if numbered and text.isdigit() and int(text) < len(codes):
                return codes[int(text)]
            hint = f"a number 0-{len(codes) - 1} or one of" if numbered else "one of"
            self.console.print(f"  Please type {hint}: {', '.join(codes)}.")

    def text(self, question: str, default: str = "") -> str:
        shown = f" [{default}]" if default else ""
        while True:
            try:
                answer = self.console.input(f"{question}{shown}: ").strip()
            except EOFError:
                raise InputClosedError from None
            if answer or default:
                return answer or default
            self.console.print("  Please type an answer.")

    def enter(self, message: str) -> None:
        """Wait for Enter (or the stop word)."""
        self._read(f"{message}{self._suffix()} ")


def typed_line() -> str | None:
    """The line waiting on standard input, if one is (POSIX only; None otherwise)."""
    if os.name != "posix":
        return None
    try:
        ready, _, _ = select.select([sys.stdin], [], [], 0)
    except (OSError, ValueError):
        return None
    if not ready:
        return None
    return sys.stdin.readline()


def stop_typed() -> bool:
    """True when a line reading ``s``/``stop`` is waiting on standard input (POSIX only)."""
    line = typed_line()
    return line is not None and line.strip().lower() in STOP_WORDS


@contextmanager
def saving_shielded() -> Iterator[list[bool]]:
    """Defer Ctrl-C while a save commits; the yielded list records whether one came."""
    interrupted: list[bool] = []

    def note(_signum: int, _frame: FrameType | None) -> None:
        interrupted.append(True)

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)
