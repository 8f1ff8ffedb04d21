"""The hourly message limit holds when one clinician's sends race, on SQLite and
PostgreSQL.

A clinician writes to several patients at one barrier. Each send locks only its own
patient, so on PostgreSQL the sends run side by side: the limit must come from the
database's counter (``take_send``), not from counting what was sent before. Without it,
more messages than the limit get through on PostgreSQL (SQLite's single write lock
serialises the sends there). The clock stands still, so every send falls in one hour.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial

import pytest

from spinestep.errors import MessageLimitReached
from spinestep.services import messages
from spinestep.services.context import FixedClock, ServiceContext
from spinestep.services.records import Role
from spinestep.store import open_store
from tests.services.message_support import add_patient, add_user
from tests.support.races import race
from tests.support.schema_copy import at_newest_schema
from tests.web.support import CheapArgon2id

ROUNDS = 12
SENDERS = 6
LIMIT = 3


@pytest.fixture
def ctx(database_url: str) -> Iterator[ServiceContext]:
    at_newest_schema(database_url)
    engine, uow = open_store(database_url)
    yield ServiceContext(
        uow=uow, clock=FixedClock(datetime(2026, 12, 3, 10, 30, tzinfo=UTC)), hasher=CheapArgon2id()
    )
    engine.dispose()


def test_racing_sends_never_pass_the_hourly_limit(ctx: ServiceContext) -> None:
    for round_ in range(ROUNDS):
        clinician = add_user(ctx, f"dr{round_}@example.org", Role.CLINICIAN)
        patients = [
            add_patient(
                ctx,
                add_user(ctx, f"p{round_}.{n}@example.org", Role.PATIENT),
                f"Patient {n}",
                clinician,
            )
            for n in range(SENDERS)
        ]

        send = partial(messages.start_thread, ctx, clinician, per_hour=LIMIT)
        results = race([partial(send, pid, "Check-in", "How are you?") for pid in patients])
        refused = [r for r in results if isinstance(r, MessageLimitReached)]
        sent = [r for r in results if isinstance(r, messages.SendOutcome)]
        assert len(sent) + len(refused) == SENDERS, results
        with ctx.uow() as uow:
            stored = sum(len(uow.messages.for_patient(pid)) for pid in patients)
        assert stored == len(sent) == LIMIT, round_
        assert len(refused) == SENDERS - LIMIT, round_
