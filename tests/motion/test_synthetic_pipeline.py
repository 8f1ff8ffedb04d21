"""The pipeline after the pose stage, fed synthetic landmark sequences with a known truth."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from spinestep.domain.kinematics import ExerciseStage, Joint, PoseLandmarks
from spinestep.motion.analysis import FrameObservation, analyze_observations
from spinestep.motion.pipeline import analyze_video
from tests.domain.synthetic_body import Camera, RepPlan, landmark_sequence

pytestmark = pytest.mark.motion

PLAN = [
    RepPlan(peak_deg=100.0, hold_s=1.5),
    RepPlan(peak_deg=110.0, hold_s=2.0, up_s=1.0, down_s=1.4),
    RepPlan(peak_deg=95.0, hold_s=0.3),
    RepPlan(peak_deg=105.0, hold_s=1.2, rest_s=2.0),
]


def _observations(frames: list[tuple[float, PoseLandmarks | None]]) -> list[FrameObservation]:
    return [FrameObservation(t, pose) for t, pose in frames]


@pytest.mark.parametrize("stage", list(ExerciseStage))
@pytest.mark.parametrize("facing_right", [True, False])
def test_noisy_landmarks_with_dropped_frames_give_the_planned_reps(
    stage: ExerciseStage, facing_right: bool
) -> None:
    baseline = 45.0 if stage is ExerciseStage.SUPINE else 5.0
    plan = [
        RepPlan(baseline + p.peak_deg - 5.0, p.hold_s, p.up_s, p.down_s, p.rest_s) for p in PLAN
    ]
    frames = landmark_sequence(
        stage.value,
        baseline,
        plan,
        Camera(yaw_deg=8.0, facing_right=facing_right),
        noise_px=1.0,
        drop_fraction=0.1,
        gaps_s=((4.2, 4.5),),  # a third of a second with nobody found, mid-rep
    )
    result = analyze_observations(_observations(frames), stage, nominal_fps=30.0)
    out = result.to_json()
    assert out["view"] == {
        "side_view": True,
        "facing": "right" if facing_right else "left",
        "message": None,
    }
    assert out["rep_count"] == len(plan)
    assert out["held_count"] == 3  # 1.5, 2.0 and 1.2 s; not 0.3 s
    assert out["baseline_deg"] == pytest.approx(baseline, abs=1.5)
    reps = out["reps"]
    assert isinstance(reps, list)
    for rep, truth in zip(reps, plan, strict=True):
        assert rep["hold_s"] == pytest.approx(truth.hold_s, abs=0.3)
        assert rep["rom_deg"] == pytest.approx(truth.peak_deg - baseline, abs=3.0)
        assert rep["held"] is (truth.hold_s >= 0.8)
    assert out["detected_fraction"] == pytest.approx(0.87, abs=0.04)


def test_front_view_is_reported_and_measures_are_null() -> None:
    frames = landmark_sequence("standing", 5.0, PLAN, Camera(yaw_deg=85.0), noise_px=1.0)
    out = analyze_observations(_observations(frames), ExerciseStage.STANDING, 30.0).to_json()
    view = out["view"]
    assert isinstance(view, dict)
    assert view["side_view"] is False
    assert "side" in view["message"]
    assert out["baseline_deg"] is None
    assert out["rom_deg_median"] is None
    # not side-on: nothing is counted (SPEC §6)
    assert out["reps"] == []
    assert out["rep_count"] == 0 and out["held_count"] == 0


def test_nobody_in_any_frame() -> None:
    observations = [FrameObservation(i / 30, None) for i in range(90)]
    out = analyze_observations(observations, ExerciseStage.SEATED, 30.0).to_json()
    assert out["detected_fraction"] == 0.0
    assert out["reps"] == []
    assert out["rep_count"] == 0 and out["held_count"] == 0
    assert out["rom_deg_median"] is None
    view = out["view"]
    assert isinstance(view, dict)
    assert "no person" in view["message"]
    assert out["frames"] == 90
    assert out["duration_s"] == 3.0
    assert out["fps"] == 30.0


def test_session_metrics_carry_reps_holds_rom_and_quality() -> None:
    frames = landmark_sequence("seated", 0.0, PLAN[:2], Camera())
    result = analyze_observations(_observations(frames), ExerciseStage.SEATED, 30.0)
    metrics = result.to_session_metrics()
    assert metrics["reps"] == 2
    assert metrics["held_count"] == 2
    rom = metrics["rom_deg"]
    assert isinstance(rom, list)
    assert rom == [pytest.approx(100.0, abs=3.0), pytest.approx(110.0, abs=3.0)]
    assert metrics["rom_deg_median"] == pytest.approx(105.0, abs=3.0)
    assert metrics["detected_fraction"] == 1.0
    assert metrics["visibility_mean"] == pytest.approx(0.95)


class ScriptedPose:
    """A pose stage that returns prepared landmarks frame by frame (a fake, not a mock)."""

    def __init__(self, poses: list[PoseLandmarks | None]) -> None:
        self._poses = iter(poses)
        self.frames_seen = 0

    def estimate(self, image: object) -> PoseLandmarks | None:
        self.frames_seen += 1
        return next(self._poses)

    def close(self) -> None:
        return None


def test_decoded_video_timestamps_drive_the_analysis(tmp_path: Path) -> None:
    # A real 25 fps video file; the pose stage is replaced by the synthetic skeleton.
    frames = landmark_sequence("standing", 0.0, PLAN[:2], Camera(), fps=25.0)
    video = tmp_path / "plain.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"MJPG"), 25.0, (160, 120))
    for _ in frames:
        writer.write(np.zeros((120, 160, 3), np.uint8))
    writer.release()
    scripted = ScriptedPose([pose for _, pose in frames])
    run = analyze_video(video, ExerciseStage.STANDING, estimator=scripted)
    out = run.analysis.to_json()
    assert scripted.frames_seen == len(frames)
    assert out["fps"] == 25.0
    assert out["frames"] == len(frames)
    assert out["duration_s"] == pytest.approx(len(frames) / 25.0, abs=0.05)
    assert out["rep_count"] == 2
    reps = out["reps"]
    assert isinstance(reps, list)
    assert [r["hold_s"] for r in reps] == [pytest.approx(1.5, abs=0.3), pytest.approx(2.0, abs=0.3)]


class FailingPose:
    def __init__(self, after_frames: int) -> None:
        self._left = after_frames

    def estimate(self, image: object) -> PoseLandmarks | None:
        self._left -= 1
        if self._left < 0:
            raise RuntimeError("pose stage failed")
        return None

    def close(self) -> None:
        return None


def test_a_failing_pose_stage_stops_the_decoder_before_the_video_is_closed(
    tmp_path: Path,
) -> None:
    video = tmp_path / "long.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"MJPG"), 30.0, (160, 120))
    for _ in range(120):
        writer.write(np.zeros((120, 160, 3), np.uint8))
    writer.release()
    with pytest.raises(RuntimeError, match="pose stage failed"):
        analyze_video(video, ExerciseStage.SEATED, estimator=FailingPose(5))
    assert not [t for t in threading.enumerate() if t.name == "spinestep-decode"]


def test_forward_bending_corrects_a_misread_facing_side() -> None:
    # A person facing left whose nose, ears and feet were not found: the votes say
    # nothing (ties go right), but the trunk bends only "backwards" for right.
    hidden = {
        Joint.NOSE,
        Joint.LEFT_EAR,
        Joint.RIGHT_EAR,
        Joint.LEFT_HEEL,
        Joint.RIGHT_HEEL,
        Joint.LEFT_FOOT_INDEX,
        Joint.RIGHT_FOOT_INDEX,
    }
    frames = landmark_sequence("standing", 0.0, PLAN[:2], Camera(facing_right=False))
    stripped = [
        FrameObservation(
            t,
            None
            if pose is None
            else PoseLandmarks(
                {j: k for j, k in pose.points.items() if j not in hidden},
                pose.width_px,
                pose.height_px,
            ),
        )
        for t, pose in frames
    ]
    out = analyze_observations(stripped, ExerciseStage.STANDING, 30.0).to_json()
    assert out["view"] == {"side_view": True, "facing": "left", "message": None}
    assert out["rep_count"] == 2
    assert out["rom_deg_median"] == pytest.approx(105.0, abs=3.0)
