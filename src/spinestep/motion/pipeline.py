"""Recorded media end to end: decode → pose → kinematics → reps (→ annotation, plot)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from spinestep.domain.kinematics import ExerciseStage
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
) -> RecordedRun:
    source = VideoSource(path)
    own_estimator = estimator is None
    pose = estimator if estimator is not None else MediaPipePose(still_images=False)
    frames = Prefetch(source.frames())
    try:
        observations = tuple(observe(frames, pose, progress, source.info.frame_count))
    finally:
        frames.close()
        source.close()
        if own_estimator:
            pose.close()
    analysis = analyze_observations(observations, stage, source.info.nominal_fps)
    return RecordedRun(analysis, observations, source.info)


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
