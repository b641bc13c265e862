"""How a day's time and memory grow with its number of candidates, and with the size of the store.

1. Candidates: days of 300, 1,000, 3,000 and 10,000 papers, made by sampling the 8,975 real
   candidates of data/candidates (seeded; duplicated beyond that) under fresh ids, each run with
   the local judge from the candidate file to every output (`run_day`, as bench/day_local.py),
   in a fresh process and store, reporting wall time, time per candidate and peak memory
   (ru_maxrss of that process). Target: linear growth.
2. History: the real day 2025-07-03 (215 candidates, local judge) on a fresh store vs on a store
   holding a year of history (250 days x 400 papers with their runs, llm judgements and outcomes,
   inserted directly), in one process after a warm-up run. Target: at most 20% slower. Also the
   local ranker's retraining (what every llm/hybrid run does after its day) on that year of llm
   verdicts.

Run: .venv/bin/python bench/growth.py [--sizes 300,1000,3000,10000] [--history-days 250]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CANDIDATES = REPO / "data" / "candidates"
DAY = dt.date(2025, 7, 3)
SYNTH_DAY = dt.date(2026, 1, 5)


def real_records() -> list[dict[str, object]]:
    records = []
    for path in sorted(CANDIDATES.glob("arxiv-*.jsonl")):
        records += [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return records


def synth_day(folder: Path, size: int, seed: int = 7) -> None:
    """A candidate file of `size` real papers under fresh ids 2601.00001..."""
    pool = real_records()
    random.Random(seed).shuffle(pool)
    lines = []
    for n in range(size):
        record = dict(pool[n % len(pool)])
        record["id"] = f"2601.{n + 1:05d}"
        lines.append(json.dumps(record))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"arxiv-{SYNTH_DAY}-cs.LG+cs.AI.jsonl").write_text("\n".join(lines) + "\n", "utf-8")


def one_day(home: Path, offline: Path, day: dt.date) -> dict[str, object]:
    """run_day with the local judge on one day; seconds, stage timings and candidates."""
    os.environ["PAPERSIEVE_HOME"] = str(home)
    from papersieve.pipeline import run_day
    from papersieve.profile import load_profile
    from papersieve.profile.loader import builtin_profile_dir
    from papersieve.store import open_store

    profile = load_profile(builtin_profile_dir(), {"judge.kind": "local", "name": "bench"})
    start = time.perf_counter()
    with open_store(home / "papersieve.db") as store:
        report = run_day(store, profile, day, offline_dir=offline, out_dir=home / "out", deliver=False)
    seconds = time.perf_counter() - start
    assert report.digest is not None, report.message
    return {"seconds": seconds, "timings": report.timings, "candidates": len(report.digest.judgements)}


def in_child(args: list[str]) -> tuple[dict[str, object], float]:
    """Run this script's `--child ...` in a fresh process: its JSON result and peak MiB."""
    child = subprocess.Popen([sys.executable, __file__, "--child", *args], stdout=subprocess.PIPE,
                             env={k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"})
    assert child.stdout is not None
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"child {args} failed")
    return json.loads(out.decode().strip().splitlines()[-1]), usage.ru_maxrss / 1024


def build_history(db: Path, days: int, per_day: int, first: int = 0) -> float:
    """A year of history inserted directly (days `first`..`days - 1`); returns the seconds."""
    os.environ["PAPERSIEVE_HOME"] = str(db.parent)
    from papersieve.models import Judgement, Outcome
    from papersieve.sources.jsonl import paper_from_record
    from papersieve.store import open_store
    from papersieve.store.judgements import save_judgements
    from papersieve.store.papers import upsert_papers
    from papersieve.store.runs import finish_run, record_outcomes, start_run

    pool = real_records()
    rng = random.Random(11)
    start = time.perf_counter()
    with open_store(db) as store:
        for d in range(first, days):
            date = DAY - dt.timedelta(days=366 - d * 365 // days)
            picked = rng.sample(pool, per_day)
            papers = [paper_from_record({**r, "id": f"24{d // 25:02d}.{(d % 25) * 1000 + i:05d}"})
                      for i, r in enumerate(picked)]
            with store.transaction():
                upsert_papers(store, papers, listed_on=date.isoformat())
                run_id = start_run(store, "bench", date, "llm", "gpt-4o", "h")
                verdicts = [Judgement(p.id, Outcome.JUDGED, "llm", "gpt-4o", "h",
                                      float(rng.choice([3, 3, 3, 5, 8, 9])), 7.0, "history")
                            for p in papers]
                ids = save_judgements(store, verdicts, {p.id: p for p in papers}, run_id, "abstract")
                record_outcomes(store, run_id, [(j.paper_id, j.outcome, jid, (j.relevance or 0) >= 8,
                                                 None) for j, jid in zip(verdicts, ids, strict=True)])
                finish_run(store, run_id, "done")
    return time.perf_counter() - start


def child(argv: list[str]) -> None:
    """What runs in a child process: one measurement, printed as one JSON line."""
    kind, folder = argv[0], Path(argv[1])
    if kind == "size":
        print(json.dumps(one_day(folder / "home", folder / "in", SYNTH_DAY)))
    elif kind == "day":
        print(json.dumps(one_day(folder, CANDIDATES, DAY)))
    elif kind == "history":
        print(json.dumps(history_runs(folder, int(argv[2]))))
    elif kind == "retrain":
        os.environ["PAPERSIEVE_HOME"] = str(folder)
        from papersieve.judges.local import retrain
        from papersieve.profile import load_profile
        from papersieve.profile.loader import builtin_profile_dir
        from papersieve.store import open_store

        profile = load_profile(builtin_profile_dir(), {"name": "bench"})
        with open_store(folder / "papersieve.db") as store:
            start = time.perf_counter()
            retrain(store, profile)
            print(json.dumps({"seconds": time.perf_counter() - start}))


def sizes_part(sizes: list[int], tmp: Path) -> None:
    print("1. candidates per day (local judge, candidate file to every output, fresh process each)")
    per = []
    for size in sizes:
        folder = tmp / f"size{size}"
        synth_day(folder / "in", size)
        result, mib = in_child(["size", str(folder)])
        seconds = float(result["seconds"])  # type: ignore[arg-type]
        per.append(seconds / size)
        stages = ", ".join(f"{k} {v:.2f}" for k, v in result["timings"].items())  # type: ignore[attr-defined]
        print(f"  {size:>6,} candidates: {seconds:7.2f} s  ({seconds / size * 1000:5.2f} ms each)"
              f"  peak {mib:5.0f} MiB   [{stages}]")
    print(f"  time per candidate, largest vs smallest day: {per[-1] / per[0]:.2f}x"
          " (1.0 = linear)")


def history_part(days: int, per_day: int, tmp: Path, reps: int = 5) -> None:
    print(f"2. store history: day {DAY} (data/candidates, local judge), in one process after a"
          f" warm-up run, fresh store vs a year of history alternately, median of {reps}")
    big = tmp / "history"
    big.mkdir()
    took = build_history(big / "papersieve.db", days, per_day)
    size = (big / "papersieve.db").stat().st_size / 2**20
    print(f"  history: {days} days x {per_day} papers with runs, judgements, outcomes"
          f" ({took:.0f} s to insert, store {size:.0f} MiB)")
    result, _ = in_child(["history", str(tmp), str(reps)])
    a, b = float(result["fresh"]), float(result["history"])  # type: ignore[arg-type]
    print(f"  fresh store: {a * 1000:.0f} ms; with a year of history: {b * 1000:.0f} ms ->"
          f" {100 * (b / a - 1):+.0f}% (target <= +20%)")
    for kind in ("fresh", "history"):
        stages = ", ".join(f"{k} {v * 1000:.0f}" for k, v in result[kind + "_stages"].items())  # type: ignore[attr-defined]
        print(f"    {kind:<8} stages (ms): {stages}")
    # Every llm/hybrid run retrains the local ranker after its day. The first retraining over
    # the whole year also measures the ranker on each of its days (a catch-up); afterwards each
    # retraining measures one new day and fits on every label so far.
    catch_up, mib = in_child(["retrain", str(big)])
    print(f"  first retraining over the year's {days * per_day:,} llm verdicts (measures all"
          f" {days} days): {float(catch_up['seconds']):.1f} s, peak {mib:.0f} MiB")  # type: ignore[arg-type]
    build_history(big / "papersieve.db", days + 1, per_day, first=days)
    steady, mib = in_child(["retrain", str(big)])
    print(f"  retraining after one more day (what each llm/hybrid run adds):"
          f" {float(steady['seconds']):.1f} s, peak {mib:.0f} MiB")  # type: ignore[arg-type]
    size = (big / "papersieve.db").stat().st_size / 2**20
    print(f"  store after the retrainings (with the features they cache): {size:.0f} MiB")


def history_runs(tmp: Path, reps: int) -> dict[str, object]:
    """Median seconds and stage timings of the day on fresh stores and on copies of the history.

    Each copy is flushed to disk (os.sync) before its run: otherwise the first checkpoint of the
    run pays for writing the freshly copied 300 MB file, which a real store never does.
    """
    one_day(tmp / "warm-up", CANDIDATES, DAY)
    results: dict[str, list[dict[str, object]]] = {"fresh": [], "history": []}
    for i in range(reps):
        for kind in results:
            home = tmp / f"{kind}{i}"
            home.mkdir()
            if kind == "history":
                shutil.copyfile(tmp / "history" / "papersieve.db", home / "papersieve.db")
                os.sync()
            results[kind].append(one_day(home, CANDIDATES, DAY))
    out: dict[str, object] = {}
    for kind, rows in results.items():
        out[kind] = statistics.median(float(r["seconds"]) for r in rows)  # type: ignore[arg-type]
        timings: list[dict[str, float]] = [r["timings"] for r in rows]  # type: ignore[misc]
        out[kind + "_stages"] = {k: statistics.median(t[k] for t in timings) for k in timings[0]}
    return out


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="300,1000,3000,10000")
    parser.add_argument("--history-days", type=int, default=250)
    parser.add_argument("--per-day", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sizes_part([int(s) for s in args.sizes.split(",")], Path(tmp))
        history_part(args.history_days, args.per_day, Path(tmp))
    print(f"command: .venv/bin/python bench/growth.py --sizes {args.sizes}"
          f" --history-days {args.history_days} --per-day {args.per_day}")


if __name__ == "__main__":
    main()
