"""Writes that span accounts, raced on SQLite and PostgreSQL (``lock_accounts``).

- Six first-run setups sent at one barrier create exactly one admin; the others are
  refused with a Conflict (never a storage error).
- Two admins deactivating each other at one barrier leave exactly one of them active.

Each test runs many rounds on an emptied account table. Without the accounts lock the
setups create several admins (PostgreSQL) or fail with a storage error (SQLite), and
both admins end up deactivated (PostgreSQL) or one request fails with a storage error
(SQLite).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

import pytest

from spinestep.errors import Conflict, PermissionDenied, SpinestepError
from spinestep.services import accounts
from spinestep.services.context import Actor, ServiceContext, SystemClock
from spinestep.services.records import Role, UserRecord
from spinestep.store import open_store
from tests.support.races import race
from tests.support.schema_copy import at_newest_schema
from tests.web.support import PASSWORD, CheapArgon2id

ROUNDS = 15
SETUPS = 6


@pytest.fixture
def ctx(database_url: str) -> Iterator[ServiceContext]:
    at_newest_schema(database_url)
    engine, uow = open_store(database_url)
    yield ServiceContext(uow=uow, clock=SystemClock(), hasher=CheapArgon2id())
    engine.dispose()


def _empty_accounts(ctx: ServiceContext) -> None:
    with ctx.uow() as uow:
        for user in uow.users.list_all():
            assert user.id is not None
            uow.users.delete(user.id)
        uow.commit()


def _kinds(results: list[object | SpinestepError]) -> list[str]:
    return [type(result).__name__ for result in results]


def _users(ctx: ServiceContext) -> list[UserRecord]:
    with ctx.uow() as uow:
        return uow.users.list_all()


def test_simultaneous_first_run_setups_create_exactly_one_admin(ctx: ServiceContext) -> None:
    for round_number in range(ROUNDS):
        _empty_accounts(ctx)
        calls: list[Callable[[], object]] = [
            partial(
                accounts.create_first_admin,
                ctx,
                f"admin{n}.{round_number}@clinic.example",
                f"Admin {n}",
                PASSWORD,
            )
            for n in range(SETUPS)
        ]

        results = race(calls)

        created = [r for r in results if isinstance(r, UserRecord)]
        refused = [r for r in results if isinstance(r, Conflict)]
        assert len(created) == 1, f"round {round_number}: {_kinds(results)}"
        assert len(refused) == SETUPS - 1, f"round {round_number}: {_kinds(results)}"
        assert all("already set up" in str(error) for error in refused)
        stored = _users(ctx)
        assert [(u.email, u.role) for u in stored] == [(created[0].email, Role.ADMIN)]


def _admin(ctx: ServiceContext, email: str) -> Actor:
    installer = Actor(role=Role.ADMIN, user_id=None, local=True)
    return Actor.for_user(accounts.create_user(ctx, installer, email, email, Role.ADMIN, PASSWORD))


def test_two_admins_deactivating_each_other_leave_one_active(ctx: ServiceContext) -> None:
    for round_number in range(ROUNDS * 2):
        _empty_accounts(ctx)
        first = _admin(ctx, f"first.{round_number}@clinic.example")
        second = _admin(ctx, f"second.{round_number}@clinic.example")
        assert first.user_id is not None and second.user_id is not None
        calls: list[Callable[[], object]] = [
            partial(accounts.set_active, ctx, first, second.user_id, False),
            partial(accounts.set_active, ctx, second, first.user_id, False),
        ]

        results = race(calls)

        done = [r for r in results if isinstance(r, UserRecord)]
        refused = [r for r in results if isinstance(r, Conflict | PermissionDenied)]
        assert len(done) == 1 and len(refused) == 1, f"round {round_number}: {_kinds(results)}"
        active = [u for u in _users(ctx) if u.active and u.role is Role.ADMIN]
        assert len(active) == 1, f"round {round_number}: {_kinds(results)}"
        assert active[0].id != done[0].id  # the one deactivated is not the one left


def test_the_last_active_admin_cannot_be_deactivated(ctx: ServiceContext) -> None:
    installer = Actor(role=Role.ADMIN, user_id=None, local=True)
    only = accounts.create_user(ctx, installer, "only@clinic.example", "Only", Role.ADMIN, PASSWORD)
    assert only.id is not None
    with pytest.raises(Conflict, match="last active admin"):
        accounts.set_active(ctx, installer, only.id, False)
    other = _admin(ctx, "other@clinic.example")
    assert other.user_id is not None
    accounts.set_active(ctx, installer, other.user_id, False)  # another admin remains
    with pytest.raises(Conflict, match="last active admin"):
        accounts.set_active(ctx, installer, only.id, False)
    assert [u.active for u in _users(ctx)] == [True, False]


def test_a_deactivated_admin_no_longer_manages_accounts(ctx: ServiceContext) -> None:
    first = _admin(ctx, "first@clinic.example")
    second = _admin(ctx, "second@clinic.example")
    third = _admin(ctx, "third@clinic.example")
    assert first.user_id and second.user_id and third.user_id
    accounts.set_active(ctx, first, second.user_id, False)
    with pytest.raises(PermissionDenied, match="no longer manage accounts"):
        accounts.set_active(ctx, second, third.user_id, False)
    with pytest.raises(PermissionDenied, match="no longer manage accounts"):
        accounts.create_reset_link(ctx, second, third.user_id)
    assert all(u.active for u in _users(ctx) if u.id != second.user_id)
