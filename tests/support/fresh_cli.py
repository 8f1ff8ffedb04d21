"""Run the command line in a fresh interpreter and see which modules it imported, for
tests that keep start-up light."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_PROGRAM = (
    "import json, sys\n"
    "from spinestep.cli.main import main\n"
    "code = 0\n"
    "try:\n"
    "    main(json.loads(sys.argv[1]))\n"
    "except SystemExit as done:\n"
    "    code = done.code\n"
    "print(json.dumps({'code': code, 'modules': sorted(sys.modules)}), file=sys.stderr)\n"
)


def run_fresh(argv: list[str], data_dir: Path) -> tuple[int, list[str], str]:
    """Run ``spinestep argv`` in a new Python process with its data in ``data_dir``: the
    exit code, every module it had imported at the end (sorted) and what it printed."""
    done = subprocess.run(
        [sys.executable, "-c", _PROGRAM, json.dumps(argv)],
        capture_output=True,
        text=True,
        env={"SPINESTEP_DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return report["code"], report["modules"], done.stdout
