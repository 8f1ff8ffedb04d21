"""Entry point of the ``spinestep`` command: builds the Typer application.

Each module of ``spinestep.cli`` adds its own commands through ``register(app)``.

``main`` is the one place where a failure becomes what the user sees: one line on
standard error and a documented exit status (docs/cli.md, "Exit status"), never a
traceback. Only ``SpinestepError`` messages are printed as they are: they are written
for people and carry no personal data. Every other exception is named by its type
alone, because its text may hold what it was processing (a database error repeats the
statement and its parameters, e.g. a patient's name or pain scores):

- ``SpinestepError``: its message and exit status;
- a database driver or SQLAlchemy error: ``spinestep: the database ...``, exit 7;
- a broken pipe (``spinestep export fhir | head``): quiet, exit 141 as for SIGPIPE;
- any other ``OSError``: the operation and the file's name, exit 10;
- Ctrl-C: quiet, exit 130;
- anything else: the exception's type name, exit 1.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import NoReturn

import typer

from spinestep.cli import coach, motion, records, rules, score, web
from spinestep.cli.output import error_line
from spinestep.domain.text import terminal_safe
from spinestep.errors import SpinestepError, StorageError

_MODULES = (rules, score, coach, motion, records, web)

#: Exit statuses that are not those of a ``SpinestepError`` (docs/cli.md lists them all).
EXIT_UNEXPECTED = 1
EXIT_FILE = 10
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141

#: Packages whose exceptions come from the database (their text may quote row data).
_DATABASE_PACKAGES = ("sqlalchemy", "psycopg", "psycopg2", "sqlite3", "_sqlite3", "alembic")


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="spinestep",
        help=(
            "spinestep coaches the McKenzie lumbar flexion progression and keeps the "
            "physiotherapist in the loop. It supports a programme a clinician has chosen; "
            "it never diagnoses."
        ),
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    for module in _MODULES:
        module.register(app)
    return app


def main(argv: list[str] | None = None) -> None:
    """Run the command; every failure ends as one line and a documented exit status."""
    try:
        build_app()(args=argv, prog_name="spinestep")
    except SystemExit as done:
        if type(sys.stdout).__name__ == "PacifyFlushWrapper":
            # Click met a closed pipe, quietened standard output and chose exit 1; say
            # it as a closed pipe does everywhere else.
            _fail(BrokenPipeError())
        _flush_then_exit(done.code)
    except BaseException as error:  # noqa: BLE001 - the one top-level handler
        _fail(error)
    _flush_then_exit(0)


def _flush_then_exit(code: object) -> NoReturn:
    """Flush standard output before leaving, so a closed pipe or a full disk is caught
    here and not reported by the interpreter at exit."""
    try:
        sys.stdout.flush()
    except BaseException as error:  # noqa: BLE001 - the one top-level handler
        _fail(error)
    sys.exit(code)  # type: ignore[arg-type]


def _fail(error: BaseException) -> NoReturn:
    if isinstance(error, SystemExit):
        raise error
    if isinstance(error, BrokenPipeError):
        _silence_stdout()
        sys.exit(EXIT_BROKEN_PIPE)
    if isinstance(error, KeyboardInterrupt):
        _silence_stdout()
        sys.exit(EXIT_INTERRUPTED)
    line, code = describe(error)
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        _silence_stdout()
    # When standard error is gone too, the exit status is all that is left.
    with contextlib.suppress(OSError):
        print(terminal_safe(line), file=sys.stderr)
    sys.exit(code)


def describe(error: BaseException) -> tuple[str, int]:
    """The one line and the exit status for ``error`` (never its text unless it is ours)."""
    if isinstance(error, SpinestepError):
        return error_line(error), error.exit_code
    name = type(error).__name__
    if _from_database(error):
        return (
            f"spinestep: the database failed ({name}); the change in progress was not saved",
            StorageError.exit_code,
        )
    if isinstance(error, OSError):
        return f"spinestep: {_file_operation(error)}", EXIT_FILE
    return (
        f"spinestep: unexpected error ({name}); the change in progress was not saved",
        EXIT_UNEXPECTED,
    )


def _from_database(error: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for kind in type(current).__mro__:
            if kind.__module__.split(".")[0] in _DATABASE_PACKAGES:
                return True
        current = current.__cause__ or current.__context__
    return False


def _file_operation(error: OSError) -> str:
    reason = error.strerror or type(error).__name__
    if error.filename is not None:
        name = os.path.basename(os.fsdecode(error.filename)) or os.fsdecode(error.filename)
        return f"cannot use the file '{name}': {reason}"
    return f"cannot read or write a file or the terminal: {reason}"


def _silence_stdout() -> None:
    """Point standard output at the null device, so nothing buffered is written (or fails)
    when the interpreter exits."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):
        pass  # no real standard output (e.g. captured in tests): nothing to silence


if __name__ == "__main__":
    main()
