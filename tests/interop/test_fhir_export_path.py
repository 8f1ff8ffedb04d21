"""The FHIR export is written without a model object per resource, and writes exactly what
the validated export wrote.

The export used to validate the whole Bundle with ``fhir.resources``' R4B models and
write it with ``json.dumps(indent=2, ensure_ascii=False)``; for three years of sessions
that took most of a minute. It now writes the same JSON by a compiled encoder and leaves
the model checks to the tests (``test_fhir_schema.py``, ``test_fhir.py``).
"""

from __future__ import annotations

import dataclasses
import gc
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from hypothesis import given
from hypothesis import strategies as st

from spinestep.interop import fhir
from spinestep.services.record_types import PatientRecords
from tests.interop.sample_records import sample_records

GENERATED_AT = datetime(2026, 11, 6, 12, 0, tzinfo=UTC)
FIXED_BUNDLE_ID = uuid.UUID("0f0e0d0c-0b0a-4908-8706-050403020100")


def _awkward_records() -> PatientRecords:
    """The sample history with text the encoders must escape alike: quotes, backslashes,
    control characters, non-ASCII letters, emoji and markup."""
    records = sample_records()
    name = 'Zoë "Quill" O\'Brien\\Ñ\t\n\x01\x1f <b>&amp; 🦴 \u2028'
    return dataclasses.replace(records, patient=dataclasses.replace(records.patient, name=name))


@pytest.fixture
def fixed_bundle_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fhir.uuid, "uuid4", lambda: FIXED_BUNDLE_ID)


def _old_export(records: PatientRecords) -> str:
    """What the export wrote before: the Bundle validated, then ``json.dumps``."""
    bundle = fhir.build_bundle(records, GENERATED_AT)
    Bundle.model_validate(bundle)
    return json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.usefixtures("fixed_bundle_id")
@pytest.mark.parametrize(
    "records", [sample_records(), _awkward_records()], ids=["sample", "awkward"]
)
def test_the_export_writes_byte_for_byte_what_the_validated_export_wrote(
    records: PatientRecords,
) -> None:
    old = _old_export(records)
    assert fhir.bundle_bytes(records, GENERATED_AT) == old.encode("utf-8")
    assert fhir.bundle_json(records, GENERATED_AT) == old
    assert json.loads(old)["id"] == str(FIXED_BUNDLE_ID)


def test_the_export_builds_no_fhir_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """No R4B model is built on the export path (an import still checks what it reads)."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the export built a FHIR model")

    monkeypatch.setattr(Bundle, "model_validate", refuse)
    monkeypatch.setattr(Bundle, "model_validate_json", refuse)
    monkeypatch.setattr(Bundle, "__init__", refuse)
    written = json.loads(fhir.bundle_bytes(sample_records(), GENERATED_AT))
    assert written["resourceType"] == "Bundle"
    assert len(written["entry"]) == len(fhir.build_bundle(sample_records(), GENERATED_AT)["entry"])


@given(namespace=st.uuids(), name=st.text(max_size=40))
def test_name_based_ids_are_the_standard_uuid5(namespace: uuid.UUID, name: str) -> None:
    record_uuid = str(namespace)
    assert (
        fhir.full_url(record_uuid, name or "x") == f"urn:uuid:{uuid.uuid5(namespace, name or 'x')}"
    )
    assert fhir.full_url(record_uuid) == f"urn:uuid:{namespace}"
    assert fhir.full_url(namespace.hex.upper()) == f"urn:uuid:{namespace}"


def test_the_collector_pause_is_counted_and_restores_what_was_there() -> None:
    assert gc.isenabled()
    with fhir.gc_paused():
        assert not gc.isenabled()
        with fhir.gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer export is still building
    assert gc.isenabled()
    gc.disable()
    try:
        with fhir.gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # it was off before: left off
    finally:
        gc.enable()


def test_the_collector_runs_again_after_a_failed_export() -> None:
    with pytest.raises(ValueError), fhir.gc_paused():
        raise ValueError("export failed")
    assert gc.isenabled()
