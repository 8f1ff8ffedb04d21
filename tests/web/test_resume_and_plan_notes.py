"""Pages and API: resuming after an assessment (SPEC §3.5), the clinician's reason for a
plan change in the timelines, and the new rule settings with their ranges."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from spinestep.domain.model import Location
from spinestep.domain.redflags import flags_for_session
from spinestep.services.records import EventKind
from tests.web.pageflow import flag_fields, form_token, post_step
from tests.web.support import Clinic, TestClient, add_patient, login

ZONE = "Europe/London"
PLAN_FORM = {
    "protocol": "lumbar-flexion",
    "phase": "progression",
    "current_stage": "1",
    "reps": "10",
    "hold_min": "1",
    "hold_max": "2",
    "sessions_per_day": "5",
    "progress_after_sessions": "6",
    "min_days_at_stage": "3",
    "worsening_points": "2",
    "progress_max_pain": "2",
    "progress_max_location": "back",
    "maintenance_sessions_per_day": "2",
    "clearance": "yes",
    "directional_preference": "flexion",
}


def _today(clinic: Clinic) -> str:
    return clinic.ctx.clock.now().astimezone(ZoneInfo(ZONE)).date().isoformat()


def _flagged_self_managed(clinic: Clinic) -> tuple[int, str]:
    """A self-managed person whose programme a red flag has paused."""
    email = "solo@home.example"
    clinic.emails["solo"] = email
    _, patient_id = add_patient(clinic.ctx, None, email, "Sol Solo", time_zone=ZONE)
    api = clinic.api("solo")
    answers = {f.code: f.code == "night_pain_unremitting" for f in flags_for_session()}
    assert api.post("/api/v1/me/screening", json={"answers": answers}).status_code == 201
    assert api.get("/api/v1/me/plan").json()["paused"] is True
    return patient_id, email


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({}, "assessed_by"),
        ({"assessed_by": "GP", "told": "ok"}, "assessed_on"),
        ({"assessed_by": "GP", "assessed_on": "today", "told": "ok"}, "assessed_on"),
        ({"assessed_by": " ", "assessed_on": "2026-01-01", "told": "ok"}, "assessed_by"),
        ({"assessed_by": "GP", "assessed_on": "2026-01-01"}, "told"),
    ],
)
def test_api_resume_names_the_missing_answer(
    clinic: Clinic, body: dict[str, str], path: str
) -> None:
    _flagged_self_managed(clinic)
    api = clinic.api("solo")
    answer = api.post("/api/v1/me/resume", json=body)
    assert answer.status_code == 422
    assert answer.json()["error"]["path"] == path
    assert api.get("/api/v1/me/plan").json()["paused"] is True


def test_api_resume_refuses_dates_outside_the_flag_and_today(clinic: Clinic) -> None:
    _flagged_self_managed(clinic)
    api = clinic.api("solo")
    local_today = clinic.ctx.clock.now().astimezone(ZoneInfo(ZONE)).date()
    for day, problem in (
        (local_today + timedelta(days=1), "must not be in the future"),
        (local_today - timedelta(days=1), "must not be before"),
    ):
        body = {"assessed_by": "GP", "assessed_on": day.isoformat(), "told": "ok"}
        answer = api.post("/api/v1/me/resume", json=body)
        assert answer.status_code == 422
        assert problem in answer.json()["error"]["message"]
    body = {"assessed_by": "Dr Patel", "assessed_on": local_today.isoformat(), "told": "go on"}
    assert api.post("/api/v1/me/resume", json=body).status_code == 204
    assert api.get("/api/v1/me/plan").json()["paused"] is False


def test_the_resume_page_keeps_the_answers_and_names_the_missing_one(clinic: Clinic) -> None:
    patient_id, email = _flagged_self_managed(clinic)
    browser = clinic.client()
    login(browser, email)
    page = browser.get("/resume")
    assert page.status_code == 200
    for field in ('name="assessed_by"', 'name="assessed_on"', 'name="told"'):
        assert field in page.text
    assert f'max="{_today(clinic)}"' in page.text
    token = form_token(page.text)
    missing = browser.post(
        "/resume",
        data={"csrf_token": token, "assessed_by": "Dr Patel", "assessed_on": _today(clinic)},
    )
    assert missing.status_code == 422
    assert "What you were told: say what you were told" in missing.text
    assert 'value="Dr Patel"' in missing.text
    assert 'name="told" rows="3" maxlength="2000" required' in missing.text
    assert 'id="told"' in missing.text and 'aria-invalid="true"' in missing.text
    done = browser.post(
        "/resume",
        data={
            "csrf_token": token,
            "assessed_by": "Dr Patel",
            "assessed_on": _today(clinic),
            "told": "no night pain now",
        },
    )
    assert done.status_code == 303 and done.headers["location"] == "/today"
    with clinic.ctx.uow() as uow:
        event = uow.events.for_patient(patient_id)[-1]
    assert event.kind is EventKind.RESUME
    assert event.note == f"Assessed by Dr Patel on {_today(clinic)}: no night pain now"
    history = browser.get("/history").text
    assert "no night pain now" in history


def test_the_reason_for_a_plan_change_shows_in_both_timelines(clinic: Clinic) -> None:
    doctor = clinic.client("clinician_a")
    token = form_token(doctor.get(f"/clinic/patients/{clinic.patient_a}").text)
    form = dict(
        PLAN_FORM,
        csrf_token=token,
        current_stage="2",
        progress_max_pain="4",
        progress_max_location="thigh",
        maintenance_sessions_per_day="3",
        reason="Long-standing thigh ache from stenosis; sitting tolerated",
    )
    saved = doctor.post(f"/clinic/patients/{clinic.patient_a}/plan", data=form)
    assert saved.status_code == 303, saved.text
    detail = doctor.get(f"/clinic/patients/{clinic.patient_a}").text
    assert "Long-standing thigh ache from stenosis; sitting tolerated" in detail
    assert 'name="progress_max_pain" type="number" min="0" max="10" value="4"' in detail
    assert '<option value="thigh" selected>' in detail
    with clinic.ctx.uow() as uow:
        assignment = uow.assignments.current_for(clinic.patient_a)
    assert assignment is not None
    assert (
        assignment.current_stage,
        assignment.progress_max_pain,
        assignment.progress_max_location,
        assignment.maintenance_sessions_per_day,
    ) == (2, 4, Location.THIGH, 3)
    own = clinic.client("patient_a").get("/history").text
    assert "Long-standing thigh ache from stenosis; sitting tolerated" in own


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"min_days_at_stage": "7"}, "different days needed must be 1-6"),
        ({"progress_max_pain": "11"}, "highest pain that still qualifies must be a whole number"),
        ({"progress_max_location": "knee"}, "choose how far symptoms may reach"),
        ({"maintenance_sessions_per_day": "13"}, "maintenance sessions a day must be"),
        ({"phase": "finished"}, "choose progression or maintenance"),
    ],
)
def test_plan_form_names_a_setting_out_of_range(
    clinic: Clinic, changes: dict[str, str], message: str
) -> None:
    doctor = clinic.client("clinician_a")
    token = form_token(doctor.get(f"/clinic/patients/{clinic.patient_a}").text)
    refused = doctor.post(
        f"/clinic/patients/{clinic.patient_a}/plan",
        data=dict(PLAN_FORM, csrf_token=token, **changes),
    )
    assert refused.status_code == 422
    assert message in refused.text


def test_api_plan_keeps_the_reason_and_the_new_settings(clinic: Clinic) -> None:
    doctor = clinic.api("clinician_a")
    url = f"/api/v1/patients/{clinic.patient_a}/plan"
    changed = doctor.patch(
        url,
        json={
            "settings": {"progress_max_pain": 3, "progress_max_location": "buttock"},
            "reason": "Allow buttock ache",
        },
    )
    assert changed.status_code == 200, changed.text
    with clinic.ctx.uow() as uow:
        assignment = uow.assignments.current_for(clinic.patient_a)
        event = uow.events.for_patient(clinic.patient_a)[-1]
    assert assignment is not None
    assert (assignment.progress_max_pain, assignment.progress_max_location) == (3, Location.BUTTOCK)
    assert (assignment.maintenance_sessions_per_day, assignment.progress_after_sessions) == (2, 6)
    assert (event.kind, event.reason, event.note) == (
        EventKind.SETTINGS_CHANGE,
        "rule settings",
        "Allow buttock ache",
    )
    assert assignment.run_since == event.at


@pytest.mark.parametrize(
    ("settings", "path"),
    [
        ({"min_days_at_stage": 7}, "settings.min_days_at_stage"),
        ({"progress_after_sessions": 2}, "settings.min_days_at_stage"),  # 3 days > 2 sessions
        ({"progress_max_pain": 11}, "settings.progress_max_pain"),
        ({"progress_max_location": "knee"}, "settings.progress_max_location"),
        ({"maintenance_sessions_per_day": 0}, "settings.maintenance_sessions_per_day"),
    ],
)
def test_api_plan_refuses_settings_out_of_range(
    clinic: Clinic, settings: dict[str, object], path: str
) -> None:
    answer = clinic.api("clinician_a").patch(
        f"/api/v1/patients/{clinic.patient_a}/plan", json={"settings": settings}
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["path"] == path


def test_a_clinicians_resume_note_is_in_the_timeline(clinic: Clinic) -> None:
    patient = clinic.api("patient_a")
    answers = {f.code: f.code == "night_pain_unremitting" for f in flags_for_session()}
    patient.post("/api/v1/me/screening", json={"answers": answers})
    doctor = clinic.api("clinician_a")
    base = f"/api/v1/patients/{clinic.patient_a}"
    (flag,) = [f for f in doctor.get(base).json()["red_flags"] if not f["resolved"]]
    doctor.post(f"{base}/red-flags/{flag['id']}/resolve", json={"outcome": "Seen: mechanical."})
    resumed = doctor.post(f"{base}/resume", json={"note": "Night pain settled; restart at 1"})
    assert resumed.status_code == 200, resumed.text
    page = clinic.client("clinician_a").get(f"/clinic/patients/{clinic.patient_a}").text
    assert "Night pain settled; restart at 1" in page


def _to_after_step(patient: TestClient, action_at_exercise: str = "next") -> str:
    page = patient.get("/session")
    assert page.status_code == 200, page.headers.get("location")
    html = page.text
    step = post_step(patient, html, action="next", **{f: "no" for f in flag_fields(html)})
    assert step is not None and "Before you start" in step
    step = post_step(patient, step, action="next", pain_before="2", location_before="back")
    assert step is not None and 'id="rep-trainer"' in step
    after = post_step(patient, step, action=action_at_exercise, reps="4")
    assert after is not None
    return after


def test_the_after_step_offers_a_skippable_rest_before_pain_now(clinic: Clinic) -> None:
    after = _to_after_step(clinic.client("patient_a"))
    assert "How was it?" in after
    assert 'id="rest-timer"' in after and 'data-rest-s="300"' in after
    assert "Rest for 5 minutes" in after
    assert ">Skip the rest</button>" in after
    assert '<script src="/static/rest.js" defer></script>' in after
    # Asked as now: after the rest, not "about 5 minutes after".
    assert "How bad is your pain now, after resting?" in after
    assert after.index('id="rest-timer"') < after.index("How bad is your pain now")
    assert after.index("worst pain during") < after.index('id="rest-timer"')


def test_stop_now_without_worsening_shows_the_decisions_rest_message(clinic: Clinic) -> None:
    patient = clinic.client("patient_a")
    stop = _to_after_step(patient, action_at_exercise="stop")
    assert "Stopping now" in stop
    done = post_step(patient, stop, action="next", pain_now="2", location_now="back")
    assert done is None  # saved, on to the decision
    decision = patient.get("/decision").text
    # R9 for a session stopped early (SPEC §3.3), not a generic "carry on".
    assert "Rest now. Try your next session only if your symptoms are no worse" in decision
    assert "carry on" not in decision.lower()
    assert "(R9)" in decision


def test_a_clinician_resumes_on_the_page_with_a_note_at_another_stage(clinic: Clinic) -> None:
    doctor_api = clinic.api("clinician_a")
    assert (
        doctor_api.patch(
            f"/api/v1/patients/{clinic.patient_a}/plan", json={"current_stage": 3}
        ).status_code
        == 200
    )
    patient = clinic.client("patient_a")
    stop = _to_after_step(patient, action_at_exercise="stop")
    post_step(patient, stop, action="next", pain_now="6", location_now="foot")  # R4: stop
    doctor = clinic.client("clinician_a")
    page = doctor.get(f"/clinic/patients/{clinic.patient_a}").text
    assert "Programme paused" in page
    bad = doctor.post(
        f"/clinic/patients/{clinic.patient_a}/resume",
        data={"csrf_token": form_token(page), "note": "x", "phase": "later"},
    )
    assert bad.status_code == 409
    assert "choose progression or maintenance" in bad.text
    done = doctor.post(
        f"/clinic/patients/{clinic.patient_a}/resume",
        data={
            "csrf_token": form_token(page),
            "note": "Foot symptoms gone on review; back to sitting",
            "phase": "progression",
            "current_stage": "2",
        },
    )
    assert done.status_code == 303
    with clinic.ctx.uow() as uow:
        assignment = uow.assignments.current_for(clinic.patient_a)
        event = uow.events.for_patient(clinic.patient_a)[-1]
    assert assignment is not None and assignment.current_stage == 2
    assert (event.kind, event.note) == (
        EventKind.RESUME,
        "Foot symptoms gone on review; back to sitting",
    )
    assert event.actor_user_id == clinic.clinician_a
    assert assignment.run_since == event.at


def test_a_clinics_patient_may_not_resume_even_with_the_answers(clinic: Clinic) -> None:
    api = clinic.api("patient_a")
    for body in ({}, {"assessed_by": "GP", "assessed_on": "2026-11-20", "told": "fine"}):
        assert api.post("/api/v1/me/resume", json=body).status_code == 403
