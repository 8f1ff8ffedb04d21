"""Benchmark of the imports: prints figures, then one JSON object as the last line.

1. A sessions CSV at the row limit (``MAX_CSV_ROWS``): rows per second and peak Python
   memory (tracemalloc) of ``read_csv_stream`` (parse and check every row), against a
   baseline measured in the same run: ``csv.reader`` over the same bytes, doing nothing.
2. A 300,000-row CSV: how long until it is refused, and how many bytes were read then.
3. A Bundle of many sessions (four entries each): entries per second and peak memory of
   ``read_bundle_stream``, against ``json.loads`` of the same bytes as the baseline (the
   whole tree in memory, as the import did before it streamed); and a Bundle past the
   size limit (padded with whitespace): time until refused and bytes read by then.
4. The whole CSV import into a fresh SQLite file (read, check, one unit of work), for
   the number of rows given as the first argument (default 5,000).

Timings are printed, never asserted by tests; the tests assert the limits instead.
Run: ``uv run --frozen --all-extras python bench/imports.py``.
"""

from __future__ import annotations

import csv
import io
import json
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from spinestep.domain.model import Effort, Location, SessionRecord
from spinestep.errors import InvalidInput
from spinestep.interop.csv_io import read_csv_stream, sessions_csv
from spinestep.interop.fhir import bundle_json
from spinestep.interop.fhir_read import read_bundle_stream
from spinestep.services.context import Actor, FixedClock, ServiceContext
from spinestep.services.import_checks import (
    MAX_BUNDLE_BYTES,
    MAX_BUNDLE_ENTRIES,
    MAX_CSV_BYTES,
    MAX_CSV_ROWS,
)
from spinestep.services.onboarding import OnboardingInput, onboard
from spinestep.services.patient_records import import_sessions, load_patient_records
from spinestep.services.record_types import (
    PatientInfo,
    PatientRecords,
    ProgrammeInfo,
    SessionEntry,
)

T = TypeVar("T")
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
BIG_CSV_ROWS = 300_000
BUNDLE_SESSIONS = 5_000


def sessions(count: int, step: timedelta = timedelta(hours=1)) -> tuple[SessionEntry, ...]:
    """``count`` sessions ``step`` apart, ending before NOW, at stage 1."""
    first = NOW - step * (count + 1)
    return tuple(
        SessionEntry(
            str(i + 1),
            SessionRecord(
                at=first + step * i,
                stage=1,
                effort=Effort.EASY,
                pain_before=i % 4,
                pain_during=i % 3,
                pain_after=i % 2,
                location_before=Location.BACK,
                location_after=Location.BUTTOCK,
                reps=10,
            ),
        )
        for i in range(count)
    )


def measured(work: Callable[[], T]) -> tuple[T, float, int]:
    """What ``work`` returned, its seconds (untraced) and its peak traced memory in bytes
    (a second run under tracemalloc, which slows Python several times)."""
    began = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - began
    tracemalloc.start()
    work()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, seconds, peak


def refused(work: Callable[[], object]) -> str:
    try:
        work()
    except InvalidInput as error:
        return str(error)
    raise AssertionError("not refused")


def mb(count: int) -> float:
    return round(count / (1024 * 1024), 1)


class Counting(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.taken = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk


def refusal(data: bytes, reader: Callable[[Counting], object]) -> dict[str, Any]:
    """Refusing ``data`` past a limit: how soon, how much was read, the peak memory."""
    streams: list[Counting] = []

    def refuse() -> str:
        streams.append(Counting(data))
        return refused(lambda: reader(streams[-1]))

    message, seconds, peak = measured(refuse)
    return {
        "file_mb": mb(len(data)),
        "refused_after_s": round(seconds, 3),
        "read_mb": mb(streams[0].taken),
        "peak_mb": mb(peak),
        "message": message,
    }


def bench_csv(figures: dict[str, Any]) -> None:
    data = sessions_csv(sessions(MAX_CSV_ROWS)).encode()

    def baseline() -> int:
        return sum(1 for _ in csv.reader(io.StringIO(data.decode())))

    _, base_s, base_peak = measured(baseline)
    read, read_s, read_peak = measured(lambda: read_csv_stream(io.BytesIO(data), NOW))
    assert len(read.sessions) == MAX_CSV_ROWS
    figures["csv"] = {
        "rows": MAX_CSV_ROWS,
        "file_mb": mb(len(data)),
        "rows_per_s": round(MAX_CSV_ROWS / read_s),
        "peak_mb": mb(read_peak),
        "baseline_rows_per_s": round(MAX_CSV_ROWS / base_s),
        "baseline_peak_mb": mb(base_peak),
        "time_ratio": round(read_s / base_s, 1),
    }
    print(
        f"CSV, {MAX_CSV_ROWS} rows ({mb(len(data))} MB): {MAX_CSV_ROWS / read_s:,.0f} rows/s, "
        f"peak {mb(read_peak)} MB; plain csv.reader {MAX_CSV_ROWS / base_s:,.0f} rows/s, "
        f"peak {mb(base_peak)} MB; {read_s / base_s:.1f}x its time"
    )

    big = sessions_csv(sessions(BIG_CSV_ROWS, timedelta(minutes=1))).encode()
    out = figures["csv_300k"] = refusal(big, lambda stream: read_csv_stream(stream, NOW))
    print(
        f"CSV, {BIG_CSV_ROWS} rows ({out['file_mb']} MB, limit {mb(MAX_CSV_BYTES)} MB): refused "
        f"after {out['refused_after_s']:.2f} s having read {out['read_mb']} MB, "
        f"peak {out['peak_mb']} MB: {out['message']}"
    )


def new_programme() -> ProgrammeInfo:
    """The programme of a patient onboarded now (a CarePlan for the Bundle)."""
    from spinestep.store import open_store

    with tempfile.TemporaryDirectory() as folder:
        engine, uow = open_store(f"sqlite:///{Path(folder) / 'programme.db'}")
        ctx = ServiceContext(uow=uow, clock=FixedClock(NOW - timedelta(days=200)))
        local = Actor.local_person()
        patient = onboard(
            ctx, local, OnboardingInput(display_name="Bench", time_zone="UTC", clearance=True)
        ).patient_id
        programme = load_patient_records(ctx, local, patient).programme
        engine.dispose()
    assert programme is not None
    return programme


def bench_bundle(figures: dict[str, Any]) -> None:
    records = PatientRecords(
        patient=PatientInfo(id="1", name="Bench", time_zone="Europe/Berlin"),
        programme=new_programme(),
        sessions=sessions(BUNDLE_SESSIONS),
    )
    data = bundle_json(records, NOW).encode()
    entries = 1 + 1 + 4 * BUNDLE_SESSIONS
    _, base_s, base_peak = measured(lambda: json.loads(data))
    read, read_s, read_peak = measured(lambda: read_bundle_stream(io.BytesIO(data), NOW))
    assert len(read.sessions) == BUNDLE_SESSIONS
    figures["fhir"] = {
        "entries": entries,
        "file_mb": mb(len(data)),
        "entries_per_s": round(entries / read_s),
        "peak_mb": mb(read_peak),
        "baseline_json_loads_s": round(base_s, 3),
        "baseline_peak_mb": mb(base_peak),
        "memory_ratio": round(read_peak / base_peak, 2),
        "entry_limit": MAX_BUNDLE_ENTRIES,
    }
    print(
        f"FHIR, {entries} entries ({mb(len(data))} MB): {entries / read_s:,.0f} entries/s "
        f"({read_s:.1f} s, each resource validated with its R4B model), peak {mb(read_peak)} "
        f"MB; json.loads alone {base_s:.2f} s, peak {mb(base_peak)} MB"
    )

    huge = data.replace(b'"entry": [', b'"entry": [' + b" " * MAX_BUNDLE_BYTES, 1)
    out = figures["fhir_over_limit"] = refusal(huge, lambda s: read_bundle_stream(s, NOW))
    print(
        f"FHIR, {out['file_mb']} MB (limit {mb(MAX_BUNDLE_BYTES)} MB): refused after "
        f"{out['refused_after_s']:.1f} s having read {out['read_mb']} MB, "
        f"peak {out['peak_mb']} MB: {out['message']}"
    )


def bench_store(figures: dict[str, Any], rows: int) -> None:
    from spinestep.store import open_store

    with tempfile.TemporaryDirectory() as folder:
        engine, uow = open_store(f"sqlite:///{Path(folder) / 'bench.db'}")
        ctx = ServiceContext(uow=uow, clock=FixedClock(NOW))
        local = Actor.local_person()
        patient = onboard(
            ctx, local, OnboardingInput(display_name="Bench", time_zone="UTC", clearance=True)
        ).patient_id
        data = sessions_csv(sessions(rows)).encode()

        def run() -> int:
            return import_sessions(
                ctx, local, patient, read_csv_stream(io.BytesIO(data), NOW).sessions
            )

        began = time.perf_counter()
        count = run()
        seconds = time.perf_counter() - began
        engine.dispose()
    figures["sqlite_import"] = {
        "rows": count,
        "rows_per_s": round(count / seconds),
        "seconds": round(seconds, 1),
    }
    print(f"CSV import into SQLite, {count} rows: {count / seconds:,.0f} rows/s ({seconds:.1f} s)")


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000
    figures: dict[str, Any] = {}
    bench_csv(figures)
    bench_bundle(figures)
    bench_store(figures, rows)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
