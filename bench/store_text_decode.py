"""What the store's checked text decoding costs (issue 17: a damaged page's bytes that are not UTF-8
are a one-line StoreError instead of a UnicodeDecodeError traceback).

Every text value read from the store now passes through a Python function
(`store/db.py: _text_decoder`) instead of SQLite's built-in `str` decoding. This reads every
column of every paper of a store filled with the real candidates of data/candidates (8,975 papers,
titles, abstracts, authors JSON), with the decoder and with plain `str`, in turn, best of 9.

Run: .venv/bin/python bench/store_text_decode.py
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from papersieve.sources.jsonl import listings_from_file  # noqa: E402
from papersieve.store import open_store  # noqa: E402
from papersieve.store.papers import upsert_papers  # noqa: E402


def fill(path: Path) -> int:
    papers = {}
    for file in sorted((ROOT / "data" / "candidates").glob("arxiv-*.jsonl")):
        for listing in listings_from_file(file):
            for entry in listing.entries:
                papers[entry.paper.id] = entry.paper
    with open_store(path) as store:
        upsert_papers(store, list(papers.values()))
    return len(papers)


def timed_read(conn: sqlite3.Connection) -> tuple[float, int]:
    start = time.perf_counter()
    rows = conn.execute("SELECT * FROM papers").fetchall()
    elapsed = time.perf_counter() - start
    return elapsed, sum(1 for row in rows for v in row if isinstance(v, str))


def best_of(conn: sqlite3.Connection, rounds: int = 9) -> tuple[float, float, int]:
    """Best time of each way, the two measured in turn (the machine is shared and noisy)."""
    checked_factory = conn.text_factory
    timed_read(conn)  # warm the page cache
    best = {"plain": float("inf"), "checked": float("inf")}
    values = 0
    for _ in range(rounds):
        for way, factory in (("plain", str), ("checked", checked_factory)):
            conn.text_factory = factory
            elapsed, values = timed_read(conn)
            best[way] = min(best[way], elapsed)
    return best["plain"], best["checked"], values


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "store.db"
        count = fill(path)
        with open_store(path) as store:
            plain, checked, values = best_of(store.conn)
    print(f"{count} papers, {values} text values read")
    print(f"plain str: {plain * 1000:.1f} ms; checked decoder: {checked * 1000:.1f} ms"
          f" (+{(checked - plain) * 1000:.1f} ms, {(checked - plain) / values * 1e9:.0f} ns a value)")


if __name__ == "__main__":
    main()
