"""Two real ``spinestep serve`` servers on one database answer as one server would.

One server runs with ``--workers 2`` (three processes in all). Accounts are made
through the services; the test then talks HTTP only. Each round writes through one
server and reads through the other at once, while background readers keep asking both
(a process that kept reads would then be sure to hold a stale copy): the next request
must see the write. Deactivation, sign-out, a pause and the login limiter are checked
the same way.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from spinestep.services.login_throttle import DEFAULT_POLICY
from tests.web.pageflow import form_token
from tests.web.support import PASSWORD, Clinic, add_patient, build_clinic

SECRET = "two-process-test-secret"
ROUNDS = 6
STOP_NOW = {"pain_before": 3, "pain_now": 6, "location_before": "thigh", "location_now": "foot"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def _serve(database_url: str, workdir: Path, *extra: str) -> Iterator[str]:
    workdir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log_path = workdir / "server.log"
    env = dict(
        os.environ,
        SPINESTEP_DATA_DIR=str(workdir / "data"),
        SPINESTEP_SECRET_KEY=SECRET,
        SPINESTEP_DATABASE_URL=database_url,
    )
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "spinestep", "serve", "--port", str(port), *extra],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Servers:
    """Two servers on one database, its accounts, and the HTTP clients made (closed after)."""

    clinic: Clinic
    first: str
    second: str
    leaving: tuple[str, int]  # e-mail and account id of a patient who signs out, then leaves
    locked_out: str  # e-mail of an account whose sign-ins the limiter holds back
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self, base: str, **options: Any) -> httpx.Client:
        made = httpx.Client(base_url=base, **options)
        self.clients.append(made)
        return made

    def token(self, base: str, email: str) -> str:
        answer = self.client(base).post(
            "/api/v1/auth/token", json={"email": email, "password": PASSWORD}
        )
        assert answer.status_code == 201, answer.text
        token: str = answer.json()["token"]
        return token

    def api(self, base: str, token: str) -> httpx.Client:
        return self.client(base, headers={"authorization": f"Bearer {token}"})

    def browser(self, base: str, email: str) -> httpx.Client:
        client = self.client(base)
        token = form_token(client.get("/login").text)
        data = {"csrf_token": token, "email": email, "password": PASSWORD}
        answer = client.post("/login", data=data)
        assert answer.status_code == 303, answer.text
        return client


@pytest.fixture(scope="module")
def servers(
    module_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Servers]:
    workdir = tmp_path_factory.mktemp("two-servers")
    database_url = module_database_url
    clinic = build_clinic(workdir / "setup", database_url)
    leaving_id, _ = add_patient(clinic.ctx, clinic.clinician_a, "leaving@clinic.example", "Lee")
    add_patient(clinic.ctx, clinic.clinician_a, "locked@clinic.example", "Lou")
    clinic.close()  # the accounts are stored; from here on only the servers are used
    with ExitStack() as stack:
        first = stack.enter_context(_serve(database_url, workdir / "one", "--workers", "2"))
        second = stack.enter_context(_serve(database_url, workdir / "two"))
        made = Servers(
            clinic, first, second, ("leaving@clinic.example", leaving_id), "locked@clinic.example"
        )
        try:
            yield made
        finally:
            for client in made.clients:
                client.close()


def _stage(client: httpx.Client) -> int:
    answer = client.get("/api/v1/me/plan")
    assert answer.status_code == 200, answer.text
    stage: int = answer.json()["stage"]["number"]
    return stage


@contextmanager
def _readers(clients: list[httpx.Client]) -> Iterator[None]:
    """Threads that keep reading the plan through each client until the block ends."""
    stop = threading.Event()

    def keep_reading(client: httpx.Client) -> None:
        while not stop.is_set():
            client.get("/api/v1/me/plan")

    threads = [threading.Thread(target=keep_reading, args=(c,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)


def test_a_write_in_one_server_is_seen_by_the_next_request_to_the_other(
    servers: Servers,
) -> None:
    clinic, first, second = servers.clinic, servers.first, servers.second
    patient_token = servers.token(first, clinic.emails["patient_a"])
    physio_token = servers.token(second, clinic.emails["clinician_a"])
    patient = {base: servers.api(base, patient_token) for base in (first, second)}
    physio = {base: servers.api(base, physio_token) for base in (first, second)}
    background = [servers.api(base, patient_token) for base in (first, second)]
    url = f"/api/v1/patients/{clinic.patient_a}/plan"
    with _readers(background):
        for number in range(ROUNDS):
            writer, reader = (first, second) if number % 2 == 0 else (second, first)
            before = (_stage(patient[first]), _stage(patient[second]))
            stage = before[0] % 3 + 1  # stages 1-3, a different one each round
            answer = physio[writer].patch(url, json={"current_stage": stage})
            assert answer.status_code == 200, answer.text
            assert _stage(patient[reader]) == stage, f"round {number}"
            assert _stage(patient[writer]) == stage, f"round {number}"


def test_a_pause_in_one_server_holds_at_once_in_the_other(servers: Servers) -> None:
    token = servers.token(servers.first, servers.clinic.emails["patient_b"])
    here, there = servers.api(servers.first, token), servers.api(servers.second, token)
    with _readers([servers.api(servers.second, token)]):
        assert there.get("/api/v1/me/plan").json()["paused"] is False
        assert here.post("/api/v1/me/stop-now", json=STOP_NOW).status_code == 201
        assert there.get("/api/v1/me/plan").json()["paused"] is True


def test_sign_out_and_deactivation_in_one_server_hold_at_once_in_the_other(
    servers: Servers,
) -> None:
    first, second = servers.first, servers.second
    email, user_id = servers.leaving
    signed_in = servers.browser(first, email)
    elsewhere = servers.client(second, cookies=signed_in.cookies)
    assert elsewhere.get("/today").status_code == 200
    csrf = form_token(signed_in.get("/today").text)
    assert signed_in.post("/logout", data={"csrf_token": csrf}).status_code == 303
    assert elsewhere.get("/today").status_code == 303  # signed out: to the sign-in page

    browser = servers.client(second, cookies=servers.browser(first, email).cookies)
    api = servers.api(second, servers.token(second, email))
    with _readers([servers.api(second, servers.token(second, email))]):
        assert browser.get("/today").status_code == 200
        assert api.get("/api/v1/me/plan").status_code == 200
        admin = servers.api(first, servers.token(first, servers.clinic.emails["admin"]))
        answer = admin.patch(f"/api/v1/admin/users/{user_id}", json={"active": False})
        assert answer.status_code == 200, answer.text
        assert browser.get("/today").status_code == 303
        assert api.get("/api/v1/me/plan").status_code == 401


def test_the_login_limiter_is_shared_by_the_servers(servers: Servers) -> None:
    wrong = {"email": servers.locked_out, "password": "not the password"}
    bases = (servers.first, servers.second)
    for attempt in range(DEFAULT_POLICY.free_attempts + 1):
        answer = servers.client(bases[attempt % 2]).post("/api/v1/auth/token", json=wrong)
        assert answer.status_code == 401
    # The next attempt on either server is held back, even with the right password.
    right = {"email": servers.locked_out, "password": PASSWORD}
    for base in bases:
        assert servers.client(base).post("/api/v1/auth/token", json=right).status_code == 429
