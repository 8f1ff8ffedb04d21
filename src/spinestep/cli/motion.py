"""``spinestep analyze`` and ``spinestep coach``: motion analysis on this machine.

Frames never leave the computer. The heavy libraries (OpenCV, MediaPipe, SciPy) come
with the optional ``spinestep[motion]`` extra and are imported only when a command runs.
``analyze --save`` keeps the result as the patient's session (``cli.motion_save`` wires
the store in; ``spinestep.motion`` itself never touches it).
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from spinestep.errors import InvalidInput

if TYPE_CHECKING:
    from spinestep.domain.kinematics import ExerciseStage
    from spinestep.motion.analysis import ImageAnalysis, VideoAnalysis
    from spinestep.motion.pipeline import ProgressCallback

_SAVE_HELP = "With --save: "
#: ``analyze`` exits with this status when the footage is refused for counting (the
#: result is still printed): not side-on, a person in under 70 % of frames, on its side.
REFUSED_EXIT_CODE = 2


class StageOption(StrEnum):
    SUPINE = "supine"
    SEATED = "seated"
    STANDING = "standing"


def _progress_bar(description: str) -> tuple[ProgressCallback | None, object]:
    """A progress bar on standard error when it is a terminal; nothing otherwise."""
    if not sys.stderr.isatty():
        return None, None
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} frames"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task(description, total=None)

    def update(done: int, total: int | None) -> None:
        bar.update(task, completed=done, total=total)

    bar.start()
    return update, bar


def _stop(bar: object) -> None:
    if bar is not None:
        bar.stop()  # type: ignore[attr-defined]


def _print_video(analysis: VideoAnalysis) -> None:
    out = analysis.to_json()
    view = analysis.view
    print(f"stage {out['stage']}, measured by {str(out['measure']).replace('_', ' ')}")
    print(
        f"{out['frames']} frames, {out['duration_s']} s at {out['fps']} fps; "
        f"person found in {round(analysis.detected_fraction * 100)} % of frames"
    )
    if view.message:
        print(f"camera: {view.message}")
    else:
        print(f"camera: side view, facing {out['view']['facing']}")  # type: ignore[index]
    if out["baseline_deg"] is not None:
        print(f"start posture (baseline): {out['baseline_deg']}°")
    for rep in out["reps"]:  # type: ignore[attr-defined]
        rom = "-" if rep["rom_deg"] is None else f"{rep['rom_deg']}°"
        held = "held" if rep["held"] else "not held"
        print(
            f"  rep {rep['index']}: {rep['start_s']}-{rep['end_s']} s, range {rom}, "
            f"hold {rep['hold_s']} s ({held})"
        )
    median = out["rom_deg_median"]
    print(
        f"{out['rep_count']} reps, {out['held_count']} held for 0.8 s or more"
        + ("" if median is None else f", median range {median}°")
    )


def _print_image(analysis: ImageAnalysis) -> None:
    out = analysis.to_json()
    angles = out["angles"]
    if analysis.view.message:
        print(f"camera: {analysis.view.message}")
    if analysis.angles is not None:
        assert isinstance(angles, dict)
        print(f"trunk flexion {angles['trunk_flexion_deg']}°")
        print(f"hip flexion {angles['hip_flexion_deg']}°")
        print(f"knee-to-chest ratio {angles['knee_to_chest_ratio']}")


def analyze(
    file: Path = typer.Argument(..., help="A video or a photo (told apart by content)."),
    stage: StageOption = typer.Option(..., "--stage", help="Which exercise the video shows."),
    as_json: bool = typer.Option(False, "--json", help="Write only the JSON result."),
    annotated: Path | None = typer.Option(
        None,
        "--annotated",
        help="Write the video with skeleton, angle, reps and hold (.webm/.mp4).",
    ),
    plot: Path | None = typer.Option(None, "--plot", help="Write the angle-over-time plot (.png)."),
    save: bool = typer.Option(
        False,
        "--save",
        help="Save the video as a session of your programme (side-on, at least one rep); "
        "asks the session questions not given as options, then prints the decision.",
    ),
    patient: int | None = typer.Option(
        None, "--patient", help=_SAVE_HELP + "patient profile id (default: the first)."
    ),
    pain_before: str | None = typer.Option(None, "--pain-before", help=_SAVE_HELP + "0-10."),
    pain_during: str | None = typer.Option(
        None, "--pain-during", help=_SAVE_HELP + "worst pain during, 0-10."
    ),
    pain_after: str | None = typer.Option(
        None, "--pain-after", help=_SAVE_HELP + "pain about 5 minutes after, 0-10."
    ),
    location_before: str | None = typer.Option(
        None, "--location-before", help=_SAVE_HELP + "where symptoms reached before."
    ),
    location_after: str | None = typer.Option(
        None, "--location-after", help=_SAVE_HELP + "where symptoms reached after."
    ),
    effort: str | None = typer.Option(
        None, "--effort", help=_SAVE_HELP + "easy, moderate or hard."
    ),
    at: str | None = typer.Option(
        None, "--at", help=_SAVE_HELP + "when, RFC 3339 with offset (default: now)."
    ),
) -> None:
    """Count repetitions, check each hold and measure the range in a video or photo.

    With --save, the analysis is kept as a session of your programme.
    """
    from spinestep.cli.motion_save import SessionAnswers, check_answers, check_patient_ready
    from spinestep.domain.kinematics import ExerciseStage
    from spinestep.motion.availability import require_motion

    answers = SessionAnswers(
        pain_before, pain_during, pain_after, location_before, location_after, effort, at
    )
    if not save and (answers.given() or patient is not None):
        raise InvalidInput("--save", "the session options (--pain-before, ...) need --save")
    require_motion()
    patient_id = None
    if save:
        check_answers(answers)
        patient_id = check_patient_ready(patient, stage.value)
    from spinestep.motion.media import silenced_native_stderr

    with silenced_native_stderr():
        analysis = _analyze(file, ExerciseStage(stage.value), as_json, annotated, plot, save)
    if analysis is not None and not save and _refused(analysis):
        _exit_refused(analysis)  # with --save, refuse_unsavable says why nothing was saved
    if analysis is not None and patient_id is not None:
        from spinestep.cli.motion_save import save_analysis

        save_analysis(analysis, patient_id, answers, as_json)


def _refused(analysis: VideoAnalysis) -> bool:
    """Reps and holds were refused on this footage (SPEC §6). A video with no person
    in any frame is not refused: SPEC §6 reports it with exit status 0."""
    return analysis.refusal is not None and analysis.detected_fraction > 0.0


def _exit_refused(analysis: VideoAnalysis) -> NoReturn:
    """One line on standard error saying why nothing was counted; exit status 2."""
    from spinestep.domain.text import terminal_safe

    reason = terminal_safe(" ".join(str(analysis.refusal).split()))
    print(f"spinestep: repetitions not counted: {reason}", file=sys.stderr)
    raise typer.Exit(REFUSED_EXIT_CODE)


def _analyze(
    file: Path,
    stage: ExerciseStage,
    as_json: bool,
    annotated: Path | None,
    plot: Path | None,
    save: bool = False,
) -> VideoAnalysis | None:
    """Analyse and print; with ``save`` the video's analysis is returned, printed only as text."""
    from spinestep.motion.media import MediaKind, media_kind
    from spinestep.motion.pipeline import analyze_file
    from spinestep.motion.render import check_video_path, write_annotated_video, write_plot

    if annotated is not None:
        check_video_path(annotated)
    if plot is not None and plot.suffix.lower() != ".png":
        raise InvalidInput("--plot", f"{plot.name}: use a .png file name")
    is_image = media_kind(file) is MediaKind.IMAGE
    if is_image and (annotated or plot):
        raise InvalidInput("--annotated/--plot", "need a video; this file is a still image")
    if is_image and save:
        raise InvalidInput("--save", "needs a video of the exercise; this file is a still image")
    progress, bar = _progress_bar("analysing")
    try:
        result = analyze_file(file, stage, progress=progress)
    finally:
        _stop(bar)
    from spinestep.motion.analysis import ImageAnalysis

    if isinstance(result, ImageAnalysis):
        if as_json:
            print(json.dumps(result.to_json()))
        else:
            _print_image(result)
        return None
    if annotated is not None:
        poses = [o.pose for o in result.observations]
        progress, bar = _progress_bar("drawing")
        try:
            write_annotated_video(file, result.analysis, poses, annotated, progress)
        finally:
            _stop(bar)
    if plot is not None:
        write_plot(result.analysis, plot)
    if not as_json:
        _print_video(result.analysis)
    elif not save:
        print(json.dumps(result.analysis.to_json()))
    return result.analysis


def coach(
    camera: str = typer.Option(
        "0", "--camera", help="Camera number (0 is the first), or a video file played in real time."
    ),
    stage: StageOption = typer.Option(..., "--stage", help="Which exercise you are doing."),
    headless: bool = typer.Option(
        False, "--headless", help="No window: print the events as lines of JSON."
    ),
    max_seconds: float | None = typer.Option(
        None, "--max-seconds", min=0.0, help="Stop after this many seconds."
    ),
) -> None:
    """Live coaching from a webcam: count, hold countdown, angle and camera prompts."""
    from spinestep.domain.kinematics import ExerciseStage
    from spinestep.motion.availability import require_motion

    require_motion()
    from spinestep.motion.live_loop import run_live
    from spinestep.motion.media import silenced_native_stderr

    def print_event(event: dict[str, object]) -> None:
        if headless:
            print(json.dumps(event), flush=True)
        elif event["event"] in ("prompt", "rep", "held"):
            print(_event_line(event), flush=True)
        elif event["event"] == "summary":
            _print_video_summary(event)

    with silenced_native_stderr():
        run_live(camera, ExerciseStage(stage.value), headless, print_event, max_seconds)


def _event_line(event: dict[str, object]) -> str:
    kind = event["event"]
    if kind == "prompt":
        return f"camera: {event['message'] or 'good view'}"
    if kind == "held":
        return f"rep {event['rep']}: held"
    return f"rep {event['index']} done: range {event['rom_deg']}°, hold {event['hold_s']} s" + (
        "" if event["held"] else " (not held)"
    )


def _print_video_summary(event: dict[str, object]) -> None:
    analysis = event["analysis"]
    latency = event["latency_ms"]
    assert isinstance(analysis, dict) and isinstance(latency, dict)
    print(
        f"{analysis['rep_count']} reps, {analysis['held_count']} held; "
        f"{event['frames_processed']} frames analysed, {event['frames_dropped']} dropped "
        f"to keep up; latency median {latency['median']} ms"
    )


def register(app: typer.Typer) -> None:
    """Add ``analyze`` and ``coach`` to the application."""
    app.command("analyze")(analyze)
    app.command("coach")(coach)
