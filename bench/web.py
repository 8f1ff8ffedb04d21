"""Benchmark of the web app under wrk: the patient's Today page and GET /api/v1/me/plan.

A database of 10,000 patients and 1,000,000 sessions is bulk-loaded (SQLite, then a
throw-away PostgreSQL server), ``spinestep serve`` runs on loopback, and wrk
(/usr/bin/wrk) sends a bounded number of requests at 16 connections to each endpoint:
the trivial GET /api/v1/health of the same app is the framework's ceiling. Requests
rotate over 200 patients (cookie sessions for the page, bearer tokens for the API).

The app keeps nothing between requests (no read cache): every request reads its
credential and the patient's records from the database, as it would behind a load
balancer with several processes. ``--workers N`` starts ``spinestep serve --workers N``.

Prints requests/s and p50/p99 latency per endpoint and backend, then one JSON object as
the last line. Targets: Today and /me/plan at least 35 % of the ceiling's requests/s on
SQLite and 20 % on PostgreSQL, p99 under 100 ms, no error answers.
The same server then serves the clinician's screens of ``bench/web_caseload.py``
(patient list, alerts, patient pages, a 5,000-session FHIR export) for
``--caseload-seconds`` each (0 leaves them out).
Usage: ``python bench/web.py [--requests N] [--backend sqlite|postgresql|both] [--workers N]
[--caseload-seconds S]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import web_caseload
from pg import throwaway_postgres
from serving import start_serve
from spinestep.web.security import BrowserSession, SessionSigner
from web_data import PATIENTS, SESSIONS_PER_PATIENT, TOKENS, bench_token, load_postgres, load_sqlite

WRK = "/usr/bin/wrk"
MAX_RUN_S = 300
CONNECTIONS = 16
THREADS = 2
SECRET = "bench-secret-key"
#: Least share of the ceiling's requests/s per backend; p99 must stay under P99_TARGET_MS.
TARGET_SHARE = {"sqlite": 0.35, "postgresql": 0.20}
P99_TARGET_MS = 100
ENDPOINTS = (
    ("ceiling", "/api/v1/health"),
    ("today_page", "/today"),
    ("me_plan", "/api/v1/me/plan"),
)

LUA = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local function now_s()
  local t = ffi.new("bench_timespec")
  ffi.C.clock_gettime(1, t)
  return tonumber(t.tv_sec) + tonumber(t.tv_nsec) / 1e9
end
local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end
local limit = tonumber(os.getenv("BENCH_REQUESTS_PER_THREAD"))
local kind = os.getenv("BENCH_KIND")
local marker_dir = os.getenv("BENCH_MARKERS")
local creds = {}
for line in io.lines(os.getenv("BENCH_CREDENTIALS")) do creds[#creds + 1] = line end
answered, sent, first_s, last_s, ok = 0, 0, 0, 0, 0
function request()
  sent = sent + 1
  if first_s == 0 then first_s = now_s() end
  local cred = creds[(sent % #creds) + 1]
  local headers = {}
  if kind == "cookie" then headers["Cookie"] = "spinestep_session=" .. cred
  elseif kind == "bearer" then headers["Authorization"] = "Bearer " .. cred end
  return wrk.format("GET", nil, headers)
end
function response(status, headers, body)
  if answered >= limit then return end
  answered = answered + 1
  if status == 200 then ok = ok + 1 end
  if answered == limit then
    last_s = now_s()
    local f = io.open(marker_dir .. "/done-" .. id, "w")
    f:write("done")
    f:close()
    wrk.thread:stop()
  end
end
function done(summary, latency, requests)
  local first, last, count, good = math.huge, 0, 0, 0
  for _, t in ipairs(threads) do
    first = math.min(first, t:get("first_s"))
    last = math.max(last, t:get("last_s"))
    count = count + t:get("answered")
    good = good + t:get("ok")
  end
  io.write(string.format(
    'WRKJSON {"requests": %d, "ok": %d, "seconds": %.6f, "p50_us": %d, "p99_us": %d, '
    .. '"socket_errors": %d}\n',
    count, good, last - first, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def _credentials(workdir: Path) -> dict[str, Path]:
    signer = SessionSigner(SECRET.encode())
    far = int(time.time()) + 24 * 3600
    cookies = [
        signer.dump(BrowserSession(str(n + 1), f"bench{n}", far)) for n in range(1, TOKENS + 1)
    ]
    tokens = [bench_token(n) for n in range(1, TOKENS + 1)]
    files = {
        "cookie": workdir / "cookies.txt",
        "bearer": workdir / "tokens.txt",
        "none": workdir / "none.txt",
    }
    files["cookie"].write_text("\n".join(cookies) + "\n")
    files["bearer"].write_text("\n".join(tokens) + "\n")
    files["none"].write_text("-\n")
    return files


def _start_server(url: str, workdir: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    return start_serve(url, SECRET, workdir, "--workers", str(workers))


def _wrk(url: str, kind: str, credentials: Path, requests: int, script: Path) -> dict[str, Any]:
    """Run wrk until each thread has had its share of ``requests`` answered, then stop it."""
    markers = Path(tempfile.mkdtemp(prefix="wrk-markers-"))
    env = dict(
        os.environ,
        BENCH_REQUESTS_PER_THREAD=str(max(1, requests // THREADS)),
        BENCH_KIND=kind,
        BENCH_CREDENTIALS=str(credentials),
        BENCH_MARKERS=str(markers),
    )
    process = subprocess.Popen(
        [
            WRK,
            "-t",
            str(THREADS),
            "-c",
            str(CONNECTIONS),
            "-d",
            f"{MAX_RUN_S}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + MAX_RUN_S
    while len(list(markers.iterdir())) < THREADS and process.poll() is None:
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if process.poll() is None:
        process.send_signal(signal.SIGINT)  # wrk then prints its summary and done()
    out, err = process.communicate(timeout=60)
    shutil.rmtree(markers, ignore_errors=True)
    line = next((x for x in out.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        raise SystemExit(f"wrk failed: {err or out}")
    raw = json.loads(line.removeprefix("WRKJSON "))
    seconds = raw["seconds"]
    return {
        "requests": raw["requests"],
        "rps": round(raw["requests"] / seconds, 1) if seconds > 0 else 0.0,
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "non_2xx": raw["requests"] - raw["ok"],
        "socket_errors": raw["socket_errors"],
    }


def run_backend(
    name: str, url: str, workdir: Path, requests: int, workers: int, caseload_s: float
) -> dict[str, Any]:
    now = datetime.now(UTC)
    started = time.perf_counter()
    if name == "sqlite":
        load_sqlite(url.removeprefix("sqlite:///"), now)
    else:
        load_postgres(url, now)
    load_s = time.perf_counter() - started
    print(
        f"{name}: loaded {PATIENTS:,} patients and {PATIENTS * SESSIONS_PER_PATIENT:,} sessions "
        f"in {load_s:.1f} s",
        flush=True,
    )
    creds = _credentials(workdir)
    script = workdir / "bench.lua"
    script.write_text(LUA)
    results: dict[str, Any] = {"load_s": round(load_s, 1)}
    kinds = {"ceiling": "none", "today_page": "cookie", "me_plan": "bearer"}
    process, base = _start_server(url, workdir, workers)
    try:
        for label, path in ENDPOINTS:
            # Warm up right before measuring: pools, compiled statements, the database's cache.
            kind = kinds[label]
            _wrk(base + path, kind, creds[kind], max(400, requests // 5), script)
            figures = _wrk(base + path, kind, creds[kind], requests, script)
            results[label] = figures
            print(
                f"{name:<10} {label:<12} {figures['rps']:>8.1f} req/s"
                f"   p50 {figures['p50_ms']:>7.2f} ms"
                f"   p99 {figures['p99_ms']:>7.2f} ms   ({figures['requests']} requests, "
                f"{figures['non_2xx']} non-2xx)",
                flush=True,
            )
        if caseload_s > 0:
            print(f"{name:<10} the clinician's screens (bench/web_caseload.py)", flush=True)
            results["caseload"] = web_caseload.measure(base, SECRET, workdir, caseload_s)
    finally:
        process.terminate()
        process.wait(timeout=30)
    ceiling = results["ceiling"]["rps"] or 1.0
    for label in ("today_page", "me_plan"):
        figures = results[label]
        figures["share_of_ceiling"] = round(figures["rps"] / ceiling, 3)
        figures["target_share"] = TARGET_SHARE[name]
        figures["meets_target"] = (
            figures["share_of_ceiling"] >= TARGET_SHARE[name]
            and figures["p99_ms"] < P99_TARGET_MS
            and figures["non_2xx"] == 0
            and figures["socket_errors"] == 0
        )
        print(
            f"{name:<10} {label:<12} {100 * figures['share_of_ceiling']:.1f} % of the ceiling "
            f"(target {100 * TARGET_SHARE[name]:.0f} %), p99 {figures['p99_ms']} ms "
            f"(target < {P99_TARGET_MS} ms)",
            flush=True,
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10000, help="requests per endpoint")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes (spinestep serve --workers)"
    )
    parser.add_argument(
        "--caseload-seconds",
        type=float,
        default=5.0,
        help="seconds per clinician screen (bench/web_caseload.py); 0 leaves them out",
    )
    args = parser.parse_args()
    if args.requests < 1 or not 1 <= args.workers <= 64:
        parser.error("--requests must be at least 1 and --workers 1-64")
    if not Path(WRK).exists():
        raise SystemExit("wrk is missing: install the Debian package 'wrk'")
    out: dict[str, Any] = {
        "benchmark": "web",
        "patients": PATIENTS,
        "sessions": PATIENTS * SESSIONS_PER_PATIENT,
        "connections": CONNECTIONS,
        "requests_per_endpoint": args.requests,
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    workdir = Path(tempfile.mkdtemp(prefix="spinestep-bench-web-"))
    try:
        if args.backend in ("sqlite", "both"):
            out["sqlite"] = run_backend(
                "sqlite",
                f"sqlite:///{workdir / 'bench.db'}",
                workdir,
                args.requests,
                args.workers,
                args.caseload_seconds,
            )
        if args.backend in ("postgresql", "both"):
            with throwaway_postgres() as url:
                out["postgresql"] = run_backend(
                    "postgresql", url, workdir, args.requests, args.workers, args.caseload_seconds
                )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    out["all_targets_met"] = all(
        out[b][e]["meets_target"]
        for b in ("sqlite", "postgresql")
        if b in out
        for e in ("today_page", "me_plan")
    )
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
