"""The angle-series analysis shared by `spinestep analyze` and the browser's guided session."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from spinestep.domain.kinematics import ExerciseStage, Facing
from spinestep.motion.series import VideoAnalysis, analyze_angle_series

FPS = 30.0


def _profile(
    reps: int = 3, baseline: float = 5.0, peak: float = 95.0, hold_s: float = 1.2
) -> list[float]:
    """Start posture for 1.5 s, then per rep: 0.7 s down, the hold, 0.7 s up, 1.5 s rest."""
    t = 0.0
    knots_t, knots_y = [0.0], [baseline]
    t = 1.5
    knots_t.append(t)
    knots_y.append(baseline)
    for _ in range(reps):
        for step, level in ((0.7, peak), (hold_s, peak), (0.7, baseline), (1.5, baseline)):
            t += step
            knots_t.append(t)
            knots_y.append(level)
    times = np.arange(0.0, t, 1.0 / FPS)
    return [float(v) for v in np.interp(times, knots_t, knots_y)]


def _analyze(
    angles: list[float | None],
    *,
    stage: ExerciseStage = ExerciseStage.STANDING,
    yaw: float = 5.0,
    vote: float = 1.0,
    facing: Facing | None = None,
    times: list[float] | None = None,
) -> VideoAnalysis:
    times = times if times is not None else [i / FPS for i in range(len(angles))]
    seen = [a is not None for a in angles]
    return analyze_angle_series(
        stage,
        times,
        angles,
        [0.9 if s else 0.0 for s in seen],
        seen,
        [yaw if s else None for s in seen],
        [vote if s else None for s in seen],
        facing=facing,
        nominal_fps=FPS,
    )


def test_a_side_on_series_is_counted() -> None:
    out = _analyze(list(_profile(reps=3))).to_json()
    assert out["rep_count"] == 3
    assert out["held_count"] == 3
    assert out["view"] == {"side_view": True, "facing": "right", "message": None}
    assert out["rom_deg_median"] == pytest.approx(90.0, abs=1.0)


def test_trunk_angles_measured_for_the_wrong_side_are_turned_round() -> None:
    # The person faces left (votes < 0) but the angles were measured facing right:
    # they come in negated, and are turned round before counting.
    angles: list[float | None] = [-a for a in _profile(reps=2)]
    out = _analyze(angles, vote=-1.0, facing=Facing.RIGHT).to_json()
    assert out["view"]["facing"] == "left"  # type: ignore[index]
    assert out["rep_count"] == 2
    assert out["baseline_deg"] == pytest.approx(5.0, abs=0.5)


def test_front_view_counts_no_reps_and_says_how_to_place_the_camera() -> None:
    out = _analyze(list(_profile(reps=3)), yaw=80.0).to_json()
    assert out["rep_count"] == 0
    assert out["held_count"] == 0
    assert out["reps"] == []
    view = out["view"]
    assert isinstance(view, dict)
    assert view["side_view"] is False
    assert "side-on" in view["message"]
    assert out["baseline_deg"] is None and out["rom_deg_median"] is None


def test_mostly_undetected_footage_counts_no_reps_and_asks_for_light_and_framing() -> None:
    angles: list[float | None] = list(_profile(reps=3))
    for i in range(len(angles)):
        if i % 10 >= 4:  # a person in 40 % of frames
            angles[i] = None
    analysis = _analyze(angles)
    out = analysis.to_json()
    assert out["detected_fraction"] == pytest.approx(0.4, abs=0.01)
    assert out["rep_count"] == 0 and out["held_count"] == 0 and out["reps"] == []
    message = out["view"]["message"]  # type: ignore[index]
    assert "40 %" in message and "light" in message and "whole body" in message
    assert analysis.refusal == message
    assert analysis.to_session_metrics()["reps"] == 0


def test_just_enough_detection_is_counted() -> None:
    angles: list[float | None] = list(_profile(reps=3))
    for i in range(len(angles)):
        if i % 10 >= 7:  # 70 %: short gaps, bridged
            angles[i] = None
    out = _analyze(angles).to_json()
    assert out["detected_fraction"] == pytest.approx(0.7, abs=0.01)
    assert out["rep_count"] == 3
    assert out["view"]["message"] is None  # type: ignore[index]


@pytest.mark.parametrize("stage", [ExerciseStage.STANDING, ExerciseStage.SEATED])
def test_a_picture_on_its_side_is_refused(stage: ExerciseStage) -> None:
    # Turned 90° without a rotation tag, an upright trunk measures about 90° from vertical.
    angles: list[float | None] = [a + 85.0 for a in _profile(reps=2, peak=60.0)]
    out = _analyze(angles, stage=stage).to_json()
    assert out["rep_count"] == 0 and out["reps"] == []
    assert "on its side" in out["view"]["message"]  # type: ignore[index]


def test_supine_is_not_held_to_the_upright_check() -> None:
    angles: list[float | None] = [a + 40.0 for a in _profile(reps=2, peak=100.0)]
    out = _analyze(angles, stage=ExerciseStage.SUPINE).to_json()
    assert out["measure"] == "hip_flexion"
    assert out["rep_count"] == 2


def test_nobody_in_any_frame_says_so() -> None:
    out = _analyze([None] * 90).to_json()
    assert out["detected_fraction"] == 0.0
    assert out["rep_count"] == 0
    assert "no person" in out["view"]["message"]  # type: ignore[index]


def test_sequences_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="one value per timestamp"):
        analyze_angle_series(ExerciseStage.STANDING, [0.0, 0.1], [1.0], [1.0], [True], [0.0], [1.0])


def test_importing_the_series_analysis_loads_no_optional_library() -> None:
    code = (
        "import json, sys\n"
        "import spinestep.motion.series\n"
        "print(json.dumps(sorted(n for n in ('scipy', 'cv2', 'mediapipe') if n in sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(done.stdout) == []


def test_the_series_analysis_runs_without_the_motion_extra() -> None:
    # scipy, cv2 and mediapipe made unimportable, as on a server without the extra.
    code = (
        "import sys\n"
        "for name in ('scipy', 'cv2', 'mediapipe'):\n"
        "    sys.modules[name] = None\n"
        "from spinestep.domain.kinematics import ExerciseStage\n"
        "from spinestep.motion.series import analyze_angle_series\n"
        "n = 120\n"
        "times = [i / 30 for i in range(n)]\n"
        "angles = [5.0 if i < 40 or i > 90 else 80.0 for i in range(n)]\n"
        "out = analyze_angle_series(ExerciseStage.STANDING, times, angles, [0.9] * n,\n"
        "    [True] * n, [3.0] * n, [1.0] * n)\n"
        "print(out.to_json()['rep_count'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"
