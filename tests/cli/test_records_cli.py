"""The records commands end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from icalendar import Calendar
from typer.testing import CliRunner

from spinestep.cli.main import build_app
from spinestep.services.onboarding import OnboardingInput, onboard
from spinestep.services.patient_records import load_patient_records
from tests.interop.fhir_ids import renamed_ids
from tests.services.history_builder import (
    LOCAL,
    Store,
    build_history,
    second_database_url,
    second_store,
    store,
)

__all__ = ["second_database_url", "second_store", "store"]

APP = build_app()
LOINC_PAIN = "72514-3"


def invoke(url: str, *args: str, input_text: str | None = None) -> str:
    result = CliRunner().invoke(
        APP, list(args), env={"SPINESTEP_DATABASE_URL": url}, input=input_text
    )
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command in a child process: exit status and standard error as users see them."""
    env = {**os.environ, "SPINESTEP_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "spinestep", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def without_timestamp(bundle: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in bundle.items() if k != "timestamp"}


def test_export_fhir_writes_a_valid_bundle_and_import_reads_it_back(
    store: Store, database_url: str, second_database_url: str, tmp_path: Path
) -> None:
    build_history(store)
    out = tmp_path / "patient.json"
    invoke(database_url, "export", "fhir", "--patient", "1", "-o", str(out))
    bundle = json.loads(out.read_text())
    Bundle.model_validate(bundle)
    pain = [
        e
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
        and any(c["code"] == LOINC_PAIN for c in e["resource"]["code"]["coding"])
    ]
    assert len(pain) == 15
    message = invoke(second_database_url, "import", "fhir", str(out))
    assert "imported as patient 1" in message
    again = json.loads(invoke(second_database_url, "export", "fhir", "--patient", "1"))
    # The same content; the import gave every record (and the Bundle) a new id.
    assert renamed_ids(without_timestamp(again)) == renamed_ids(without_timestamp(bundle))


def test_csv_export_and_import_of_sessions_and_a_decisions_file_is_refused(
    store: Store, second_store: Store, database_url: str, second_database_url: str, tmp_path: Path
) -> None:
    build_history(store)
    sessions_file = tmp_path / "sessions.csv"
    decisions_file = tmp_path / "decisions.csv"
    invoke(database_url, "export", "csv", "-o", str(sessions_file))
    invoke(database_url, "export", "csv", "--what", "decisions", "-o", str(decisions_file))
    assert sessions_file.read_text().startswith("session_id,at,stage,completed,reps,effort")
    onboard(
        second_store.ctx,
        LOCAL,
        OnboardingInput(display_name="Copy", time_zone="Europe/Berlin", clearance=True),
    )
    assert "imported 5 sessions" in invoke(second_database_url, "import", "csv", str(sessions_file))
    refused = run(second_database_url, "import", "csv", str(decisions_file))
    assert refused.returncode == 2
    assert refused.stderr.startswith("line 1: a decisions file is not imported")
    copied = load_patient_records(second_store.ctx, LOCAL, 1)
    assert [s.record.pain_during for s in copied.sessions] == [3, 3, 2, 2, 5]
    assert copied.decisions == ()


def test_a_bad_csv_row_is_named_by_line_and_nothing_is_imported(
    store: Store, database_url: str, tmp_path: Path
) -> None:
    build_history(store)
    file = tmp_path / "sessions.csv"
    invoke(database_url, "export", "csv", "-o", str(file))
    lines = file.read_bytes().decode().split("\r\n")
    assert ",easy,3,2,2," in lines[3]  # the third session: before 3, during 2, after 2
    lines[3] = lines[3].replace(",easy,3,2,2,", ",easy,3,2,12,")
    file.write_bytes("\r\n".join(lines).encode())
    result = run(database_url, "import", "csv", str(file), "--patient", "1")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == "line 4, pain_after: must be an integer 0-10\n"
    assert len(load_patient_records(store.ctx, LOCAL, 1).sessions) == 5


def test_reminders_calendar_has_one_daily_event_per_session_time(
    store: Store, database_url: str, tmp_path: Path
) -> None:
    build_history(store)
    out = tmp_path / "sessions.ics"
    invoke(database_url, "reminders", "--ics", str(out), "--start", "2026-12-01", "--days", "7")
    calendar = Calendar.from_ical(out.read_bytes())
    events = list(calendar.walk("VEVENT"))
    # Default dose: 5 sessions a day, every 3 hours from 08:00 in the patient's zone.
    starts = [e.decoded("DTSTART") for e in events]
    assert [s.strftime("%H:%M") for s in starts] == ["08:00", "11:00", "14:00", "17:00", "20:00"]
    assert {str(s.tzinfo) for s in starts} == {"Europe/Berlin"}
    rule = events[0]["RRULE"]
    assert rule["FREQ"] == ["DAILY"]
    assert rule["UNTIL"][0].isoformat() == "2026-12-07T07:00:00+00:00"


def test_report_writes_a_pdf_whose_text_names_the_patient(
    store: Store, database_url: str, tmp_path: Path
) -> None:
    build_history(store)
    out = tmp_path / "report.pdf"
    invoke(database_url, "report", "--pdf", str(out))
    text = subprocess.run(
        ["/usr/bin/pdftotext", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Ana Example" in text
    assert "Stops and referrals" in text


def test_backup_then_restore_into_an_empty_database_and_refuse_a_full_one(
    store: Store, database_url: str, second_database_url: str, tmp_path: Path
) -> None:
    build_history(store)
    file = tmp_path / "all.backup"
    assert "backed up" in invoke(database_url, "backup", str(file))
    assert "restored" in invoke(second_database_url, "restore", str(file))
    first = invoke(database_url, "export", "csv", "--what", "decisions")
    assert invoke(second_database_url, "export", "csv", "--what", "decisions") == first
    refused = run(second_database_url, "restore", str(file))
    assert refused.returncode == 6
    assert "confirm to replace" in refused.stderr
    assert "restored" in invoke(second_database_url, "restore", str(file), "--yes")


def test_questionnaire_record_due_and_history(store: Store, database_url: str) -> None:
    build_history(store)
    invoke(
        database_url,
        "questionnaire",
        "record",
        "--instrument",
        "rmdq",
        "--answers",
        '{"ticked": [2, 5, 7, 9]}',
        "--taken-at",
        "2026-11-02T10:00:00+01:00",
    )
    history = invoke(database_url, "questionnaire", "history")
    assert "STarT Back 2026-11-02: total 7/9, psychosocial 4/5 -> high risk" in history
    # ODI 51.11 -> 22.22: 28.89 points better -> important improvement.
    assert "22.22 (improvement 28.89, 56.53 %) -> clinically important improvement" in history
    data = json.loads(invoke(database_url, "questionnaire", "history", "--json"))
    rmdq = next(m for m in data["measures"] if m["measure"] == "rmdq")
    assert rmdq["baseline"]["score"] == 4 and rmdq["follow_ups"] == []
    due = invoke(database_url, "questionnaire", "due", "--measure", "rmdq")
    # The RMDQ baseline was on 2 November: the next one falls due 14 days later.
    assert "rmdq       due 2026-11-16" in due or "rmdq       due now" in due


def test_questionnaire_record_asks_item_by_item(store: Store, database_url: str) -> None:
    build_history(store)
    answers = "\n".join(["2", "1", "", "3", "0", "1", "2", "", "1", "1"]) + "\n"
    output = invoke(
        database_url, "questionnaire", "record", "--instrument", "odi", input_text=answers
    )
    # 2+1+3+0+1+2+1+1 = 11 of 8 answered sections x 5 = 40 -> 27.5 %, moderate.
    assert '"score": 27.5' in output and '"band": "moderate"' in output


def test_questionnaire_errors_are_one_line(store: Store, database_url: str) -> None:
    build_history(store)
    result = run(
        database_url,
        "questionnaire",
        "record",
        "--instrument",
        "rmdq",
        "--answers",
        '{"ticked": [30]}',
    )
    assert result.returncode == 2
    assert result.stderr == "ticked[0]: must be an integer 1-24\n"


def test_unknown_patient_exits_with_not_found(store: Store, database_url: str) -> None:
    build_history(store)
    result = run(database_url, "export", "fhir", "--patient", "99")
    assert result.returncode == 3
    assert result.stderr == "spinestep: no patient with id 99\n"


@pytest.mark.parametrize("command", ["export", "import", "questionnaire"])
def test_groups_show_help_without_a_subcommand(command: str) -> None:
    result = CliRunner().invoke(APP, [command])
    assert "Usage" in result.output


def test_psfs_and_startback_can_be_answered_in_the_terminal(
    store: Store, database_url: str
) -> None:
    build_history(store)
    psfs = invoke(
        database_url,
        "questionnaire",
        "record",
        "--instrument",
        "psfs",
        input_text="tying shoes\n4\ncycling\n7\n\n",
    )
    assert '"score": 5.5' in psfs  # (4 + 7) / 2
    names = [
        a.name
        for a in load_patient_records(store.ctx, LOCAL, 1).questionnaires[-1].answers.activities  # type: ignore[union-attr]
    ]
    assert names == ["tying shoes", "cycling"]
    startback = invoke(
        database_url,
        "questionnaire",
        "record",
        "--instrument",
        "startback",
        input_text="y\ny\nn\nn\ny\ny\ny\nn\nextremely\n",
    )
    # agree 1,2,5,6,7 + item 9 = 6 total; psychosocial items 5,6,7,9 = 4 -> high.
    assert '"total": 6, "psychosocial": 4, "risk": "high"' in startback


def test_a_typo_in_a_terminal_answer_is_refused_not_skipped(
    store: Store, database_url: str
) -> None:
    build_history(store)
    result = CliRunner().invoke(
        APP,
        ["questionnaire", "record", "--instrument", "rmdq"],
        env={"SPINESTEP_DATABASE_URL": database_url},
        input="1, 4, x\n",
    )
    assert result.exit_code != 0
    assert str(result.exception) == "ticked[2]: must be a whole number"
    assert len(load_patient_records(store.ctx, LOCAL, 1).questionnaires) == 4
