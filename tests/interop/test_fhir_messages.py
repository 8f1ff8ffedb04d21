"""Secure messages in the patient's FHIR export: one Communication per message, valid
against the official R4 JSON schema, in order and linked to the message before it. A
Bundle holding them still imports (messages are not read back). SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from spinestep.interop.fhir import bundle_json
from spinestep.interop.fhir_read import read_bundle
from spinestep.services import messages
from spinestep.services.context import FixedClock, ServiceContext
from spinestep.services.patient_records import load_patient_records
from spinestep.store import open_store
from tests.interop.fhir_schema import assert_valid_r4
from tests.services.message_support import make_clinic
from tests.support.cheap_hash import CheapArgon2id

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def test_messages_become_schema_valid_communications(database_url: str) -> None:
    engine, uow = open_store(database_url)
    try:
        clock = FixedClock(NOW)
        ctx = ServiceContext(uow=uow, clock=clock, hasher=CheapArgon2id())
        clinic = make_clinic(ctx)
        pid = clinic.patient_id
        sent = messages.start_thread(ctx, clinic.patient, pid, "Morning stiffness", "Is it ok?")
        clock.set(NOW + timedelta(minutes=5))
        messages.reply(ctx, clinic.clinician, pid, sent.thread_id, "Yes.\nKeep going.")

        records = load_patient_records(ctx, clinic.patient, pid)
        bundle = json.loads(bundle_json(records, NOW + timedelta(hours=1)))
        assert_valid_r4(bundle)
        found = [
            (entry["fullUrl"], entry["resource"])
            for entry in bundle["entry"]
            if entry["resource"]["resourceType"] == "Communication"
        ]
        assert len(found) == 2
        (first_url, first), (_, second) = found
        patient_url = next(
            e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
        )
        assert first["payload"] == [{"contentString": "Is it ok?"}]
        assert first["sender"] == {"reference": patient_url}
        assert first["topic"] == {"text": "Morning stiffness"}
        assert first["status"] == "completed"
        assert "inResponseTo" not in first
        assert second["payload"] == [{"contentString": "Yes.\nKeep going."}]
        assert second["recipient"] == [{"reference": patient_url}]
        assert second["inResponseTo"] == [{"reference": first_url}]
        assert second["sent"] == (NOW + timedelta(minutes=5)).isoformat()
        threads = {
            ident["value"]
            for _, resource in found
            for ident in resource["identifier"]
            if ident["system"].endswith("message-thread-id")
        }
        assert len(threads) == 1

        read = read_bundle(bundle, now=NOW + timedelta(hours=2))
        assert read.messages == ()
        assert len(read.sessions) == len(records.sessions)
    finally:
        engine.dispose()
