"""Live coaching: frame dropping, prompts about the view, events, and missing cameras."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from spinestep.domain.kinematics import ExerciseStage, PoseLandmarks
from spinestep.errors import MediaError
from spinestep.motion.live import FrameGrabber, LiveCoach, LiveFrame, latency_summary
from spinestep.motion.live_loop import run_live
from tests.domain.synthetic_body import Camera, RepPlan, landmark_sequence
from tests.motion.photo_video import write_photo_video

pytestmark = pytest.mark.motion

#: The installed command, as a user runs it.
SPINESTEP = ("-m", "spinestep")

BLANK = np.zeros((8, 8, 3), np.uint8)


class ScriptedPose:
    def __init__(self, poses: list[PoseLandmarks | None]) -> None:
        self._poses = iter(poses)

    def estimate(self, image: object) -> PoseLandmarks | None:
        return next(self._poses)

    def close(self) -> None:
        return None


def test_grabber_keeps_only_the_newest_frame_and_counts_the_dropped() -> None:
    def frames() -> Iterator[tuple[float, np.ndarray]]:
        for i in range(30):
            yield i / 30, BLANK

    grabber = FrameGrabber(frames(), paced=False)
    grabber.start()
    grabber.wait_until_done()
    newest = grabber.next_frame()
    assert newest is not None and newest.t_s == pytest.approx(29 / 30)
    assert grabber.next_frame() is None
    assert grabber.received == 30
    assert grabber.dropped == 29


def _coach_run(
    frames: list[tuple[float, PoseLandmarks | None]],
) -> tuple[list[dict[str, object]], LiveCoach]:
    events: list[dict[str, object]] = []
    coach = LiveCoach(ExerciseStage.STANDING, ScriptedPose([p for _, p in frames]), events.append)
    for t, _ in frames:
        coach.process(LiveFrame(BLANK, t, 0.0))
    coach.finish()
    return events, coach


def test_live_counts_reps_and_announces_holds() -> None:
    plan = [RepPlan(90.0, 1.5), RepPlan(100.0, 0.4), RepPlan(95.0, 2.0)]
    events, coach = _coach_run(landmark_sequence("standing", 0.0, plan, Camera(), noise_px=0.5))
    reps = [e for e in events if e["event"] == "rep"]
    assert [r["index"] for r in reps] == [1, 2, 3]
    assert [r["held"] for r in reps] == [True, False, True]
    held = [e["rep"] for e in events if e["event"] == "held"]
    assert held == [1, 3]
    assert coach.counter.rep_count == 3
    for rep, truth in zip(reps, plan, strict=True):
        assert rep["rom_deg"] == pytest.approx(truth.peak_deg, abs=3.0)


def test_live_prompts_when_the_view_is_wrong() -> None:
    side = landmark_sequence("standing", 0.0, [], Camera())  # 2 s standing still
    front = landmark_sequence("standing", 0.0, [], Camera(yaw_deg=85.0))
    cropped_camera = Camera(height_px=300)  # feet below the bottom edge
    cropped = landmark_sequence("standing", 0.0, [], cropped_camera)
    frames: list[tuple[float, PoseLandmarks | None]] = []
    t = 0.0
    for segment in (
        [None] * 60,
        [p for _, p in front],
        [p for _, p in cropped],
        [p for _, p in side],
    ):
        for pose in segment:
            frames.append((t, pose))
            t += 1 / 30
    events, _ = _coach_run(frames)
    prompts = [e["message"] for e in events if e["event"] == "prompt"]
    assert prompts == [
        "no person found",
        "turn side-on to the camera",
        "step back so your whole body shows",
        None,
    ]


def test_missing_camera_is_a_clear_error() -> None:
    with pytest.raises(MediaError, match="camera 7 cannot be opened"):
        run_live("7", ExerciseStage.SEATED, True, lambda e: None)
    with pytest.raises(MediaError, match="not a camera number"):
        run_live("/no/such/video.mp4", ExerciseStage.SEATED, True, lambda e: None)


def test_latency_summary() -> None:
    assert latency_summary([]) == {"median": None, "p95": None, "max": None}
    summary = latency_summary([float(v) for v in range(1, 101)])
    assert summary == {"median": 50.5, "p95": 95.0, "max": 100.0}


def test_headless_coach_on_a_video_file_prints_json_events(tmp_path: Path) -> None:
    video = tmp_path / "toe.mp4"
    write_photo_video(video, "Standing_Toe_Touches_0.jpg", "Standing_Toe_Touches_1.jpg", [1.5, 1.5])
    done = subprocess.run(
        [
            sys.executable,
            *SPINESTEP,
            "coach",
            "--camera",
            str(video),
            "--stage",
            "standing",
            "--headless",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert events[0]["event"] == "start"
    assert events[-1]["event"] == "summary"
    assert [e["index"] for e in events if e["event"] == "rep"] == [1, 2]
    summary = events[-1]
    assert summary["analysis"]["rep_count"] == 2
    assert summary["frames_received"] == round((2.0 + 2 * 3.0) * 30)
    assert summary["frames_processed"] + summary["frames_dropped"] == summary["frames_received"]
    assert set(summary["latency_ms"]) == {"median", "p95", "max"}


def test_coach_without_a_camera_exits_with_a_message() -> None:
    done = subprocess.run(
        [sys.executable, *SPINESTEP, "coach", "--camera", "9", "--stage", "supine", "--headless"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "spinestep: camera 9 cannot be opened: no camera there, or another program uses it"
    )
    assert "Traceback" not in done.stderr


def test_live_summary_counts_nothing_on_a_front_view() -> None:
    plan = [RepPlan(90.0, 1.5), RepPlan(95.0, 1.2)]
    frames = landmark_sequence("standing", 0.0, plan, Camera(yaw_deg=85.0), noise_px=0.5)
    _, coach = _coach_run(frames)
    out = coach.finish().to_json()
    assert out["rep_count"] == 0 and out["held_count"] == 0 and out["reps"] == []
    assert "side-on" in out["view"]["message"]  # type: ignore[index]
