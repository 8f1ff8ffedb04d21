"""The clinician report: rendered to one PDF page and its text read back with pdftotext."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from spinestep.domain.model import Decision, Phase, Urgency
from spinestep.interop.pdf import report_html, report_pdf
from spinestep.services.record_types import DecisionEntry, FlagEntry, PatientInfo, PatientRecords
from spinestep.services.report import build_report
from tests.interop.sample_records import sample_records, session

NOW = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)
PDFTOTEXT = "/usr/bin/pdftotext"


def pdf_text(pdf: bytes, tmp_path: Path) -> tuple[str, int]:
    """The PDF's text (layout kept, whitespace squeezed) and its page count."""
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        [PDFTOTEXT, "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    pages = text.count("\f") or 1
    if text.endswith("\f"):
        pages = text.count("\f")
    return re.sub(r"[ \t]+", " ", text), pages


def test_report_is_one_page_with_programme_pain_measures_adherence_flags_stops(
    tmp_path: Path,
) -> None:
    pdf = report_pdf(build_report(sample_records(), NOW))
    assert pdf.startswith(b"%PDF-")
    text, pages = pdf_text(pdf, tmp_path)
    assert pages == 1
    assert "Ana Example" in text
    assert "Lumbar flexion" in text and "paused" in text
    assert "Bending forward, sitting" in text and "in progress" in text
    assert "8 × 1-3 s, 4/day" in text
    assert "Pain (NPRS 0–10) per session" in text
    # STarT Back: 6 of items 1-8 agree + item 9 "very much" = 7; psychosocial 4 -> high.
    assert "total 7/9, psychosocial 4/5" in text and "high risk" in text
    # ODI 23/45 = 51.11 % at baseline, 10/45 = 22.22 % two weeks later.
    assert "51.11" in text and "22.22" in text
    assert "28.89 points better" in text
    assert "clinically important" in text
    # NPRS: first session 6 before, latest period's last session 3 before -> 3 points, 50 %.
    assert "3 points better (50 %)" in text
    # Adherence over the last 7 days (10-16 Nov): paused since 5 Nov, no day counts.
    assert "Adherence (7 days)" in text
    assert "no day of an active programme in these 7 days" in text
    assert "bilateral leg symptoms" in text and "open" in text
    assert "weaker cancer risk" in text
    assert "stop (R4)" in text and "urgency soon" in text
    assert "does not diagnose" in text


def test_report_adherence_counts_the_days_the_programme_was_active() -> None:
    # On 6 Nov: 31 Oct - 6 Nov; started 2 Nov, stopped 5 Nov 10:40 (Berlin): 2-5 Nov
    # count at 4 a day (stage 2) = 16 planned; 4 completed (25 %), 1 stopped early.
    html = report_html(build_report(sample_records(), datetime(2026, 11, 6, 12, 0, tzinfo=UTC)))
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "25 %" in text
    assert "4 of 16 planned sessions completed on the 4 days the programme was active" in text
    assert "1 stopped early" in text


def test_report_says_maintenance() -> None:
    records = sample_records()
    assert records.programme is not None
    programme = replace(
        records.programme, current_stage=1, phase=Phase.MAINTENANCE, maintenance_sessions_per_day=2
    )
    html = report_html(build_report(replace(records, programme=programme), NOW))
    assert "complete: maintenance at stage 1, 2/day" in html
    assert "stage 1 of 3" not in html


def test_a_patient_without_history_still_gets_a_report(tmp_path: Path) -> None:
    records = PatientRecords(patient=PatientInfo(id="9", name="New Person"))
    text, pages = pdf_text(report_pdf(build_report(records, NOW)), tmp_path)
    assert pages == 1
    assert "No programme has been set up." in text
    assert "No sessions recorded yet" in text
    assert "None reported." in text


def test_a_long_history_stays_on_one_page(tmp_path: Path) -> None:
    base = sample_records()
    start = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    many = tuple(
        session(100 + i, start + timedelta(hours=5 * i), 1 + (i // 150), (i % 9, i % 7, i % 5))
        for i in range(400)
    )
    stops = tuple(
        DecisionEntry(
            id=str(i),
            at=start + timedelta(days=i),
            decision=Decision.CLINICIAN_REVIEW,
            urgency=Urgency.SOON,
            current_stage=1,
            next_stage=None,
            rules=("R1:night_pain_unremitting",),
            message="See your clinician about the night pain. " * 8,
        )
        for i in range(20)
    )
    flags = tuple(FlagEntry("night_pain_unremitting", start + timedelta(days=i)) for i in range(20))
    records = replace(base, sessions=many, decisions=stops, flags=flags)
    text, pages = pdf_text(report_pdf(build_report(records, NOW)), tmp_path)
    assert pages == 1
    assert "and 15 earlier" in text
    assert "400 sessions" in text


def test_patient_text_is_escaped_in_the_html() -> None:
    records = replace(
        sample_records(), patient=PatientInfo(id="7", name="<b>Bobby</b>", time_zone="UTC")
    )
    html = report_html(build_report(records, NOW))
    assert "&lt;b&gt;Bobby&lt;/b&gt;" in html
    assert "<b>Bobby</b>" not in html


def test_the_report_loads_nothing_from_the_network() -> None:
    html = report_html(build_report(sample_records(), NOW))
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", html)
    assert "@import" not in html and "url(" not in html


@pytest.mark.parametrize("time_zone", ["Pacific/Auckland", "America/Los_Angeles"])
def test_dates_follow_the_patients_time_zone(time_zone: str) -> None:
    records = replace(sample_records(), patient=PatientInfo(id="7", time_zone=time_zone))
    html = report_html(build_report(records, NOW))
    made = NOW.astimezone(__import__("zoneinfo").ZoneInfo(time_zone)).strftime("%d %b %Y %H:%M")
    assert f"made {made}" in html
