"""A new user's path: `papersieve demo`, then the web app on the demo's store, in Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from papersieve.store import open_store
from papersieve.web.app import create_app
from tests.browser.conftest import screenshot
from tests.servers.web import serve_in_thread

pytestmark = pytest.mark.browser


def run_demo(home: Path) -> None:
    """`papersieve demo` exactly as a user runs it (a separate process, offline, no key)."""
    result = subprocess.run(
        [sys.executable, "-m", "papersieve", "demo"], capture_output=True, text=True, timeout=240,
        check=False, env={**os.environ, "PAPERSIEVE_HOME": str(home)},
    )
    assert result.returncode == 0, result.stderr


def test_demo_then_read_search_and_like(page: Any, papersieve_home: Path) -> None:
    run_demo(papersieve_home)
    with open_store() as store:
        picks = [r[0] for r in store.conn.execute(
            "SELECT paper_id FROM run_candidates WHERE picked = 1 ORDER BY rank"
        )]
    assert picks, "the demo picked nothing"
    with serve_in_thread(create_app(token="")) as url:
        page.goto(url + "/")
        assert page.inner_text("h1") == "Latest digest: 2025-07-03"
        assert page.locator("article.paper").count() == len(picks)
        first = page.locator("article.paper").first
        assert first.get_attribute("id") == f"p-{picks[0]}"
        first.locator("details.abstract summary").click()
        assert first.locator("details.abstract p").first.is_visible()
        screenshot(page, "demo-today")

        first.locator("button.like").click()
        first.locator('button.like[aria-pressed="true"]').wait_for(timeout=30_000)
        with open_store() as store:
            label = store.conn.execute(
                "SELECT label, source FROM feedback WHERE paper_id = ? ORDER BY id DESC LIMIT 1",
                (picks[0],),
            ).fetchone()
        assert tuple(label) == (1, "web")

        page.fill("form.quick input[name=q]", "reinforcement learning")
        page.press("form.quick input[name=q]", "Enter")
        page.wait_for_url("**/search?q=*")
        assert int(page.inner_text("b.nresults")) > 0
        screenshot(page, "demo-search")
        page.goto(url + "/archive")
        assert "2025-07-03" in page.inner_text("section.month")
        assert page.dialogs == []
