"""The web app in a real headless Chromium: read, expand, like, search, archive, hostile titles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from papersieve.store import open_store
from papersieve.web.app import create_app
from tests.browser.conftest import screenshot
from tests.servers.web import serve_in_thread
from tests.webdata import DAYS, HOSTILE_IDS, SCRIPT_TITLE, WebData, build_store

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> WebData:
    return build_store(tmp_path_factory.mktemp("browser") / "store.db")


@pytest.fixture(scope="module")
def base_url(data: WebData) -> Iterator[str]:
    with serve_in_thread(create_app(data.path, token="")) as url:
        yield url


def by_id(paper_id: str) -> str:
    """A CSS selector for a paper's card (ids contain dots)."""
    return f'[id="p-{paper_id}"]'


def feedback_rows(data: WebData, paper_id: str) -> list[tuple[int, str]]:
    with open_store(data.path) as store:
        rows = store.conn.execute(
            "SELECT label, source FROM feedback WHERE paper_id = ? ORDER BY id", (paper_id,)
        ).fetchall()
    return [(int(r[0]), str(r[1])) for r in rows]


def test_read_expand_and_like_today(page: Any, base_url: str, data: WebData) -> None:
    latest = DAYS[-1].isoformat()
    page.goto(base_url + "/")
    assert page.inner_text("h1") == f"Latest digest: {latest}"
    cards = page.locator("article.paper")
    assert cards.count() == len(data.picks[latest])
    screenshot(page, "today")

    paper_id = data.picks[latest][2]
    card = page.locator(by_id(paper_id))
    abstract = card.locator("details.abstract")
    assert not abstract.evaluate("d => d.open")
    assert not card.locator("details.abstract p").first.is_visible()
    card.locator("details.abstract summary").click()
    assert abstract.evaluate("d => d.open")
    assert card.locator("details.abstract p").first.is_visible()

    like = card.locator("button.like")
    assert like.get_attribute("aria-pressed") == "false"
    url_before = page.url
    like.click()
    # htmx swaps the buttons in place: the new state shows without leaving the page.
    card.locator('button.like[aria-pressed="true"]').wait_for(timeout=10_000)
    assert card.locator(".state").inner_text() == "Liked"
    assert page.url == url_before
    assert feedback_rows(data, paper_id)[-1] == (1, "web")
    screenshot(page, "today-liked")

    card.locator("button.dislike").click()
    card.locator('button.dislike[aria-pressed="true"]').wait_for(timeout=10_000)
    assert card.locator('button.like').get_attribute("aria-pressed") == "false"
    assert feedback_rows(data, paper_id)[-1] == (-1, "web")

    card.locator("button.dislike").click()  # pressing it again withdraws the dislike
    card.locator('button.dislike[aria-pressed="false"]').wait_for(timeout=10_000)
    assert card.locator(".state").inner_text() == ""
    assert feedback_rows(data, paper_id)[-1] == (0, "web")
    assert not [e for e in page.console_errors if "Content Security Policy" in e], page.console_errors


def test_search_and_open_a_paper(page: Any, base_url: str, data: WebData) -> None:
    picked = data.picks[DAYS[0].isoformat()][0]
    words = " ".join(re.findall(r"\w+", data.titles[picked])[:3])
    page.goto(base_url + "/")
    page.fill("form.quick input[name=q]", words)
    page.press("form.quick input[name=q]", "Enter")
    page.wait_for_url(re.compile(r"/search\?q="))
    assert int(page.inner_text("b.nresults")) >= 1
    hit = page.locator("article.hit" + by_id(picked))
    assert hit.count() == 1
    assert "picked" in hit.locator("ul.days").inner_text()
    screenshot(page, "search")

    page.check("input[name=picked]")
    page.click("form.search button[type=submit]")
    page.wait_for_url(re.compile(r"picked=1"))
    assert page.locator("article.hit" + by_id(picked)).count() == 1

    hit = page.locator("article.hit" + by_id(picked))
    hit.locator("h2 a").click()
    page.wait_for_url(re.compile(rf"/paper/{re.escape(picked)}$"))
    assert page.locator("table.judgements tbody tr").count() >= 1
    assert "gpt-4o" in page.inner_text("table.judgements")
    screenshot(page, "paper")


def test_archive_runs_and_a_past_digest(page: Any, base_url: str, data: WebData) -> None:
    page.goto(base_url + "/")
    page.click("nav >> text=Archive")
    page.wait_for_url(re.compile(r"/archive$"))
    assert page.inner_text("section.month h2") == "2025-05"
    assert page.locator("section.month tbody tr").count() == len(DAYS)
    screenshot(page, "archive")
    first = DAYS[0].isoformat()
    page.click(f"text={first}")
    page.wait_for_url(re.compile(rf"/run/{data.runs[first]}$"))
    assert page.locator("article.paper").count() == len(data.picks[first])

    page.click("nav >> text=Runs and costs")
    page.wait_for_url(re.compile(r"/runs$"))
    assert page.locator("svg.chart").count() == 2
    assert page.locator("svg.chart rect.bar").count() == 2 * len(DAYS)
    screenshot(page, "runs")


def test_hostile_titles_do_not_run_script(page: Any, base_url: str) -> None:
    page.goto(base_url + f"/paper/{HOSTILE_IDS[0]}")
    assert page.inner_text("article.paper .title a") == SCRIPT_TITLE
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    screenshot(page, "hostile-paper")
    page.goto(base_url + f"/paper/{HOSTILE_IDS[1]}")
    page.goto(base_url + "/")
    page.locator(by_id(HOSTILE_IDS[0]) + " details.abstract summary").click()
    page.goto(base_url + "/search?q=alert")
    for hostile in HOSTILE_IDS:
        assert page.locator("article.hit" + by_id(hostile)).count() == 1
    page.goto(base_url + f"/run/{2}?all=1")
    assert page.dialogs == []
    assert page.evaluate("document.querySelectorAll('script:not([src])').length") == 0


def test_token_protected_app_in_the_browser(page: Any, data: WebData) -> None:
    with serve_in_thread(create_app(data.path, token="browser-token")) as url:
        first = page.goto(url + "/")
        assert first is not None and first.status == 401
        page.goto(url + "/?token=browser-token")
        assert page.url == url + "/"  # the token left the address bar, a cookie holds the session
        assert page.inner_text("h1").startswith("Latest digest")
        card = page.locator("article.paper").nth(5)
        card.locator("button.like").click()
        card.locator('button.like[aria-pressed="true"]').wait_for(timeout=10_000)


def test_a_stale_session_shows_why_the_like_failed(page: Any, base_url: str, data: WebData) -> None:
    paper_id = data.picks[DAYS[0].isoformat()][1]
    page.goto(base_url + f"/paper/{paper_id}")
    page.context.clear_cookies()  # as after a server restart: the page's CSRF token is no good now
    page.locator("article.paper button.like").click()
    page.get_by_text("CSRF check failed").wait_for(timeout=10_000)
    assert feedback_rows(data, paper_id) == []
