"""Composition root of the web app: opens the store and picks the clock and password hasher."""

from __future__ import annotations

from dataclasses import dataclass

from spinestep.services.context import SystemClock
from spinestep.services.ports import Clock, PasswordHasher, UnitOfWorkFactory
from spinestep.settings import Settings


@dataclass(frozen=True, slots=True)
class Backend:
    uow: UnitOfWorkFactory
    clock: Clock
    hasher: PasswordHasher


def build_backend(
    settings: Settings,
    *,
    uow: UnitOfWorkFactory | None = None,
    clock: Clock | None = None,
    hasher: PasswordHasher | None = None,
) -> Backend:
    if uow is None:
        from spinestep.store.uow import open_store

        _engine, uow = open_store(settings.resolved_database_url())
    if hasher is None:
        from spinestep.services.passwords import Argon2PasswordHasher

        hasher = Argon2PasswordHasher()
    return Backend(uow=uow, clock=clock or SystemClock(), hasher=hasher)
