"""Whether the optional ``spinestep[motion]`` extra is installed."""

from __future__ import annotations

import importlib.util
import sys

from spinestep.errors import MotionUnavailable

INSTALL_HINT = "pip install 'spinestep[motion]'"
_REQUIRED = ("cv2", "mediapipe")


def _installed(name: str) -> bool:
    if name in sys.modules:
        return sys.modules[name] is not None  # None: imports of it are blocked
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def missing_modules() -> list[str]:
    return [name for name in _REQUIRED if not _installed(name)]


def require_motion() -> None:
    """Raise :class:`MotionUnavailable` naming the install command when the extra is absent."""
    missing = missing_modules()
    if missing:
        raise MotionUnavailable(
            "motion analysis needs the optional motion extra "
            f"(missing: {', '.join(missing)}); install it with: {INSTALL_HINT}"
        )
