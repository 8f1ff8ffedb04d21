"""Recorded media end to end: decode → pose → kinematics → reps (→ annotation, plot)."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from spinestep.domain.kinematics import ExerciseStage
from spinestep.domain.reps import BASELINE_WINDOW_S, HOLD_BAND_DEG
from spinestep.motion.analysis import (
    FrameObservation,
    ImageAnalysis,
    VideoAnalysis,
    analyze_image,
    analyze_observations,
)
from spinestep.motion.availability import require_motion
from spinestep.motion.media import (
    Frame,
    MediaKind,
    Prefetch,
    VideoInfo,
    VideoSource,
    media_kind,
    read_image,
)
from spinestep.motion.pose import MediaPipePose, PoseEstimator

#: Called with (frames done, frames expected or None).
ProgressCallback = Callable[[int, int | None], None]


@dataclass(frozen=True, slots=True)
class RecordedRun:
    """A video's analysis with what drawing it needs: the landmarks of every frame."""

    analysis: VideoAnalysis
    observations: tuple[FrameObservation, ...]
    info: VideoInfo


def observe(
    frames: Iterable[Frame],
    estimator: PoseEstimator,
    progress: ProgressCallback | None = None,
    expected: int | None = None,
) -> Iterator[FrameObservation]:
    """The pose stage over a stream of frames."""
    for done, frame in enumerate(frames, start=1):
        yield FrameObservation(frame.t_s, estimator.estimate(frame.image))
        if progress is not None:
            progress(done, expected)


def analyze_video(
    path: Path,
    stage: ExerciseStage,
    estimator: PoseEstimator | None = None,
    progress: ProgressCallback | None = None,
    still_estimator: PoseEstimator | None = None,
) -> RecordedRun:
    """Analyse a video: track the person through it, then re-estimate the frames that
    set the measures (the start posture and each rep's frames near its peak) one by
    one, as still images, and analyse again.

    Tracking follows the person from the previous frame and lags behind a fast
    change, which pulls peaks low; a still-image estimate has no such memory. The
    defaults use MediaPipe for both; with an ``estimator`` of your own, the second
    pass runs only when a ``still_estimator`` is given too.
    """
    own_estimator = estimator is None
    pose = estimator if estimator is not None else MediaPipePose(still_images=False)
    try:
        observations, info = _observe_video(path, pose, progress)
    finally:
        if own_estimator:
            pose.close()
    analysis = analyze_observations(observations, stage, info.nominal_fps)
    frames_to_refine = refinement_frames(analysis)
    if not frames_to_refine or (still_estimator is None and not own_estimator):
        return RecordedRun(analysis, observations, info)
    still = still_estimator if still_estimator is not None else MediaPipePose(still_images=True)
    try:
        observations = _reestimate(path, observations, frames_to_refine, still)
    finally:
        if still_estimator is None:
            still.close()
    analysis = analyze_observations(observations, stage, info.nominal_fps)
    return RecordedRun(analysis, observations, info)


def _observe_video(
    path: Path, estimator: PoseEstimator, progress: ProgressCallback | None
) -> tuple[tuple[FrameObservation, ...], VideoInfo]:
    source = VideoSource(path)
    frames = Prefetch(source.frames())
    try:
        observations = tuple(observe(frames, estimator, progress, source.info.frame_count))
    finally:
        frames.close()
        source.close()
    return observations, source.info


def refinement_frames(analysis: VideoAnalysis) -> frozenset[int]:
    """The frames whose estimate sets the measures: the first second with a person
    (the baseline) and, in each rep, the frames within the hold band of its peak
    (where the hold and the ROM are measured). None when nothing was counted."""
    reps = analysis.reps.reps
    if not reps:
        return frozenset()
    times, raw = analysis.track.times_s, analysis.track.raw_deg
    seen = [i for i, angle in enumerate(raw) if angle is not None]
    chosen = {i for i in seen if times[i] - times[seen[0]] < BASELINE_WINDOW_S}
    for rep in reps:
        first = bisect.bisect_left(times, rep.start_s)
        last = bisect.bisect_right(times, rep.end_s)
        floor = rep.peak_deg - HOLD_BAND_DEG - REFINE_MARGIN_DEG
        for i in range(first, last):
            angle = raw[i]
            if angle is not None and angle >= floor:
                chosen.add(i)
    return frozenset(chosen)


#: Frames this far below the hold band are re-estimated too: tracking may read them low.
REFINE_MARGIN_DEG = 5.0


def _reestimate(
    path: Path,
    observations: tuple[FrameObservation, ...],
    indices: frozenset[int],
    estimator: PoseEstimator,
) -> tuple[FrameObservation, ...]:
    """The observations with the chosen frames estimated again (kept where the new
    estimate finds nobody). The video is decoded again in the same order: frames
    are matched by their index among the analysed frames."""
    refined = list(observations)
    source = VideoSource(path)
    try:
        for frame in source.frames():
            if frame.index in indices and frame.index < len(refined):
                pose = estimator.estimate(frame.image)
                if pose is not None:
                    refined[frame.index] = FrameObservation(frame.t_s, pose)
            if frame.index >= max(indices):
                break
    finally:
        source.close()
    return tuple(refined)


def analyze_still(
    path: Path, stage: ExerciseStage, estimator: PoseEstimator | None = None
) -> ImageAnalysis:
    image = read_image(path)
    if estimator is not None:
        return analyze_image(estimator.estimate(image), stage)
    with MediaPipePose(still_images=True) as pose:
        return analyze_image(pose.estimate(image), stage)


def analyze_file(
    path: Path,
    stage: ExerciseStage,
    estimator: PoseEstimator | None = None,
    progress: ProgressCallback | None = None,
) -> ImageAnalysis | RecordedRun:
    """Analyse an image or a video, told apart by content (SPEC §6)."""
    require_motion()
    if media_kind(path) is MediaKind.IMAGE:
        return analyze_still(path, stage, estimator)
    return analyze_video(path, stage, estimator, progress)
