"""The login throttle: per (account, address) pair, growing delays, kept in the database."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from starlette.requests import Request

from spinestep.services import login_throttle
from spinestep.services.context import FixedClock, ServiceContext
from spinestep.services.login_throttle import LoginThrottled, ThrottlePolicy, pair_key
from spinestep.settings import parse_networks
from spinestep.store.tables import LoginThrottleRow
from spinestep.store.uow import open_store
from spinestep.web.login_limiter import client_address
from tests.web.pageflow import form_token
from tests.web.support import PASSWORD, Clinic, TestClient, build_clinic, make_app, utc

START = utc(2026, 12, 1, 9, 0, 0)
POLICY = ThrottlePolicy(free_attempts=3, first_delay_s=10, max_delay_s=80)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def throttled_clinic(tmp_path: Path, database_url: str, clock: FixedClock) -> Iterator[Clinic]:
    built = build_clinic(tmp_path, database_url, clock=clock, login_policy=POLICY)
    yield built
    built.close()


def browser(clinic: Clinic, address: str) -> TestClient:
    return TestClient(clinic.app, follow_redirects=False, client=(address, 50000))


def page_login(client: TestClient, email: str, password: str) -> tuple[int, str | None]:
    token = form_token(client.get("/login").text)
    response = client.post(
        "/login", data={"csrf_token": token, "email": email, "password": password}
    )
    return response.status_code, response.headers.get("retry-after")


def api_login(client: TestClient, email: str, password: str) -> tuple[int, str | None]:
    response = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    return response.status_code, response.headers.get("retry-after")


def test_wrong_passwords_from_many_addresses_never_lock_the_owner_out(
    throttled_clinic: Clinic,
) -> None:
    email = throttled_clinic.emails["clinician_a"]
    for n in range(30):
        attacker = browser(throttled_clinic, f"203.0.113.{n}")
        for _ in range(POLICY.free_attempts + 2):
            page_login(attacker, email, "not the password at all")
        assert api_login(attacker, email, PASSWORD)[0] == 429  # that pair is slowed
    owner = browser(throttled_clinic, "198.51.100.7")
    assert page_login(owner, email, PASSWORD)[0] == 303
    assert api_login(owner, email, PASSWORD)[0] == 201


def test_one_clinic_behind_one_address_is_not_locked_out_by_a_colleague(
    throttled_clinic: Clinic,
) -> None:
    office = "192.0.2.10"
    clumsy = browser(throttled_clinic, office)
    for _ in range(10):
        page_login(clumsy, throttled_clinic.emails["clinician_b"], "mistyped password")
    colleague = browser(throttled_clinic, office)
    assert page_login(colleague, throttled_clinic.emails["clinician_a"], PASSWORD)[0] == 303


def test_a_failing_pair_waits_longer_after_each_failure(
    throttled_clinic: Clinic, clock: FixedClock
) -> None:
    email = throttled_clinic.emails["patient_a"]
    client = browser(throttled_clinic, "203.0.113.50")
    free = [page_login(client, email, "wrong password")[0] for _ in range(POLICY.free_attempts)]
    assert free == [401] * POLICY.free_attempts
    waits = []
    for _ in range(5):
        assert page_login(client, email, "wrong password")[0] == 401
        status, retry_after = page_login(client, email, PASSWORD)  # even the right one waits
        assert status == 429
        assert retry_after is not None
        assert api_login(client, email, PASSWORD) == (429, retry_after)
        waits.append(int(retry_after))
        clock.set(clock.now() + timedelta(seconds=int(retry_after)))
    assert waits == [10, 20, 40, 80, 80]  # doubling, up to the cap
    page_login(client, email, "wrong password")
    refused = client.post(
        "/login",
        data={"csrf_token": form_token(client.get("/login").text), "email": email, "password": "x"},
    )
    assert "Try again in 80 seconds." in refused.text
    clock.set(clock.now() + timedelta(seconds=80))
    assert page_login(client, email, PASSWORD)[0] == 303
    assert page_login(browser(throttled_clinic, "203.0.113.50"), email, "wrong")[0] == 401


def test_a_blocked_attempt_is_not_counted_and_the_block_ends(
    throttled_clinic: Clinic, clock: FixedClock
) -> None:
    email = throttled_clinic.emails["patient_b"]
    client = browser(throttled_clinic, "203.0.113.60")
    for _ in range(POLICY.free_attempts + 1):
        page_login(client, email, "wrong password")
    for _ in range(20):  # hammering while blocked does not make the wait longer
        assert api_login(client, email, "wrong password") == (429, "10")
    clock.set(clock.now() + timedelta(seconds=5))
    assert api_login(client, email, PASSWORD) == (429, "5")
    clock.set(clock.now() + timedelta(seconds=5))
    assert api_login(client, email, PASSWORD)[0] == 201


def test_the_state_survives_a_new_app_on_the_same_database(
    tmp_path: Path, database_url: str, clock: FixedClock
) -> None:
    first = build_clinic(tmp_path, database_url, clock=clock, login_policy=POLICY)
    email = first.emails["clinician_a"]
    try:
        client = browser(first, "203.0.113.70")
        for _ in range(POLICY.free_attempts + 1):
            page_login(client, email, "wrong password")
    finally:
        first.close()
    second, _, engine = make_app(tmp_path, database_url, clock=clock, login_policy=POLICY)
    try:  # a restart: a new app on the same database
        restarted = TestClient(second, follow_redirects=False, client=("203.0.113.70", 1))
        assert api_login(restarted, email, PASSWORD) == (429, "10")
        elsewhere = TestClient(second, follow_redirects=False, client=("203.0.113.71", 1))
        assert api_login(elsewhere, email, PASSWORD)[0] == 201
    finally:
        engine.dispose()


def test_trying_more_than_100000_names_does_not_reset_a_pair(
    throttled_clinic: Clinic, clock: FixedClock
) -> None:
    email = throttled_clinic.emails["clinician_b"]
    client = browser(throttled_clinic, "203.0.113.80")
    for _ in range(POLICY.free_attempts + 1):
        page_login(client, email, "wrong password")
    rows = [
        {
            "key": pair_key(f"sprayed-{n}@example.org", "203.0.113.80"),
            "failures": 1,
            "last_failure_at": START,
            "blocked_until": None,
        }
        for n in range(100_001)
    ]
    with throttled_clinic.engine.begin() as connection:
        connection.execute(sa.insert(LoginThrottleRow), rows)
    for n in range(3):  # and a few more through the app, which prunes as it records
        assert page_login(client, f"more-{n}@example.org", "wrong password")[0] == 401
    assert page_login(client, email, PASSWORD) == (429, "10")
    with throttled_clinic.engine.connect() as connection:
        stored = connection.execute(sa.select(sa.func.count()).select_from(LoginThrottleRow))
        assert stored.scalar_one() == 100_001 + 1 + 3


def test_old_entries_are_forgotten_by_age(throttled_clinic: Clinic, clock: FixedClock) -> None:
    email = throttled_clinic.emails["clinician_b"]
    client = browser(throttled_clinic, "203.0.113.90")
    for _ in range(POLICY.free_attempts + 1):
        page_login(client, email, "wrong password")
    clock.set(clock.now() + POLICY.forget_after + timedelta(seconds=1))
    assert page_login(client, "someone@example.org", "wrong password")[0] == 401
    with throttled_clinic.engine.connect() as connection:
        keys = connection.execute(sa.select(LoginThrottleRow.key)).scalars().all()
    assert keys == [pair_key("someone@example.org", "203.0.113.90")]
    assert page_login(client, email, PASSWORD)[0] == 303


def test_the_account_name_is_normalised_for_the_pair() -> None:
    assert pair_key("  Anna@Clinic.Example ", "10.0.0.1") == pair_key(
        "anna@clinic.example", "10.0.0.1"
    )
    assert pair_key("anna@clinic.example", "10.0.0.1") != pair_key(
        "anna@clinic.example", "10.0.0.2"
    )


def burst(ctx: ServiceContext, account: str, threads_n: int) -> list[str]:
    """``threads_n`` attempts of one pair released at the same moment; what each got."""
    barrier = threading.Barrier(threads_n)
    outcomes: list[str] = []

    def attempt() -> None:
        barrier.wait()
        try:
            login_throttle.begin_attempt(ctx, account, "203.0.113.99", POLICY)
        except LoginThrottled:
            outcomes.append("throttled")
        except Exception as error:  # noqa: BLE001 - any other failure is the bug looked for
            outcomes.append(type(error).__name__)
        else:
            outcomes.append("counted")

    threads = [threading.Thread(target=attempt) for _ in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_simultaneous_failures_of_one_pair_are_each_counted(database_url: str) -> None:
    """A burst of guesses at one moment: after the free ones, all but one wait."""
    engine, uow = open_store(database_url)
    ctx = ServiceContext(uow=uow, clock=FixedClock(START))
    try:
        for round_n in range(10):
            account = f"burst-{round_n}@example.org"
            outcomes = burst(ctx, account, 12)
            assert sorted(set(outcomes)) == ["counted", "throttled"], outcomes
            assert outcomes.count("counted") == POLICY.free_attempts + 1
            recorded = login_throttle.failures_of(ctx, account, "203.0.113.99", POLICY)
            assert recorded == POLICY.free_attempts + 1
    finally:
        engine.dispose()


def request_from(peer: str, forwarded: list[str]) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "client": (peer, 1234), "headers": headers})


PROXIES = parse_networks("10.0.0.1, 172.16.0.0/12, fd00::/8")


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.5", ["198.51.100.1"], "203.0.113.5"),  # not a proxy: header ignored
        ("10.0.0.1", ["198.51.100.1"], "198.51.100.1"),
        ("10.0.0.1", ["6.6.6.6, 198.51.100.1"], "198.51.100.1"),  # left part is the client's
        ("10.0.0.1", ["6.6.6.6", "198.51.100.1, 172.16.4.4"], "198.51.100.1"),  # two proxies
        ("10.0.0.1", ["172.16.4.4, 10.0.0.1"], "172.16.4.4"),  # only proxies: the farthest
        ("10.0.0.1", ["6.6.6.6, not-an-address, 172.16.4.4"], "172.16.4.4"),
        ("10.0.0.1", [], "10.0.0.1"),
        ("::ffff:10.0.0.1", ["198.51.100.1:5555"], "198.51.100.1"),
        ("fd00::5", ["[2001:db8::7]:443"], "2001:db8::7"),
        ("testclient", ["198.51.100.1"], "testclient"),
    ],
)
def test_the_client_address_trusts_only_named_proxies(
    peer: str, forwarded: list[str], expected: str
) -> None:
    assert client_address(request_from(peer, forwarded), PROXIES) == expected


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_does_not_change_the_pair(
    tmp_path: Path, database_url: str, clock: FixedClock
) -> None:
    clinic = build_clinic(
        tmp_path,
        database_url,
        clock=clock,
        login_policy=POLICY,
        settings={"trusted_proxies": "10.0.0.1"},
    )
    try:
        email = clinic.emails["clinician_a"]
        attacker = browser(clinic, "203.0.113.5")
        statuses = []
        for n in range(POLICY.free_attempts + 3):
            attacker.headers["x-forwarded-for"] = f"198.51.100.{n}"
            statuses.append(api_login(attacker, email, "wrong password")[0])
        assert statuses[: POLICY.free_attempts + 1] == [401] * (POLICY.free_attempts + 1)
        assert statuses[POLICY.free_attempts + 1 :] == [429, 429]
    finally:
        clinic.close()


def test_forwarded_for_from_a_trusted_proxy_names_the_client(
    tmp_path: Path, database_url: str, clock: FixedClock
) -> None:
    clinic = build_clinic(
        tmp_path,
        database_url,
        clock=clock,
        login_policy=POLICY,
        settings={"trusted_proxies": "10.0.0.1"},
    )
    try:
        email = clinic.emails["clinician_a"]
        through_proxy = browser(clinic, "10.0.0.1")
        through_proxy.headers["x-forwarded-for"] = "198.51.100.1"
        for _ in range(POLICY.free_attempts + 1):
            assert api_login(through_proxy, email, "wrong password")[0] == 401
        assert api_login(through_proxy, email, PASSWORD)[0] == 429
        # the attacker prepends another address: the proxy still appends the real one
        through_proxy.headers["x-forwarded-for"] = "203.0.113.200, 198.51.100.1"
        assert api_login(through_proxy, email, PASSWORD)[0] == 429
        owner = browser(clinic, "10.0.0.1")
        owner.headers["x-forwarded-for"] = "198.51.100.2"
        assert page_login(owner, email, PASSWORD)[0] == 303
    finally:
        clinic.close()


def test_serve_leaves_forwarded_headers_to_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uvicorn would otherwise believe X-Forwarded-For from any local peer."""
    import uvicorn

    from spinestep.cli.web import serve

    started: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.update(options))
    monkeypatch.setenv("SPINESTEP_DATA_DIR", str(tmp_path / "data"))
    serve(host=None, port=None, database_url=f"sqlite:///{tmp_path / 's.db'}")
    assert started["proxy_headers"] is False
