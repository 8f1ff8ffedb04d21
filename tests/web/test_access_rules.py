"""Every route declares one access rule, and each rule holds for every route that uses it.

The routes come from the app's own route table, so a new route without a rule (or with
a rule that does not hold) makes these tests fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from spinestep.web.access import Rule
from tests.web.routes import RouteInfo, api_routes
from tests.web.support import Clinic, TestClient, build_clinic, csrf_token, make_app

# The only routes anyone may call without signing in.
PUBLIC_ROUTES = {
    "GET /",
    "GET /setup",
    "POST /setup",
    "GET /login",
    "POST /login",
    "POST /logout",
    "GET /invite/{token}",
    "POST /invite",
    "GET /reset/{token}",
    "POST /reset",
    "GET /api/v1/health",
    "POST /api/v1/auth/token",
    "POST /api/v1/invites/accept",
    "GET /calendar/{token}.ics",  # the secret token in the path is the credential
    "GET /manifest.webmanifest",  # installing the app: no personal data
    "GET /sw.js",  # the service worker: what it keeps is named in web/offline.py
    "GET /reminders/unsubscribe/{token}",  # opened from a reminder e-mail; token as above
    "POST /reminders/unsubscribe/{token}",
}

# Page forms without a CSRF token, each for a reason.
CSRF_EXEMPT = {
    # RFC 8058 one-click unsubscribe: a mail program posts with no session; the secret
    # token is the credential, and all it can do is turn reminders off.
    "POST /reminders/unsubscribe/{token}",
}

# Who is refused, and how, for each rule (besides the anonymous caller).
REFUSED = {
    Rule.SIGNED_IN: (),
    Rule.PATIENT_ACCOUNT: ("clinician_a", "admin"),
    Rule.PATIENT_SELF: ("clinician_a", "admin"),
    Rule.CLINICIAN: ("patient_a", "admin"),
    Rule.CARE_TEAM: ("patient_a", "patient_b", "admin"),
    Rule.ADMIN: ("patient_a", "clinician_a"),
}


def _routes() -> list[RouteInfo]:
    app, _, engine = make_app(Path("/tmp/spinestep-route-table"), "sqlite://")
    engine.dispose()
    return api_routes(app)


ROUTES = _routes()


def _url(route: RouteInfo, clinic: Clinic) -> str:
    return (
        route.path.replace("{patient_id}", str(clinic.patient_a))
        .replace("{flag_id}", "1")
        .replace("{request_id}", "1")
        .replace("{user_id}", str(clinic.patient_b_user))
        .replace("{token}", "x" * 20)
        .replace("{instrument}", "odi")
    )


def _call(client: TestClient, route: RouteInfo, clinic: Clinic, api: bool) -> int:
    url = _url(route, clinic)
    if route.method == "GET":
        return client.get(url).status_code
    if api:
        return client.request(route.method, url, json={}).status_code
    token = csrf_token(client, "/login") if "spinestep_session" not in client.cookies else None
    if token is None:
        token = _token_of(client)
    return client.request(route.method, url, data={"csrf_token": token}).status_code


def _token_of(client: TestClient) -> str:
    # Every page of a signed-in client carries its session's token (the sign-out form).
    page = client.get("/no-such-page")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, "the error page carries the session's CSRF token"
    return found.group(1)


class SignedIn:
    """One clinic for the refusal checks of this module, each account signed in once.

    A refused call changes nothing, so the checks of every route can share the clinic
    and its signed-in clients (building a clinic and signing in for each of the ~400
    checks cost most of this module's time). Were a route to let a call through, its
    own check fails, whatever it changed.
    """

    def __init__(self, clinic: Clinic) -> None:
        self.clinic = clinic
        self._pages: dict[str, TestClient] = {}
        self._apis: dict[str, TestClient] = {}

    def page_client(self, who: str) -> TestClient:
        if who not in self._pages:
            self._pages[who] = self.clinic.client(who)
        return self._pages[who]

    def api_client(self, who: str) -> TestClient:
        if who not in self._apis:
            self._apis[who] = self.clinic.api(who)
        return self._apis[who]

    def client(self, who: str, api: bool) -> TestClient:
        return self.api_client(who) if api else self.page_client(who)


@pytest.fixture(scope="module")
def signed_in(
    module_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SignedIn]:
    clinic = build_clinic(tmp_path_factory.mktemp("access-rules"), module_database_url)
    yield SignedIn(clinic)
    clinic.close()


def test_every_route_declares_exactly_one_access_rule() -> None:
    assert ROUTES, "the route table is empty"
    missing = [str(r) for r in ROUTES if len(r.rules) != 1]
    assert missing == []


def test_public_routes_are_exactly_the_listed_ones() -> None:
    public = {str(r) for r in ROUTES if r.rules == (Rule.PUBLIC,)}
    assert public == PUBLIC_ROUTES


def test_every_page_form_is_csrf_protected() -> None:
    unprotected = [str(r) for r in ROUTES if not r.is_api and r.method != "GET" and not r.csrf]
    assert sorted(unprotected) == sorted(CSRF_EXEMPT)


@pytest.mark.parametrize("route", [r for r in ROUTES if r.rules != (Rule.PUBLIC,)], ids=str)
def test_anonymous_callers_are_sent_to_sign_in(route: RouteInfo, signed_in: SignedIn) -> None:
    clinic = signed_in.clinic
    status = _call(clinic.client(None), route, clinic, route.is_api)
    if route.is_api:
        assert status == 401
    else:
        assert status == 303  # redirected to the sign-in page


@pytest.mark.parametrize("route", [r for r in ROUTES if r.rules != (Rule.PUBLIC,)], ids=str)
def test_other_accounts_are_refused(route: RouteInfo, signed_in: SignedIn) -> None:
    (rule,) = route.rules
    for who in REFUSED[rule]:
        client = signed_in.client(who, route.is_api)
        status = _call(client, route, signed_in.clinic, route.is_api)
        if rule is Rule.CARE_TEAM and who.startswith("clinician"):
            assert status == 404, (who, status)
        else:
            assert status == 403, (who, status)


@pytest.mark.parametrize("route", [r for r in ROUTES if r.rules == (Rule.CARE_TEAM,)], ids=str)
def test_a_clinician_cannot_reach_another_clinicians_patient(
    route: RouteInfo, signed_in: SignedIn
) -> None:
    client = signed_in.client("clinician_b", route.is_api)
    assert _call(client, route, signed_in.clinic, route.is_api) == 404


def test_patient_b_token_and_cookie_never_reach_patient_a(clinic: Clinic) -> None:
    token_client = clinic.api("patient_b")
    cookie_client = clinic.client("patient_b")
    page = f"/clinic/patients/{clinic.patient_a}"
    api = f"/api/v1/patients/{clinic.patient_a}"
    assert token_client.get(api).status_code == 403
    assert cookie_client.get(page).status_code == 403
    # A token is no page credential, and a cookie is no API credential.
    assert token_client.get(page).status_code == 303
    assert cookie_client.get(api).status_code == 401
    # Their own records hold none of patient A's.
    assert token_client.get("/api/v1/me/plan").status_code == 200
    assert token_client.get("/api/v1/me/history").json()["sessions"] == []
