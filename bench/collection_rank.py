"""A collection's page on a 100k-paper store: the latest day ranked by the local judge's model
trained on the collection (web/collection_rank.py), cold and with the trained model cached.

Builds the store of bench/similar_and_search.py (the 25 real days of data/candidates with runs and
picks, grown with copies to 100,000 papers), files `--size` picks of the older days under one
collection of the latest run's profile, then measures through the app (SQL, training, templates):

- the first view of a process (imports, the day's n-gram rows, training);
- later views (the model cached): median and p95 of 20;
- the view after one more paper is filed (the collection changed: trained again);
- the first view of a new process when the store holds the trained model (a restarted app).

    nice -n 10 .venv/bin/python bench/collection_rank.py [--store /tmp/collection100k.db] [--size 12]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from papersieve.store import open_store
from papersieve.web import collection_rank
from papersieve.web.app import create_app
from search_cost import grow
from web_pages import build

TARGET = 100_000
NAME = "Bench collection"


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def picks_of_older_days(path: Path, count: int) -> tuple[str, list[str]]:
    """The latest run's profile and `count` picks of the days before it (never its candidates)."""
    with open_store(path) as store:
        latest = store.conn.execute("SELECT id, profile FROM runs WHERE status = 'done'"
                                    " ORDER BY date DESC, id DESC LIMIT 1").fetchone()
        rows = store.conn.execute(
            "SELECT DISTINCT paper_id FROM run_candidates WHERE picked = 1 AND run_id != ?"
            " AND paper_id NOT IN (SELECT paper_id FROM run_candidates WHERE run_id = ?)"
            " ORDER BY paper_id LIMIT ?", (latest[0], latest[0], count + 1)).fetchall()
    return str(latest[1]), [str(r[0]) for r in rows]


def timed(client: TestClient, url: str) -> float:
    start = time.perf_counter()
    reply = client.get(url)
    took = time.perf_counter() - start
    assert reply.status_code == 200 and "ranked by this collection" in reply.text, reply.text[:300]
    assert reply.text.count('class="comment reason"') == 30
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path, default=Path("/tmp/collection100k.db"))
    parser.add_argument("--size", type=int, default=12, help="papers in the collection")
    parser.add_argument("--first-view", action="store_true", help="only time one view (a new process)")
    args = parser.parse_args()
    if args.first_view:
        profile, _ = picks_of_older_days(args.store, args.size)
        with TestClient(create_app(args.store, token=""), base_url="http://127.0.0.1:8000") as client:
            took = timed(client, f"/collection/{NAME.replace(' ', '%20')}?profile={profile}")
        print(f"{took:.2f} {collection_rank.trainings}")
        return
    if not args.store.exists():
        start = time.perf_counter()
        build(args.store)
        papers = grow(args.store, TARGET)
        print(f"store: {papers} papers, built in {time.perf_counter() - start:.0f} s")
    profile, ids = picks_of_older_days(args.store, args.size)
    with open_store(args.store) as store, store.transaction() as conn:  # a new collection each run
        conn.execute("DELETE FROM collections WHERE name = ?", (NAME,))
    url = f"/collection/{NAME.replace(' ', '%20')}?profile={profile}"
    with TestClient(create_app(args.store, token=""), base_url="http://127.0.0.1:8000") as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
        assert token is not None
        headers = {"X-CSRF-Token": token.group(1), "HX-Request": "true"}

        def file(paper_id: str) -> None:
            reply = client.post("/collections/file", headers=headers, data={
                "paper_id": paper_id, "collection": NAME, "profile": profile})
            assert reply.status_code == 200, reply.text

        for paper_id in ids[:-1]:
            file(paper_id)
        first = timed(client, url)
        warm = [timed(client, url) for _ in range(20)]
        trained = collection_rank.trainings
        file(ids[-1])
        changed = timed(client, url)
        assert collection_rank.trainings == trained + 1
        client.post("/collections/file", headers=headers, data={  # back to the first papers
            "paper_id": ids[-1], "collection": NAME, "profile": profile, "remove": "1"})
        timed(client, url)
    again = subprocess.run([sys.executable, __file__, "--store", str(args.store), "--size", str(args.size),
                            "--first-view"], check=True, capture_output=True, text=True).stdout.split()
    assert again[1] == "0", again  # read from the store, not trained
    with open_store(args.store) as store:
        papers = store.conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0]
    print(f"store {papers} papers; collection of {len(ids) - 1} papers, profile {profile}")
    print(f"first view of a process (training): {first:.2f} s")
    print(f"cached model: median {1000 * statistics.median(warm):.0f} ms,"
          f" p95 {1000 * p95(warm):.0f} ms (20 views)")
    print(f"after filing one more paper (trained again): {changed:.2f} s")
    print(f"first view of a new process, the model in the store: {float(again[0]):.2f} s")


if __name__ == "__main__":
    main()
