"""The search box's syntax (web/query_syntax.py) and what the search page does with it: ids and
arXiv URLs go to the paper, phrases, OR, NOT/-, fields, categories and prefixes find what they
say, a search that cannot be read says why in one line, sorting and clamped page numbers."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from papersieve.models import Paper
from papersieve.store import open_store
from papersieve.store.db import Store
from papersieve.store.papers import upsert_papers
from papersieve.web.app import create_app
from papersieve.web.queries import SearchFilters
from papersieve.web.query_syntax import QuerySyntaxError, parse_query
from papersieve.web.search import search
from tests.webdata import DAYS, WebData, build_store

BASE = "http://127.0.0.1:8000"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> WebData:
    return build_store(tmp_path_factory.mktemp("syntax") / "store.db", hostile=False)


@pytest.fixture()
def store(data: WebData) -> Iterator[Store]:
    with open_store(data.path) as opened:
        yield opened


@pytest.fixture()
def client(data: WebData) -> Iterator[TestClient]:
    with TestClient(create_app(data.path, token=""), base_url=BASE) as test_client:
        yield test_client


def ids(store: Store, text: str, **kw: object) -> set[str]:
    results = search(store, SearchFilters(text=text, per_page=1000, **kw))  # type: ignore[arg-type]
    assert results.error == "", results.error
    return {h.item.paper_id for h in results.hits}


def by_sql(store: Store, where: str, *params: object) -> set[str]:
    return {str(r[0]) for r in store.conn.execute(f"SELECT id FROM papers p WHERE {where}", params)}


def test_the_syntax_becomes_quoted_fts5() -> None:
    assert parse_query("diffusion NOT robot").fts() == '("diffusion") NOT "robot"'
    assert parse_query("diffusion -robot -arm").fts() == '("diffusion") NOT ("robot" OR "arm")'
    assert parse_query('a OR "b c" d').fts() == '("a" OR "b c") AND "d"'
    assert parse_query("title:diffusion author:hinton abstract:x*").fts() == (
        'title : "diffusion" AND authors : "hinton" AND abstract : "x"*')
    parsed = parse_query("category:cs.LG -category:cs.RO graph")
    assert (parsed.fts(), parsed.categories, parsed.not_categories) == ('"graph"', ["cs.LG"], ["cs.RO"])


@pytest.mark.parametrize(("text", "why"), [
    ('"', 'a quote (") is not closed'),
    ('diffusion "model', 'a quote (") is not closed'),
    ("diffusion NOT", "NOT needs a word or phrase after it"),
    ("OR diffusion", "OR needs a word or phrase on each side"),
    ("diffusion OR", "OR needs a word or phrase on each side"),
    ("-robot", "search for at least one word as well as the ones to leave out"),
    ("title:", "title: needs a word after it"),
    ('""', 'an empty phrase ("") has nothing to search for'),
    ("*", "a * ends a word"),
    ("venue:neurips", "unknown field 'venue:'"),
])
def test_a_search_that_cannot_be_read_says_why(text: str, why: str) -> None:
    with pytest.raises(QuerySyntaxError, match="^" + why.replace("(", r"\(").replace(")", r"\)")
                       .replace("*", r"\*")) as caught:
        parse_query(text)
    assert "\n" not in str(caught.value)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('ab "*-:()^{}NOTRtitle.OR\\\'+')), max_size=40)
       | st.lists(st.sampled_from(["OR", "NOT", "AND", "NEAR(", "title:", "-", '"', "x*", "a", ")",
                                   "category:", "author:x", "^"]), max_size=8).map(" ".join)
       | st.text(max_size=40))
def test_any_text_is_refused_in_words_or_is_a_query_fts5_accepts(text: str) -> None:
    """Never raw user text in MATCH: whatever is typed, FTS5 never sees a syntax error."""
    try:
        query = parse_query(text).fts()
    except QuerySyntaxError:
        return
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(title, abstract, authors)")
    conn.execute("INSERT INTO t VALUES ('a b', 'c', 'd')")
    if query:
        conn.execute("SELECT COUNT(*) FROM t WHERE t MATCH ?", (query,)).fetchone()


def test_not_phrase_title_category_and_prefix_find_what_they_say(store: Store) -> None:
    diffusion = ids(store, "diffusion")
    robot = ids(store, "robot")
    assert diffusion and robot and diffusion & robot, "the real days have both words, together too"
    assert ids(store, "diffusion NOT robot") == diffusion - robot
    assert ids(store, "diffusion -robot") == diffusion - robot
    assert ids(store, "diffusion OR robot") == diffusion | robot
    in_title = by_sql(store, "lower(p.title) LIKE '%diffusion%'")
    assert ids(store, "title:diffusion") <= in_title and len(ids(store, "title:diffusion")) >= 1
    assert ids(store, "title:diffusion") < diffusion
    assert ids(store, '"language model"') < ids(store, "language model")
    robotics = by_sql(store, "EXISTS (SELECT 1 FROM json_each(p.categories) WHERE value = 'cs.RO')")
    assert ids(store, "robot category:cs.RO") == robot & robotics
    assert ids(store, "robot -category:cs.RO") == robot - robotics
    assert ids(store, "diffus*") >= diffusion


def test_sort_by_date_and_by_score(store: Store, data: WebData) -> None:
    by_date = search(store, SearchFilters(text="learning", sort="date", per_page=1000)).hits
    listed = [h.item.paper_id for h in by_date]
    firsts = dict(store.conn.execute("SELECT id, COALESCE(first_listed, '') FROM papers"))
    assert [firsts[p] for p in listed] == sorted((firsts[p] for p in listed), reverse=True)
    by_score = search(store, SearchFilters(text="learning", sort="score", per_page=20)).hits
    best = {p: r + (n or 0) for p, r, n in store.conn.execute(
        "SELECT paper_id, relevance, novelty FROM judgements WHERE outcome = 'judged'")}
    scores = [best.get(h.item.paper_id, -1) for h in by_score]
    assert scores == sorted(scores, reverse=True) and scores[0] >= 17


def test_an_id_or_arxiv_url_goes_to_the_paper(client: TestClient, data: WebData) -> None:
    paper = data.picks[DAYS[0].isoformat()][0]
    for typed in (paper, f"https://arxiv.org/abs/{paper}", f"arXiv:{paper}v2",
                  f"https://arxiv.org/pdf/{paper}v1.pdf", f"  {paper} "):
        reply = client.get("/search", params={"q": typed}, follow_redirects=False)
        assert reply.status_code == 303 and reply.headers["location"] == f"/paper/{paper}", typed
    missing = client.get("/search", params={"q": "2507.99999"})
    assert missing.status_code == 200 and "2507.99999 is not in the store" in missing.text


def test_the_page_says_why_and_clamps_the_page(client: TestClient) -> None:
    lone = client.get("/search", params={"q": '"'})
    assert lone.status_code == 200
    assert 'Cannot search: a quote (") is not closed' in lone.text.replace("&#34;", '"')
    assert '<b class="nresults">0</b>' in lone.text  # not every paper
    first = client.get("/search", params={"q": "learning"}).text
    assert "page 1 of " in first
    pages = int(first.split("page 1 of ", 1)[1].split("<", 1)[0])
    late = client.get("/search", params={"q": "learning", "page": "999"}).text
    assert f"page {pages} of {pages}" in late and "page 999" not in late
    assert 'rel="next"' not in late and 'rel="prev"' in late


def test_the_search_page_explains_the_syntax(client: TestClient) -> None:
    page = client.get("/search").text
    for example in ("diffusion NOT robot", "title:diffusion", "category:cs.LG", "diffu*",
                    "diffusion OR flow", '"diffusion model"'):
        assert example in page, example


def test_a_control_character_is_a_space_not_an_sqlite_error() -> None:
    # Hypothesis found '0\x00': the NUL ended SQLite's reading of the quoted term.
    assert parse_query("0\x00").fts() == parse_query("0").fts() == '"0"'


def test_words_beside_markup_characters_are_found_on_both_stores() -> None:
    """FTS5 reads `<`, `>`, `&` and `/` as separators; PostgreSQL's parser read a title written as
    HTML as tags (`<script>alert(1)</script>`: no word at all), `a<b and c>d` as a tag and
    `TCP/IP` as one path (found in the PostgreSQL pass, issue 20)."""
    paper = Paper(id="2601.00042", title="<script>alert(1)</script> Routing TCP/IP",
                  abstract="When a<b and c>d, Smith &amp; Jones route packets.", authors=("A B",))
    with open_store() as store:
        upsert_papers(store, [paper])
        for words in ("alert", "script", "title:alert", "TCP/IP", '"routing tcp ip"', '"b and c"',
                      "amp", "ip"):
            assert ids(store, words) == {paper.id}, words
        assert ids(store, "alerts -packets") == set()
