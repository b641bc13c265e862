"""Landmarks, headings, labels and the favicon, on the web app's pages and the static site's."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.testclient import TestClient

from papersieve.web.app import create_app
from tests.conftest import REPO
from tests.webdata import DAYS, build_store

BASE = "http://127.0.0.1:8000"


def test_pages_have_one_h1_a_main_labelled_fields_and_a_favicon(tmp_path: Path) -> None:
    data = build_store(tmp_path / "store.db", hostile=False)
    paper = data.picks[DAYS[0].isoformat()][0]
    with TestClient(create_app(data.path, token=""), base_url=BASE) as client:
        pages = {p: client.get(p).text for p in ("/", "/runs", "/archive", "/search?q=learning",
                                                  f"/paper/{paper}")}
        icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    for path, html in pages.items():
        assert html.count("<h1") == 1, path
        assert html.count("<main>") == 1, path
        assert '<link rel="icon" href="/static/favicon.svg"' in html
        assert " hx-" not in html, path  # htmx's attributes as data-hx-*: valid HTML
        labelled = set(re.findall(r'<label for="([^"]+)"', html))
        for tag in re.findall(r"<(?:input|select)\b[^>]*>", html):
            if 'type="hidden"' in tag:
                continue
            field_id = re.search(r'id="([^"]+)"', tag)
            wrapped = field_id is None  # the others sit inside their <label>
            assert wrapped or field_id.group(1) in labelled, (path, tag)  # type: ignore[union-attr]
    assert re.search(r'<h1 class="title"><a class="tex" href="/paper/[^"]+">', pages[f"/paper/{paper}"])


def test_static_pages_have_a_main_and_ask_for_no_favicon() -> None:
    for page in (REPO / "tests" / "golden").glob("*.html"):
        html = page.read_text("utf-8")
        assert html.count("<main>") == 1 and '<link rel="icon" href="data:,">' in html, page.name
