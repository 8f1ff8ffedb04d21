"""``spinestep today``, run several times a day, imports only its own command module, and
Rich only when it prints the panel (not for ``--json``)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.fresh_cli import run_fresh

INIT = [
    "init", "--name", "Quill", "--cleared", "--preference", "flexion", "--protocol",
    "lumbar-flexion", "--stage", "1", "--time-zone", "Europe/London", "--emergency-number",
    "999", "--no-red-flags", "--outcome-measure", "odi", "--no-psfs",
]  # fmt: skip


def _run(argv: list[str], tmp_path: Path) -> tuple[dict[str, object], str]:
    """Run ``spinestep argv`` in a fresh interpreter: its exit code, the coach modules and
    whether Rich was imported."""
    code, modules, stdout = run_fresh(argv, tmp_path)
    commands = [m for m in modules if m.startswith("spinestep.cli.coach")]
    return {"code": code, "commands": commands, "rich": "rich" in modules}, stdout


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
