"""The frames that set the measures are estimated again as still images (tracking lags)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spinestep.domain.kinematics import ExerciseStage, PoseLandmarks
from spinestep.motion.media import Image
from spinestep.motion.pipeline import analyze_video, refinement_frames
from tests.domain.synthetic_body import Camera, posture_for, project, skeleton_3d

pytestmark = pytest.mark.motion

FPS = 30
UPRIGHT_DEG, BENT_DEG = 0.0, 100.0
#: How far the fake tracker falls short: low at the peak, off at the start posture.
PEAK_LAG_DEG, START_LAG_DEG = 6.0, -1.5


def _pose(angle_deg: float) -> PoseLandmarks:
    return project(skeleton_3d(posture_for("standing", angle_deg)), Camera())


def _write_video(path: Path) -> int:
    """Dark frames for the start posture, bright ones for the bend: 2 s, then two reps of
    a 1.5 s bend and 1.5 s back."""
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), FPS, (64, 48))
    levels = [0] * 2 * FPS + ([255] * 45 + [0] * 45) * 2
    for level in levels:
        writer.write(np.full((48, 64, 3), level, np.uint8))
    writer.release()
    return len(levels)


def _bent(image: Image) -> bool:
    return float(image.mean()) > 128.0


class LaggingTracker:
    """A pose stage that reads every frame a little off, as tracking does."""

    def __init__(self) -> None:
        self.frames = 0

    def estimate(self, image: Image) -> PoseLandmarks | None:
        self.frames += 1
        if _bent(image):
            return _pose(BENT_DEG - PEAK_LAG_DEG)
        return _pose(UPRIGHT_DEG + START_LAG_DEG)

    def close(self) -> None:
        return None


class StillEstimator:
    """A pose stage without memory: the true posture of each frame."""

    def __init__(self) -> None:
        self.frames = 0

    def estimate(self, image: Image) -> PoseLandmarks | None:
        self.frames += 1
        return _pose(BENT_DEG if _bent(image) else UPRIGHT_DEG)

    def close(self) -> None:
        return None


def test_peaks_and_baseline_come_from_still_estimates(tmp_path: Path) -> None:
    video = tmp_path / "reps.mp4"
    total = _write_video(video)
    tracked_only = analyze_video(video, ExerciseStage.STANDING, estimator=LaggingTracker())
    assert tracked_only.analysis.reps.reps[0].peak_deg == pytest.approx(94.0, abs=0.5)

    still = StillEstimator()
    run = analyze_video(
        video, ExerciseStage.STANDING, estimator=LaggingTracker(), still_estimator=still
    )
    analysis = run.analysis
    assert len(analysis.reps.reps) == 2
    assert analysis.reps.baseline_deg == pytest.approx(UPRIGHT_DEG, abs=0.1)
    for rep in analysis.reps.reps:
        assert rep.peak_deg == pytest.approx(BENT_DEG, abs=0.1)
        assert rep.rom_deg == pytest.approx(BENT_DEG - UPRIGHT_DEG, abs=0.1)
        assert rep.held
    # only the start and the bends were estimated again, not the whole video
    assert still.frames == len(refinement_frames(tracked_only.analysis))
    assert FPS + 2 * 45 <= still.frames < total


def test_nothing_is_estimated_again_when_nothing_was_counted(tmp_path: Path) -> None:
    video = tmp_path / "front.mp4"
    _write_video(video)

    class FrontView(LaggingTracker):
        def estimate(self, image: Image) -> PoseLandmarks | None:
            angle = BENT_DEG if _bent(image) else UPRIGHT_DEG
            return project(skeleton_3d(posture_for("standing", angle)), Camera(yaw_deg=85.0))

    still = StillEstimator()
    run = analyze_video(video, ExerciseStage.STANDING, estimator=FrontView(), still_estimator=still)
    assert run.analysis.reps.reps == ()
    assert still.frames == 0
