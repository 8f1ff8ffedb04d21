"""Optional alert e-mail: a stop reaches the clinician's inbox, without names or scores."""

from __future__ import annotations

import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from tests.web.support import Clinic, build_clinic, screen_by_api


class _Inbox(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) to accept messages and keep them."""

    received: ClassVar[list[tuple[list[str], str]]] = []

    def handle(self) -> None:
        recipients: list[str] = []
        self.wfile.write(b"220 test ready\r\n")
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.wfile.write(b"250 test\r\n")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip(" <>"))
                self.wfile.write(b"250 ok\r\n")
            elif verb == "DATA":
                self.wfile.write(b"354 go ahead\r\n")
                body = []
                while (data := self.rfile.readline().decode()) not in (".\r\n", ""):
                    body.append(data)
                self.received.append((recipients, "".join(body)))
                self.wfile.write(b"250 queued\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def inbox() -> Iterator[tuple[int, list[tuple[list[str], str]]]]:
    _Inbox.received = []
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Inbox)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], _Inbox.received
    server.shutdown()
    server.server_close()


def _wait_for(messages: list[tuple[list[str], str]], count: int) -> None:
    deadline = time.monotonic() + 10
    while len(messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_stop_e_mails_the_clinician_without_clinical_details(
    tmp_path: Path, inbox: tuple[int, list[tuple[list[str], str]]]
) -> None:
    port, messages = inbox
    clinic: Clinic = build_clinic(
        tmp_path,
        f"sqlite:///{tmp_path / 'mail.db'}",
        settings={"smtp_host": "127.0.0.1", "smtp_port": port},
    )
    try:
        patient = clinic.api("patient_a")
        easy = {
            "pain_before": 3,
            "pain_during": 2,
            "pain_after": 2,
            "location_before": "thigh",
            "location_after": "buttock",
            "effort": "easy",
            "reps": 10,
        }
        patient.post("/api/v1/me/sessions", json=easy)
        time.sleep(0.3)
        assert messages == []  # a "stay" sends nothing
        spreading = dict(easy, location_before="back", location_after="below_knee", pain_after=7)
        screen_by_api(patient)
        assert (
            patient.post("/api/v1/me/sessions", json=spreading).json()["decision"]["decision"]
            == "stop"
        )
        _wait_for(messages, 1)
        ((recipients, text),) = messages
        assert recipients == [clinic.emails["clinician_a"]]
        assert "Subject: spinestep: a patient needs your attention (urgency: soon)" in text
        assert "/clinic/alerts" in text
        for secret in ("Zebulon", "Quillfeather", "below", "pain", clinic.emails["patient_a"]):
            assert secret not in text, secret
    finally:
        clinic.close()
