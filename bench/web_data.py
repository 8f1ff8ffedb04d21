"""Bulk-loads the benchmark database: 10,000 patients and 1,000,000 sessions.

The schema comes from the app's own migrations; rows go in with raw bulk inserts
(``executemany`` on SQLite, ``COPY`` on PostgreSQL) in the stored formats of
``spinestep.store``: enum values as strings, locations as codes, instants in UTC.
Patient ``n`` (1-based) has user id ``n + 1``; user 1 is their clinician.
"""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from spinestep.store.engine import make_engine, migrate

PATIENTS = 10_000
SESSIONS_PER_PATIENT = 100
TOKENS = 200
LOCATIONS = ("none", "back", "buttock", "thigh", "below_knee", "foot")


def bench_token(patient: int) -> str:
    return f"bench-token-{patient:05d}-not-a-secret"


def _sqlite_time(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _rows(now: datetime) -> dict[str, Any]:
    rng = random.Random(7)
    created = now - timedelta(days=60)
    users = [(1, "clinician@bench.example", "Bench Clinician", "clinician", None, True, created)]
    patients, assignments, screenings, decisions, tokens = [], [], [], [], []
    dose = {"reps": 10, "hold_s": [1, 2], "sessions_per_day": 5}
    for n in range(1, PATIENTS + 1):
        users.append(
            (n + 1, f"p{n:05d}@bench.example", f"Patient {n:05d}", "patient", None, True, created)
        )
        patients.append((n, n + 1, f"Patient {n:05d}", "Europe/London", "112", 1, False, created))
        stage = 1 + n % 3
        assignments.append(
            (
                n,
                n,
                "lumbar-flexion",
                stage,
                3,
                2,
                2,
                "{}",
                True,
                1,
                created,
                "flexion",
                "active",
                None,
                None,
                created,
                created,
            )
        )
        for source, code in (
            ("onboarding", "history_of_cancer"),
            ("monthly", "weaker_cancer_risk"),
        ):
            screenings.append((n, now - timedelta(days=3), source, json.dumps({code: False})))
        reasons = [{"rule": "R9", "text": "Not enough easy sessions yet to move on."}]
        decisions.append(
            (
                n,
                n,
                n,
                now - timedelta(hours=2),
                "stay",
                "none",
                stage,
                stage,
                json.dumps(reasons),
                "Carry on at this stage.",
                json.dumps(dose),
                json.dumps({"during": "no_effect", "after": "no_better", "location": "unchanged"}),
                "{}",
                "bench",
            )
        )
        if n <= TOKENS:
            digest = hashlib.sha256(bench_token(n).encode()).hexdigest()
            tokens.append((n + 1, digest, "bench", created))
    return {
        "users": users,
        "patients": patients,
        "assignments": assignments,
        "screenings": screenings,
        "decisions": decisions,
        "tokens": tokens,
        "rng": rng,
    }


def _sessions(now: datetime, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    """Two sessions a day over the last 50 days for each patient; the newest a few hours ago."""
    for n in range(1, PATIENTS + 1):
        stage = 1 + n % 3
        for k in range(SESSIONS_PER_PATIENT):
            at = now - timedelta(hours=3 + 12 * k)
            before = rng.randint(0, 6)
            yield (
                n,
                n,
                at,
                0,
                stage,
                True,
                10,
                "easy",
                before,
                before,
                max(0, before - 1),
                LOCATIONS[rng.randint(1, 3)],
                LOCATIONS[rng.randint(1, 3)],
                False,
                None,
                at,
            )


USER_COLS = "id, email, display_name, role, password_hash, active, created_at"
PATIENT_COLS = (
    "id, user_id, display_name, time_zone, emergency_number, clinician_id, self_managed, created_at"
)
ASSIGNMENT_COLS = (
    "id, patient_id, protocol_id, current_stage, progress_after_sessions, min_days_at_stage, "
    "worsening_points, dose_overrides, clearance, cleared_by, cleared_at, directional_preference, "
    "status, paused_reason, paused_at, created_at, updated_at"
)
SCREENING_COLS = "patient_id, at, source, answers"
DECISION_COLS = (
    "id, patient_id, assignment_id, made_at, decision, urgency, current_stage, next_stage, "
    "reasons, message, dose, responses, inputs, rules_version"
)
TOKEN_COLS = "user_id, token_hash, label, created_at"
SESSION_COLS = (
    "patient_id, assignment_id, at_utc, at_offset_min, stage, completed, reps, effort, "
    "pain_before, pain_during, pain_after, location_before, location_after, stopped_early, "
    "motion, created_at"
)
TABLES = (
    ("users", USER_COLS, "users"),
    ("patients", PATIENT_COLS, "patients"),
    ("programme_assignments", ASSIGNMENT_COLS, "assignments"),
    ("screenings", SCREENING_COLS, "screenings"),
    ("decisions", DECISION_COLS, "decisions"),
    ("api_tokens", TOKEN_COLS, "tokens"),
)


def load_sqlite(path: str, now: datetime) -> None:
    migrate(make_engine(f"sqlite:///{path}"))
    data = _rows(now)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA foreign_keys=OFF")

    def fix(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(_sqlite_time(v) if isinstance(v, datetime) else v for v in row)

    with conn:
        for table, cols, key in TABLES:
            marks = ", ".join("?" for _ in cols.split(","))
            conn.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", map(fix, data[key]))
        marks = ", ".join("?" for _ in SESSION_COLS.split(","))
        conn.executemany(
            f"INSERT INTO sessions ({SESSION_COLS}) VALUES ({marks})",
            map(fix, _sessions(now, data["rng"])),
        )
    conn.execute("ANALYZE")
    conn.close()


def load_postgres(url: str, now: datetime) -> None:
    import psycopg

    migrate(make_engine(url))
    data = _rows(now)
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as conn, conn.cursor() as cur:
        for table, cols, key in (*TABLES, ("sessions", SESSION_COLS, "sessions")):
            rows = _sessions(now, data["rng"]) if key == "sessions" else data[key]
            with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        for table in ("users", "patients", "programme_assignments", "decisions"):
            sequence = f"pg_get_serial_sequence('{table}', 'id')"
            cur.execute(f"SELECT setval({sequence}, (SELECT max(id) FROM {table}))")
        conn.commit()
        conn.autocommit = True
        cur.execute("VACUUM ANALYZE")
