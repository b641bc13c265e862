"""A full day with the local judge, from stored candidate files to every output: wall time.

The day is 2025-07-03 (cs.LG + cs.AI, data/candidates). Each repetition starts from a fresh
PAPERSIEVE_HOME, so it includes opening the store, loading the day, candidates, prefilter, the
local judge, selection, and writing Markdown, JSON, HTML (day, archive, latest) and Atom.
It also times the same day as a user runs it, a fresh process each time
(`papersieve run --date 2025-07-03 --offline data/candidates --no-deliver`, new home), so the
figure includes interpreter start-up and every import.
Run: .venv/bin/python bench/day_local.py [repetitions]
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DAY = dt.date(2025, 7, 3)


def one_day(home: Path) -> tuple[float, dict[str, float], int, int]:
    """Seconds for run_day, its stage timings, candidates and picks."""
    os.environ["PAPERSIEVE_HOME"] = str(home)
    from papersieve.pipeline import run_day
    from papersieve.profile import load_profile
    from papersieve.profile.loader import builtin_profile_dir
    from papersieve.store import open_store

    profile = load_profile(builtin_profile_dir(), {"judge.kind": "local", "name": "bench"})
    start = time.perf_counter()
    with open_store() as store:
        report = run_day(store, profile, DAY, offline_dir=REPO / "data" / "candidates",
                         out_dir=home / "out", deliver=False)
    elapsed = time.perf_counter() - start
    assert report.digest is not None
    return elapsed, report.timings, len(report.digest.judgements), len(report.digest.picks)


def fresh_process(home: Path) -> float:
    """Wall seconds of `papersieve run` for the day in a new process with a fresh home."""
    env = {**os.environ, "PAPERSIEVE_HOME": str(home), "PAPERSIEVE_JUDGE": "local"}
    command = [str(Path(sys.executable).parent / "papersieve"), "run", "--date", DAY.isoformat(),
               "--offline", str(REPO / "data" / "candidates"), "--no-deliver"]
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    for name in ("OPENAI_API_KEY", "SLACK_WEBHOOK_URL", "SLACK_BOT_TOKEN"):
        os.environ.pop(name, None)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(reps + 1):  # the first repetition warms imports and is not counted
            results.append(one_day(Path(tmp) / f"home{i}"))
    counted = results[1:]
    walls = sorted(r[0] for r in counted)
    _, timings, candidates, picks = counted[0]
    print(f"day {DAY}: {candidates} candidates, {picks} picks, local judge")
    print(f"wall time, median of {reps}: {statistics.median(walls) * 1000:.0f} ms "
          f"(min {walls[0] * 1000:.0f}, max {walls[-1] * 1000:.0f})")
    for stage in sorted(timings):
        median = statistics.median(r[1].get(stage, 0.0) for r in counted)
        print(f"  {stage}: {median * 1000:.0f} ms")
    print(f"first run (cold imports): {results[0][0] * 1000:.0f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        fresh = sorted(fresh_process(Path(tmp) / f"fresh{i}") for i in range(reps + 1))[:-1]
    print(f"fresh process, `papersieve run` of the day, median of {reps}:"
          f" {statistics.median(fresh):.2f} s (min {fresh[0]:.2f}, max {fresh[-1]:.2f});"
          f" load average {os.getloadavg()[0]:.1f}")
    print("command: .venv/bin/python bench/day_local.py " + str(reps))


if __name__ == "__main__":
    main()
