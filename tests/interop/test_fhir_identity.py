"""FHIR identity: two installations never share an id (issue: a receiver could merge two
people's records). Each database is filled with the same demo clinic, at the same clock,
and every patient exported; on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from spinestep.interop.fhir import build_bundle
from spinestep.interop.fhir_read import read_bundle
from spinestep.services.context import Actor, FixedClock, ServiceContext
from spinestep.services.demo import build_demo
from spinestep.services.patient_records import import_patient_records, load_patient_records
from spinestep.store import make_engine, migrate, unit_of_work_factory
from tests.interop.fhir_ids import renamed_ids
from tests.interop.fhir_schema import assert_valid_r4
from tests.services.history_builder import (
    Store,
    build_history,
    second_database_url,
    second_store,
    store,
)

__all__ = ["second_database_url", "second_store", "store"]

NOW = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
LOCAL = Actor.local_person()
Json = dict[str, Any]


class PlainHasher:
    """The demo's accounts are not signed in to here."""

    def hash(self, password: str) -> str:
        return f"plain:{password}"

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == f"plain:{password}"


@dataclass
class Installation:
    ctx: ServiceContext
    uuid: str
    patient_ids: list[int]

    def bundles(self) -> list[Json]:
        return [
            build_bundle(load_patient_records(self.ctx, LOCAL, pid), NOW)
            for pid in self.patient_ids
        ]


def _demo(url: str) -> Iterator[Installation]:
    engine = make_engine(url)
    migrate(engine)
    uow = unit_of_work_factory(engine)
    clock = FixedClock(NOW)
    build_demo(uow, PlainHasher(), clock)
    with uow() as unit:
        ids = [p.id for p in unit.patients.list_all() if p.id is not None]
        installation = unit.installation.uuid()
    yield Installation(ServiceContext(uow=uow, clock=clock), installation, ids)
    engine.dispose()


@pytest.fixture
def first(database_url: str) -> Iterator[Installation]:
    yield from _demo(database_url)


@pytest.fixture
def second(second_database_url: str) -> Iterator[Installation]:
    yield from _demo(second_database_url)


def ids_of(bundle: Json) -> set[str]:
    """The Bundle's id and every entry's fullUrl, resource id and identifier value."""
    found = {bundle["id"]}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Questionnaire":
            continue  # a shared definition: the same questionnaire everywhere, by design
        found |= {entry["fullUrl"], resource["id"]}
        identifiers = resource.get("identifier") or []
        if isinstance(identifiers, dict):  # QuestionnaireResponse has one, not a list
            identifiers = [identifiers]
        found |= {str(identifier["value"]) for identifier in identifiers}
    return found


def patient_of(bundle: Json) -> Json:
    (patient,) = (
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    return patient


def test_two_installations_with_the_same_demo_share_no_id(
    first: Installation, second: Installation
) -> None:
    assert first.uuid != second.uuid
    ones, twos = first.bundles(), second.bundles()
    assert len(ones) == len(twos) >= 10
    # The same clinic, so the same local row numbers on both sides.
    assert first.patient_ids == second.patient_ids
    one_ids = set().union(*(ids_of(b) for b in ones))
    two_ids = set().union(*(ids_of(b) for b in twos))
    assert sum(len(b["entry"]) for b in ones) > 100
    assert one_ids.isdisjoint(two_ids)
    for bundle in ones + twos:
        assert_valid_r4(bundle)
    for installation, bundles in ((first, ones), (second, twos)):
        for bundle in bundles:
            (identifier,) = patient_of(bundle)["identifier"]
            assert identifier["system"] == f"urn:uuid:{installation.uuid}"
            assert uuid.UUID(identifier["value"]).version == 4
    # and within one installation no two patients share an id either
    assert sum(len(ids_of(b)) for b in ones) == len(one_ids)

    # Exported again: the same resource ids, a new Bundle id.
    for one, two in zip(ones, first.bundles(), strict=True):
        assert [e["fullUrl"] for e in one["entry"]] == [e["fullUrl"] for e in two["entry"]]
        assert [e["resource"]["id"] for e in one["entry"]] == [
            e["resource"]["id"] for e in two["entry"]
        ]
        assert one["id"] != two["id"]


def test_an_import_gives_every_record_a_new_uuid(store: Store, second_store: Store) -> None:
    source = build_bundle(load_patient_records(store.ctx, LOCAL, build_history(store)), NOW)
    assert len(source["entry"]) > 20
    second_store.clock.set(NOW)
    copies = [
        import_patient_records(second_store.ctx, LOCAL, read_bundle(source, NOW)) for _ in range(2)
    ]
    exported = [
        build_bundle(load_patient_records(second_store.ctx, LOCAL, pid), NOW) for pid in copies
    ]
    # Imported twice: two patients, each with ids of its own, none from the file.
    assert ids_of(exported[0]).isdisjoint(ids_of(source))
    assert ids_of(exported[1]).isdisjoint(ids_of(source))
    assert ids_of(exported[0]).isdisjoint(ids_of(exported[1]))
    (identifier,) = patient_of(exported[0])["identifier"]
    with second_store.ctx.uow() as uow:
        assert identifier["system"] == f"urn:uuid:{uow.installation.uuid()}"
    # the references still tie the same entries together
    assert renamed_ids(exported[0]) == renamed_ids(exported[1])
