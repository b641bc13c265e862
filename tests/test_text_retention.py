"""`[store] keep_text_days`: old abstracts that only the published site still needs are emptied.

The scheduled store (the workflow's cache) drops the abstracts of papers last listed more than N
days ago that no profile picked and nobody gave feedback on, and takes those papers out of the
search index (the web search says so); the rows, the runs' outcomes and the LLM's scores stay,
a rerun finds its paid verdicts again, and the digests of the last N days rebuild as they were.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from starlette.testclient import TestClient

from papersieve.cli.main import main
from papersieve.digests import load_digest
from papersieve.models import Outcome, Paper
from papersieve.profile import load_profile
from papersieve.render.json_out import render_json
from papersieve.render.markdown import render_markdown
from papersieve.store import Store, folding, open_store
from papersieve.store.feedback import add_feedback
from papersieve.store.papers import get_paper, upsert_papers
from papersieve.store.retention import prune_store
from papersieve.store.runs import finish_run, record_outcomes, start_run
from papersieve.web.app import create_app
from papersieve.web.queries import SearchFilters
from papersieve.web.search import search
from tests.conftest import DATA
from tests.servers.llm_server import FakeLLM
from tests.workflow_env import run_step_env

NOW = dt.datetime(2025, 9, 1, 12, tzinfo=dt.UTC)
OLD = dt.date(2025, 6, 2)  # 91 days before NOW
RECENT = dt.date(2025, 8, 20)  # 12 days before NOW


def _paper(n: int, title: str) -> Paper:
    return Paper(f"2506.{n:05d}", title, f"The abstract of paper {n} about zanzibarite lattices.",
                 ("Ada Lovelace",), ("cs.LG",), 1)


def _day(store: Store, date: dt.date, papers: list[Paper], picked: set[str]) -> None:
    upsert_papers(store, papers, listed_on=date.isoformat())
    run_id = start_run(store, "default", date, "llm", "gpt-4o", "h")
    record_outcomes(store, run_id, [(p.id, Outcome.JUDGED, None, p.id in picked, 1 if p.id in picked
                                     else None) for p in papers])
    finish_run(store, run_id, "done")


def _abstract(store: Store, paper_id: str) -> str:
    paper = get_paper(store, paper_id)
    assert paper is not None
    return paper.abstract


def test_old_unpicked_abstracts_are_emptied_and_picked_liked_and_recent_ones_kept(store: Store) -> None:
    old = [_paper(1, "Unpicked old paper"), _paper(2, "Picked old paper"), _paper(3, "Liked old paper")]
    recent = _paper(4, "Recent paper")
    _day(store, OLD, old, picked={"2506.00002"})
    _day(store, RECENT, [recent], picked=set())
    add_feedback(store, ["2506.00003"], 1, "cli", profile="default")
    hashes = dict(store.conn.execute("SELECT id, content_hash FROM papers_data").fetchall())

    assert prune_store(store, 30, NOW)["abstracts"] == 0  # 0 (the default) keeps every abstract
    assert prune_store(store, 30, NOW, keep_text_days=60)["abstracts"] == 1
    assert _abstract(store, "2506.00001") == ""
    assert _abstract(store, "2506.00002") == old[1].abstract
    assert _abstract(store, "2506.00003") == old[2].abstract
    assert _abstract(store, "2506.00004") == recent.abstract
    # The rows, their content hashes and the runs' outcomes stay.
    assert dict(store.conn.execute("SELECT id, content_hash FROM papers_data").fetchall()) == hashes
    assert store.conn.execute("SELECT COUNT(*) FROM run_candidates").fetchone()[0] == 4
    assert prune_store(store, 30, NOW, keep_text_days=60)["abstracts"] == 0


def test_a_pruned_paper_leaves_the_search_index_and_comes_back_when_listed_again(store: Store) -> None:
    pruned = _paper(1, "Quasicrystal tokenizers revisited")
    _day(store, OLD, [pruned], picked=set())
    _day(store, RECENT, [_paper(4, "Recent paper")], picked=set())
    assert search(store, SearchFilters(text="zanzibarite")).total == 2
    fts_rows = "SELECT COUNT(*) FROM papers_fts_docsize"  # SQLite's FTS5 table (PostgreSQL: a
    sqlite = not store.postgres  # tsvector of every row, searched where `searchable` says)
    assert not sqlite or store.conn.execute(fts_rows).fetchone()[0] == 2
    prune_store(store, 30, NOW, keep_text_days=60)
    # Only papers whose text is kept are indexed (migration 12): title and authors leave too.
    assert not sqlite or store.conn.execute(fts_rows).fetchone()[0] == 1
    assert search(store, SearchFilters(text="quasicrystal")).total == 0
    assert [h.item.paper_id for h in search(store, SearchFilters(text="lovelace")).hits] == ["2506.00004"]
    assert [h.item.paper_id for h in search(store, SearchFilters(text="zanzibarite")).hits] == ["2506.00004"]
    assert get_paper(store, pruned.id) is not None  # the row stays
    upsert_papers(store, [pruned], listed_on=RECENT.isoformat())  # a feed lists it again
    assert [h.item.paper_id for h in search(store, SearchFilters(text="quasicrystal")).hits] == [pruned.id]
    if sqlite:
        store.conn.execute("INSERT INTO papers_fts(papers_fts, rank) VALUES ('integrity-check', 1)")


def test_a_pruned_papers_title_authors_and_comment_are_packed_and_read_back_as_text(
    store: Store,
) -> None:
    old = Paper("2506.00001", "Contrastive representation learning for large language models with"
                " reinforcement learning from human feedback", "An abstract about zanzibarite.",
                ("Ada Lovelace", "Charles Babbage", "Alan Turing", "Grace Hopper"), ("cs.LG", "cs.AI"),
                1, comment="Accepted at NeurIPS 2025. Code: https://github.com/example/repo")
    _day(store, OLD, [old], picked=set())
    _day(store, RECENT, [_paper(4, "Recent paper")], picked=set())
    bytes_of = "octet_length({})" if store.postgres else "length(CAST({} AS BLOB))"
    columns = " + ".join(bytes_of.format(c) for c in ("title", "authors", "comment"))
    size = f"SELECT {columns} FROM papers_data WHERE id = ?"
    before = store.conn.execute(size, (old.id,)).fetchone()[0]
    prune_store(store, 30, NOW, keep_text_days=60)
    if not store.postgres:  # which compresses long values itself: its rows stay text
        assert store.conn.execute(size, (old.id,)).fetchone()[0] < before * 0.8
    pruned = get_paper(store, old.id)
    assert pruned is not None
    assert (pruned.title, pruned.authors, pruned.comment) == (old.title, old.authors, old.comment)
    prune_store(store, 30, NOW, keep_text_days=60)  # a second pruning leaves packed rows as they are
    assert get_paper(store, old.id) == pruned
    upsert_papers(store, [old], listed_on=RECENT.isoformat())  # a feed lists it again: text
    assert store.conn.execute(size, (old.id,)).fetchone()[0] == before
    hits = search(store, SearchFilters(text="babbage contrastive")).hits
    assert [(h.item.paper_id, h.item.title) for h in hits] == [(old.id, old.title)]
    if not store.postgres:
        store.conn.execute("INSERT INTO papers_fts(papers_fts, rank) VALUES ('integrity-check', 1)")


def test_the_web_search_says_that_pruned_papers_are_not_searched(store: Store) -> None:
    _day(store, OLD, [_paper(1, "Quasicrystal tokenizers revisited")], picked=set())
    _day(store, RECENT, [_paper(4, "Recent paper")], picked=set())
    with TestClient(create_app(store.path, token=""), base_url="http://127.0.0.1") as client:
        assert "not in the word search" not in client.get("/search", params={"q": "paper"}).text
        prune_store(store, 30, NOW, keep_text_days=60)
        page = client.get("/search", params={"q": "paper"}).text
    assert "Older papers whose abstracts were not kept" in page
    assert "are not in the word search" in page


def test_the_text_of_the_ranker_label_days_is_kept_without_the_feature_cache_but_not_searched(
    store: Store, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The ranker trains on its newest label days (here 2), however old: their features are
    # recomputed from the text when `[store] cache_features = false`.
    monkeypatch.setattr(folding, "RANKER_LABEL_DAYS", 2)
    older, oldest = dt.date(2025, 5, 2), dt.date(2025, 5, 1)
    _day(store, oldest, [_paper(1, "Out of the window")], picked=set())
    _day(store, older, [_paper(2, "In the window")], picked=set())
    _day(store, OLD, [_paper(3, "Newest label day")], picked=set())
    assert prune_store(store, 30, NOW, keep_text_days=60, cache_features=False)["abstracts"] == 1
    assert _abstract(store, "2506.00001") == ""
    assert _abstract(store, "2506.00002") != ""
    assert _abstract(store, "2506.00003") != ""
    # Kept for the ranker, not for the reader: out of the search index like the pruned one.
    assert search(store, SearchFilters(text="zanzibarite")).total == 0
    assert store.postgres or store.conn.execute(
        "SELECT COUNT(*) FROM papers_fts_docsize").fetchone()[0] == 0
    assert prune_store(store, 30, NOW, keep_text_days=60, cache_features=False)["abstracts"] == 0


def test_a_paper_listed_again_recently_keeps_its_abstract(store: Store) -> None:
    paper = _paper(1, "Listed twice")
    _day(store, OLD, [paper], picked=set())
    _day(store, RECENT, [paper], picked=set())  # first_listed stays OLD
    assert prune_store(store, 30, NOW, keep_text_days=60)["abstracts"] == 0
    assert _abstract(store, paper.id) == paper.abstract


# A real day of data/candidates run through the whole pipeline with the loopback LLM.
PREV, DAY = "2025-06-10", "2025-06-11"


def _run(*args: str) -> Result:
    return CliRunner().invoke(click.Command("papersieve", callback=lambda: main(list(args))), [])


@pytest.fixture
def llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-loopback")
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        yield server


def test_a_rerun_after_the_text_was_pruned_bills_no_llm_call(
    tmp_path: Path, papersieve_home: Path, llm: FakeLLM, monkeypatch: pytest.MonkeyPatch,
) -> None:
    site = tmp_path / "site"
    monkeypatch.setenv("PAPERSIEVE_KEEP_TEXT_DAYS", "60")  # as the workflow sets it
    first = _run("run", "--offline", str(DATA / "candidates"), "--date", DAY, "--out", str(site),
                 "--no-deliver")
    assert first.exit_code == 0, first.output
    paid = llm.calls
    assert paid > 0
    with open_store() as store:  # the run pruned its own day: it is more than 60 days old
        emptied = store.conn.execute("SELECT COUNT(*) FROM papers WHERE abstract = ''").fetchone()[0]
        assert emptied > 100
    # Run again from the stored listing (the feed has moved on): every verdict is in the cache.
    again = _run("run", "--date", DAY, "--out", str(tmp_path / "again"), "--no-deliver")
    assert again.exit_code == 0, again.output
    assert llm.calls == paid


def test_the_digests_of_the_last_days_rebuild_byte_identical(
    tmp_path: Path, papersieve_home: Path, llm: FakeLLM,
) -> None:
    for day in (PREV, DAY):
        result = _run("run", "--offline", str(DATA / "candidates"), "--date", day, "--out",
                      str(tmp_path / "site"), "--no-deliver")
        assert result.exit_code == 0, result.output
    # With 5 days kept, DAY (5 days old) is among the last days and PREV is not; every paper is
    # taken to have been first listed long before (a replacement listed again), so only the
    # days' own listings and runs keep their text.
    now = dt.datetime(2025, 6, 16, 12, tzinfo=dt.UTC)
    with open_store() as store:
        store.conn.execute("UPDATE papers_data SET first_listed = '2025-01-02'")
        store.conn.commit()
        run_ids = {str(r[0]): int(r[1]) for r in store.conn.execute(
            "SELECT date, MAX(id) FROM runs WHERE status = 'done' GROUP BY date")}
        before = {day: (render_markdown(d), render_json(d))
                  for day in (PREV, DAY) for d in [load_digest(store, run_ids[day])]}
        counts = prune_store(store, 30, now, keep_text_days=5)
        assert counts["abstracts"] > 100  # PREV's unpicked papers
        after = load_digest(store, run_ids[DAY])
        assert (render_markdown(after), render_json(after)) == before[DAY]
        assert render_json(load_digest(store, run_ids[PREV])) != before[PREV][1]
        assert load_profile().settings.store.keep_text_days == 0  # local default: keep forever


def test_the_workflow_init_writes_keeps_60_days_of_text_and_a_local_profile_keeps_all(
    tmp_path: Path, papersieve_home: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder, env = run_step_env(tmp_path)
    assert env["PAPERSIEVE_KEEP_TEXT_DAYS"] == "60"
    assert load_profile(folder).settings.store.keep_text_days == 0
    monkeypatch.setenv("PAPERSIEVE_KEEP_TEXT_DAYS", env["PAPERSIEVE_KEEP_TEXT_DAYS"])
    assert load_profile(folder).settings.store.keep_text_days == 60


def test_db_vacuum_empties_old_abstracts_by_the_profile_setting(tmp_path: Path, store: Store) -> None:
    folder = tmp_path / "p"
    assert _run("init", str(folder)).exit_code == 0
    (folder / "profile.toml").write_text("[store]\nkeep_text_days = 60\n", "utf-8")
    _day(store, OLD, [_paper(1, "Old paper")], picked=set())
    result = _run("db", "--vacuum", "--profile", str(folder))
    assert result.exit_code == 0, result.output
    assert "Emptied 1 abstracts of papers last listed 60 or more days ago" in result.stdout
    assert _abstract(store, "2506.00001") == ""


def test_an_old_papers_unread_updated_at_is_emptied_and_written_again_when_listed(store: Store) -> None:
    """`papers_data.updated_at` is read by nothing: 25 bytes a row, 1.5 MB of a year's store."""
    _day(store, OLD, [_paper(1, "Unpicked old paper")], picked=set())
    _day(store, RECENT, [_paper(4, "Recent paper")], picked=set())
    prune_store(store, 30, NOW, keep_text_days=60)
    stamps = dict(store.conn.execute("SELECT id, updated_at FROM papers_data").fetchall())
    assert stamps["2506.00001"] == "" and stamps["2506.00004"] != ""
    upsert_papers(store, [_paper(1, "Unpicked old paper")], listed_on=RECENT.isoformat())
    assert store.conn.execute("SELECT updated_at FROM papers_data WHERE id = '2506.00001'").fetchone()[0]
