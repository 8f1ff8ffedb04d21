"""The camera coach's angle series, as the guided session sends it: parsed and checked.

The browser measures on the device and sends, with the session, one compact JSON object
(form field ``motion_series`` on the guided-session page, key ``motion_series`` in the
API's session body)::

    {"v": 1, "stage": "standing", "model": "lite", "facing": "right",
     "live": {"reps": 10, "held": 9},
     "frames": [[t_ms, angle_deg, visibility, yaw_deg, facing_vote], ...]}

``t_ms`` are whole milliseconds increasing from the first frame; ``angle_deg`` the raw
primary angle of the stage in that frame (null when no person was found);
``visibility`` the mean visibility of the core joints (0-1); ``yaw_deg`` how far the
camera is from side-on (0-90, ``view_yaw_deg``) and ``facing_vote`` the evidence for
facing right (> 0) or left (< 0, ``facing_vote``), both null without a person. Never an
image or a landmark.

Everything is checked before anything is computed: a malformed series is refused with
``InvalidInput`` naming the value (``motion_series.frames[12][1]``), and nothing of the
session is stored. The live counts (``live``) are what the page showed; they are never
kept: the server counts again (:func:`recount`) with the code of ``spinestep analyze``.

Bounds: at most :data:`MAX_FRAMES` frames (ten minutes at 30 frames/s), within
:data:`MAX_SPAN_MS`. A series at the frame cap, with angles and yaw to 0.1° and
visibility and votes to 0.01 as the page sends them, fits the 1 MiB request limit even
form-encoded.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from spinestep.domain.kinematics import ExerciseStage, Facing
from spinestep.errors import InvalidInput
from spinestep.motion.series import analyze_angle_series

logger = logging.getLogger(__name__)

FIELD = "motion_series"
VERSION = 1
#: Ten minutes at 30 frames/s (the most the analysis uses per second).
MAX_FRAMES = 18_000
#: The last frame's time, from the start of the recording (one hour).
MAX_SPAN_MS = 3_600_000
#: The live counts cannot exceed the repetitions a session may record.
MAX_LIVE_COUNT = 1000
MAX_ABS_ANGLE_DEG = 180.0
MAX_YAW_DEG = 90.0
#: Nose (±1) plus two flat feet (±0.5 each): see ``domain.kinematics.facing_vote``.
MAX_ABS_FACING_VOTE = 2.0
MODELS = ("lite", "full")
_KEYS = ("v", "stage", "model", "facing", "live", "frames")
_FRAME_FIELDS = ("t_ms", "angle_deg", "visibility", "yaw_deg", "facing_vote")


@dataclass(frozen=True, slots=True)
class MotionSeries:
    """A checked series: one tuple per frame field, all of the same length (≥ 1)."""

    stage: ExerciseStage
    model: str
    facing: Facing | None
    live_reps: int
    live_held: int
    t_ms: tuple[int, ...]
    angle_deg: tuple[float | None, ...]
    visibility: tuple[float, ...]
    yaw_deg: tuple[float | None, ...]
    facing_vote: tuple[float | None, ...]

    @property
    def times_s(self) -> tuple[float, ...]:
        return tuple(t / 1000.0 for t in self.t_ms)


def _refuse(path: str, problem: str) -> InvalidInput:
    return InvalidInput(f"{FIELD}{path}", problem)


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def parse_motion_series_text(text: str) -> MotionSeries:
    """The series of a page form field (JSON text), checked; InvalidInput if malformed."""
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise _refuse("", "is nested too deeply to be the camera's series") from None
    except ValueError:  # JSONDecodeError, NaN/Infinity, and integers too long to convert
        raise _refuse("", "is not valid JSON: the camera's series could not be read") from None
    return parse_motion_series(data)


def parse_motion_series(data: object) -> MotionSeries:
    """The series of a decoded JSON object, checked; InvalidInput naming what is wrong."""
    if not isinstance(data, dict):
        raise _refuse("", "must be an object with v, stage, model, facing, live and frames")
    unknown = sorted(str(key) for key in data if key not in _KEYS)
    if unknown:
        raise _refuse(f".{unknown[0]}", "is not a known field")
    for key in _KEYS:
        if key not in data:
            raise _refuse(f".{key}", "is required")
    if type(data["v"]) is not int or data["v"] != VERSION:
        raise _refuse(".v", f"must be {VERSION} (the version of the series format)")
    stage = _choice(data["stage"], ".stage", tuple(s.value for s in ExerciseStage))
    model = _choice(data["model"], ".model", MODELS)
    facing = data["facing"]
    if facing is not None:
        facing = _choice(facing, ".facing", tuple(f.value for f in Facing))
    live_reps, live_held = _live(data["live"])
    columns = _frames(data["frames"])
    return MotionSeries(
        stage=ExerciseStage(stage),
        model=model,
        facing=None if facing is None else Facing(facing),
        live_reps=live_reps,
        live_held=live_held,
        t_ms=columns[0],
        angle_deg=columns[1],
        visibility=columns[2],
        yaw_deg=columns[3],
        facing_vote=columns[4],
    )


def _choice(value: object, path: str, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise _refuse(path, f"must be one of {', '.join(allowed)}")
    return value


def _live(value: object) -> tuple[int, int]:
    if not isinstance(value, dict):
        raise _refuse(".live", "must be an object with reps and held")
    unknown = sorted(str(key) for key in value if key not in ("reps", "held"))
    if unknown:
        raise _refuse(f".live.{unknown[0]}", "is not a known field")
    counts = []
    for key in ("reps", "held"):
        count = value.get(key)
        if type(count) is not int or not 0 <= count <= MAX_LIVE_COUNT:
            raise _refuse(f".live.{key}", f"must be a whole number 0-{MAX_LIVE_COUNT}")
        counts.append(count)
    if counts[1] > counts[0]:
        raise _refuse(".live.held", "cannot be more than the repetitions counted")
    return counts[0], counts[1]


def _number(value: object) -> float | None:
    """A finite JSON number as a float; None for anything else (booleans included)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def _frames(value: object) -> tuple[tuple[Any, ...], ...]:
    if not isinstance(value, list) or not value:
        raise _refuse(".frames", "must be a list of at least one frame")
    if len(value) > MAX_FRAMES:
        raise _refuse(
            ".frames", f"has {len(value)} frames; at most {MAX_FRAMES} (ten minutes) are analysed"
        )
    t_ms: list[int] = []
    angles: list[float | None] = []
    visibility: list[float] = []
    yaws: list[float | None] = []
    votes: list[float | None] = []
    previous = -1
    for index, frame in enumerate(value):
        path = f".frames[{index}]"
        if not isinstance(frame, list) or len(frame) != len(_FRAME_FIELDS):
            raise _refuse(path, f"must be a list [{', '.join(_FRAME_FIELDS)}]")
        t, angle, seen, yaw, vote = frame
        if type(t) is not int or not 0 <= t <= MAX_SPAN_MS:
            raise _refuse(f"{path}[0]", f"t_ms must be a whole number of ms 0-{MAX_SPAN_MS}")
        if t <= previous:
            raise _refuse(f"{path}[0]", "t_ms must increase from one frame to the next")
        previous = t
        t_ms.append(t)
        angles.append(
            _bounded(angle, f"{path}[1]", "angle_deg", -MAX_ABS_ANGLE_DEG, MAX_ABS_ANGLE_DEG)
        )
        seen_number = _number(seen)
        if seen_number is None or not 0.0 <= seen_number <= 1.0:
            raise _refuse(f"{path}[2]", "visibility must be a number 0-1")
        visibility.append(seen_number)
        yaws.append(_bounded(yaw, f"{path}[3]", "yaw_deg", 0.0, MAX_YAW_DEG))
        votes.append(
            _bounded(vote, f"{path}[4]", "facing_vote", -MAX_ABS_FACING_VOTE, MAX_ABS_FACING_VOTE)
        )
    return tuple(t_ms), tuple(angles), tuple(visibility), tuple(yaws), tuple(votes)


def _bounded(value: object, path: str, name: str, low: float, high: float) -> float | None:
    if value is None:
        return None
    number = _number(value)
    if number is None or not low <= number <= high:
        raise _refuse(path, f"{name} must be a number {low:g} to {high:g}, or null")
    return number


@dataclass(frozen=True, slots=True)
class Recount:
    """What the server counted in a series, as the session keeps it (SPEC §6 keys).

    ``refused`` when the footage was refused (not side-on, or a person in too few
    frames): nothing is counted, and ``side_view`` is false in the metrics.
    """

    metrics: dict[str, Any]
    refused: bool


def recount(series: MotionSeries) -> Recount:
    """Count reps, holds and ROM again with the code of ``spinestep analyze``.

    When the page's live count differs, one log line gives the size of the difference
    (repetitions and holds together), never the series, the session or the patient.
    """
    analysis = analyze_angle_series(
        series.stage,
        series.times_s,
        series.angle_deg,
        series.visibility,
        [angle is not None for angle in series.angle_deg],
        series.yaw_deg,
        series.facing_vote,
        facing=series.facing,
    )
    metrics: dict[str, Any] = dict(analysis.to_session_metrics())
    refused = analysis.refusal is not None
    if refused:
        metrics["side_view"] = False
    reps, held = len(analysis.reps.reps), analysis.reps.held_count
    difference = abs(series.live_reps - reps) + abs(series.live_held - held)
    if difference:
        logger.info("camera coach: the live count differs from the server's by %d", difference)
    return Recount(metrics, refused)


@contextmanager
def series_errors() -> Iterator[None]:
    """Name the series, not the stored metrics, when the service refuses what it counted
    (the exercise of another stage than the programme's: ``motion_series.stage``)."""
    try:
        yield
    except InvalidInput as error:
        if error.path == "motion" or error.path.startswith("motion."):
            key = error.path.removeprefix("motion").lstrip(".")
            raise InvalidInput(f"{FIELD}.{key}" if key else FIELD, error.problem) from None
        raise
