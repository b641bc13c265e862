"""The unsubscribe link in each email (issue 19): RFC 8058 headers and a link in the body, signed
per profile and address, honoured by `papersieve serve` (a real uvicorn on loopback) and by the
next run, for that address only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from papersieve.deliver.email import send_email
from papersieve.deliver.unsubscribe import read_token, unsubscribe_url
from papersieve.profile.settings import EmailSettings
from papersieve.store import open_store
from papersieve.store.unsubscribes import unsubscribe, unsubscribed
from papersieve.web.app import create_app
from tests.digestfixtures import sample_digest
from tests.servers.feed_server import FeedServer
from tests.servers.smtp_server import SmtpServer
from tests.servers.web import serve_in_thread
from tests.test_group_run import email_toml, feeds, group_of_three, run_cli  # noqa: F401

KEY = "k" * 40
TOKEN = "t" * 43


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch, papersieve_home: Path) -> Iterator[str]:
    """`papersieve serve` with an access token (as on a group's server); the emails' links lead
    to it."""
    monkeypatch.setenv("PAPERSIEVE_UNSUBSCRIBE_KEY", KEY)
    with serve_in_thread(create_app(token=TOKEN)) as url:
        monkeypatch.setenv("PAPERSIEVE_WEB_URL", url)
        yield url


def settings(port: int, *to: str) -> EmailSettings:
    return EmailSettings(enabled=True, host="127.0.0.1", port=port, security="none",
                         sender="papersieve@example.org", to=to)


def test_each_recipient_gets_her_own_one_click_link(web: str) -> None:
    with SmtpServer() as smtp:
        detail = send_email(sample_digest(), settings(smtp.port, "me@example.org", "You@example.org"),
                            retry_delay=0)
    assert detail == (f"sent to 2 recipients via 127.0.0.1:{smtp.port} (one message each, with its"
                      " own unsubscribe link)")
    first, second = smtp.handler.messages
    for i, (message, address) in enumerate(((first, "me@example.org"), (second, "you@example.org"))):
        link = str(message["List-Unsubscribe"]).strip("<>")
        assert link.startswith(f"{web}/unsubscribe/")
        # As sent: the URL in angle brackets on one line (not folded into an RFC 2047 word, which
        # a mail client does not read as a link).
        raw = bytes(smtp.handler.envelopes[i].content)
        assert f"\r\nList-Unsubscribe: <{link}>\r\n".encode() in raw
        assert read_token(link.rsplit("/", 1)[1]) == ("default", address)
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        plain, html = message.get_body(("plain",)), message.get_body(("html",))
        assert plain is not None and html is not None
        assert plain.get_content().replace("\r\n", "\n").endswith(
            f"\nUnsubscribe from these emails: {link}\n")
        assert f'<a href="{link}">Unsubscribe</a>' in html.get_content()
    assert first["To"] == "me@example.org" and second["To"] == "You@example.org"


def test_without_a_key_there_is_no_link(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERSIEVE_WEB_URL", "https://papers.example.org")
    assert unsubscribe_url("alice", "a@example.org") == ""
    with SmtpServer() as smtp:
        send_email(sample_digest(), settings(smtp.port, "a@example.org", "b@example.org"),
                   retry_delay=0)
    [message] = smtp.handler.messages
    assert message["List-Unsubscribe"] is None


def test_the_link_unsubscribes_that_address_from_that_profile_only(
        tmp_path: Path, web: str, feeds: FeedServer) -> None:  # noqa: F811
    with SmtpServer() as smtp:
        group_of_three(tmp_path, {"alice": email_toml(smtp.port, "alice@example.org"),
                                  "bob": email_toml(smtp.port, "bob@example.org"),
                                  "carol": email_toml(smtp.port, "carol@example.org")})
        assert run_cli("run", "--all", "--out", str(tmp_path / "out")).exit_code == 0
        mails = {str(m["To"]): m for m in smtp.handler.messages}
        link = str(mails["alice@example.org"]["List-Unsubscribe"]).strip("<>")
        # What a mail client sends for a one-click unsubscribe: no cookie, no token, no CSRF.
        shown = httpx.get(link)
        assert shown.status_code == 200 and "alice@example.org" in shown.text
        with open_store() as store:
            assert unsubscribed(store, "alice") == frozenset()  # looking is not unsubscribing
        done = httpx.post(link, content=b"List-Unsubscribe=One-Click",
                          headers={"content-type": "application/x-www-form-urlencoded"})
        assert done.status_code == 200, done.text
        assert "alice@example.org gets no more" in done.text
        smtp.handler.messages.clear()
        again = run_cli("run", "--all", "--redeliver", "--out", str(tmp_path / "out"))
    assert again.exit_code == 0, again.output
    assert sorted(str(m["To"]) for m in smtp.handler.messages) == ["bob@example.org",
                                                                   "carol@example.org"]
    assert "Delivery email: skipped (every address unsubscribed" in again.stdout
    with open_store() as store:
        assert unsubscribed(store, "alice") == {"alice@example.org"}
        assert unsubscribed(store, "bob") == frozenset()


def test_a_forged_or_cut_link_changes_nothing(web: str) -> None:
    link = unsubscribe_url("alice", "alice@example.org")
    token = urlsplit(link).path.rsplit("/", 1)[1]
    forged = unsubscribe_url("bob", "alice@example.org").rsplit(".", 1)[0] + "." + token.rsplit(".", 1)[1]
    for bad in (forged, link[:-3], f"{web}/unsubscribe/x"):
        answer = httpx.post(bad, content=b"List-Unsubscribe=One-Click",
                            headers={"content-type": "application/x-www-form-urlencoded"})
        assert answer.status_code == 404 and "not valid" in answer.text
    # The rest of the app still wants its access token.
    assert httpx.get(f"{web}/").status_code == 401
    with open_store() as store:
        assert unsubscribed(store, "alice") == frozenset() == unsubscribed(store, "bob")


def test_an_unsubscribed_address_gets_no_empty_day_word_either(
        tmp_path: Path, feeds: FeedServer) -> None:  # noqa: F811
    with SmtpServer() as smtp:
        both = email_toml(smtp.port, "alice@example.org").replace(
            '"alice@example.org"]', '"alice@example.org", "dan@example.org"]')
        group_of_three(tmp_path, {"alice": "[deliver]\nsend_empty = true\n" + both})
        with open_store() as store:
            unsubscribe(store, "alice", "Alice@example.org")
        feeds.misbehave("cs.LG", "weekend")
        feeds.misbehave("cs.AI", "weekend")
        result = run_cli("run", "--all", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    [message] = smtp.handler.messages
    assert message["To"] == "dan@example.org"
    assert str(message["Subject"]).startswith("papersieve alice, 2025-07-03: no announcement")


def test_a_rerun_after_one_refused_address_sends_only_to_that_address(
        tmp_path: Path, feeds: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """Each recipient gets her own message: when one address is refused, the rerun of the day
    sends the digest to that address alone, not a second time to those who already have it."""
    monkeypatch.setenv("PAPERSIEVE_UNSUBSCRIBE_KEY", KEY)
    monkeypatch.setenv("PAPERSIEVE_WEB_URL", "http://127.0.0.1:9")
    with SmtpServer() as smtp:
        both = email_toml(smtp.port, "alice@example.org").replace(
            '"alice@example.org"]', '"alice@example.org", "dan@example.org"]')
        group_of_three(tmp_path, {"alice": both})
        smtp.handler.refused.add("dan@example.org")
        first = run_cli("run", "--all", "--out", str(tmp_path / "out"))
        assert first.exit_code != 0 and "dan@example.org" in first.output, first.output
        assert [m["To"] for m in smtp.handler.messages] == ["alice@example.org"]
        smtp.handler.refused.clear()
        again = run_cli("run", "--all", "--out", str(tmp_path / "out"))
        assert again.exit_code == 0, again.output
        assert [m["To"] for m in smtp.handler.messages] == ["alice@example.org", "dan@example.org"]
        assert "1 reached by an earlier run" in again.output
        # Asked for, the day goes to everyone again.
        third = run_cli("run", "--all", "--redeliver", "--out", str(tmp_path / "out"))
    assert third.exit_code == 0, third.output
    assert sorted(m["To"] for m in smtp.handler.messages[2:]) == ["alice@example.org", "dan@example.org"]


@pytest.mark.parametrize(("url", "key", "why"), [
    ("", KEY, "PAPERSIEVE_WEB_URL is not set"),
    ("http://127.0.0.1:8000", "", "PAPERSIEVE_UNSUBSCRIBE_KEY is not set"),
    ("papers.lab.example", KEY, "PAPERSIEVE_WEB_URL is not an http(s) address"),
    ("http://127.0.0.1:8000", "short", "PAPERSIEVE_UNSUBSCRIBE_KEY is shorter than 16 characters"),
])
def test_a_half_configured_link_is_named_not_silently_left_out(
        monkeypatch: pytest.MonkeyPatch, url: str, key: str, why: str) -> None:
    # One variable of the two set: the emails went without a link and the run said nothing; a
    # web address without its scheme made a link that led nowhere (session 13's trial).
    monkeypatch.setenv("PAPERSIEVE_WEB_URL", url)
    monkeypatch.setenv("PAPERSIEVE_UNSUBSCRIBE_KEY", key)
    with SmtpServer() as smtp:
        detail = send_email(sample_digest(), settings(smtp.port, "a@example.org"), retry_delay=0)
    assert detail == f"sent to 1 recipient via 127.0.0.1:{smtp.port} (no unsubscribe link: {why})"
    [message] = smtp.handler.messages
    assert message["List-Unsubscribe"] is None
    assert KEY not in detail  # the secret is never shown


def test_neither_variable_is_no_link_and_no_remark(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAPERSIEVE_WEB_URL", raising=False)
    monkeypatch.delenv("PAPERSIEVE_UNSUBSCRIBE_KEY", raising=False)
    with SmtpServer() as smtp:
        detail = send_email(sample_digest(), settings(smtp.port, "a@example.org"), retry_delay=0)
    assert detail == f"sent to 1 recipient via 127.0.0.1:{smtp.port}"
