"""Email over SMTP: a slim plain-text and HTML body (render/email_body.py), STARTTLS, SSL or no
encryption.

SMTP_USER and SMTP_PASSWORD come from the environment only. A transient failure (a 4xx reply,
a dropped connection) is retried once, after the `SMTP` policy's wait (papersieve.outbound: SMTP
is not HTTP, but its timeout and backoff live in the one table); the error names host, port and
the server's reply, redacted.

Inside `smtp_session()` (a group's run, issue 19) every message goes through one connection per
server and user, opened at the first message and closed at the end; a connection the server
dropped meanwhile (judging the next profile can take minutes) is opened again, and a refused
recipient leaves the connection usable for the next profile.
"""

from __future__ import annotations

import copy
import os
import re
import smtplib
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from papersieve.deliver.unsubscribe import link_problem, unsubscribe_url
from papersieve.errors import DeliveryError
from papersieve.models import Digest
from papersieve.outbound import SMTP
from papersieve.profile.settings import EmailSettings
from papersieve.redact import redact
from papersieve.render.email_body import email_body

TIMEOUT = SMTP.timeout
MAX_BYTES = 95_000
"""The whole message as sent: Gmail clips a message past 102 KB."""


def build_message(digest: Digest, settings: EmailSettings, page_url: str = "",
                  unsubscribe: str = "") -> EmailMessage:
    """The email: subject with the day and pick count, Date and Message-ID (RFC 5322), and a slim
    body (the picks, a link to the full day) in plain text and HTML. `unsubscribe`: the one
    recipient's link, as RFC 8058 one-click headers and at the end of the body."""
    sender = settings.sender or os.environ.get("SMTP_USER") or ""
    if not sender or not settings.to:
        raise DeliveryError("email: set [deliver.email] sender (or SMTP_USER) and to")
    message = EmailMessage()
    count = len(digest.picks)
    message["Subject"] = (f"papersieve: {count} {'paper' if count == 1 else 'papers'} for"
                          f" {digest.date.isoformat()}")
    message["From"] = sender
    message["To"] = ", ".join(settings.to)
    message["Date"] = formatdate(usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "papersieve.invalid"
    profile = re.sub(r"[^A-Za-z0-9-]+", "-", digest.profile)
    message["Message-ID"] = make_msgid(f"papersieve.{profile}.{digest.date}", domain=domain)
    if unsubscribe:
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    keep = len(digest.picks)
    while True:
        body = email_body(digest, page_url, keep, unsubscribe)
        sized = copy.deepcopy(message)  # the headers alone, set above
        sized.set_content(redact(body.text))
        sized.add_alternative(redact(body.html), subtype="html")
        languages = sorted({p.judgement.language for p in digest.picks if p.judgement.language})
        if languages:  # RFC 3282: the comments are in these besides the English headings (set
            # after the body: set_content drops every Content-* header)
            sized["Content-Language"] = ", ".join(["en", *languages])
        if unsubscribe:
            # A long link has no space to fold at: the default 78-column policy would turn the
            # header into an RFC 2047 encoded word, which mail clients do not read as <URL>. The
            # body is already encoded above; only the headers use the RFC 5322 limit of 998.
            sized.policy = sized.policy.clone(max_line_length=998)
        size = len(sized.as_bytes())
        if size <= MAX_BYTES or keep == 0:
            return sized
        keep = min(keep - 1, int(keep * MAX_BYTES / size))


def send_email(digest: Digest, settings: EmailSettings, page_url: str = "",
               retry_delay: float | None = None, *, already: frozenset[str] = frozenset(),
               on_sent: Callable[[str], None] | None = None) -> str:
    """Send the digest (`page_url`: the day's page on the site); returns a one-line summary or
    raises DeliveryError. `retry_delay` replaces the policy's wait before the one retry (tests: 0).

    With unsubscribe links configured (deliver/unsubscribe.py) each recipient gets a message of
    her own, carrying her own link; one refused address does not keep the others' back. Then
    `on_sent` hears of each address as its message is accepted, and the addresses in `already`
    (lower case: an earlier run of the day reached them) are not sent it again."""
    links = {address: unsubscribe_url(digest.profile, address) for address in settings.to}
    if not all(links.values()):
        _deliver(build_message(digest, settings, page_url), settings, retry_delay)
        count = len(settings.to)
        problem = link_problem()
        return (f"sent to {count} recipient{'s' if count != 1 else ''} via"
                f" {settings.host}:{settings.port}"
                + (f" (no unsubscribe link: {problem})" if problem else ""))
    failed = []
    pending = {a: link for a, link in links.items() if a.lower() not in already}
    for address, link in pending.items():
        alone = settings.model_copy(update={"to": (address,)})
        try:
            _deliver(build_message(digest, alone, page_url, link), alone, retry_delay)
        except DeliveryError as err:
            failed.append(f"{address}: {err}")
        else:
            if on_sent is not None:
                on_sent(address)
    if failed:
        raise DeliveryError(f"{len(failed)} of {len(pending)} recipients failed: " + "; ".join(failed))
    each = "one message each, with its own" if len(pending) > 1 else "with its"
    before = f"; {len(links) - len(pending)} reached by an earlier run" if len(pending) < len(links) else ""
    return (f"sent to {len(pending)} recipient{'s' if len(pending) != 1 else ''} via {settings.host}:"
            f"{settings.port} ({each} unsubscribe link{before})")


def _deliver(message: EmailMessage, settings: EmailSettings, retry_delay: float | None) -> None:
    """Send one message; a transient failure is retried once."""
    try:
        _send(message, settings)
    except (smtplib.SMTPServerDisconnected, ConnectionResetError, smtplib.SMTPResponseException) as err:
        if not _transient(err):
            raise _error(settings, err) from err
        time.sleep(SMTP.wait(1, None) if retry_delay is None else retry_delay)
        try:
            _send(message, settings)
        except (smtplib.SMTPException, OSError) as again:
            raise _error(settings, again, retried=True) from again
    except (smtplib.SMTPException, OSError) as err:
        raise _error(settings, err) from err


SessionKey = tuple[str, int, str, str]


class SmtpSession:
    """Open SMTP connections by (host, port, security, SMTP_USER); `opened` counts them."""

    def __init__(self) -> None:
        self.connections: dict[SessionKey, smtplib.SMTP] = {}
        self.opened = 0

    def connection(self, settings: EmailSettings) -> smtplib.SMTP:
        """The open connection for these settings, checked with NOOP; else a new one."""
        key = (settings.host, settings.port, settings.security, os.environ.get("SMTP_USER") or "")
        smtp = self.connections.get(key)
        if smtp is not None:
            try:
                if smtp.noop()[0] == 250:
                    return smtp
            except (smtplib.SMTPException, OSError):
                pass
            self.drop(key)
        smtp = _connect(settings)
        self.connections[key] = smtp
        self.opened += 1
        return smtp

    def drop(self, key: SessionKey) -> None:
        """Forget a connection that failed (closed without a word to the server)."""
        smtp = self.connections.pop(key, None)
        if smtp is not None:
            smtp.close()

    def send(self, message: EmailMessage, settings: EmailSettings) -> None:
        """Send over the pooled connection; one the server dropped is not reused."""
        smtp = self.connection(settings)
        try:
            smtp.send_message(message)
        except smtplib.SMTPResponseException:
            raise  # the server answered (smtplib reset the transaction): the connection is fine
        except (smtplib.SMTPException, OSError):
            self.drop((settings.host, settings.port, settings.security,
                       os.environ.get("SMTP_USER") or ""))
            raise

    def close(self) -> None:
        """QUIT every connection (a server that went away is simply closed)."""
        for key in list(self.connections):
            smtp = self.connections.pop(key)
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


_SESSION: ContextVar[SmtpSession | None] = ContextVar("papersieve_smtp_session", default=None)


@contextmanager
def smtp_session() -> Iterator[SmtpSession]:
    """Every email sent inside shares one connection per server and user (a group's run sends
    one per profile); nested sessions are the outer one."""
    current = _SESSION.get()
    if current is not None:
        yield current
        return
    session = SmtpSession()
    token = _SESSION.set(session)
    try:
        yield session
    finally:
        _SESSION.reset(token)
        session.close()


def _send(message: EmailMessage, settings: EmailSettings) -> None:
    session = _SESSION.get()
    if session is not None:
        session.send(message, settings)
        return
    with _connect(settings) as smtp:
        smtp.send_message(message)


def _connect(settings: EmailSettings) -> smtplib.SMTP:
    """A connection greeted, secured and logged in as the settings and environment say."""
    context = ssl.create_default_context()
    if settings.security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=TIMEOUT,
                                              context=context)
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT)
    try:
        smtp.ehlo()
        if settings.security == "starttls":
            smtp.starttls(context=context)
            smtp.ehlo()
        user, password = os.environ.get("SMTP_USER"), os.environ.get("SMTP_PASSWORD")
        if user and password:
            smtp.login(user, password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def _transient(err: Exception) -> bool:
    if isinstance(err, smtplib.SMTPResponseException):
        return 400 <= err.smtp_code < 500
    return True


def _error(settings: EmailSettings, err: BaseException, retried: bool = False) -> DeliveryError:
    if isinstance(err, smtplib.SMTPResponseException):
        reply = err.smtp_error.decode("utf-8", "replace") if isinstance(err.smtp_error, bytes) \
            else str(err.smtp_error)
        detail = f"{err.smtp_code} {reply}"
    elif isinstance(err, smtplib.SMTPNotSupportedError):
        detail = f"{err} (server does not offer it)"
    else:
        detail = str(err) or type(err).__name__
    after = " after one retry" if retried else ""
    return DeliveryError(redact(f"email via {settings.host}:{settings.port} failed{after}: {detail}"))
