"""The setup page of a fresh install creates exactly one admin, even when sent six times at once.

Real requests against the app, on SQLite and PostgreSQL: each round empties the account
table, lets six browsers load the setup form, then releases their submissions at one
barrier. Exactly one is signed in as the new admin; the others are sent to the start
page, which now asks them to sign in.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi import FastAPI

from spinestep.services.context import ServiceContext
from spinestep.services.records import Role
from tests.web.support import PASSWORD, TestClient, csrf_token, make_app

ROUNDS = 8
BROWSERS = 6


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> Iterator[tuple[FastAPI, ServiceContext]]:
    built, ctx, engine = make_app(tmp_path, database_url)
    yield built, ctx
    engine.dispose()


def _empty_accounts(ctx: ServiceContext) -> None:
    with ctx.uow() as uow:
        for user in uow.users.list_all():
            assert user.id is not None
            uow.users.delete(user.id)
        uow.commit()


def _submit(
    browser: TestClient, token: str, email: str, barrier: threading.Barrier
) -> tuple[int, str]:
    """Wait at the barrier, then send the setup form; the status and where it leads."""
    barrier.wait()
    response = browser.post(
        "/setup",
        data={
            "csrf_token": token,
            "display_name": "First Admin",
            "email": email,
            "password": PASSWORD,
        },
    )
    return response.status_code, response.headers.get("location", "")


def test_six_setups_at_once_make_one_admin(app: tuple[FastAPI, ServiceContext]) -> None:
    web, ctx = app
    for round_number in range(ROUNDS):
        _empty_accounts(ctx)
        browsers = [TestClient(web, follow_redirects=False) for _ in range(BROWSERS)]
        tokens = [csrf_token(browser, "/setup") for browser in browsers]
        emails = [f"admin{i}.{round_number}@clinic.example" for i in range(BROWSERS)]
        barrier = threading.Barrier(BROWSERS)
        with ThreadPoolExecutor(BROWSERS) as pool:
            answers = list(pool.map(_submit, browsers, tokens, emails, [barrier] * BROWSERS))

        expected = [(303, "/admin")] + [(303, "/")] * (BROWSERS - 1)
        assert sorted(answers) == sorted(expected), f"round {round_number}: {answers}"
        with ctx.uow() as uow:
            users = uow.users.list_all()
        assert [user.role for user in users] == [Role.ADMIN], f"round {round_number}"
        winner = answers.index((303, "/admin"))
        assert users[0].email == emails[winner]
        assert browsers[winner].get("/admin").status_code == 200
        for index, browser in enumerate(browsers):
            if index != winner:
                assert browser.get("/").headers["location"] == "/login"
