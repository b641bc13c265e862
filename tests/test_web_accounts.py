"""The group web app's accounts (issue 19 item 4), through Starlette's test client over a real
store: sign-in, sign-out, invites, rate limits, and each member seeing and teaching only her own
profiles (direct URLs and forged POSTs included)."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import click
import httpx
import pytest
from click.testing import CliRunner, Result
from starlette.testclient import TestClient

from papersieve.cli.main import main
from papersieve.errors import ConfigError
from papersieve.store import Store, open_store
from papersieve.store.accounts import add_user, owned_profiles, remove_user, user_named
from papersieve.store.profiles import stored_profile
from papersieve.web.accounts import LoginThrottle, new_invite, session_key_from_env
from papersieve.web.app import create_app
from papersieve.web.collections import all_collections, file_paper
from papersieve.web.security import FailureThrottle
from tests.fakeclock import Clock
from tests.groupdata import PASSWORDS, SESSION_KEY, GroupData, build_group_store
from tests.test_web_serve import free_port
from tests.webdata import DAYS

BASE = "http://127.0.0.1:8000"
LATEST = DAYS[-1].isoformat()


@pytest.fixture(scope="module")
def group(tmp_path_factory: pytest.TempPathFactory) -> GroupData:
    return build_group_store(tmp_path_factory.mktemp("group") / "store.db")


@pytest.fixture()
def app_client(group: GroupData) -> Iterator[TestClient]:
    with TestClient(create_app(group.path, group=True, session_key=SESSION_KEY),
                    base_url=BASE) as test_client:
        yield test_client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


def sign_in(client: TestClient, name: str, password: str | None = None) -> str:
    """Sign in through the form; returns the session's CSRF token."""
    csrf = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"name": name, "password": password or PASSWORDS[name],
                                         "csrf_token": csrf, "next": "/"}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return csrf


def article_ids(html: str) -> list[str]:
    return re.findall(r'<article class="paper[^"]*" id="p-([^"]+)"', html)


def feedback_of(group: GroupData, profile: str) -> list[tuple[str, int]]:
    with open_store(group.path) as store:
        rows = store.conn.execute("SELECT paper_id, label FROM feedback WHERE profile = ?"
                                  " ORDER BY id", (profile,)).fetchall()
    return [(str(r[0]), int(r[1])) for r in rows]


def topics_of(group: GroupData, profile: str) -> tuple[str, int]:
    with open_store(group.path) as store:
        found = stored_profile(store, profile)
    assert found is not None
    return found.files["topics.txt"], found.revision


def test_a_visitor_without_a_session_sees_only_the_sign_in_page(app_client: TestClient) -> None:
    for path in ("/", f"/day/{LATEST}", "/archive", "/runs", "/search?q=learning", "/account",
                 "/account/profile/alice", "/teach", "/collections"):
        answer = app_client.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/login?next="), path
    assert app_client.get("/login").status_code == 200
    assert app_client.get("/static/papersieve.css").status_code == 200
    csrf = csrf_of(app_client.get("/login").text)
    forged = app_client.post("/feedback", data={"paper_id": "2505.21073", "label": "like",
                                                "profile": "alice", "csrf_token": csrf})
    assert forged.status_code == 401


def test_a_wrong_password_or_name_is_refused_with_one_message(app_client: TestClient) -> None:
    csrf = csrf_of(app_client.get("/login").text)
    for name, password in (("alice", "not-her-password"), ("nobody", "whatever-password")):
        answer = app_client.post("/login", data={"name": name, "password": password,
                                                 "csrf_token": csrf})
        assert answer.status_code == 401
        assert "Wrong name or password." in answer.text
    assert app_client.get("/", follow_redirects=False).status_code == 303


def test_sign_in_goes_back_to_the_page_asked_for_and_never_off_site(app_client: TestClient) -> None:
    csrf = csrf_of(app_client.get("/login").text)
    for target, landing in (("/archive", "/archive"), ("//evil.example/", "/"),
                            ("https://evil.example/", "/")):
        answer = app_client.post("/login", data={"name": "alice", "password": PASSWORDS["alice"],
                                                 "csrf_token": csrf, "next": target},
                                 follow_redirects=False)
        assert answer.headers["location"] == landing


def test_sign_in_attempts_are_rate_limited(group: GroupData) -> None:
    clock = Clock(1000.0)
    app = create_app(group.path, group=True, session_key=SESSION_KEY)
    app.state.login_throttle = LoginThrottle(FailureThrottle(limit=5, window=60.0, clock=clock))
    with TestClient(app, base_url=BASE) as client:
        csrf = csrf_of(client.get("/login").text)
        for _ in range(5):
            wrong = client.post("/login", data={"name": "bob", "password": "guess-guess-guess",
                                                "csrf_token": csrf})
            assert wrong.status_code == 401
        # The sixth try is refused before the password is even looked at, the right one too.
        held = client.post("/login", data={"name": "bob", "password": PASSWORDS["bob"],
                                           "csrf_token": csrf}, follow_redirects=False)
        assert held.status_code == 429 and held.headers["retry-after"] == "60"
        assert "Too many failed sign-ins" in held.text
        clock.now += 61
        sign_in(client, "bob")
        assert client.get("/").status_code == 200


def test_sign_out_ends_the_session_and_every_copy_of_its_cookie(app_client: TestClient,
                                                                 group: GroupData) -> None:
    csrf = sign_in(app_client, "alice")
    copy = dict(app_client.cookies)
    assert app_client.get("/").status_code == 200
    # Without the CSRF token a page elsewhere cannot sign her out.
    assert app_client.post("/logout").status_code == 403
    answer = app_client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert app_client.get("/", follow_redirects=False).status_code == 303
    with TestClient(create_app(group.path, group=True, session_key=SESSION_KEY),
                    base_url=BASE, cookies=copy) as replay:
        assert replay.get("/", follow_redirects=False).status_code == 303


def test_a_member_sees_only_her_own_profiles(app_client: TestClient, group: GroupData) -> None:
    sign_in(app_client, "alice")
    today = app_client.get("/")
    assert today.status_code == 200
    assert "Profile <b>alice</b>" in today.text
    assert article_ids(today.text) == group.picks["alice"]
    assert "bob" not in today.text and "default" not in today.text
    teach = app_client.get("/teach")
    assert teach.status_code == 200 and "Profile <b>alice</b>" in teach.text
    runs = app_client.get("/runs").text
    assert "alice" in runs and "bob" not in runs and ">default<" not in runs
    archive = app_client.get("/archive").text
    assert f"/run/{group.runs['alice'][LATEST]}" in archive
    assert f"/run/{group.runs['bob'][LATEST]}" not in archive
    assert f"/run/{group.web.runs[LATEST]}" not in archive
    # bob's like and his days are not shown on the paper's page, in search or in its labels.
    liked = group.bob_liked
    paper = app_client.get(f"/paper/{liked}").text
    assert "profile bob" not in paper and "liked (from web" not in paper
    assert "Off topic." not in paper  # the default profile's judgement of it
    found = app_client.get("/search", params={"q": "", "liked": "1"}).text
    assert liked not in article_ids(found)
    picked = app_client.get("/search", params={"picked": "1", "from": LATEST, "to": LATEST}).text
    assert set(re.findall(r'id="p-([^"]+)"', picked)) == set(group.picks["alice"])


@pytest.mark.parametrize("path", [
    "/?profile=bob", f"/day/{LATEST}?profile=bob", "/teach?profile=bob",
    "/account/profile/bob", "/account/profile/default",
])
def test_another_members_pages_are_not_found(app_client: TestClient, group: GroupData,
                                             path: str) -> None:
    sign_in(app_client, "alice")
    assert app_client.get(path).status_code == 404
    for run_id in (group.runs["bob"][LATEST], group.web.runs[LATEST]):
        assert app_client.get(f"/run/{run_id}").status_code == 404


def test_forged_posts_cannot_teach_or_edit_another_members_profile(app_client: TestClient,
                                                                   group: GroupData) -> None:
    csrf = sign_in(app_client, "alice")
    before_topics = topics_of(group, "bob")
    before_likes = feedback_of(group, "bob")
    paper = group.picks["bob"][1]
    like = app_client.post("/feedback", data={"paper_id": paper, "label": "like", "profile": "bob",
                                              "csrf_token": csrf})
    assert like.status_code == 404
    edit = app_client.post("/account/profile/bob", data={"topics": "Mine now.", "csrf_token": csrf})
    assert edit.status_code == 404
    preview = app_client.post("/account/profile/bob/preview",
                              data={"topics": "Mine now.", "csrf_token": csrf})
    assert preview.status_code == 404
    # Her own profile without the CSRF token, or from another site, is refused too.
    no_token = app_client.post("/account/profile/alice", data={"topics": "Forged."})
    assert no_token.status_code == 403
    cross = app_client.post("/account/profile/alice", data={"topics": "Forged.", "csrf_token": csrf},
                            headers={"origin": "http://evil.example"})
    assert cross.status_code == 403
    assert topics_of(group, "bob") == before_topics
    assert feedback_of(group, "bob") == before_likes
    assert "Forged." not in topics_of(group, "alice")[0]


def test_a_member_likes_a_paper_for_her_own_profile(app_client: TestClient, group: GroupData) -> None:
    csrf = sign_in(app_client, "bob")
    paper = group.picks["bob"][2]
    answer = app_client.post("/feedback", data={"paper_id": paper, "label": "like",
                                                "csrf_token": csrf}, follow_redirects=False)
    assert answer.status_code == 303
    assert (paper, 1) in feedback_of(group, "bob")
    assert all(p != paper for p, _ in feedback_of(group, "alice"))


def test_editing_topics_previews_the_latest_day_then_saves(app_client: TestClient,
                                                           group: GroupData) -> None:
    csrf = sign_in(app_client, "alice")
    text, revision = topics_of(group, "alice")
    editor = app_client.get("/account/profile/alice")
    assert editor.status_code == 200 and "topics.txt" in editor.text
    with open_store(group.path) as store:
        counts = [store.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                  for t in ("runs", "judgements", "run_candidates")]
    new_text = ("1. Efficient inference of large language models: KV cache eviction and"
                " compression, quantization, low-rank adaptation.\n")
    preview = app_client.post("/account/profile/alice/preview",
                              data={"topics": new_text, "csrf_token": csrf})
    assert preview.status_code == 200
    assert f"With this text, {LATEST} would have picked" in preview.text
    picked = re.findall(r'<li class="(?:new|kept)" data-id="([^"]+)"><a href="/paper/[^"]+">([^<]+)',
                        preview.text)
    assert picked, preview.text
    titles = " ".join(title.lower() for _, title in picked)
    assert "cache" in titles and "quantization" in titles and "low-rank" in titles
    with open_store(group.path) as store:
        assert counts == [store.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                          for t in ("runs", "judgements", "run_candidates")]
    assert topics_of(group, "alice") == (text, revision)  # a preview saves nothing
    empty = app_client.post("/account/profile/alice", data={"topics": "  \n", "csrf_token": csrf})
    assert empty.status_code == 400 and "prompt file is empty" in empty.text
    assert topics_of(group, "alice") == (text, revision)
    saved = app_client.post("/account/profile/alice", data={"topics": new_text, "csrf_token": csrf})
    assert saved.status_code == 200 and "Saved" in saved.text
    assert topics_of(group, "alice") == (new_text, revision + 1)


def invite_link(client: TestClient) -> str:
    page = client.get("/account").text
    made = client.post("/account/invite", data={"hours": "24", "csrf_token": csrf_of(page)})
    assert made.status_code == 200
    match = re.search(r'<code id="invite-link">http://127\.0\.0\.1:8000(/invite/[^<]+)</code>',
                      made.text)
    assert match, made.text
    return match.group(1)


def join(client: TestClient, link: str, name: str, password: str) -> int:
    csrf = csrf_of(client.get("/login").text)
    answer = client.post(link, data={"name": name, "password": password, "again": password,
                                     "csrf_token": csrf}, follow_redirects=False)
    return answer.status_code


def test_an_invite_link_works_once(group: GroupData) -> None:
    app = create_app(group.path, group=True, session_key=SESSION_KEY)
    with TestClient(app, base_url=BASE) as admin, TestClient(app, base_url=BASE) as carol, \
            TestClient(app, base_url=BASE) as mallory:
        sign_in(admin, "ada")
        link = invite_link(admin)
        assert carol.get(link).status_code == 200
        assert join(carol, link, "carol", "carol-password-1") == 303
        assert carol.get("/").status_code == 200  # signed in at once
        assert "carol" in carol.get("/account").text
        # The same link a second time: refused, and no account made.
        assert mallory.get(link).status_code == 404
        assert join(mallory, link, "mallory", "mallory-password") == 404
        with open_store(group.path) as store:
            assert user_named(store, "mallory") is None
            carol_user = user_named(store, "carol")
            assert carol_user is not None and not carol_user.is_admin
            assert owned_profiles(store, carol_user.id) == ("carol",)
            assert stored_profile(store, "carol") is not None
        assert "by carol" in admin.get("/account").text


def test_an_expired_invite_link_is_refused(group: GroupData) -> None:
    with open_store(group.path) as store:
        secret = new_invite(store, None, hours=1,
                            now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))
    with TestClient(create_app(group.path, group=True, session_key=SESSION_KEY),
                    base_url=BASE) as client:
        assert client.get(f"/invite/{secret}").status_code == 404
        assert join(client, f"/invite/{secret}", "late", "late-password-1") == 404
        assert client.get("/invite/made-up-secret").status_code == 404


def test_a_bad_name_or_password_keeps_the_invite(group: GroupData) -> None:
    with open_store(group.path) as store:
        secret = new_invite(store, None)
    with TestClient(create_app(group.path, group=True, session_key=SESSION_KEY),
                    base_url=BASE) as client:
        link = f"/invite/{secret}"
        assert join(client, link, "alice", "long-enough-pass") == 400  # taken
        assert join(client, link, "default", "long-enough-pass") == 400  # a profile's name
        assert join(client, link, "../up", "long-enough-pass") == 400
        assert join(client, link, "dave", "short") == 400
        assert join(client, link, "dave", "long-enough-pass") == 303


def test_only_an_admin_invites(app_client: TestClient) -> None:
    csrf = sign_in(app_client, "alice")
    assert "Invite a member" not in app_client.get("/account").text
    assert app_client.post("/account/invite", data={"csrf_token": csrf}).status_code == 403


def test_passwords_and_invite_secrets_are_never_stored(group: GroupData) -> None:
    with open_store(group.path) as store:
        secret = new_invite(store, None)
        hashes = [r[0] for r in store.conn.execute("SELECT password_hash FROM users")]
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    raw = b"".join(p.read_bytes() for p in group.path.parent.glob(group.path.name + "*"))
    for text in (*PASSWORDS.values(), secret):
        assert text.encode() not in raw


def test_the_single_user_app_has_no_accounts(group: GroupData) -> None:
    with TestClient(create_app(group.path, token=""), base_url=BASE) as client:
        assert client.get("/login").status_code == 404
        assert client.get("/").status_code == 200


def test_a_weak_session_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERSIEVE_SESSION_KEY", "short")
    with pytest.raises(ConfigError, match="PAPERSIEVE_SESSION_KEY is too weak"):
        session_key_from_env()
    monkeypatch.setenv("PAPERSIEVE_SESSION_KEY", SESSION_KEY.decode())
    assert session_key_from_env() == SESSION_KEY


def test_user_commands_and_serve_group_without_an_admin(monkeypatch: pytest.MonkeyPatch,
                                                        papersieve_home: Path) -> None:
    refused = papersieve("serve", "--group", "--port", "0")
    assert refused.exit_code == 2
    assert refused.output == ("error: the group app has no admin yet: create one with"
                              " `papersieve user add --admin NAME`, then start it again\n")
    monkeypatch.setenv("PAPERSIEVE_USER_PASSWORD", "admin-password-42")
    made = papersieve("user", "add", "--admin", "root")
    assert made.exit_code == 0, made.output
    assert made.output == "Created admin root, owning profile root\n"
    listed = papersieve("user", "list")
    assert listed.output.startswith("root\tadmin\troot\t")
    assert "argon2" not in listed.output and "admin-password-42" not in listed.output
    again = papersieve("user", "add", "ROOT")
    assert again.exit_code == 2 and "taken" in again.output
    assert papersieve("user", "remove", "root").exit_code == 0
    assert papersieve("user", "list").output.startswith("No accounts")


def papersieve(*args: str) -> Result:
    """The CLI as a user runs it: errors become one line and exit code 2."""
    return CliRunner().invoke(click.Command("papersieve", callback=lambda: main(list(args))), [])


def test_topics_from_a_browser_are_saved_with_plain_newlines(app_client: TestClient,
                                                              group: GroupData) -> None:
    """A browser sends a textarea's lines joined by CRLF: topics.txt got `\\r\\n` line ends."""
    csrf = sign_in(app_client, "bob")
    sent = "1. Graph neural networks.\r\n2. Molecules.\r\n"
    saved = app_client.post("/account/profile/bob", data={"topics": sent, "csrf_token": csrf})
    assert saved.status_code == 200
    assert topics_of(group, "bob")[0] == "1. Graph neural networks.\n2. Molecules.\n"


def test_a_member_files_under_her_own_collections_and_cannot_reach_anothers(
        app_client: TestClient, group: GroupData) -> None:
    """Collections belong to a profile: bob files under his, and alice's are not found for him
    (direct URLs, exports, and a forged filing under her profile)."""
    with open_store(group.path) as store:
        file_paper(store, "alice-reading", group.picks["alice"][0], profile="alice")
    csrf = sign_in(app_client, "bob")
    assert 'href="/collections"' in app_client.get("/").text
    for path in ("/collections?profile=alice", "/collection/alice-reading?profile=alice",
                 "/collection/alice-reading/bibtex?profile=alice", "/likes/bibtex?profile=alice"):
        assert app_client.get(path).status_code == 404, path
    index = app_client.get("/collections")
    assert index.status_code == 200 and "alice-reading" not in index.text
    forged = app_client.post("/collections/file", data={
        "paper_id": group.picks["alice"][1], "collection": "alice-reading", "profile": "alice",
        "csrf_token": csrf})
    assert forged.status_code == 404
    filed = app_client.post("/collections/file", data={
        "paper_id": group.picks["bob"][0], "collection": "bobs", "profile": "bob",
        "csrf_token": csrf})
    assert filed.status_code in (200, 303)
    with open_store(group.path) as store:
        assert [c.name for c in all_collections(store, "alice")] == ["alice-reading"]
        assert [c.name for c in all_collections(store, "bob")] == ["bobs"]
    likes = app_client.get("/likes/bibtex")
    assert likes.status_code == 200 and group.bob_liked in likes.text


def test_a_session_cookie_signed_with_another_key_is_no_session(group: GroupData) -> None:
    """A cookie is only as good as its signature: one made with another key signs no one in."""
    other_key = b"another-key-Zx9Qw3rTy7uIo9pAsDfGhJkL"
    with TestClient(create_app(group.path, group=True, session_key=other_key),
                    base_url=BASE) as elsewhere:
        sign_in(elsewhere, "alice")
        forged = dict(elsewhere.cookies)
    with TestClient(create_app(group.path, group=True, session_key=SESSION_KEY),
                    base_url=BASE, cookies=forged) as client:
        assert client.get("/", follow_redirects=False).status_code == 303


def test_serve_group_as_a_user_runs_it(papersieve_home: Path) -> None:
    """A real `papersieve serve --group` process: sign-in page, a member's page after it."""
    env = {**os.environ, "PAPERSIEVE_HOME": str(papersieve_home),
           "PAPERSIEVE_USER_PASSWORD": "admin-password-42"}
    env.pop("PAPERSIEVE_SESSION_KEY", None)
    made = subprocess.run([sys.executable, "-m", "papersieve", "user", "add", "--admin", "ada"],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert made.returncode == 0, made.stderr
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "papersieve", "serve", "--group", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=url, timeout=30) as http:
            first = _first_answer(http, process)
            assert first.status_code == 303 and first.headers["location"] == "/login?next=%2F"
            csrf = csrf_of(http.get("/login").text)
            signed = http.post("/login", data={"name": "ada", "password": "admin-password-42",
                                               "csrf_token": csrf})
            assert signed.status_code == 303
            account = http.get("/account")
            assert account.status_code == 200 and "Signed in as <b>ada</b> (admin)" in account.text
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    assert f"papersieve web app on http://127.0.0.1:{port}/" in out
    assert err.strip() == ("note: PAPERSIEVE_SESSION_KEY is not set: sessions end when the app"
                           " restarts")
    assert "admin-password-42" not in out + err


def _first_answer(http: httpx.Client, process: subprocess.Popen[str]) -> httpx.Response:
    deadline = time.monotonic() + 60
    while True:
        try:
            return http.get("/")
        except httpx.TransportError:
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "papersieve serve --group did not start"
            time.sleep(0.1)


def test_a_user_name_is_the_same_user_in_any_case(store: Store) -> None:
    """SQLite's users.name is COLLATE NOCASE; on PostgreSQL, which compares text exactly, 'ADA'
    found nobody and a second 'ada' could be added (found in the PostgreSQL pass, issue 20)."""
    add_user(store, "Ada", "hash", profiles=("default",))
    assert (user_named(store, "ADA") or pytest.fail("no user ADA")).name == "Ada"
    with pytest.raises(ConfigError, match="the name 'ada' is taken"):
        add_user(store, "ada", "other")
    assert remove_user(store, "aDa") and user_named(store, "Ada") is None
