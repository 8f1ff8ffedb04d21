"""Every exported Bundle passes the official HL7 FHIR R4 JSON Schema and the R4
invariants checked in ``tests.interop.fhir_schema``, and the R4B models read it back from
its text; a broken Bundle fails them, so the validators are known to run."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from spinestep.domain.model import Effort, Location, SessionRecord
from spinestep.domain.text import tidy_name
from spinestep.interop.fhir import build_bundle, bundle_json
from spinestep.services.context import Actor, FixedClock, ServiceContext
from spinestep.services.demo import build_demo
from spinestep.services.patient_records import load_patient_records
from spinestep.services.record_types import (
    OdiAnswers,
    PatientInfo,
    PatientRecords,
    PsfsActivity,
    PsfsAnswers,
    QuestionnaireEntry,
    RmdqAnswers,
    SessionEntry,
)
from spinestep.store import open_store
from tests.interop.fhir_schema import (
    SCHEMA_FILE,
    assert_valid_r4,
    invariant_errors,
    schema_errors,
)
from tests.interop.sample_records import sample_records

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
Json = dict[str, Any]


class PlainHasher:
    def hash(self, password: str) -> str:
        return f"plain:{password}"

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == f"plain:{password}"


@pytest.fixture(scope="module")
def demo_bundles(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Json]]:
    """The Bundle of every patient of the demo clinic (one SQLite database)."""
    folder: Path = tmp_path_factory.mktemp("demo")
    engine, uow = open_store(f"sqlite:///{folder / 'demo.db'}")
    clock = FixedClock(datetime(2026, 12, 3, 20, 0, tzinfo=UTC))
    build_demo(uow, PlainHasher(), clock)
    ctx = ServiceContext(uow=uow, clock=clock)
    with uow() as unit:
        ids = [p.id for p in unit.patients.list_all() if p.id is not None]
    yield [
        json.loads(bundle_json(load_patient_records(ctx, Actor.local_person(), pid), NOW))
        for pid in ids
    ]
    engine.dispose()


def r4b_reads(bundle: Json) -> bool:
    """The R4B models accept the Bundle's JSON text (parsed afresh, not the export's dicts)."""
    try:
        Bundle.model_validate_json(json.dumps(bundle))
    except (ValidationError, KeyError, ValueError):  # an unknown type is a KeyError there
        return False
    return True


def test_the_shipped_schema_is_hl7s_r4_schema() -> None:
    readme = (SCHEMA_FILE.parent / "README.md").read_text()
    assert "CC0" in readme and "4.0" in readme


def test_the_full_sample_bundle_is_valid_r4() -> None:
    bundle = json.loads(bundle_json(sample_records(), NOW))
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"Patient", "CarePlan", "Observation", "QuestionnaireResponse", "Flag"} <= kinds
    assert_valid_r4(bundle)
    assert r4b_reads(bundle)


def test_every_demo_patients_bundle_is_valid_r4(demo_bundles: list[Json]) -> None:
    assert len(demo_bundles) >= 10
    for bundle in demo_bundles:
        assert_valid_r4(bundle)
        assert r4b_reads(bundle)


def test_a_patient_alone_is_valid_r4() -> None:
    assert_valid_r4(build_bundle(PatientRecords(patient=PatientInfo(id="1")), NOW))


_sessions = st.builds(
    SessionRecord,
    at=st.datetimes(
        min_value=datetime(2025, 1, 1),
        max_value=datetime(2026, 11, 1),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5))]),
    ),
    stage=st.integers(1, 6),
    effort=st.sampled_from(list(Effort)),
    pain_before=st.integers(0, 10),
    pain_during=st.integers(0, 10),
    pain_after=st.integers(0, 10),
    location_before=st.sampled_from(list(Location)),
    location_after=st.sampled_from(list(Location)),
    completed=st.booleans(),
    reps=st.none() | st.integers(0, 30),
)


#: Any text a person might type, as the service stores it (runs of whitespace made one
#: space, control and formatting characters dropped): it must export as valid R4.
_activity_names = st.text(min_size=1, max_size=30).map(tidy_name).filter(bool)
_answers = st.one_of(
    st.lists(st.integers(0, 5), min_size=10, max_size=10).flatmap(
        lambda sections: st.sets(st.integers(0, 9), max_size=2).map(
            lambda missing: OdiAnswers(
                tuple(None if i in missing else v for i, v in enumerate(sections))
            )
        )
    ),
    st.sets(st.integers(1, 24)).map(lambda ticked: RmdqAnswers(tuple(sorted(ticked)))),
    st.lists(
        st.builds(PsfsActivity, _activity_names, st.integers(0, 10)),
        min_size=1,
        max_size=3,
    ).map(lambda activities: PsfsAnswers(tuple(activities))),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sessions=st.lists(_sessions, max_size=4, unique_by=lambda s: s.at),
    answers=st.lists(_answers, max_size=3),
)
def test_any_sessions_and_questionnaires_export_as_valid_r4(
    sessions: list[SessionRecord], answers: list[Any]
) -> None:
    start = datetime(2026, 6, 2, 9, 0, tzinfo=UTC)
    records = PatientRecords(
        patient=PatientInfo(id="p"),
        sessions=tuple(SessionEntry(str(i), s) for i, s in enumerate(sessions)),
        questionnaires=tuple(
            QuestionnaireEntry(str(i), start + timedelta(days=14 * i), a)
            for i, a in enumerate(answers)
        ),
    )
    assert_valid_r4(json.loads(bundle_json(records, NOW)))


def _first(bundle: Json, kind: str) -> Json:
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind)


def _bad_status(bundle: Json) -> None:
    _first(bundle, "Flag")["status"] = "done"


def _pain_as_a_fraction(bundle: Json) -> None:
    pain = next(e["resource"] for e in bundle["entry"] if "valueInteger" in e["resource"])
    pain["valueInteger"] = 2.5


def _unknown_field(bundle: Json) -> None:
    _first(bundle, "Patient")["colour"] = "blue"


def _unknown_resource(bundle: Json) -> None:
    bundle["entry"][1]["resource"]["resourceType"] = "ExerciseSession"


def _dangling_reference(bundle: Json) -> None:
    _first(bundle, "Observation")["subject"] = {
        "reference": "urn:uuid:" + "0" * 8 + "-0000-4000-8000-" + "0" * 12
    }


def _period_backwards(bundle: Json) -> None:
    flag = next(
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Flag" and "end" in e["resource"]["period"]
    )
    flag["period"]["end"] = "2001-01-01T00:00:00+00:00"


def _empty_element(bundle: Json) -> None:
    _first(bundle, "Patient")["name"] = [{}]


Breakage = Callable[[Json], None]


# Which check catches what (schema, invariants, R4B models). The R4B models do not check
# value sets; the schema's integer is a JSON number (2.5 passes it); an empty element
# breaks only ele-1. Every breakage is caught, and each check catches at least one.
@pytest.mark.parametrize(
    ("breakage", "schema", "invariants", "r4b"),
    [
        (_bad_status, True, False, False),
        (_pain_as_a_fraction, False, False, True),
        (_unknown_field, True, False, True),
        (_unknown_resource, True, False, True),
        (_dangling_reference, False, True, False),
        (_period_backwards, False, True, False),
        (_empty_element, False, True, False),
    ],
)
def test_a_broken_bundle_is_refused(
    breakage: Breakage, schema: bool, invariants: bool, r4b: bool
) -> None:
    bundle = json.loads(bundle_json(sample_records(), NOW))
    broken = copy.deepcopy(bundle)
    breakage(broken)
    assert bool(schema_errors(broken)) is schema
    assert bool(invariant_errors(broken)) is invariants
    assert (not r4b_reads(broken)) is r4b
    assert schema_errors(bundle) == [] and invariant_errors(bundle) == []
