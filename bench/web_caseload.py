"""Benchmark of the clinician's screens on realistic caseloads (``web_data``: 40 clinicians
of 250 patients, 1,000,000 sessions).

Measured against a running ``spinestep serve``:

- the patient list in attention order (``/clinic``), rotating over the 40 clinicians,
  and the alerts page (``/clinic/alerts``), under wrk at 8 connections;
- a patient page with 500 sessions, one with three years of history (5,000 sessions)
  and one of a patient invited today (no session), under wrk at 8 connections (a
  3-year history should open as fast as a new one), and the 3-year timeline's oldest
  page (``?before=`` its first day);
- a patient's FHIR export with 5,000 sessions (``records.fhir.json``), one request at a
  time, timed to the last byte.

Targets: patient list p99 < 150 ms at 8 connections on PostgreSQL; export < 1 s.
``measure(base_url, secret, workdir)`` runs the measurements on a server that serves a
database loaded by ``web_data`` with that secret key (``bench/web.py`` calls it);
``python bench/web_caseload.py [--backend postgresql|sqlite|both] [--seconds S]`` loads
the data, starts the server and prints the figures, the last line one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from pg import throwaway_postgres
from serving import start_serve
from spinestep.web.security import SESSION_COOKIE, BrowserSession, SessionSigner
from web_data import (
    CLINICIANS,
    LONG_PATIENT,
    LONG_SESSIONS,
    MID_PATIENT,
    NEW_PATIENT,
    PATIENTS,
    PER_DAY_CHECKED,
    SESSIONS,
    clinician_nonce,
    clinician_of,
    clinician_user_id,
    load_postgres,
    load_sqlite,
)

WRK = "/usr/bin/wrk"
CONNECTIONS = 8
THREADS = 2
SECRET = "bench-secret-key"
DASHBOARD_P99_MS = 150
EXPORT_S = 1.0
EXPORTS = 5

LUA = r"""
local creds = {}
for line in io.lines(os.getenv("BENCH_CREDENTIALS")) do creds[#creds + 1] = line end
local sent = 0
function request()
  sent = sent + 1
  local cookie = os.getenv("BENCH_COOKIE") .. "=" .. creds[(sent % #creds) + 1]
  return wrk.format("GET", nil, {["Cookie"] = cookie})
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "seconds": %.6f, "p50_us": %d, "p99_us": %d, '
    .. '"non_2xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def _cookie(signer: SessionSigner, clinician: int) -> str:
    expires = int(time.time()) + 24 * 3600
    session = BrowserSession(str(clinician_user_id(clinician)), clinician_nonce(clinician), expires)
    return signer.dump(session)


def _wrk(url: str, cookies: list[str], seconds: float, workdir: Path) -> dict[str, Any]:
    script = workdir / "caseload.lua"
    script.write_text(LUA)
    credentials = workdir / "caseload-cookies.txt"
    credentials.write_text("\n".join(cookies) + "\n")
    env = dict(os.environ, BENCH_CREDENTIALS=str(credentials), BENCH_COOKIE=SESSION_COOKIE)
    command = [WRK, "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", f"{max(1, round(seconds))}s"]
    command += ["--timeout", "10s", "-s", str(script), url]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=seconds + 60)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        raise SystemExit(f"wrk failed: {done.stderr or done.stdout}")
    raw = json.loads(line.removeprefix("WRKJSON "))
    return {
        "requests": raw["requests"],
        "rps": round(raw["requests"] / raw["seconds"], 1) if raw["seconds"] > 0 else 0.0,
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "non_2xx": raw["non_2xx"],
        "socket_errors": raw["socket_errors"],
    }


def _get(url: str, cookie: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Cookie": f"{SESSION_COOKIE}={cookie}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, response.read()


def _export(base: str, cookie: str) -> dict[str, Any]:
    url = f"{base}/clinic/patients/{LONG_PATIENT}/records.fhir.json"
    _get(url, cookie)  # warm
    times, size = [], 0
    for _ in range(EXPORTS):
        started = time.perf_counter()
        status, body = _get(url, cookie)
        times.append(time.perf_counter() - started)
        if status != 200:
            raise SystemExit(f"the export answered {status}")
        size = len(body)
    return {
        "sessions": LONG_SESSIONS,
        "requests": EXPORTS,
        "median_s": round(statistics.median(times), 3),
        "max_s": round(max(times), 3),
        "bytes": size,
        "meets_target": max(times) < EXPORT_S,
    }


def _oldest_page() -> str:
    """The 3-year timeline's oldest page: the 14 days that end on its first session's day
    (``web_data`` puts it ``LONG_SESSIONS / 5`` days before yesterday)."""
    first_day = datetime.now(UTC).date() - timedelta(days=LONG_SESSIONS // PER_DAY_CHECKED + 1)
    return f"/clinic/patients/{LONG_PATIENT}?before={first_day + timedelta(days=1)}"


def measure(base: str, secret: str, workdir: Path, seconds: float = 10.0) -> dict[str, Any]:
    """The clinician screens of a server on ``web_data``'s database, signed with ``secret``."""
    signer = SessionSigner(secret.encode())
    everyone = [_cookie(signer, k) for k in range(1, CLINICIANS + 1)]
    first = [_cookie(signer, clinician_of(LONG_PATIENT))]
    assert clinician_of(MID_PATIENT) == clinician_of(NEW_PATIENT) == clinician_of(LONG_PATIENT)
    oldest = _oldest_page()
    pages = (
        ("patient_list", "/clinic", everyone),
        ("alerts", "/clinic/alerts", everyone),
        ("patient_page_500", f"/clinic/patients/{MID_PATIENT}", first),
        ("patient_page_3y", f"/clinic/patients/{LONG_PATIENT}", first),
        ("patient_page_3y_oldest", oldest, first),
        ("patient_page_new", f"/clinic/patients/{NEW_PATIENT}", first),
    )
    results: dict[str, Any] = {}
    for label, path, cookies in pages:
        _wrk(base + path, cookies, min(3.0, seconds), workdir)  # warm
        figures = _wrk(base + path, cookies, seconds, workdir)
        results[label] = figures
        print(
            f"  {label:<24} {figures['rps']:>7.1f} req/s   p50 {figures['p50_ms']:>8.2f} ms"
            f"   p99 {figures['p99_ms']:>8.2f} ms   ({figures['requests']} requests, "
            f"{figures['non_2xx']} non-2xx)",
            flush=True,
        )
    results["patient_list"]["meets_target"] = (
        results["patient_list"]["p99_ms"] < DASHBOARD_P99_MS
        and results["patient_list"]["non_2xx"] == 0
    )
    results["fhir_export_5000"] = export = _export(base, first[0])
    print(
        f"  {'fhir_export_5000':<24} median {export['median_s']:.3f} s, max {export['max_s']:.3f} s"
        f" ({export['bytes']:,} bytes)",
        flush=True,
    )
    return results


def _serve(url: str, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    return start_serve(url, SECRET, workdir)


def run_backend(
    name: str, url: str, workdir: Path, seconds: float, *, load: bool = True
) -> dict[str, Any]:
    started = time.perf_counter()
    if not load:
        pass
    elif name == "sqlite":
        load_sqlite(url.removeprefix("sqlite:///"), datetime.now(UTC))
    else:
        load_postgres(url, datetime.now(UTC))
    load_s = time.perf_counter() - started
    print(f"{name}: loaded {PATIENTS:,} patients, {SESSIONS:,} sessions in {load_s:.1f} s")
    process, base = _serve(url, workdir)
    try:
        return {"load_s": round(load_s, 1), **measure(base, SECRET, workdir, seconds)}
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=10.0, help="wrk run per page")
    parser.add_argument(
        "--loaded-url", help="a PostgreSQL database web_data loaded (within the hour): no load"
    )
    args = parser.parse_args()
    if not Path(WRK).exists():
        raise SystemExit("wrk is missing: install the Debian package 'wrk'")
    out: dict[str, Any] = {
        "benchmark": "web_caseload",
        "patients": PATIENTS,
        "clinicians": CLINICIANS,
        "sessions": SESSIONS,
        "connections": CONNECTIONS,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    workdir = Path(tempfile.mkdtemp(prefix="spinestep-bench-caseload-"))
    try:
        if args.loaded_url:
            out["postgresql"] = run_backend(
                "postgresql", args.loaded_url, workdir, args.seconds, load=False
            )
        elif args.backend in ("sqlite", "both"):
            out["sqlite"] = run_backend(
                "sqlite", f"sqlite:///{workdir / 'bench.db'}", workdir, args.seconds
            )
        if args.backend in ("postgresql", "both") and not args.loaded_url:
            with throwaway_postgres() as url:
                out["postgresql"] = run_backend("postgresql", url, workdir, args.seconds)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    judged = [out[b] for b in ("postgresql",) if b in out]
    out["all_targets_met"] = all(
        r["patient_list"]["meets_target"] and r["fhir_export_5000"]["meets_target"] for r in judged
    )
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
