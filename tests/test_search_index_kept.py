"""`[store] search_index = false` (the GitHub workflow's): the cached store keeps no word search
index (16 MB of a year's store, bench/RESULTS.md, issue 16); `serve` and `db --reindex` build it
again from the kept text, and what it holds is the same as before it was emptied."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from papersieve.cli.main import main
from papersieve.cli.serve_cmds import _reindex
from papersieve.feedback import import_likes
from papersieve.models import Paper
from papersieve.profile import load_profile
from papersieve.store import Store
from papersieve.store.papers import upsert_papers
from papersieve.store.retention import prune_store
from papersieve.store.search_index import rebuild_search_index, search_index_kept
from papersieve.web.queries import SearchFilters
from papersieve.web.search import NO_INDEX, search
from tests.workflow_env import run_step_env

NOW = dt.datetime(2025, 9, 1, 12, tzinfo=dt.UTC)


def _run(*args: str) -> Result:
    return CliRunner().invoke(click.Command("papersieve", callback=lambda: main(list(args))), [])


def _hits(store: Store, text: str) -> list[str]:
    return [h.item.paper_id for h in search(store, SearchFilters(text=text)).hits]


def _indexed(store: Store) -> int:
    return int(store.conn.execute("SELECT COUNT(*) FROM papers_fts_docsize").fetchone()[0])


@pytest.fixture
def papers(store: Store) -> Store:
    if store.postgres:
        pytest.skip("PostgreSQL's search reads each row's tsvector: always kept")
    upsert_papers(store, [Paper("2508.00001", "Quasicrystal tokenizers", "About zanzibarite.",
                                ("Ada Lovelace",), ("cs.LG",), 1)], listed_on="2025-08-20")
    return store


def test_the_index_is_emptied_and_rebuilt_with_what_it_held(papers: Store) -> None:
    store = papers
    assert _hits(store, "zanzibarite") == ["2508.00001"]
    assert prune_store(store, 30, NOW, search_index=False)["search index emptied"] == 1
    assert not search_index_kept(store) and _indexed(store) == 0
    assert search(store, SearchFilters(text="zanzibarite")).error == NO_INDEX
    assert search(store, SearchFilters(category="cs.LG")).total == 1  # the filters still work
    # Papers written meanwhile stay out of the emptied index, and come in at the rebuild.
    upsert_papers(store, [Paper("2508.00002", "Lattice tokenizers", "More zanzibarite.", ("Alan Turing",),
                                ("cs.LG",), 1)], listed_on="2025-08-21")
    upsert_papers(store, [Paper("2508.00001", "Quasicrystal tokenizers, revised", "About zanzibarite.",
                                ("Ada Lovelace",), ("cs.LG",), 2)], listed_on="2025-08-21")
    assert _indexed(store) == 0
    assert prune_store(store, 30, NOW, search_index=False)["search index emptied"] == 0
    assert rebuild_search_index(store) == 2
    assert search_index_kept(store)
    assert sorted(_hits(store, "zanzibarite")) == ["2508.00001", "2508.00002"]
    assert _hits(store, "revised") == ["2508.00001"]
    assert rebuild_search_index(store) == 0
    store.conn.execute("INSERT INTO papers_fts(papers_fts, rank) VALUES ('integrity-check', 1)")


def test_a_run_with_the_setting_on_rebuilds_it(papers: Store) -> None:
    prune_store(papers, 30, NOW, search_index=False)
    assert prune_store(papers, 30, NOW)["search index rebuilt"] == 1
    assert _hits(papers, "lovelace") == ["2508.00001"]


def test_serve_and_db_reindex_build_it_again(papers: Store) -> None:
    prune_store(papers, 30, NOW, search_index=False)
    _reindex(papers)
    assert _hits(papers, "quasicrystal") == ["2508.00001"]
    prune_store(papers, 30, NOW, search_index=False)
    result = _run("db", "--reindex")
    assert result.exit_code == 0, result.output
    assert "Search index: 1 papers indexed again" in result.stdout
    assert _hits(papers, "quasicrystal") == ["2508.00001"]


def test_a_library_import_matches_titles_in_a_store_kept_without_index(
    papers: Store, tmp_path: Path,
) -> None:
    prune_store(papers, 30, NOW, search_index=False)
    bib = tmp_path / "likes.bib"
    bib.write_text("@article{q, title={Quasicrystal Tokenizers}, journaltitle={Proc. X}, date={2025}}\n")
    report = import_likes(papers, bib, load_profile())
    assert report.matched == ("2508.00001",) and report.by == {"title": 1}


def test_the_workflow_keeps_no_index_and_a_local_profile_keeps_it(
    tmp_path: Path, papersieve_home: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder, env = run_step_env(tmp_path)
    assert load_profile(folder).settings.store.search_index is True
    monkeypatch.setenv("PAPERSIEVE_SEARCH_INDEX", env["PAPERSIEVE_SEARCH_INDEX"])
    assert load_profile(folder).settings.store.search_index is False
