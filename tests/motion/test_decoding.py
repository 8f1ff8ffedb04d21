"""Decoding limits: at most 30 analysed frames a second, about 640 px, no partial reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spinestep.errors import MediaError
from spinestep.motion.media import VideoInfo, VideoSource, check_complete, fit_width

pytestmark = pytest.mark.motion


def _write_video(path: Path, fps: float, frames: int, size: tuple[int, int] = (160, 120)) -> None:
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, size)
    assert writer.isOpened()
    for i in range(frames):
        image = np.full((size[1], size[0], 3), (i * 7) % 255, dtype=np.uint8)
        writer.write(image)
    writer.release()


@pytest.mark.parametrize(("fps", "kept_per_s"), [(60.0, 30), (30.0, 30), (15.0, 15), (120.0, 30)])
def test_at_most_30_frames_a_second_are_analysed(
    tmp_path: Path, fps: float, kept_per_s: int
) -> None:
    path = tmp_path / "clip.mp4"
    _write_video(path, fps, int(2 * fps))
    source = VideoSource(path)
    try:
        times = [frame.t_s for frame in source.frames()]
    finally:
        source.close()
    assert len(times) == 2 * kept_per_s
    gaps = np.diff(times)
    assert gaps.min() >= 1 / 30 - 1e-3  # never closer than a 30 fps frame
    assert gaps.max() == pytest.approx(1 / kept_per_s, abs=1e-3)


def test_every_frame_is_decoded_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    _write_video(path, 60.0, 90)
    source = VideoSource(path)
    try:
        assert len(list(source.frames(max_fps=None))) == 90
    finally:
        source.close()


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ((1920, 1080, 3), (640, 360)),  # portrait phone video: its height is the long side
        ((1080, 1920, 3), (360, 640)),
        ((2160, 3840, 3), (360, 640)),
        ((427, 640, 3), (427, 640)),
        ((240, 320, 3), (240, 320)),  # never scaled up
    ],
)
def test_frames_are_scaled_to_640_px_on_their_long_side(
    shape: tuple[int, int, int], expected: tuple[int, int]
) -> None:
    image = np.zeros(shape, dtype=np.uint8)
    assert fit_width(image).shape[:2] == expected


def test_a_read_short_of_the_announced_frames_is_refused() -> None:
    info = VideoInfo(nominal_fps=30.0, frame_count=300, rotation_deg=0)
    check_complete(Path("v.mp4"), info, decoded=285, decoded_s=9.5)  # 95 %: fine
    with pytest.raises(MediaError, match="only 284 of its 300 frames"):
        check_complete(Path("v.mp4"), info, decoded=284, decoded_s=9.5)


def test_a_read_stopping_well_before_the_duration_is_refused() -> None:
    info = VideoInfo(nominal_fps=30.0, frame_count=300, rotation_deg=0)
    check_complete(Path("v.mp4"), info, decoded=300, decoded_s=9.6)
    with pytest.raises(MediaError, match=r"stopped at 8\.0 s of its 10\.0 s"):
        check_complete(Path("v.mp4"), info, decoded=300, decoded_s=8.0)


def test_a_container_without_a_frame_count_is_read_as_it_comes() -> None:
    info = VideoInfo(nominal_fps=None, frame_count=None, rotation_deg=0)
    check_complete(Path("v.webm"), info, decoded=3, decoded_s=0.1)
