"""Two app instances on one database answer as one: the app keeps nothing between requests.

Each test builds a second app on the clinic's database (as a second server process
would be) and checks that a change made through one is seen by the very next request
to the other, and through the services (the terminal coach) by both. The real
two-process check, with ``spinestep serve``, is ``test_processes_serve.py``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from spinestep.cli.main import build_app
from spinestep.services.clinician import adjust
from spinestep.services.context import Actor
from spinestep.services.records import Role
from tests.web.pageflow import form_token
from tests.web.support import Clinic, TestClient, login, make_app

STOP_NOW = {"pain_before": 3, "pain_now": 6, "location_before": "thigh", "location_now": "foot"}


@pytest.fixture
def other_app(clinic: Clinic, tmp_path: Path, database_url: str) -> Iterator[FastAPI]:
    app, _ctx, engine = make_app(tmp_path / "other", database_url)
    yield app
    engine.dispose()


def _with_token(app: FastAPI, token: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    client.headers["authorization"] = f"Bearer {token}"
    return client


def _plan(client: TestClient) -> dict[str, object]:
    response = client.get("/api/v1/me/plan")
    assert response.status_code == 200, response.text
    plan: dict[str, object] = response.json()
    return plan


def _stage(client: TestClient) -> object:
    stage = _plan(client)["stage"]
    assert isinstance(stage, dict)
    return stage["number"]


def test_a_clinicians_change_in_one_app_is_seen_by_the_next_request_to_the_other(
    clinic: Clinic, other_app: FastAPI
) -> None:
    token = clinic.token("patient_a")
    here, there = _with_token(clinic.app, token), _with_token(other_app, token)
    physio_here = _with_token(clinic.app, clinic.token("clinician_a"))
    physio_there = _with_token(other_app, clinic.token("clinician_a"))
    url = f"/api/v1/patients/{clinic.patient_a}/plan"
    for stage, writer in ((2, physio_here), (3, physio_there), (1, physio_here)):
        before = (_stage(here), _stage(there))  # both read: nothing may keep these
        assert before[0] == before[1]
        assert writer.patch(url, json={"current_stage": stage}).status_code == 200
        assert (_stage(there), _stage(here)) == (stage, stage)


def test_a_write_through_the_services_is_seen_by_every_app_at_once(
    clinic: Clinic, other_app: FastAPI
) -> None:
    token = clinic.token("patient_a")
    here, there = _with_token(clinic.app, token), _with_token(other_app, token)
    assert (_stage(here), _stage(there)) == (1, 1)
    adjust(
        clinic.ctx,
        Actor(role=Role.CLINICIAN, user_id=clinic.clinician_a),
        clinic.patient_a,
        stage=2,
    )
    assert (_stage(here), _stage(there)) == (2, 2)


def test_a_pause_in_one_app_holds_at_once_in_the_other(clinic: Clinic, other_app: FastAPI) -> None:
    token = clinic.token("patient_a")
    here, there = _with_token(clinic.app, token), _with_token(other_app, token)
    assert _plan(there)["paused"] is False
    assert here.post("/api/v1/me/stop-now", json=STOP_NOW).status_code == 201
    assert _plan(there)["paused"] is True


def test_a_revoked_token_stops_working_at_once_in_every_app(
    clinic: Clinic, other_app: FastAPI
) -> None:
    token = clinic.token("patient_a")
    here, there = _with_token(clinic.app, token), _with_token(other_app, token)
    assert _plan(there)["paused"] is False
    assert here.delete("/api/v1/auth/token").status_code == 204
    assert there.get("/api/v1/me/plan").status_code == 401


def test_a_deactivation_in_one_app_holds_at_once_in_the_other(
    clinic: Clinic, other_app: FastAPI
) -> None:
    patient = TestClient(other_app, follow_redirects=False)
    login(patient, clinic.emails["patient_a"])
    api = _with_token(other_app, clinic.token("patient_a"))
    assert patient.get("/today").status_code == 200
    assert api.get("/api/v1/me/plan").status_code == 200
    admin = _with_token(clinic.app, clinic.token("admin"))
    response = admin.patch(f"/api/v1/admin/users/{clinic.patient_a_user}", json={"active": False})
    assert response.status_code == 200, response.text
    assert patient.get("/today").status_code == 303  # to the sign-in page
    assert api.get("/api/v1/me/plan").status_code == 401


def test_signing_out_in_one_app_ends_the_session_in_the_other(
    clinic: Clinic, other_app: FastAPI
) -> None:
    here = clinic.client("patient_a")
    there = TestClient(other_app, follow_redirects=False)
    there.cookies.update(here.cookies)
    assert there.get("/today").status_code == 200
    token = form_token(here.get("/today").text)
    assert here.post("/logout", data={"csrf_token": token}).status_code == 303
    assert there.get("/today").status_code == 303


def test_serve_with_workers_hands_uvicorn_a_factory_that_builds_the_app_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    from spinestep.cli import web as web_cli

    started: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.update(options, app=app))
    monkeypatch.setenv("SPINESTEP_DATA_DIR", str(tmp_path / "data"))
    for name in ("DATABASE_URL", "HOST", "PORT", "SECRET_KEY"):  # restored after the test
        monkeypatch.setenv(f"SPINESTEP_{name}", "")
        monkeypatch.delenv(f"SPINESTEP_{name}")
    url = f"sqlite:///{tmp_path / 'served.db'}"
    args = ["serve", "--port", "8123", "--database-url", url, "--workers", "3"]
    result = CliRunner().invoke(build_app(), [*args, "--read-cache-s", "5"])
    assert result.exit_code == 0, result.output
    assert "running at http://127.0.0.1:8123/" in result.stdout
    assert (started["workers"], started["factory"], started["proxy_headers"]) == (3, True, False)
    module, _, name = str(started["app"]).partition(":")
    assert module == web_cli.__name__
    # The workers find the command line's database and port in the environment; the
    # secret key was made once, before they start, so all of them sign cookies alike.
    assert os.environ["SPINESTEP_DATABASE_URL"] == url
    assert os.environ["SPINESTEP_PORT"] == "8123"
    assert (tmp_path / "data" / "secret_key").exists()
    worker = getattr(web_cli, name)()
    assert TestClient(worker).get("/api/v1/health").status_code == 200


def test_serve_refuses_a_worker_count_out_of_range() -> None:
    result = CliRunner().invoke(build_app(), ["serve", "--workers", "0"])
    assert result.exit_code == 2
    assert "--workers" in result.output
