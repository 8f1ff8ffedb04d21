"""CSV export and import of a patient's sessions and of their decisions.

Two kinds of file, told apart by their header row:

- sessions: ``session_id,at,stage,completed,reps,effort,pain_before,pain_during,
  pain_after,location_before,location_after`` (the JSON names of SPEC §3.1);
- decisions: ``decision_id,at,decision,urgency,current_stage,next_stage,rules,message,
  rules_version``; ``rules`` holds the deciding rule(s) separated by spaces (``R8``,
  or ``R1:saddle_anaesthesia`` per flag).

Only sessions are imported. Reading streams the file row by row within limits (bytes
and rows, ``services.import_checks``) and checks every row as live entry checks a
session (instant between 2000-01-01 and now + 1 day with an offset within ±14:00, pain
0-10, reps 0-1000, no two sessions at one instant) before returning anything; the first
bad value is reported by its line number and column (``line 4, pain_after: must be an
integer 0-10``), so an importer either gets the whole file or nothing.

Spreadsheets run a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and some a tab or
a carriage return before one) as a formula, so a text such as ``=HYPERLINK(...)`` in an
export could fetch a URL or run a command when the file is opened ("CSV injection").
Every column has a kind: number columns are written as plain numbers (``-5`` stays a
number), and a text cell that begins with one of those characters, or with a single
quote, gets a single quote in front (``'=HYPERLINK(...)``), which spreadsheets show as
text. Reading a text column back removes that one quote again, so an export imports
as it was written.

Decisions are never imported. A decision is what the rules concluded from the sessions
and safety checks at the time; taken from a file it could claim anything (a stage never
reached, a message telling the person to skip the red flag questions) and would stand
as the latest decision on Today. A decisions file is therefore refused; import the
sessions file, and the rules decide again from the imported sessions at the next
session. The decisions export stays, for reading and audit.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import IO, Protocol, TypeVar

from spinestep.domain.model import Effort, Location, SessionRecord
from spinestep.errors import InvalidInput
from spinestep.interop.limited import LimitedReader
from spinestep.services.import_checks import (
    MAX_CSV_BYTES,
    MAX_CSV_ROWS,
    InstantsSeen,
    check_session,
)
from spinestep.services.record_types import DecisionEntry, SessionEntry


class Kind(Enum):
    """How a column is written: numbers as numbers, text made safe for spreadsheets."""

    NUMBER = "number"
    TEXT = "text"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet may run a text cell beginning with one of these as a formula."""
TEXT_MARK = "'"
"""Put before a text cell that begins with ``FORMULA_STARTS`` (or with this mark itself)."""

SESSION_COLUMNS = (
    "session_id",
    "at",
    "stage",
    "completed",
    "reps",
    "effort",
    "pain_before",
    "pain_during",
    "pain_after",
    "location_before",
    "location_after",
)
DECISION_COLUMNS = (
    "decision_id",
    "at",
    "decision",
    "urgency",
    "current_stage",
    "next_stage",
    "rules",
    "message",
    "rules_version",
)

SESSION_KINDS = (
    Kind.TEXT,  # session_id
    Kind.TEXT,  # at
    Kind.NUMBER,  # stage
    Kind.TEXT,  # completed
    Kind.NUMBER,  # reps
    Kind.TEXT,  # effort
    Kind.NUMBER,  # pain_before
    Kind.NUMBER,  # pain_during
    Kind.NUMBER,  # pain_after
    Kind.TEXT,  # location_before
    Kind.TEXT,  # location_after
)
DECISION_KINDS = (
    Kind.TEXT,  # decision_id
    Kind.TEXT,  # at
    Kind.TEXT,  # decision
    Kind.TEXT,  # urgency
    Kind.NUMBER,  # current_stage
    Kind.NUMBER,  # next_stage
    Kind.TEXT,  # rules
    Kind.TEXT,  # message
    Kind.TEXT,  # rules_version
)

E = TypeVar("E", bound=Enum)
_DIGITS = re.compile(r"[0-9]{1,6}")
DECISIONS_REFUSED = (
    "a decisions file is not imported: the rules decide again from the sessions "
    "(import the sessions file)"
)


@dataclass(frozen=True, slots=True)
class CsvContents:
    """What a sessions CSV file held."""

    sessions: tuple[SessionEntry, ...] = ()


def sessions_csv(sessions: Iterable[SessionEntry]) -> str:
    rows = []
    for entry in sessions:
        r = entry.record
        rows.append(
            (
                entry.id,
                r.at.isoformat(),
                r.stage,
                "true" if r.completed else "false",
                r.reps,
                r.effort.value,
                r.pain_before,
                r.pain_during,
                r.pain_after,
                r.location_before.code,
                r.location_after.code,
            )
        )
    return _write(SESSION_COLUMNS, SESSION_KINDS, rows)


def decisions_csv(decisions: Iterable[DecisionEntry]) -> str:
    rows = [
        (
            d.id,
            d.at.isoformat(),
            d.decision.value,
            d.urgency.value,
            d.current_stage,
            d.next_stage,
            " ".join(d.rules),
            d.message,
            d.rules_version,
        )
        for d in decisions
    ]
    return _write(DECISION_COLUMNS, DECISION_KINDS, rows)


def read_csv(text: str, now: datetime | None = None) -> CsvContents:
    """Parse a sessions CSV given as text (see ``read_csv_stream``)."""
    return read_csv_stream(io.BytesIO(text.encode("utf-8")), now)


def read_csv_stream(
    stream: IO[bytes],
    now: datetime | None = None,
    *,
    max_bytes: int = MAX_CSV_BYTES,
    max_rows: int = MAX_CSV_ROWS,
) -> CsvContents:
    """Parse a sessions CSV row by row; raise ``InvalidInput`` at the first bad row.

    UTF-8 (a byte-order mark is allowed). At most ``max_bytes`` are read and
    ``max_rows`` data rows kept. Every session is checked as live entry checks it
    (``services.import_checks``) against ``now`` (default: the system clock), and two
    sessions at one instant are refused. A decisions file is refused: decisions are
    never imported (see the module docstring).
    """
    limited = io.BufferedReader(LimitedReader(stream, max_bytes, "file"))
    text = io.TextIOWrapper(limited, encoding="utf-8-sig", newline="")
    reader = csv.reader(text, strict=True)
    try:
        try:
            header = tuple(next(reader))
        except StopIteration:
            raise InvalidInput("line 1", "the file is empty") from None
        except csv.Error as error:
            raise InvalidInput("line 1", f"not CSV ({error})") from None
        if header == DECISION_COLUMNS:
            raise InvalidInput("line 1", DECISIONS_REFUSED)
        if header != SESSION_COLUMNS:
            raise InvalidInput("line 1", "header must be the sessions columns of spinestep")
        checked = _Sessions(now or datetime.now(UTC))
        return CsvContents(sessions=tuple(_rows(reader, header, checked.parse, max_rows)))
    except UnicodeDecodeError:
        raise InvalidInput("file", "is not UTF-8 text") from None


T = TypeVar("T")


class _Row:
    def __init__(self, line: int, values: dict[str, str]) -> None:
        self.line = line
        self.values = values

    def fail(self, column: str, problem: str) -> InvalidInput:
        return InvalidInput(f"line {self.line}, {column}", problem)

    def text(self, column: str) -> str:
        return plain_text(self.values[column])

    def integer(self, column: str, low: int, high: int, *, optional: bool = False) -> int | None:
        raw = self.values[column].strip()
        if optional and raw == "":
            return None
        if not _DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
            empty = " or empty" if optional else ""
            raise self.fail(column, f"must be an integer {low}-{high}{empty}")
        return int(raw)

    def required_int(self, column: str, low: int, high: int) -> int:
        value = self.integer(column, low, high)
        assert value is not None
        return value

    def boolean(self, column: str) -> bool:
        raw = self.values[column].strip()
        if raw not in ("true", "false"):
            raise self.fail(column, "must be true or false")
        return raw == "true"

    def choice(self, column: str, enum: type[E]) -> E:
        raw = self.values[column].strip()
        for member in enum:
            if member.value == raw:
                return member
        raise self.fail(column, "must be one of " + ", ".join(str(m.value) for m in enum))

    def location(self, column: str) -> Location:
        raw = self.values[column].strip()
        if raw not in Location.codes():
            raise self.fail(column, "must be one of " + ", ".join(Location.codes()))
        return Location.from_code(raw)

    def timestamp(self, column: str) -> datetime:
        raw = self.values[column].strip()
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            raise self.fail(column, "must be an RFC 3339 timestamp") from None
        if "T" not in raw.upper() or value.tzinfo is None:
            raise self.fail(column, "must be an RFC 3339 timestamp with Z or an offset")
        return value

    def identifier(self, column: str) -> str:
        return plain_text(self.values[column]).strip()


class _Reader(Protocol):
    line_num: int

    def __next__(self) -> list[str]: ...


def _rows(
    reader: _Reader, header: tuple[str, ...], parse: Callable[[_Row], T], max_rows: int
) -> list[T]:
    out: list[T] = []
    while True:
        row_line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return out
        except csv.Error as error:
            raise InvalidInput(f"line {row_line}", f"not CSV ({error})") from None
        if not values:
            continue
        if len(out) >= max_rows:
            raise InvalidInput(f"line {row_line}", f"the file holds more than {max_rows} rows")
        if len(values) != len(header):
            raise InvalidInput(
                f"line {row_line}", f"has {len(values)} fields, expected {len(header)}"
            )
        out.append(parse(_Row(row_line, dict(zip(header, values, strict=True)))))


class _Sessions:
    """Parses and checks session rows; remembers their instants to refuse a repeat."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.seen = InstantsSeen("session")

    def parse(self, row: _Row) -> SessionEntry:
        entry = check_session(_session(row), f"line {row.line}", self.now, sep=", ")
        self.seen.add(entry.record.at, f"line {row.line}, at")
        return entry


def _session(row: _Row) -> SessionEntry:
    record = SessionRecord(
        at=row.timestamp("at"),
        stage=row.required_int("stage", 1, 99),
        completed=row.boolean("completed"),
        reps=row.integer("reps", 0, 1000, optional=True),
        effort=row.choice("effort", Effort),
        pain_before=row.required_int("pain_before", 0, 10),
        pain_during=row.required_int("pain_during", 0, 10),
        pain_after=row.required_int("pain_after", 0, 10),
        location_before=row.location("location_before"),
        location_after=row.location("location_after"),
    )
    return SessionEntry(id=row.identifier("session_id"), record=record)


def spreadsheet_text(text: str) -> str:
    """``text`` as a cell no spreadsheet runs as a formula: a single quote in front when
    it begins with ``= + - @``, a tab, a carriage return or a single quote."""
    if text.startswith((*FORMULA_STARTS, TEXT_MARK)):
        return TEXT_MARK + text
    return text


def plain_text(cell: str) -> str:
    """The text ``spreadsheet_text`` wrote as ``cell`` (its one added quote removed)."""
    if cell.startswith(TEXT_MARK) and cell[1:].startswith((*FORMULA_STARTS, TEXT_MARK)):
        return cell[1:]
    return cell


def _cell(kind: Kind, value: object) -> str:
    if value is None:
        return ""
    if kind is Kind.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("a number column takes integers")
        return str(value)
    return spreadsheet_text(str(value))


def _write(
    header: tuple[str, ...], kinds: tuple[Kind, ...], rows: Iterable[tuple[object, ...]]
) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(kind, value) for kind, value in zip(kinds, row, strict=True)])
    return buffer.getvalue()
