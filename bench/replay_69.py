"""Wall time of an `eval` replay (the local judge by default) over the 69 real days of the
gpt-4o period, and over the 25 labelled days of the repository.

The 69 days' candidates live in ../shared/data/realworld/daizedong-gpt4o-period/candidates (read
when present; otherwise only the repository's 25 days are replayed, and the script says so).
Labels exist for 25 days only: days without labels are judged like the others (and recorded in
the replay's history as the simulated LLM's "no pick" day), metrics are averaged only over the
days that have labels. The replay is the library's `papersieve.eval.replay`, the code behind
`papersieve eval`.

Run: .venv/bin/python bench/replay_69.py [--judge local|hybrid]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import statistics
import time
from pathlib import Path

from papersieve.eval import load_days, replay
from papersieve.models import Paper
from papersieve.profile.loader import load_profile

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data" / "realworld" / "daizedong-gpt4o-period" / "candidates"
LOCAL = REPO / "data" / "candidates"
LABELS = REPO / "data" / "labels" / "gpt4o-picks-dev.jsonl"


def labelled_dates() -> set[str]:
    import json

    return {json.loads(line)["date"] for line in LABELS.read_text("utf-8").splitlines() if line.strip()}


def timed_replay(judge: str, days: list[tuple[dt.date, list[Paper]]]) -> tuple[float, list[float],
                                                                                list[dict[str, object]]]:
    """Total seconds, seconds per day, and the per-day rows of one replay."""
    stamps = [time.perf_counter()]

    def on_day(_kind: str, _row: dict[str, object]) -> None:
        stamps.append(time.perf_counter())

    report = replay(judge, load_profile(None), days, LABELS, on_day=on_day)
    total = time.perf_counter() - stamps[0]
    per_day = [b - a for a, b in itertools.pairwise(stamps)]
    return total, per_day, report.per_day


def describe(name: str, judge: str, days: list[tuple[dt.date, list[Paper]]]) -> None:
    with_labels = labelled_dates()
    total, per_day, rows = timed_replay(judge, days)
    candidates = sum(len(p) for _, p in days)
    aucs = [float(r["auc"]) for r in rows if r["date"] in with_labels  # type: ignore[arg-type]
            and isinstance(r.get("auc"), int | float)]
    print(f"{name}: {len(days)} days {days[0][0]}..{days[-1][0]}, {candidates:,} candidates,"
          f" {sum(1 for d, _ in days if d.isoformat() in with_labels)} with labels")
    print(f"  {judge} judge replay: {total:.1f} s wall ({total / len(days):.2f} s per day, median"
          f" {statistics.median(per_day):.2f} s, slowest {max(per_day):.2f} s;"
          f" {candidates / total:,.0f} candidates/s)")
    if aucs:
        print(f"  mean ROC AUC over the {len(aucs)} labelled days: {statistics.mean(aucs):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judge", choices=("local", "hybrid"), default="local")
    args = parser.parse_args()
    if SHARED.is_dir():
        describe(f"all days ({SHARED.relative_to(REPO.parent)})", args.judge, load_days(SHARED))
    else:
        print(f"{SHARED} is not here: only the repository's labelled days are replayed")
    describe("labelled days (data/candidates)", args.judge, load_days(LOCAL))
    print(f"command: .venv/bin/python bench/replay_69.py --judge {args.judge}")


if __name__ == "__main__":
    main()
