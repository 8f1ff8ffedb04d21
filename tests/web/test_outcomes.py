"""Questionnaires over time and downloads in the pages and the API (SQLite and PostgreSQL).

Expected scores and verdicts are worked out by hand from SPEC §5:
- ODI all sections 3 -> 30/50 = 60 %; all sections 1 -> 10/50 = 20 %: improvement 40
  points (>= 10) -> clinically important improvement.
- ODI all 2 -> 40 %; all 3 -> 60 %: improvement -20, worsened (20 >= 10) -> important worsening.
- STarT Back items 1-4 agree, 5-8 disagree, "moderately" -> total 4, psychosocial 0 -> medium.
- STarT Back all agree, "extremely" -> total 9, psychosocial 5 -> high.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar

from spinestep.domain.scoring import Bothersomeness
from spinestep.services.context import Actor
from spinestep.services.questionnaire_tracking import record_questionnaire
from spinestep.services.record_types import OdiAnswers, StartBackAnswers
from spinestep.services.records import Role
from tests.services.support import easy, screened_session
from tests.web.pageflow import form_token
from tests.web.support import Clinic, TestClient


def _patient_a(clinic: Clinic) -> Actor:
    return Actor(role=Role.PATIENT, user_id=clinic.patient_a_user)


def _odi_taken(clinic: Clinic, section: int, days_ago: int) -> None:
    when = clinic.ctx.clock.now() - timedelta(days=days_ago)
    record_questionnaire(
        clinic.ctx, _patient_a(clinic), clinic.patient_a, OdiAnswers((section,) * 10), when
    )


def _due_titles(html: str) -> list[str]:
    section = html.split('id="due-h"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'href="/questionnaires/([a-z]+)"', section)


def test_patient_answers_due_questionnaires_and_sees_the_verdict(clinic: Clinic) -> None:
    _odi_taken(clinic, 3, days_ago=15)  # baseline 60 %, follow-up now due
    patient = clinic.client("patient_a")
    # Today lists what is due now: STarT Back (never taken), the ODI follow-up, PSFS optional.
    assert _due_titles(patient.get("/today").text) == ["startback", "odi", "psfs"]
    page = patient.get("/questionnaires/odi").text
    answered = patient.post(
        "/questionnaires/odi",
        data={"csrf_token": form_token(page), **{f"odi_{n}": "1" for n in range(1, 11)}},
    )
    assert answered.headers["location"] == "/questionnaires?done=saved"
    page = patient.get("/questionnaires/startback").text
    items = {f"startback_{n}": "yes" if n <= 4 else "no" for n in range(1, 9)}
    answered = patient.post(
        "/questionnaires/startback",
        data={"csrf_token": form_token(page), "bothersomeness": "moderately", **items},
    )
    assert answered.status_code == 303
    html = patient.get("/questionnaires?done=saved").text
    assert "your answers were saved" in html
    assert "medium risk" in html and "total 4/9, psychosocial 0/5" in html
    odi = html.split("Oswestry Disability Index", 1)[1].split("</table>", 1)[0]
    assert "<td>60</td>" in odi and "<td>20</td>" in odi
    assert "40 (66.67 %)" in odi  # 40 / 60 x 100
    assert "clinically important improvement" in odi
    # Nothing but the optional PSFS is due now; the ODI comes back in 14 days.
    assert _due_titles(patient.get("/today").text) == ["psfs"]


def test_a_bad_answer_is_named_and_nothing_is_saved(clinic: Clinic) -> None:
    patient = clinic.client("patient_a")
    page = patient.get("/questionnaires/startback").text
    refused = patient.post(
        "/questionnaires/startback",
        data={"csrf_token": form_token(page), "bothersomeness": "terribly"},
    )
    assert refused.status_code == 422
    assert "startback_1" in refused.text and "answer yes or no" in refused.text
    missing_rating = patient.post(
        "/questionnaires/psfs",
        data={"csrf_token": form_token(page), "psfs_activity_1": "gardening"},
    )
    assert missing_rating.status_code == 422 and "rating of activity 1" in missing_rating.text
    assert patient.get("/questionnaires/nprs").status_code == 422
    assert clinic.api("patient_a").get("/api/v1/me/questionnaires").json() == {
        "startback": None,
        "measures": [],
    }


def test_clinician_sees_risk_group_and_verdict_and_switches_to_rmdq(clinic: Clinic) -> None:
    me = _patient_a(clinic)
    start = clinic.ctx.clock.now() - timedelta(days=20)
    record_questionnaire(
        clinic.ctx,
        me,
        clinic.patient_a,
        StartBackAnswers((1,) * 8, Bothersomeness.EXTREMELY),
        start,
    )
    _odi_taken(clinic, 2, days_ago=20)
    _odi_taken(clinic, 3, days_ago=5)
    physio = clinic.client("clinician_a")
    page = physio.get(f"/clinic/patients/{clinic.patient_a}").text
    assert "total 9/9, psychosocial 5/5" in page and "high risk" in page
    odi = page.split("Oswestry Disability Index", 1)[1].split("</table>", 1)[0]
    assert "<td>40</td>" in odi and "<td>60</td>" in odi and "important worsening" in odi
    assert '<option value="odi" selected>' in page
    form = {
        "csrf_token": form_token(page),
        "protocol": "lumbar-flexion",
        "current_stage": "1",
        "reps": "10",
        "hold_min": "1",
        "hold_max": "2",
        "sessions_per_day": "5",
        "progress_after_sessions": "3",
        "min_days_at_stage": "2",
        "worsening_points": "2",
        "clearance": "yes",
        "directional_preference": "flexion",
        "outcome_measure": "rmdq",
        "psfs_enabled": "yes",
    }
    saved = physio.post(f"/clinic/patients/{clinic.patient_a}/plan", data=form)
    assert saved.status_code == 303, saved.text
    page = physio.get(f"/clinic/patients/{clinic.patient_a}").text
    assert (
        '<option value="rmdq" selected>' in page
        and 'name="psfs_enabled" value="yes" checked' in page
    )
    # The due list follows the choice: RMDQ baseline now (not optional), PSFS asked, no ODI.
    due = clinic.api("patient_a").get("/api/v1/me/questionnaires/due").json()
    assert [(d["instrument"], d["optional"], d["due_now"]) for d in due] == [
        ("rmdq", False, True),
        ("psfs", False, True),
    ]
    detail = clinic.api("clinician_a").get(f"/api/v1/patients/{clinic.patient_a}/questionnaires")
    body = detail.json()
    assert (body["outcome_measure"], body["psfs_enabled"]) == ("rmdq", True)
    assert body["history"]["startback"]["risk"] == "high"
    (odi,) = [m for m in body["history"]["measures"] if m["measure"] == "odi"]
    assert odi["baseline"]["score"] == 40
    assert [(f["score"], f["improvement"], f["verdict"]) for f in odi["follow_ups"]] == [
        (60, -20, "important_worsening")
    ]
    with clinic.ctx.uow() as uow:
        actions = [e.action for e in uow.audit.for_patient(clinic.patient_a)]
    assert "GET /api/v1/patients/{patient_id}/questionnaires" in actions
    assert "POST /clinic/patients/{patient_id}/plan" in actions


def test_api_records_a_questionnaire_and_refuses_bad_bodies(clinic: Clinic) -> None:
    api = clinic.api("patient_a")
    created = api.post(
        "/api/v1/me/questionnaires", json={"instrument": "rmdq", "ticked": [1, 4, 9]}
    )
    assert created.status_code == 201, created.text
    assert created.json()["result"] == {"instrument": "rmdq", "score": 3}
    psfs = api.post(
        "/api/v1/me/questionnaires",
        json={"instrument": "psfs", "ratings": [3, 5, 4], "activities": ["stairs", "a", "b"]},
    )
    assert psfs.json()["result"]["score"] == 4.0
    for body in (
        {"instrument": "rmdq", "ticked": [25]},
        {"instrument": "rmdq", "ticked": [2, 2]},
        {"instrument": "rmdq", "ticked": [1], "extra": 1},
        {"instrument": "odi", "answers": [1] * 9},
        {"instrument": "odi", "answers": [1, 1, 1, None, None, None, 1, 1, 1, 1]},
        {"instrument": "startback", "items": [1] * 8, "bothersomeness": None},
        {"instrument": "nprs", "score": 3},
    ):
        refused = api.post("/api/v1/me/questionnaires", json=body)
        assert refused.status_code == 422, body
        assert refused.json()["error"]["code"]
    history = api.get("/api/v1/me/questionnaires").json()
    assert [m["measure"] for m in history["measures"]] == ["rmdq", "psfs"]


def test_another_patient_or_clinician_cannot_read_the_questionnaires(clinic: Clinic) -> None:
    url = f"/api/v1/patients/{clinic.patient_a}/questionnaires"
    assert clinic.api("patient_b").get(url).status_code == 403
    assert clinic.api("clinician_b").get(url).status_code == 404
    assert clinic.api("clinician_a").get(url).status_code == 200
    # patient B's own list says nothing of patient A's answers.
    _odi_taken(clinic, 3, days_ago=1)
    assert clinic.api("patient_b").get("/api/v1/me/questionnaires").json()["measures"] == []


def _download(client: TestClient, url: str, media: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert response.headers["content-type"].startswith(media)
    assert response.headers["content-disposition"].startswith("attachment;")
    return response.content


def test_patient_downloads_reminders_fhir_and_csv(clinic: Clinic) -> None:
    screened_session(clinic.ctx, _patient_a(clinic), clinic.patient_a, easy())
    patient = clinic.client("patient_a")
    page = patient.get("/my-data").text
    for link in ("/my-data/reminders.ics", "/my-data/records.fhir.json", "/my-data/sessions.csv"):
        assert f'href="{link}"' in page
    ics = _download(patient, "/my-data/reminders.ics", "text/calendar")
    events = Calendar.from_ical(ics).walk("VEVENT")
    assert len(events) == 5  # the default dose: 5 sessions a day
    assert all(e["RRULE"]["FREQ"] == ["DAILY"] for e in events)
    fhir = json.loads(_download(patient, "/my-data/records.fhir.json", "application/fhir+json"))
    assert fhir["resourceType"] == "Bundle"
    kinds = {entry["resource"]["resourceType"] for entry in fhir["entry"]}
    assert {"Patient", "CarePlan", "Observation"} <= kinds
    lines = _download(patient, "/my-data/sessions.csv", "text/csv").decode().splitlines()
    assert lines[0] == (
        "session_id,at,stage,completed,reps,effort,pain_before,pain_during,pain_after,"
        "location_before,location_after"
    )
    assert len(lines) == 2 and ",easy,3,3,2,thigh,buttock" in lines[1]
    # The clinician's downloads are not the patient's.
    assert patient.get(f"/clinic/patients/{clinic.patient_a}/report.pdf").status_code == 403


def test_clinician_downloads_report_fhir_and_csv_audited(clinic: Clinic) -> None:
    physio = clinic.client("clinician_a")
    base = f"/clinic/patients/{clinic.patient_a}"
    page = physio.get(base).text
    for tail in ("report.pdf", "records.fhir.json", "sessions.csv"):
        assert f'href="{base}/{tail}"' in page
    pdf = _download(physio, f"{base}/report.pdf", "application/pdf")
    assert pdf.startswith(b"%PDF")
    _download(physio, f"{base}/records.fhir.json", "application/fhir+json")
    _download(physio, f"{base}/sessions.csv", "text/csv")
    assert clinic.client("clinician_b").get(f"{base}/report.pdf").status_code == 404
    with clinic.ctx.uow() as uow:
        actions = {e.action for e in uow.audit.for_patient(clinic.patient_a)}
    assert "GET /clinic/patients/{patient_id}/report.pdf" in actions


def _supine(rom_deg: list[float]) -> dict[str, Any]:
    ordered = sorted(rom_deg)
    return {
        "stage": "supine",
        "measure": "hip_flexion",
        "reps": len(rom_deg),
        "held_count": len(rom_deg) - 1,
        "rom_deg": rom_deg,
        "rom_deg_median": ordered[len(ordered) // 2],
        "detected_fraction": 1.0,
        "visibility_mean": 0.9,
        "side_view": True,
    }


def _week_label(at: datetime) -> str:
    year, week, _ = at.astimezone(ZoneInfo("Europe/London")).date().isocalendar()
    return f"{year}-W{week:02d}"


def test_rom_per_stage_over_weeks_on_history_clinician_page_and_api(clinic: Clinic) -> None:
    patient = clinic.client("patient_a")
    assert 'id="rom"' not in patient.get("/history").text  # nothing analysed yet
    first_day = (clinic.ctx.clock.now() - timedelta(days=21)).replace(
        hour=12, minute=0, second=0, microsecond=0
    )
    week_later = first_day + timedelta(days=7)
    for at, rom in (
        (first_day - timedelta(hours=2), [80.0, 85.0, 90.0]),
        (first_day, [88.0, 90.0, 92.0]),
        (week_later, [95.0, 95.0, 95.0]),
    ):
        screened_session(
            clinic.ctx, _patient_a(clinic), clinic.patient_a, easy(at=at, motion=_supine(rom))
        )
    first, second = _week_label(first_day), _week_label(week_later)
    html = patient.get("/history").text
    rom = html.split('id="rom"', 1)[1].split("</section>", 1)[0]
    assert '<svg class="chart"' in rom and "Range of motion per stage and week" in rom
    rows = re.findall(
        r'<tr><td title="from [^"]+">(\d{4}-W\d\d)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td>',
        rom,
    )
    # Week one: median of the session medians 85.0 and 90.0; week two: 95.0.
    assert rows == [
        (first, "1 supine", "hip flexion", "87.5"),
        (second, "1 supine", "hip flexion", "95.0"),
    ]
    # The timeline shows 14 days a page: the first sessions are on the page of their day.
    page_of_first = (first_day + timedelta(days=1)).date().isoformat()
    physio = (
        clinic.client("clinician_a")
        .get(f"/clinic/patients/{clinic.patient_a}?before={page_of_first}")
        .text
    )
    assert 'id="rom"' in physio and "87.5" in physio
    assert "ROM per rep (hip flexion): 80.0°, 85.0°, 90.0° — median 85.0°, 2 of 3 held" in physio
    weeks = clinic.api("patient_a").get("/api/v1/me/rom").json()
    assert [(w["week_label"], w["stage"], w["rom_deg_median"], w["sessions"]) for w in weeks] == [
        (first, 1, 87.5, 2),
        (second, 1, 95.0, 1),
    ]
    url = f"/api/v1/patients/{clinic.patient_a}/rom"
    assert clinic.api("clinician_a").get(url).json() == weeks
    assert clinic.api("patient_b").get(url).status_code == 403
    assert clinic.api("clinician_b").get(url).status_code == 404
