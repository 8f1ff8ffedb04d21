"""``spinestep questionnaire record|due|history|choose``: outcome measures over time.

``choose`` stores the clinician's choice with the programme (ODI or RMDQ every 14
days, and whether PSFS is asked); ``due`` follows it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from spinestep.cli import wording_cli
from spinestep.domain.scoring import Bothersomeness, Instrument
from spinestep.errors import InvalidInput
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.questionnaire_scores import (
    INSTRUMENT_NAMES,
    VERDICT_TEXT,
    QuestionnaireHistory,
    answers_from_json,
    score_answers,
)
from spinestep.services.record_types import Answers

LOCAL = Actor.local_person()
ODI_SECTIONS = (
    "pain intensity",
    "personal care",
    "lifting",
    "walking",
    "sitting",
    "standing",
    "sleeping",
    "sex life",
    "social life",
    "travelling",
)


class Asked(StrEnum):
    ODI = "odi"
    RMDQ = "rmdq"
    PSFS = "psfs"
    STARTBACK = "startback"


class Chosen(StrEnum):
    ODI = "odi"
    RMDQ = "rmdq"


ContextFactory = Callable[[], AbstractContextManager[ServiceContext]]
PatientPicker = Callable[[ServiceContext, int | None], int]


def build(open_context: ContextFactory, pick_patient: PatientPicker) -> typer.Typer:
    app = typer.Typer(
        help="Outcome questionnaires: record one, see what is due, and the change over time.",
        no_args_is_help=True,
    )

    @app.command("record")
    def record(
        instrument: Asked | None = typer.Option(None, help="odi, rmdq, psfs or startback."),
        answers: str | None = typer.Option(
            None, help="Answers as JSON, e.g. '{\"ticked\": [1, 4, 9]}' for RMDQ."
        ),
        json_file: Path | None = typer.Option(
            None, "--json", help='A "spinestep score" object with "instrument" (- for stdin).'
        ),
        taken_at: str | None = typer.Option(None, help="When it was filled in (RFC 3339)."),
        patient: int | None = typer.Option(None, help="Patient id (default: the first)."),
    ) -> None:
        """Record a questionnaire from options, a JSON file, or by asking question by question."""
        from spinestep.services.questionnaire_tracking import record_questionnaire

        chosen, given = _answers(instrument, answers, json_file)
        when = _timestamp(taken_at)
        with open_context() as ctx:
            patient_id = pick_patient(ctx, patient)
            entry = record_questionnaire(ctx, LOCAL, patient_id, given, when)
        result = score_answers(entry.answers)
        typer.echo(
            f"recorded {chosen.value} for patient {patient_id}: {json.dumps(result.to_json())}"
        )

    @app.command("due")
    def due_command(
        patient: int | None = typer.Option(None, help="Patient id (default: the first)."),
        measure: Chosen | None = typer.Option(
            None, help="Override the programme's measure for this list: odi or rmdq."
        ),
    ) -> None:
        """List the questionnaires due now or next (STarT Back, the programme's ODI or RMDQ
        every 14 days, PSFS); set the choice with 'spinestep questionnaire choose'."""
        from spinestep.services.questionnaire_tracking import questionnaires_due

        with open_context() as ctx:
            chosen = None if measure is None else Instrument(measure.value)
            items = questionnaires_due(ctx, LOCAL, pick_patient(ctx, patient), chosen)
            now = ctx.clock.now()  # after the service read its clock: "due now" stays now
        for item in items:
            when = "due now" if item.due_at <= now else f"due {item.due_at.date().isoformat()}"
            optional = " (optional)" if item.optional else ""
            typer.echo(f"{item.instrument.value:<10} {when:<15} {item.reason}{optional}")

    @app.command("choose")
    def choose_command(
        measure: Chosen | None = typer.Option(
            None, help="The clinician's choice, asked at the start and every 14 days: odi or rmdq."
        ),
        psfs: bool | None = typer.Option(
            None, "--psfs/--no-psfs", help="Ask the PSFS every 14 days too (or not)."
        ),
        patient: int | None = typer.Option(None, help="Patient id (default: the first)."),
    ) -> None:
        """Set the outcome questionnaires of the programme: ODI or RMDQ, and PSFS or not."""
        from spinestep.services.clinician import adjust
        from spinestep.services.programme import today
        from spinestep.services.records import OutcomeMeasure

        if measure is None and psfs is None:
            raise InvalidInput("--measure", "give --measure odi|rmdq and/or --psfs/--no-psfs")
        with open_context() as ctx:
            patient_id = pick_patient(ctx, patient)
            adjust(
                ctx,
                LOCAL,
                patient_id,
                outcome_measure=None if measure is None else OutcomeMeasure(measure.value),
                psfs_enabled=psfs,
            )
            view = today(ctx, LOCAL, patient_id)
        asked = "asked" if view.psfs_enabled else "optional"
        typer.echo(
            f"patient {patient_id}: {view.outcome_measure.value} at the start and every "
            f"14 days; PSFS {asked}"
        )

    @app.command("history")
    def history_command(
        patient: int | None = typer.Option(None, help="Patient id (default: the first)."),
        as_json: bool = typer.Option(False, "--json", help="Write JSON instead of text."),
    ) -> None:
        """Each measure's baseline and follow-ups, with the change and its verdict."""
        from spinestep.services.questionnaire_tracking import questionnaire_history

        with open_context() as ctx:
            found = questionnaire_history(ctx, LOCAL, pick_patient(ctx, patient))
        if as_json:
            typer.echo(json.dumps(history_json(found), indent=2))
        else:
            for line in history_lines(found):
                typer.echo(line)

    app.add_typer(wording_cli.build(open_context), name="wording")
    return app


def history_json(found: QuestionnaireHistory) -> dict[str, Any]:
    startback = found.startback
    return {
        "startback": None
        if startback is None
        else {
            "at": startback.at.isoformat(),
            "total": startback.total,
            "psychosocial": startback.psychosocial,
            "risk": startback.risk.value,
        },
        "measures": [
            {
                "measure": m.measure.value,
                "baseline": {
                    "at": m.baseline.at.isoformat(),
                    "score": _json_number(m.baseline.value),
                },
                "follow_ups": [
                    {
                        "at": f.point.at.isoformat(),
                        "score": _json_number(f.point.value),
                        **f.change.to_json(),
                        "verdict": f.verdict.value,
                    }
                    for f in m.follow_ups
                ],
            }
            for m in found.measures
        ],
    }


def history_lines(found: QuestionnaireHistory) -> list[str]:
    lines = []
    if found.startback is not None:
        s = found.startback
        lines.append(
            f"STarT Back {s.at.date().isoformat()}: total {s.total}/9, "
            f"psychosocial {s.psychosocial}/5 -> {s.risk.value} risk"
        )
    if not found.measures and found.startback is None:
        lines.append("no questionnaires or sessions recorded yet")
    for m in found.measures:
        name = INSTRUMENT_NAMES[Instrument(m.measure.value)]
        lines.append(f"{name}: baseline {_text(m.baseline.value)} on {m.baseline.at.date()}")
        for f in m.follow_ups:
            change = f.change
            percent = (
                ""
                if change.improvement_percent is None
                else f", {_text(change.improvement_percent)} %"
            )
            lines.append(
                f"  {f.point.at.date()}: {_text(f.point.value)} "
                f"(improvement {_text(change.improvement)}{percent}) -> {VERDICT_TEXT[f.verdict]}"
            )
    return lines


def _text(value: int | Decimal) -> str:
    return str(value) if isinstance(value, int) else f"{value:.2f}".rstrip("0").rstrip(".")


def _json_number(value: int | Decimal) -> int | float:
    return value if isinstance(value, int) else float(value)


def _timestamp(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput("--taken-at", "must be an RFC 3339 timestamp") from None
    if value.tzinfo is None:
        raise InvalidInput("--taken-at", "needs Z or an offset")
    return value


def _answers(
    instrument: Asked | None, answers: str | None, json_file: Path | None
) -> tuple[Instrument, Answers]:
    if json_file is not None:
        if answers is not None or instrument is not None:
            raise InvalidInput("--json", "give either --json or --instrument with --answers")
        try:
            text = sys.stdin.read() if str(json_file) == "-" else json_file.read_text("utf-8")
        except OSError as error:
            raise InvalidInput("--json", f"cannot read it: {error.strerror}") from None
        data = _decode(text, "--json")
        if not isinstance(data, dict):
            raise InvalidInput("--json", "must hold one JSON object")
        try:
            chosen = Instrument(data.pop("instrument", None))
        except ValueError:
            raise InvalidInput("instrument", "must be odi, rmdq, psfs or startback") from None
        return chosen, answers_from_json(chosen, data)
    if instrument is None:
        raise InvalidInput("--instrument", "is needed (odi, rmdq, psfs or startback)")
    chosen = Instrument(instrument.value)
    if answers is not None:
        return chosen, answers_from_json(chosen, _decode(answers, "--answers"))
    return chosen, answers_from_json(chosen, _ask(chosen))


def _decode(text: str, path: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput(path, f"not JSON ({error.msg})") from None


def _whole(raw: str, path: str) -> int:
    text = raw.strip()
    if not text.isascii() or not text.isdigit():
        raise InvalidInput(path, "must be a whole number")
    return int(text)


def _ask(instrument: Instrument) -> dict[str, Any]:
    """Ask each item in the terminal (the wording is on the patient's paper form)."""
    if instrument is Instrument.ODI:
        sections: list[int | None] = []
        for number, name in enumerate(ODI_SECTIONS, start=1):
            raw = typer.prompt(f"Section {number} ({name}): 0-5, empty to skip", default="")
            sections.append(None if not raw.strip() else _whole(raw, f"answers[{number - 1}]"))
        return {"answers": sections}
    if instrument is Instrument.RMDQ:
        raw = typer.prompt("Statements ticked today (numbers 1-24, comma separated)", default="")
        parts = [p for p in raw.replace(" ", "").split(",") if p]
        return {"ticked": [_whole(p, f"ticked[{i}]") for i, p in enumerate(parts)]}
    if instrument is Instrument.PSFS:
        names, ratings = [], []
        for number in range(1, 6):
            name = typer.prompt(f"Activity {number} (empty when done)", default="")
            if not name.strip():
                break
            names.append(name.strip())
            ratings.append(typer.prompt("  0 = unable, 10 = as before the problem", type=int))
        return {"activities": names, "ratings": ratings}
    items = [
        1 if typer.confirm(f"Item {number}: agree?", default=False) else 0 for number in range(1, 9)
    ]
    choices = ", ".join(b.value for b in Bothersomeness)
    bother = typer.prompt(f"Item 9, how bothersome over the last 2 weeks ({choices})")
    return {"items": items, "bothersomeness": bother.strip()}
