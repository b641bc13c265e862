"""Wall time of the local judge's no-history prior on one day, with and without the earlier
listing days it self-trains on (issue 18: `cold_prior.pool_days` of the ML field).

A fresh process and a temporary store holding the 5 listing days before 2025-07-03 and that day
(data/candidates); the day's scores are computed first without a store (the batch alone, its
features computed afresh), then with the store (pooled: the earlier days' features computed
afresh, as in a new process of a daily run), then once more (every feature in the process's
caches, as for the web app or a second call). Three papers of another day are scored first, so
that loading the shipped semantic space is in none of the three.
Run: .venv/bin/python bench/cold_pool_time.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from papersieve.eval import load_days
from papersieve.judges.local.model.ranker import Ranker
from papersieve.profile.loader import load_profile
from papersieve.store import open_store
from papersieve.store.papers import upsert_papers

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    days = load_days(REPO / "data" / "candidates")[-6:]
    profile = load_profile(None, {})
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "bench.db")
        for date, papers in days:
            upsert_papers(store, papers, listed_on=date.isoformat())
        date, papers = days[-1]
        first_day = load_days(REPO / "data" / "candidates")[0][1]
        Ranker(profile, None, {}).scores(first_day[:3])  # loads the shipped spaces
        for label, ranker_store in (("batch alone (no store)", None), ("pooled, earlier days fresh", store),
                                    ("pooled, warm caches", store)):
            started = time.perf_counter()
            Ranker(profile, None, {}, ranker_store).scores(papers)
            print(f"{label:<27} {date} {len(papers)} papers: {time.perf_counter() - started:.2f} s")
        store.close()


if __name__ == "__main__":
    main()
