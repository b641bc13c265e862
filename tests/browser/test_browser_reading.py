"""Reading the web app at a desktop width (1,280 px) and a phone width (390 px) in Chromium:
tables that fit the page (cards on a phone), per-profile charts, screenshots of each page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from papersieve.web.app import create_app
from tests.browser.conftest import screenshot
from tests.servers.web import serve_in_thread
from tests.webdata import DAYS, WebData, build_store

pytestmark = pytest.mark.browser

WIDTHS = (1280, 390)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> WebData:
    return build_store(tmp_path_factory.mktemp("reading") / "store.db")


@pytest.fixture(scope="module")
def base_url(data: WebData) -> Iterator[str]:
    with serve_in_thread(create_app(data.path, token="")) as url:
        yield url


def overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the window (0: no horizontal scroll bar)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def wider_than_page(page: Any) -> list[str]:
    """Elements whose right edge passes the window's (what a reader would have to scroll to)."""
    found: list[str] = page.evaluate(
        """() => [...document.querySelectorAll('main *')]
             .filter(e => !e.closest('.katex-mathml'))  // KaTeX's hidden MathML copy, clipped to 1 px
             .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
             .slice(0, 5).map(e => e.tagName + '.' + e.className + ': ' + e.textContent.slice(0, 60))"""
    )
    return found


@pytest.mark.parametrize("width", WIDTHS)
def test_the_candidates_page_has_no_horizontal_overflow(page: Any, base_url: str, data: WebData,
                                                        width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    run_id = data.runs[DAYS[-1].isoformat()]
    page.goto(f"{base_url}/run/{run_id}?all=1")
    rows = page.locator("table.candidates tbody tr")
    assert rows.count() > 300
    assert overflow(page) == 0 and wider_than_page(page) == []
    # Titles wrap: no row is taller than a few lines of text at either width.
    heights = page.evaluate(
        "[...document.querySelectorAll('table.candidates tbody tr')].map(r => r.offsetHeight)")
    assert max(heights) < 260, max(heights)
    if width < 700:  # a phone: each row is a card, the header row hidden, each cell labelled
        assert not page.locator("table.candidates thead").is_visible()
        first = rows.first.locator("td[data-label=Outcome]")
        label = first.evaluate("td => getComputedStyle(td, '::before').content")
        assert label == '"Outcome: "'
    else:
        assert page.locator("table.candidates thead").is_visible()
    screenshot(page, f"candidates-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_runs_archive_and_paper_pages_fit(page: Any, base_url: str, data: WebData, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    paper = data.picks[DAYS[0].isoformat()][0]
    for path, name in (("/runs", "runs"), ("/archive", "archive"), (f"/paper/{paper}", "paper"),
                       ("/", "today"), ("/search?q=learning", "search")):
        page.goto(base_url + path)
        assert overflow(page) == 0, (path, wider_than_page(page))
        assert wider_than_page(page) == [], path
        screenshot(page, f"{name}-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_search_by_id_by_syntax_and_a_query_that_cannot_be_read(page: Any, base_url: str, data: WebData,
                                                                width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    paper = data.picks[DAYS[0].isoformat()][0]
    page.goto(base_url + "/search")
    assert page.locator("details.search-help[open]").count() == 1
    screenshot(page, f"search-help-{width}")
    page.fill("#search-q", f"https://arxiv.org/abs/{paper}")
    page.press("#search-q", "Enter")
    page.wait_for_url(f"{base_url}/paper/{paper}")
    page.goto(base_url + "/search")
    page.fill("#search-q", "diffusion NOT robot")
    page.select_option("select[name=sort]", "date")
    page.click("form.search button[type=submit]")
    page.wait_for_url("**/search?q=diffusion+NOT+robot*")
    assert int(page.inner_text("b.nresults")) >= 1
    assert overflow(page) == 0
    screenshot(page, f"search-not-{width}")
    page.fill("#search-q", '"')
    page.press("#search-q", "Enter")
    page.locator("p.search-error").wait_for()
    assert page.inner_text("p.search-error") == (
        'Cannot search: a quote (") is not closed: put a phrase between two quotes')
    assert page.inner_text("b.nresults") == "0"


@pytest.mark.parametrize("width", WIDTHS)
def test_pages_ask_for_nothing_missing_and_the_paper_page_has_its_heading(
        page: Any, base_url: str, data: WebData, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    paper = data.picks[DAYS[0].isoformat()][0]
    page.goto(f"{base_url}/paper/{paper}")
    assert page.locator("h1").count() == 1
    assert page.inner_text("h1") == data.titles[paper]
    assert page.locator("main").count() == 1 and page.locator("header nav").count() == 1
    assert page.get_by_label("Search every paper").count() == 1
    page.goto(base_url + "/")
    page.wait_for_load_state("networkidle")
    favicon = page.evaluate("fetch('/static/favicon.svg').then(r => r.status)")
    assert favicon == 200 and failed == []
    # htmx reads its data-hx-* attributes: a like still swaps the buttons in place.
    card = page.locator("article.paper").nth(3)
    card.locator("button.like").click()
    # (a like retrains the local judge: seconds on a loaded machine)
    card.locator('button.like[aria-pressed="true"]').wait_for(timeout=60_000)
    card.locator("button.like").click()
    card.locator('button.like[aria-pressed="false"]').wait_for(timeout=60_000)
    screenshot(page, f"paper-heading-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_more_like_this_from_a_card_and_similar_papers_on_the_paper_page(
        page: Any, base_url: str, data: WebData, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(base_url + "/")
    card = page.locator("article.paper").nth(4)
    title = card.locator(".title a").inner_text()
    card.locator("a.more-like").click()
    page.wait_for_url("**/similar/*")
    assert page.locator("ol.similar-list li").count() == 30
    assert title in page.inner_text("p.summary")
    assert overflow(page) == 0
    screenshot(page, f"more-like-this-{width}")
    page.locator("ol.similar-list li a").first.click()
    page.wait_for_url("**/paper/*")
    assert page.locator("section.similar ol.similar-list li").count() == 8
    screenshot(page, f"similar-papers-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_keyboard_moves_likes_dislikes_opens_and_searches(page: Any, base_url: str, data: WebData,
                                                          width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(base_url + "/")
    cards = page.locator("article.paper")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert page.locator("article.paper.current").count() == 1
    current = cards.nth(1)
    assert "current" in (current.get_attribute("class") or "")
    page.keyboard.press("d")
    current.locator('button.dislike[aria-pressed="true"]').wait_for(timeout=60_000)
    page.keyboard.press("d")  # again: withdrawn
    current.locator('button.dislike[aria-pressed="false"]').wait_for(timeout=60_000)
    page.keyboard.press("l")
    current.locator('button.like[aria-pressed="true"]').wait_for(timeout=60_000)
    page.keyboard.press("l")
    current.locator('button.like[aria-pressed="false"]').wait_for(timeout=60_000)
    screenshot(page, f"keyboard-{width}")
    paper_id = (current.get_attribute("id") or "")[2:]
    page.keyboard.press("o")
    page.wait_for_url(f"{base_url}/paper/{paper_id}")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "quick-q"
    page.keyboard.type("jk")  # typed into the box, not read as keys
    assert page.input_value("#quick-q") == "jk" and page.url.endswith(paper_id)


@pytest.mark.parametrize("width", WIDTHS)
def test_file_papers_under_a_collection_and_export_it(page: Any, base_url: str, data: WebData,
                                                      width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    name = f"Reading {width}"
    page.goto(base_url + "/")
    for n in (1, 2):
        card = page.locator("article.paper").nth(n)
        card.locator("form.file input[name=collection]").fill(name)
        card.locator("form.file button").click()
        card.locator("form.file .filed a").wait_for(timeout=30_000)
        assert f"({n} paper" in card.locator("form.file .filed").inner_text()
    screenshot(page, f"filed-{width}")
    page.click("nav >> text=Collections")
    page.click(f"text={name}")
    page.wait_for_url("**/collection/*")
    assert page.locator("article.paper").count() == 2
    assert page.locator("section.ranked ol.similar-list li").count() >= 10
    assert overflow(page) == 0
    screenshot(page, f"collection-{width}")
    with page.expect_download() as download:
        page.click("text=BibTeX >> nth=0")
    assert download.value.suggested_filename == "papersieve-collection.bib"
    assert "@misc{" in Path(download.value.path()).read_text("utf-8")
