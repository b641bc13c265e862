"""A store made by an older papersieve, and what it reads back as, for the migration tests.

`make(db)` fills a store with a real day (the bundled demo day, local judge: papers, listings,
a finished run, judgements, the ranker), likes and dislikes (feedback, retraining) and a rerun.
`observe(store)` is everything a user reads back: each run's digest rendered as Markdown and
JSON, the web search's pages for several searches and filters (ids, totals, highlighted titles
and snippets), every paper, the listings, the feedback and the runs.

tests/fixtures/store-v6/ holds a store made by `make` with the code of commit 859865b (schema 6,
before abstracts were compressed) and `observe`'s answer on it from that same code:

    git archive 859865b src | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old/src .venv/bin/python -m tests.store_snapshot tests/fixtures/store-v6
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from papersieve.demo import DEMO_DATE, run_demo
from papersieve.digests import load_digest
from papersieve.feedback import record_feedback
from papersieve.render.json_out import render_json
from papersieve.render.markdown import render_markdown
from papersieve.store import Store, open_store
from papersieve.store.feedback import current_feedback
from papersieve.store.listings import load_listings
from papersieve.store.papers import get_papers
from papersieve.store.runs import list_runs
from papersieve.web.queries import SearchFilters
from papersieve.web.search import search

SEARCHES = (
    SearchFilters(text="language model", per_page=10),
    SearchFilters(text='"reinforcement learning" agent*'),
    SearchFilters(text="learn*", picked=True, per_page=10),
    SearchFilters(text="graph", category="cs.LG", per_page=4, page=2),
    SearchFilters(text="", judged=True, per_page=10),
    SearchFilters(text="benchmark", code=True),
    SearchFilters(text="", liked=True),
)
LIKED = ("2507.01679", "2507.01335")
DISLIKED = ("2507.01063",)


def make(db: Path) -> None:
    """The demo day run, feedback recorded, the day run again."""
    with open_store(db) as store:
        run_demo(store, out_dir=db.parent / "out")
        record_feedback(store, LIKED, 1, "cli")
        record_feedback(store, DISLIKED, -1, "cli")
        run_demo(store, out_dir=db.parent / "out")
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def observe(store: Store) -> dict[str, Any]:
    """What the store reads back as (see the module docstring), JSON-ready."""
    runs = [dict(r) for r in list_runs(store)]
    ids = [str(r[0]) for r in store.conn.execute("SELECT id FROM papers ORDER BY id")]
    papers = get_papers(store, ids)
    listings = load_listings(store, DEMO_DATE, ("cs.LG", "cs.AI"))
    return {
        "digests": {str(r["id"]): {"markdown": render_markdown(load_digest(store, r["id"])),
                                   "json": _digest(render_json(load_digest(store, r["id"])))}
                    for r in runs if r["status"] == "done"},
        "searches": [_search(store, f) for f in SEARCHES],
        "papers": _digest(json.dumps([dataclasses.asdict(papers[i]) for i in ids], sort_keys=True)),
        "paper_count": len(ids),
        "listings": _digest(json.dumps([dataclasses.asdict(x) for x in listings], default=str)),
        "feedback": [dataclasses.asdict(f) for f in _feedback(store)],
        "runs": runs,
    }


def _feedback(store: Store) -> list[Any]:
    """The CLI's feedback: per profile since migration 11 (where it went to `default`); the
    older code that made the fixture had one pool."""
    try:
        return list(current_feedback(store, "default"))
    except TypeError:
        return list(current_feedback(store))  # type: ignore[call-arg]


def _search(store: Store, filters: SearchFilters) -> dict[str, Any]:
    found = search(store, filters)
    return {"total": found.total, "error": found.error,
            "hits": [[dataclasses.asdict(h.item), str(h.title_marked), str(h.snippet_marked)]
                     for h in found.hits]}


def _digest(text: str) -> str:
    """A SHA-256 of a long text (the JSON digest, every paper), to keep the fixture small."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def main(folder: Path) -> None:
    """Write the fixture: store.db.gz and observed.json (run with the older code's PYTHONPATH)."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PAPERSIEVE_HOME"] = tmp
        db = Path(tmp) / "store.db"
        make(db)
        with open_store(db) as store:
            seen = observe(store)
            seen["schema"] = store.schema_version()
        with db.open("rb") as raw, (folder / "store.db.gz").open("wb") as out, \
                gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as packed:
            shutil.copyfileobj(raw, packed)
    (folder / "observed.json").write_text(json.dumps(seen, indent=1, ensure_ascii=False,
                                                     default=str) + "\n", encoding="utf-8")
    print(f"schema {seen['schema']}, {seen['paper_count']} papers, made {dt.datetime.now(dt.UTC)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
