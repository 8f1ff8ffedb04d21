"""Telling images from videos by content, and rejecting what is neither."""

from __future__ import annotations

import shutil
import struct
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
        (b"\x00\x00\x00\x18ftypheic" + bytes(20), MediaKind.IMAGE),
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


def _set_mp4_rotation_90(path: Path) -> None:
    """Write a 90° display matrix into the MP4's track header, as phones do."""
    data = bytearray(path.read_bytes())
    at = data.index(b"tkhd")
    assert data[at + 4] == 0  # version 0 header: 32-bit times
    matrix_at = at + 8 + 20 + 8 + 8
    assert struct.unpack(">9i", data[matrix_at : matrix_at + 36])[0] == 0x10000
    data[matrix_at : matrix_at + 36] = struct.pack(
        ">9i", 0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000
    )
    path.write_bytes(bytes(data))


def test_rotation_metadata_is_applied(tmp_path: Path) -> None:
    video = tmp_path / "portrait.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"mp4v"), 30, (64, 48))
    for _ in range(3):
        image = np.zeros((48, 64, 3), np.uint8)
        image[:10, :20] = 255  # a white block in the top-left corner as stored
        writer.write(image)
    writer.release()
    _set_mp4_rotation_90(video)
    source = VideoSource(video)
    frame = next(iter(source.frames()))
    source.close()
    assert source.info.rotation_deg == 90
    assert frame.image.shape[:2] == (64, 48)  # displayed upright: 48 wide, 64 tall
    ys, xs = np.nonzero(frame.image[:, :, 0] > 128)
    # turned a quarter clockwise, the block is now in the top-right corner
    assert ys.max() < 24 and xs.min() > 30


def _make_variable_frame_rate(path: Path) -> None:
    """Rewrite the MP4's sample durations: 5 frames at 1/30 s, then 5 at 1/15 s."""
    data = bytearray(path.read_bytes())
    at = data.index(b"stts") - 4
    size, _, _, entries, count, delta = struct.unpack(">I4sIIII", data[at : at + 24])
    assert (entries, count) == (1, 10)
    new = struct.pack(">I4sIIIIII", 32, b"stts", 0, 2, 5, delta, 5, 2 * delta)
    data[at : at + size] = new
    for parent in (b"moov", b"trak", b"mdia", b"minf", b"stbl"):  # their sizes grow too
        box = data.rindex(parent, 0, at) - 4
        (box_size,) = struct.unpack(">I", data[box : box + 4])
        data[box : box + 4] = struct.pack(">I", box_size + len(new) - size)
    # The frames now last 15 of the old durations instead of 10: so does the video, or
    # a reader stops at the old duration with frames left (a partial read).
    for box_type, offset in ((b"mvhd", 20), (b"tkhd", 24), (b"mdhd", 20), (b"elst", 12)):
        at = data.index(box_type) + offset
        (duration,) = struct.unpack(">I", data[at : at + 4])
        data[at : at + 4] = struct.pack(">I", duration * 3 // 2)
    path.write_bytes(bytes(data))


def test_frame_times_come_from_the_stream_not_the_nominal_rate(tmp_path: Path) -> None:
    video = tmp_path / "phone.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"mp4v"), 30, (64, 48))
    for i in range(10):
        writer.write(np.full((48, 64, 3), i * 20, np.uint8))
    writer.release()
    _make_variable_frame_rate(video)
    source = VideoSource(video)
    times = [frame.t_s for frame in source.frames()]
    source.close()
    expected = [0.0, 1 / 30, 2 / 30, 3 / 30, 4 / 30, 5 / 30, 7 / 30, 9 / 30]
    assert times[: len(expected)] == pytest.approx(expected, abs=0.002)
