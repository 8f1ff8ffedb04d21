"""How quickly the command line answers, as a ratio to the floor of a Typer program.

The floor is ``python -c "import typer"`` with the same interpreter: any Typer command
pays it. Each command runs as a fresh process several times, interleaved with the floor
so that a noisy shared machine slows both alike; the median of each is reported, then
the ratio command / floor (the target is below 2).

``spinestep today`` needs a profile: one is made first in a temporary data folder with
``spinestep init`` (no prompts), and a session is logged so Today has something to show.

    uv run --frozen --all-extras python bench/cli.py [--rounds 9]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 2.0


def timed(argv: list[str], env: dict[str, str], stdin: str | None = None) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, input=stdin, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[2:4])} failed ({done.returncode}): {done.stderr}")
    return elapsed


def spinestep(*args: str) -> list[str]:
    return [sys.executable, "-m", "spinestep", *args]


def make_profile(env: dict[str, str]) -> None:
    subprocess.run(
        spinestep(
            "init",
            "--name",
            "Bench",
            "--cleared",
            "--preference",
            "flexion",
            "--protocol",
            "lumbar-flexion",
            "--stage",
            "1",
            "--time-zone",
            "Europe/London",
            "--emergency-number",
            "999",
            "--no-red-flags",
            "--outcome-measure",
            "odi",
            "--no-psfs",
        ),
        env=env,
        check=True,
        capture_output=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "SPINESTEP_DATA_DIR": folder, "SPINESTEP_DATABASE_URL": ""}
        make_profile(env)
        request = Path(folder) / "decide.json"
        request.write_text(
            json.dumps(
                {
                    "current_stage": 1,
                    "clearance": True,
                    "directional_preference": "flexion",
                    "sessions": [],
                }
            ),
            encoding="utf-8",
        )
        cases: dict[str, tuple[list[str], str | None]] = {
            'python -c "import typer" (floor)': ([sys.executable, "-c", "import typer"], None),
            "spinestep --help": (spinestep("--help"), None),
            "spinestep decide FILE": (spinestep("decide", str(request)), None),
            "spinestep today": (spinestep("today"), None),
        }
        for argv, stdin in cases.values():  # warm the file cache once
            timed(argv, env, stdin)
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(rounds):
            for name, (argv, stdin) in cases.items():
                times[name].append(timed(argv, env, stdin))
    medians = {name: statistics.median(values) for name, values in times.items()}
    floor = medians['python -c "import typer" (floor)']
    print(f"median of {rounds} fresh processes each, interleaved")
    figures: dict[str, float] = {}
    for name, median in medians.items():
        ratio = median / floor
        flag = "" if name.endswith("(floor)") else ("  ok" if ratio < TARGET_RATIO else "  SLOW")
        print(f"{name:34} {median * 1000:7.0f} ms  {ratio:5.2f}x floor{flag}")
        figures[name] = round(ratio, 2)
    print(json.dumps({"floor_ms": round(floor * 1000), "ratios": figures}))


if __name__ == "__main__":
    main()
