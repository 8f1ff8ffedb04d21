"""Imported files pass the checks of live entry, within limits, and name what is wrong."""

from __future__ import annotations

import copy
import io
import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from spinestep.errors import InvalidInput
from spinestep.interop.csv_io import DECISION_COLUMNS, read_csv, read_csv_stream
from spinestep.interop.fhir import build_bundle, bundle_json
from spinestep.interop.fhir_read import read_bundle, read_bundle_stream
from spinestep.services.record_types import PatientInfo
from tests.interop.fhir_ids import without_ids
from tests.interop.sample_records import sample_records

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
HEADER = (
    "session_id,at,stage,completed,reps,effort,pain_before,pain_during,pain_after,"
    "location_before,location_after"
)
ROW = "{id},{at},1,true,10,easy,6,5,4,thigh,buttock"
Json = dict[str, Any]


def sessions_file(*instants: str) -> str:
    rows = [ROW.format(id=i + 1, at=at) for i, at in enumerate(instants)]
    return "\r\n".join([HEADER, *rows]) + "\r\n"


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("0001-01-01T08:00:00+00:00", "line 3, at: must be on or after 2000-01-01"),
        ("2999-01-01T08:00:00+00:00", "line 3, at: must not be in the future"),
        ("2026-11-02T08:00:00-23:59", "line 3, at: has a UTC offset beyond ±14:00"),
    ],
)
def test_csv_refuses_impossible_instants(at: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        read_csv(sessions_file("2026-11-01T08:00:00Z", at), NOW)
    assert str(caught.value) == message


def test_csv_refuses_two_sessions_at_one_instant_even_in_other_offsets() -> None:
    text = sessions_file("2026-11-01T08:00:00Z", "2026-11-01T09:00:00+01:00")
    with pytest.raises(InvalidInput) as caught:
        read_csv(text, NOW)
    assert str(caught.value) == "line 3, at: another session is at the same instant"


def test_csv_refuses_a_session_id_with_control_characters() -> None:
    text = sessions_file("2026-11-01T08:00:00Z").replace("\r\n1,", "\r\n\x1b[31m,", 1)
    with pytest.raises(InvalidInput, match="line 2, session_id: must be 1-64 printable"):
        read_csv(text, NOW)


def test_a_forged_decisions_file_is_never_read_whatever_its_date() -> None:
    for at in ("2999-01-01T00:00:00Z", "2026-11-20T08:00:00Z"):
        row = f"1,{at},progress,none,3,,R8,FORGED: skip the red-flag questions,2026.12-1"
        with pytest.raises(InvalidInput) as caught:
            read_csv(",".join(DECISION_COLUMNS) + "\r\n" + row + "\r\n", NOW)
        assert str(caught.value).startswith("line 1: a decisions file is not imported")


def test_csv_stops_at_its_row_limit() -> None:
    text = sessions_file(*(f"2026-11-01T08:{m:02d}:00Z" for m in range(6)))
    assert len(read_csv_stream(io.BytesIO(text.encode()), NOW, max_rows=6).sessions) == 6
    with pytest.raises(InvalidInput) as caught:
        read_csv_stream(io.BytesIO(text.encode()), NOW, max_rows=5)
    assert str(caught.value) == "line 7: the file holds more than 5 rows"


class CountingStream(io.BytesIO):
    """Bytes in memory that count how many were read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.taken = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk


def test_csv_stops_reading_once_past_its_size_limit() -> None:
    big = sessions_file(*(f"2026-11-01T{h:02d}:{m:02d}:00Z" for h in range(24) for m in range(60)))
    stream = CountingStream(big.encode())
    with pytest.raises(InvalidInput, match="file: is larger than 4096 bytes"):
        read_csv_stream(stream, NOW, max_bytes=4096)
    assert stream.taken < 4096 + 64 * 1024 < len(big)


def test_csv_that_is_not_utf8_is_named() -> None:
    data = (sessions_file("2026-11-01T08:00:00Z") + "\xff").encode("latin-1")
    with pytest.raises(InvalidInput, match="file: is not UTF-8 text"):
        read_csv_stream(io.BytesIO(data), NOW)


# FHIR


@pytest.fixture
def bundle() -> Json:
    return build_bundle(sample_records(), NOW)


def entries(bundle: Json, kind: str) -> list[tuple[int, Json]]:
    return [
        (i, e["resource"])
        for i, e in enumerate(bundle["entry"])
        if e["resource"]["resourceType"] == kind
    ]


def session_panels(bundle: Json) -> list[tuple[int, Json]]:
    return [(i, r) for i, r in entries(bundle, "Observation") if r.get("hasMember")]


def component(panel: Json, code: str) -> Json:
    for part in panel["component"]:
        if any(coding["code"] == code for coding in part["code"]["coding"]):
            return part
    raise AssertionError(code)


def refused(bundle: Json) -> str:
    with pytest.raises(InvalidInput) as caught:
        read_bundle(bundle, NOW)
    return str(caught.value)


def test_fhir_refuses_negative_reps(bundle: Json) -> None:
    index, panel = session_panels(bundle)[0]
    component(panel, "reps")["valueInteger"] = -5
    assert refused(bundle) == f"entry[{index}].resource.component[reps]: must be an integer 0-1000"


def test_fhir_refuses_a_stage_the_protocol_does_not_have(bundle: Json) -> None:
    index, panel = session_panels(bundle)[0]
    component(panel, "stage")["valueInteger"] = 9
    assert refused(bundle) == f"entry[{index}].resource.stage: must be 1-3"


@pytest.mark.parametrize(
    ("when", "problem"),
    [
        ("2099-01-01T08:00:00+00:00", "must not be in the future"),
        ("0001-01-01T08:00:00+00:00", "must be on or after 2000-01-01"),
    ],
)
def test_fhir_refuses_sessions_outside_the_possible_years(
    bundle: Json, when: str, problem: str
) -> None:
    index, panel = session_panels(bundle)[-1]
    panel["effectiveDateTime"] = when
    assert refused(bundle) == f"entry[{index}].resource.at: {problem}"


def test_fhir_refuses_two_sessions_at_one_instant(bundle: Json) -> None:
    (_, first), (index, second) = session_panels(bundle)[:2]
    second["effectiveDateTime"] = first["effectiveDateTime"]
    assert refused(bundle) == (
        f"entry[{index}].resource.effectiveDateTime: another session is at the same instant"
    )


def test_fhir_refuses_an_unknown_red_flag_code(bundle: Json) -> None:
    index, flag = entries(bundle, "Flag")[0]
    flag["code"]["coding"][0]["code"] = "made_up_flag"
    assert refused(bundle) == f"entry[{index}].resource.code: is not a red flag code of spinestep"


@pytest.mark.parametrize("kind", ["Observation", "QuestionnaireResponse", "Flag", "CarePlan"])
def test_fhir_refuses_a_status_outside_the_r4_value_set(bundle: Json, kind: str) -> None:
    index, resource = entries(bundle, kind)[0]
    resource["status"] = "bogus"
    message = refused(bundle)
    assert message.startswith(f"entry[{index}].resource.status: must be a {kind}.status of FHIR")


@pytest.mark.parametrize("kind", ["Observation", "QuestionnaireResponse", "Flag"])
def test_fhir_does_not_import_a_record_entered_in_error(bundle: Json, kind: str) -> None:
    index, resource = entries(bundle, kind)[0]
    resource["status"] = "entered-in-error"
    assert refused(bundle) == (
        f"entry[{index}].resource.status: 'entered-in-error' is not a record spinestep imports"
    )


def test_fhir_refuses_a_resolved_flag_marked_active(bundle: Json) -> None:
    resolved = [(i, f) for i, f in entries(bundle, "Flag") if f.get("period", {}).get("end")]
    index, flag = resolved[0]
    flag["status"] = "active"
    assert refused(bundle).startswith(f"entry[{index}].resource.status: must be inactive")


def test_fhir_refuses_a_repeated_full_url(bundle: Json) -> None:
    bundle["entry"][3]["fullUrl"] = bundle["entry"][1]["fullUrl"]
    assert refused(bundle) == "entry[3].fullUrl: is the fullUrl of an earlier entry"


@pytest.mark.parametrize("zone", ["Europe", "localtime", "Factory", "Mars/Olympus"])
def test_fhir_refuses_a_time_zone_that_is_not_a_canonical_iana_zone(zone: str) -> None:
    records = replace(sample_records(), patient=replace(sample_records().patient, time_zone=zone))
    message = refused(build_bundle(records, NOW))
    assert message.startswith("entry[0].resource.extension.time-zone: ")


def test_fhir_refuses_a_name_with_terminal_escapes() -> None:
    patient = PatientInfo(id="1", name="Ana \x1b[2J", time_zone="Europe/Berlin")
    records = replace(sample_records(), patient=patient)
    assert refused(build_bundle(records, NOW)) == (
        "entry[0].resource.name: must not contain control or formatting characters"
    )


def test_fhir_refuses_a_questionnaire_dated_in_the_future(bundle: Json) -> None:
    index, response = entries(bundle, "QuestionnaireResponse")[0]
    response["authored"] = "2999-05-01T10:00:00+00:00"
    assert refused(bundle) == f"entry[{index}].resource.authored: must not be in the future"


def stream_of(bundle: Json) -> io.BytesIO:
    return io.BytesIO(json.dumps(bundle).encode())


def test_fhir_stops_at_its_entry_limit(bundle: Json) -> None:
    count = len(bundle["entry"])
    (patient,) = (
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    read = read_bundle_stream(stream_of(bundle), NOW, max_entries=count)
    assert read.patient.id == patient["identifier"][0]["value"]
    with pytest.raises(InvalidInput) as caught:
        read_bundle_stream(stream_of(bundle), NOW, max_entries=count - 1)
    assert str(caught.value) == f"bundle.entry: holds more than {count - 1} entries"


def test_fhir_stops_reading_once_past_its_size_limit(bundle: Json) -> None:
    text = bundle_json(sample_records(), NOW).encode()
    padded = text.replace(b'"entry": [', b'"entry": [' + b" " * 300_000, 1)
    stream = CountingStream(padded)
    with pytest.raises(InvalidInput, match="bundle: is larger than 8192 bytes"):
        read_bundle_stream(stream, NOW, max_bytes=8192)
    assert stream.taken < 8192 + 64 * 1024 < len(padded)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b'{"resourceType": "Bundle", "type": "collection", "entry": [', "bundle: is not JSON"),
        (b"\xff\xfe{}", "bundle: is not"),
        (b'[{"resourceType": "Bundle"}]', "bundle: is not a FHIR Bundle"),
        (b'{"resourceType": "Bundle", "type": "nonsense"}', "bundle.type: is not a Bundle type"),
    ],
)
def test_fhir_that_is_not_a_bundle_is_named(text: bytes, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        read_bundle_stream(io.BytesIO(text), NOW)
    assert str(caught.value).startswith(message)


def test_a_bundle_read_as_a_stream_equals_one_read_whole(bundle: Json) -> None:
    streamed = read_bundle_stream(stream_of(bundle), NOW)
    assert without_ids(streamed) == without_ids(read_bundle(copy.deepcopy(bundle), NOW))
