"""Helpers of the web tests: a cheap argon2id hasher, a populated clinic, signed-in clients."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from starlette.exceptions import StarletteDeprecationWarning

from spinestep.domain.model import DirectionalPreference
from spinestep.domain.redflags import flags_for_onboarding
from spinestep.services import accounts, onboarding
from spinestep.services.context import Actor, ServiceContext, SystemClock
from spinestep.services.login_throttle import DEFAULT_POLICY
from spinestep.services.onboarding import OnboardingInput
from spinestep.services.records import Role
from spinestep.settings import Settings
from spinestep.store.uow import open_store
from spinestep.web.app import create_app
from tests.support.cheap_hash import CheapArgon2id
from tests.support.schema_copy import at_newest_schema

with warnings.catch_warnings():
    # starlette asks for the httpx2 package; the installed httpx works the same here.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

__all__ = ["CheapArgon2id", "TestClient"]

PASSWORD = "a-long-test-password"
INSTALLER = Actor(role=Role.ADMIN, user_id=None, local=True)


@dataclass
class Clinic:
    """Accounts and records every access test needs: two clinicians each with a patient."""

    app: FastAPI
    ctx: ServiceContext
    admin_id: int
    clinician_a: int
    clinician_b: int
    patient_a_user: int
    patient_a: int  # patient record of clinician A
    patient_b_user: int
    patient_b: int  # patient record of clinician B
    emails: dict[str, str]
    engine: Engine

    def close(self) -> None:
        self.engine.dispose()

    def client(self, who: str | None = None) -> TestClient:
        """A browser-like client, signed in as ``who`` (admin, clinician_a, patient_a, ...)."""
        client = TestClient(self.app, follow_redirects=False)
        if who is not None:
            login(client, self.emails[who])
        return client

    def token(self, who: str) -> str:
        client = TestClient(self.app)
        response = client.post(
            "/api/v1/auth/token", json={"email": self.emails[who], "password": PASSWORD}
        )
        assert response.status_code == 201, response.text
        token: str = response.json()["token"]
        return token

    def api(self, who: str | None) -> TestClient:
        client = TestClient(self.app, follow_redirects=False)
        if who is not None:
            client.headers["authorization"] = f"Bearer {self.token(who)}"
        return client


def csrf_token(client: TestClient, url: str = "/login") -> str:
    response = client.get(url)
    found = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
    assert found, f"no CSRF token on {url} ({response.status_code})"
    return found.group(1)


def login(client: TestClient, email: str, password: str = PASSWORD) -> None:
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"csrf_token": token, "email": email, "password": password}
    )
    assert response.status_code == 303, response.text


def make_app(
    tmp_path: Path, database_url: str, **kwargs: Any
) -> tuple[FastAPI, ServiceContext, Engine]:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret-key",
        **kwargs.pop("settings", {}),
    )
    at_newest_schema(database_url)
    engine, uow = open_store(database_url)
    hasher = CheapArgon2id()
    clock = kwargs.pop("clock", SystemClock())
    app = create_app(
        settings,
        uow=uow,
        clock=clock,
        hasher=hasher,
        login_policy=kwargs.pop("login_policy", DEFAULT_POLICY),
    )
    if kwargs:
        raise TypeError(f"make_app: unknown options {sorted(kwargs)}")
    return app, ServiceContext(uow=uow, clock=clock, hasher=hasher), engine


def add_patient(
    ctx: ServiceContext,
    clinician_id: int | None,
    email: str,
    name: str,
    *,
    cleared: bool = True,
    stage: int = 1,
    time_zone: str = "Europe/London",
) -> tuple[int, int]:
    user = accounts.create_user(ctx, INSTALLER, email, name, Role.PATIENT, PASSWORD)
    assert user.id is not None
    actor = (
        Actor(role=Role.CLINICIAN, user_id=clinician_id)
        if clinician_id is not None
        else Actor(role=Role.PATIENT, user_id=user.id)
    )
    outcome = onboarding.onboard(
        ctx,
        actor,
        OnboardingInput(
            display_name=name,
            time_zone=time_zone,
            clearance=cleared,
            start_stage=stage,
            directional_preference=DirectionalPreference.FLEXION,
            red_flag_answers={flag.code: False for flag in flags_for_onboarding()},
            user_id=user.id,
            clinician_id=clinician_id,
            self_managed=clinician_id is None,
        ),
    )
    return user.id, outcome.patient_id


def build_clinic(tmp_path: Path, database_url: str, **kwargs: Any) -> Clinic:
    app, ctx, engine = make_app(tmp_path, database_url, **kwargs)
    emails = {
        "admin": "admin@clinic.example",
        "clinician_a": "anna@clinic.example",
        "clinician_b": "bert@clinic.example",
        "patient_a": "pat.a@home.example",
        "patient_b": "pat.b@home.example",
    }
    ids = {}
    for who, name, role in (
        ("admin", "Ada Admin", Role.ADMIN),
        ("clinician_a", "Anna Physio", Role.CLINICIAN),
        ("clinician_b", "Bert Physio", Role.CLINICIAN),
    ):
        user = accounts.create_user(ctx, INSTALLER, emails[who], name, role, PASSWORD)
        assert user.id is not None
        ids[who] = user.id
    pa_user, pa = add_patient(ctx, ids["clinician_a"], emails["patient_a"], "Zebulon Quillfeather")
    pb_user, pb = add_patient(ctx, ids["clinician_b"], emails["patient_b"], "Yolanda Brightwater")
    return Clinic(
        app=app,
        ctx=ctx,
        admin_id=ids["admin"],
        clinician_a=ids["clinician_a"],
        clinician_b=ids["clinician_b"],
        patient_a_user=pa_user,
        patient_a=pa,
        patient_b_user=pb_user,
        patient_b=pb,
        emails=emails,
        engine=engine,
    )


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def screen_by_api(client: TestClient) -> None:
    """Answer "no" to every safety question due now through the API, as an app does before
    each session (SPEC §3.5: a session needs a check taken since the previous one)."""
    due = client.get("/api/v1/me/screening-questions")
    assert due.status_code == 200, due.text
    answers = {question["code"]: False for question in due.json()}
    checked = client.post("/api/v1/me/screening", json={"answers": answers})
    assert checked.status_code == 201, checked.text
