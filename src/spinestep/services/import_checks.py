"""The checks every imported record passes: the same as live entry, and the limits of a file.

A record read from a file is held to what a person could enter themselves: instants
within 2000-01-01 .. now + 1 day with an offset within ±14:00 (``domain.instants``), a
canonical IANA time zone (``services.time_zones``), a clean name (``domain.text``), pain
0-10, reps 0-1000, effort and locations of the contract (``services.sessions.validate``),
a stage of the programme's protocol, known red flag codes (``domain.redflags``) and
questionnaire answers that score (``services.questionnaire_scores``). Two sessions of
one patient at the same instant are refused, and so are more sessions on one local day
than live entry would take (``check_daily_counts``).

Every check takes the ``path`` of the value in the file (``line 12`` of a CSV,
``entry[3].resource`` of a Bundle, or ``sessions[2]`` of a service call), so the error
names where the problem is: ``line 12, at: must be on or after 2000-01-01``.

Limits bound what one import may hold, so a file cannot exhaust memory or time: a CSV
of at most ``MAX_CSV_BYTES`` and ``MAX_CSV_ROWS`` rows, a Bundle of at most
``MAX_BUNDLE_BYTES`` and ``MAX_BUNDLE_ENTRIES`` entries.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from spinestep.domain.instants import check_instant
from spinestep.domain.redflags import RED_FLAGS
from spinestep.domain.text import clean_name
from spinestep.errors import InvalidInput
from spinestep.services.clinician import MAX_NOTE_CHARS
from spinestep.services.motion_metrics import MAX_ABS_ANGLE_DEG
from spinestep.services.onboarding import MAX_NAME_CHARS
from spinestep.services.questionnaire_scores import answers_from_json, answers_to_json
from spinestep.services.record_types import (
    FlagEntry,
    PatientInfo,
    PatientRecords,
    ProgrammeChange,
    ProgrammeInfo,
    QuestionnaireEntry,
    RomEntry,
    ScreeningEntry,
    SessionEntry,
)
from spinestep.services.sessions import SessionInput, daily_session_cap, validate
from spinestep.services.time_zones import check_zone

#: The most data rows of one sessions CSV: five years of ten sessions a day.
MAX_CSV_ROWS = 20_000
#: The most bytes of one CSV file (a session row is about 70 bytes).
MAX_CSV_BYTES = 8 * 1024 * 1024
#: The most entries of one Bundle (a session is four: its panel and three pain scores).
MAX_BUNDLE_ENTRIES = 100_000
#: The most bytes of one Bundle file (a session exports to a few kilobytes).
MAX_BUNDLE_BYTES = 64 * 1024 * 1024
#: The longest identifier kept from a file (a session id, a questionnaire id).
MAX_ID_CHARS = 64


def within(path: str, error: InvalidInput, sep: str = ".") -> InvalidInput:
    """``error`` with ``path`` put in front of its own path."""
    where = f"{path}{sep}{error.path}" if error.path else path
    return InvalidInput(where, error.problem)


def check_identifier(value: str, path: str) -> str:
    if not value or len(value) > MAX_ID_CHARS or not value.isprintable():
        raise InvalidInput(path, f"must be 1-{MAX_ID_CHARS} printable characters")
    return value


def check_session(
    entry: SessionEntry, path: str, now: datetime, final_stage: int | None = None, sep: str = "."
) -> SessionEntry:
    """One imported session, checked as live entry checks a session."""
    r = entry.record
    check_identifier(entry.id, f"{path}{sep}session_id")
    check_instant(r.at, f"{path}{sep}at", now)
    if final_stage is not None and not 1 <= r.stage <= final_stage:
        raise InvalidInput(f"{path}{sep}stage", f"must be 1-{final_stage}")
    if r.stage < 1:
        raise InvalidInput(f"{path}{sep}stage", "must be 1 or more")
    live = SessionInput(
        effort=r.effort,
        pain_before=r.pain_before,
        pain_during=r.pain_during,
        pain_after=r.pain_after,
        location_before=r.location_before,
        location_after=r.location_after,
        completed=r.completed,
        reps=r.reps,
    )
    try:
        validate(live, now)
    except InvalidInput as error:
        raise within(path, error, sep) from None
    return entry


def check_questionnaire(
    entry: QuestionnaireEntry, path: str, now: datetime, sep: str = "."
) -> QuestionnaireEntry:
    check_identifier(entry.id, f"{path}{sep}identifier")
    check_instant(entry.taken_at, f"{path}{sep}authored", now)
    try:
        answers_from_json(entry.instrument, answers_to_json(entry.answers))
    except InvalidInput as error:
        raise within(f"{path}{sep}item", error) from None
    return entry


def check_text(value: str | None, path: str) -> None:
    """Free text (a finding, a reason, a note) no longer than live entry takes."""
    if value is not None and len(value) > MAX_NOTE_CHARS:
        raise InvalidInput(path, f"must be at most {MAX_NOTE_CHARS} characters")


def check_flag(entry: FlagEntry, path: str, now: datetime, sep: str = ".") -> FlagEntry:
    check_text(entry.outcome, f"{path}{sep}outcome")
    if entry.code not in RED_FLAGS:
        raise InvalidInput(f"{path}{sep}code", "is not a red flag code of spinestep")
    check_instant(entry.raised_at, f"{path}{sep}period.start", now)
    if entry.resolved_at is not None:
        check_instant(entry.resolved_at, f"{path}{sep}period.end", now)
        if entry.resolved_at < entry.raised_at:
            raise InvalidInput(f"{path}{sep}period.end", "must not be before period.start")
    return entry


def check_screening(entry: ScreeningEntry, path: str, now: datetime) -> ScreeningEntry:
    """A set of red-flag answers: a past instant, known codes, each asked once."""
    check_instant(entry.at, f"{path}.effectiveDateTime", now)
    seen: set[str] = set()
    for index, (code, _yes) in enumerate(entry.answers):
        if code not in RED_FLAGS or code in seen:
            raise InvalidInput(
                f"{path}.component[{index}].code", "is not a red flag code asked once"
            )
        seen.add(code)
    return entry


def check_change(entry: ProgrammeChange, path: str, now: datetime) -> ProgrammeChange:
    check_instant(entry.at, f"{path}.time", now)
    check_text(entry.reason, f"{path}.reason")
    check_text(entry.note, f"{path}.note")
    return entry


def check_rom(entry: RomEntry, path: str, now: datetime) -> RomEntry:
    check_instant(entry.at, f"{path}.effectiveDateTime", now)
    if not -MAX_ABS_ANGLE_DEG <= entry.rom_deg <= MAX_ABS_ANGLE_DEG:
        raise InvalidInput(f"{path}.valueQuantity", "must be an angle within ±180 degrees")
    return entry


def check_patient(info: PatientInfo, path: str) -> PatientInfo:
    if info.name:
        clean_name(info.name, f"{path}.name", max_chars=MAX_NAME_CHARS)
    check_zone(info.time_zone, f"{path}.extension.time-zone")
    return info


def check_programme(programme: ProgrammeInfo, path: str, now: datetime) -> ProgrammeInfo:
    check_instant(programme.started_at, f"{path}.period.start", now)
    check_text(programme.paused_reason, f"{path}.paused_reason")
    return programme


def check_daily_counts(
    sessions: Iterable[tuple[datetime, str]],
    time_zone: str,
    most_per_day: int,
    stored: Iterable[datetime] = (),
) -> None:
    """At most the live cap of sessions on one local day of the patient: that of stop now
    (``daily_session_cap``) for the largest sessions a day of the programme, since
    history holds stops as well as sessions and each stage had its own dose."""
    cap = daily_session_cap(most_per_day, stop_now=True)
    zone = ZoneInfo(time_zone)
    per_day = Counter(at.astimezone(zone).date() for at in stored)
    for at, path in sessions:
        day = at.astimezone(zone).date()
        per_day[day] += 1
        if per_day[day] > cap:
            raise InvalidInput(
                path, f"more than {cap} sessions on {day.isoformat()}, more than the plan allows"
            )


class InstantsSeen:
    """Refuses a second session at an instant already seen."""

    def __init__(self, what: str, stored: Iterable[object] = ()) -> None:
        self.what = what
        self.seen: set[object] = set(stored)

    def add(self, key: object, path: str) -> None:
        if key in self.seen:
            raise InvalidInput(path, f"another {self.what} is at the same instant")
        self.seen.add(key)


def check_records(
    records: PatientRecords, now: datetime, final_stage: int | None = None
) -> PatientRecords:
    """Every record of ``records`` as live entry would check it (paths by kind and index);
    sessions also against the protocol's ``final_stage`` when it is given."""
    check_patient(records.patient, "Patient")
    if records.programme is not None:
        check_programme(records.programme, "CarePlan", now)
    sessions = InstantsSeen("session")
    for index, session in enumerate(records.sessions):
        check_session(session, f"sessions[{index}]", now, final_stage)
        sessions.add(session.record.at, f"sessions[{index}].at")
    for index, questionnaire in enumerate(records.questionnaires):
        check_questionnaire(questionnaire, f"questionnaires[{index}]", now)
    for index, flag in enumerate(records.flags):
        check_flag(flag, f"flags[{index}]", now)
    for index, rom in enumerate(records.rom):
        check_rom(rom, f"rom[{index}]", now)
    for index, change in enumerate(records.changes):
        check_change(change, f"changes[{index}]", now)
    for index, screening in enumerate(records.screenings):
        check_screening(screening, f"screenings[{index}]", now)
    return records
