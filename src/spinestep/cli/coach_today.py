"""``spinestep today``: what to do today, as a panel or as JSON.

Its own module, apart from the other coach commands, because a patient runs it several
times a day: it imports the Today use case and the store, and Rich only to print the
panel (``--json`` does without it).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from spinestep.cli.coach_wiring import (
    LOCAL,
    PatientOption,
    errors,
    new_console,
    resolve_patient,
    services,
)
from spinestep.services import programme

if TYPE_CHECKING:
    from spinestep.services.views import TodayView


def _today_json(view: TodayView) -> dict[str, object]:
    return {
        "patient_id": view.patient_id,
        "local_date": view.local_date.isoformat(),
        "time_zone": view.time_zone,
        "protocol": view.protocol_id,
        "stage": view.stage,
        "stage_id": view.stage_definition.id,
        "dose": view.dose.to_json(),
        "sessions_done_today": view.sessions_done_today,
        "sessions_planned": view.sessions_planned,
        "status": view.status.value,
        "paused": view.paused,
        "paused_reason": view.paused_reason,
        "open_red_flags": list(view.open_red_flags),
        "last_decision": None if view.last_decision is None else view.last_decision.to_json(),
        "emergency_number": view.emergency_number,
        "phase": view.phase.value,
        "instructions": list(view.instructions),
        "current_decision": (
            None if view.current_decision is None else view.current_decision.to_json()
        ),
        "update": None if view.update is None else view.update.to_json(),
        "pause_decision": None if view.pause_decision is None else view.pause_decision.to_json(),
        "adherence_7d_percent": None if view.adherence is None else view.adherence.percent,
    }


def today_command(
    patient: PatientOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a panel.")] = False,
) -> None:
    """Show what to do today: stage, instructions, dose, sessions done, last decision."""
    with errors(), services() as ctx:
        view = programme.today(ctx, LOCAL, resolve_patient(ctx, patient))
    if as_json:
        typer.echo(json.dumps(_today_json(view), ensure_ascii=False))
        return
    from spinestep.cli.coach_render import today_panel  # Rich: only for the panel

    new_console().print(today_panel(view))


def register(app: typer.Typer) -> None:
    app.command("today")(today_command)
