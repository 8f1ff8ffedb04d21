"""CSRF, cookies, security headers, no third-party assets, signed sessions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spinestep.web.security import SessionSigner
from tests.web.pageflow import form_token
from tests.web.support import PASSWORD, Clinic

STATIC = Path(__file__).parents[2] / "src" / "spinestep" / "web" / "static"
TEMPLATES = Path(__file__).parents[2] / "src" / "spinestep" / "web" / "templates"


def test_a_form_without_its_token_is_refused(clinic: Clinic) -> None:
    client = clinic.client("clinician_a")
    url = f"/clinic/patients/{clinic.patient_a}/resume"
    assert client.post(url, data={"note": "x"}).status_code == 403
    assert client.post(url, data={"note": "x", "csrf_token": "forged"}).status_code == 403


def test_a_token_of_another_session_is_refused(clinic: Clinic) -> None:
    victim = clinic.client("clinician_a")
    attacker = clinic.client("clinician_b")
    stolen = form_token(attacker.get("/clinic").text)
    url = f"/clinic/patients/{clinic.patient_a}/resume"
    assert victim.post(url, data={"note": "x", "csrf_token": stolen}).status_code == 403


def test_the_sign_in_form_needs_its_token_too(clinic: Clinic) -> None:
    client = clinic.client()
    client.get("/login")
    response = client.post(
        "/login", data={"email": clinic.emails["patient_a"], "password": PASSWORD}
    )
    assert response.status_code == 403


def test_session_cookie_is_httponly_and_samesite(clinic: Clinic) -> None:
    response = clinic.client().get("/login")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("spinestep_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()


def test_signing_in_rotates_the_session(clinic: Clinic) -> None:
    client = clinic.client()
    before = form_token(client.get("/login").text)
    token_before = client.cookies["spinestep_session"]
    client.post(
        "/login",
        data={"csrf_token": before, "email": clinic.emails["patient_a"], "password": PASSWORD},
    )
    assert client.cookies["spinestep_session"] != token_before
    assert form_token(client.get("/history").text) != before


def test_security_headers_forbid_third_party_content(clinic: Clinic) -> None:
    response = clinic.client().get("/login")
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


def test_no_page_or_asset_refers_to_another_server() -> None:
    external = re.compile(r"(https?:)?//(?!www\.w3\.org/2000/svg)[a-z0-9.-]+\.[a-z]{2,}", re.I)
    offenders = []
    vendored = STATIC / "vendor"  # third-party files: see tests/web/test_pose_assets.py
    for path in [*STATIC.rglob("*"), *TEMPLATES.rglob("*")]:
        if vendored in path.parents:
            continue
        # Images such as the PNG icons are bytes; what they could name is still text.
        if path.is_file() and external.search(path.read_bytes().decode("utf-8", "replace")):
            offenders.append(path.name)
    assert offenders == []


def test_static_assets_are_served_by_the_app(clinic: Clinic) -> None:
    client = clinic.client()
    for name in (
        "app.css",
        "session.js",
        "img/stage-supine.svg",
        "img/stage-seated.svg",
        "img/stage-standing.svg",
        "img/stage-prone_press_up.svg",
    ):
        assert client.get(f"/static/{name}").status_code == 200, name


@given(st.text(max_size=300))
def test_a_forged_or_garbled_cookie_is_never_a_session(cookie: str) -> None:
    signer = SessionSigner(b"k")
    assert signer.load(cookie) is None


@given(st.one_of(st.none(), st.text(min_size=1, max_size=40)))
def test_a_signed_session_round_trips_and_tampering_breaks_it(account: str | None) -> None:
    signer = SessionSigner(b"k")
    session = signer.new_session(account, now_s=1000.0)
    dumped = signer.dump(session)
    assert signer.load(dumped, now_s=1001.0) == session
    body, _, mac = dumped.partition(".")
    assert signer.load(body + "." + mac[::-1], now_s=1001.0) is None or mac == mac[::-1]
    assert SessionSigner(b"other").load(dumped, now_s=1001.0) is None
    assert signer.load(dumped, now_s=session.expires_at + 1.0) is None


@pytest.mark.parametrize("status_path", ["/no-such-page", "/api/v1/no-such-route"])
def test_unknown_paths_are_404_not_500(clinic: Clinic, status_path: str) -> None:
    assert clinic.client().get(status_path).status_code == 404
