"""Imports on SQLite and PostgreSQL: checked as live entry whoever read the file, all or
nothing, and never a decision that Today would show."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from spinestep.domain.model import Effort, Location, SessionRecord
from spinestep.errors import InvalidInput
from spinestep.interop.csv_io import DECISION_COLUMNS
from spinestep.interop.fhir import bundle_json
from spinestep.protocols import load_builtin
from spinestep.services.patient_records import (
    import_patient_records,
    import_sessions,
    load_patient_records,
)
from spinestep.services.programme import today
from spinestep.services.record_types import FlagEntry, SessionEntry
from spinestep.services.sessions import daily_session_cap
from tests.services.history_builder import (
    LOCAL,
    START,
    Store,
    build_history,
    second_database_url,
    second_store,
    store,
)

__all__ = ["second_database_url", "second_store", "store"]

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
RESOLVED_FLAG = "saddle_anaesthesia"


def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SPINESTEP_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "spinestep", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def session(at: datetime, stage: int = 1) -> SessionEntry:
    return SessionEntry(
        "x",
        SessionRecord(
            at=at,
            stage=stage,
            effort=Effort.EASY,
            pain_before=1,
            pain_during=1,
            pain_after=1,
            location_before=Location.BACK,
            location_after=Location.BACK,
        ),
    )


def patient_count(store: Store) -> int:
    with store.ctx.uow() as uow:
        return len(uow.patients.list_all())


def test_the_service_checks_sessions_itself_and_stores_none_of_a_bad_batch(
    store: Store,
) -> None:
    patient_id = build_history(store)
    store.clock.set(NOW)
    good = session(NOW - timedelta(days=1))
    for bad, problem in [
        (session(datetime(1, 1, 1, tzinfo=UTC)), "sessions[1].at: must be on or after 2000-01-01"),
        (session(datetime(2999, 1, 1, tzinfo=UTC)), "sessions[1].at: must not be in the future"),
        (session(NOW - timedelta(days=1)), "sessions[1].at: another session is at the same"),
        (session(NOW - timedelta(hours=2), stage=9), "sessions[1].stage: must be 1-3"),
    ]:
        with pytest.raises(InvalidInput, match=re.escape(problem)):
            import_sessions(store.ctx, LOCAL, patient_id, [good, bad])
    assert len(load_patient_records(store.ctx, LOCAL, patient_id).sessions) == 5


def test_a_bundle_refused_after_its_patient_was_added_leaves_no_patient(
    store: Store, second_store: Store
) -> None:
    patient_id = build_history(store)
    records = load_patient_records(store.ctx, LOCAL, patient_id)
    second_store.clock.set(NOW)
    late = replace(
        records,
        flags=(*records.flags, FlagEntry(code="not_a_flag", raised_at=NOW - timedelta(days=1))),
    )
    with pytest.raises(InvalidInput, match=r"flags\[1\].code"):
        import_patient_records(second_store.ctx, LOCAL, late)
    # A session beyond the protocol's stages is refused as well, and nothing is stored.
    beyond = replace(records, sessions=(*records.sessions, session(NOW - timedelta(days=1), 4)))
    with pytest.raises(InvalidInput, match=r"sessions\[5\].stage: must be 1-3"):
        import_patient_records(second_store.ctx, LOCAL, beyond)
    assert patient_count(second_store) == 0


def test_the_import_command_refuses_a_bundle_with_a_bad_last_entry_and_stores_nothing(
    store: Store, second_store: Store, second_database_url: str, tmp_path: Path
) -> None:
    patient_id = build_history(store)
    text = bundle_json(load_patient_records(store.ctx, LOCAL, patient_id), NOW)
    cut = text.rindex('"status": "')
    file = tmp_path / "bundle.json"
    file.write_text(text[:cut] + '"status": "bogus-' + text[cut + len('"status": "') :])
    result = run(second_database_url, "import", "fhir", str(file))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert ".resource.status: must be a" in result.stderr
    assert "Traceback" not in result.stderr
    assert patient_count(second_store) == 0


@pytest.mark.parametrize("at", ["2999-01-01T00:00:00Z", "2026-11-25T08:00:00Z"])
def test_a_forged_decision_never_becomes_todays_decision(
    store: Store, database_url: str, tmp_path: Path, at: str
) -> None:
    patient_id = build_history(store)
    store.clock.set(NOW)
    before = today(store.ctx, LOCAL, patient_id)
    file = tmp_path / "decisions.csv"
    row = f"99,{at},progress,none,2,3,R8,FORGED: skip the red-flag questions,2026.12-1"
    file.write_text(",".join(DECISION_COLUMNS) + "\r\n" + row + "\r\n")
    result = run(database_url, "import", "csv", str(file), "--patient", str(patient_id))
    assert result.returncode == 2
    assert result.stderr.startswith("line 1: a decisions file is not imported")
    after = today(store.ctx, LOCAL, patient_id)
    assert after.last_decision == before.last_decision
    assert (after.stage, after.current_decision) == (before.stage, before.current_decision)
    assert after.last_decision is not None
    assert "FORGED" not in after.last_decision.message
    records = load_patient_records(store.ctx, LOCAL, patient_id)
    assert all("FORGED" not in d.message for d in records.decisions)


def test_a_csv_whose_last_row_is_bad_stores_none_of_its_rows(
    store: Store, database_url: str, tmp_path: Path
) -> None:
    patient_id = build_history(store)
    rows = [
        f"{i},{(START + timedelta(days=20, hours=i)).isoformat()},1,true,10,easy,1,1,1,back,back"
        for i in range(1, 40)
    ]
    rows.append("40,2999-01-01T08:00:00+00:00,1,true,10,easy,1,1,1,back,back")
    header = (
        "session_id,at,stage,completed,reps,effort,pain_before,pain_during,pain_after,"
        "location_before,location_after"
    )
    file = tmp_path / "sessions.csv"
    file.write_text("\r\n".join([header, *rows]) + "\r\n")
    result = run(database_url, "import", "csv", str(file), "--patient", str(patient_id))
    assert (result.returncode, result.stderr) == (2, "line 41, at: must not be in the future\n")
    assert len(load_patient_records(store.ctx, LOCAL, patient_id).sessions) == 5


def test_no_more_sessions_on_one_local_day_than_live_entry_allows(store: Store) -> None:
    patient_id = build_history(store)
    store.clock.set(NOW)
    protocol = load_builtin("lumbar-flexion")
    cap = daily_session_cap(max(s.dose.sessions_per_day for s in protocol.stages), stop_now=True)
    day = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # 09:00 in Berlin, the patient's zone
    many = [replace(session(day + timedelta(minutes=i)), id=str(i)) for i in range(cap + 1)]
    with pytest.raises(InvalidInput) as caught:
        import_sessions(store.ctx, LOCAL, patient_id, many)
    assert str(caught.value) == (
        f"sessions[{cap}].at: more than {cap} sessions on 2026-11-24, more than the plan allows"
    )
    assert len(load_patient_records(store.ctx, LOCAL, patient_id).sessions) == 5
    assert import_sessions(store.ctx, LOCAL, patient_id, many[:cap]) == cap


def test_imported_free_text_is_no_longer_than_live_entry_takes(
    store: Store, second_store: Store
) -> None:
    patient_id = build_history(store)
    records = load_patient_records(store.ctx, LOCAL, patient_id)
    assert records.programme is not None
    second_store.clock.set(NOW)
    too_long = "x" * 2001
    finding = FlagEntry(
        code=RESOLVED_FLAG,
        raised_at=NOW - timedelta(days=2),
        resolved_at=NOW - timedelta(days=1),
        outcome=too_long,
    )
    for changed, path in [
        (replace(records, flags=(*records.flags, finding)), "flags[1].outcome"),
        (
            replace(records, programme=replace(records.programme, paused_reason=too_long)),
            "CarePlan.paused_reason",
        ),
    ]:
        with pytest.raises(InvalidInput, match=re.escape(f"{path}: must be at most 2000")):
            import_patient_records(second_store.ctx, LOCAL, changed)
    assert patient_count(second_store) == 0
    # Within the limit, the same text is taken.
    fine = replace(finding, outcome="x" * 2000)
    import_patient_records(second_store.ctx, LOCAL, replace(records, flags=(*records.flags, fine)))
    assert patient_count(second_store) == 1
