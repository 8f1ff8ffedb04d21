"""What the phone keeps for offline use, in one place, and the form of a session sent late.

The service worker (``static/sw.js``, served at ``/sw.js`` with the lists below written
into it) keeps two caches in the browser:

* the app shell, the same for everyone: ``SHELL_ASSETS`` (styles, scripts, icons, the
  exercise drawings) and every file of ``static/demo/`` (the demonstrations), named in
  ``shell_assets()``; its name carries a digest of those files, so a new release replaces
  it;
* the signed-in patient's own pages, ``OWN_PAGES`` (Today, the session's start, the
  offline session page and the emergency and red-flag guidance), in a cache named after
  an opaque tag of the account (``SessionSigner.account_tag``). It is emptied when the patient signs
  out, when another account signs in on the phone, and on any page without a signed-in
  patient. No other page (history, data, messages, clinic pages) is ever kept.

A session done without a connection waits in the browser's IndexedDB (``static/offline.js``)
until it is sent to ``POST /session/offline``, parsed here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from starlette.datastructures import FormData

from spinestep.domain.instants import check_instant
from spinestep.domain.redflags import RED_FLAGS, RedFlag
from spinestep.domain.rules import flag_guidance as domain_flag_guidance
from spinestep.errors import InvalidInput
from spinestep.services.late_checks import LateCheck
from spinestep.services.sessions import FUTURE_TOLERANCE, SessionInput, StopNowInput
from spinestep.web import forms

STATIC_DIR = Path(__file__).parent / "static"
#: Static files kept for offline use; ``static/demo/*`` and ``follow-along.js`` are added
#: when they exist (``shell_assets``).
SHELL_ASSETS = (
    "/static/app.css",
    "/static/offline.js",
    "/static/offline-demo.js",
    "/static/session.js",
    "/static/rest.js",
    "/static/favicon.svg",
    "/static/icons/icon.svg",
    "/static/icons/icon-192.png",
    "/static/icons/icon-512.png",
    "/static/img/stage-supine.svg",
    "/static/img/stage-seated.svg",
    "/static/img/stage-standing.svg",
    "/static/img/stage-prone_lying.svg",
    "/static/img/stage-prone_on_elbows.svg",
    "/static/img/stage-prone_press_up.svg",
    "/static/img/stage-standing_extension.svg",
)
OPTIONAL_ASSETS = ("/static/follow-along.js",)
DEMO_DIR = "demo"
#: The signed-in patient's own pages the phone keeps (network first, the copy offline).
OWN_PAGES = ("/today", "/session", "/session/offline", "/offline")
#: Shown when a page is not kept and there is no connection.
OFFLINE_PAGE = "/offline"


def shell_assets(static_dir: Path = STATIC_DIR) -> list[str]:
    """Every static URL the service worker keeps, in a stable order."""
    found = [u for u in OPTIONAL_ASSETS if (static_dir / u.removeprefix("/static/")).is_file()]
    demo = static_dir / DEMO_DIR
    if demo.is_dir():
        found += [f"/static/{DEMO_DIR}/{p.name}" for p in sorted(demo.iterdir()) if p.is_file()]
    return [*SHELL_ASSETS, *found]


def shell_version(assets: list[str], worker_text: str, static_dir: Path = STATIC_DIR) -> str:
    """A digest of the kept files and the worker: a new release gets a new cache."""
    digest = hashlib.sha256(worker_text.encode())
    for url in assets:
        path = static_dir / url.removeprefix("/static/")
        digest.update(url.encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def json_text(value: object) -> str:
    """``value`` as a JavaScript literal for the service worker."""
    return json.dumps(value, separators=(",", ":"))


def flag_guidance(flag: RedFlag, emergency_number: str) -> str:
    """What to do at once after a "yes" to ``flag`` (the rules' own words)."""
    return domain_flag_guidance(flag, emergency_number)


def most_urgent(flags: Iterable[RedFlag]) -> RedFlag | None:
    """The flag whose "yes" is the most urgent (the SPEC table's order breaks ties)."""
    return min(flags, key=lambda f: (-f.urgency.rank, f.order), default=None)


def _instant(form: FormData, name: str, now: datetime) -> datetime:
    raw = forms.text(form, name, max_chars=40)
    if not raw:
        raise InvalidInput(name, "is required: the time it was done, with its offset")
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(name, "must be an ISO 8601 time with its offset") from None
    if value.tzinfo is None:
        raise InvalidInput(name, "must carry its offset from UTC")
    check_instant(value, name, now)
    if value - now > FUTURE_TOLERANCE:
        raise InvalidInput(name, "must not be in the future")
    return value


def late_check(form: FormData, now: datetime) -> LateCheck:
    """The safety check sent with a session done offline."""
    at = _instant(form, "checked_at", now)
    if forms.text(form, "check_stored", max_chars=5) == "yes":
        return LateCheck(at=at)
    answers: dict[str, bool] = {}
    for code in RED_FLAGS:
        value = forms.text(form, f"flag_{code}", max_chars=5)
        if value in ("yes", "no"):
            answers[code] = value == "yes"
    none_started = forms.text(form, "combined", max_chars=5) == "no"
    if not answers and not none_started:
        raise InvalidInput("answers", "the safety check taken before the session is missing")
    return LateCheck(at=at, answers=answers, none_started=none_started)


def late_entry(form: FormData, now: datetime) -> SessionInput | StopNowInput:
    """The session done offline: a finished one, or one ended with "stop now"."""
    at = _instant(form, "finished_at", now)
    if forms.text(form, "kind", max_chars=10) == "stop":
        return StopNowInput(
            pain_before=forms.pain(form, "pain_before"),
            pain_now=forms.pain(form, "pain_now"),
            location_before=forms.location(form, "location_before"),
            location_now=forms.location(form, "location_now"),
            reps_done=forms.integer(form, "reps", 0, 1000, "number of repetitions"),
            at=at,
        )
    return forms.completed_session(form, at=at)
