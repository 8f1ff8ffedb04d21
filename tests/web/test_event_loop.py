"""A slow database read in one request does not hold up the others.

The services and the store are synchronous, so the web app must do their work in worker
threads, never on the event loop: while one patient's Today page (or plan) waits on the
database, a trivial request of anyone else is answered. The slow read is a repository
call patched to wait until the test lets it go; the other request is the health check,
sent on the same server (one event loop) while the first one is still waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from spinestep.store.patient_day import SqlPatientDayReader
from spinestep.store.repositories import SqlApiTokenRepository, SqlBrowserSessionRepository
from spinestep.web.routers import download_pages
from tests.web.support import Clinic, TestClient, build_clinic

#: Generous bound for the other request (it takes milliseconds when nothing blocks).
ANSWER_WITHIN_S = 20.0


@pytest.fixture
def clinic(tmp_path: Path, database_url: str) -> Iterator[Clinic]:
    built = build_clinic(tmp_path, database_url)
    yield built
    built.close()


class Gate:
    """Holds every call of one repository method until ``release``."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.released = threading.Event()

    def wrap(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def held(*args: Any, **kwargs: Any) -> Any:
            self.entered.set()
            self.released.wait(ANSWER_WITHIN_S * 2)
            return method(*args, **kwargs)

        return held


def _client(clinic: Clinic, url: str) -> TestClient:
    return clinic.client("patient_a") if not url.startswith("/api/") else clinic.api("patient_a")


# The held read: the request's credential (read by the access rule) or the Today read
# (read by the handler), for the page and for the API.
CASES = [
    ("/today", SqlBrowserSessionRepository, "signed_in"),
    ("/today", SqlPatientDayReader, "read"),
    ("/api/v1/me/plan", SqlApiTokenRepository, "with_account"),
    ("/api/v1/me/plan", SqlPatientDayReader, "read"),
]


@pytest.mark.parametrize(("url", "repository", "method"), CASES)
def test_a_slow_read_does_not_hold_up_another_request(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch, url: str, repository: type, method: str
) -> None:
    client = _client(clinic, url)
    gate = Gate()
    monkeypatch.setattr(repository, method, gate.wrap(getattr(repository, method)))
    answers: dict[str, httpx.Response] = {}

    def slow() -> None:
        answers["slow"] = client.get(url)

    def trivial() -> None:
        answers["trivial"] = client.get("/api/v1/health")

    with client:  # one portal: every request is served by the same event loop
        first = threading.Thread(target=slow)
        first.start()
        try:
            assert gate.entered.wait(ANSWER_WITHIN_S), "the slow read was never reached"
            second = threading.Thread(target=trivial)
            second.start()
            second.join(ANSWER_WITHIN_S)
            answered_while_held = not second.is_alive() and not gate.released.is_set()
        finally:
            gate.released.set()
            first.join(ANSWER_WITHIN_S * 3)
            if "second" in locals():
                second.join(ANSWER_WITHIN_S)
    assert answered_while_held, "the other request waited for the slow read"
    assert answers["trivial"].status_code == 200
    assert answers["slow"].status_code == 200, answers["slow"].text


def test_slow_downloads_never_hold_the_threads_of_everyday_requests(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With 2 threads, 3 downloads held at once: one runs (half of the threads, at least
    one), the others wait for it, and the patient's Today page is still answered."""
    clinic = build_clinic(tmp_path, database_url, settings={"threads": 2})
    running: list[int] = []
    most_at_once: list[int] = [0]
    lock = threading.Lock()
    released = threading.Event()
    real = download_pages.csv_download

    def held_download(*args: Any) -> Any:
        with lock:
            running.append(1)
            most_at_once[0] = max(most_at_once[0], len(running))
        released.wait(ANSWER_WITHIN_S * 2)
        with lock:
            running.pop()
        return real(*args)

    monkeypatch.setattr(download_pages, "csv_download", held_download)
    client = clinic.client("patient_a")
    downloads: list[httpx.Response] = []
    today: list[httpx.Response] = []
    try:
        with client:  # one portal: one event loop, its threads set by the app's settings
            senders = [
                threading.Thread(
                    target=lambda: downloads.append(client.get("/my-data/sessions.csv"))
                )
                for _ in range(3)
            ]
            for sender in senders:
                sender.start()
            page = threading.Thread(target=lambda: today.append(client.get("/today")))
            try:
                for _ in range(200):
                    if running:
                        break
                    released.wait(0.05)
                assert running, "no download started"
                page.start()
                page.join(ANSWER_WITHIN_S)
                answered_while_held = bool(today) and not released.is_set()
            finally:
                released.set()
                for sender in senders:
                    sender.join(ANSWER_WITHIN_S * 3)
                if page.is_alive() or page.ident is not None:
                    page.join(ANSWER_WITHIN_S)
    finally:
        clinic.close()
    assert answered_while_held, "Today waited for the downloads"
    assert today[0].status_code == 200
    assert most_at_once[0] == 1
    assert [r.status_code for r in downloads] == [200, 200, 200]
    assert {r.headers["content-type"].split(";")[0] for r in downloads} == {"text/csv"}
