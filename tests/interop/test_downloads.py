"""Downloads for the web app: the right bytes, names and media types, access checked."""

from __future__ import annotations

import json

import pytest
from icalendar import Calendar

from spinestep.errors import NotFound
from spinestep.interop.downloads import (
    csv_download,
    fhir_download,
    reminders_download,
    report_download,
)
from spinestep.services.context import Actor
from spinestep.services.records import Role
from tests.services.history_builder import LOCAL, Store, build_history, store

__all__ = ["store"]


def test_each_download_has_its_media_type_and_content(store: Store) -> None:
    patient_id = build_history(store)
    fhir = fhir_download(store.ctx, LOCAL, patient_id)
    assert fhir.media_type == "application/fhir+json"
    assert json.loads(fhir.content)["resourceType"] == "Bundle"
    sessions = csv_download(store.ctx, LOCAL, patient_id)
    assert sessions.filename.endswith("-sessions.csv")
    assert sessions.content.count(b"\r\n") == 6  # header + 5 sessions
    decisions = csv_download(store.ctx, LOCAL, patient_id, decisions=True)
    assert decisions.content.startswith(b"decision_id,")
    ics = reminders_download(store.ctx, LOCAL, patient_id)
    assert len(list(Calendar.from_ical(ics.content).walk("VEVENT"))) == 5
    pdf = report_download(store.ctx, LOCAL, patient_id)
    assert pdf.content.startswith(b"%PDF-") and pdf.media_type == "application/pdf"


def test_a_clinician_of_another_patient_gets_not_found(store: Store) -> None:
    patient_id = build_history(store)
    stranger = Actor(role=Role.CLINICIAN, user_id=12345)
    with pytest.raises(NotFound):
        fhir_download(store.ctx, stranger, patient_id)
    with pytest.raises(NotFound):
        report_download(store.ctx, stranger, patient_id)
