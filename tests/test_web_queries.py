"""The web pages' queries: a fixed number of SQL statements per page (no N+1), FTS5 query
building, highlight escaping, and the server-side SVG charts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from papersieve.store import open_store
from papersieve.store.db import Store
from papersieve.web import queries
from papersieve.web.charts import bar_chart, dollars
from papersieve.web.search import fts_query, marked, search
from tests.webdata import DAYS, HOSTILE_IDS, WebData, build_store


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> WebData:
    return build_store(tmp_path_factory.mktemp("webq") / "store.db")


@pytest.fixture()
def store(data: WebData) -> Iterator[Store]:
    with open_store(data.path) as opened:
        yield opened


@contextmanager
def counting(store: Store) -> Iterator[list[str]]:
    """Every SQL statement the block sends (not the FTS5 module's own internal statements)."""
    seen: list[str] = []

    def note(statement: str) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "'main'." not in statement:
            seen.append(statement)

    store.conn.set_trace_callback(note)
    try:
        yield seen
    finally:
        store.conn.set_trace_callback(None)


@pytest.mark.sqlite_only(reason="counts statements with SQLite's trace callback")
def test_each_page_sends_a_fixed_number_of_statements(store: Store, data: WebData) -> None:
    with counting(store) as seen:
        items = queries.digest_items(store, data.runs[DAYS[0].isoformat()], picked_only=False)
    # The second: the run's folded row (store/folding.py), which a local run writes at once.
    assert len(items) > 400 and len(seen) == 2
    with counting(store) as seen:
        results = search(store, queries.SearchFilters(text="learning", per_page=50))
    # The fifth: whether the index leaves out papers whose text was pruned (one row read); the
    # sixth and seventh: the folded runs of the hits' first listing days (none here).
    assert len(results.hits) == 50 and len(seen) == 7
    with counting(store) as seen:
        months = queries.archive(store)
    assert sum(len(m.runs) for m in months) == len(DAYS) and len(seen) == 1
    with counting(store) as seen:
        detail = queries.paper_detail(store, data.picks[DAYS[0].isoformat()][0], "default")
    assert detail is not None and len(seen) == 8  # with the two of the folded runs
    with counting(store) as seen:
        series = queries.daily_series(store)
    assert [p.date for p in series] == [d.isoformat() for d in DAYS] and len(seen) == 2
    with counting(store) as seen:
        queries.daily_series(store, queries.list_runs(store))
    assert len(seen) == 2


def test_search_without_text_lists_newest_first_with_filters(store: Store, data: WebData) -> None:
    picked = search(store, queries.SearchFilters(picked=True, per_page=100))
    assert picked.total == sum(len(p) for p in data.picks.values())
    assert {h.item.paper_id for h in picked.hits} == {p for ps in data.picks.values() for p in ps}
    later = search(store, queries.SearchFilters(picked=True, date_from=DAYS[1], per_page=100))
    assert {h.item.paper_id for h in later.hits} == set(data.picks[DAYS[1].isoformat()])
    judged = search(store, queries.SearchFilters(judged=True, per_page=1))
    assert judged.total == sum(len(p) for p in data.picks.values()) + 40 * len(DAYS)


def test_search_reports_outcomes_of_each_day(store: Store) -> None:
    hit = search(store, queries.SearchFilters(text="alert")).hits
    hostile = [h for h in hit if h.item.paper_id == HOSTILE_IDS[0]]
    assert hostile and hostile[0].days[0].picked and hostile[0].days[0].date == DAYS[1].isoformat()


def test_fts_query_quotes_every_term() -> None:
    assert fts_query("low rank") == '"low" AND "rank"'
    assert fts_query('"low rank" adapt*') == '"low rank" AND "adapt"*'
    assert fts_query('AND NEAR(x ^y {z}: a"b"') == '"AND" AND "NEAR(x" AND "^y" AND "{z}:" AND "a" AND "b"'
    assert fts_query("   ") == ""


def test_marks_survive_escaping_and_nothing_else_does() -> None:
    text = "<script>\x02alert\x03(1)</script> & \"x\""
    assert str(marked(text)) == "&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt; &amp; &#34;x&#34;"


def test_bar_chart_is_plain_svg_with_escaped_labels() -> None:
    svg = str(bar_chart([("2025-05-27", 0.2), ("<b>", 0.4)], label='x"><script>', fmt=dollars))
    assert svg.startswith('<svg class="chart ') and svg.endswith("</svg>")
    assert svg.count('<rect class="bar"') == 2
    assert "<script>" not in svg and "<b>" not in svg
    assert "$0.40" in svg
    assert "No runs yet" in str(bar_chart([], label="empty"))
