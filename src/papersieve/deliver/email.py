"""Email over SMTP: a slim plain-text and HTML body (render/email_body.py), STARTTLS, SSL or no
encryption.

SMTP_USER and SMTP_PASSWORD come from the environment only. A transient failure (a 4xx reply,
a dropped connection) is retried once, after the `SMTP` policy's wait (papersieve.outbound: SMTP
is not HTTP, but its timeout and backoff live in the one table); the error names host, port and
the server's reply, redacted.
"""

from __future__ import annotations

import copy
import os
import re
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from papersieve.errors import DeliveryError
from papersieve.models import Digest
from papersieve.outbound import SMTP
from papersieve.profile.settings import EmailSettings
from papersieve.redact import redact
from papersieve.render.email_body import email_body

TIMEOUT = SMTP.timeout
MAX_BYTES = 95_000
"""The whole message as sent: Gmail clips a message past 102 KB."""


def build_message(digest: Digest, settings: EmailSettings, page_url: str = "") -> EmailMessage:
    """The email: subject with the day and pick count, Date and Message-ID (RFC 5322), and a slim
    body (the picks, a link to the full day) in plain text and HTML."""
    sender = settings.sender or os.environ.get("SMTP_USER") or ""
    if not sender or not settings.to:
        raise DeliveryError("email: set [deliver.email] sender (or SMTP_USER) and to")
    message = EmailMessage()
    message["Subject"] = f"papersieve: {len(digest.picks)} papers for {digest.date.isoformat()}"
    message["From"] = sender
    message["To"] = ", ".join(settings.to)
    message["Date"] = formatdate(usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "papersieve.invalid"
    profile = re.sub(r"[^A-Za-z0-9-]+", "-", digest.profile)
    message["Message-ID"] = make_msgid(f"papersieve.{profile}.{digest.date}", domain=domain)
    keep = len(digest.picks)
    while True:
        body = email_body(digest, page_url, keep)
        sized = copy.deepcopy(message)  # the headers alone, set above
        sized.set_content(redact(body.text))
        sized.add_alternative(redact(body.html), subtype="html")
        languages = sorted({p.judgement.language for p in digest.picks if p.judgement.language})
        if languages:  # RFC 3282: the comments are in these besides the English headings (set
            # after the body: set_content drops every Content-* header)
            sized["Content-Language"] = ", ".join(["en", *languages])
        size = len(sized.as_bytes())
        if size <= MAX_BYTES or keep == 0:
            return sized
        keep = min(keep - 1, int(keep * MAX_BYTES / size))


def send_email(digest: Digest, settings: EmailSettings, page_url: str = "",
               retry_delay: float | None = None) -> str:
    """Send the digest (`page_url`: the day's page on the site); returns a one-line summary or
    raises DeliveryError. `retry_delay` replaces the policy's wait before the one retry (tests: 0)."""
    message = build_message(digest, settings, page_url)
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
    return f"sent to {len(settings.to)} recipients via {settings.host}:{settings.port}"


def _send(message: EmailMessage, settings: EmailSettings) -> None:
    context = ssl.create_default_context()
    if settings.security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=TIMEOUT,
                                              context=context)
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT)
    with smtp:
        smtp.ehlo()
        if settings.security == "starttls":
            smtp.starttls(context=context)
            smtp.ehlo()
        user, password = os.environ.get("SMTP_USER"), os.environ.get("SMTP_PASSWORD")
        if user and password:
            smtp.login(user, password)
        smtp.send_message(message)


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
