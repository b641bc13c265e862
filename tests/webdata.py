"""A small real store for the web tests, written only through the store's own functions.

Two real announcement days (data/candidates, cs.LG + cs.AI) with gpt-4o's real picks and scores
from data/labels, plus, on the later day, two hostile papers whose title and abstract try to
inject script into the pages.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from papersieve.digests import save_run_details
from papersieve.models import (
    AnnounceType,
    DayCounts,
    Judgement,
    Listing,
    ListingEntry,
    Outcome,
    Paper,
    Usage,
)
from papersieve.sources.jsonl import listings_from_file
from papersieve.store import open_store
from papersieve.store.db import Store
from papersieve.store.judgements import save_judgements
from papersieve.store.listings import save_listing
from papersieve.store.runs import finish_run, record_outcomes, start_run
from tests.pgschemas import store_at

DATA = Path(__file__).resolve().parent.parent / "data"
DAYS = (dt.date(2025, 5, 27), dt.date(2025, 5, 28))
PICKS_PER_DAY = 12
SCRIPT_TITLE = "<script>alert(1)</script> Hostile title"
IMG_TITLE = '"><img src=x onerror=alert(1)> Attribute breaker'
HOSTILE_IDS = ("2505.99998", "2505.99999")


@dataclass
class WebData:
    """What the tests need to know about the store they got."""

    path: Path
    runs: dict[str, int] = field(default_factory=dict)
    picks: dict[str, list[str]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)


def _labels() -> dict[str, list[dict[str, object]]]:
    per_day: dict[str, list[dict[str, object]]] = {}
    with (DATA / "labels" / "gpt4o-picks-dev.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            per_day.setdefault(record["date"], []).append(record)
    return per_day


def _hostile_listing(listing: Listing) -> Listing:
    papers = [
        Paper(HOSTILE_IDS[0], SCRIPT_TITLE, "Abstract <script>alert(2)</script> & more",
              ("Mallory <b>Bold</b>",), ("cs.LG",), 1),
        Paper(HOSTILE_IDS[1], IMG_TITLE, '"><img src=x onerror=alert(3)> in the abstract',
              ("Eve",), ("cs.LG",), 2),
    ]
    start = len(listing.entries)
    extra = tuple(
        ListingEntry(p, listing.category, AnnounceType.NEW, start + i) for i, p in enumerate(papers)
    )
    return replace(listing, entries=listing.entries + extra)


def build_store(path: Path, *, hostile: bool = True) -> WebData:
    """Write the two days into a new store at `path` (a schema of its own on PostgreSQL under
    PAPERSIEVE_TEST_DB: tests/pgschemas.store_at)."""
    path = store_at(path)
    data = WebData(path)
    labels = _labels()
    with open_store(path) as store:
        for day in DAYS:
            listings = listings_from_file(DATA / "candidates" / f"arxiv-{day}-cs.LG+cs.AI.jsonl")
            if hostile and day == DAYS[-1]:
                listings = [_hostile_listing(listings[0]), *listings[1:]]
            papers: dict[str, Paper] = {}
            for listing in listings:
                save_listing(store, listing, day)
                papers.update((e.paper.id, e.paper) for e in listing.entries)
            picks = [r for r in labels.get(day.isoformat(), []) if r["id"] in papers][:PICKS_PER_DAY]
            if hostile and day == DAYS[-1]:
                picks = [
                    {"id": HOSTILE_IDS[0], "relevance": 10, "novelty": None,
                     "comment": "<script>alert(4)</script> comment"},
                    {"id": HOSTILE_IDS[1], "relevance": 9, "novelty": 9, "comment": "fine"},
                    *picks,
                ]
            data.runs[day.isoformat()], data.picks[day.isoformat()] = _run_day(store, day, papers, picks)
            data.titles.update((pid, p.title) for pid, p in papers.items())
    return data


def _run_day(
    store: Store, day: dt.date, papers: dict[str, Paper], picks: list[dict[str, object]]
) -> tuple[int, list[str]]:
    run_id = start_run(store, "default", day, "llm", "gpt-4o", "hash0")
    picked_ids = [str(r["id"]) for r in picks]
    others = [pid for pid in sorted(papers) if pid not in set(picked_ids)]
    judged_low = others[:40]
    judgements = [
        Judgement(str(r["id"]), Outcome.JUDGED, "llm", "gpt-4o", "hash0", _num(r["relevance"]),
                  _num(r["novelty"]), str(r["comment"]))
        for r in picks
    ] + [
        Judgement(pid, Outcome.JUDGED, "llm", "gpt-4o", "hash0", 3.0, 4.0, "Off topic.")
        for pid in judged_low
    ]
    ids = save_judgements(store, judgements, papers, run_id=run_id, stage="abstract")
    by_paper = {j.paper_id: jid for j, jid in zip(judgements, ids, strict=True)}
    outcomes = [(pid, Outcome.JUDGED, by_paper[pid], True, rank) for rank, pid in enumerate(picked_ids, 1)]
    outcomes += [(pid, Outcome.JUDGED, by_paper[pid], False, None) for pid in judged_low]
    outcomes += [(pid, Outcome.FILTERED_TITLE, None, False, None) for pid in others[40:]]
    record_outcomes(store, run_id, outcomes)
    usage = Usage(20_000 + len(picks) * 100, 3_000, 0, 0.05 + 0.01 * len(picks), 0.03)
    counts = DayCounts(total=len(papers) + 10, scanned=len(papers), unique=len(papers), relevant=len(picks))
    save_run_details(store, run_id, usage, None, [], "")
    finish_run(store, run_id, "done", counts, usage)
    return run_id, picked_ids


def _num(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]
