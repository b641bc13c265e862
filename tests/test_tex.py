"""TeX in titles and abstracts: KaTeX (vendored, papersieve/data/katex) is served by the web app
from its own origin, allowed by its CSP, and copied beside a static site's pages; the Markdown
digest keeps the text as arXiv gave it. The rendering itself is checked in Chromium
(tests/browser/test_browser_tex.py)."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from papersieve.deliver.files import write_outputs
from papersieve.render.html import KATEX, katex_files
from papersieve.render.markdown import render_markdown
from papersieve.web.app import create_app
from tests.digestfixtures import HOSTILE_ABSTRACT, sample_digest
from tests.webdata import build_store

BASE = "http://127.0.0.1:8000"


def test_katex_is_vendored_whole_and_small() -> None:
    names = {p.as_posix() for p in katex_files()}
    assert {"katex.min.js", "katex.min.css", "contrib/auto-render.min.js", "papersieve-tex.js",
            "LICENSE", "fonts/KaTeX_Main-Regular.woff2"} <= names
    css = (KATEX / "katex.min.css").read_text("utf-8")
    # Every woff2 font the stylesheet names is here; no other format is shipped.
    wanted = {part.split(")")[0] for part in css.split("url(")[1:] if ".woff2" in part.split(")")[0]}
    assert wanted and all((KATEX / name).is_file() for name in wanted)
    assert not [n for n in names if n.endswith((".woff", ".ttf"))]
    assert sum((KATEX / n).stat().st_size for n in names) < 700_000
    assert "MIT License" in (KATEX / "LICENSE").read_text("utf-8")


def test_the_web_app_serves_katex_and_its_csp_allows_it(tmp_path: Path) -> None:
    data = build_store(tmp_path / "store.db", hostile=False)
    with TestClient(create_app(data.path, token=""), base_url=BASE) as client:
        page = client.get("/paper/2505.20817")
        for name in ("katex.min.js", "katex.min.css", "contrib/auto-render.min.js", "papersieve-tex.js",
                     "fonts/KaTeX_Main-Regular.woff2"):
            assert client.get(f"/static/katex/{name}").status_code == 200, name
    csp = page.headers["content-security-policy"]
    assert "font-src 'self'" in csp and "script-src 'self'" in csp and "unsafe" not in csp
    title = "Convergence of Clipped-SGD for Convex $(L_0,L_1)$"
    assert f'<a class="tex" href="/paper/2505.20817">{title}' in page.text


def test_a_static_site_gets_katex_and_markdown_keeps_raw_tex(tmp_path: Path) -> None:
    digest = sample_digest(hostile=True)
    write_outputs(digest, tmp_path)
    page = (tmp_path / "2025-07" / "2025-07-03.html").read_text("utf-8")
    assert '<script src="../static/katex/katex.min.js" defer></script>' in page
    assert (tmp_path / "static" / "katex" / "contrib" / "auto-render.min.js").is_file()
    assert "$\\mathcal{O}(n^{2})$" in render_markdown(digest)
    assert HOSTILE_ABSTRACT.split(" <b>")[0] in render_markdown(digest)
