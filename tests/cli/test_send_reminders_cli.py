"""``spinestep send-reminders``: refuses to run without a mail server (exit 2), and sends
through the configured one, reporting what it did."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from spinestep.cli.main import build_app
from tests.support.smtp import SmtpServer, smtp_server
from tests.web.reminder_support import reminder_clinic

__all__ = ["smtp_server"]

APP = build_app()
REPORT = re.compile(
    r"reminders: (\d+) sent, (\d+) failed, (\d+) already sent, (\d+) not needed \(session done\)"
)


def test_without_a_mail_server_the_command_refuses(tmp_path: Path) -> None:
    env = {
        "SPINESTEP_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "SPINESTEP_SMTP_HOST": "",
        "SPINESTEP_DATA_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "spinestep", "send-reminders"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("SPINESTEP_SMTP_HOST: must name the mail server")


def test_the_command_sends_through_the_mail_server_and_says_how_many(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    for rc in reminder_clinic(tmp_path, url, smtp_server, datetime.now(UTC)):
        rc.turn_on("patient_a", quiet_start="00:00", quiet_end="00:00")
        rc.turn_on("patient_b", quiet_start="00:00", quiet_end="00:00")
        env = {
            "SPINESTEP_DATABASE_URL": url,
            "SPINESTEP_SMTP_HOST": smtp_server.host,
            "SPINESTEP_SMTP_PORT": str(smtp_server.port),
            "SPINESTEP_DATA_DIR": str(tmp_path),
        }
        sent = 0
        for _ in range(2):  # what is due depends on the real clock; the counts must agree
            result = CliRunner().invoke(APP, ["send-reminders"], env=env)
            assert result.exit_code == 0, result.output
            found = REPORT.fullmatch(result.stdout.strip())
            assert found, result.stdout
            sent += int(found.group(1))
            assert found.group(2) == "0"
        assert len(rc.smtp.messages) == sent
