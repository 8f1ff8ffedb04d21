"""Motion-analysis metrics kept with a session (issue 4): checked here, at the service edge.

A saved session may carry what ``spinestep analyze`` measured: the repetitions counted,
how many were held, the range of motion (ROM) of each repetition and their median, how
much of the video showed the person, and whether the camera was side-on. The metrics
arrive as a plain JSON object (``VideoAnalysis.to_session_metrics()`` of
``spinestep.motion``, or :func:`metrics_from_analysis_json` of the ``analyze --json``
output); this module never imports the motion adapter.
"""

from __future__ import annotations

import math
from typing import Any

from spinestep.errors import InvalidInput

#: The exercise stages motion analysis understands, and the angle each is measured by (SPEC §6).
MEASURE_OF_STAGE = {
    "supine": "hip_flexion",
    "seated": "trunk_flexion",
    "standing": "trunk_flexion",
}
MAX_MOTION_REPS = 1000
#: Angles beyond a half turn cannot come from the kinematics of SPEC §6.
MAX_ABS_ANGLE_DEG = 180.0
_REQUIRED = (
    "stage",
    "measure",
    "reps",
    "held_count",
    "rom_deg",
    "rom_deg_median",
    "detected_fraction",
    "side_view",
)
_OPTIONAL = ("visibility_mean",)


def _path(key: str) -> str:
    return f"motion.{key}"


def _number(value: object) -> float | None:
    """A finite JSON number as a float; None for anything else (booleans included)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def _whole(data: dict[str, Any], key: str, high: int) -> int:
    value = data[key]
    if type(value) is not int or not 0 <= value <= high:
        raise InvalidInput(_path(key), f"must be a whole number 0-{high}")
    return value


def _fraction(data: dict[str, Any], key: str) -> float | None:
    value = data.get(key)
    if value is None and key in _OPTIONAL:
        return None
    number = _number(value)
    if number is None or not 0.0 <= number <= 1.0:
        raise InvalidInput(_path(key), "must be a number 0-1")
    return round(number, 2)


def _angle(value: object, path: str) -> float:
    number = _number(value)
    if number is None or abs(number) > MAX_ABS_ANGLE_DEG:
        raise InvalidInput(path, f"must be a number of degrees within ±{MAX_ABS_ANGLE_DEG:g}")
    return round(number, 1)


def check_motion_metrics(data: object, *, uncounted: bool = False) -> dict[str, Any]:
    """The metrics, checked and normalised (angles 1 decimal, fractions 2), or InvalidInput.

    By default only a side-on analysis with at least one repetition is kept: without a
    side view every ROM is unknown, and without a repetition there is nothing to keep.
    With ``uncounted`` (the camera coach of the guided session, whose session is saved
    whatever the camera saw) an analysis that counted nothing is kept as well, so the
    record shows the camera was used: 0 repetitions and held, no ROM (``rom_deg`` empty,
    ``rom_deg_median`` null), and ``side_view`` false when the view was refused.
    """
    if not isinstance(data, dict):
        raise InvalidInput("motion", "must be an object of motion-analysis metrics")
    unknown = sorted(set(data) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise InvalidInput(_path(str(unknown[0])), "is not a known field")
    for key in _REQUIRED:
        if key not in data:
            raise InvalidInput(_path(key), "is required")
    stage = data["stage"]
    if stage not in MEASURE_OF_STAGE:
        raise InvalidInput(_path("stage"), f"must be one of {', '.join(MEASURE_OF_STAGE)}")
    if data["measure"] != MEASURE_OF_STAGE[stage]:
        raise InvalidInput(
            _path("measure"), f"must be {MEASURE_OF_STAGE[stage]} for the {stage} stage"
        )
    if type(data["side_view"]) is not bool:
        raise InvalidInput(_path("side_view"), "must be true or false")
    reps = _whole(data, "reps", MAX_MOTION_REPS)
    held = _whole(data, "held_count", reps)
    if uncounted and (reps == 0 or not data["side_view"]):
        return _uncounted(data, reps)
    if not data["side_view"] or reps == 0:
        raise InvalidInput(
            "motion",
            "only a side-on video with at least one repetition can be saved "
            "(place the camera to the side and record again)",
        )
    per_rep = data["rom_deg"]
    if not isinstance(per_rep, list) or len(per_rep) != reps:
        raise InvalidInput(_path("rom_deg"), f"must be a list of {reps} angles, one per rep")
    rom = [_angle(value, f"{_path('rom_deg')}[{i}]") for i, value in enumerate(per_rep)]
    return {
        "stage": stage,
        "measure": data["measure"],
        "reps": reps,
        "held_count": held,
        "rom_deg": rom,
        "rom_deg_median": _angle(data["rom_deg_median"], _path("rom_deg_median")),
        "detected_fraction": _fraction(data, "detected_fraction"),
        "visibility_mean": _fraction(data, "visibility_mean"),
        "side_view": True,
    }


def _uncounted(data: dict[str, Any], reps: int) -> dict[str, Any]:
    """Metrics of an analysis that counted nothing: no repetition, no ROM."""
    if reps != 0:
        raise InvalidInput(_path("reps"), "must be 0 when the camera was not side-on")
    if data["rom_deg"] != []:
        raise InvalidInput(_path("rom_deg"), "must be an empty list without a repetition")
    if data["rom_deg_median"] is not None:
        raise InvalidInput(_path("rom_deg_median"), "must be null without a repetition")
    return {
        "stage": data["stage"],
        "measure": data["measure"],
        "reps": 0,
        "held_count": 0,
        "rom_deg": [],
        "rom_deg_median": None,
        "detected_fraction": _fraction(data, "detected_fraction"),
        "visibility_mean": _fraction(data, "visibility_mean"),
        "side_view": data["side_view"],
    }


def check_stage_matches(metrics: dict[str, Any], stage_id: str, stage: int) -> None:
    """Refuse metrics of another exercise than the one the session is recorded at."""
    if metrics["stage"] != stage_id:
        raise InvalidInput(
            _path("stage"),
            f"the video shows the {metrics['stage']} exercise but the programme is at "
            f"stage {stage} ({stage_id})",
        )


def metrics_from_analysis_json(data: object) -> dict[str, Any]:
    """The session metrics of a ``spinestep analyze --json`` result (SPEC §6 object)."""
    if not isinstance(data, dict):
        raise InvalidInput("analysis", "must be one JSON object written by 'spinestep analyze'")
    if "angles" in data and "reps" not in data:
        raise InvalidInput("analysis", "is of a still photo; a video with repetitions is needed")
    for key in ("stage", "measure", "reps", "held_count", "rom_deg_median", "view"):
        if key not in data:
            raise InvalidInput(f"analysis.{key}", "is required")
    view, reps = data["view"], data["reps"]
    if not isinstance(view, dict) or "side_view" not in view:
        raise InvalidInput("analysis.view", "must be an object with side_view")
    if not isinstance(reps, list) or not all(isinstance(rep, dict) for rep in reps):
        raise InvalidInput("analysis.reps", "must be a list of repetitions")
    for index, rep in enumerate(reps):
        if "rom_deg" not in rep:
            raise InvalidInput(f"analysis.reps[{index}].rom_deg", "is required")
    metrics: dict[str, Any] = {
        "stage": data["stage"],
        "measure": data["measure"],
        "reps": len(reps),
        "held_count": data["held_count"],
        "rom_deg": [rep["rom_deg"] for rep in reps],
        "rom_deg_median": data["rom_deg_median"],
        "detected_fraction": data.get("detected_fraction"),
        "side_view": view["side_view"],
    }
    if data.get("visibility_mean") is not None:
        metrics["visibility_mean"] = data["visibility_mean"]
    return metrics
