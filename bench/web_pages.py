"""How fast the web app answers its pages over a store of 25 real days.

Builds a store (through the store's own functions) from every day in data/candidates, with
gpt-4o's real picks from data/labels and a low-score judgement for 40 other papers a day, then
times each page through the whole app (security middleware, SQL, templates) with Starlette's test
client. Prints the median and 95th percentile per page.

    .venv/bin/python bench/web_pages.py [--repeat 30] [--store postgresql://...]

`--store` builds the store there instead of a SQLite file in a temporary folder: an empty
PostgreSQL database or schema (`?options=-csearch_path%3Dname`), for the same pages on both stores.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from starlette.testclient import TestClient

from papersieve.models import DayCounts, Judgement, Outcome, Paper, Usage
from papersieve.sources.jsonl import file_date, listings_from_file
from papersieve.store import open_store
from papersieve.store.db import Store
from papersieve.store.judgements import save_judgements
from papersieve.store.listings import save_listing
from papersieve.store.runs import finish_run, record_outcomes, start_run
from papersieve.web.app import create_app

DATA = Path(__file__).resolve().parent.parent / "data"


def build(path: Path) -> tuple[int, int, list[str]]:
    """The store; returns (papers, runs, one picked id per day)."""
    labels: dict[str, list[dict[str, object]]] = {}
    for line in (DATA / "labels" / "gpt4o-picks-dev.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        labels.setdefault(record["date"], []).append(record)
    picked: list[str] = []
    with open_store(path) as store:
        for file in sorted((DATA / "candidates").glob("arxiv-*.jsonl")):
            day = file_date(file)
            assert day is not None
            papers: dict[str, Paper] = {}
            for listing in listings_from_file(file):
                save_listing(store, listing, day)
                papers.update((e.paper.id, e.paper) for e in listing.entries)
            picks = [r for r in labels.get(day.isoformat(), []) if r["id"] in papers]
            picked.extend(str(r["id"]) for r in picks[:1])
            one_run(store, day.isoformat(), papers, picks)
        with store.transaction() as conn:  # one like per day, so the "liked" filter finds some
            conn.executemany(
                "INSERT INTO feedback (paper_id, label, source, created_at) VALUES (?, 1, 'web', '')",
                [(pid,) for pid in picked],
            )
        count = int(store.conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0])
        runs = int(store.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
    return count, runs, picked


def one_run(store: Store, day: str, papers: dict[str, Paper], picks: list[dict[str, object]]) -> None:
    """A finished run of one day: picks judged with their real scores, 40 more judged low."""
    import datetime as dt

    run_id = start_run(store, "default", dt.date.fromisoformat(day), "llm", "gpt-4o", "h")
    pick_ids = [str(r["id"]) for r in picks]
    rest = [p for p in sorted(papers) if p not in set(pick_ids)]
    judgements = [Judgement(str(r["id"]), Outcome.JUDGED, "llm", "gpt-4o", "h",
                            _f(r["relevance"]), _f(r["novelty"]), str(r["comment"])) for r in picks]
    judgements += [Judgement(p, Outcome.JUDGED, "llm", "gpt-4o", "h", 3.0, 4.0, "Off topic.")
                   for p in rest[:40]]
    ids = dict(zip([j.paper_id for j in judgements],
                   save_judgements(store, judgements, papers, run_id, "abstract"), strict=True))
    outcomes = [(p, Outcome.JUDGED, ids[p], True, i) for i, p in enumerate(pick_ids, 1)]
    outcomes += [(p, Outcome.JUDGED, ids[p], False, None) for p in rest[:40]]
    outcomes += [(p, Outcome.FILTERED_TITLE, None, False, None) for p in rest[40:]]
    record_outcomes(store, run_id, outcomes)
    finish_run(store, run_id, "done", DayCounts(len(papers), len(papers), len(papers), len(picks)),
               Usage(30_000, 4_000, 0, 0.08, 0.04))


def _f(value: object) -> float | None:
    return None if value is None else float(str(value))


def timed(client: TestClient, url: str, repeat: int) -> tuple[float, float, int]:
    """Median and p95 milliseconds, and the page size in bytes."""
    client.get(url)  # warm the connection and the template cache
    samples = []
    size = 0
    for _ in range(repeat):
        start = time.perf_counter()
        reply = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert reply.status_code == 200, (url, reply.status_code)
        size = len(reply.content)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))], size


def timed_likes(client: TestClient, paper_id: str, repeat: int) -> tuple[float, float]:
    """Median and worst milliseconds of a like or dislike POST, which retrains the local judge."""
    token = client.get("/").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    samples = []
    for i in range(repeat):
        start = time.perf_counter()
        reply = client.post("/feedback", data={"paper_id": paper_id, "label": ("like", "dislike")[i % 2]},
                            headers={"X-CSRF-Token": token, "HX-Request": "true"})
        samples.append((time.perf_counter() - start) * 1000)
        assert reply.status_code == 200, reply.text
    return statistics.median(samples), max(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--store", default="", help="an empty PostgreSQL store's URL (default: a"
                        " SQLite file in a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        where = Path(args.store) if args.store else Path(tmp) / "bench.db"
        papers, runs, picked = build(where)
        print(f"store: {papers} papers, {runs} runs (built in {time.perf_counter() - started:.1f} s)")
        pages = {
            "today (latest digest)": "/",
            "a past day's digest": "/day/2025-06-10",
            "a run with all its candidates": "/run/1?all=1",
            "archive": "/archive",
            "search 'language model'": "/search?q=language+model",
            "search 'diffusion' + picked + dates":
                "/search?q=diffusion&picked=1&from=2025-06-01&to=2025-06-30",
            "search, filters only (liked)": "/search?liked=1",
            "paper page": f"/paper/{picked[0]}",
            "runs and costs (charts)": "/runs",
        }
        with TestClient(create_app(where, token=""), base_url="http://127.0.0.1") as c:
            print(f"{'page':40} {'median ms':>10} {'p95 ms':>8} {'KiB':>7}")
            for name, url in pages.items():
                median, p95, size = timed(c, url, args.repeat)
                print(f"{name:40} {median:10.1f} {p95:8.1f} {size / 1024:7.0f}")
            median, p95 = timed_likes(c, picked[1], max(3, args.repeat // 6))
            print(f"{'like/dislike (record + retrain)':40} {median:10.1f} {p95:8.1f}")
    python = sys.version.split()[0]
    store = " --store postgresql://..." if args.store else ""
    print(f"command: .venv/bin/python bench/web_pages.py --repeat {args.repeat}{store}  (python {python})")


if __name__ == "__main__":
    main()
