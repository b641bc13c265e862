"""The web app's pages, through Starlette's test client, over a real store built from real days."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from papersieve.models import Outcome
from papersieve.store import open_store
from papersieve.store.runs import finish_run, record_outcomes, start_run
from papersieve.web.app import create_app
from tests.pgschemas import store_at
from tests.webdata import DAYS, HOSTILE_IDS, WebData, build_store

BASE = "http://127.0.0.1:8000"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> WebData:
    return build_store(tmp_path_factory.mktemp("web") / "store.db")


@pytest.fixture()
def client(data: WebData) -> Iterator[TestClient]:
    with TestClient(create_app(data.path, token=""), base_url=BASE) as test_client:
        yield test_client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


def article_ids(html: str) -> list[str]:
    return re.findall(r'<article class="paper[^"]*" id="p-([^"]+)"', html)


def test_today_shows_the_latest_digest_in_rank_order(client: TestClient, data: WebData) -> None:
    page = client.get("/")
    assert page.status_code == 200
    latest = DAYS[-1].isoformat()
    assert f"Latest digest: {latest}" in page.text
    assert article_ids(page.text) == data.picks[latest]
    assert f'<b class="npicks">{len(data.picks[latest])}</b> picks' in page.text
    first_real = data.picks[latest][2]
    assert f'href="https://arxiv.org/abs/{first_real}"' in page.text
    assert f'href="https://arxiv.org/pdf/{first_real}"' in page.text
    assert "<details class=\"abstract\">" in page.text


def test_digest_reports_what_the_day_cost_even_when_a_rerun_reused_it(tmp_path: Path) -> None:
    data = build_store(tmp_path / "rerun.db", hostile=False)
    day = DAYS[-1]
    with open_store(data.path) as store:
        rerun = start_run(store, "default", day, "llm", "gpt-4o", "hash0")
        record_outcomes(store, rerun, [(p, Outcome.JUDGED, None, True, i)
                                       for i, p in enumerate(data.picks[day.isoformat()], 1)])
        finish_run(store, rerun, "done")
    with TestClient(create_app(data.path, token=""), base_url=BASE) as c:
        page = c.get("/").text
    # 20,000 + 12 x 100 prompt + 3,000 completion tokens; $0.05 + 12 x $0.01 + $0.03 (webdata).
    assert "24,200 tokens · $0.20" in page
    assert "(this run: 0 tokens, $0.00; the rest reused from earlier runs)" in page


def test_missing_novelty_shows_na(client: TestClient) -> None:
    page = client.get("/").text
    card = page[page.index(f'id="p-{HOSTILE_IDS[0]}"'):]
    card = card[: card.index("</article>")]
    assert '<b class="relevance">10</b>' in card
    assert '<b class="novelty">n/a</b>' in card


def test_empty_store_says_how_to_get_a_digest(tmp_path: Path) -> None:
    with TestClient(create_app(store_at(tmp_path / "empty.db"), token=""), base_url=BASE) as c:
        page = c.get("/")
        assert page.status_code == 200
        assert "No digest yet" in page.text and "papersieve demo" in page.text
        assert "No runs yet" in c.get("/archive").text


def test_archive_lists_each_day_with_counts(client: TestClient, data: WebData) -> None:
    page = client.get("/archive").text
    assert "<h2>2025-05</h2>" in page
    with open_store(data.path) as store:
        for day, run_id in data.runs.items():
            candidates = store.conn.execute(
                "SELECT COUNT(*) FROM run_candidates WHERE run_id = ?", (run_id,)
            ).fetchone()[0]
            row = re.search(rf'<a href="/run/{run_id}">{day}</a>.*?</tr>', page, re.S)
            assert row, day
            cells = re.findall(r'<td class="num"[^>]*>([^<]*)</td>', row.group(0))
            assert cells[1:3] == [str(candidates), str(len(data.picks[day]))]


def test_past_day_and_run_pages(client: TestClient, data: WebData) -> None:
    first = DAYS[0].isoformat()
    by_day = client.get(f"/day/{first}")
    assert by_day.status_code == 200
    assert article_ids(by_day.text) == data.picks[first]
    everything = client.get(f"/run/{data.runs[first]}?all=1").text
    assert "Every other candidate" in everything and "filtered by title" in everything
    assert client.get("/day/2031-01-01").status_code == 404
    assert client.get("/day/not-a-date").status_code == 404
    assert client.get("/run/999").status_code == 404


def test_search_covers_every_fetched_paper_and_shows_outcomes(client: TestClient, data: WebData) -> None:
    with open_store(data.path) as store:
        row = store.conn.execute(
            "SELECT c.paper_id, p.title FROM run_candidates c JOIN papers p ON p.id = c.paper_id"
            " WHERE c.outcome = 'filtered_by_title' ORDER BY c.paper_id LIMIT 1"
        ).fetchone()
    page = client.get("/search", params={"q": f'"{row["title"]}"'}).text
    assert row["paper_id"] in article_ids(page)
    assert "filtered by title" in page
    picked = data.picks[DAYS[0].isoformat()][0]
    words = " ".join(data.titles[picked].split()[:4])
    hit_page = client.get("/search", params={"q": words}).text
    assert picked in article_ids(hit_page)
    assert '<b class="picked">picked</b>' in hit_page
    assert "<mark>" in hit_page


def test_search_filters(client: TestClient, data: WebData) -> None:
    picked = client.get("/search", params={"picked": "1"}).text
    all_picks = {p for picks in data.picks.values() for p in picks}
    total = int(re.search(r'<b class="nresults">(\d+)</b>', picked).group(1))  # type: ignore[union-attr]
    assert total == len(all_picks)
    first_day = client.get(
        "/search", params={"picked": "1", "from": DAYS[0].isoformat(), "to": DAYS[0].isoformat()}
    ).text
    assert set(article_ids(first_day)) == set(data.picks[DAYS[0].isoformat()])
    none = client.get("/search", params={"q": "transformer", "category": "math.NT"}).text
    assert '<b class="nresults">0</b>' in none
    bad = client.get("/search", params={"from": "yesterday"}).text
    assert "is not a date" in bad


def test_search_survives_fts_syntax(client: TestClient) -> None:
    for text in ['"unbalanced', "AND OR NOT", "a:b (c", "*", "NEAR(x y)", "^start"]:
        assert client.get("/search", params={"q": text}).status_code == 200


def test_paper_page_shows_versions_days_judgements_and_feedback(client: TestClient, data: WebData) -> None:
    paper_id = data.picks[DAYS[0].isoformat()][0]
    page = client.get(f"/paper/{paper_id}").text
    assert data.titles[paper_id].split("&")[0][:30] in page.replace("&amp;", "&")
    assert "cs.LG" in page or "cs.AI" in page
    assert "gpt-4o" in page and "abstract" in page
    assert '<b class="relevance">n/a</b>' not in page  # the card shows the newest verdict
    assert DAYS[0].isoformat() in page
    assert client.get("/paper/0000.00000").status_code == 404


def test_like_records_feedback_and_updates_in_place(client: TestClient, data: WebData) -> None:
    paper_id = data.picks[DAYS[-1].isoformat()][3]
    token = csrf_of(client.get("/").text)
    reply = client.post(
        "/feedback", data={"paper_id": paper_id, "label": "like"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert reply.status_code == 200
    assert reply.text.startswith('<form class="feedback"')
    assert 'class="like" aria-pressed="true"' in reply.text
    assert "Liked" in reply.text
    with open_store(data.path) as store:
        rows = store.conn.execute(
            "SELECT label, source FROM feedback WHERE paper_id = ? ORDER BY id", (paper_id,)
        ).fetchall()
    assert [tuple(r) for r in rows][-1] == (1, "web")
    assert 'aria-pressed="true"' in client.get(f"/paper/{paper_id}").text
    liked = client.get("/search", params={"liked": "1"}).text
    assert paper_id in article_ids(liked)
    assert 'name="label" value="withdraw" class="like" aria-pressed="true"' in reply.text
    withdrawn = client.post(
        "/feedback", data={"paper_id": paper_id, "label": "withdraw"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert 'value="like" class="like" aria-pressed="false"' in withdrawn.text
    assert paper_id not in article_ids(client.get("/search", params={"liked": "1"}).text)
    assert "withdrawn (from web, profile default)" in client.get(f"/paper/{paper_id}").text


def test_plain_form_dislike_redirects_back(client: TestClient, data: WebData) -> None:
    paper_id = data.picks[DAYS[-1].isoformat()][4]
    token = csrf_of(client.get("/").text)
    reply = client.post(
        "/feedback", data={"paper_id": paper_id, "label": "dislike", "csrf_token": token, "next": "/archive"},
        follow_redirects=False,
    )
    assert reply.status_code == 303 and reply.headers["location"] == "/archive"
    evil = client.post(
        "/feedback", data={"paper_id": paper_id, "label": "dislike", "csrf_token": token,
                           "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert evil.headers["location"] == f"/paper/{paper_id}"
    assert "Disliked" in client.get(f"/paper/{paper_id}").text


def test_buttons_swapped_in_by_htmx_still_return_to_their_page(client: TestClient, data: WebData) -> None:
    # The swapped-in form posted plainly (a key pressed before htmx processed it) went back to
    # its own "next": /feedback, a GET of which is 405.
    paper_id = data.picks[DAYS[-1].isoformat()][3]
    token = csrf_of(client.get("/").text)
    swapped = client.post(
        "/feedback", data={"paper_id": paper_id, "label": "like", "csrf_token": token, "next": "/?page=2"},
        headers={"HX-Request": "true"})
    assert swapped.status_code == 200
    assert '<input type="hidden" name="next" value="/?page=2">' in swapped.text


def test_feedback_rejects_bad_input(client: TestClient) -> None:
    token = csrf_of(client.get("/").text)
    headers = {"X-CSRF-Token": token}
    unknown = client.post("/feedback", data={"paper_id": "0000.0000", "label": "like"}, headers=headers)
    assert unknown.status_code == 404 and "<main>" in unknown.text
    in_place = client.post("/feedback", data={"paper_id": "0000.0000", "label": "like"},
                           headers={**headers, "HX-Request": "true"})
    assert in_place.text == '<p class="note error" role="alert">Not found: no such paper in the store</p>'
    bad_label = client.post("/feedback", data={"paper_id": HOSTILE_IDS[0], "label": "love"}, headers=headers)
    assert bad_label.status_code == 400
    wrong_method = client.get("/feedback")
    assert wrong_method.status_code == 405 and wrong_method.headers["allow"] == "POST"
    assert "Method not allowed" in wrong_method.text


def test_runs_page_has_table_and_svg_charts(client: TestClient, data: WebData) -> None:
    page = client.get("/runs").text
    assert page.count('<svg class="chart') == 2
    assert 'aria-label="Dollars per day"' in page and 'aria-label="Picks per day"' in page
    assert page.count('<rect class="bar"') == 2 * len(DAYS)
    for run_id in data.runs.values():
        assert f'<a href="/run/{run_id}">Run {run_id}</a>' in page
    # The later day's run: 20,000 + 14 x 100 prompt tokens, $0.05 + 14 x $0.01 + $0.03.
    assert '<td class="num" data-label="Tokens">21,400 / 3,000</td>' in page
    assert '<td class="num" data-label="Dollars">$0.22</td>' in page
    assert '<td class="num" data-label="Dollars">$0.20</td>' in page
    assert "$0.42 spent in all" in page


def test_static_helper_is_the_pinned_htmx(client: TestClient) -> None:
    js = client.get("/static/htmx-2.0.4.min.js")
    assert js.status_code == 200
    assert js.text.startswith("/*! htmx.org 2.0.4")
    header, body = js.content.split(b"*/\n", 1)
    declared = re.search(rb"sha256 of the original file: ([0-9a-f]{64})", header)
    assert declared and hashlib.sha256(body).hexdigest() == declared.group(1).decode()  # unmodified
    assert "javascript" in js.headers["content-type"]
    assert client.get("/static/papersieve.css").status_code == 200


def test_today_of_one_profile(tmp_path: Path) -> None:
    data = build_store(tmp_path / "two.db", hostile=False)
    paper_id = data.picks[DAYS[0].isoformat()][0]
    with open_store(data.path) as store:
        run_id = start_run(store, "other", dt.date(2025, 5, 20), "local", "local-tfidf-v0")
        record_outcomes(store, run_id, [(paper_id, Outcome.JUDGED, None, True, 1)])
        finish_run(store, run_id, "done")
    with TestClient(create_app(data.path, token=""), base_url=BASE) as c:
        assert article_ids(c.get("/").text) == data.picks[DAYS[-1].isoformat()]
        other = c.get("/", params={"profile": "other"}).text
        assert "Latest digest: 2025-05-20" in other and article_ids(other) == [paper_id]
        assert '<a href="/?profile=other">other</a>' in other


def test_today_says_when_the_newest_run_had_no_announcement(tmp_path: Path) -> None:
    data = build_store(tmp_path / "weekend.db", hostile=False)
    with open_store(data.path) as store:
        weekend = start_run(store, "default", dt.date(2025, 5, 31), "llm", "gpt-4o")
        finish_run(store, weekend, "no_announcement", message="no announcement for 2025-05-31")
    with TestClient(create_app(data.path, token=""), base_url=BASE) as c:
        page = c.get("/").text
    assert ("Newest run: 2025-05-31 (default) ended <b>no announcement</b>:"
            " no announcement for 2025-05-31") in page
    assert f"Latest digest: {DAYS[-1].isoformat()}" in page
    assert article_ids(page) == data.picks[DAYS[-1].isoformat()]
    with TestClient(create_app(data.path, token=""), base_url=BASE) as c:
        archived = c.get("/archive").text
        assert f'<a href="/run/{weekend}">2025-05-31</a>' in archived
        run_page = c.get(f"/run/{weekend}").text
    assert "This run ended <b>no announcement</b>: it has no digest." in run_page


def test_today_does_not_stick_on_a_run_dated_in_the_future(tmp_path: Path) -> None:
    """A feed that announced 2100-07-02 (before such feeds were refused) kept "Today" on 2100."""
    data = build_store(tmp_path / "future.db", hostile=False)
    with open_store(data.path) as store:
        future = start_run(store, "default", dt.date(2100, 7, 2), "llm", "gpt-4o")
        finish_run(store, future, "done")
        later = start_run(store, "default", dt.date(2100, 7, 3), "llm", "gpt-4o")
        finish_run(store, later, "no_announcement", message="no announcement for 2100-07-03")
    with TestClient(create_app(data.path, token=""), base_url=BASE) as c:
        page = c.get("/").text
    assert f"Latest digest: {DAYS[-1].isoformat()}" in page and "2100" not in page
    assert article_ids(page) == data.picks[DAYS[-1].isoformat()]
