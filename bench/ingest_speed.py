"""How long parsing and storing a full real arXiv day takes (cs.LG + cs.AI, 2025-07-01).

The feeds are the loopback test server's full-day RSS and Atom feeds, built from the real
listings in data/realworld; nothing touches the network.

Run: .venv/bin/python bench/ingest_speed.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.servers import arxiv_feeds as af

from papersieve.ingest import store_day
from papersieve.sources.feeds import parse_feed
from papersieve.store import open_store

DAY = af.DAYS[0]
CATS = ("cs.LG", "cs.AI")
REPEATS = 5


def timed(func: object, repeats: int = REPEATS) -> float:
    """Median seconds of `repeats` calls."""
    assert callable(func)
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    feeds = {(kind, c): (af.rss_feed if kind == "rss" else af.atom_feed)(c, DAY, af.day_items(DAY, c))
             for kind in ("rss", "atom") for c in CATS}
    entries = sum(len(af.day_items(DAY, c)) for c in CATS)
    size = sum(len(feeds[("rss", c)]) for c in CATS)
    print(f"day {DAY}, {' + '.join(CATS)}: {entries} feed items, RSS {size / 1e6:.2f} MB")
    for kind in ("rss", "atom"):
        seconds = timed(lambda kind=kind: [parse_feed(feeds[(kind, c)], source=kind) for c in CATS])
        print(f"parse {kind}: {seconds * 1000:.0f} ms ({entries / seconds:.0f} items/s)")
    listings = [parse_feed(feeds[("rss", c)]) for c in CATS]
    with tempfile.TemporaryDirectory() as folder, open_store(Path(folder) / "b.db") as store:
        seconds = timed(lambda: store_day(store, listings, DAY))
    print(f"store the day (one transaction, re-fetch replaces): {seconds * 1000:.0f} ms")
    print("command: .venv/bin/python bench/ingest_speed.py")


if __name__ == "__main__":
    main()
