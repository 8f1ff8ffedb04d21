"""Pages and API apply one password rule: taken exactly as typed, 12+ characters, not common."""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.web.pageflow import form_token
from tests.web.support import PASSWORD, Clinic, TestClient, build_clinic, make_app

REFUSED = {
    " spaced out passphrase ": "new_password: must not start or end with a space",
    "password1234": "new_password: is a common password",
    "Dragon2024!!": "new_password: is a common password",
    "Zr8#pW2m!kQ": "new_password: must be at least 12 characters",
    "            ": "new_password: must not be empty or only spaces",
    "gggggggggggggggg": "new_password: must not be one character repeated",
}


def page_text(response_text: str) -> str:
    return html.unescape(response_text)


def page_login(client: TestClient, email: str, password: str) -> int:
    token = form_token(client.get("/login").text)
    data = {"csrf_token": token, "email": email, "password": password}
    return client.post("/login", data=data).status_code


@pytest.mark.parametrize(("password", "message"), REFUSED.items())
def test_page_and_api_refuse_a_new_password_with_the_same_words(
    clinic: Clinic, password: str, message: str
) -> None:
    page = clinic.client("clinician_a")
    token = form_token(page.get("/account").text)
    on_page = page.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": PASSWORD,
            "new_password": password,
            "new_password_again": password,
        },
    )
    assert on_page.status_code == 422
    assert message in page_text(on_page.text)
    by_api = clinic.api("clinician_b").post(
        "/api/v1/account/password",
        json={"current_password": PASSWORD, "new_password": password},
    )
    assert by_api.status_code == 422
    assert by_api.json()["error"]["message"].startswith(message)
    assert by_api.json()["error"]["path"] == "new_password"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("password1234", "password: is a common password"),
        (" leading space passphrase", "password: must not start or end with a space"),
    ],
)
def test_invitations_refuse_the_same_passwords_on_the_page_and_the_api(
    clinic: Clinic, password: str, message: str
) -> None:
    clinician = clinic.api("clinician_a")
    links = [
        clinician.post(
            "/api/v1/invites", json={"email": f"new{n}@home.example", "display_name": "New"}
        ).json()["url"]
        for n in range(2)
    ]
    by_api = clinic.api(None).post(
        "/api/v1/invites/accept",
        json={"token": links[0].rsplit("/", 1)[1], "display_name": "New", "password": password},
    )
    assert by_api.status_code == 422
    assert by_api.json()["error"]["message"].startswith(message)
    browser = clinic.client()
    invite_page = browser.get(urlsplit(links[1]).path)
    on_page = browser.post(
        "/invite",
        data={
            "csrf_token": form_token(invite_page.text),
            "token": links[1].rsplit("/", 1)[1],
            "display_name": "New",
            "password": password,
        },
    )
    assert on_page.status_code == 422
    assert message in page_text(on_page.text)


@pytest.fixture
def fresh(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    app, _, engine = make_app(tmp_path, database_url)
    yield TestClient(app, follow_redirects=False)
    engine.dispose()


def test_first_run_setup_refuses_a_common_password(fresh: TestClient) -> None:
    token = form_token(fresh.get("/setup").text)
    form = {"csrf_token": token, "display_name": "Ada", "email": "ada@clinic.example"}
    refused = fresh.post("/setup", data=form | {"password": "Password2024!"})
    assert refused.status_code == 422
    assert "password: is a common password" in page_text(refused.text)
    spaced = fresh.post("/setup", data=form | {"password": PASSWORD + " "})
    assert spaced.status_code == 422
    assert "password: must not start or end with a space" in page_text(spaced.text)
    assert fresh.post("/setup", data=form | {"password": PASSWORD}).status_code == 303


def test_a_password_with_surrounding_spaces_signs_in_as_typed(
    tmp_path: Path, database_url: str
) -> None:
    """Set through the API before the rule, a password could end in a space: the sign-in
    page used to strip it and refuse the person; now both take it exactly as typed."""
    clinic = build_clinic(tmp_path, database_url)
    try:
        typed = "ends with a space "
        with clinic.ctx.uow() as uow:
            user = uow.users.get(clinic.clinician_a)
            assert user is not None and clinic.ctx.hasher is not None
            uow.users.update(replace(user, password_hash=clinic.ctx.hasher.hash(typed)))
            uow.commit()
        email = clinic.emails["clinician_a"]
        assert page_login(clinic.client(), email, typed) == 303
        by_api = clinic.api(None).post(
            "/api/v1/auth/token", json={"email": email, "password": typed}
        )
        assert by_api.status_code == 201
    finally:
        clinic.close()


def test_page_and_api_sign_in_treat_spaces_around_a_password_alike(clinic: Clinic) -> None:
    email = clinic.emails["patient_a"]
    for typed, page_status, api_status in (
        (f" {PASSWORD} ", 303, 201),  # an old password stored stripped still signs in
        (f"{PASSWORD}x", 401, 401),
    ):
        on_page = page_login(clinic.client(), email, typed)
        by_api = clinic.api(None).post(
            "/api/v1/auth/token", json={"email": email, "password": typed}
        )
        assert (on_page, by_api.status_code) == (page_status, api_status)
