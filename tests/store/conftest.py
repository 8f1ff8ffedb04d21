from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from spinestep.services.ports import UnitOfWorkFactory
from spinestep.store import make_engine, migrate, unit_of_work_factory


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def uow(engine: Engine) -> UnitOfWorkFactory:
    return unit_of_work_factory(engine)
