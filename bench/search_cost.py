"""The worst web search on a 25k-paper store, and the ordinary pages beside it (issue 17).

Builds the store of bench/web_pages.py (the 25 real days of data/candidates, 8,587 papers, with
runs and picks), then adds copies of those papers under new ids until it holds 25,000 papers (so
the full-text index has the real vocabulary at three times the size). Then asks the whole app
(security middleware, cost guard, SQL, templates) for each page once and prints the CPU seconds,
the wall seconds, the status, and the guard's steps (x1000 SQLite instructions) where it has one.

    .venv/bin/python bench/search_cost.py [--store /tmp/search25k.db] [--only worst]

Run against an older tree (before the guard) with PYTHONPATH=<old>/src: the script then measures
without a guard.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote_plus

from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from papersieve.models import Paper
from papersieve.store import open_store
from papersieve.store.papers import get_papers, upsert_papers
from papersieve.web.app import create_app
from web_pages import build

TARGET = 25_000
WORST = "m* d* l* g* n* t* r* k* a* p* " * 16
"""The review's query: many one-letter prefix words (the form keeps the first 500 characters)."""
ALLOWED = "a* e* s* the of and to in for with on we"
"""The costliest search the caps still let through that we found: 3 one-letter prefixes and the
nine commonest words (12 terms)."""


def grow(path: Path, target: int = TARGET) -> int:
    """Add copies of the stored papers under new ids (2601.00000 on) until `target` papers."""
    with open_store(path) as store:
        ids = [str(r[0]) for r in store.conn.execute("SELECT id FROM papers ORDER BY id")]
        originals = list(get_papers(store, ids).values())
        have = len(ids)
        copies: list[Paper] = []
        n = 0
        while have + len(copies) < target:
            source = originals[n % len(originals)]
            copies.append(replace(source, id=f"26{n // 100_000 + 1:02d}.{n % 100_000:05d}"))
            n += 1
        upsert_papers(store, copies)
        return int(store.conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0])


def measure(client: TestClient, url: str) -> tuple[float, float, int]:
    """CPU seconds (this process), wall seconds and the HTTP status of one GET."""
    cpu, wall = time.process_time(), time.perf_counter()
    status = client.get(url).status_code
    return time.process_time() - cpu, time.perf_counter() - wall, status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", type=Path, default=Path("/tmp/papersieve-search25k.db"))
    parser.add_argument("--only", default="", help="measure only the pages whose name has this")
    parser.add_argument("--skip", default="", help="leave out the pages whose name has this")
    args = parser.parse_args()
    if not args.store.exists():
        started = time.perf_counter()
        build(args.store)
        papers = grow(args.store)
        print(f"built {args.store}: {papers} papers in {time.perf_counter() - started:.0f} s")
    options = {"token": ""}
    guarded = "query_budget" in inspect.signature(create_app).parameters
    pages = {
        "today (latest digest)": "/",
        "a run with all its candidates": "/run/1?all=1",
        "archive": "/archive",
        "runs and costs": "/runs",
        "search 'language model'": "/search?q=language+model",
        "search 'learn*'": "/search?q=learn%2A",
        "search 'diffusion' + picked + dates":
            "/search?q=diffusion&picked=1&from=2025-06-01&to=2025-06-30",
        "search, filters only (category)": "/search?category=cs.AI",
        "search 'a* b* c*' (3 prefix words)": "/search?q=a%2A+b%2A+c%2A",
        "allowed: 3 prefixes + 9 common words": "/search?q=" + quote_plus(ALLOWED),
        "worst: review's prefix query": "/search?q=" + quote_plus(WORST),
    }
    app = create_app(args.store, **options)  # type: ignore[arg-type]
    print(f"guard: {'yes' if guarded else 'no (older tree)'}")
    print(f"{'page':40} {'CPU s':>8} {'wall s':>8} {'status':>6} {'steps':>8}")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        client.get("/")  # warm the connection and the templates
        for name, url in pages.items():
            if (args.only and args.only not in name) or (args.skip and args.skip in name):
                continue
            guards = app.state.stores.guards if guarded else []
            for guard in guards:
                guard.used = 0
            cpu, wall, status = measure(client, url)
            steps = max(g.used for g in guards) if guarded else "-"
            print(f"{name:40} {cpu:8.2f} {wall:8.2f} {status:6} {steps!s:>8}")


if __name__ == "__main__":
    main()
