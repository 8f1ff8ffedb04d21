"""From a series of per-frame angles to the result of SPEC §6: view, refusal, reps, holds.

The one place where a recorded video (``analysis.analyze_observations``) and the
series a browser sends with a guided session become reps, holds and ROM, so both
count the same way. It needs numpy and the domain only (no SciPy, OpenCV or
MediaPipe): the web server imports it without the motion extra.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace

from spinestep.domain.kinematics import (
    ExerciseStage,
    Facing,
    Measure,
    ViewAssessment,
    assess_view,
    facing_checked_by_motion,
    footage_refusal,
    primary_measure,
)
from spinestep.domain.reps import BASELINE_WINDOW_S, AngleSample, Rep, RepAnalysis, count_reps
from spinestep.motion.filtering import interpolate_gaps, zero_phase_smooth


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
    """The analysis of a series of frames (SPEC §6); ``to_json`` is the CLI's output.

    ``refusal`` is why reps and holds were not counted (also ``view.message``), or None
    when they were; ``reps`` is then empty and every ROM, peak and baseline null.
    """

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
    refusal: str | None = None

    @property
    def measurable(self) -> bool:
        return self.view.side_view and self.refusal is None

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
        """What a saved session keeps of this analysis (SPEC §6 keys)."""
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


def _start_angle_deg(times_s: Sequence[float], angles: Sequence[float | None]) -> float | None:
    """Median angle over the first second with a person (the start posture)."""
    valid = [(t, a) for t, a in zip(times_s, angles, strict=True) if a is not None]
    if not valid:
        return None
    first_t = valid[0][0]
    return statistics.median(a for t, a in valid if t - first_t < BASELINE_WINDOW_S)


def _negated(values: Sequence[float | None]) -> list[float | None]:
    return [None if v is None else -v for v in values]


def analyze_angle_series(
    stage: ExerciseStage,
    times_s: Sequence[float],
    raw_deg: Sequence[float | None],
    visibility: Sequence[float],
    detected: Sequence[bool],
    yaws_deg: Sequence[float | None],
    facing_votes: Sequence[float | None],
    facing: Facing | None = None,
    nominal_fps: float | None = None,
) -> VideoAnalysis:
    """Reps, holds, ROM and the view of a series of frames, one value per frame in each
    sequence (all of the same length, times in seconds, increasing).

    - ``raw_deg``: the primary angle of ``stage`` (trunk flexion standing or seated,
      hip flexion supine) as the pose stage measured it, None where there was no
      person; trunk flexion measured for the facing side ``facing`` (None: right).
    - ``visibility``: mean visibility (0-1) of the core joints; ``detected``: whether a
      person was found in the frame.
    - ``yaws_deg``, ``facing_votes``: ``view_yaw_deg`` and ``facing_vote`` of the frame,
      None where there was no person.
    - ``nominal_fps``: the container's frame rate, used only when there are fewer than
      two frames.

    The view is judged from the yaws and votes; trunk angles are turned to the facing
    side found (and checked by the direction of the motion). Gaps up to 0.5 s are
    bridged, the series smoothed without lag, then counted by ``count_reps`` unless
    the footage is refused (``domain.kinematics.footage_refusal``): then ``reps`` is
    empty and ``refusal`` (also in ``view.message``) says what to change.
    """
    count = len(times_s)
    lengths = {len(raw_deg), len(visibility), len(detected), len(yaws_deg), len(facing_votes)}
    if lengths != {count}:
        raise ValueError("every per-frame sequence must have one value per timestamp")
    times = [float(t) for t in times_s]
    measure = primary_measure(stage)
    measured_for = facing or Facing.RIGHT
    view = assess_view(
        (y for y in yaws_deg if y is not None), (v for v in facing_votes if v is not None)
    )
    angles: list[float | None] = list(raw_deg)
    if measure is Measure.TRUNK_FLEXION and view.facing is not None:
        seen = view.facing
        if seen is not measured_for:
            angles = _negated(angles)
        checked = facing_checked_by_motion(times, angles, seen)
        if checked is not seen:
            angles = _negated(angles)
        view = replace(view, facing=checked)
    smooth = zero_phase_smooth(times, interpolate_gaps(times, angles))
    smooth_list: list[float | None] = [None if math.isnan(v) else float(v) for v in smooth]
    detected_fraction = sum(1 for d in detected if d) / count if count else 0.0
    refusal = footage_refusal(stage, view, detected_fraction, _start_angle_deg(times, smooth_list))
    if refusal is not None:
        view = replace(view, message=refusal)
        reps = RepAnalysis(None, ())
    else:
        samples = [
            AngleSample(t, a, bool(d), float(vis))
            for t, a, d, vis in zip(times, smooth_list, detected, visibility, strict=True)
        ]
        reps = count_reps(samples)
    seen_visibility = [float(vis) for vis, d in zip(visibility, detected, strict=True) if d]
    duration, fps = duration_and_fps(times, nominal_fps)
    return VideoAnalysis(
        stage=stage,
        measure=measure,
        fps=fps,
        frames=count,
        duration_s=duration,
        detected_fraction=detected_fraction,
        view=view,
        reps=reps,
        track=AngleTrack(tuple(times), tuple(angles), tuple(smooth_list)),
        mean_visibility=statistics.fmean(seen_visibility) if seen_visibility else 0.0,
        refusal=refusal,
    )
