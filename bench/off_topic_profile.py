"""Picks of the local judge (no history) for a profile about a field absent from the days
(coral reefs, `tests/fixtures/profiles/coral-reefs-topics.txt`) and for the default profile, on
the first N days of `data/candidates`.

    .venv/bin/python bench/off_topic_profile.py [--days 5] [--store-days]

`--store-days`: each day's papers are first stored with their listing date, as `papersieve run`
stores them, so the no-history prior also self-trains on the earlier days (issue 18).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from papersieve.eval import load_days
from papersieve.judges.local import LocalJudge
from papersieve.profile.loader import init_profile, load_profile
from papersieve.store import open_store
from papersieve.store.papers import upsert_papers

REPO = Path(__file__).resolve().parent.parent
CORAL = REPO / "tests" / "fixtures" / "profiles" / "coral-reefs-topics.txt"


def picks_per_day(topics: Path | None, days: int, store_days: bool = False) -> list[int]:
    """Papers at or above the relevance cutoff on each day, judged one day at a time."""
    with tempfile.TemporaryDirectory() as folder:
        init_profile(Path(folder) / "p")
        if topics is not None:
            shutil.copyfile(topics, Path(folder) / "p" / "topics.txt")
        profile = load_profile(Path(folder) / "p")
        store = open_store(Path(folder) / "s.db")
        cutoff = profile.settings.cutoffs.relevance
        out = []
        for date, papers in load_days(REPO / "data" / "candidates")[:days]:
            if store_days:
                upsert_papers(store, papers, listed_on=date.isoformat())
            result = LocalJudge(profile, store).judge(papers)
            out.append(sum((j.relevance or 0) >= cutoff for j in result.judgements))
        store.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--store-days", action="store_true")
    args = parser.parse_args()
    print("command: .venv/bin/python " + " ".join(sys.argv))
    for name, topics in (("coral reefs", CORAL), ("default", None)):
        counts = picks_per_day(topics, args.days, args.store_days)
        print(f"{name:<12} picks per day {counts}, total {sum(counts)}")


if __name__ == "__main__":
    main()
