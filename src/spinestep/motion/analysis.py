"""From per-frame landmarks to the result of SPEC §6: angles, view, reps, holds, ROM.

The pose stage is upstream and pluggable: anything that yields
:class:`FrameObservation` objects (MediaPipe, or a synthetic skeleton in the tests)
can be analysed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from spinestep.domain.kinematics import (
    CORE_JOINTS,
    ExerciseStage,
    Facing,
    FrameAngles,
    Measure,
    PoseLandmarks,
    ViewAssessment,
    assess_view,
    facing_vote,
    frame_angles,
    primary_measure,
    view_yaw_deg,
)
from spinestep.motion.series import (
    AngleTrack,
    VideoAnalysis,
    analyze_angle_series,
    duration_and_fps,
)

__all__ = [
    "AngleTrack",
    "FrameObservation",
    "ImageAnalysis",
    "VideoAnalysis",
    "analyze_image",
    "analyze_observations",
    "assess_observations",
    "duration_and_fps",
]


@dataclass(frozen=True, slots=True)
class FrameObservation:
    """One frame after the pose stage: its time and the person found, if any."""

    t_s: float
    pose: PoseLandmarks | None


def _r1(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@dataclass(frozen=True, slots=True)
class ImageAnalysis:
    """One still image: the three angles of SPEC §6 (no reps)."""

    stage: ExerciseStage
    measure: Measure
    detected: bool
    view: ViewAssessment
    angles: FrameAngles | None
    pose: PoseLandmarks | None

    def to_json(self) -> dict[str, object]:
        angles = self.angles
        return {
            "stage": self.stage.value,
            "measure": self.measure.value,
            "frames": 1,
            "detected_fraction": 1.0 if self.detected else 0.0,
            "view": self.view.to_json(),
            "angles": {
                "trunk_flexion_deg": None if angles is None else _r1(angles.trunk_flexion_deg),
                "hip_flexion_deg": None if angles is None else _r1(angles.hip_flexion_deg),
                "knee_to_chest_ratio": (
                    None if angles is None else round(angles.knee_to_chest_ratio, 2)
                ),
            },
        }


def assess_observations(observations: Sequence[FrameObservation]) -> ViewAssessment:
    poses = [o.pose for o in observations if o.pose is not None]
    return assess_view((view_yaw_deg(p) for p in poses), (facing_vote(p) for p in poses))


def analyze_image(pose: PoseLandmarks | None, stage: ExerciseStage) -> ImageAnalysis:
    observations = [FrameObservation(0.0, pose)]
    view = assess_observations(observations)
    angles = None if pose is None else frame_angles(pose, view.facing or Facing.RIGHT)
    return ImageAnalysis(stage, primary_measure(stage), pose is not None, view, angles, pose)


def analyze_observations(
    observations: Sequence[FrameObservation],
    stage: ExerciseStage,
    nominal_fps: float | None = None,
) -> VideoAnalysis:
    """Kinematics per frame, then :func:`~spinestep.motion.series.analyze_angle_series`
    (view, refusal, cleaning, the rep state machine) over a recorded video."""
    measure = primary_measure(stage)
    raw: list[float | None] = []
    visibility: list[float] = []
    yaws: list[float | None] = []
    votes: list[float | None] = []
    for o in observations:
        pose = o.pose
        if pose is None:
            raw.append(None)
            visibility.append(0.0)
            yaws.append(None)
            votes.append(None)
        else:
            raw.append(frame_angles(pose, Facing.RIGHT).value(measure))
            visibility.append(pose.mean_visibility(CORE_JOINTS))
            yaws.append(view_yaw_deg(pose))
            votes.append(facing_vote(pose))
    return analyze_angle_series(
        stage,
        [o.t_s for o in observations],
        raw,
        visibility,
        [o.pose is not None for o in observations],
        yaws,
        votes,
        facing=Facing.RIGHT,
        nominal_fps=nominal_fps,
    )
