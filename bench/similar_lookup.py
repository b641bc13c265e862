"""Similar-papers lookups alone on the 100k store that bench/similar_and_search.py builds: the
first lookup of a process (reads every vector) and then 200 lookups (median, p95).

    nice -n 10 .venv/bin/python bench/similar_lookup.py [--store /tmp/similar100k.db]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

from papersieve.store import open_store
from papersieve.web.similar import nearest


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path, default=Path("/tmp/similar100k.db"))
    args = parser.parse_args()
    with open_store(args.store) as store:
        ids = [str(r[0]) for r in store.conn.execute("SELECT id FROM papers")]
        start = time.perf_counter()
        nearest(store, False, ids[0], 10)
        print(f"first lookup of a process ({len(ids)} papers): {time.perf_counter() - start:.2f} s")
        took = []
        for paper_id in random.Random(21).sample(ids, 200):
            start = time.perf_counter()
            nearest(store, False, paper_id, 10)
            took.append(time.perf_counter() - start)
    took.sort()
    print(f"10 nearest of {len(ids)}: median {1000 * statistics.median(took):.1f} ms,"
          f" p95 {1000 * took[189]:.1f} ms (200 papers)")


if __name__ == "__main__":
    main()
