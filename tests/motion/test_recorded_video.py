"""`spinestep analyze` on degraded copies of a video made of the test photos (MediaPipe).

Refusals (too dark, front view, on its side), partial decodes, the frame-rate and size
caps, and the peak bias of tracking. The videos are short (about 10 s, 640 x 427).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from spinestep.domain.kinematics import ExerciseStage, Facing, frame_angles
from spinestep.errors import MediaError
from spinestep.motion.media import VideoSource
from spinestep.motion.pipeline import analyze_video
from spinestep.motion.pose import MediaPipePose
from tests.motion.photo_video import write_photo_video

pytestmark = pytest.mark.motion

HOLDS_S = [1.5, 1.0, 1.2]


def _ffmpeg(source: Path, out: Path, *args: str) -> Path:
    subprocess.run(
        ["ffmpeg", "-y", "-loglevel", "error", "-i", str(source), *args, str(out)],
        check=True,
        timeout=120,
    )
    return out


def _x264(*filters: str) -> list[str]:
    vf = ["-vf", ",".join(filters)] if filters else []
    return [*vf, "-c:v", "libx264", "-pix_fmt", "yuv420p"]


def _spinestep(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "spinestep", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=dict(os.environ),
    )


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("videos")
    write_photo_video(
        folder / "toe_touch.mp4",
        "Standing_Toe_Touches_0.jpg",
        "Standing_Toe_Touches_1.jpg",
        HOLDS_S,
    )
    return folder


@pytest.fixture(scope="module")
def toe_touch(videos: Path) -> Path:
    return videos / "toe_touch.mp4"


def _analyze_json(path: Path) -> tuple[int, dict[str, object], str]:
    done = _spinestep("analyze", str(path), "--stage", "standing", "--json")
    return done.returncode, (json.loads(done.stdout) if done.stdout else {}), done.stderr


# -- refusal (SPEC §6) ----------------------------------------------------------------


def test_a_very_dark_copy_counts_nothing_says_why_and_exits_2(
    toe_touch: Path, tmp_path: Path
) -> None:
    dark = _ffmpeg(toe_touch, tmp_path / "dark.mp4", *_x264("eq=brightness=-0.75"))
    code, out, stderr = _analyze_json(dark)
    assert code == 2
    assert 0.0 < out["detected_fraction"] < 0.7  # type: ignore[operator]
    assert out["rep_count"] == 0 and out["held_count"] == 0 and out["reps"] == []
    message = out["view"]["message"]  # type: ignore[index]
    assert "light" in message
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "not counted" in lines[0] and "light" in lines[0]


def test_a_front_view_clip_counts_nothing_and_exits_2(tmp_path: Path) -> None:
    clip = tmp_path / "front.mp4"
    # the same photo throughout: the start posture, seen from the front
    write_photo_video(
        clip, "Seated_Floor_Hamstring_Stretch_0.jpg", "Seated_Floor_Hamstring_Stretch_0.jpg", [1.0]
    )
    done = _spinestep("analyze", str(clip), "--stage", "seated", "--json")
    assert done.returncode == 2, done.stderr
    out = json.loads(done.stdout)
    assert out["view"]["side_view"] is False
    assert "side-on" in out["view"]["message"]
    assert out["rep_count"] == 0 and out["reps"] == []
    assert "side-on" in done.stderr


def test_the_text_report_of_a_refused_video_also_exits_2(tmp_path: Path) -> None:
    clip = tmp_path / "front.mp4"
    write_photo_video(
        clip, "Seated_Floor_Hamstring_Stretch_0.jpg", "Seated_Floor_Hamstring_Stretch_0.jpg", []
    )
    done = _spinestep("analyze", str(clip), "--stage", "seated")
    assert done.returncode == 2
    assert "0 reps" in done.stdout
    assert "not counted" in done.stderr


def test_a_video_lying_on_its_side_is_refused(toe_touch: Path, tmp_path: Path) -> None:
    # turned 90° in the pixels, with no rotation tag to turn it back
    sideways = _ffmpeg(toe_touch, tmp_path / "sideways.mp4", *_x264("transpose=1"))
    code, out, stderr = _analyze_json(sideways)
    assert code == 2
    assert out["rep_count"] == 0 and out["reps"] == []
    assert "not counted" in stderr
    # the person is found throughout, side-on: only the upright check refuses it
    assert out["detected_fraction"] == 1.0
    assert "on its side" in out["view"]["message"]  # type: ignore[index]


# -- partial decodes ------------------------------------------------------------------


def _refused_as_damaged(path: Path) -> None:
    done = _spinestep("analyze", str(path), "--stage", "standing", "--json")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "damaged or incomplete" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_truncated_video_with_its_index_at_the_start_is_refused(
    toe_touch: Path, tmp_path: Path
) -> None:
    whole = _ffmpeg(toe_touch, tmp_path / "fast.mp4", *_x264(), "-movflags", "+faststart")
    half = tmp_path / "half.mp4"
    data = whole.read_bytes()
    half.write_bytes(data[: len(data) // 2])
    _refused_as_damaged(half)


def test_a_video_with_damaged_bytes_in_the_middle_is_refused(
    toe_touch: Path, tmp_path: Path
) -> None:
    whole = _ffmpeg(toe_touch, tmp_path / "whole.mkv", *_x264())
    data = bytearray(whole.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 20_000] = bytes(20_000)
    damaged = tmp_path / "damaged.mkv"
    damaged.write_bytes(bytes(data))
    _refused_as_damaged(damaged)


# -- frame rate and size caps ---------------------------------------------------------


def test_a_60_fps_copy_is_analysed_at_30_frames_a_second_with_the_same_result(
    toe_touch: Path, tmp_path: Path
) -> None:
    fast = _ffmpeg(toe_touch, tmp_path / "fast.mp4", *_x264("fps=60"))
    capture = cv2.VideoCapture(str(fast))
    assert capture.get(cv2.CAP_PROP_FPS) == pytest.approx(60.0)
    capture.release()
    code_30, at_30, _ = _analyze_json(toe_touch)
    code_60, at_60, _ = _analyze_json(fast)
    assert code_30 == code_60 == 0
    duration = at_60["duration_s"]
    assert isinstance(duration, float)
    assert at_60["frames"] <= 30 * duration + 1  # type: ignore[operator]
    assert at_60["fps"] <= 30.0  # type: ignore[operator]
    assert at_60["rep_count"] == at_30["rep_count"] == len(HOLDS_S)
    assert at_60["held_count"] == at_30["held_count"]
    for a, b in zip(at_30["reps"], at_60["reps"], strict=True):  # type: ignore[call-overload]
        assert b["hold_s"] == pytest.approx(a["hold_s"], abs=0.15)
        assert b["rom_deg"] == pytest.approx(a["rom_deg"], abs=3.0)


# -- tracking lag ---------------------------------------------------------------------


def _still_trunk_deg(path: Path, at_s: float) -> float:
    """Trunk flexion of the frame at ``at_s``, estimated on its own as a still image."""
    source = VideoSource(path)
    try:
        frame = next(f for f in source.frames() if f.t_s >= at_s)
    finally:
        source.close()
    with MediaPipePose(still_images=True) as pose:
        landmarks = pose.estimate(frame.image)
    assert landmarks is not None
    return frame_angles(landmarks, Facing.RIGHT).trunk_flexion_deg


def test_peaks_and_rom_match_a_still_estimate_of_the_same_frames(toe_touch: Path) -> None:
    analysis = analyze_video(toe_touch, ExerciseStage.STANDING).analysis
    reps = analysis.reps.reps
    assert len(reps) == len(HOLDS_S)
    start_deg = _still_trunk_deg(toe_touch, 0.5)
    assert analysis.reps.baseline_deg == pytest.approx(start_deg, abs=0.5)
    for rep in reps:
        assert rep.hold_start_s is not None and rep.hold_end_s is not None
        middle = (rep.hold_start_s + rep.hold_end_s) / 2
        peak_deg = _still_trunk_deg(toe_touch, middle)
        assert rep.peak_deg == pytest.approx(peak_deg, abs=0.5)
        assert rep.rom_deg == pytest.approx(peak_deg - start_deg, abs=0.5)


def test_check_complete_is_raised_by_the_decoder(toe_touch: Path, tmp_path: Path) -> None:
    whole = _ffmpeg(toe_touch, tmp_path / "fast.mp4", *_x264(), "-movflags", "+faststart")
    cut = tmp_path / "cut.mp4"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) * 3 // 4])
    source = VideoSource(cut)
    try:
        with pytest.raises(MediaError, match="damaged or incomplete"):
            for _ in source.frames():
                pass
    finally:
        source.close()
