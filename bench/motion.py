"""Benchmark of motion analysis: prints figures, then one JSON object as the last line.

On the same frames (640 px wide) in the same run:

1. MediaPipe Pose's own ``process()`` alone (model_complexity=1, tracking mode), on
   frames decoded beforehand: the raw pose throughput.
2. The whole recorded-video pipeline of ``spinestep analyze``: decode from the file,
   pose, kinematics, smoothing, rep logic.
3. Live mode on the same video played at its real pace: how many frames it analysed,
   how many it dropped to keep up, and the latency from frame arrival to result.

Targets: the pipeline keeps at least 90 % of the raw pose throughput; live mode never
falls behind (it drops frames instead) and reports its latency. Run with
``uv run --frozen --all-extras python bench/motion.py [VIDEO]``; without VIDEO a
video is made from the test photos.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2

from spinestep.domain.kinematics import ExerciseStage
from spinestep.motion.live_loop import run_live
from spinestep.motion.media import VideoSource, silenced_native_stderr
from spinestep.motion.pipeline import analyze_video
from spinestep.motion.pose import MediaPipePose

ROOT = Path(__file__).resolve().parents[1]
MEDIA = ROOT / "tests" / "data" / "media"
REPEATS = 3


def make_video(path: Path) -> None:
    """Toe touches from the test photos: 4 reps with holds, 640 px wide, 30 fps."""
    start = cv2.resize(cv2.imread(str(MEDIA / "Standing_Toe_Touches_0.jpg")), (640, 427))
    end = cv2.resize(cv2.imread(str(MEDIA / "Standing_Toe_Touches_1.jpg")), (640, 427))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 30, (640, 427))
    for image, seconds in [(start, 2.0)] + [(end, 1.5), (start, 1.5)] * 4:
        for _ in range(round(seconds * 30)):
            writer.write(image)
    writer.release()


def decoded_rgb_frames(path: Path) -> list[Any]:
    source = VideoSource(path)
    frames = [cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB) for frame in source.frames()]
    source.close()
    return frames


def raw_pose_fps(frames: list[Any]) -> float:
    pose = MediaPipePose(still_images=False)
    pose.process_rgb(frames[0])  # warm-up: graph start and model load
    started = time.perf_counter()
    for rgb in frames:
        pose.process_rgb(rgb)
    elapsed = time.perf_counter() - started
    pose.close()
    return len(frames) / elapsed


class TimedPose(MediaPipePose):
    """MediaPipe Pose that adds up the time spent inside ``process()``."""

    def __init__(self) -> None:
        super().__init__(still_images=False)
        self.process_s = 0.0

    def process_rgb(self, rgb: Any) -> Any:
        started = time.perf_counter()
        try:
            return super().process_rgb(rgb)
        finally:
            self.process_s += time.perf_counter() - started


def pipeline_fps(path: Path, warm_frame: Any, frames: int) -> tuple[float, float, int]:
    """Frames/s of the whole pipeline, the share of its time spent in MediaPipe, reps."""
    pose = TimedPose()
    pose.process_rgb(warm_frame)  # the same warm-up as the raw measurement
    pose.process_s = 0.0
    started = time.perf_counter()
    run = analyze_video(path, ExerciseStage.STANDING, estimator=pose)
    elapsed = time.perf_counter() - started
    pose.close()
    assert run.analysis.frames == frames
    return frames / elapsed, pose.process_s / elapsed, len(run.analysis.reps.reps)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, silenced_native_stderr():
        video = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tmp) / "toe_touches.mp4"
        if len(sys.argv) <= 1:
            make_video(video)
        frames = decoded_rgb_frames(video)
        height, width = frames[0].shape[:2]
        print(f"video: {video.name}, {len(frames)} frames of {width}x{height}")
        raw: list[float] = []
        whole: list[float] = []
        shares: list[float] = []
        reps = 0
        # Alternate the two, several times, and keep the best of each: other programs
        # on the machine only ever slow a measurement down.
        for _ in range(REPEATS):
            raw.append(raw_pose_fps(frames))
            fps, share, reps = pipeline_fps(video, frames[0], len(frames))
            whole.append(fps)
            shares.append(share)
        pose_fps, pipe_fps = max(raw), max(whole)
        ratio = pipe_fps / pose_fps
        print(f"MediaPipe process() alone: {pose_fps:.1f} frames/s")
        print(f"whole pipeline (decode, pose, kinematics, reps): {pipe_fps:.1f} frames/s")
        pose_share = shares[whole.index(pipe_fps)]
        print(f"ratio pipeline / raw pose: {ratio:.3f} (target >= 0.90); reps found: {reps}")
        print(
            f"inside the pipeline, MediaPipe process() took {pose_share:.1%} of the time "
            "(decoding runs in parallel in its own thread)"
        )
        if ratio > 1.0:
            print(
                "the pipeline beats process() alone: it restarts MediaPipe's tracker at the "
                "video's cuts, which saves MediaPipe work on a video with cuts"
            )

        events: list[dict[str, object]] = []
        summary = run_live(str(video), ExerciseStage.STANDING, True, events.append)
        latency = summary["latency_ms"]
        assert isinstance(latency, dict)
        print(
            f"live at the video's own pace: {summary['frames_processed']} of "
            f"{summary['frames_received']} frames analysed, {summary['frames_dropped']} dropped; "
            f"latency median {latency['median']} ms, p95 {latency['p95']} ms"
        )
    result = {
        "benchmark": "motion",
        "width_px": width,
        "frames": len(frames),
        "pose_fps": round(pose_fps, 1),
        "pipeline_fps": round(pipe_fps, 1),
        "ratio": round(ratio, 3),
        "pose_share_of_pipeline_time": round(pose_share, 3),
        "target_ratio": 0.9,
        "meets_target": ratio >= 0.9,
        "live": {
            "frames_received": summary["frames_received"],
            "frames_processed": summary["frames_processed"],
            "frames_dropped": summary["frames_dropped"],
            "latency_ms": latency,
        },
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
