"""Bulk-loads the benchmark database: realistic caseloads, 10,000 patients, 1,000,000 sessions.

40 clinicians share the 10,000 patients (250 each: patient ``n`` belongs to clinician
``(n - 1) % 40 + 1``). Most patients have 100 sessions over their last 25 days (four a
day of the five planned); one in ten is lapsing (one a day over 100 days), which the
patient list calls falling adherence. Among them, for the clinician screens:

- patient ``LONG_PATIENT`` has three years of history: 5,000 sessions, five a day over
  1,000 days, each with its safety check and its decision (the FHIR export and the
  3-year timeline);
- patient ``MID_PATIENT`` has 500 sessions (five a day over 100 days), checked and decided;
- the ``NEW_PATIENTS`` were just invited: no session yet (``NEW_PATIENT`` is clinician
  1's), which keeps the total at exactly ``SESSIONS``;
- open red flags (emergency, urgent and review), paused programmes after a stop, and
  regressions this week are spread over the caseloads, so the attention order has work
  to do; so do resolved flags and old stops for the alerts.

The schema comes from the app's own migrations; rows go in with raw bulk inserts
(``executemany`` on SQLite, ``COPY`` on PostgreSQL) in the stored formats of
``spinestep.store``: enum values as strings, locations as codes, instants in UTC, a
deterministic UUID per row. Patient ``n`` (1-based) has user id ``n + 1``; clinician 1
is user 1 and clinician ``k > 1`` is user ``PATIENTS + k``. Each clinician and the first
``TOKENS`` patients have a stored browser session (``clinician_nonce``, ``patient_nonce``)
and the patients an API token (``bench_token``).
"""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from spinestep.store.engine import make_engine, migrate

PATIENTS = 10_000
CLINICIANS = 40
#: Sessions of an ordinary patient (the average over all patients is the same).
SESSIONS_PER_PATIENT = 100
SESSIONS = 1_000_000
TOKENS = 200
LONG_PATIENT = 1
LONG_SESSIONS = 5_000
MID_PATIENT = 41
MID_SESSIONS = 500
PER_DAY_CHECKED = 5
#: Patients without sessions yet: as many as it takes to keep the total at ``SESSIONS``.
_EXTRA = LONG_SESSIONS + MID_SESSIONS - 2 * SESSIONS_PER_PATIENT
NEW_PATIENT = 81
NEW_PATIENTS = frozenset({NEW_PATIENT, *range(9_001, 9_001 + _EXTRA // SESSIONS_PER_PATIENT - 1)})
LOCATIONS = ("none", "back", "buttock", "thigh", "below_knee", "foot")
_TABLE_NUMBER = {
    "patients": 1,
    "programme_assignments": 2,
    "red_flag_reports": 3,
    "screenings": 4,
    "sessions": 5,
    "decisions": 6,
    "programme_events": 7,
}


def bench_token(patient: int) -> str:
    return f"bench-token-{patient:05d}-not-a-secret"


def patient_nonce(patient: int) -> str:
    """The cookie nonce of the patient's stored browser session (``bench/web.py``)."""
    return f"bench{patient}"


def clinician_nonce(clinician: int) -> str:
    return f"bench-clinician-{clinician}"


def clinician_user_id(clinician: int) -> int:
    return 1 if clinician == 1 else PATIENTS + clinician


def clinician_of(patient: int) -> int:
    return (patient - 1) % CLINICIANS + 1


def _uuid(table: str, row: int) -> str:
    return str(uuid.UUID(int=(_TABLE_NUMBER[table] << 64) | row))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _sqlite_time(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _sessions_of(n: int) -> int:
    if n == LONG_PATIENT:
        return LONG_SESSIONS
    if n == MID_PATIENT:
        return MID_SESSIONS
    return 0 if n in NEW_PATIENTS else SESSIONS_PER_PATIENT


def _times(n: int, now: datetime) -> list[datetime]:
    """The patient's session instants, newest first."""
    count = _sessions_of(n)
    if count > SESSIONS_PER_PATIENT:  # five a day, 07:30 to 19:30 UTC, up to yesterday's
        last = now.replace(hour=19, minute=30, second=0, microsecond=0)
        if last > now - timedelta(hours=1):
            last -= timedelta(days=1)
        return [
            last - timedelta(days=k // PER_DAY_CHECKED, hours=3 * (k % PER_DAY_CHECKED))
            for k in range(count)
        ]
    step_h = 24 if n % 10 == 3 else 6  # four a day; one patient in ten lapsing: one a day
    return [now - timedelta(hours=3 + step_h * k) for k in range(count)]


class _Ids:
    def __init__(self) -> None:
        self.session = 0
        self.decision = 0
        self.screening = 0


def _rows(now: datetime) -> dict[str, Any]:
    created = now - timedelta(days=60)
    long_ago = now - timedelta(days=1_010)
    users = [
        (
            clinician_user_id(k),
            f"c{k:02d}@bench.example",
            f"Clinician {k:02d}",
            "clinician",
            None,
            True,
            created,
        )
        for k in range(1, CLINICIANS + 1)
    ]
    patients, assignments, flags, events, tokens, browser = [], [], [], [], [], []
    expires = now + timedelta(days=2)
    for k in range(1, CLINICIANS + 1):
        browser.append((clinician_user_id(k), _sha256(clinician_nonce(k)), now, expires))
    for n in range(1, PATIENTS + 1):
        start = long_ago if _sessions_of(n) > 2 * SESSIONS_PER_PATIENT else created
        users.append(
            (n + 1, f"p{n:05d}@bench.example", f"Patient {n:05d}", "patient", None, True, start)
        )
        clinician = clinician_user_id(clinician_of(n))
        patients.append(
            (
                n,
                _uuid("patients", n),
                n + 1,
                f"Patient {n:05d}",
                "Europe/London",
                "112",
                clinician,
                False,
                start,
            )
        )
        paused = n % 33 == 4
        stage = 1 + n % 3
        assignments.append(
            (n, _uuid("programme_assignments", n), n, "lumbar-flexion", stage, 3, 2, 2, "{}")
            + (True, clinician, start, "flexion", "paused" if paused else "active")
            + (("Stopped by the rules.", now - timedelta(days=1)) if paused else (None, None))
            + (start, start)
        )
        if paused:
            events.append(
                (
                    len(events) + 1,
                    _uuid("programme_events", len(events) + 1),
                    n,
                    n,
                    "pause",
                    now - timedelta(days=1),
                    "Stopped by the rules.",
                    None,
                    None,
                )
            )
        for code, open_ in _flags_of(n):
            number = len(flags) + 1
            at = now - timedelta(days=1 + n % 20)
            flags.append(
                (number, _uuid("red_flag_reports", number), n, code, at, "session")
                + ((None, None, False, None) if open_ else (at, clinician, False, "Seen: fine."))
            )
        if n <= TOKENS:
            tokens.append((n + 1, _sha256(bench_token(n)), "bench", created))
            browser.append((n + 1, _sha256(patient_nonce(n)), now, expires))
    return {
        "users": users,
        "patients": patients,
        "assignments": assignments,
        "flags": flags,
        "events": events,
        "tokens": tokens,
        "browser": browser,
    }


def _flags_of(n: int) -> list[tuple[str, bool]]:
    """Red flags of patient ``n``: (code, still open)."""
    found = []
    if n % 97 == 5:
        found.append(("saddle_anaesthesia", True))
    if n % 50 == 7:
        found.append(("history_of_cancer", True))
    if n % 60 == 11:
        found.append(("night_pain_unremitting", True))
    if n % 45 == 2:
        found.append(("major_trauma", False))
    return found


def _decision(
    ids: _Ids, n: int, at: datetime, kind: str, stage: int, next_stage: int, session: int | None
) -> tuple[Any, ...]:
    ids.decision += 1
    urgency = "emergency" if kind == "stop" else "none"
    reasons = [{"rule": "R9", "text": "Not enough easy sessions yet to move on."}]
    dose = {"reps": 10, "hold_s": [1, 2], "sessions_per_day": 5}
    responses = {"during": "no_effect", "after": "no_better", "location": "unchanged"}
    return (
        ids.decision,
        _uuid("decisions", ids.decision),
        session,
        n,
        n,
        at,
        kind,
        urgency,
        stage,
        next_stage,
        json.dumps(reasons),
        "Carry on at this stage.",
        json.dumps(dose),
        json.dumps(responses),
        "{}",
        "bench",
    )


def _history(now: datetime, ids: _Ids) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """Sessions, their decisions and safety checks, and each patient's own decisions."""
    rng = random.Random(7)
    for n in range(1, PATIENTS + 1):
        times = _times(n, now)
        checked = len(times) > SESSIONS_PER_PATIENT
        final = 1 + n % 3
        for k, at in enumerate(times):
            ids.session += 1
            before = rng.randint(0, 6)
            stage = max(1, final - k // 1_500) if checked else final
            stopped = checked and k % 97 == 13
            yield (
                "sessions",
                (
                    ids.session,
                    _uuid("sessions", ids.session),
                    n,
                    n,
                    at,
                    0,
                    stage,
                    not stopped,
                    10,
                    "easy",
                    before,
                    before,
                    max(0, before - 1),
                    LOCATIONS[rng.randint(1, 3)],
                    LOCATIONS[rng.randint(1, 3)],
                    stopped,
                    None,
                    at,
                ),
            )
            if checked:
                ids.screening += 1
                answers = json.dumps(
                    {"saddle_anaesthesia": False, "new_bladder_dysfunction": False}
                )
                yield (
                    "screenings",
                    (ids.screening, _uuid("screenings", ids.screening), n, at, "session", answers),
                )
                kind = "regress" if k % 211 == 17 else "stay"
                yield "decisions", _decision(ids, n, at, kind, stage, stage, ids.session)
        if not checked:
            yield (
                "decisions",
                _decision(ids, n, now - timedelta(hours=2), "stay", final, final, None),
            )
        if n % 33 == 4:
            yield (
                "decisions",
                _decision(ids, n, now - timedelta(days=1), "stop", final, final, None),
            )
        if n % 29 == 6:
            at = now - timedelta(days=2)
            yield "decisions", _decision(ids, n, at, "regress", final, max(1, final - 1), None)
        if n % 31 == 9:
            yield (
                "decisions",
                _decision(ids, n, now - timedelta(days=50), "stop", final, final, None),
            )
        for source, code in (
            ("onboarding", "history_of_cancer"),
            ("monthly", "weaker_cancer_risk"),
        ):
            ids.screening += 1
            at = now - timedelta(days=3)
            answers = json.dumps({code: False})
            yield (
                "screenings",
                (ids.screening, _uuid("screenings", ids.screening), n, at, source, answers),
            )


USER_COLS = "id, email, display_name, role, password_hash, active, created_at"
PATIENT_COLS = (
    "id, uuid, user_id, display_name, time_zone, emergency_number, clinician_id, self_managed, "
    "created_at"
)
ASSIGNMENT_COLS = (
    "id, uuid, patient_id, protocol_id, current_stage, progress_after_sessions, "
    "min_days_at_stage, worsening_points, dose_overrides, clearance, cleared_by, cleared_at, "
    "directional_preference, status, paused_reason, paused_at, created_at, updated_at"
)
FLAG_COLS = (
    "id, uuid, patient_id, code, reported_at, source, resolved_at, resolved_by, "
    "resolved_by_self, outcome"
)
EVENT_COLS = "id, uuid, patient_id, assignment_id, kind, at, reason, actor_user_id, note"
SCREENING_COLS = "id, uuid, patient_id, at, source, answers"
DECISION_COLS = (
    "id, uuid, session_id, patient_id, assignment_id, made_at, decision, urgency, "
    "current_stage, next_stage, reasons, message, dose, responses, inputs, rules_version"
)
TOKEN_COLS = "user_id, token_hash, label, created_at"
BROWSER_COLS = "user_id, nonce_hash, created_at, expires_at"
SESSION_COLS = (
    "id, uuid, patient_id, assignment_id, at_utc, at_offset_min, stage, completed, reps, "
    "effort, pain_before, pain_during, pain_after, location_before, location_after, "
    "stopped_early, motion, created_at"
)
TABLES = (
    ("users", USER_COLS, "users"),
    ("patients", PATIENT_COLS, "patients"),
    ("programme_assignments", ASSIGNMENT_COLS, "assignments"),
    ("red_flag_reports", FLAG_COLS, "flags"),
    ("programme_events", EVENT_COLS, "events"),
    ("api_tokens", TOKEN_COLS, "tokens"),
    ("browser_sessions", BROWSER_COLS, "browser"),
)
HISTORY = (
    ("sessions", SESSION_COLS),
    ("screenings", SCREENING_COLS),
    ("decisions", DECISION_COLS),
)
SEQUENCES = (
    "users",
    "patients",
    "programme_assignments",
    "red_flag_reports",
    "programme_events",
    "screenings",
    "sessions",
    "decisions",
)


def load_sqlite(path: str, now: datetime) -> None:
    migrate(make_engine(f"sqlite:///{path}"))
    data = _rows(now)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA foreign_keys=OFF")

    def fix(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(_sqlite_time(v) if isinstance(v, datetime) else v for v in row)

    inserts = {
        table: f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' for _ in cols.split(','))})"
        for table, cols in HISTORY
    }
    with conn:
        for table, cols, key in TABLES:
            marks = ", ".join("?" for _ in cols.split(","))
            conn.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", map(fix, data[key]))
        batch: dict[str, list[tuple[Any, ...]]] = {table: [] for table, _ in HISTORY}
        for table, row in _history(now, _Ids()):
            batch[table].append(fix(row))
            if len(batch[table]) >= 20_000:
                conn.executemany(inserts[table], batch[table])
                batch[table].clear()
        for table, rows in batch.items():
            conn.executemany(inserts[table], rows)
    conn.execute("ANALYZE")
    conn.close()


def load_postgres(url: str, now: datetime) -> None:
    import psycopg

    migrate(make_engine(url))
    data = _rows(now)
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as conn, conn.cursor() as cur:
        for table, cols, key in TABLES:
            with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in data[key]:
                    copy.write_row(row)
        for table, cols in HISTORY:  # the history again per table: it does not fit memory
            with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for name, row in _history(now, _Ids()):
                    if name == table:
                        copy.write_row(row)
        for table in SEQUENCES:
            sequence = f"pg_get_serial_sequence('{table}', 'id')"
            cur.execute(f"SELECT setval({sequence}, (SELECT max(id) FROM {table}))")
        conn.commit()
        conn.autocommit = True
        cur.execute("VACUUM ANALYZE")
