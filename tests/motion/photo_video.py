"""Videos made of the real test photos: start and end posture alternated with known holds."""

from __future__ import annotations

from pathlib import Path

import cv2

MEDIA = Path(__file__).resolve().parents[1] / "data" / "media"
FPS = 30


def write_photo_video(
    out: Path,
    start_photo: str,
    end_photo: str,
    holds_s: list[float],
    lead_in_s: float = 2.0,
    rest_s: float = 1.5,
    fourcc: str = "mp4v",
) -> float:
    """Write ``out``: the start photo for ``lead_in_s``, then per rep the end photo for its
    hold and the start photo for ``rest_s``. Returns the duration in seconds."""
    start = cv2.resize(cv2.imread(str(MEDIA / start_photo)), (640, 427))
    end = cv2.resize(cv2.imread(str(MEDIA / end_photo)), (640, 427))
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*fourcc), FPS, (640, 427))
    assert writer.isOpened()
    frames = 0

    def show(image: object, seconds: float) -> None:
        nonlocal frames
        for _ in range(round(seconds * FPS)):
            writer.write(image)
            frames += 1

    show(start, lead_in_s)
    for hold in holds_s:
        show(end, hold)
        show(start, rest_s)
    writer.release()
    return frames / FPS
