"""Likes belong to the profile of the page they were given on (issue 18), in Chromium: likes on
the demo's digest teach the demo's judge, and the served profile's judge learns nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from papersieve.demo import DEMO_DATE, demo_data_dir, run_demo
from papersieve.judges.local import LocalJudge, retrain
from papersieve.judges.local.model.persist import load_model
from papersieve.pipeline import run_day
from papersieve.profile.loader import builtin_profile_dir, load_profile
from papersieve.store import open_store
from papersieve.store.papers import get_papers
from papersieve.web.app import create_app
from tests.servers.web import serve_in_thread

pytestmark = pytest.mark.browser


def test_likes_on_one_profiles_page_do_not_teach_another(page: Any, papersieve_home: Path) -> None:
    mine = load_profile(builtin_profile_dir(), overrides={"judge.kind": "local"})  # "default"
    with open_store() as store:
        run_demo(store)
        run_day(store, mine, DEMO_DATE, offline_dir=demo_data_dir(),
                out_dir=papersieve_home / "out-default", deliver=False)
    with serve_in_thread(create_app(token="", profile=mine)) as url:
        page.goto(url + "/?profile=demo")
        assert "Profile demo" in page.inner_text("p.summary")
        articles = page.locator("article.paper")
        liked = [articles.nth(i).get_attribute("id")[2:] for i in range(3)]  # type: ignore[index]
        for i in range(3):
            articles.nth(i).locator("button.like").click()
            articles.nth(i).locator('button.like[aria-pressed="true"]').wait_for(timeout=60_000)
        # The paper's own page speaks for the served profile: no like there.
        for paper_id in liked:
            page.goto(f"{url}/paper/{paper_id}")
            assert page.locator("article.paper button.like").get_attribute("aria-pressed") == "false"
            assert "liked (from web, profile demo)" in page.inner_text("main")
        assert page.dialogs == []
    with open_store() as store:
        rows = [tuple(r) for r in store.conn.execute("SELECT paper_id, source, profile FROM feedback")]
        assert sorted(rows) == sorted((p, "web", "demo") for p in liked)
        demo_model = load_model(store, "demo")
        assert demo_model is not None and demo_model.meta["feedback_labels"] == 3
        # The served profile's judge did not learn from them (before: feedback was global, and
        # a like on any page retrained the served profile too).
        assert load_model(store, "default") is None
        assert retrain(store, mine).feedback_labels == 0
        papers = list(get_papers(store, liked).values())
        assert LocalJudge(mine, store).judge(papers).notes[0].startswith(
            "local judge: no labelled history yet")
