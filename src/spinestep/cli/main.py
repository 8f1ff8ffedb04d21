"""Entry point of the ``spinestep`` command: builds the Typer application.

Each module of ``spinestep.cli`` adds its own commands through ``register(app)``.
Errors of the ``SpinestepError`` tree end as one line on standard error and the
error's exit status, never a traceback; invalid input names the offending value first.
"""

from __future__ import annotations

import sys

import typer

from spinestep.cli import coach, motion, records, rules, score, web
from spinestep.cli.output import error_line
from spinestep.errors import SpinestepError

_MODULES = (rules, score, coach, motion, records, web)


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
    app = build_app()
    try:
        app(args=argv, prog_name="spinestep")
    except SpinestepError as error:
        print(error_line(error), file=sys.stderr)
        sys.exit(error.exit_code)


if __name__ == "__main__":
    main()
