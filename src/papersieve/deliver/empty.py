"""A short word for the reader on a day without a digest to send ("the run succeeded but no
email came" is the most common report against tools like this one).

Three kinds of empty day, each said as such, with how many papers were read:
`no_announcement` (a weekend or holiday: the feeds listed nothing), `stale` (a feed still served
an older day) and `no_picks` (papers were read and none passed the cutoffs). Which kinds are
sent is `[deliver] send_empty` in profile.toml. Slack and email go through the same senders as
the digest itself (their pacing and retries), with a one-message body of their own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from papersieve.deliver import DeliveryResult
from papersieve.deliver.plain import attempt, send_text_email, send_text_slack
from papersieve.profile.settings import DeliverSettings, EmailSettings, EmptyKind


@dataclass(frozen=True)
class EmptyDay:
    """Why a day has nothing to show: its kind, the papers read and the run's own message."""

    kind: EmptyKind
    date: dt.date | None
    profile: str
    papers_read: int
    detail: str = ""

    @property
    def headline(self) -> str:
        """One line saying which kind of empty day this is."""
        day = self.date.isoformat() if self.date else "today"
        read = f"{self.papers_read} paper{'s' if self.papers_read != 1 else ''} read"
        if self.kind == "no_announcement":
            return f"papersieve {self.profile}, {day}: no announcement today ({read})"
        if self.kind == "stale":
            return f"papersieve {self.profile}, {day}: the feed is stale, no new papers yet ({read})"
        return f"papersieve {self.profile}, {day}: nothing for you today ({read}, none passed the cutoffs)"

    @property
    def text(self) -> str:
        """The headline and, when there is one, the run's own explanation."""
        return self.headline + (f"\n{self.detail}" if self.detail and self.kind != "no_picks" else "")


def wanted(settings: DeliverSettings, kind: EmptyKind) -> bool:
    """Whether the profile asked for a message on this kind of empty day."""
    chosen = settings.send_empty
    if isinstance(chosen, bool):
        return chosen
    return kind in chosen


def send_empty_day(day: EmptyDay, settings: DeliverSettings,
                   sent_before: Mapping[str, str] | None = None) -> list[DeliveryResult]:
    """Send the short message to every enabled channel; failures are results, not exceptions.

    `sent_before` maps a channel to the earlier run that already told the reader about this
    day (the schedule runs twice a day): that channel gets a "skipped" result instead."""
    earlier = sent_before or {}
    results = [DeliveryResult(channel, "skipped", f"already sent by {earlier[channel]}")
               for channel in ("slack", "email", "telegram") if channel in earlier]
    if settings.slack.enabled and "slack" not in earlier:
        results.append(attempt("slack", lambda: send_empty_slack(day, settings.slack.channel)))
    if settings.email.enabled and "email" not in earlier:
        results.append(attempt("email", lambda: send_empty_email(day, settings.email)))
    if settings.telegram.enabled and "telegram" not in earlier:
        results.append(attempt("telegram", lambda: send_empty_telegram(day, settings.telegram.chat_id)))
    return results


def send_empty_slack(day: EmptyDay, channel: str = "") -> str:
    """One Slack message through the digest's own webhook or bot-token sender."""
    from papersieve.deliver.slack import escape

    return f"{day.kind}: " + send_text_slack([escape(day.text)], channel)


def send_empty_telegram(day: EmptyDay, chat: str) -> str:
    """One Telegram message, plain text (escaped for its HTML mode)."""
    from papersieve.deliver.telegram import send_text_telegram

    return f"{day.kind}: " + send_text_telegram([day.text], chat)


def send_empty_email(day: EmptyDay, settings: EmailSettings) -> str:
    """A plain-text email whose subject is the headline."""
    return f"{day.kind}: " + send_text_email(day.headline, day.text + "\n", settings)
