"""TeX rendered by the vendored KaTeX in Chromium: in the web app (under its CSP) and in a static
site's page opened from disk, at 1,280 and 390 px; hostile text stays text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from papersieve.deliver.files import write_outputs
from papersieve.web.app import create_app
from tests.browser.conftest import screenshot
from tests.digestfixtures import sample_digest
from tests.servers.web import serve_in_thread
from tests.webdata import WebData, build_store

pytestmark = pytest.mark.browser

TEX_PAPER = "2505.20817"  # "Convergence of Clipped-SGD for Convex $(L_0,L_1)$-Smooth Optimization ..."


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> WebData:
    return build_store(tmp_path_factory.mktemp("tex") / "store.db")


@pytest.fixture(scope="module")
def base_url(data: WebData) -> Iterator[str]:
    with serve_in_thread(create_app(data.path, token="")) as url:
        yield url


@pytest.mark.parametrize("width", [1280, 390])
def test_tex_in_a_title_is_rendered_in_the_web_app(page: Any, base_url: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{base_url}/paper/{TEX_PAPER}")
    page.locator("h1 .katex").first.wait_for(timeout=10_000)
    assert "$" not in page.inner_text("h1")
    assert page.locator("h1 .katex-mathml annotation").first.text_content() == "(L_0,L_1)"
    page.evaluate("document.fonts.ready")
    assert page.evaluate("document.fonts.check('16px KaTeX_Main')")
    assert page.console_errors == []
    # Dollar amounts outside paper text are not formulas.
    page.goto(f"{base_url}/runs")
    assert page.locator(".katex").count() == 0 and "$0.42 spent in all" in page.inner_text("main")
    page.goto(f"{base_url}/paper/{TEX_PAPER}")
    screenshot(page, f"tex-web-{width}")


@pytest.mark.parametrize("width", [1280, 390])
def test_tex_in_a_static_page_is_rendered_and_hostile_text_stays_text(page: Any, tmp_path: Path,
                                                                     width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    write_outputs(sample_digest(hostile=True), tmp_path)
    page.goto((tmp_path / "2025-07" / "2025-07-03.html").as_uri())
    page.locator("details summary").nth(1).click()
    page.locator("p.abstract .katex").first.wait_for(timeout=10_000)
    annotations = page.locator("p.abstract .katex-mathml annotation").all_text_contents()
    assert "\\mathcal{O}(n^{2})" in annotations and "a<b" in annotations
    assert page.dialogs == [] and page.evaluate("document.querySelectorAll('img, svg[onload]').length") == 0
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") == 0
    screenshot(page, f"tex-static-{width}")
