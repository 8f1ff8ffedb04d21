"""Browser sessions end on the server: signing out, a password change, a reset, a deactivation.

A signed-in cookie counts only while its stored session exists, so a copy of the cookie
(another tab, a stolen one) stops working with it. On SQLite and PostgreSQL; each client
is warmed first, so a refusal also shows that nothing read before outlives the session.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from spinestep.services.records import BrowserSessionRecord
from spinestep.store.tables import BrowserSessionRow
from spinestep.web.security import SESSION_COOKIE, session_key, wall_now
from tests.web.support import PASSWORD, Clinic, TestClient, csrf_token, login

NEW_PASSWORD = "another-long-passphrase"


def _copy(clinic: Clinic, client: TestClient) -> TestClient:
    """Another browser holding a copy of ``client``'s session cookie."""
    other = TestClient(clinic.app, follow_redirects=False)
    other.headers["cookie"] = f"{SESSION_COOKIE}={client.cookies[SESSION_COOKIE]}"
    return other


def _stored_sessions(clinic: Clinic, user_id: int | None = None) -> int:
    """Stored browser sessions (of ``user_id``, or of everyone)."""
    statement = sa.select(sa.func.count()).select_from(BrowserSessionRow)
    if user_id is not None:
        statement = statement.where(BrowserSessionRow.user_id == user_id)
    with clinic.engine.connect() as connection:
        return int(connection.execute(statement).scalar_one())


def _sign_out(client: TestClient) -> None:
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 303


def test_a_copy_of_the_cookie_stops_working_when_its_browser_signs_out(clinic: Clinic) -> None:
    browser = clinic.client("patient_a")
    copy = _copy(clinic, browser)
    assert copy.get("/today").status_code == 200  # warm

    _sign_out(browser)

    refused = copy.get("/today")
    assert refused.status_code == 303
    assert refused.headers["location"] == "/login"
    assert browser.get("/today").status_code == 303


def test_signing_out_one_browser_leaves_the_others_signed_in(clinic: Clinic) -> None:
    first = clinic.client("clinician_a")
    copy_of_first = _copy(clinic, first)
    second = clinic.client("clinician_a")
    for client in (first, copy_of_first, second):
        assert client.get("/clinic").status_code == 200

    _sign_out(first)

    # The live session of the same account is read again, and does not vouch for the
    # ended one (the cache is keyed by session, not by account).
    assert second.get("/clinic").status_code == 200
    assert copy_of_first.get("/clinic").status_code == 303
    assert second.get("/clinic").status_code == 200


def test_a_signed_cookie_without_a_stored_session_is_signed_out(clinic: Clinic) -> None:
    """A cookie signed with the app's key but never stored (or pruned) signs in nobody."""
    signer = clinic.app.state.ctx.signer
    forged = TestClient(clinic.app, follow_redirects=False)
    cookie = signer.dump(signer.new_session(str(clinic.admin_id)))
    forged.headers["cookie"] = f"{SESSION_COOKIE}={cookie}"
    assert forged.get("/admin").status_code == 303
    assert forged.get("/").headers["location"] == "/login"


def test_a_session_of_another_account_is_refused(clinic: Clinic) -> None:
    """A stored session vouches only for the account it was made for."""
    browser = clinic.client("patient_a")
    signer = clinic.app.state.ctx.signer
    own = signer.load(browser.cookies[SESSION_COOKIE])
    assert own is not None
    other = TestClient(clinic.app, follow_redirects=False)
    swapped = signer.dump(type(own)(str(clinic.admin_id), own.nonce, own.expires_at))
    other.headers["cookie"] = f"{SESSION_COOKIE}={swapped}"
    assert other.get("/admin").status_code == 303
    assert browser.get("/today").status_code == 200


def test_a_password_change_on_the_page_keeps_this_browser_and_ends_the_rest(
    clinic: Clinic,
) -> None:
    here = clinic.client("clinician_a")
    elsewhere = clinic.client("clinician_a")
    token = clinic.api("clinician_a")
    assert elsewhere.get("/clinic").status_code == 200
    assert token.get("/api/v1/patients").status_code == 200

    response = here.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(here, "/account"),
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        },
    )

    assert response.status_code == 303
    assert here.get("/clinic").status_code == 200
    assert elsewhere.get("/clinic").status_code == 303
    assert token.get("/api/v1/patients").status_code == 401
    assert _stored_sessions(clinic, clinic.clinician_a) == 1
    # Other accounts are untouched.
    assert clinic.client("clinician_b").get("/clinic").status_code == 200


def test_a_password_change_by_api_keeps_only_the_token_used(clinic: Clinic) -> None:
    caller = clinic.api("patient_a")
    other_token = clinic.api("patient_a")
    browser = clinic.client("patient_a")
    assert browser.get("/today").status_code == 200
    assert other_token.get("/api/v1/me/plan").status_code == 200

    response = caller.post(
        "/api/v1/account/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )

    assert response.status_code == 204
    assert caller.get("/api/v1/me/plan").status_code == 200
    assert other_token.get("/api/v1/me/plan").status_code == 401
    assert browser.get("/today").status_code == 303
    assert _stored_sessions(clinic, clinic.patient_a_user) == 0


def test_a_wrong_current_password_ends_nothing(clinic: Clinic) -> None:
    here = clinic.client("patient_b")
    elsewhere = clinic.client("patient_b")
    response = here.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(here, "/account"),
            "current_password": "not-the-password",
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        },
    )
    assert response.status_code == 422
    assert elsewhere.get("/today").status_code == 200


def test_deactivation_ends_every_session_and_reactivation_brings_none_back(
    clinic: Clinic,
) -> None:
    browser = clinic.client("clinician_b")
    assert browser.get("/clinic").status_code == 200
    admin = clinic.api("admin")
    url = f"/api/v1/admin/users/{clinic.clinician_b}"

    assert admin.patch(url, json={"active": False}).status_code == 200
    assert browser.get("/clinic").status_code == 303
    assert _stored_sessions(clinic, clinic.clinician_b) == 0
    assert admin.patch(url, json={"active": True}).status_code == 200

    assert browser.get("/clinic").status_code == 303  # its old cookie stays dead
    fresh = clinic.client("clinician_b")
    assert fresh.get("/clinic").status_code == 200


def test_signing_in_stores_one_session_and_prunes_expired_ones(clinic: Clinic) -> None:
    now = wall_now()
    with clinic.ctx.uow() as uow:
        for number in range(3):
            uow.browser_sessions.add(
                BrowserSessionRecord(
                    user_id=clinic.patient_b_user,
                    nonce_hash=session_key(f"old-{number}"),
                    created_at=now - timedelta(days=2),
                    expires_at=now - timedelta(days=1, hours=number),
                )
            )
        uow.commit()
    assert _stored_sessions(clinic, clinic.patient_b_user) == 3

    client = clinic.client(None)
    login(client, clinic.emails["patient_a"])

    assert _stored_sessions(clinic, clinic.patient_b_user) == 0
    assert _stored_sessions(clinic, clinic.patient_a_user) == 1
    session = clinic.app.state.ctx.signer.load(client.cookies[SESSION_COOKIE])
    assert session is not None
    with clinic.ctx.uow() as uow:
        stored = uow.browser_sessions.find(session.key)
    assert stored is not None and stored.user_id == clinic.patient_a_user
    assert stored.nonce_hash != session.nonce  # only the hash of the nonce is kept


def test_signing_in_again_in_the_same_browser_ends_its_previous_session(clinic: Clinic) -> None:
    client = clinic.client("patient_a")
    before = client.cookies[SESSION_COOKIE]
    again = client.post(
        "/login",
        data={
            "csrf_token": csrf_token(client, "/account"),
            "email": clinic.emails["patient_a"],
            "password": PASSWORD,
        },
    )
    assert again.status_code == 303
    assert client.cookies[SESSION_COOKIE] != before
    assert _stored_sessions(clinic, clinic.patient_a_user) == 1
    stale = TestClient(clinic.app, follow_redirects=False)
    stale.headers["cookie"] = f"{SESSION_COOKIE}={before}"
    assert stale.get("/today").status_code == 303


def test_pages_before_sign_in_store_no_session(clinic: Clinic) -> None:
    visitor = clinic.client(None)
    for path in ("/login", "/", "/login"):
        visitor.get(path)
    assert _stored_sessions(clinic) == 0
