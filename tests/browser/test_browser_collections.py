"""A collection in Chromium, as a reader uses it: file papers from their pages, open the
collection, read the latest day ranked by it (the local judge's model of the collection), each
paper with its reason; at 1,280 and 390 px, with screenshots."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from papersieve.web import collection_rank
from papersieve.web.app import create_app
from tests.browser.conftest import screenshot
from tests.browser.test_browser_reading import WIDTHS, overflow, wider_than_page
from tests.servers.web import serve_in_thread
from tests.test_web_collection_rank import LOW_RANK, low_rank_papers
from tests.webdata import WebData, build_store

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> WebData:
    return build_store(tmp_path_factory.mktemp("collections") / "store.db")


@pytest.fixture(scope="module")
def base_url(data: WebData) -> Iterator[str]:
    collection_rank.forget()
    with serve_in_thread(create_app(data.path, token="")) as url:
        yield url


@pytest.mark.parametrize("width", WIDTHS)
def test_the_day_ranked_by_a_collection_with_reasons(page: Any, base_url: str, data: WebData,
                                                     width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    name = f"Low rank {width}"
    for paper_id in low_rank_papers(data, 0, 4):
        page.goto(f"{base_url}/paper/{paper_id}")
        form = page.locator("form.file")
        form.locator("input[name=collection]").fill(name)
        form.locator("button").click()
        form.locator(".filed a").wait_for(timeout=30_000)
    page.click("nav >> text=Collections")
    page.click(f"text={name}")
    page.wait_for_url("**/collection/*")
    ranked = page.locator("section.ranked ol.collection-ranked > li")
    assert ranked.count() == 30
    assert re.fullmatch(r"\d{4}-\d\d-\d\d, ranked by this collection",
                        page.locator("section.ranked h2").inner_text())
    top = [ranked.nth(i) for i in range(5)]
    titles = [li.locator("a").first.inner_text() for li in top]
    reasons = [li.locator("p.reason").inner_text() for li in top]
    assert all(r.startswith("Matches this collection's words ") for r in reasons), reasons
    on_topic = [LOW_RANK.search(t + " " + r) for t, r in zip(titles, reasons, strict=True)]
    assert sum(map(bool, on_topic)) >= 4, list(zip(titles, reasons, strict=True))
    assert overflow(page) == 0 and not wider_than_page(page)
    assert not page.console_errors
    screenshot(page, f"collection-ranked-{width}")
