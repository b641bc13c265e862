"""The web page budget on PostgreSQL (issue 20): each page's planned cost beside its SQLite steps,
and what weighing the reads (one EXPLAIN before each read of a GET) adds to a page's time.

Builds the tests' web store (tests/webdata.py) once as a SQLite file and once as a schema on the
server, asks each page once for its cost (SQLite: the guard's steps of 1,000 instructions;
PostgreSQL: the summed EXPLAIN total cost of its reads), then asks each PostgreSQL page 10 times
with the budget weighed and 10 times without (COST_PER_STEP 0), alternating, twice.

    PG=postgresql://user@127.0.0.1:PORT/db .venv/bin/python bench/page_budget_pg.py
    (python -m tests.pgcluster start DIR starts a throwaway server and prints its URL)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PAPERSIEVE_HOME", tempfile.mkdtemp())
from tests.pgschemas import schema_store
from tests.webdata import build_store

from papersieve.web import guard
from papersieve.web.app import create_app

PAGES = ["/", "/run/1?all=1", "/archive", "/runs", "/search?q=learn*", "/search?category=cs.AI",
         "/search?q=language+model", "/search?q=a*+b*+c*", "/collections", "/similar/2505.21073"]
TIMED = ["/", "/run/1?all=1", "/archive", "/search?q=language+model", "/search?category=cs.AI"]


def costs(path: Path) -> dict[str, tuple[int, int, float]]:
    """{page: (status, SQLite steps, PostgreSQL planned cost)} for the store at `path`."""
    app = create_app(path, token="")
    found = {}
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        client.get("/")
        for url in PAGES:
            for g in app.state.stores.guards:
                g.used = 0
            for store in app.state.stores._all:
                if hasattr(store.conn, "cost_used"):
                    store.conn.cost_used = 0.0
            status = client.get(url).status_code
            steps = max(g.used for g in app.state.stores.guards)
            cost = max(getattr(s.conn, "cost_used", 0.0) for s in app.state.stores._all)
            found[url] = (status, steps, cost)
    return found


def timed(path: Path) -> None:
    for factor in (0.0, 100.0, 0.0, 100.0):
        guard.COST_PER_STEP = factor
        app = create_app(path, token="")
        with TestClient(app, base_url="http://127.0.0.1:8000") as client:
            client.get("/")
            row = []
            for url in TIMED:
                started = time.perf_counter()
                for _ in range(10):
                    assert client.get(url).status_code == 200
                row.append(f"{url} {(time.perf_counter() - started) * 100:.1f} ms")
        print("weighed    " if factor else "not weighed", "; ".join(row))


def main() -> None:
    lite = costs(build_store(Path(tempfile.mkdtemp()) / "web.db", hostile=False).path)
    with schema_store(os.environ["PG"]) as url:
        path = build_store(Path(url), hostile=False).path
        pg = costs(path)
        print(f"{'page':30} {'SQLite steps':>12} {'PG planned cost':>16}")
        for page in PAGES:
            print(f"{page:30} {lite[page][1]:12} {pg[page][2]:16.0f}")
        timed(path)


if __name__ == "__main__":
    main()
