"""The camera's angle series with a session, on the guided-session page and through the API.

The server counts again with ``analyze_angle_series`` (the code of ``spinestep analyze``)
and stores that as the session's motion metrics; the patient's repetitions stay the
session's ``reps``. Refused footage still saves the session; a malformed series, or one
of another exercise, stores nothing. SQLite and PostgreSQL.
"""

from __future__ import annotations

import html
import logging
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.web.pageflow import flag_fields
from tests.web.support import Clinic, TestClient, screen_by_api
from tests.web.test_motion_series_parse import (
    MALFORMED,
    compact,
    expected_metrics,
    longest_series_at_the_cap,
    rep_frames,
    series_json,
    series_strategy,
)

_HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')


def _stored(clinic: Clinic) -> list[Any]:
    with clinic.ctx.uow() as uow:
        return list(uow.sessions.for_patient(clinic.patient_a))


def _body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "pain_before": 3,
        "pain_during": 2,
        "pain_after": 2,
        "location_before": "thigh",
        "location_after": "buttock",
        "effort": "easy",
        "reps": 8,
    }
    body.update(overrides)
    return body


# --- API -------------------------------------------------------------------------------


def test_api_stores_the_servers_recount_and_keeps_the_given_reps(clinic: Clinic) -> None:
    data = series_json(live=(5, 2))
    response = clinic.api("patient_a").post("/api/v1/me/sessions", json=_body(motion_series=data))
    assert response.status_code == 201, response.text
    (stored,) = _stored(clinic)
    expected = expected_metrics(data)
    assert expected["reps"] == 3 and expected["side_view"] is True
    assert stored.motion == expected
    assert stored.reps == 8  # the number the patient gave, not a count of the camera
    assert response.json()["motion"] == expected
    assert response.json()["session"]["reps"] == 8


def test_api_keeps_a_session_whose_footage_is_refused(clinic: Clinic) -> None:
    data = series_json(rep_frames(yaw_deg=70.0))  # from the front
    response = clinic.api("patient_a").post("/api/v1/me/sessions", json=_body(motion_series=data))
    assert response.status_code == 201, response.text
    (stored,) = _stored(clinic)
    assert stored.motion == expected_metrics(data)
    assert stored.motion["reps"] == 0 and stored.motion["held_count"] == 0
    assert stored.motion["side_view"] is False
    assert stored.reps == 8


def test_api_refuses_every_malformed_series_and_stores_nothing(clinic: Clinic) -> None:
    client = clinic.api("patient_a")
    for name, data, path in MALFORMED:
        response = client.post("/api/v1/me/sessions", json=_body(motion_series=data))
        assert response.status_code == 422, (name, response.text)
        error = response.json()["error"]
        assert error["code"] == "invalid_input"
        assert error["path"].endswith(path), (name, error)
    assert _stored(clinic) == []


def test_api_refuses_a_series_of_another_exercise(clinic: Clinic) -> None:
    data = series_json(stage="standing")  # the patient is at stage 1, supine
    response = clinic.api("patient_a").post("/api/v1/me/sessions", json=_body(motion_series=data))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["path"] == "motion_series.stage"
    assert "standing" in error["message"] and "supine" in error["message"]
    assert _stored(clinic) == []


def test_api_without_a_series_keeps_no_motion(clinic: Clinic) -> None:
    response = clinic.api("patient_a").post("/api/v1/me/sessions", json=_body())
    assert response.status_code == 201, response.text
    assert response.json()["motion"] is None
    assert _stored(clinic)[0].motion is None


def test_a_body_over_the_limit_is_refused_before_it_is_read(clinic: Clinic) -> None:
    # Full float precision (not rounded as the page sends them): past the 1 MiB limit.
    frames = [
        [i * 33, 12.345678901234567, 0.9123456789012345, 5.123456789012345, 0.5123456789012345]
        for i in range(18_000)
    ]
    response = clinic.api("patient_a").post(
        "/api/v1/me/sessions", json=_body(motion_series=series_json(frames))
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert _stored(clinic) == []


def test_the_live_difference_is_logged_as_a_number_only(
    clinic: Clinic, caplog: pytest.LogCaptureFixture
) -> None:
    data = series_json(live=(12, 1))
    client = clinic.api("patient_a")
    with caplog.at_level(logging.DEBUG):
        response = client.post(
            "/api/v1/me/sessions", json=_body(pain_before=7, pain_after=6, motion_series=data)
        )
    assert response.status_code == 201, response.text
    (stored,) = _stored(clinic)
    lines = [r for r in caplog.records if r.name == "spinestep.web.motion_series"]
    assert len(lines) == 1
    size = abs(12 - stored.motion["reps"]) + abs(1 - stored.motion["held_count"])
    assert lines[0].args == (size,)
    # Nothing of the series, the session or the patient in any log line of the request.
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for value in ("97.3", "4.7", "0.91", "supine", "lite", "pain", "Zebulon"):
        assert value not in logged
    assert lines[0].getMessage() == lines[0].msg % (size,)  # the one number, nothing else


# --- the guided-session page -------------------------------------------------------------


def _hidden(page: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in _HIDDEN.findall(page)}


def _post(client: TestClient, page: str, **fields: str) -> Any:
    return client.post("/session", data={**_hidden(page), **fields})


def _to_exercise(client: TestClient) -> str:
    page = client.get("/session").text
    check = _post(client, page, action="next", **{f: "no" for f in flag_fields(page)})
    assert "Before you start" in check.text
    exercise = _post(client, check.text, action="next", pain_before="3", location_before="thigh")
    assert exercise.status_code == 200
    return str(exercise.text)


_AFTER = {
    "action": "next",
    "pain_during": "2",
    "pain_after": "2",
    "location_after": "buttock",
    "effort": "easy",
}


def test_page_carries_the_series_to_the_save_and_stores_the_recount(clinic: Clinic) -> None:
    client = clinic.client("patient_a")
    data = series_json(live=(4, 4))
    exercise = _to_exercise(client)
    after = _post(client, exercise, action="next", reps="7", motion_series=compact(data))
    assert after.status_code == 200 and "How was it?" in after.text
    assert _hidden(after.text)["motion_series"] == compact(data)
    missing_effort = _post(client, after.text, **{**_AFTER, "effort": ""})
    assert missing_effort.status_code == 422
    assert _hidden(missing_effort.text)["motion_series"] == compact(data)  # still carried
    assert _stored(clinic) == []
    done = _post(client, missing_effort.text, **_AFTER)
    assert done.status_code == 303 and done.headers["location"] == "/decision"
    (stored,) = _stored(clinic)
    assert stored.motion == expected_metrics(data)
    assert stored.reps == 7


def test_page_saves_refused_footage_and_says_so_on_the_decision_page(clinic: Clinic) -> None:
    client = clinic.client("patient_a")
    data = series_json(rep_frames(detected_every=3))  # a person in a third of the frames
    exercise = _to_exercise(client)
    after = _post(client, exercise, action="next", reps="10", motion_series=compact(data))
    done = _post(client, after.text, **_AFTER)
    assert done.status_code == 303
    assert done.headers["location"] == "/decision?camera=refused"
    (stored,) = _stored(clinic)
    assert stored.reps == 10
    assert stored.motion == expected_metrics(data)
    assert stored.motion["reps"] == 0 and stored.motion["side_view"] is False
    decision = client.get(done.headers["location"])
    assert 'id="camera-refused"' in decision.text
    assert "saved with the repetitions you entered" in decision.text
    assert 'id="camera-refused"' not in client.get("/decision").text


@pytest.mark.parametrize(
    ("name", "data", "path"), MALFORMED[::4], ids=[m[0] for m in MALFORMED[::4]]
)
def test_page_refuses_a_malformed_series_at_the_exercise_step(
    clinic: Clinic, name: str, data: Any, path: str
) -> None:
    client = clinic.client("patient_a")
    exercise = _to_exercise(client)
    refused = _post(client, exercise, action="next", reps="10", motion_series=compact(data))
    assert refused.status_code == 422
    assert "camera" in refused.text and html.escape(path, quote=False) in refused.text
    assert "motion_series" not in _hidden(refused.text)
    assert _stored(clinic) == []


def test_page_refuses_a_series_changed_before_the_save_and_stores_nothing(
    clinic: Clinic,
) -> None:
    client = clinic.client("patient_a")
    exercise = _to_exercise(client)
    after = _post(client, exercise, action="next", reps="10", motion_series=compact(series_json()))
    fields = {**_AFTER, "motion_series": '{"v": 1, "frames": "none"}'}
    refused = _post(client, after.text, **fields)
    assert refused.status_code == 422
    assert "could not be used" in refused.text
    assert "motion_series" not in _hidden(refused.text)  # dropped: sending again saves
    assert _stored(clinic) == []
    done = _post(client, refused.text, **_AFTER)
    assert done.status_code == 303
    assert _stored(clinic)[0].motion is None


def test_page_refuses_a_series_of_another_exercise(clinic: Clinic) -> None:
    client = clinic.client("patient_a")
    exercise = _to_exercise(client)
    data = series_json(stage="seated")
    refused = _post(client, exercise, action="next", reps="10", motion_series=compact(data))
    assert refused.status_code == 422
    assert "seated" in refused.text and "supine" in refused.text
    # Sent past the exercise step anyway (the hidden field altered): the save refuses it.
    after = _post(client, exercise, action="next", reps="10", motion_series=compact(series_json()))
    refused = _post(client, after.text, **{**_AFTER, "motion_series": compact(data)})
    assert refused.status_code == 422
    assert "seated" in refused.text
    assert _stored(clinic) == []


def test_stop_now_is_never_refused_for_a_series_and_keeps_none(clinic: Clinic) -> None:
    client = clinic.client("patient_a")
    exercise = _to_exercise(client)
    after = _post(client, exercise, action="next", reps="4", motion_series=compact(series_json()))
    stop = _post(client, after.text, action="stop", motion_series="not json")
    assert stop.status_code == 200 and "Stopping now" in stop.text
    assert "motion_series" not in _hidden(stop.text)
    done = _post(client, stop.text, action="next", pain_now="6", location_now="thigh")
    assert done.status_code == 303
    (stored,) = _stored(clinic)
    assert stored.stopped_early and stored.motion is None


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    database=None,
)
@given(data=series_strategy(stage="supine"))
def test_api_stores_the_recount_of_any_well_formed_series(
    clinic: Clinic, data: dict[str, Any]
) -> None:
    client = clinic.api("patient_a")
    screen_by_api(client)
    before = len(_stored(clinic))
    response = client.post("/api/v1/me/sessions", json=_body(motion_series=data))
    assert response.status_code == 201, response.text
    stored = _stored(clinic)
    assert len(stored) == before + 1
    newest = max(stored, key=lambda s: s.id)
    assert newest.motion == expected_metrics(data)


def test_page_takes_a_series_at_the_frame_cap_form_encoded(clinic: Clinic) -> None:
    client = clinic.client("patient_a")
    data = longest_series_at_the_cap()
    exercise = _to_exercise(client)
    after = _post(client, exercise, action="next", reps="10", motion_series=compact(data))
    assert after.status_code == 200, after.text[:300]
    done = _post(client, after.text, **_AFTER)
    assert done.status_code == 303
    (stored,) = _stored(clinic)
    assert stored.motion == expected_metrics(data)


def test_sessions_with_refused_footage_show_and_export_without_error(clinic: Clinic) -> None:
    patient = clinic.api("patient_a")
    for data in (series_json(rep_frames(yaw_deg=70.0)), series_json()):
        screen_by_api(patient)
        saved = patient.post("/api/v1/me/sessions", json=_body(motion_series=data))
        assert saved.status_code == 201, saved.text
    refused, counted = sorted(_stored(clinic), key=lambda s: s.id)
    assert refused.motion["side_view"] is False and counted.motion["reps"] == 3
    me = clinic.client("patient_a")
    physio = clinic.client("clinician_a")
    pages = [
        (me, "/history"),
        (me, "/today"),
        (me, "/my-data/records.fhir.json"),
        (me, "/my-data/sessions.csv"),
        (physio, f"/clinic/patients/{clinic.patient_a}"),
        (physio, f"/clinic/patients/{clinic.patient_a}/records.fhir.json"),
        (physio, f"/clinic/patients/{clinic.patient_a}/sessions.csv"),
        (physio, f"/clinic/patients/{clinic.patient_a}/report.pdf"),
    ]
    for client, url in pages:
        assert client.get(url).status_code == 200, url
    for url in ("/api/v1/me/history", "/api/v1/me/export", "/api/v1/me/rom"):
        assert patient.get(url).status_code == 200, url
