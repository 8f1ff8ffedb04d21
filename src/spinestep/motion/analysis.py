"""From per-frame landmarks to the result of SPEC §6: angles, view, reps, holds, ROM.

The pose stage is upstream and pluggable: anything that yields
:class:`FrameObservation` objects (MediaPipe, or a synthetic skeleton in the tests)
can be analysed here.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace

from spinestep.domain.kinematics import (
    CORE_JOINTS,
    ExerciseStage,
    Facing,
    FrameAngles,
    Measure,
    PoseLandmarks,
    ViewAssessment,
    assess_view,
    facing_checked_by_motion,
    facing_vote,
    frame_angles,
    primary_measure,
    trunk_flexion_deg,
    view_yaw_deg,
)
from spinestep.domain.reps import AngleSample, Rep, RepAnalysis, count_reps
from spinestep.motion.filtering import interpolate_gaps, zero_phase_smooth


@dataclass(frozen=True, slots=True)
class FrameObservation:
    """One frame after the pose stage: its time and the person found, if any."""

    t_s: float
    pose: PoseLandmarks | None


def _r1(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@dataclass(frozen=True, slots=True)
class AngleTrack:
    """The primary angle over time: raw per frame, and cleaned (interpolated, smoothed)."""

    times_s: tuple[float, ...]
    raw_deg: tuple[float | None, ...]
    smooth_deg: tuple[float | None, ...]


@dataclass(frozen=True, slots=True)
class VideoAnalysis:
    """The analysis of a recorded video (SPEC §6); ``to_json`` is the CLI's output."""

    stage: ExerciseStage
    measure: Measure
    fps: float
    frames: int
    duration_s: float
    detected_fraction: float
    view: ViewAssessment
    reps: RepAnalysis
    track: AngleTrack
    mean_visibility: float

    @property
    def measurable(self) -> bool:
        return self.view.side_view

    def _rep_json(self, rep: Rep) -> dict[str, object]:
        ok = self.measurable
        return {
            "index": rep.index,
            "start_s": _r1(rep.start_s),
            "end_s": _r1(rep.end_s),
            "peak_deg": _r1(rep.peak_deg) if ok else None,
            "hold_s": _r1(rep.hold_s),
            "held": rep.held,
            "rom_deg": _r1(rep.rom_deg) if ok else None,
            "quality": {
                "detected_fraction": round(rep.detected_fraction, 2),
                "visibility": round(rep.visibility, 2),
            },
        }

    def to_json(self) -> dict[str, object]:
        ok = self.measurable
        return {
            "stage": self.stage.value,
            "measure": self.measure.value,
            "fps": _r1(self.fps),
            "frames": self.frames,
            "duration_s": _r1(self.duration_s),
            "detected_fraction": round(self.detected_fraction, 2),
            "view": self.view.to_json(),
            "baseline_deg": _r1(self.reps.baseline_deg) if ok else None,
            "reps": [self._rep_json(rep) for rep in self.reps.reps],
            "rep_count": len(self.reps.reps),
            "held_count": self.reps.held_count,
            "rom_deg_median": _r1(self.reps.rom_deg_median) if ok else None,
        }

    def to_session_metrics(self) -> dict[str, object]:
        """What a saved session keeps of this analysis (for the records helper)."""
        ok = self.measurable
        return {
            "stage": self.stage.value,
            "measure": self.measure.value,
            "reps": len(self.reps.reps),
            "held_count": self.reps.held_count,
            "rom_deg": [_r1(rep.rom_deg) if ok else None for rep in self.reps.reps],
            "rom_deg_median": _r1(self.reps.rom_deg_median) if ok else None,
            "detected_fraction": round(self.detected_fraction, 2),
            "visibility_mean": round(self.mean_visibility, 2),
            "side_view": self.view.side_view,
        }


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


def duration_and_fps(times_s: Sequence[float], nominal_fps: float | None) -> tuple[float, float]:
    """Duration from the frames' own timestamps (plus one frame), and the mean rate."""
    if not times_s:
        return 0.0, nominal_fps or 0.0
    if len(times_s) == 1:
        frame_s = 1.0 / nominal_fps if nominal_fps else 0.0
        return frame_s, nominal_fps or 0.0
    frame_s = statistics.median(b - a for a, b in itertools.pairwise(times_s))
    duration = times_s[-1] - times_s[0] + frame_s
    return duration, (len(times_s) / duration if duration > 0 else nominal_fps or 0.0)


def analyze_observations(
    observations: Sequence[FrameObservation],
    stage: ExerciseStage,
    nominal_fps: float | None = None,
) -> VideoAnalysis:
    """Run kinematics, cleaning and the rep state machine over a recorded video."""
    measure = primary_measure(stage)
    view = assess_observations(observations)
    facing = view.facing or Facing.RIGHT
    times = [o.t_s for o in observations]
    if view.facing is not None and measure is Measure.TRUNK_FLEXION:
        trunk = [
            None if o.pose is None else trunk_flexion_deg(o.pose, facing) for o in observations
        ]
        facing = facing_checked_by_motion(times, trunk, facing)
        view = replace(view, facing=facing)
    raw: list[float | None] = []
    visibility: list[float] = []
    for o in observations:
        if o.pose is None:
            raw.append(None)
            visibility.append(0.0)
        else:
            raw.append(frame_angles(o.pose, facing).value(measure))
            visibility.append(o.pose.mean_visibility(CORE_JOINTS))
    filled = interpolate_gaps(times, raw)
    smooth = zero_phase_smooth(times, filled)
    smooth_list: list[float | None] = [None if math.isnan(v) else float(v) for v in smooth]
    samples = [
        AngleSample(t, a, o.pose is not None, vis)
        for t, a, o, vis in zip(times, smooth_list, observations, visibility, strict=True)
    ]
    reps = count_reps(samples) if view.facing is not None else RepAnalysis(None, ())
    detected = [vis for o, vis in zip(observations, visibility, strict=True) if o.pose is not None]
    duration, fps = duration_and_fps(times, nominal_fps)
    return VideoAnalysis(
        stage=stage,
        measure=measure,
        fps=fps,
        frames=len(observations),
        duration_s=duration,
        detected_fraction=len(detected) / len(observations) if observations else 0.0,
        view=view,
        reps=reps,
        track=AngleTrack(tuple(times), tuple(raw), tuple(smooth_list)),
        mean_visibility=statistics.fmean(detected) if detected else 0.0,
    )
