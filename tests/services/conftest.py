from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from spinestep.services.context import Actor, FixedClock, ServiceContext
from spinestep.store import open_store
from tests.support.cheap_hash import CheapArgon2id
from tests.support.schema_copy import at_newest_schema

START = datetime(2026, 11, 20, 19, 0, tzinfo=UTC)  # 08:00 on 21 Nov in Auckland (NZDT, +13)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def ctx(database_url: str, clock: FixedClock) -> Iterator[ServiceContext]:
    at_newest_schema(database_url)
    engine, uow = open_store(database_url)
    yield ServiceContext(uow=uow, clock=clock, hasher=CheapArgon2id())
    engine.dispose()


@pytest.fixture
def me() -> Actor:
    return Actor.local_person()
