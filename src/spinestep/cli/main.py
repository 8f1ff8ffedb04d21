"""Entry point of the ``spinestep`` command: builds the Typer application.

Each module of ``spinestep.cli`` adds its own commands through ``register(app)``. The
modules are imported only when one of their commands runs (``COMMANDS`` names each
command's module and one-line help), so ``spinestep decide`` never pays for the
database, the web app or the terminal renderer, and ``spinestep --help`` for none of them.

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
import importlib
import os
import sys
from typing import Any, NoReturn

import typer
from typer.core import TyperGroup

from spinestep.cli.output import error_line
from spinestep.domain.text import terminal_safe
from spinestep.errors import SpinestepError, StorageError

_RULES = "spinestep.cli.rules"
_COACH = "spinestep.cli.coach"
_MOTION = "spinestep.cli.motion"
_RECORDS = "spinestep.cli.records"
_WEB = "spinestep.cli.web"

#: Every top-level command, in the order ``--help`` lists them: the module whose
#: ``register(app)`` defines it, and the line ``--help`` shows without importing that
#: module (a test checks both against the commands themselves).
COMMANDS: dict[str, tuple[str, str]] = {
    "start": (_COACH, "Start here: set up a profile, or show today's plan."),
    "today": (
        "spinestep.cli.coach_today",
        "Show what to do today: stage, dose, sessions done, last decision.",
    ),
    "screen": (_COACH, "Answer the safety questions now (needed before a session)."),
    "session": (_COACH, "A guided session: safety check, pain, repetitions, the decision."),
    "log": (_COACH, "Record a session from options, without prompts (for scripts)."),
    "history": (_COACH, "Show past sessions with their decisions and the pain trend."),
    "resume": (_COACH, "Resume a paused programme after a clinician has assessed you."),
    "init": (_COACH, "Set up your profile and programme."),
    "questionnaire": (
        _RECORDS,
        "Outcome questionnaires: record, what is due, change, wording packs.",
    ),
    "decide": (_RULES, "Decide what the patient does next (JSON in, JSON out)."),
    "score": ("spinestep.cli.score", "Score a questionnaire or a change (JSON)."),
    "protocols": (_RULES, "List, show and check exercise programmes (protocol files)."),
    "analyze": (_MOTION, "Count repetitions, holds and range in a video or photo."),
    "coach": (_MOTION, "Live coaching from a webcam: count, holds, angle, prompts."),
    "export": (_RECORDS, "Export a patient's records (FHIR R4 Bundle or CSV)."),
    "import": (_RECORDS, "Import records exported by spinestep."),
    "report": (_RECORDS, "Write the clinician's one-page progress report as PDF."),
    "reminders": (_RECORDS, "Write the planned session times as iCalendar events."),
    "backup": (_RECORDS, "Back up the whole database, while spinestep keeps running."),
    "restore": (_RECORDS, "Check a backup in a separate copy, then swap it in."),
    "serve": (_WEB, "Start the web app (SQLite, or SPINESTEP_DATABASE_URL)."),
    "demo": (_WEB, "Fill an empty database with a demo clinic."),
    "user": (_WEB, "Manage accounts of the web app."),
    "send-reminders": (
        "spinestep.cli.reminder_mail",
        "Send the e-mail reminders due now (for cron).",
    ),
}

#: Exit statuses that are not those of a ``SpinestepError`` (docs/cli.md lists them all).
EXIT_UNEXPECTED = 1
EXIT_FILE = 10
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141

#: Packages whose exceptions come from the database (their text may quote row data).
_DATABASE_PACKAGES = ("sqlalchemy", "psycopg", "psycopg2", "sqlite3", "_sqlite3", "alembic")


def load_commands(module_name: str) -> dict[str, Any]:
    """The Click commands that ``module_name`` registers, built the way Typer builds them."""
    module = importlib.import_module(module_name)
    holder = typer.Typer()
    holder.callback()(_no_options)  # always a group, even for a module with one command
    module.register(holder)
    built = typer.main.get_command(holder)
    assert isinstance(built, TyperGroup)
    return dict(built.commands)


def _no_options() -> None:
    """Holds the commands of one module while they are built."""


class LazyGroup(TyperGroup):
    """The top-level group: knows the commands by name and loads a module on first use."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            for name, command in load_commands(COMMANDS[cmd_name][0]).items():
                self.commands.setdefault(name, command)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        # The plain layout (rich_markup_mode=None): the rich one would import every
        # command's module to show its help.
        with formatter.section("Commands"):
            formatter.write_dl([(name, line) for name, (_, line) in COMMANDS.items()])


def build_app() -> typer.Typer:
    app = typer.Typer(
        cls=LazyGroup,
        rich_markup_mode=None,
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
    app.callback()(_no_options_top)
    return app


def _no_options_top() -> None:
    """spinestep coaches the McKenzie lumbar flexion progression and keeps the
    physiotherapist in the loop. It supports a programme a clinician has chosen; it never
    diagnoses."""


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
