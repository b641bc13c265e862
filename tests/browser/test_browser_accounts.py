"""The group web app in a real headless Chromium (issue 19 item 4): an admin invites a member, the
member signs in, edits her topics with the preview, likes a paper and sees only her profiles;
another member can neither read nor change them (direct URLs and forged POSTs included)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from papersieve.store import open_store
from papersieve.store.profiles import stored_profile
from papersieve.web.app import create_app
from tests.browser.conftest import screenshot
from tests.groupdata import PASSWORDS, SESSION_KEY, GroupData, _copy_run, build_group_store
from tests.servers.web import serve_in_thread
from tests.webdata import DAYS

pytestmark = pytest.mark.browser

LATEST = DAYS[-1].isoformat()
CAROL = "carol-reads-kv-caches"
NEW_TOPICS = ("1. Efficient inference of large language models: KV cache eviction and compression,"
              " quantization, low-rank adaptation.\n")


@pytest.fixture()
def group(tmp_path: Path) -> GroupData:
    return build_group_store(tmp_path / "store.db")


@pytest.fixture()
def base_url(group: GroupData) -> Iterator[str]:
    with serve_in_thread(create_app(group.path, group=True, session_key=SESSION_KEY)) as url:
        yield url


@pytest.fixture()
def other(browser: Any) -> Iterator[Any]:
    """A second browser (own cookies): another member."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    tab = context.new_page()
    tab.console_errors = []
    tab.on("console", lambda m: tab.console_errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: tab.console_errors.append(str(e)))
    try:
        yield tab
    finally:
        context.close()


def sign_in(tab: Any, url: str, name: str, password: str) -> None:
    tab.goto(url + "/")
    tab.wait_for_url(re.compile(r"/login\?next=%2F$"))
    tab.fill("#name", name)
    tab.fill("#password", password)
    tab.click("form.account button[type=submit]")
    tab.wait_for_url(url + "/")


def post_from_page(tab: Any, path: str, fields: dict[str, str], csrf: bool = True) -> int:
    """A POST made by script on the page (what a forged request from it can do): its status."""
    script = """async ([path, fields, csrf]) => {
        const token = JSON.parse(document.body.dataset.hxHeaders)["X-CSRF-Token"];
        const headers = csrf ? {"X-CSRF-Token": token} : {};
        const answer = await fetch(path, {method: "POST", headers, body: new URLSearchParams(fields)});
        return answer.status;
    }"""
    return int(tab.evaluate(script, [path, fields, csrf]))


def test_an_invited_member_edits_likes_and_sees_only_her_profiles(
        page: Any, other: Any, base_url: str, group: GroupData) -> None:
    # The admin signs in and makes an invite link.
    sign_in(page, base_url, "ada", PASSWORDS["ada"])
    page.click("nav a.account")
    page.click("form.invite button[type=submit]")
    link = page.inner_text("#invite-link")
    assert link.startswith(base_url + "/invite/")
    screenshot(page, "group-admin-invite")
    page.click("form.signout button")
    page.wait_for_url(re.compile(r"/login$"))

    # The new member opens it in her own browser and chooses a name and a password.
    other.goto(link)
    assert other.inner_text("h1") == "Join this papersieve"
    other.fill("#name", "carol")
    other.fill("#password", CAROL)
    other.fill("#again", CAROL)
    other.click("form.account button[type=submit]")
    other.wait_for_url(base_url + "/account")
    assert "Signed in as carol" in other.inner_text("main")
    screenshot(other, "group-member-account")
    other.goto(link)  # a link works once
    assert other.inner_text("h1") == "Not found"

    # Her topics, with the preview of the latest stored day, then saved.
    other.goto(base_url + "/account/profile/carol")
    other.locator("#preview h2").wait_for(timeout=60_000)
    other.fill("#topics", NEW_TOPICS)
    other.locator("#preview li.new").first.wait_for(timeout=60_000)
    shown = other.inner_text("#preview")
    assert f"With this text, {LATEST} would have picked" in shown
    assert "cache" in shown.lower() and "new with this text" in shown
    screenshot(other, "group-topics-preview")
    other.click("button.save")
    assert "Saved: the next run uses these topics." in other.inner_text("main")
    with open_store(group.path) as store:
        saved = stored_profile(store, "carol")
        assert saved is not None and saved.files["topics.txt"] == NEW_TOPICS

    # The day's run for her profile (what `papersieve run --all` records), then she signs out
    # and in again, sees her own digest, and likes a paper on it.
    carol_picks = group.web.picks[LATEST][6:9]
    with open_store(group.path) as store:
        carol_run = _copy_run(store, group.web.runs[LATEST], "carol", DAYS[-1], carol_picks)
    other.click("form.signout button")
    other.wait_for_url(re.compile(r"/login$"))
    screenshot(other, "group-sign-in")
    sign_in(other, base_url, "carol", CAROL)
    assert "Profile carol" in other.inner_text("p.summary")
    cards = other.locator("article.paper")
    assert [cards.nth(i).get_attribute("id") for i in range(cards.count())] == [
        f"p-{p}" for p in carol_picks]
    liked = carol_picks[0]
    card = other.locator(f'[id="p-{liked}"]')
    card.locator("button.like").click()
    card.locator('button.like[aria-pressed="true"]').wait_for(timeout=60_000)
    screenshot(other, "group-member-today-liked")
    # Only her profiles: no other profile's link, run or like anywhere she looks.
    assert "Latest of profile" not in other.inner_text("main")
    other.goto(base_url + "/runs")
    runs_text = other.inner_text("main")
    assert "carol" in runs_text and "alice" not in runs_text and "bob" not in runs_text
    other.goto(f"{base_url}/paper/{group.bob_liked}")
    assert "profile bob" not in other.inner_text("main")
    for path in ("/?profile=bob", "/account/profile/bob", f"/run/{group.runs['bob'][LATEST]}"):
        other.goto(base_url + path)
        assert other.inner_text("h1") == "Not found", path
    assert post_from_page(other, "/feedback", {"paper_id": liked, "label": "like",
                                               "profile": "bob"}) == 404
    assert post_from_page(other, "/account/profile/bob", {"topics": "mine"}) == 404

    # Another member cannot read or change carol's.
    sign_in(page, base_url, "alice", PASSWORDS["alice"])
    assert "Profile alice" in page.inner_text("p.summary")
    for path in ("/?profile=carol", "/account/profile/carol", f"/run/{carol_run}",
                 f"/day/{LATEST}?profile=carol", "/teach?profile=carol"):
        page.goto(base_url + path)
        assert page.inner_text("h1") == "Not found", path
    screenshot(page, "group-other-member-refused")
    page.goto(f"{base_url}/paper/{liked}")
    assert page.locator("article.paper button.like").get_attribute("aria-pressed") == "false"
    assert "profile carol" not in page.inner_text("main")
    assert post_from_page(page, "/account/profile/carol", {"topics": "taken over"}) == 404
    assert post_from_page(page, "/account/profile/carol/preview", {"topics": "peek"}) == 404
    assert post_from_page(page, "/feedback", {"paper_id": liked, "label": "dislike",
                                              "profile": "carol"}) == 404
    assert post_from_page(page, "/feedback", {"paper_id": liked, "label": "dislike"},
                          csrf=False) == 403
    with open_store(group.path) as store:
        saved = stored_profile(store, "carol")
        assert saved is not None and saved.files["topics.txt"] == NEW_TOPICS
        rows = store.conn.execute("SELECT profile, label FROM feedback WHERE paper_id = ?",
                                  (liked,)).fetchall()
    assert [tuple(r) for r in rows] == [("carol", 1)]
    assert page.dialogs == []
    # The only errors in the console are the refusals this test asked for.
    refused = re.compile(r"Failed to load resource: the server responded with a status of 40[34] ")
    for tab in (page, other):
        assert [e for e in tab.console_errors if not refused.match(e)] == []
