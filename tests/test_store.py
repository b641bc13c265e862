"""The SQLite store: round trips of papers, listings and judgements (hypothesis), migrations,
transactions and full-text search."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papersieve.errors import StoreError
from papersieve.models import (
    AnnounceType,
    Judgement,
    Listing,
    ListingEntry,
    ListingStatus,
    Outcome,
    Paper,
)
from papersieve.store import Store, open_store
from papersieve.store.judgements import (
    cached_judgements,
    judgement_from_row,
    judgements_for_paper,
    save_judgements,
)
from papersieve.store.listings import listed_dates, load_listings, save_listing
from papersieve.store.migrations import MIGRATIONS
from papersieve.store.papers import get_paper, get_papers, paper_versions, upsert_papers
from tests.pgschemas import TEST_DB_ENV

# PostgreSQL's text cannot hold NUL (README, "PostgreSQL": a difference of the two stores).
NUL = "\x00" if os.environ.get(TEST_DB_ENV) else ""
text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters=NUL), max_size=80)
ids = st.builds(lambda n: f"2507.{n:05d}", st.integers(0, 99999)) | st.builds(
    lambda n: f"hep-th/99{n:05d}", st.integers(0, 99999))
cats = st.lists(st.sampled_from(["cs.LG", "cs.AI", "cs.CL", "stat.ML", "hep-th"]),
                max_size=4, unique=True).map(tuple)
papers = st.builds(
    Paper, id=ids, title=text, abstract=text, authors=st.lists(text, max_size=5).map(tuple),
    categories=cats, version=st.one_of(st.none(), st.integers(1, 20)),
    comment=st.one_of(st.none(), text),
)
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def fresh(store: Store) -> None:
    with store.transaction() as conn:
        for table in ("run_candidates", "judgements", "listing_entries", "listings",
                      "paper_versions", "papers"):
            conn.execute(f"DELETE FROM {table}")


@SETTINGS
@given(st.lists(papers, max_size=8, unique_by=lambda p: p.id))
def test_papers_round_trip(store: Store, batch: list[Paper]) -> None:
    fresh(store)
    assert upsert_papers(store, batch, "2025-07-01") == len(batch)
    assert get_papers(store, [p.id for p in batch]) == {p.id: p for p in batch}


@SETTINGS
@given(papers, st.integers(1, 9), st.integers(1, 9))
def test_newest_version_wins(store: Store, paper: Paper, a: int, b: int) -> None:
    fresh(store)
    first = Paper(paper.id, "old title", paper.abstract, paper.authors, paper.categories, a)
    second = Paper(paper.id, "new title", paper.abstract, paper.authors, paper.categories, b)
    upsert_papers(store, [first], "2025-07-01")
    upsert_papers(store, [second], "2025-07-02")
    assert get_paper(store, paper.id) == (second if b >= a else first)
    assert [v for v, _ in paper_versions(store, paper.id)] == sorted({a, b})


@st.composite
def listings(draw: st.DrawFn) -> Listing:
    category = draw(st.sampled_from(["cs.LG", "cs.AI"]))
    batch = draw(st.lists(papers, max_size=6, unique_by=lambda p: p.id))
    kinds = st.sampled_from(list(AnnounceType))
    entries = tuple(ListingEntry(p, category, draw(kinds), i) for i, p in enumerate(batch))
    status = ListingStatus.OK if entries else draw(st.sampled_from(list(ListingStatus)))
    return Listing(category, draw(st.one_of(st.none(), st.dates())), entries,
                   draw(st.sampled_from(["rss", "atom", "api", "oai-pmh", "jsonl", "file"])),
                   status, draw(st.booleans()), draw(text))


@SETTINGS
@given(listings(), st.dates())
def test_listings_round_trip(store: Store, listing: Listing, requested: dt.date) -> None:
    fresh(store)
    save_listing(store, listing, requested)
    assert load_listings(store, requested, [listing.category]) == [listing]
    assert listed_dates(store) == [requested.isoformat()]


@st.composite
def judgements(draw: st.DrawFn, paper_id: str) -> Judgement:
    scored = draw(st.booleans())
    score = st.floats(0, 10, allow_nan=False)
    return Judgement(
        paper_id, draw(st.sampled_from(list(Outcome))), draw(st.sampled_from(["llm", "local"])),
        draw(text), draw(text), draw(score) if scored else None,
        draw(score) if scored else None, draw(text), draw(text))


@SETTINGS
@given(papers, st.data())
def test_judgements_round_trip(store: Store, paper: Paper, data: st.DataObject) -> None:
    fresh(store)
    upsert_papers(store, [paper])
    verdicts = data.draw(st.lists(judgements(paper.id), min_size=1, max_size=4))
    row_ids = save_judgements(store, verdicts, {paper.id: paper}, stage="abstract")
    assert row_ids == sorted(row_ids) and len(set(row_ids)) == len(verdicts)
    stored = judgements_for_paper(store, paper.id)
    assert [judgement_from_row(r) for r in stored] == verdicts
    last = verdicts[-1]
    cached = cached_judgements(store, last.judge, "abstract", last.model, last.prompt_hash, [paper],
                               outcomes=list(Outcome))
    assert cached[paper.id] == next(
        v for v in reversed(verdicts)
        if (v.judge, v.model, v.prompt_hash) == (last.judge, last.model, last.prompt_hash))


def test_cache_ignores_changed_text_and_failures(store: Store) -> None:
    paper = Paper("2507.00001", "A title", "An abstract", ("Ada",), ("cs.LG",), 1)
    upsert_papers(store, [paper])
    failed = Judgement(paper.id, Outcome.FAILED, "llm", "gpt-4o", "h")
    save_judgements(store, [failed], {paper.id: paper}, stage="abstract")
    assert cached_judgements(store, "llm", "abstract", "gpt-4o", "h", [paper]) == {}
    judged = Judgement(paper.id, Outcome.JUDGED, "llm", "gpt-4o", "h", 9, 8, "good")
    save_judgements(store, [judged], {paper.id: paper}, stage="abstract")
    assert cached_judgements(store, "llm", "abstract", "gpt-4o", "h", [paper]) == {paper.id: judged}
    revised = Paper(paper.id, "A title", "A revised abstract", ("Ada",), ("cs.LG",), 2)
    assert cached_judgements(store, "llm", "abstract", "gpt-4o", "h", [revised]) == {}


@pytest.mark.sqlite_only(reason="the SQLite file's journal mode (WAL)")
def test_schema_is_migrated_and_reopening_is_a_no_op(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with open_store(path) as store:
        assert store.schema_version() == len(MIGRATIONS)
        mode = store.conn.execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"
        upsert_papers(store, [Paper("2507.00001", "t", "a", ())])
    with open_store(path) as store:
        assert store.schema_version() == len(MIGRATIONS)
        assert get_paper(store, "2507.00001") is not None


@pytest.mark.sqlite_only(reason="writes a SQLite file's user_version by hand")
def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer than this papersieve knows"):
        open_store(path)


def test_transaction_rolls_back_everything(store: Store) -> None:
    good = Listing("cs.LG", dt.date(2025, 7, 1),
                   (ListingEntry(Paper("2507.00001", "t", "a", ()), "cs.LG", AnnounceType.NEW, 0),),
                   "rss")
    with pytest.raises(RuntimeError), store.transaction():
        save_listing(store, good, dt.date(2025, 7, 1))
        raise RuntimeError("feed broke halfway")
    for table in ("listings", "listing_entries", "papers"):
        assert store.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0


@pytest.mark.sqlite_only(reason="queries the FTS5 table with MATCH")
def test_full_text_search_follows_updates(store: Store) -> None:
    upsert_papers(store, [Paper("2507.00001", "Sparse attention kernels", "We study GPUs.", ("Ada",)),
                          Paper("2507.00002", "Protein folding", "Diffusion for proteins.", ())])

    def search(query: str) -> list[str]:
        return [r[0] for r in store.conn.execute(
            "SELECT p.id FROM papers_fts f JOIN papers p ON p.pk = f.rowid"
            " WHERE papers_fts MATCH ? ORDER BY p.id", (query,))]

    assert search("attention") == ["2507.00001"]
    assert search("protein") == ["2507.00002"]  # porter stemming: proteins -> protein
    upsert_papers(store, [Paper("2507.00001", "Dense attention", "Now about proteins.", ("Ada",))])
    assert search("sparse") == [] and search("protein") == ["2507.00001", "2507.00002"]


@pytest.mark.sqlite_only(reason="SQLite's single writer and its file header pragmas")
def test_opening_a_store_another_connection_is_writing_takes_no_write_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`run --all --workers 2` at 1,000 members: the second process opened the store while the
    first was recording its share, and `PRAGMA auto_vacuum` (which takes the write lock on a
    file in use) failed all 500 of its members with "database is locked". The busy wait is cut
    to nothing here, so needing the lock fails at once."""
    path = tmp_path / "s.db"
    open_store(path).close()
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO store_state (key, value) VALUES ('k', 'v')")
    real_connect = sqlite3.connect

    def impatient(*args: object, **kwargs: object) -> sqlite3.Connection:
        kwargs["timeout"] = 0
        return real_connect(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("papersieve.store.db.sqlite3.connect", impatient)
    try:
        store = open_store(path)
        assert store.schema_version() == len(MIGRATIONS)
        store.close()
    finally:
        writer.execute("ROLLBACK")
        writer.close()
