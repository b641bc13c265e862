"""Email as a real SMTP server (aiosmtpd on loopback) receives it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from papersieve.deliver.email import MAX_BYTES, build_message, send_email
from papersieve.errors import DeliveryError
from papersieve.profile.settings import EmailSettings
from papersieve.render.email_body import email_body
from tests.digestfixtures import HOSTILE_TITLE, sample_digest
from tests.labelled_digest import LARGEST_DAY, labelled_digest
from tests.servers.smtp_server import PASSWORD, USER, SmtpServer


def settings(port: int, security: str = "none") -> EmailSettings:
    return EmailSettings(enabled=True, host="127.0.0.1", port=port, security=security,  # type: ignore[arg-type]
                         sender="papersieve@example.org", to=("me@example.org", "you@example.org"))


def test_message_arrives_with_plain_text_and_html_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    digest = sample_digest(hostile=True)
    with SmtpServer(auth=True) as smtp:
        monkeypatch.setenv("SMTP_USER", USER)
        monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
        detail = send_email(digest, settings(smtp.port))
    assert detail == f"sent to 2 recipients via 127.0.0.1:{smtp.port}"
    assert smtp.handler.logins == [USER]
    [message] = smtp.handler.messages
    assert message["Subject"] == "papersieve: 2 papers for 2025-07-03"
    assert message["To"] == "me@example.org, you@example.org"
    assert smtp.handler.envelopes[0].rcpt_tos == ["me@example.org", "you@example.org"]
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    # SMTP carries CRLF line ends; the text is otherwise the slim body, whole.
    assert plain.get_content().replace("\r\n", "\n") == email_body(digest).text
    page = html.get_content()
    assert "&lt;script&gt;" in page and "<script>" not in page
    assert HOSTILE_TITLE not in page
    assert "<nav>" not in page  # no site links without a site
    assert PASSWORD not in message.as_string()


def test_the_message_has_date_and_message_id_headers() -> None:
    """RFC 5322 requires Date; without Message-ID receivers make one up and threads break."""
    with SmtpServer() as smtp:
        send_email(sample_digest(), settings(smtp.port), retry_delay=0)
    [message] = smtp.handler.messages
    sent = parsedate_to_datetime(str(message["Date"]))
    assert sent.tzinfo is not None and abs(sent - dt.datetime.now(dt.UTC)) < dt.timedelta(hours=1)
    assert re.fullmatch(r"<[^@<>\s]+\.papersieve\.default\.2025-07-03@example\.org>",
                        str(message["Message-ID"])), message["Message-ID"]


def test_the_largest_real_day_is_a_slim_email_under_100_kb() -> None:
    """2025-05-27 (817 candidates, 84 picks): the day's whole page made a 512 KB message (Gmail
    clips past 102 KB). The email now holds the picks and a link to the full day."""
    digest = labelled_digest()
    page_url = f"https://me.github.io/papers/2025-05/{LARGEST_DAY}.html"
    with SmtpServer() as smtp:
        send_email(digest, settings(smtp.port), page_url, retry_delay=0)
    [message] = smtp.handler.messages
    assert len(message.as_bytes()) < 100_000
    html = message.get_body(("html",))
    plain = message.get_body(("plain",))
    assert html is not None and plain is not None
    page, text = html.get_content(), plain.get_content()
    assert len(digest.picks) == 84
    for i, pick in enumerate(digest.picks, 1):
        assert f'{i}. <a href="{pick.paper.abs_url}">' in page
        assert f"\n{i}. " in text and pick.paper.abs_url in text
    assert f'<a href="{page_url}">the full day</a>' in page and f"The full day: {page_url}" in text
    assert "Every candidate" in page and "All 817 candidates" not in page
    assert pick.paper.abstract[:80] not in page + text  # abstracts are on the day's page


def test_a_day_too_large_for_the_limit_ends_with_the_rest_on_the_page() -> None:
    base = labelled_digest()
    digest = dataclasses.replace(base, picks=base.picks * 12)  # 1,008 picks
    message = build_message(digest, settings(25), "https://x.org/day.html")
    assert len(message.as_bytes()) <= MAX_BYTES
    plain = message.get_body(("plain",))
    assert plain is not None
    text = plain.get_content().replace("\r\n", "\n")
    more = re.search(r"…and (\d+) more: https://x.org/day.html\n$", text)
    assert more and int(more.group(1)) > 0
    assert text.count("\n   Relevance ") + int(more.group(1)) == 1008


def test_a_transient_reply_is_retried_once() -> None:
    with SmtpServer() as smtp:
        smtp.handler.replies.append("451 4.3.0 Try again later")
        send_email(sample_digest(), settings(smtp.port), retry_delay=0)
    assert len(smtp.handler.messages) == 1


def test_a_second_transient_failure_names_host_port_and_reply() -> None:
    with SmtpServer() as smtp:
        smtp.handler.replies.extend(["451 4.3.0 Try again later", "452 4.3.1 Out of memory"])
        with pytest.raises(DeliveryError) as caught:
            send_email(sample_digest(), settings(smtp.port), retry_delay=0)
    assert str(caught.value) == (f"email via 127.0.0.1:{smtp.port} failed after one retry:"
                                 " 452 4.3.1 Out of memory")
    assert smtp.handler.messages == []


def test_a_permanent_failure_is_not_retried() -> None:
    with SmtpServer() as smtp:
        smtp.handler.replies.extend(["554 5.7.1 Rejected as spam", "451 never reached"])
        with pytest.raises(DeliveryError, match=rf"127.0.0.1:{smtp.port} failed: 554 5.7.1 Rejected as spam"):
            send_email(sample_digest(), settings(smtp.port), retry_delay=0)
        assert list(smtp.handler.replies) == ["451 never reached"]


def test_starttls_refused_by_the_server_is_a_clear_error() -> None:
    with SmtpServer() as smtp, pytest.raises(DeliveryError,
                                             match=rf"127.0.0.1:{smtp.port} failed: .*STARTTLS"):
        send_email(sample_digest(), settings(smtp.port, "starttls"), retry_delay=0)


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_delivery_verifies_the_server_and_logs_in_over_tls(
        security: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with SmtpServer(auth=True, tls=security, ca_dir=tmp_path) as smtp:  # type: ignore[arg-type]
        assert smtp.ca_file is not None
        monkeypatch.setenv("SSL_CERT_FILE", str(smtp.ca_file))  # trust the test CA, as a user's CA
        monkeypatch.setenv("SMTP_USER", USER)
        monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
        detail = send_email(sample_digest(), settings(smtp.port, security), retry_delay=0)
    assert detail == f"sent to 2 recipients via 127.0.0.1:{smtp.port}"
    # With STARTTLS the server refuses AUTH before TLS (auth_require_tls); with "ssl" nothing
    # but TLS is spoken at all. Either way the login went over the verified channel.
    assert smtp.handler.logins == [USER]
    [message] = smtp.handler.messages
    assert message["Subject"] == "papersieve: 2 papers for 2025-07-03"


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_an_untrusted_certificate_is_refused_with_a_clear_error(
        security: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with SmtpServer(auth=True, tls=security, ca_dir=tmp_path) as smtp:  # type: ignore[arg-type]
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "no-such-ca.pem"))
        monkeypatch.delenv("SSL_CERT_DIR", raising=False)
        monkeypatch.setenv("SMTP_USER", USER)
        monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
        with pytest.raises(DeliveryError, match=rf"127.0.0.1:{smtp.port} failed.*CERTIFICATE_VERIFY_FAILED"):
            send_email(sample_digest(), settings(smtp.port, security), retry_delay=0)
    assert smtp.handler.messages == [] and smtp.handler.logins == []
    assert PASSWORD not in str(smtp.handler.envelopes)


def test_nobody_listening_is_a_clear_error() -> None:
    from tests.servers.smtp_server import free_port

    port = free_port()
    with pytest.raises(DeliveryError, match=rf"email via 127.0.0.1:{port} failed"):
        send_email(sample_digest(), settings(port), retry_delay=0)


def test_a_day_with_one_pick_says_one_paper() -> None:
    # "papersieve: 1 papers for 2025-07-03" / "1 picks of 4 candidates" (session 13's trial: a
    # member judged by a small LLM had one pick).
    full = sample_digest()
    digest = dataclasses.replace(full, picks=full.picks[:1])
    message = build_message(digest, settings(25))
    assert message["Subject"] == "papersieve: 1 paper for 2025-07-03"
    body = email_body(digest)
    assert "\n1 pick of 4 candidates · " in body.text
    assert ">1 pick of 4 candidates · " in body.html
    with SmtpServer() as smtp:
        one = settings(smtp.port).model_copy(update={"to": ("me@example.org",)})
        assert send_email(digest, one, retry_delay=0) == f"sent to 1 recipient via 127.0.0.1:{smtp.port}"
