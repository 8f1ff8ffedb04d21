"""The pose stage: MediaPipe Pose (legacy solution, model_complexity=1) behind a small protocol.

Anything with ``estimate(image) -> PoseLandmarks | None`` can stand in for it, which is
how the tests feed synthetic skeletons into the rest of the pipeline.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Protocol

from spinestep.domain.kinematics import Joint, Keypoint, PoseLandmarks
from spinestep.motion.availability import require_motion
from spinestep.motion.media import Image, silenced_native_stderr

if TYPE_CHECKING:
    from types import TracebackType

#: The only complexity whose model ships inside the mediapipe wheel (SPEC §6).
MODEL_COMPLEXITY = 1


class PoseEstimator(Protocol):
    def estimate(self, image: Image) -> PoseLandmarks | None: ...

    def close(self) -> None: ...


def landmarks_from_mediapipe(landmarks: Any, width_px: int, height_px: int) -> PoseLandmarks:
    """MediaPipe's normalised landmarks → display pixels for the joints spinestep uses."""
    points = {
        joint: Keypoint(
            float(landmarks[joint.value].x) * width_px,
            float(landmarks[joint.value].y) * height_px,
            float(landmarks[joint.value].visibility),
        )
        for joint in Joint
    }
    return PoseLandmarks(points, width_px, height_px)


def _import_mediapipe_pose() -> Any:
    require_motion()
    with warnings.catch_warnings():
        # protobuf 4, pinned by mediapipe, may warn at import on newer Pythons.
        warnings.filterwarnings("ignore", message=r".*PyType_Spec.*custom tp_new.*")
        warnings.filterwarnings("ignore", message=r".*SymbolDatabase\.GetPrototype.*")
        from mediapipe.python.solutions import pose as mp_pose
    return mp_pose


#: Mean absolute difference (0-255) of small grey thumbnails above which two frames
#: are taken to be a cut, not motion: MediaPipe's tracker is then restarted.
CUT_THRESHOLD = 20.0
_THUMBNAIL_PX = (64, 36)


class MediaPipePose:
    """MediaPipe Pose on BGR frames. ``still_images`` runs detection on every frame;
    otherwise it tracks the person from frame to frame (faster, and it keeps the
    person when the face turns away), restarting the tracker at a cut in the video.
    """

    def __init__(self, still_images: bool = False) -> None:
        mp_pose = _import_mediapipe_pose()
        import cv2

        self._cv2 = cv2
        with silenced_native_stderr():
            self._pose = mp_pose.Pose(
                static_image_mode=still_images,
                model_complexity=MODEL_COMPLEXITY,
                smooth_landmarks=False,
                enable_segmentation=False,
            )
        self._warm = False
        self._still_images = still_images
        self._thumbnail: Any = None
        self._blank: Any = None

    def process_rgb(self, rgb: Image) -> Any:
        """MediaPipe's own ``process()`` (its first call logs natively: silenced)."""
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*SymbolDatabase\.GetPrototype.*")
            if self._warm:
                return self._pose.process(rgb)
            with silenced_native_stderr():
                result = self._pose.process(rgb)
            self._warm = True
            return result

    def _restart_tracking_at_cut(self, image: Image) -> None:
        import numpy as np

        cv2 = self._cv2
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        thumbnail = cv2.resize(grey, _THUMBNAIL_PX, interpolation=cv2.INTER_AREA)
        previous, self._thumbnail = self._thumbnail, thumbnail
        if previous is None or previous.shape != thumbnail.shape:
            return
        if float(cv2.absdiff(thumbnail, previous).mean()) <= CUT_THRESHOLD:
            return
        if self._blank is None or self._blank.shape != image.shape:
            self._blank = np.zeros_like(image)
        self.process_rgb(self._blank)  # nobody there: the next frame detects afresh

    def estimate(self, image: Image) -> PoseLandmarks | None:
        height, width = image.shape[:2]
        if not self._still_images:
            self._restart_tracking_at_cut(image)
        rgb = self._cv2.cvtColor(image, self._cv2.COLOR_BGR2RGB)
        result = self.process_rgb(rgb)
        if result.pose_landmarks is None:
            return None
        return landmarks_from_mediapipe(result.pose_landmarks.landmark, width, height)

    def close(self) -> None:
        self._pose.close()

    def __enter__(self) -> MediaPipePose:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
