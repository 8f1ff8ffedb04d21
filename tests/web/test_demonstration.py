"""The exercise demonstration on the API and the guided session page, at the patient's dose.

On SQLite and PostgreSQL: ``GET /api/v1/me/demonstration`` gives the keyframes and the
timing of one repetition with the hold of the patient's own dose; the session page
draws each key position as inline SVG (what a browser without JavaScript shows) and
hands the same numbers to its script.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from spinestep.domain.model import Dose
from spinestep.protocols import load_builtin
from spinestep.web.demonstration import demonstration_out, demonstration_values, figure_svg
from tests.web.pageflow import flag_fields, post_step
from tests.web.support import Clinic

PLAN = "/api/v1/patients/{}/plan"


def exercise_page(clinic: Clinic) -> str:
    client = clinic.client("patient_a")
    page = client.get("/session")
    assert page.status_code == 200
    step = post_step(
        client, page.text, action="next", **dict.fromkeys(flag_fields(page.text), "no")
    )
    assert step is not None
    step = post_step(client, step, action="next", pain_before="2", location_before="back")
    assert step is not None and 'id="session-form"' in step
    return step


def page_demo(page: str) -> dict[str, Any]:
    found = re.search(r'data-demo="([^"]+)"', page)
    assert found, "the page hands no demonstration to its script"
    loaded: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return loaded


def test_the_api_gives_the_current_stage_demonstration_at_the_default_dose(clinic: Clinic) -> None:
    answer = clinic.api("patient_a").get("/api/v1/me/demonstration")
    assert answer.status_code == 200, answer.text
    demo = answer.json()["demonstration"]
    assert (demo["stage"], demo["stage_id"], demo["posture"]) == (1, "supine", "lying")
    assert demo["reps"] == 10 and demo["hold_s"] == 2  # SPEC §2: hold 1-2 s, counted down 2
    assert [k["name"] for k in demo["keyframes"]] == ["start", "end"]
    assert set(demo["keyframes"][0]["angles"]) == {
        "trunk",
        "hip",
        "knee",
        "ankle",
        "shoulder",
        "elbow",
    }
    assert demo["repetition"] == [
        {"phase": "move", "start_s": 0, "end_s": 2},
        {"phase": "hold", "start_s": 2, "end_s": 4},
        {"phase": "return", "start_s": 4, "end_s": 6},
        {"phase": "rest", "start_s": 6, "end_s": 7},
    ]
    assert demo["repetition_s"] == 7


def test_the_api_follows_a_dose_the_clinician_changed(clinic: Clinic) -> None:
    doctor = clinic.api("clinician_a")
    dose = {"reps": 4, "hold_s": [3, 6], "sessions_per_day": 3}
    moved = doctor.patch(PLAN.format(clinic.patient_a), json={"current_stage": 2, "dose": dose})
    assert moved.status_code == 200, moved.text
    demo = clinic.api("patient_a").get("/api/v1/me/demonstration").json()["demonstration"]
    assert (demo["stage_id"], demo["posture"], demo["reps"], demo["hold_s"]) == (
        "seated",
        "sitting",
        4,
        6,
    )
    hold = next(span for span in demo["repetition"] if span["phase"] == "hold")
    assert hold["end_s"] - hold["start_s"] == 6
    assert demo["move_cue"] == "Bend forward" and demo["return_cue"] == "Sit up"


def test_only_the_patient_reads_their_demonstration(clinic: Clinic) -> None:
    assert clinic.api(None).get("/api/v1/me/demonstration").status_code == 401
    refused = clinic.api("clinician_a").get("/api/v1/me/demonstration")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"]


def test_the_session_page_draws_each_position_and_uses_the_dose_hold(clinic: Clinic) -> None:
    doctor = clinic.api("clinician_a")
    dose = {"reps": 3, "hold_s": [4, 5], "sessions_per_day": 3}
    moved = doctor.patch(PLAN.format(clinic.patient_a), json={"current_stage": 3, "dose": dose})
    assert moved.status_code == 200, moved.text
    page = exercise_page(clinic)
    # Drawn on the server: without JavaScript the two key positions show still, with words.
    figures = re.findall(r'<svg class="demo-figure"[^>]*data-keyframe="([a-z_]+)"', page)
    assert figures == ["start", "end"]
    assert "End - bent forward, hands slid down the front of your legs" in page
    assert page.count('data-segment="thigh"') == 2
    assert "Move, hold for 5 s, move back · 3 times" in page
    demo = page_demo(page)
    assert demo["hold_s"] == 5 and demo["reps"] == 3 and demo["stage_id"] == "standing"
    api = clinic.api("patient_a").get("/api/v1/me/demonstration").json()["demonstration"]
    assert demo == api
    # The manual form stays as it was: same form, same field names.
    assert 'id="session-form"' in page and "data-offline-session" in page
    assert re.search(r'<input id="reps" name="reps" type="number"', page)
    assert 'name="action" value="stop"' in page
    assert '<script type="module" src="/static/follow-along.js"></script>' in page


def test_a_position_to_rest_in_is_drawn_once_and_held(clinic: Clinic) -> None:
    doctor = clinic.api("clinician_a")
    switched = doctor.patch(
        PLAN.format(clinic.patient_a),
        json={
            "protocol": "lumbar-extension",
            "current_stage": 1,
            "directional_preference": "extension",
            "clearance": True,
            "reason": "Extension found to ease the pain",
        },
    )
    assert switched.status_code == 200, switched.text
    page = exercise_page(clinic)
    assert re.findall(r'<svg class="demo-figure"[^>]*data-keyframe="([a-z_]+)"', page) == ["rest"]
    assert "Stay in this position for 180 s · 1 time" in page
    demo = page_demo(page)
    assert [span["phase"] for span in demo["repetition"]] == ["hold", "rest"]


def test_a_stage_without_a_demonstration_keeps_the_plain_drawing() -> None:
    stage = load_builtin("lumbar-flexion").stages[0]
    bare = type(stage)(stage.number, stage.id, stage.title, stage.instructions, stage.dose)
    assert demonstration_out(bare, stage.dose) is None
    assert demonstration_values(bare, stage.dose) == {
        "demonstration": None,
        "demonstration_json": "",
        "stills": [],
    }


def test_figure_labels_are_escaped() -> None:
    stage = load_builtin("lumbar-flexion").stages[1]
    assert stage.demonstration is not None
    svg = figure_svg(stage.demonstration, stage.demonstration.keyframes[0], 'Sit "<b>"')
    assert 'aria-label="Sit &#34;&lt;b&gt;&#34;: Start' in svg
    assert "<b>" not in svg
    out = demonstration_out(stage, Dose(10, 1, 2, 5))
    assert out is not None and out.keyframes[0].rotations["thigh"] == 180 - 90
