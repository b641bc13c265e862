"""`[store] keep_text_days` and a real feed's replacement entries (issue 16, item 3).

A real feed lists ~175 replacement entries a day (revised older papers) beside the new ones, and
the ingest writes a paper row and a `paper_versions` row for each. Past `keep_text_days` the
pruning deletes the version rows of the papers out of the search (only the web paper page reads
them: it then shows the newest version), deletes the papers listed only as replacements that
nothing else holds once their day's listing is folded (a rerun of their day counts and selects
as before), and packs every paper's title, authors and comment.
"""

from __future__ import annotations

import datetime as dt

import pytest
from starlette.testclient import TestClient

from papersieve.candidates import select_candidates
from papersieve.models import AnnounceType, Listing, ListingEntry, Outcome, Paper
from papersieve.store import Store, retention
from papersieve.store.feedback import add_feedback
from papersieve.store.listings import load_listings, save_listing
from papersieve.store.papers import get_paper, paper_versions, upsert_papers
from papersieve.store.retention import prune_store
from papersieve.store.runs import finish_run, record_outcomes, start_run
from papersieve.web.app import create_app
from papersieve.web.queries import SearchFilters
from papersieve.web.search import search

NOW = dt.datetime(2025, 9, 1, 12, tzinfo=dt.UTC)
EARLIER = dt.date(2025, 5, 5)
OLD = dt.date(2025, 6, 2)  # 91 days before NOW
RECENT = dt.date(2025, 8, 20)  # 12 days before NOW
MID = dt.date(2025, 8, 22)  # 10 days before NOW: its listing is folded
LATEST = dt.date(2025, 8, 30)
PRUNING = {"keep_text_days": 60, "compact_after_days": 7, "fold_label_window": True,
           "cache_features": False, "search_index": False}


def _paper(n: int, version: int = 1) -> Paper:
    return Paper(f"2506.{n:05d}", f"Paper {n} on zanzibarite lattices",
                 f"The abstract of paper {n}.", ("Ada Lovelace", "Alan Turing"), ("cs.LG", "cs.AI"),
                 version, comment="12 pages")


def _listing(day: dt.date, entries: list[tuple[Paper, AnnounceType]]) -> Listing:
    return Listing("cs.LG", day, tuple(ListingEntry(p, "cs.LG", kind, n)
                                       for n, (p, kind) in enumerate(entries, 1)), "rss")


def _run(store: Store, day: dt.date, candidates: list[Paper], picked: set[str]) -> None:
    run_id = start_run(store, "default", day, "llm", "gpt-4o", "h")
    record_outcomes(store, run_id, [(p.id, Outcome.JUDGED, None, p.id in picked,
                                     1 if p.id in picked else None) for p in candidates])
    finish_run(store, run_id, "done")


def test_the_version_rows_of_papers_out_of_the_search_are_pruned_and_the_page_shows_the_newest(
    store: Store,
) -> None:
    unpicked, picked, recent = _paper(1, 3), _paper(2), _paper(4, 2)
    upsert_papers(store, [_paper(1, 1), _paper(1, 2)], listed_on=EARLIER.isoformat())
    upsert_papers(store, [unpicked, picked], listed_on=OLD.isoformat())
    upsert_papers(store, [_paper(4, 1)], listed_on=OLD.isoformat())
    upsert_papers(store, [recent], listed_on=RECENT.isoformat())
    _run(store, OLD, [unpicked, picked], picked={picked.id})
    _run(store, RECENT, [recent], picked=set())
    assert [v for v, _ in paper_versions(store, unpicked.id)] == [1, 2, 3]

    assert prune_store(store, 30, NOW)["paper versions"] == 0  # keep_text_days 0 keeps them all
    assert prune_store(store, 30, NOW, keep_text_days=60)["paper versions"] == 3
    assert paper_versions(store, unpicked.id) == []
    assert paper_versions(store, picked.id) == [(1, OLD.isoformat())]  # a pick stays searchable
    assert paper_versions(store, recent.id) == [(1, OLD.isoformat()), (2, RECENT.isoformat())]
    with TestClient(create_app(store.path, token=""), base_url="http://127.0.0.1") as client:
        page = client.get(f"/paper/{unpicked.id}").text
        assert "v3; when each version was first seen is not kept" in page
        assert "v1, first seen 2025-06-02" in client.get(f"/paper/{picked.id}").text
    assert prune_store(store, 30, NOW, keep_text_days=60)["paper versions"] == 0
    upsert_papers(store, [_paper(1, 4)], listed_on=RECENT.isoformat())  # a feed lists it again
    assert paper_versions(store, unpicked.id) == [(4, RECENT.isoformat())]


def test_a_paper_listed_only_as_a_replacement_is_dropped_once_folded_and_its_day_selects_the_same(
    store: Store, monkeypatch: pytest.MonkeyPatch,
) -> None:
    known = _paper(1)  # first listed earlier as new, revised on OLD
    upsert_papers(store, [known], listed_on=EARLIER.isoformat())
    _run(store, EARLIER, [known], picked=set())
    new, only, liked, judged = _paper(2), _paper(9, 3), _paper(8, 2), _paper(7, 2)
    day = [(new, AnnounceType.NEW), (_paper(1, 2), AnnounceType.REPLACE),
           (only, AnnounceType.REPLACE), (liked, AnnounceType.REPLACE_CROSS),
           (judged, AnnounceType.REPLACE)]
    save_listing(store, _listing(OLD, day), OLD)
    # A profile that takes replacements judged `judged` on OLD (its run is folded below).
    _run(store, OLD, [new, judged], picked=set())
    add_feedback(store, [liked.id], 1, "cli", profile="default")
    mid, latest = _paper(10, 2), _paper(11, 2)  # listed 10 and 2 days before NOW
    save_listing(store, _listing(MID, [(_paper(3), AnnounceType.NEW), (mid, AnnounceType.REPLACE)]), MID)
    _run(store, MID, [_paper(3)], picked=set())
    save_listing(store, _listing(LATEST, [(_paper(4), AnnounceType.NEW), (latest, AnnounceType.REPLACE)]),
                 LATEST)
    _run(store, LATEST, [_paper(4)], picked=set())
    # A vector the web app's similar papers made from its text.
    store.conn.execute("INSERT INTO paper_vectors (paper_pk, space, vector) SELECT pk, 'lsa', ?"
                       " FROM papers_data WHERE id = ?", (b"\x00\x3c", only.id))

    def rerun(date: dt.date) -> tuple[object, ...]:
        listings = load_listings(store, date, ["cs.LG"])
        found = select_candidates(date, listings, ("new", "cross"))
        with_replaced = select_candidates(date, listings, ("new", "replace"))
        return (found.counts, found.ids, with_replaced.counts, with_replaced.ids,
                [(e.paper.id, e.announce_type, e.position) for x in listings for e in x.entries])

    before = {date: rerun(date) for date in (OLD, MID)}
    rows = ("SELECT id, categories, primary_category, content_hash, first_listed, latest_version"
            " FROM papers_data")
    kept = store.conn.execute(rows + " ORDER BY id").fetchall()
    assert prune_store(store, 30, NOW)["replaced-only papers dropped"] == 0  # keep_text_days 0
    # The newest 10 listing days are never dropped (the local ranker's cold start pools them):
    # here all four.
    assert prune_store(store, 30, NOW, **PRUNING)["replaced-only papers dropped"] == 0
    monkeypatch.setattr(retention, "NEWEST_DAYS_KEPT", 1)
    assert prune_store(store, 30, NOW, **PRUNING)["replaced-only papers dropped"] == 2
    assert get_paper(store, only.id) is None and get_paper(store, mid.id) is None
    assert paper_versions(store, only.id) == []
    assert store.conn.execute("SELECT COUNT(*) FROM paper_vectors").fetchone()[0] == 0
    for paper in (known, new, liked, judged, latest):  # a candidate (folded or not), liked,
        stored = get_paper(store, paper.id)  # listed as new, or not folded yet
        assert stored is not None and (stored.title, stored.authors) == (paper.title, paper.authors)
    # The other rows stay as they were; the days select and count the same.
    assert store.conn.execute(rows + " ORDER BY id").fetchall() == [
        r for r in kept if r[0] not in (only.id, mid.id)]
    assert {date: rerun(date) for date in (OLD, MID)} == before
    assert prune_store(store, 30, NOW, **PRUNING)["replaced-only papers dropped"] == 0
    with TestClient(create_app(store.path, token=""), base_url="http://127.0.0.1") as client:
        assert client.get(f"/paper/{only.id}").status_code == 404
    upsert_papers(store, [_paper(9, 4)], listed_on=LATEST.isoformat())  # listed again: a row again
    again = get_paper(store, only.id)
    assert again is not None and again.title == only.title


@pytest.mark.sqlite_only(reason="PostgreSQL compresses long values itself (TOAST): nothing is packed")
def test_every_papers_title_authors_and_comment_are_packed_and_read_back_the_same(store: Store) -> None:
    recent = Paper("2508.00001", "Contrastive representation learning for large language models"
                   " with reinforcement learning from human feedback", "An abstract about zanzibarite.",
                   ("Ada Lovelace", "Charles Babbage", "Alan Turing", "Grace Hopper"),
                   ("cs.LG", "cs.AI"), 1, comment="Accepted at NeurIPS 2025. Code: https://github.com/x/y")
    save_listing(store, _listing(RECENT, [(recent, AnnounceType.NEW)]), RECENT)
    _run(store, RECENT, [recent], picked={recent.id})
    text = "SELECT typeof(title), typeof(authors), typeof(comment) FROM papers_data WHERE id = ?"
    assert tuple(store.conn.execute(text, (recent.id,)).fetchone()) == ("text", "text", "text")
    prune_store(store, 30, NOW, keep_text_days=60)
    # Packed though it is recent, picked and in the search (before: only out of the search).
    assert tuple(store.conn.execute(text, (recent.id,)).fetchone()) == ("blob", "blob", "blob")
    assert get_paper(store, recent.id) == recent
    hits = search(store, SearchFilters(text="babbage contrastive")).hits
    assert [(h.item.paper_id, h.item.title) for h in hits] == [(recent.id, recent.title)]
    store.conn.execute("INSERT INTO papers_fts(papers_fts, rank) VALUES ('integrity-check', 1)")
    with TestClient(create_app(store.path, token=""), base_url="http://127.0.0.1") as client:
        assert recent.title in client.get(f"/paper/{recent.id}").text
