"""The web app's cost guard: a cap on search terms, a budget on each request's SQL (an SQLite
progress handler), and statements abandoned when the client disconnects. A search GET with many
prefix words cost 190 s of CPU on 25k papers and ran on after the client left."""

from __future__ import annotations

import asyncio
import concurrent.futures
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from papersieve.errors import ConfigError
from papersieve.store import open_store
from papersieve.web.app import create_app
from papersieve.web.guard import (
    CLIENT_GONE,
    TOO_EXPENSIVE,
    ClientWatch,
    QueryGuard,
    budget_from_env,
)
from papersieve.web.queries import SearchFilters
from papersieve.web.query_syntax import MAX_PREFIX_TERMS, MAX_TERMS, SearchTooBroad
from papersieve.web.search import (
    TOO_EXPENSIVE_SEARCH,
    fts_query,
    search,
)
from tests.webdata import WebData, build_store

BASE = "http://127.0.0.1:8000"
REVIEW_QUERY = "m* d* l* g* n* t* r* k* a* p* " * 16
ENDLESS = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)"
           " SELECT count(*) FROM (SELECT x FROM c LIMIT 1000000000)")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> WebData:
    return build_store(tmp_path_factory.mktemp("guard") / "store.db", hostile=False)


def test_search_terms_are_capped_with_a_clear_message() -> None:
    assert fts_query(" ".join(["word"] * MAX_TERMS)) == " AND ".join(['"word"'] * MAX_TERMS)
    assert fts_query("a* b* c* model") == '"a"* AND "b"* AND "c"* AND "model"'
    with pytest.raises(SearchTooBroad, match=r"^too many words to search for \(13, 0 of them"):
        fts_query(" ".join(["word"] * (MAX_TERMS + 1)))
    with pytest.raises(SearchTooBroad, match=rf"\(4, 4 of them prefix\* words\): at most"
                                             rf" {MAX_TERMS}, and {MAX_PREFIX_TERMS} prefix"):
        fts_query("a* b* c* d*")


def test_the_reviews_query_is_refused_before_any_sql(data: WebData) -> None:
    with open_store(data.path) as store:
        guard = QueryGuard(store.conn, budget=10**9)
        results = search(store, SearchFilters(text=REVIEW_QUERY[:500]))
        assert guard.used == 0  # not one SQLite step was spent on it
    assert results.hits == () and results.error.startswith("too many words to search for (")


def test_the_reviews_query_through_the_app_is_a_message_not_a_500(data: WebData) -> None:
    with TestClient(create_app(data.path, token=""), base_url=BASE) as client:
        page = client.get("/search", params={"q": REVIEW_QUERY})
    assert page.status_code == 200
    assert "too many words to search for (" in page.text


@pytest.mark.sqlite_only(reason="SQLite's progress handler on a bare sqlite3 connection")
def test_the_guard_stops_a_statement_at_its_budget(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "x.db")
    guard = QueryGuard(conn, budget=100)
    guard.serve(object(), None)
    with pytest.raises(sqlite3.OperationalError, match=r"^interrupted$"):
        conn.execute(ENDLESS).fetchone()
    assert (guard.stopped, guard.used) == ("budget", 101)
    guard.serve(object(), None)  # a new request has a new budget
    assert conn.execute("SELECT 1").fetchone() == (1,) and guard.stopped == ""


@pytest.mark.sqlite_only(reason="SQLite's progress handler on a bare sqlite3 connection")
def test_the_guard_stops_at_once_when_the_client_is_gone(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "x.db")
    guard = QueryGuard(conn, budget=10**9)
    gone = threading.Event()
    gone.set()
    guard.serve(object(), gone)
    with pytest.raises(sqlite3.OperationalError, match=r"^interrupted$"):
        conn.execute(ENDLESS).fetchone()
    assert (guard.stopped, guard.used) == ("client gone", 1)


def test_a_search_over_budget_says_so(data: WebData) -> None:
    with TestClient(create_app(data.path, token="", query_budget=2), base_url=BASE) as client:
        page = client.get("/search", params={"q": "learning"})
    assert page.status_code == 200 and TOO_EXPENSIVE_SEARCH in page.text


def test_any_page_over_budget_is_a_503_page_with_the_security_headers(data: WebData) -> None:
    with TestClient(create_app(data.path, token="", query_budget=2), base_url=BASE) as client:
        page = client.get("/archive")
    assert page.status_code == 503
    assert TOO_EXPENSIVE in page.text and "Traceback" not in page.text
    assert page.headers["x-frame-options"] == "DENY"


def test_a_like_is_not_held_to_the_page_budget(tmp_path: Path) -> None:
    """A POST needs the CSRF token (no page can fire it), and its retraining of the local judge
    may rightly take long on a large store: only GET and HEAD have a budget."""
    data = build_store(tmp_path / "like.db", hostile=False)
    paper = data.picks[next(iter(data.picks))][0]
    secret = b"s" * 32
    with TestClient(create_app(data.path, token="", secret=secret), base_url=BASE) as first:
        token = first.get("/").text.split('name="csrf_token" value="', 1)[1].split('"')[0]
        cookies = dict(first.cookies)
    tight = create_app(data.path, token="", secret=secret, query_budget=2)
    with TestClient(tight, base_url=BASE, cookies=cookies) as client:
        assert client.get("/archive").status_code == 503  # a GET is held to the budget
        reply = client.post("/feedback", data={"paper_id": paper, "label": "like"},
                            headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert reply.status_code == 200, reply.text
    with open_store(data.path) as store:
        labels = store.conn.execute("SELECT label FROM feedback WHERE paper_id = ?", (paper,))
        assert [row[0] for row in labels] == [1]


def test_ordinary_pages_stay_within_the_default_budget(data: WebData) -> None:
    with TestClient(create_app(data.path, token=""), base_url=BASE) as client:
        for url in ("/", "/archive", "/runs", "/search?q=learn*", "/search?category=cs.AI"):
            assert client.get(url).status_code == 200, url


def test_budget_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERSIEVE_WEB_QUERY_BUDGET", "1234")
    assert budget_from_env() == 1234
    monkeypatch.setenv("PAPERSIEVE_WEB_QUERY_BUDGET", "lots")
    with pytest.raises(ConfigError, match=r"^PAPERSIEVE_WEB_QUERY_BUDGET must be a positive"):
        budget_from_env()


def _asgi_get(app: Any, path: str) -> list[dict[str, Any]]:
    """One GET straight through the ASGI interface, from a client that leaves at once."""
    sent: list[dict[str, Any]] = []
    calls = 0

    async def receive() -> dict[str, Any]:
        nonlocal calls
        calls += 1
        if calls == 1:
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "headers": [(b"host", b"127.0.0.1:8000")],
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000)}
    _run_in_own_loop(app(scope, receive, send))
    return sent


def _run_in_own_loop(coroutine: Any) -> None:
    """`asyncio.run` on a thread of its own: the browser tests' Playwright (sync API) keeps an
    event loop running on the main thread for the whole session, where asyncio.run refuses."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


def test_client_watch_sees_a_disconnect_the_app_never_reads() -> None:
    seen: list[threading.Event] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        gone = scope["state"][CLIENT_GONE]
        seen.append(gone)
        # The route works in a thread and never reads the request: the watch must notice anyway.
        await asyncio.to_thread(gone.wait, 5.0)

    _asgi_get(ClientWatch(app), "/")
    assert len(seen) == 1 and seen[0].is_set()


def test_a_request_whose_client_left_has_its_statements_abandoned(data: WebData) -> None:
    app = create_app(data.path, token="")
    _asgi_get(app, "/archive")
    gone = [g._gone for g in app.state.stores.guards if g._gone is not None]
    assert gone and gone[-1].is_set()  # the guard that served the request watched this client

