"""``spinestep today``, run several times a day, imports only its own command module, and
Rich only when it prints the panel (not for ``--json``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

INIT = [
    "init", "--name", "Quill", "--cleared", "--preference", "flexion", "--protocol",
    "lumbar-flexion", "--stage", "1", "--time-zone", "Europe/London", "--emergency-number",
    "999", "--no-red-flags", "--outcome-measure", "odi", "--no-psfs",
]  # fmt: skip


def _run(argv: list[str], tmp_path: Path) -> tuple[dict[str, object], str]:
    """Run ``spinestep argv`` in a fresh interpreter: its exit code, the coach modules and
    whether Rich was imported."""
    code = (
        "import json, sys\n"
        "from spinestep.cli.main import main\n"
        "code = 0\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit as done:\n"
        "    code = done.code\n"
        "commands = sorted(m for m in sys.modules if m.startswith('spinestep.cli.coach'))\n"
        "print(json.dumps({'code': code, 'commands': commands,"
        " 'rich': 'rich' in sys.modules}), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"SPINESTEP_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    return json.loads(done.stderr.strip().splitlines()[-1]), done.stdout


def test_today_imports_its_own_module_and_rich_only_for_the_panel(tmp_path: Path) -> None:
    assert _run(INIT, tmp_path)[0]["code"] == 0
    report, stdout = _run(["today", "--json"], tmp_path)
    assert report["code"] == 0 and json.loads(stdout)["stage"] == 1
    assert report["commands"] == ["spinestep.cli.coach_today", "spinestep.cli.coach_wiring"]
    assert report["rich"] is False
    report, stdout = _run(["today"], tmp_path)
    assert report["code"] == 0 and "Quill" in stdout
    assert report["rich"] is True
    assert "spinestep.cli.coach_session" not in report["commands"]
