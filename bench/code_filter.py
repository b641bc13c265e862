"""The search form's "with code" filter on a 100k-paper store: the flag kept at ingest (migration
12) against reading every abstract with codelinks' regular expression (what it did before, and
what it still does for a row without a flag).

Builds the store of bench/collection_rank.py if absent (the 25 real days of data/candidates grown
with copies to 100,000 papers), then measures:

- filling every paper's flag, as migration 12 does on an existing store (one UPDATE);
- /search?code=1 with the flags, through the app: median and p95 of 10;
- the search function itself (web/search.py, no query guard) with the flags, and with every flag
  unknown (NULL): each abstract read again, as before migration 12 (the app's guard stops that
  one at 5 CPU seconds with "too expensive").

    nice -n 10 .venv/bin/python bench/code_filter.py [--store /tmp/collection100k.db]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from papersieve.store import open_store
from papersieve.store.db import Store
from papersieve.web.app import create_app
from papersieve.web.queries import SearchFilters
from papersieve.web.search import search as run_search
from search_cost import grow
from web_pages import build

TARGET = 100_000


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def search(client: TestClient) -> tuple[float, str]:
    start = time.perf_counter()
    reply = client.get("/search?code=1")
    took = time.perf_counter() - start
    assert reply.status_code == 200 and "Cannot search" not in reply.text
    found = re.search(r'<b class="nresults">(\d+)</b>', reply.text)
    assert found is not None
    return took, f"{found.group(1)} papers found"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path, default=Path("/tmp/collection100k.db"))
    args = parser.parse_args()
    if not args.store.exists():
        start = time.perf_counter()
        build(args.store)
        print(f"store: {grow(args.store, TARGET)} papers, built in {time.perf_counter() - start:.0f} s")
    with open_store(args.store) as store:
        papers, flagged = store.conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(has_code), 0) FROM papers_data").fetchone()
        start = time.perf_counter()
        with store.transaction() as conn:
            conn.execute("UPDATE papers_data SET has_code ="
                         " papersieve_has_code(papersieve_unpack(abstract), comment)")
        fill = time.perf_counter() - start
    print(f"store {papers} papers, {flagged} with code")
    print(f"filling every flag (migration 12 on an existing store): {fill:.1f} s")
    with TestClient(create_app(args.store, token=""), base_url="http://127.0.0.1:8000") as client:
        kept = [search(client) for _ in range(10)]
        times = [t for t, _ in kept]
        print(f"/search?code=1 page with the flags: median {1000 * statistics.median(times):.0f} ms,"
              f" p95 {1000 * p95(times):.0f} ms (10 searches; {kept[0][1]})")
    with open_store(args.store) as store:  # the search itself, without the app's guard
        fast = [direct(store) for _ in range(5)]
        print(f"web.search.search(code=True) with the flags: median"
              f" {1000 * statistics.median(t for t, _ in fast):.0f} ms (5 searches; {fast[0][1]} found)")
        with store.transaction() as conn:
            conn.execute("UPDATE papers_data SET has_code = NULL")
        try:
            slow = [direct(store) for _ in range(3)]
        finally:
            with store.transaction() as conn:
                conn.execute("UPDATE papers_data SET has_code ="
                             " papersieve_has_code(papersieve_unpack(abstract), comment)")
        print(f"the same, every flag unknown (each abstract read, as before): median"
              f" {statistics.median(t for t, _ in slow):.1f} s (3 searches; {slow[0][1]} found)")


def direct(store: Store) -> tuple[float, int]:
    """One search for papers with code through the web app's search function (no guard)."""
    start = time.perf_counter()
    results = run_search(store, SearchFilters(code=True))
    assert not results.error, results.error
    return time.perf_counter() - start, results.total


if __name__ == "__main__":
    main()
