"""Pictures of an analysis: the annotated video (WebM/VP8 or MP4/VP9) and the angle plot."""

from __future__ import annotations

import bisect
from collections.abc import Callable
from pathlib import Path
from typing import Any

from spinestep.domain.kinematics import Joint, PoseLandmarks
from spinestep.domain.reps import Rep
from spinestep.errors import InvalidInput, MediaError
from spinestep.motion.analysis import VideoAnalysis
from spinestep.motion.media import Image, VideoSource, silenced_native_stderr

#: Browser-playable encoders OpenCV's FFmpeg offers, by file suffix.
VIDEO_CODECS = {".webm": "VP80", ".mp4": "vp09"}

_BONES = (
    (Joint.LEFT_SHOULDER, Joint.RIGHT_SHOULDER),
    (Joint.LEFT_HIP, Joint.RIGHT_HIP),
    (Joint.LEFT_SHOULDER, Joint.LEFT_HIP),
    (Joint.RIGHT_SHOULDER, Joint.RIGHT_HIP),
    (Joint.LEFT_HIP, Joint.LEFT_KNEE),
    (Joint.RIGHT_HIP, Joint.RIGHT_KNEE),
    (Joint.LEFT_KNEE, Joint.LEFT_ANKLE),
    (Joint.RIGHT_KNEE, Joint.RIGHT_ANKLE),
    (Joint.LEFT_ANKLE, Joint.LEFT_HEEL),
    (Joint.RIGHT_ANKLE, Joint.RIGHT_HEEL),
    (Joint.LEFT_HEEL, Joint.LEFT_FOOT_INDEX),
    (Joint.RIGHT_HEEL, Joint.RIGHT_FOOT_INDEX),
)
_LEFT_BGR = (255, 160, 0)
_RIGHT_BGR = (0, 160, 255)
_TRUNK_BGR = (60, 230, 60)
_TEXT_BGR = (255, 255, 255)
_HOLD_BGR = (60, 230, 60)


def check_video_path(path: Path, option: str = "--annotated") -> str:
    """The codec for an output file name; only browser-playable containers are allowed."""
    codec = VIDEO_CODECS.get(path.suffix.lower())
    if codec is None:
        raise InvalidInput(option, f"{path.name}: use a .webm (VP8) or .mp4 (VP9) file name")
    return codec


def _point(pose: PoseLandmarks, joint: Joint) -> tuple[int, int]:
    p = pose[joint]
    return round(p.x_px), round(p.y_px)


def draw_overlay(
    image: Image,
    pose: PoseLandmarks | None,
    lines: list[str],
    hold_fraction: float | None = None,
    warning: str | None = None,
) -> None:
    """Draw the skeleton, the trunk line and text lines onto ``image`` in place."""
    import cv2

    if pose is not None:
        for a, b in _BONES:
            colour = _LEFT_BGR if "LEFT" in a.name and "LEFT" in b.name else _RIGHT_BGR
            if "LEFT" in a.name and "RIGHT" in b.name:
                colour = (200, 200, 200)
            cv2.line(image, _point(pose, a), _point(pose, b), colour, 2, cv2.LINE_AA)
        hip = tuple(round(v) for v in pose.hip_mid())
        shoulder = tuple(round(v) for v in pose.shoulder_mid())
        knee = tuple(round(v) for v in pose.knee_mid())
        cv2.line(image, hip, shoulder, _TRUNK_BGR, 3, cv2.LINE_AA)
        cv2.line(image, hip, knee, _TRUNK_BGR, 2, cv2.LINE_AA)
        cv2.circle(image, hip, 5, _TRUNK_BGR, -1, cv2.LINE_AA)
        cv2.line(image, hip, (hip[0], hip[1] - 60), (180, 180, 180), 1, cv2.LINE_AA)
    top = 8
    for line in lines:
        (w, h), base = cv2.getTextSize(line, cv2.FONT_HERSHEY_SIMPLEX, 0.7, 2)
        cv2.rectangle(image, (6, top), (14 + w, top + h + base + 6), (0, 0, 0), -1)
        cv2.putText(image, line, (10, top + h + 3), cv2.FONT_HERSHEY_SIMPLEX, 0.7, _TEXT_BGR, 2)
        top += h + base + 10
    if hold_fraction is not None:
        width = 160
        cv2.rectangle(image, (10, top), (10 + width, top + 12), (90, 90, 90), -1)
        filled = round(width * max(0.0, min(1.0, hold_fraction)))
        cv2.rectangle(image, (10, top), (10 + filled, top + 12), _HOLD_BGR, -1)
    if warning:
        height = image.shape[0]
        cv2.putText(
            image, warning, (10, height - 14), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 255), 2
        )


def _hold_state(reps: tuple[Rep, ...], t_s: float) -> tuple[float | None, int]:
    """The hold timer at ``t_s`` (None outside a hold) and reps completed by then."""
    hold: float | None = None
    done = 0
    for rep in reps:
        if rep.end_s <= t_s:
            done += 1
        start, end = rep.hold_start_s, rep.hold_end_s
        if start is not None and end is not None and start <= t_s <= end:
            hold = t_s - start
    return hold, done


def _open_writer(path: Path, codec: str, fps: float, size: tuple[int, int]) -> Any:
    import cv2

    fourcc = cv2.VideoWriter.fourcc(*codec)
    with silenced_native_stderr():
        writer = cv2.VideoWriter(str(path), fourcc, fps, size)
    if not writer.isOpened():
        raise MediaError(f"{path}: cannot write a {codec} video here")
    return writer


def write_annotated_video(
    source_path: Path,
    analysis: VideoAnalysis,
    poses: list[PoseLandmarks | None],
    out_path: Path,
    progress: Callable[[int, int | None], None] | None = None,
) -> None:
    """Decode the video again and draw skeleton, angle, rep count and hold timer."""
    codec = check_video_path(out_path)
    source = VideoSource(source_path)
    track = analysis.track
    reps = analysis.reps.reps
    measure = analysis.measure.value.replace("_", " ")
    writer = None
    try:
        for done, frame in enumerate(source.frames(max_fps=None), start=1):
            # every frame is drawn; the analysis may have skipped some (above 30/s):
            # each shows the analysed frame at or just before it
            i = max(0, bisect.bisect_right(track.times_s, frame.t_s + 1e-6) - 1)
            if writer is None:
                height, width = frame.image.shape[:2]
                fps = source.info.nominal_fps or analysis.fps or 30.0
                writer = _open_writer(out_path, codec, fps, (width, height))
            image = frame.image.copy()
            angle = track.smooth_deg[i] if i < len(track.smooth_deg) else None
            hold, done = _hold_state(reps, frame.t_s)
            lines = [
                f"{measure}: {'--' if angle is None else f'{angle:.0f} deg'}",
                f"reps: {done}",
                f"hold: {hold:.1f} s" if hold is not None else "hold: -",
                f"t = {frame.t_s:.1f} s",
            ]
            warning = analysis.view.message
            pose = poses[i] if i < len(poses) else None
            draw_overlay(image, pose, lines, None if hold is None else hold / 2.0, warning)
            writer.write(image)
            if progress is not None:
                progress(done, source.info.frame_count)
    finally:
        source.close()
        if writer is not None:
            writer.release()


def write_plot(analysis: VideoAnalysis, out_path: Path) -> None:
    """The primary angle over time, with baseline, reps, holds and ROM marked (PNG)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    track = analysis.track
    figure = Figure(figsize=(10, 4.5), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    raw = [float("nan") if v is None else v for v in track.raw_deg]
    smooth = [float("nan") if v is None else v for v in track.smooth_deg]
    axes.plot(track.times_s, raw, color="0.75", linewidth=0.8, label="per frame")
    axes.plot(track.times_s, smooth, color="tab:blue", linewidth=1.8, label="smoothed")
    baseline = analysis.reps.baseline_deg
    if baseline is not None:
        axes.axhline(baseline, color="tab:gray", linestyle="--", linewidth=1, label="baseline")
        axes.axhline(baseline + 15, color="tab:gray", linestyle=":", linewidth=0.8)
    for rep in analysis.reps.reps:
        axes.axvspan(rep.start_s, rep.end_s, color="tab:blue", alpha=0.08)
        if rep.hold_start_s is not None and rep.hold_end_s is not None and rep.hold_s > 0:
            axes.axvspan(
                rep.hold_start_s,
                rep.hold_end_s,
                color="tab:green" if rep.held else "tab:orange",
                alpha=0.35,
            )
        axes.plot([rep.peak_s], [rep.peak_deg], marker="v", color="tab:red")
        label = f"{rep.index}: {rep.rom_deg:.0f}°" if analysis.measurable else str(rep.index)
        axes.annotate(
            label,
            (rep.peak_s, rep.peak_deg),
            textcoords="offset points",
            xytext=(0, 8),
            ha="center",
            fontsize=8,
        )
    title = (
        f"{analysis.stage.value}: {analysis.measure.value.replace('_', ' ')} — "
        f"{len(analysis.reps.reps)} reps, {analysis.reps.held_count} held (green)"
    )
    if not analysis.measurable and analysis.view.message:
        title += " — not a side view"
    axes.set_title(title, fontsize=10)
    axes.set_xlabel("time (s)")
    axes.set_ylabel("angle (degrees)")
    axes.grid(True, alpha=0.3)
    axes.legend(loc="upper right", fontsize=8)
    figure.tight_layout()
    figure.savefig(str(out_path), format="png")
