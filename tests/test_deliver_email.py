"""Email as a real SMTP server (aiosmtpd on loopback) receives it."""

from __future__ import annotations

from pathlib import Path

import pytest

from papersieve.deliver.email import send_email
from papersieve.errors import DeliveryError
from papersieve.profile.settings import EmailSettings
from papersieve.render.markdown import render_markdown
from tests.digestfixtures import HOSTILE_TITLE, sample_digest
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
    # SMTP carries CRLF line ends; the text is otherwise the Markdown digest, whole.
    assert plain.get_content().replace("\r\n", "\n") == render_markdown(digest) + "\n"
    page = html.get_content()
    assert "&lt;script&gt;" in page and "<script>" not in page
    assert HOSTILE_TITLE not in page
    assert "<nav>" not in page  # no site links without a site
    assert PASSWORD not in message.as_string()


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
