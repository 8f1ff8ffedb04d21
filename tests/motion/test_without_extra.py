"""Without the motion extra the CLI still works, and the motion commands say how to install it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from spinestep.errors import MotionUnavailable
from spinestep.motion import availability

PHOTO = str(Path(__file__).resolve().parents[1] / "data" / "media" / "Standing_Toe_Touches_0.jpg")

# Run the real entry point with the extra's modules made unimportable.
BLOCK = "import sys\nfor name in ('cv2', 'mediapipe', 'scipy'):\n    sys.modules[name] = None\n"


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCK + code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["analyze", PHOTO, "--stage", "standing", "--json"],
        ["coach", "--camera", "0", "--stage", "seated", "--headless"],
    ],
)
def test_motion_commands_explain_how_to_install_the_extra(argv: list[str]) -> None:
    done = _run(f"from spinestep.cli.main import main\nmain({argv!r})")
    assert done.returncode == MotionUnavailable.exit_code == 2
    assert done.stdout == ""
    assert "pip install 'spinestep[motion]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_cli_loads_without_opencv_or_mediapipe() -> None:
    code = (
        "from spinestep.cli.main import build_app\n"
        "build_app()\n"
        "import sys\n"
        "loaded = [m for m in ('cv2', 'mediapipe', 'scipy') if sys.modules.get(m) is not None]\n"
        "print(loaded)\n"
    )
    done = _run(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.motion
def test_require_motion_passes_when_installed() -> None:
    # The test environment has the extra (make test installs it).
    assert availability.missing_modules() == []
    availability.require_motion()
