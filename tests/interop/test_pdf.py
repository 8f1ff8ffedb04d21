"""The clinician report: rendered to one tagged PDF page (PDF/UA-1), its text read back
with pdftotext and its structure tree and metadata with pypdf."""

from __future__ import annotations

import io
import logging
import re
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, BooleanObject, DictionaryObject

from spinestep.domain.model import Decision, Dose, Phase, Urgency
from spinestep.interop.pdf import report_html, report_pdf
from spinestep.services.record_types import (
    DecisionEntry,
    FlagEntry,
    PatientInfo,
    PatientRecords,
    ProgrammeStatus,
    PsfsActivity,
    PsfsAnswers,
    QuestionnaireEntry,
)
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


def squeezed(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def structure(node: object) -> Iterator[DictionaryObject]:
    """Every structure element under ``node``, depth first."""
    node = node.get_object()  # type: ignore[attr-defined]
    if not isinstance(node, DictionaryObject):
        return
    if node.get("/Type") == "/StructElem":
        yield node
    kids = node.get("/K")
    if kids is None:
        return
    kids = kids.get_object()
    for kid in kids if isinstance(kids, ArrayObject) else [kids]:
        yield from structure(kid)


def test_the_pdf_is_tagged_pdf_ua_with_language_title_and_no_patient_in_metadata() -> None:
    reader = PdfReader(io.BytesIO(report_pdf(build_report(sample_records(), NOW))))
    catalog = reader.trailer["/Root"]
    assert "/StructTreeRoot" in catalog
    assert catalog["/MarkInfo"]["/Marked"] == BooleanObject(True)
    assert catalog["/Lang"] == "en"
    assert catalog["/ViewerPreferences"]["/DisplayDocTitle"] == BooleanObject(True)
    assert reader.metadata is not None
    assert reader.metadata.title == "spinestep progress report"
    assert reader.metadata["/Creator"] == "spinestep"
    assert "low back pain" in reader.metadata.subject
    xmp = reader.xmp_metadata
    assert xmp is not None
    assert xmp.dc_title == {"x-default": "spinestep progress report"}
    raw_xmp = xmp.stream.get_data().decode("utf-8")
    assert 'pdfuaid:part="1"' in raw_xmp
    for value in (*reader.metadata.values(), raw_xmp):
        assert "Ana" not in str(value) and "Example" not in str(value)


def test_the_structure_has_headings_tables_with_header_cells_lists_and_described_charts() -> None:
    reader = PdfReader(io.BytesIO(report_pdf(build_report(sample_records(), NOW))))
    elements = list(structure(reader.trailer["/Root"]["/StructTreeRoot"]))
    tags = [str(e["/S"]) for e in elements]
    assert tags.count("/H1") == 1
    assert tags.count("/H2") == 6
    assert tags.count("/Table") == 2
    # Column headers (7 + 5) and one row header per stage (3) and per measure (4).
    assert tags.count("/TH") == 7 + 5 + 3 + 4
    cells = [e for e in elements if e["/S"] == "/TD"]
    assert cells and all(len(cell["/A"]["/Headers"]) == 2 for cell in cells)
    assert tags.count("/L") == 2 and tags.count("/LI") == 3
    figures = [str(e["/Alt"]) for e in elements if e["/S"] == "/Figure"]
    assert len(figures) == 2
    pain, adherence = figures
    assert pain.startswith("Pain chart, 0 to 10,")
    assert "5 sessions from 02 Nov 2026 to 05 Nov 2026" in pain
    assert "First session: before 6, during 5, after 4." in pain
    assert "Latest session: before 3, during 4, after 4, stopped early." in pain
    assert "1 session not completed" in pain
    assert adherence.startswith("Completed sessions per day")
    assert "10 Nov 2026: 0" in adherence and "16 Nov 2026: 0" in adherence


def test_weasyprint_finds_nothing_missing_for_pdf_ua(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        report_pdf(build_report(sample_records(), NOW))
        report_pdf(build_report(PatientRecords(patient=PatientInfo(id="9")), NOW))
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []


def test_the_footnote_cites_the_psfs_source_not_ostelo(tmp_path: Path) -> None:
    text, _ = pdf_text(report_pdf(build_report(sample_records(), NOW)), tmp_path)
    note = squeezed(text)
    assert (
        "NPRS, ODI and RMDQ: 2, 10 and 5 points or 30 % of baseline, their minimal important "
        "change (Ostelo et al. 2008)."
    ) in note
    assert (
        "PSFS: 2 points, the minimum detectable change of its average score (Stratford 1995)."
    ) in note
    assert "(Ostelo et al. 2008): NPRS" not in note


def one_session_day() -> PatientRecords:
    """A programme of one session a day, started this morning, with one session done;
    NPRS 1 point better after two weeks and PSFS 1 point worse."""
    base = sample_records()
    assert base.programme is not None
    start = NOW - timedelta(days=15)
    dose = Dose(reps=10, hold_s_min=1, hold_s_max=2, sessions_per_day=1)
    programme = replace(
        base.programme,
        status=ProgrammeStatus.ACTIVE,
        current_stage=1,
        started_at=NOW - timedelta(hours=3),
        stages=(replace(base.programme.stages[0], dose=dose),),
    )
    psfs = [
        QuestionnaireEntry(
            id=str(i),
            taken_at=start + timedelta(days=14 * i),
            answers=PsfsAnswers(activities=(PsfsActivity(name="walking", rating=rating),)),
        )
        for i, rating in enumerate((6, 5))
    ]
    return replace(
        base,
        programme=programme,
        sessions=(
            session(1, start, 1, (5, 5, 5)),
            session(2, NOW - timedelta(hours=1), 1, (4, 4, 4)),
        ),
        questionnaires=tuple(psfs),
        decisions=(),
        flags=(),
    )


def test_one_point_one_session_and_one_day_are_singular() -> None:
    html = report_html(build_report(one_session_day(), NOW))
    text = squeezed(re.sub(r"<[^>]+>", " ", html))
    assert "1 point better (20 %)" in text
    assert "1 point worse" in text
    assert "1 points" not in text
    assert "1 of 1 planned session completed on the 1 day the programme was active" in text
    assert "2 sessions" in text
    records = one_session_day()
    single = replace(records, sessions=records.sessions[1:])
    text = squeezed(re.sub(r"<[^>]+>", " ", report_html(build_report(single, NOW))))
    assert "· 1 session " in text and "1 sessions" not in text
    assert "each session: 1 session on 16 Nov 2026" in text


def test_a_score_that_did_not_move_says_no_change() -> None:
    records = one_session_day()
    same = replace(
        records,
        sessions=(records.sessions[0], session(2, NOW - timedelta(hours=1), 1, (5, 5, 5))),
    )
    text = squeezed(re.sub(r"<[^>]+>", " ", report_html(build_report(same, NOW))))
    assert "no change" in text
    assert "0 points" not in text
