"""Start-up time of `papersieve --help` (target < 0.3 s), with the bare interpreter for scale.

Each figure is the median wall time of fresh processes (the first one, which warms the OS file
cache, is not counted). The modules that `--help` imports are listed when they take long.
Run: .venv/bin/python bench/startup.py [repetitions]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRIPT = Path(sys.executable).parent / "papersieve"
TARGET = 0.3


def wall(args: list[str], reps: int) -> list[float]:
    """Seconds per run of `args`, after one uncounted warm-up run."""
    env = {**os.environ, "PAPERSIEVE_HOME": "/tmp/papersieve-bench-startup"}
    times = []
    for i in range(reps + 1):
        start = time.perf_counter()
        subprocess.run(args, env=env, check=True, capture_output=True)
        if i:
            times.append(time.perf_counter() - start)
    return times


def slowest_imports(args: list[str], top: int = 8) -> list[tuple[int, str]]:
    """(cumulative microseconds, module) of the slowest imports, from -X importtime."""
    done = subprocess.run([sys.executable, "-X", "importtime", *args], capture_output=True,
                          text=True, check=True)
    rows = []
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "cumulative" not in line:
            _, cumulative, name = line.split("|")
            rows.append((int(cumulative.strip()), name.rstrip()))
    return sorted(rows, reverse=True)[:top]


def main() -> None:
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    cases = {
        "python -c pass (interpreter alone)": [sys.executable, "-c", "pass"],
        "papersieve --help (console script)": [str(SCRIPT), "--help"],
        "python -m papersieve --help": [sys.executable, "-m", "papersieve", "--help"],
        "papersieve run --help": [str(SCRIPT), "run", "--help"],
    }
    results = {name: wall(args, reps) for name, args in cases.items()}
    print(f"start-up, median of {reps} fresh processes (target for --help: < {TARGET} s)")
    for name, times in results.items():
        median = statistics.median(times)
        flag = ""
        if "--help" in name and name.startswith("papersieve --help"):
            flag = "  OK" if median < TARGET else "  MISSED"
        print(f"  {name:<38} {median * 1000:6.0f} ms  (min {min(times) * 1000:.0f},"
              f" max {max(times) * 1000:.0f}){flag}")
    print("slowest imports of `papersieve --help` (cumulative):")
    for micros, name in slowest_imports(["-m", "papersieve", "--help"]):
        print(f"  {micros / 1000:7.1f} ms  {name.strip()}")
    print(f"command: .venv/bin/python bench/startup.py {reps}")


if __name__ == "__main__":
    main()
