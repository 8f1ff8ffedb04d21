"""The clinician's one-page PDF report: Jinja2 template + inline SVG charts -> WeasyPrint.

Everything is local: the template and stylesheet ship in ``interop/templates``, fonts
come from the system (DejaVu Sans or Liberation Sans), and the URL fetcher refuses
every URL, so rendering never touches the network.

The PDF is tagged for assistive technology: WeasyPrint's PDF/UA-1 variant builds the
structure tree from the HTML (sections, headings, tables with header cells, lists), the
charts are figures whose alternate text is the ``<title>`` of their SVG, and the
catalog carries the language of ``<html lang>``. The document title, subject and
creator name the report and spinestep, never the patient: file managers, search
indexes and viewer title bars show metadata to people who never open the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import resources
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape

from spinestep.domain.change import Measure
from spinestep.domain.scoring import Instrument
from spinestep.errors import MediaError
from spinestep.interop.svg_charts import adherence_bars, pain_chart
from spinestep.services.questionnaire_scores import (
    INSTRUMENT_NAMES,
    VERDICT_TEXT,
    MeasureHistory,
)
from spinestep.services.report import ClinicianReport, counted

PDF_VARIANT = "pdf/ua-1"
"""Tagged PDF 1.7 with the PDF/UA-1 identification in its XMP metadata."""
LIST_LIMIT = 5
"""At most this many flags and stops are listed (the latest), so the report stays one page."""

_ENV = Environment(
    loader=PackageLoader("spinestep.interop", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


_ENV.filters["counted"] = counted


@dataclass(frozen=True, slots=True)
class _MeasureRow:
    name: str
    baseline: str
    baseline_day: str
    latest: str | None
    latest_day: str
    change: str | None
    verdict: str
    verdict_code: str


def report_html(report: ClinicianReport) -> str:
    """The report as a self-contained HTML page (also usable by the web app)."""
    zone = ZoneInfo(report.records.patient.time_zone)

    def day(value: datetime | date) -> str:
        if isinstance(value, datetime):
            value = value.astimezone(zone).date()
        return value.strftime("%d %b %Y")

    def optday(value: date | None) -> str:
        return "–" if value is None else day(value)

    programme = report.records.programme
    planned = 0
    if report.adherence is not None:
        planned = max((d.planned for d in report.adherence.days), default=0)
    css = resources.files("spinestep.interop").joinpath("templates/report.css").read_text("utf-8")
    context: dict[str, Any] = {
        "css": css,
        "created": report.generated_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "patient": report.records.patient,
        "made": report.generated_at.astimezone(zone).strftime("%d %b %Y %H:%M"),
        "programme": programme,
        "stages": report.stages,
        "pain": report.pain,
        "pain_svg": pain_chart(report.pain, report.records.patient.time_zone),
        "startback": report.questionnaires.startback,
        "measures": [_row(m, day) for m in report.questionnaires.measures],
        "adherence": report.adherence,
        "adherence_svg": (
            adherence_bars(report.adherence.per_day, planned) if report.adherence else ""
        ),
        "flags": report.flags[-LIST_LIMIT:],
        "earlier_flags": max(len(report.flags) - LIST_LIMIT, 0),
        "stops": report.stops[-LIST_LIMIT:],
        "earlier_stops": max(len(report.stops) - LIST_LIMIT, 0),
        "day": day,
        "optday": optday,
    }
    return _ENV.get_template("report.html").render(context)


def report_pdf(report: ClinicianReport) -> bytes:
    """Render the report to PDF bytes."""
    from weasyprint import HTML

    document = HTML(string=report_html(report), url_fetcher=_refuse_urls)
    pdf: bytes | None = document.write_pdf(pdf_variant=PDF_VARIANT)
    if pdf is None:
        raise MediaError("the PDF could not be rendered")
    return pdf


def _refuse_urls(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    raise MediaError("the report loads nothing from URLs")


_MEASURE_INSTRUMENT = {
    Measure.NPRS: Instrument.NPRS,
    Measure.ODI: Instrument.ODI,
    Measure.RMDQ: Instrument.RMDQ,
    Measure.PSFS: Instrument.PSFS,
}


def _row(history: MeasureHistory, day: Any) -> _MeasureRow:
    latest = history.latest
    change_text = None
    verdict = "baseline only"
    code = "none"
    if latest is not None:
        change = latest.change
        improvement = change.improvement
        better = improvement >= 0
        points = _number(improvement if better else -improvement)
        if improvement == 0:
            change_text = "no change"
        else:
            change_text = f"{counted(points, 'point')} {'better' if better else 'worse'}"
            if change.improvement_percent is not None:
                change_text += f" ({_number(abs(change.improvement_percent))} %)"
        verdict = VERDICT_TEXT[change.verdict]
        code = change.verdict.value
    return _MeasureRow(
        name=INSTRUMENT_NAMES[_MEASURE_INSTRUMENT[history.measure]],
        baseline=_number(history.baseline.value),
        baseline_day=day(history.baseline.at),
        latest=None if latest is None else _number(latest.point.value),
        latest_day="" if latest is None else day(latest.point.at),
        change=change_text,
        verdict=verdict,
        verdict_code=code,
    )


def _number(value: int | Decimal) -> str:
    if isinstance(value, int):
        return str(value)
    text = f"{value:.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
