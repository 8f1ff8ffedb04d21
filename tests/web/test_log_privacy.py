"""No pain scores, names, e-mails, free text or record ids in any log line (SPEC §8)."""

from __future__ import annotations

import logging
import re

import pytest

from tests.web.pageflow import complete_session, form_token
from tests.web.support import Clinic

ACCESS_LINE = re.compile(
    r"^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|OTHER) "
    r"(/[A-Za-z0-9_/{}.\-]*|<unmatched>) \d{3} \d+\.\dms$"
)


def test_logs_carry_no_ids_scores_names_or_text(
    clinic: Clinic, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    patient = clinic.client("patient_a")
    complete_session(patient, pain=(7, 8, 9), where=("thigh", "foot"), effort="hard")
    api = clinic.api("patient_a")
    api.post(
        "/api/v1/me/sessions",
        json={
            "pain_before": 6,
            "pain_during": 6,
            "pain_after": 6,
            "location_before": "back",
            "location_after": "back",
            "effort": "easy",
            "reps": 10,
        },
    )
    doctor = clinic.client("clinician_a")
    page = doctor.get(f"/clinic/patients/{clinic.patient_a}").text
    doctor.post(
        f"/clinic/patients/{clinic.patient_a}/resume",
        data={"csrf_token": form_token(page), "note": "Quetzalcoatl reviewed"},
    )
    doctor.get(f"/clinic/patients/{clinic.patient_a}?secret=Xyzzy-Plugh")
    clinic.api("clinician_a").get(f"/api/v1/patients/{clinic.patient_a}")
    clinic.api(None).get("/api/v1/patients/424242")

    web_lines = [r.getMessage() for r in caplog.records if r.name.startswith("spinestep.web")]
    access = [r.getMessage() for r in caplog.records if r.name == "spinestep.web.access"]
    assert len(access) >= 10  # the access log did run
    for line in access:
        assert ACCESS_LINE.match(line), line
    assert "GET /clinic/patients/{patient_id} 200" in " ".join(access)
    # Everything logged, except by the test's own HTTP client (httpx), which the app never uses.
    text = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    for secret in (
        "Zebulon",
        "Quillfeather",
        clinic.emails["patient_a"],
        "Quetzalcoatl",
        "Xyzzy",
        "424242",
        f"/patients/{clinic.patient_a}",
        "pain_before",
        "thigh",
        "foot",
    ):
        assert secret not in text, secret
    assert web_lines
