"""Similar papers and the new search syntax on a 100k-paper store (issue 21).

Builds the store of bench/web_pages.py (the 25 real days of data/candidates, with runs and picks)
and grows it with copies of its papers under new ids to 100,000 papers (bench/search_cost.py's
`grow`). Then measures:

- filling `paper_vectors` for every paper (once per store; later only the day's new papers);
- the first similar-papers lookup of a process (reads every vector into memory);
- the similar-papers lookup (`web.similar.nearest`, store -> ids) for 200 papers: median, p95;
- the whole /paper/ID page (app, SQL, templates, similar papers) for 50 papers: median, p95;
- /search with each kind of the new syntax, 20 times each: median and p95 per query.

    nice -n 10 .venv/bin/python bench/similar_and_search.py [--store /tmp/similar100k.db]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote_plus

from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from papersieve.store import open_store
from papersieve.web.app import create_app
from papersieve.web.similar import fill_vectors, forget, nearest
from search_cost import grow
from web_pages import build

TARGET = 100_000
QUERIES = (
    "diffusion", "diffusion NOT robot", "diffusion -robot -image", '"language model"',
    "graph OR transformer", "title:diffusion", "author:bengio", "reinforcement category:cs.LG",
    "learn* -category:cs.RO", 'title:"large language" OR title:agent sparse',
)


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def ms(values: list[float]) -> str:
    return f"median {1000 * statistics.median(values):.1f} ms, p95 {1000 * p95(values):.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path, default=Path("/tmp/similar100k.db"))
    args = parser.parse_args()
    if not args.store.exists():
        start = time.perf_counter()
        build(args.store)
        papers = grow(args.store, TARGET)
        print(f"store: {papers} papers, built in {time.perf_counter() - start:.0f} s")
    with open_store(args.store) as store:
        start = time.perf_counter()
        filled = fill_vectors(store)
        print(f"fill paper_vectors: {filled} papers in {time.perf_counter() - start:.1f} s")
        ids = [str(r[0]) for r in store.conn.execute("SELECT id FROM papers")]
        forget(args.store)
        start = time.perf_counter()
        nearest(store, False, ids[0], 10)
        print(f"first lookup of a process (reads {len(ids)} vectors): {time.perf_counter() - start:.2f} s")
        sample = random.Random(21).sample(ids, 200)
        took = []
        for paper_id in sample:
            start = time.perf_counter()
            nearest(store, False, paper_id, 10)
            took.append(time.perf_counter() - start)
        print(f"similar papers, 10 nearest of {len(ids)}: {ms(took)} (200 papers)")
    with TestClient(create_app(args.store, token=""), base_url="http://127.0.0.1:8000") as client:
        pages = []
        for paper_id in sample[:50]:
            start = time.perf_counter()
            assert client.get(f"/paper/{paper_id}").status_code == 200
            pages.append(time.perf_counter() - start)
        print(f"/paper/ID page with similar papers: {ms(pages)} (50 papers)")
        every = []
        for query in QUERIES:
            took = []
            for _ in range(20):
                start = time.perf_counter()
                reply = client.get(f"/search?q={quote_plus(query)}")
                took.append(time.perf_counter() - start)
                assert reply.status_code == 200 and "Cannot search" not in reply.text, query
            every += took
            print(f"/search?q={query}: {ms(took)}")
        print(f"all {len(QUERIES)} searches: {ms(every)}")


if __name__ == "__main__":
    main()
