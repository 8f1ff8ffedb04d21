"""Benchmark of the decision rules: prints figures, then one JSON object as the last line.

1. ``decide()`` alone on validated, time-ordered histories of 30, 1,000 and 10,000
   sessions (one core): decisions per second for each, and the 10,000 / 30 cost ratio.
2. The whole ``spinestep decide`` path (parse JSON, validate, order, decide, serialise)
   per call, in-process through the CLI's ``decide_text``; and one cold-start subprocess
   call of the installed command when it is there.

Targets: at least 20,000 decisions/s at 30 sessions; the 10,000-session cost at most
2x the 30-session cost. Measured for a history that progresses (R8 walks its window) and
one that stays (R9 also counts the run's dates, up to 14). Timings are printed, never
asserted by tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from spinestep.cli.rules import decide_text
from spinestep.domain.decide_request import parse_decide_json
from spinestep.domain.rules import decide
from spinestep.protocols import builtin_protocols

SIZES = (30, 1_000, 10_000)
START = datetime(2024, 1, 1, 8, 0, tzinfo=UTC)


def history(count: int, *, settled_dates: int = 3) -> dict[str, object]:
    """Five sessions a day (08:00-20:00, every 3 hours) at stage 2, the last
    ``settled_dates`` dates easy and painless. With the default settings (6 sessions on 3
    dates) three settled dates progress, so R8 walks its whole window; with fewer, the
    rules fall through to R9, which counts the run's dates (up to 14) as well.
    """
    sessions = []
    settled_from = count - 5 * settled_dates
    for index in range(count):
        day, slot = divmod(index, 5)
        at = START + timedelta(days=day, hours=3 * slot)
        settled = index >= settled_from
        sessions.append(
            {
                "at": at.isoformat(),
                "stage": 2,
                "completed": True,
                "reps": 10,
                "effort": "easy" if settled else "moderate",
                "pain_before": 2 if settled else 3,
                "pain_during": 1 if settled else 4,
                "pain_after": 1 if settled else 3,
                "location_before": "back" if settled else "thigh",
                "location_after": "back" if settled else "thigh",
            }
        )
    return {
        "protocol": "lumbar-flexion",
        "current_stage": 2,
        "clearance": True,
        "directional_preference": "flexion",
        "red_flags": [],
        "sessions": sessions,
    }


def per_second(func: Callable[[], object], minimum_s: float = 0.2) -> float:
    """Calls per second of ``func`` over at least ``minimum_s`` seconds."""
    calls = 0
    batch = 100
    started = time.perf_counter()
    elapsed = 0.0
    while elapsed < minimum_s:
        for _ in range(batch):
            func()
        calls += batch
        elapsed = time.perf_counter() - started
    return calls / elapsed


def best_rates(funcs: dict[str, Callable[[], object]], rounds: int = 5) -> dict[str, float]:
    """Best of several interleaved rounds, so a busy machine slows every size alike."""
    best = dict.fromkeys(funcs, 0.0)
    for _ in range(rounds):
        for name, func in funcs.items():
            best[name] = max(best[name], per_second(func))
    return best


def pin_to_one_core() -> str:
    """Run on a single core, so the figures do not depend on the machine's other cores."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity here)"
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return f"pinned to core {core}"


def main() -> None:
    print(pin_to_one_core())
    protocols = builtin_protocols()
    results: dict[str, float] = {}
    funcs: dict[str, Callable[[], object]] = {}
    for size in SIZES:
        request = parse_decide_json(json.dumps(history(size)), protocols)
        assert decide(request).decision.value == "progress"
        funcs[f"decide_per_s_{size}"] = partial(decide, request)
        staying = parse_decide_json(json.dumps(history(size, settled_dates=1)), protocols)
        assert decide(staying).decision.value == "stay"
        funcs[f"stay_per_s_{size}"] = partial(decide, staying)
    text = json.dumps(history(30))
    funcs["cli_path"] = partial(decide_text, text)
    rates = best_rates(funcs)
    for size in SIZES:
        rate = rates[f"decide_per_s_{size}"]
        results[f"decide_per_s_{size}"] = round(rate)
        print(f"decide() with {size:>6} sessions: {rate:>12,.0f} decisions/s")
    ratio = rates["decide_per_s_30"] / rates["decide_per_s_10000"]
    results["cost_ratio_10000_vs_30"] = round(ratio, 3)
    print(f"cost of 10,000 sessions / cost of 30: {ratio:.2f} (target <= 2)")
    for size in SIZES:
        rate = rates[f"stay_per_s_{size}"]
        results[f"stay_per_s_{size}"] = round(rate)
        print(f"decide() staying (R9 counts 14 dates), {size:>6} sessions: {rate:>12,.0f}/s")
    stay_ratio = rates["stay_per_s_30"] / rates["stay_per_s_10000"]
    results["stay_cost_ratio_10000_vs_30"] = round(stay_ratio, 3)
    print(f"staying: cost of 10,000 sessions / cost of 30: {stay_ratio:.2f} (target <= 2)")
    cli_ms = 1000 / rates["cli_path"]
    results["cli_path_per_call_ms"] = round(cli_ms, 4)
    print(
        f"spinestep decide path (parse, validate, order, decide, print JSON), 30 sessions, "
        f"in-process: {cli_ms:.3f} ms per call"
    )

    command = Path(sys.executable).with_name("spinestep")
    if command.exists():
        started = time.perf_counter()
        subprocess.run(
            [str(command), "decide"], input=text.encode(), check=True, capture_output=True
        )
        cold_ms = (time.perf_counter() - started) * 1000
        results["cli_cold_start_ms"] = round(cold_ms, 1)
        print(f"spinestep decide, one subprocess call (cold start): {cold_ms:.0f} ms")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
