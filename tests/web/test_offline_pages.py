"""Installable and offline: the manifest, the service worker and the pages the phone keeps."""

from __future__ import annotations

import json
import re
import struct

from spinestep.domain.redflags import RED_FLAGS
from spinestep.domain.rules import flag_guidance
from spinestep.web.offline import OWN_PAGES, shell_assets
from tests.web.support import Clinic


def png_size(body: bytes) -> tuple[int, int]:
    assert body[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", body[16:24])
    return width, height


def test_the_manifest_names_the_app_its_start_and_its_icons(clinic: Clinic) -> None:
    client = clinic.client()
    answer = client.get("/manifest.webmanifest")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/manifest+json")
    manifest = json.loads(answer.content)
    assert manifest["start_url"] == "/today"
    assert manifest["display"] == "standalone"
    assert manifest["name"] == "spinestep"
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    sizes = {}
    for icon in manifest["icons"]:
        served = client.get(icon["src"])
        assert served.status_code == 200, icon["src"]
        if icon["type"] == "image/png":
            sizes[icon["sizes"]] = png_size(served.content)
        else:
            assert icon["type"] == "image/svg+xml" and served.content.startswith(b"<svg")
    assert sizes == {"192x192": (192, 192), "512x512": (512, 512)}


def test_the_service_worker_is_served_from_the_root_with_what_it_keeps(clinic: Clinic) -> None:
    client = clinic.client()
    answer = client.get("/sw.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert "worker-src 'self'" in answer.headers["content-security-policy"]
    assert "manifest-src 'self'" in answer.headers["content-security-policy"]
    shell = json.loads(re.search(r"^const SHELL = (\[.*\]);$", answer.text, re.M).group(1))  # type: ignore[union-attr]
    assert shell == shell_assets()
    assert "/static/offline.js" in shell and "/static/app.css" in shell
    for url in shell:
        assert client.get(url).status_code == 200, url
    pages = json.loads(re.search(r"^const OWN_PAGES = (\[.*\]);$", answer.text, re.M).group(1))  # type: ignore[union-attr]
    assert pages == list(OWN_PAGES)
    version = re.search(r'^const VERSION = "([0-9a-f]{16})";$', answer.text, re.M)
    assert version, "the worker has no version"


def test_the_demonstrations_are_kept_when_they_exist(tmp_path: object) -> None:
    from pathlib import Path

    static = Path(str(tmp_path)) / "static"
    (static / "demo").mkdir(parents=True)
    (static / "demo" / "figure.js").write_text("// drawn")
    (static / "follow-along.js").write_text("// paced")
    kept = shell_assets(static)
    assert "/static/demo/figure.js" in kept and "/static/follow-along.js" in kept


def test_every_page_links_the_manifest_and_the_offline_script(clinic: Clinic) -> None:
    html = clinic.client().get("/login").text
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert '<script src="/static/offline.js" defer></script>' in html
    assert "spinestep-account" not in html  # nobody signed in: nothing is kept


def account_tag(html: str) -> str:
    found = re.search(r'<meta name="spinestep-account" content="([0-9a-f]+)">', html)
    assert found, "no account tag"
    return found.group(1)


def test_each_patient_has_their_own_opaque_tag_and_clinicians_none(clinic: Clinic) -> None:
    first = account_tag(clinic.client("patient_a").get("/today").text)
    again = account_tag(clinic.client("patient_a").get("/today").text)
    other = account_tag(clinic.client("patient_b").get("/today").text)
    assert first == again != other
    assert str(clinic.patient_a_user) not in first
    clinician = clinic.client("clinician_a").get("/clinic").text
    assert "spinestep-account" not in clinician


def test_the_guidance_page_puts_the_emergency_number_first(clinic: Clinic) -> None:
    html = clinic.client("patient_a").get("/offline").text
    number = "112"
    assert html.index(f"Call {number}") < html.index("If one of these has started")
    for flag in RED_FLAGS.values():
        assert str(flag_guidance(flag, number)).replace("'", "&#39;") in html


def test_the_offline_pages_are_the_patients_own(clinic: Clinic) -> None:
    for path in ("/offline", "/session/offline"):
        assert clinic.client().get(path).status_code == 303  # signed out: to sign-in
        assert clinic.client("clinician_a").get(path).status_code in (403, 404)
    html = clinic.client("patient_a").get("/session/offline").text
    assert 'id="offline-session-form"' in html
    assert 'name="pain_before"' in html and 'name="effort"' in html
    assert 'id="demo" class="demo" data-demo=' in html  # the demonstration, kept with it
    assert '<script type="module" src="/static/offline-demo.js"></script>' in html


def test_the_safety_check_holds_the_guidance_for_a_yes_without_a_connection(
    clinic: Clinic,
) -> None:
    html = clinic.client("patient_a").get("/session").text
    block = html[html.index('id="offline-red-flag"') :]
    assert block.index("tel:112") < block.index("data-guidance-for")
    for code in re.findall(r'name="flag_([a-z_]+)" value="yes"', html):
        text = str(flag_guidance(RED_FLAGS[code], "112")).replace("'", "&#39;")
        assert f'data-guidance-for="{code}" hidden>{text}' in block
