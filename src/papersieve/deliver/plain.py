"""Short text messages (an empty day's word, the weekly digest) to Slack and email, through the
same senders the daily digest uses (deliver/slack.py and deliver/email.py), so pacing, retries
and error texts stay in one place."""

from __future__ import annotations

import os
import smtplib
from collections.abc import Callable, Sequence
from email.message import EmailMessage

from papersieve.deliver import DeliveryResult
from papersieve.deliver.slack_sender import PacedSender
from papersieve.errors import DeliveryError
from papersieve.profile.settings import EmailSettings


def attempt(channel: str, action: Callable[[], str]) -> DeliveryResult:
    """Run one delivery; a DeliveryError becomes a `failed` result (the day is not undone)."""
    try:
        return DeliveryResult(channel, "ok", action())
    except DeliveryError as err:
        return DeliveryResult(channel, "failed", str(err))


def send_text_slack(texts: Sequence[str], channel: str = "") -> str:
    """Post `texts` (Slack mrkdwn, each under a section's limit) as messages; with a bot token the
    later ones go into the first one's thread. Returns a one-line summary."""
    from papersieve.deliver import slack

    messages = [slack.SlackMessage(text, ({"type": "section", "text": {"type": "mrkdwn", "text": text}},))
                for text in texts]
    token, webhook = os.environ.get("SLACK_BOT_TOKEN"), os.environ.get("SLACK_WEBHOOK_URL")
    with PacedSender() as paced:
        if token:
            if not channel:
                raise DeliveryError("slack: SLACK_BOT_TOKEN is set but [deliver.slack] channel is empty")
            return slack._post_thread(paced, token, channel, messages)
        if webhook:
            for message in messages:
                slack._post_webhook(paced, webhook, message)
            return f"{len(messages)} message{'s' if len(messages) != 1 else ''} to the incoming webhook"
    raise DeliveryError("slack: set SLACK_WEBHOOK_URL, or SLACK_BOT_TOKEN and [deliver.slack] channel")


def build_text_email(subject: str, body: str, settings: EmailSettings) -> EmailMessage:
    """A plain-text email."""
    sender = settings.sender or os.environ.get("SMTP_USER") or ""
    if not sender or not settings.to:
        raise DeliveryError("email: set [deliver.email] sender (or SMTP_USER) and to")
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(settings.to)
    message.set_content(body)
    return message


def send_text_email(subject: str, body: str, settings: EmailSettings) -> str:
    """Send it over the digest's own SMTP path (same security and login)."""
    from papersieve.deliver import email

    message = build_text_email(subject, body, settings)
    try:
        email._send(message, settings)
    except (smtplib.SMTPException, OSError) as err:
        raise email._error(settings, err) from err
    return f"sent to {len(settings.to)} recipients via {settings.host}:{settings.port}"
