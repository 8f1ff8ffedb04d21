"""Telling images from videos by content, and rejecting what is neither."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from spinestep.errors import MediaError
from spinestep.motion.media import MediaKind, VideoSource, media_kind, read_image, sniff_kind

pytestmark = pytest.mark.motion

MEDIA = Path(__file__).resolve().parents[1] / "data" / "media"


def test_a_photo_named_like_a_video_is_an_image(tmp_path: Path) -> None:
    disguised = tmp_path / "clip.mp4"
    shutil.copy(MEDIA / "Standing_Toe_Touches_0.jpg", disguised)
    assert media_kind(disguised) is MediaKind.IMAGE
    assert read_image(disguised).shape[1] == 640  # 850 px wide, scaled to 640


def test_a_video_named_like_a_photo_is_a_video(tmp_path: Path) -> None:
    disguised = tmp_path / "photo.jpg"
    writer = cv2.VideoWriter(
        str(disguised.with_suffix(".mp4")), cv2.VideoWriter.fourcc(*"mp4v"), 30, (64, 48)
    )
    for _ in range(5):
        writer.write(np.zeros((48, 64, 3), np.uint8))
    writer.release()
    disguised.with_suffix(".mp4").rename(disguised)
    assert media_kind(disguised) is MediaKind.VIDEO
    source = VideoSource(disguised)
    times = [frame.t_s for frame in source.frames()]
    source.close()
    assert times == pytest.approx([0.0, 1 / 30, 2 / 30, 3 / 30, 4 / 30], abs=0.002)


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\xff\xd8\xff\xe0" + bytes(20), MediaKind.IMAGE),
        (b"\x89PNG\r\n\x1a\n" + bytes(20), MediaKind.IMAGE),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", MediaKind.IMAGE),
        (b"\x00\x00\x00\x18ftypisom" + bytes(20), MediaKind.VIDEO),
        (b"\x1a\x45\xdf\xa3" + bytes(20), MediaKind.VIDEO),
        (b"RIFF\x00\x00\x00\x00AVI LIST", MediaKind.VIDEO),
        (b"hello, world", None),
    ],
)
def test_signatures(head: bytes, kind: MediaKind | None) -> None:
    assert sniff_kind(head) is kind


def test_text_file_is_not_a_video(tmp_path: Path) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n" * 20)
    with pytest.raises(MediaError, match="not a video"):
        VideoSource(text)


def test_empty_and_missing_files_are_rejected(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(MediaError, match="empty"):
        media_kind(empty)
    with pytest.raises(MediaError, match="no such file"):
        media_kind(tmp_path / "missing.mp4")
    with pytest.raises(MediaError, match="not a file"):
        media_kind(tmp_path)


def test_truncated_image_is_rejected(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes((MEDIA / "Standing_Toe_Touches_0.jpg").read_bytes()[:30])
    with pytest.raises(MediaError, match="cannot be decoded"):
        read_image(broken)
