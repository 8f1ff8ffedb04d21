"""Links from SPINESTEP_PUBLIC_URL (never the Host header); no-store, HSTS and the Secure flag."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from spinestep.errors import InvalidInput
from spinestep.settings import Settings, SettingsError, load_settings
from spinestep.web.links import PublicUrlMissing, absolute_url
from spinestep.web.mail import Mailer
from tests.web.pageflow import form_token
from tests.web.support import PASSWORD, Clinic, TestClient, build_clinic, login

PUBLIC = "https://spine.example-clinic.org"


def clinic_with(tmp_path: Path, database_url: str, **settings: Any) -> Clinic:
    return build_clinic(tmp_path, database_url, settings=settings)


@pytest.fixture
def public_clinic(tmp_path: Path, database_url: str) -> Iterator[Clinic]:
    built = clinic_with(tmp_path, database_url, host="0.0.0.0", public_url=PUBLIC)
    yield built
    built.close()


@pytest.fixture
def lan_clinic_without_url(tmp_path: Path, database_url: str) -> Iterator[Clinic]:
    built = clinic_with(tmp_path, database_url, host="0.0.0.0")
    yield built
    built.close()


def invite_by_api(client: TestClient, email: str = "nia@home.example") -> Any:
    return client.post(
        "/api/v1/invites",
        json={"email": email, "display_name": "Nia New"},
        headers={"host": "evil.example"},
    )


def invite_by_page(clinic: Clinic, email: str = "noa@home.example") -> Any:
    """The invitation form, sent to this server under the name ``evil.example``."""
    browser = TestClient(clinic.app, base_url="https://evil.example", follow_redirects=False)
    login(browser, clinic.emails["clinician_a"], PASSWORD)
    token = form_token(browser.get("/clinic/invite").text)
    return browser.post(
        "/clinic/invite", data={"csrf_token": token, "email": email, "display_name": "Noa New"}
    )


# --- settings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("https://spine.example-clinic.org", PUBLIC),
        ("https://Spine.Example-Clinic.org/", PUBLIC),
        ("https://spine.example-clinic.org:443", PUBLIC),
        ("http://192.168.1.5:8000", "http://192.168.1.5:8000"),
        ("http://[fd00::5]:8000/", "http://[fd00::5]:8000"),
        ("", ""),
    ],
)
def test_the_public_url_is_kept_as_scheme_host_and_port(given: str, kept: str) -> None:
    assert Settings(public_url=given).public_url == kept


@pytest.mark.parametrize(
    "given",
    [
        "spine.example-clinic.org",
        "ftp://spine.example-clinic.org",
        "https://spine.example-clinic.org/spinestep",
        "https://spine.example-clinic.org/?next=x",
        "https://spine.example-clinic.org/#top",
        "https://someone@spine.example-clinic.org",
        "https://",
        "https://spine.example-clinic.org:99999",
    ],
)
def test_a_public_url_with_a_path_or_another_scheme_is_refused(given: str) -> None:
    with pytest.raises(SettingsError, match="public_url"):
        Settings(public_url=given)


def test_trusted_proxies_are_addresses_or_networks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPINESTEP_TRUSTED_PROXIES", "10.0.0.1, 172.16.0.0/12,::1")
    assert [str(n) for n in Settings().trusted_proxies] == [
        "10.0.0.1/32",
        "172.16.0.0/12",
        "::1/128",
    ]
    monkeypatch.setenv("SPINESTEP_TRUSTED_PROXIES", "proxy.local")
    with pytest.raises(SettingsError, match="trusted_proxies"):
        Settings()


def test_links_need_a_public_url_unless_the_server_is_on_loopback() -> None:
    assert absolute_url(Settings(public_url=PUBLIC), "/invite/x") == f"{PUBLIC}/invite/x"
    assert absolute_url(Settings(port=8123), "/a") == "http://127.0.0.1:8123/a"
    assert absolute_url(Settings(host="::1"), "/a") == "http://[::1]:8000/a"
    with pytest.raises(PublicUrlMissing, match="SPINESTEP_PUBLIC_URL"):
        absolute_url(Settings(host="0.0.0.0"), "/a")


# --- invitations ----------------------------------------------------------------------


def test_invite_links_come_from_the_public_url_not_the_host_header(public_clinic: Clinic) -> None:
    by_api = invite_by_api(public_clinic.api("clinician_a"))
    assert by_api.status_code == 201, by_api.text
    assert by_api.json()["url"].startswith(f"{PUBLIC}/invite/")
    on_page = invite_by_page(public_clinic)
    assert on_page.status_code == 200
    assert f"{PUBLIC}/invite/" in on_page.text
    assert "evil.example" not in by_api.text + on_page.text


def test_on_loopback_without_a_public_url_links_name_the_local_address(clinic: Clinic) -> None:
    by_api = invite_by_api(clinic.api("clinician_a"))
    assert by_api.status_code == 201
    assert by_api.json()["url"].startswith("http://127.0.0.1:8000/invite/")


def test_invites_are_refused_on_a_network_address_without_a_public_url(
    lan_clinic_without_url: Clinic,
) -> None:
    clinic = lan_clinic_without_url
    by_api = invite_by_api(clinic.api("clinician_a"))
    assert by_api.status_code == 409
    assert "SPINESTEP_PUBLIC_URL" in by_api.json()["error"]["message"]
    on_page = invite_by_page(clinic)
    assert on_page.status_code == 422
    assert "SPINESTEP_PUBLIC_URL" in on_page.text
    patients = clinic.api("clinician_a").get("/api/v1/patients").json()
    assert len(patients) == 1  # no half-made invitation was stored


def test_alert_e_mails_link_to_the_public_url() -> None:
    message = Mailer(Settings(public_url=PUBLIC, host="0.0.0.0")).alert_message("a@b.c", "soon")
    assert f"{PUBLIC}/clinic/alerts" in message.get_content()


# --- headers --------------------------------------------------------------------------


def test_every_answer_but_static_assets_is_not_stored(clinic: Clinic) -> None:
    api = clinic.api("patient_a")
    browser = clinic.client("patient_a")
    for response in (
        api.get("/api/v1/me/plan"),
        api.get("/api/v1/me/sessions"),
        api.get("/api/v1/patients/999999"),  # an error answer too
        clinic.api(None).get("/api/v1/health"),
        browser.get("/today"),
        browser.get("/"),  # a redirect
    ):
        assert response.headers.get("cache-control") == "no-store", response.request.url
    asset = clinic.client().get("/static/app.css")
    assert asset.status_code == 200
    assert "no-store" not in asset.headers.get("cache-control", "")


def test_hsts_when_the_public_url_is_https(public_clinic: Clinic) -> None:
    hsts = public_clinic.client().get("/login").headers["strict-transport-security"]
    assert hsts.startswith("max-age=") and int(hsts.split("=")[1]) >= 15_552_000


def test_no_hsts_without_a_public_url(clinic: Clinic) -> None:
    assert "strict-transport-security" not in clinic.client().get("/login").headers


def test_no_hsts_when_the_public_url_is_plain_http(tmp_path: Path, database_url: str) -> None:
    lan = clinic_with(tmp_path, database_url, public_url="http://192.168.1.5:8000")
    try:
        assert "strict-transport-security" not in lan.client().get("/login").headers
    finally:
        lan.close()


# --- the Secure flag, and forms that keep working -------------------------------------


def sign_in_and_post_a_form(clinic: Clinic, base_url: str) -> None:
    """Sign in and send a form, through a client that sends Secure cookies only on https."""
    browser = TestClient(clinic.app, base_url=base_url, follow_redirects=False)
    login(browser, clinic.emails["clinician_a"], PASSWORD)
    token = form_token(browser.get("/clinic/invite").text)
    sent = browser.post(
        "/clinic/invite",
        data={"csrf_token": token, "email": "lan@home.example", "display_name": "Lan"},
    )
    assert sent.status_code == 200, sent.text
    assert "/invite/" in sent.text


def test_behind_a_tls_proxy_on_loopback_the_cookie_is_secure(
    tmp_path: Path, database_url: str
) -> None:
    clinic = clinic_with(tmp_path, database_url, host="127.0.0.1", public_url=PUBLIC)
    try:
        cookie = clinic.client().get("/login").headers["set-cookie"]
        assert "secure" in cookie.lower()
        sign_in_and_post_a_form(clinic, PUBLIC)
    finally:
        clinic.close()


def test_on_a_plain_http_lan_address_forms_work(tmp_path: Path, database_url: str) -> None:
    clinic = clinic_with(
        tmp_path, database_url, host="0.0.0.0", public_url="http://192.168.1.5:8000"
    )
    try:
        cookie = clinic.client().get("/login").headers["set-cookie"]
        assert "secure" not in cookie.lower()
        sign_in_and_post_a_form(clinic, "http://192.168.1.5:8000")
    finally:
        clinic.close()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SPINESTEP_PUBLIC_URL", "ftp://spine.example-clinic.org", "must start with http"),
        ("SPINESTEP_PUBLIC_URL", "https://spine.example-clinic.org/app", "only scheme, host"),
        ("SPINESTEP_TRUSTED_PROXIES", "10.0.0.1, proxy.local", "'proxy.local' is not an IP"),
    ],
)
def test_a_wrong_setting_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(InvalidInput) as refused:
        load_settings()
    assert refused.value.path == variable
    assert refused.value.problem.startswith(message)
