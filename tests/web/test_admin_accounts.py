"""Account management: deactivate/reactivate, own password change (resets by link are in
``test_password_reset_links.py``).

Pages and API alike, on SQLite and PostgreSQL (the ``clinic`` fixture). Every client is
warmed up first, so a refusal after a change shows that nothing read before it is kept.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from spinestep.services import privacy
from spinestep.services.login_throttle import ThrottlePolicy
from tests.web.support import (
    INSTALLER,
    PASSWORD,
    Clinic,
    TestClient,
    build_clinic,
    csrf_token,
    login,
)

NEW_PASSWORD = "another-long-passphrase"
ACCESS_LINE = re.compile(r"^(GET|POST|PATCH) /[A-Za-z0-9_/{}.\-]* \d{3} \d+\.\dms$")


def _token_status(clinic: Clinic, who: str, password: str) -> int:
    response = TestClient(clinic.app).post(
        "/api/v1/auth/token", json={"email": clinic.emails[who], "password": password}
    )
    return response.status_code


def _page_login_status(clinic: Clinic, who: str, password: str) -> int:
    client = clinic.client(None)
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"csrf_token": token, "email": clinic.emails[who], "password": password}
    )
    return response.status_code


def _admin_form(admin: TestClient, action: str, **fields: str) -> TestClient:
    fields["csrf_token"] = csrf_token(admin, "/admin")
    admin.post(action, data=fields)
    return admin


def _audit_actions(clinic: Clinic) -> list[tuple[str, int | None]]:
    return [(e.action, e.actor_user_id) for e in privacy.audit_trail(clinic.ctx, INSTALLER)]


# --- deactivate and reactivate ---------------------------------------------------------


def test_api_deactivation_stops_cookie_token_and_sign_in_at_once(clinic: Clinic) -> None:
    cookie = clinic.client("patient_a")
    token = clinic.api("patient_a")
    assert cookie.get("/today").status_code == 200  # both credentials are now cached
    assert token.get("/api/v1/me/plan").status_code == 200
    admin = clinic.api("admin")

    response = admin.patch(f"/api/v1/admin/users/{clinic.patient_a_user}", json={"active": False})

    assert response.status_code == 200, response.text
    assert response.json()["active"] is False
    assert response.json()["email"] == clinic.emails["patient_a"]
    assert cookie.get("/today").status_code == 303  # sent to sign in
    assert token.get("/api/v1/me/plan").status_code == 401
    assert _token_status(clinic, "patient_a", PASSWORD) == 401
    assert _page_login_status(clinic, "patient_a", PASSWORD) == 401
    listed = {u["id"]: u["active"] for u in admin.get("/api/v1/admin/users").json()}
    assert listed[clinic.patient_a_user] is False
    assert listed[clinic.patient_b_user] is True
    # The other patient is untouched.
    assert clinic.api("patient_b").get("/api/v1/me/plan").status_code == 200


def test_api_reactivation_lets_the_account_sign_in_again(clinic: Clinic) -> None:
    old_token = clinic.api("patient_a")
    admin = clinic.api("admin")
    url = f"/api/v1/admin/users/{clinic.patient_a_user}"
    assert admin.patch(url, json={"active": False}).status_code == 200

    response = admin.patch(url, json={"active": True})

    assert response.status_code == 200
    assert response.json()["active"] is True
    assert clinic.api("patient_a").get("/api/v1/me/plan").status_code == 200
    assert _page_login_status(clinic, "patient_a", PASSWORD) == 303
    # Tokens revoked at deactivation stay revoked.
    assert old_token.get("/api/v1/me/plan").status_code == 401


def test_page_deactivation_and_reactivation(clinic: Clinic) -> None:
    doctor = clinic.client("clinician_a")
    assert doctor.get("/clinic").status_code == 200
    admin = clinic.client("admin")

    _admin_form(admin, f"/admin/users/{clinic.clinician_a}/deactivate")

    assert doctor.get("/clinic").status_code == 303
    assert _page_login_status(clinic, "clinician_a", PASSWORD) == 401
    page = admin.get("/admin?done=deactivated").text
    assert "it can no longer sign in" in page
    assert f'action="/admin/users/{clinic.clinician_a}/activate"' in page

    _admin_form(admin, f"/admin/users/{clinic.clinician_a}/activate")

    assert _page_login_status(clinic, "clinician_a", PASSWORD) == 303
    actions = _audit_actions(clinic)
    assert ("account.deactivate", clinic.admin_id) in actions
    assert ("account.activate", clinic.admin_id) in actions


def test_page_deactivation_answers_with_a_redirect_and_needs_the_csrf_token(
    clinic: Clinic,
) -> None:
    admin = clinic.client("admin")
    url = f"/admin/users/{clinic.patient_a_user}/deactivate"
    assert admin.post(url, data={}).status_code == 403  # no CSRF token: refused
    assert _token_status(clinic, "patient_a", PASSWORD) == 201  # still active
    response = admin.post(url, data={"csrf_token": csrf_token(admin, "/admin")})
    assert response.status_code == 303
    assert response.headers["location"] == "/admin?done=deactivated"
    assert _token_status(clinic, "patient_a", PASSWORD) == 401


def test_an_admin_cannot_deactivate_themself(clinic: Clinic) -> None:
    api = clinic.api("admin")
    response = api.patch(f"/api/v1/admin/users/{clinic.admin_id}", json={"active": False})
    assert response.status_code == 409
    assert "cannot deactivate your own account" in response.json()["error"]["message"]

    admin = clinic.client("admin")
    token = csrf_token(admin, "/admin")
    page = admin.post(f"/admin/users/{clinic.admin_id}/deactivate", data={"csrf_token": token})
    assert page.status_code == 409
    assert "cannot deactivate your own account" in page.text
    assert admin.get("/admin").status_code == 200  # still signed in
    assert api.get("/api/v1/admin/users").status_code == 200
    assert ("account.deactivate", clinic.admin_id) not in _audit_actions(clinic)


def test_another_admin_may_be_deactivated(clinic: Clinic) -> None:
    api = clinic.api("admin")
    created = api.post(
        "/api/v1/admin/users",
        json={
            "email": "second@clinic.example",
            "display_name": "Second Admin",
            "role": "admin",
            "password": PASSWORD,
        },
    )
    assert created.status_code == 201
    response = api.patch(f"/api/v1/admin/users/{created.json()['id']}", json={"active": False})
    assert response.status_code == 200
    assert response.json()["active"] is False


# --- admins no longer set passwords ---------------------------------------------------


def test_the_old_admin_password_routes_are_gone_and_change_nothing(clinic: Clinic) -> None:
    api = clinic.api("admin")
    response = api.post(
        f"/api/v1/admin/users/{clinic.clinician_b}/password", json={"password": NEW_PASSWORD}
    )
    assert response.status_code == 410
    assert "reset-link" in response.json()["error"]["message"]
    admin = clinic.client("admin")
    page = admin.post(
        f"/admin/users/{clinic.patient_b_user}/password",
        data={"csrf_token": csrf_token(admin, "/admin"), "password": NEW_PASSWORD},
    )
    assert page.status_code == 410
    assert "Reset" in page.text
    assert _token_status(clinic, "clinician_b", PASSWORD) == 201
    assert _page_login_status(clinic, "patient_b", NEW_PASSWORD) == 401
    listing = admin.get("/admin").text
    assert f'action="/admin/users/{clinic.patient_b_user}/reset"' in listing
    assert f"/admin/users/{clinic.patient_b_user}/password" not in listing


# --- malformed input and other accounts -----------------------------------------------


def test_malformed_admin_requests_get_4xx(clinic: Clinic) -> None:
    api = clinic.api("admin")
    user = f"/api/v1/admin/users/{clinic.patient_a_user}"
    assert api.patch(user, json={"active": "no"}).status_code == 422
    assert api.patch(user, json={"active": None}).status_code == 422
    assert api.patch(user, json={"active": False, "role": "admin"}).status_code == 422
    assert api.patch(user, content=b"{not json").status_code == 422
    assert api.patch("/api/v1/admin/users/0", json={"active": False}).status_code == 422
    assert api.patch("/api/v1/admin/users/abc", json={"active": False}).status_code == 422
    missing = api.patch("/api/v1/admin/users/999999", json={"active": False})
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "no such account"
    assert api.post("/api/v1/admin/users/0/reset-link").status_code == 422
    assert api.post("/api/v1/admin/users/999999/reset-link").status_code == 404
    admin = clinic.client("admin")
    token = csrf_token(admin, "/admin")
    assert admin.post("/admin/users/abc/deactivate", data={"csrf_token": token}).status_code == 422
    gone = admin.post("/admin/users/999999/activate", data={"csrf_token": token})
    assert gone.status_code == 404
    assert "no such account" in gone.text
    assert admin.post("/admin/users/999999/reset", data={"csrf_token": token}).status_code == 404


@pytest.mark.parametrize("who", ["patient_a", "clinician_a"])
def test_other_roles_cannot_manage_accounts(clinic: Clinic, who: str) -> None:
    api = clinic.api(who)
    target = clinic.patient_b_user
    assert api.patch(f"/api/v1/admin/users/{target}", json={"active": False}).status_code == 403
    assert api.post(f"/api/v1/admin/users/{target}/reset-link").status_code == 403
    page = clinic.client(who)
    token = csrf_token(page, "/account")
    for action in ("deactivate", "reset"):
        response = page.post(f"/admin/users/{target}/{action}", data={"csrf_token": token})
        assert response.status_code == 403
    assert _token_status(clinic, "patient_b", PASSWORD) == 201


# --- changing one's own password ------------------------------------------------------


@pytest.mark.parametrize("who", ["patient_a", "clinician_a", "admin"])
def test_every_account_changes_its_own_password_on_the_account_page(
    clinic: Clinic, who: str
) -> None:
    client = clinic.client(who)
    page = client.get("/today" if who == "patient_a" else "/account")
    assert '<a href="/account"' in page.text  # linked in the header
    token = csrf_token(client, "/account")

    wrong = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": "not-my-password",
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        },
    )
    assert wrong.status_code == 422
    assert "current_password: is not your current password" in wrong.text
    mismatch = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD + "x",
        },
    )
    assert mismatch.status_code == 422
    assert "does not match the new password" in mismatch.text
    assert _page_login_status(clinic, who, PASSWORD) == 303  # nothing changed yet

    done = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        },
    )

    assert done.status_code == 303
    assert done.headers["location"] == "/account?done=password"
    assert "Your password was changed." in client.get("/account?done=password").text
    assert _page_login_status(clinic, who, PASSWORD) == 401
    assert _page_login_status(clinic, who, NEW_PASSWORD) == 303


def test_account_page_needs_a_signed_in_browser_and_the_csrf_token(clinic: Clinic) -> None:
    assert clinic.client(None).get("/account").status_code == 303
    client = clinic.client("patient_a")
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 403
    assert _token_status(clinic, "patient_a", PASSWORD) == 201


def test_api_password_change(clinic: Clinic) -> None:
    api = clinic.api("clinician_a")
    url = "/api/v1/account/password"
    wrong = api.post(url, json={"current_password": "nope", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 422
    assert wrong.json()["error"]["path"] == "current_password"
    short = api.post(url, json={"current_password": PASSWORD, "new_password": "123456789"})
    assert short.status_code == 422
    assert short.json()["error"]["path"] == "new_password"
    same = api.post(url, json={"current_password": PASSWORD, "new_password": PASSWORD})
    assert same.status_code == 422
    assert api.post(url, json={"current_password": PASSWORD}).status_code == 422
    assert _token_status(clinic, "clinician_a", PASSWORD) == 201

    done = api.post(url, json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})

    assert done.status_code == 204
    assert _token_status(clinic, "clinician_a", PASSWORD) == 401
    assert _token_status(clinic, "clinician_a", NEW_PASSWORD) == 201
    assert api.get("/api/v1/account").status_code == 200  # the token used stays valid
    assert clinic.api(None).post(url, json={}).status_code == 401
    assert ("account.password_change", clinic.clinician_a) in _audit_actions(clinic)


def test_guessing_the_current_password_is_rate_limited(tmp_path: Path, database_url: str) -> None:
    clinic = build_clinic(
        tmp_path, database_url, login_policy=ThrottlePolicy(free_attempts=3, first_delay_s=600)
    )
    try:
        api = clinic.api("patient_a")
        url = "/api/v1/account/password"
        body = {"current_password": "guess-0000", "new_password": NEW_PASSWORD}
        statuses = [api.post(url, json=body).status_code for _ in range(5)]
        assert statuses == [422] * 4 + [429]
        # Blocked even with the right password until the delay has passed.
        right = api.post(url, json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
        assert right.status_code == 429
        assert 0 < int(right.headers["retry-after"]) <= 600
    finally:
        clinic.close()


def test_account_changes_leave_no_names_or_emails_in_logs(
    clinic: Clinic, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    admin = clinic.api("admin")
    admin.patch(f"/api/v1/admin/users/{clinic.patient_a_user}", json={"active": False})
    admin.patch(f"/api/v1/admin/users/{clinic.admin_id}", json={"active": False})
    admin.post(f"/api/v1/admin/users/{clinic.patient_b_user}/reset-link")
    clinic.api("clinician_a").post(
        "/api/v1/account/password", json={"current_password": "Xyzzy-wrong", "new_password": "y"}
    )
    access = [r.getMessage() for r in caplog.records if r.name == "spinestep.web.access"]
    assert "PATCH /api/v1/admin/users/{user_id} 200" in " ".join(access)
    for line in access:
        assert ACCESS_LINE.match(line), line
    text = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    for secret in (
        "Zebulon",
        "Yolanda",
        clinic.emails["patient_a"],
        clinic.emails["admin"],
        "Xyzzy-wrong",
        f"/users/{clinic.patient_a_user}",
    ):
        assert secret not in text


def test_a_reactivated_patient_uses_the_pages_again(clinic: Clinic) -> None:
    admin = clinic.api("admin")
    url = f"/api/v1/admin/users/{clinic.patient_b_user}"
    admin.patch(url, json={"active": False})
    admin.patch(url, json={"active": True})
    client = clinic.client(None)
    login(client, clinic.emails["patient_b"])
    assert client.get("/today").status_code == 200
