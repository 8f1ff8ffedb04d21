"""Reading frames: images and videos told apart by content, rotation applied, real timestamps.

OpenCV is imported lazily so that importing this module costs nothing without the
motion extra.
"""

from __future__ import annotations

import math
import os
import queue
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from spinestep.errors import MediaError

if TYPE_CHECKING:
    import numpy.typing as npt

    Image = npt.NDArray[Any]
else:
    Image = Any

#: Frames are analysed (and drawn) at this size at most on their long side.
ANALYSIS_LONG_SIDE_PX = 640
#: Recorded video is analysed at this many frames a second at most (SPEC §6).
MAX_ANALYSED_FPS = 30.0
#: A video is refused when it decodes fewer than this share of the frames its container
#: announces, or stops more than this share of its duration (and a second) early.
MIN_DECODED_SHARE = 0.95
_JITTER_SLOTS = 0.2


class MediaKind(StrEnum):
    IMAGE = "image"
    VIDEO = "video"


_IMAGE_SIGNATURES: tuple[tuple[int, bytes], ...] = (
    (0, b"\xff\xd8\xff"),  # JPEG
    (0, b"\x89PNG\r\n\x1a\n"),  # PNG
    (0, b"BM"),  # BMP
    (0, b"II*\x00"),  # TIFF, little-endian
    (0, b"MM\x00*"),  # TIFF, big-endian
    (8, b"WEBP"),  # WebP (RIFF....WEBP)
)
_VIDEO_SIGNATURES: tuple[tuple[int, bytes], ...] = (
    (4, b"ftyp"),  # MP4, MOV, 3GP, M4V
    (0, b"\x1a\x45\xdf\xa3"),  # Matroska, WebM
    (8, b"AVI "),  # AVI (RIFF....AVI )
    (0, b"OggS"),  # Ogg
    (0, b"FLV"),  # Flash video
    (0, b"\x00\x00\x01\xba"),  # MPEG program stream
    (0, b"\x30\x26\xb2\x75"),  # ASF, WMV
    (4, b"moov"),  # QuickTime without ftyp
    (4, b"mdat"),
    (4, b"wide"),
)


#: ISO base media brands that hold a still image (HEIF/HEIC, AVIF), not a video.
_IMAGE_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif")


def sniff_kind(head: bytes) -> MediaKind | None:
    """The kind of media from its first bytes; None when no signature matches."""
    if head[4:8] == b"ftyp" and head[8:12] in _IMAGE_BRANDS:
        return MediaKind.IMAGE
    for offset, magic in _IMAGE_SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return MediaKind.IMAGE
    for offset, magic in _VIDEO_SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return MediaKind.VIDEO
    if len(head) > 376 and head[0] == 0x47 and head[188] == 0x47 and head[376] == 0x47:
        return MediaKind.VIDEO  # MPEG transport stream
    return None


def media_kind(path: Path) -> MediaKind:
    """Image or video, by the file's content (not its name)."""
    if not path.exists():
        raise MediaError(f"{path}: no such file")
    if not path.is_file():
        raise MediaError(f"{path}: not a file")
    try:
        with path.open("rb") as handle:
            head = handle.read(512)
    except OSError as error:
        raise MediaError(f"{path}: cannot be read ({error.strerror})") from error
    if not head:
        raise MediaError(f"{path}: the file is empty, not a video or image")
    # Unknown signatures are left to FFmpeg, which knows many more containers.
    return sniff_kind(head) or MediaKind.VIDEO


def fit_width(image: Image, long_side_px: int = ANALYSIS_LONG_SIDE_PX) -> Image:
    """The image scaled down (never up) so that its longer side is at most ``long_side_px``."""
    import cv2

    height, width = image.shape[:2]
    scale = long_side_px / max(height, width)
    if scale >= 1.0:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized: Image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return resized


def read_image(path: Path) -> Image:
    """Decode an image, EXIF orientation applied, scaled to the analysis width."""
    import cv2
    import numpy as np

    data = np.fromfile(str(path), dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if image is None:
        raise MediaError(f"{path}: the image cannot be decoded")
    return fit_width(image)


@dataclass(frozen=True, slots=True)
class Frame:
    index: int
    t_s: float
    image: Image


@dataclass(frozen=True, slots=True)
class VideoInfo:
    nominal_fps: float | None
    frame_count: int | None
    rotation_deg: int


class VideoSource:
    """A video file opened with FFmpeg: frames as displayed, with their own timestamps."""

    def __init__(self, path: Path) -> None:
        import cv2

        self.path = path
        with silenced_native_stderr():
            capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
        if not capture.isOpened():
            capture.release()
            raise MediaError(f"{path}: not a video that spinestep can read")
        capture.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
        fps = float(capture.get(cv2.CAP_PROP_FPS))
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        self.info = VideoInfo(
            nominal_fps=fps if 0.0 < fps < 1000.0 else None,
            frame_count=count if count > 0 else None,
            rotation_deg=int(capture.get(cv2.CAP_PROP_ORIENTATION_META)),
        )
        self._capture = capture

    def frames(self, max_fps: float | None = MAX_ANALYSED_FPS) -> Iterator[Frame]:
        """The frames in order, at most ``max_fps`` a second (None: every frame), each
        scaled to the analysis size. Timestamps come from the stream; if they are
        missing or go backwards, the nominal frame rate fills in. ``index`` counts the
        frames yielded.

        At the end, a video that decoded only in part (see :func:`check_complete`)
        raises :class:`MediaError` rather than leaving the rest unread silently.
        """
        import cv2

        capture = self._capture
        frame_s = 1.0 / (self.info.nominal_fps or 30.0)
        last_t = -1.0
        decoded = 0
        index = 0
        slot_s = 1.0 / max_fps if max_fps else 0.0
        due_s = -math.inf  # the earliest time the next analysed frame may have
        while capture.grab():
            t_s = float(capture.get(cv2.CAP_PROP_POS_MSEC)) / 1000.0
            if not t_s > last_t:
                t_s = last_t + frame_s if decoded else 0.0
            last_t = t_s
            decoded += 1
            leeway_s = _JITTER_SLOTS * slot_s  # for timestamps that wobble
            if t_s < due_s - leeway_s:
                continue
            # at most one frame per slot on average: the next is due a slot after this
            # one was due, and not much less than a slot after this one
            due_s = t_s + slot_s if index == 0 else max(due_s + slot_s, t_s + slot_s - leeway_s)
            ok, image = capture.retrieve()
            if not ok or image is None:
                break
            yield Frame(index, t_s, fit_width(image))
            index += 1
        if index == 0:
            raise MediaError(f"{self.path}: the video has no frames that can be decoded")
        check_complete(self.path, self.info, decoded, last_t + frame_s)

    def close(self) -> None:
        self._capture.release()


def check_complete(path: Path, info: VideoInfo, decoded: int, decoded_s: float) -> None:
    """Refuse a partial read: fewer than 95 % of the frames the container announces, or
    an end more than 5 % (and over a second) before the announced duration."""
    announced = info.frame_count
    if announced is None:
        return
    if decoded < MIN_DECODED_SHARE * announced:
        raise MediaError(
            f"{path}: the video is damaged or incomplete: only {decoded} of its "
            f"{announced} frames could be decoded"
        )
    if info.nominal_fps:
        duration_s = announced / info.nominal_fps
        if decoded_s < MIN_DECODED_SHARE * duration_s and duration_s - decoded_s > 1.0:
            raise MediaError(
                f"{path}: the video is damaged or incomplete: decoding stopped at "
                f"{decoded_s:.1f} s of its {duration_s:.1f} s"
            )


class Prefetch:
    """Decode in a background thread so that decoding overlaps pose estimation.

    Always ``close()`` it (before releasing the video) so the thread has stopped
    reading when the capture goes away.
    """

    def __init__(self, frames: Iterator[Frame], depth: int = 8) -> None:
        self._frames = frames
        self._buffer: queue.Queue[Frame | Exception | None] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name="spinestep-decode", daemon=True)
        self._thread.start()

    def _put(self, item: Frame | Exception | None) -> bool:
        while not self._stop.is_set():
            try:
                self._buffer.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self) -> None:
        try:
            for frame in self._frames:
                if not self._put(frame):
                    return
        except Exception as error:  # noqa: BLE001 - handed to the consumer, re-raised there
            self._put(error)
            return
        self._put(None)

    def __iter__(self) -> Iterator[Frame]:
        while True:
            item = self._buffer.get()
            if item is None:
                return
            if isinstance(item, Exception):
                raise item
            yield item

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


class silenced_native_stderr:  # noqa: N801 - a context manager, named like one
    """Send file descriptor 2 to /dev/null while native code (MediaPipe, FFmpeg) logs.

    MediaPipe's worker threads log at unpredictable moments, so the commands keep
    this on for their whole run. Python's own ``sys.stderr`` (messages, progress
    bars) is moved to a copy of the real descriptor meanwhile, so it still shows.
    """

    def __enter__(self) -> None:
        sys.stderr.flush()
        self._saved_fd = os.dup(2)
        null_fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null_fd, 2)
        os.close(null_fd)
        self._original = sys.stderr
        self._replacement: TextIO | None = None
        if _is_fd_2(sys.stderr):
            self._replacement = open(
                os.dup(self._saved_fd),
                "w",
                buffering=1,
                encoding=getattr(sys.stderr, "encoding", None) or "utf-8",
                errors="backslashreplace",
            )
            sys.stderr = self._replacement

    def __exit__(self, *exc: object) -> None:
        if self._replacement is not None:
            self._replacement.flush()
            sys.stderr = self._original
            self._replacement.close()
        os.dup2(self._saved_fd, 2)
        os.close(self._saved_fd)


def _is_fd_2(stream: object) -> bool:
    try:
        return stream.fileno() == 2  # type: ignore[attr-defined, no-any-return]
    except (AttributeError, OSError, ValueError):
        return False
