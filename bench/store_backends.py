"""The same offline day on both stores: SQLite and PostgreSQL (issue 20), wall time of `run_day`.

The day is 2025-07-03 (cs.LG + cs.AI, data/candidates, 215 candidates) with the local judge, every
output written, nothing delivered; each repetition starts from a new store (a new SQLite file, a
new PostgreSQL schema) and then runs the day a second time on it (the rerun, which reuses what the
first run recorded). The PostgreSQL server is bench/pgserver.py's (PAPERSIEVE_BENCH_PG's, else a
throwaway cluster on loopback, fsync off as in the tests: the figure is the store's work, not the
disk's). The digests of both stores are checked to be the same.
Run: .venv/bin/python bench/store_backends.py [repetitions]
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import pgserver

REPO = pgserver.REPO
DAY = dt.date(2025, 7, 3)


def one_day(location: Path | str, out: Path) -> tuple[float, float, str]:
    """Seconds of the first run and of the rerun, and the Markdown digest."""
    from papersieve.pipeline import run_day
    from papersieve.profile import load_profile
    from papersieve.profile.loader import builtin_profile_dir
    from papersieve.store import open_store

    profile = load_profile(builtin_profile_dir(), {"judge.kind": "local", "name": "bench"})
    times = []
    for attempt in range(2):
        start = time.perf_counter()
        with open_store(location) as store:
            run_day(store, profile, DAY, offline_dir=REPO / "data" / "candidates",
                    out_dir=out / str(attempt), deliver=False)
        times.append(time.perf_counter() - start)
    digest = "".join(p.read_text("utf-8") for p in sorted((out / "0").rglob("*.md")))
    return times[0], times[1], digest


def measure(name: str, reps: int, location: Callable[[int], Path | str], tmp: Path) -> str:
    firsts, reruns, digest = [], [], ""
    for rep in range(reps):
        first, rerun, digest = one_day(location(rep), tmp / f"{name}-{rep}")
        firsts.append(first)
        reruns.append(rerun)
    print(f"{name:10s} first run: median {statistics.median(firsts):.2f} s"
          f" (min {min(firsts):.2f}, max {max(firsts):.2f}); rerun: median"
          f" {statistics.median(reruns):.2f} s, {reps} repetitions")
    return digest


def main() -> None:
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    pgserver.quiet_environment()
    with tempfile.TemporaryDirectory() as tmp_name, pgserver.server() as server:
        tmp = Path(tmp_name)
        os.environ["PAPERSIEVE_HOME"] = str(tmp / "home")
        lite = measure("sqlite", reps, lambda rep: tmp / f"lite-{rep}.db", tmp)
        with ExitStack() as schemas:
            urls = [schemas.enter_context(pgserver.schema(server)) for _ in range(reps)]
            pg = measure("postgresql", reps, lambda rep: urls[rep], tmp)
    print("same digest on both stores:", lite == pg and bool(lite))
    print(f"command: .venv/bin/python bench/store_backends.py {reps}")


if __name__ == "__main__":
    main()
