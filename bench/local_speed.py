"""Speed of the local judge on the largest labelled day (817 candidates), in a fresh store.

"Once loaded" means after the imports and the shipped semantic space are in memory (a warm-up
judges another day, then every per-paper cache is emptied). The first pass then meets every
candidate for the first time (cold-start phrases, semantic vectors, hashed n-grams,
self-training); the second reuses the per-process feature caches.

    .venv/bin/python bench/local_speed.py [--repeat N] [--profile-out FILE]
"""

from __future__ import annotations

import argparse
import cProfile
import statistics
import sys
import tempfile
import time
from pathlib import Path

from papersieve.judges.local import LocalJudge
from papersieve.profile.loader import load_profile
from papersieve.sources.jsonl import paper_from_record, read_records
from papersieve.store import open_store

REPO = Path(__file__).resolve().parent.parent
DAY = REPO / "data" / "candidates" / "arxiv-2025-05-27-cs.LG+cs.AI.jsonl"
WARM = REPO / "data" / "candidates" / "arxiv-2025-05-28-cs.LG+cs.AI.jsonl"


def _papers(path: Path) -> list:  # type: ignore[type-arg]
    return [paper_from_record(r) for r in read_records(path)]


def _clear_caches() -> None:
    """Forget every per-paper feature computed in this process (not the loaded space)."""
    from papersieve.judges.local.features import paper as features
    from papersieve.judges.local.features import semantic
    from papersieve.judges.local.model import ranker

    features._ROWS.clear()
    ranker._COLD.clear()
    semantic._VECTORS.clear()


def one_pass(papers: list, profiler: cProfile.Profile | None) -> tuple[float, float]:  # type: ignore[type-arg]
    """Seconds for the first and the second judging of `papers` in a fresh store."""
    _clear_caches()
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "s.db")
        judge = LocalJudge(load_profile(), store)
        if profiler is not None:
            profiler.enable()
        started = time.perf_counter()
        judge.judge(papers)
        first = time.perf_counter() - started
        if profiler is not None:
            profiler.disable()
        started = time.perf_counter()
        judge.judge(papers)
        again = time.perf_counter() - started
    return first, again


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile-out", type=Path)
    args = parser.parse_args()
    papers = _papers(DAY)
    with tempfile.TemporaryDirectory() as folder:  # imports and the space, once
        LocalJudge(load_profile(), open_store(Path(folder) / "w.db")).judge(_papers(WARM))
    profiler = cProfile.Profile() if args.profile_out else None
    results = [one_pass(papers, profiler if i == 0 else None) for i in range(args.repeat)]
    if profiler is not None:
        profiler.dump_stats(str(args.profile_out))
    firsts = sorted(r[0] for r in results)
    agains = sorted(r[1] for r in results)
    print(f"local judge, {len(papers)} candidates of {DAY.name}, no history, once loaded:")
    print(f"  first pass: median {statistics.median(firsts):.3f}s (min {firsts[0]:.3f},"
          f" max {firsts[-1]:.3f}) over {args.repeat}")
    print(f"  again (features cached): median {statistics.median(agains):.3f}s")
    print("command: .venv/bin/python " + " ".join(sys.argv))


if __name__ == "__main__":
    main()
