"""``spinestep analyze FILE --stage S --save``: keep an analysed video as the patient's session.

The composition root for issue 4's "into the record": the motion adapter measures, the
store keeps, the services check and decide; this module only wires them together and
asks the session questions the video cannot answer (pain, where symptoms reach, effort).
The session's reps are the repetitions counted in the video. Only a side-on analysis
with at least one repetition is saved; anything else exits 2 and saves nothing.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from spinestep.cli.coach_log import (
    at_option,
    effort_option,
    int_option,
    location_option,
    option_error,
    outcome_json,
)
from spinestep.cli.coach_prompts import InputClosedError, Prompter, saving_shielded
from spinestep.cli.coach_render import decision_panel
from spinestep.cli.coach_session import EFFORT_OPTIONS, LOCATION_OPTIONS
from spinestep.cli.coach_wiring import LOCAL, new_console, resolve_patient, services
from spinestep.domain.model import Effort, Location
from spinestep.errors import InvalidInput, ProgrammePaused
from spinestep.services import programme, sessions
from spinestep.services.motion_metrics import check_motion_metrics

if TYPE_CHECKING:
    from spinestep.motion.analysis import VideoAnalysis


@dataclass(frozen=True, slots=True)
class SessionAnswers:
    """What the person says about the session; ``None`` where an option was not given."""

    pain_before: str | None = None
    pain_during: str | None = None
    pain_after: str | None = None
    location_before: str | None = None
    location_after: str | None = None
    effort: str | None = None
    at: str | None = None

    def given(self) -> bool:
        return any(getattr(self, name) is not None for name in self.__slots__)


@dataclass(frozen=True, slots=True)
class _Checked:
    pain_before: int | None
    pain_during: int | None
    pain_after: int | None
    location_before: Location | None
    location_after: Location | None
    effort: Effort | None


def check_answers(answers: SessionAnswers) -> _Checked:
    """Check the options given, before the (slow) analysis runs."""

    def pain(option: str, text: str | None) -> int | None:
        return None if text is None else int_option(option, text, 0, 10)

    def where(option: str, text: str | None) -> Location | None:
        return None if text is None else location_option(option, text)

    at_option(answers.at)
    checked = _Checked(
        pain_before=pain("--pain-before", answers.pain_before),
        pain_during=pain("--pain-during", answers.pain_during),
        pain_after=pain("--pain-after", answers.pain_after),
        location_before=where("--location-before", answers.location_before),
        location_after=where("--location-after", answers.location_after),
        effort=None if answers.effort is None else effort_option(answers.effort),
    )
    require_answerable(checked)
    return checked


def check_patient_ready(patient: int | None, stage_id: str) -> int:
    """The patient whose session it will be: offered a session now, at ``stage_id``."""
    with services() as ctx:
        patient_id = resolve_patient(ctx, patient)
        view = programme.today(ctx, LOCAL, patient_id)
    if not view.can_exercise:
        why = "paused" if view.paused else "waiting for a clinician"
        raise ProgrammePaused(f"the programme is {why}: no session can be saved now")
    if view.stage_definition.id != stage_id:
        raise InvalidInput(
            "--stage",
            f"is {stage_id} but the programme is at stage {view.stage} "
            f"({view.stage_definition.id}); analyse a video of that exercise",
        )
    return patient_id


def refuse_unsavable(analysis: VideoAnalysis) -> dict[str, object]:
    """The session metrics, or exit 2 when the video cannot be saved as a session."""
    if analysis.refusal is not None or not analysis.view.side_view:
        reason = analysis.refusal or analysis.view.message or "the camera was not side-on"
        raise InvalidInput("--save", f"not saved: {reason}")
    if not analysis.reps.reps:
        raise InvalidInput("--save", "not saved: no repetition was found in the video")
    metrics = analysis.to_session_metrics()
    try:
        check_motion_metrics(metrics)
    except InvalidInput as error:
        raise option_error(error, "--save") from None
    return metrics


def require_answerable(checked: _Checked) -> None:
    """Without a terminal to ask in, every session answer must come as an option."""
    missing = [
        option
        for option, value in (
            ("--pain-before", checked.pain_before),
            ("--pain-during", checked.pain_during),
            ("--pain-after", checked.pain_after),
            ("--location-before", checked.location_before),
            ("--location-after", checked.location_after),
            ("--effort", checked.effort),
        )
        if value is None
    ]
    if missing and not sys.stdin.isatty():
        raise InvalidInput(missing[0], "is needed with --save (or run it in a terminal)")


def _complete(checked: _Checked, as_json: bool) -> _Checked:
    """Ask for what the options did not give (standard input is a terminal)."""
    require_answerable(checked)
    ask = Prompter(Console(stderr=as_json, highlight=False), allow_stop=False)

    def location(question: str) -> Location:
        return Location.from_code(ask.choice(question, LOCATION_OPTIONS))

    try:
        before = checked.pain_before
        if before is None:
            before = ask.integer("Pain before the exercises", 0, 10)
        where_before = checked.location_before
        if where_before is None:  # Location.NONE is falsy: compare with None
            where_before = location("Where did the symptoms reach before you started?")
        during = checked.pain_during
        if during is None:
            during = ask.integer("Worst pain during the exercises", 0, 10)
        after = checked.pain_after
        if after is None:
            after = ask.integer("Pain after (about 5 minutes after the last one)", 0, 10)
        where_after = checked.location_after
        if where_after is None:
            where_after = location("Where do the symptoms reach now?")
        effort = checked.effort
        if effort is None:
            effort = Effort(ask.choice("How hard was it?", EFFORT_OPTIONS))
    except InputClosedError:
        raise InvalidInput("--save", "input ended: nothing was saved") from None
    return _Checked(before, during, after, where_before, where_after, effort)


def save_analysis(
    analysis: VideoAnalysis,
    patient_id: int,
    answers: SessionAnswers,
    as_json: bool,
) -> None:
    """Record the analysed video as a completed session, run the rules, print the decision."""
    metrics = refuse_unsavable(analysis)
    checked = _complete(check_answers(answers), as_json)
    assert checked.effort is not None and checked.pain_before is not None
    assert checked.pain_during is not None and checked.pain_after is not None
    assert checked.location_before is not None and checked.location_after is not None
    entry = sessions.SessionInput(
        effort=checked.effort,
        pain_before=checked.pain_before,
        pain_during=checked.pain_during,
        pain_after=checked.pain_after,
        location_before=checked.location_before,
        location_after=checked.location_after,
        completed=True,
        reps=len(analysis.reps.reps),
        at=at_option(answers.at),
        motion=metrics,
    )
    with services() as ctx:
        try:
            with saving_shielded():
                outcome = sessions.record_session(ctx, LOCAL, patient_id, entry)
        except InvalidInput as error:
            raise option_error(error, "--save") from None
    if as_json:
        data = {"analysis": analysis.to_json(), **outcome_json(outcome)}
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    console = new_console()
    console.print(f"Saved session {outcome.session.id} with {entry.reps} repetitions.")
    console.print(decision_panel(outcome.decision, outcome.emergency_number))
