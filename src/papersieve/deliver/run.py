"""Run every delivery of a profile for one digest and record each result with the run."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from papersieve.deliver import DeliveryResult
from papersieve.deliver.empty import EmptyDay, send_empty_day, wanted
from papersieve.deliver.files import write_outputs
from papersieve.errors import DeliveryError
from papersieve.models import Digest
from papersieve.profile import Profile
from papersieve.profile.settings import EmailSettings
from papersieve.render.paths import relative_day_link
from papersieve.store.chat import add_chat_message
from papersieve.store.db import Store, utcnow
from papersieve.store.unsubscribes import unsubscribed

Stage = Callable[[str], AbstractContextManager[None]]


def record_delivery(store: Store, run_id: int, result: DeliveryResult) -> None:
    """One row in `deliveries`."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO deliveries (run_id, channel, status, detail, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (run_id, result.channel, result.status, result.detail, utcnow()),
        )


def deliver_all(
    store: Store, run_id: int, digest: Digest, profile: Profile, out_dir: Path, stage: Stage,
    say: Callable[[str], None], *, send: bool = True, redeliver: bool = False,
) -> tuple[list[Path], list[DeliveryResult]]:
    """Write the files (a failure there fails the run), then Slack and email if enabled.

    A Slack or email failure is recorded and reported, and does not undo the day. A channel that
    an earlier run of the same profile and day delivered to is skipped unless `redeliver`: a
    rerun (after a stale feed, a failed email, a cancelled job) must not post the day twice.
    """
    settings = profile.settings
    with stage("render"):
        try:
            outputs = write_outputs(digest, out_dir, settings.outputs.formats,
                                    settings.outputs.site_url, warn=lambda m: say(f"warning: {m}"))
        except DeliveryError as err:
            record_delivery(store, run_id, DeliveryResult("files", "failed", str(err)))
            raise
    results = [DeliveryResult("files", "ok", f"{len(outputs)} files in {out_dir}")]
    record_delivery(store, run_id, results[0])
    if settings.schedule.frequency == "weekly":
        # Slack and email get the weekly digest on the chosen weekday instead (pipeline.py).
        return outputs, results
    if not digest.picks and wanted(settings.deliver, "no_picks"):
        # The reader asked for a short "nothing for you today" instead of an empty digest.
        day = EmptyDay("no_picks", digest.date, digest.profile, digest.counts.unique)
        empty = _send_empty(day, profile, send, stage, say)
        for result in empty:
            record_delivery(store, run_id, result)
        return outputs, results + empty
    page = _page_url(settings.outputs.site_url, digest)
    actions = {"slack": lambda: _slack(store, run_id, digest, profile, page),
               "email": lambda: _email(store, run_id, digest, profile, page, redeliver),
               "telegram": lambda: _telegram(store, run_id, digest, profile, page)}
    for channel, enabled in (("slack", settings.deliver.slack.enabled),
                             ("email", settings.deliver.email.enabled),
                             ("telegram", settings.deliver.telegram.enabled)):
        if not enabled:
            continue
        earlier = None if redeliver or not send else _earlier_delivery(store, run_id, channel)
        if channel == "email" and not _still_subscribed(store, profile):
            results.append(DeliveryResult("email", "skipped", "every address unsubscribed"
                                          " through the link in an email; `papersieve profile"
                                          " resubscribe NAME ADDRESS` undoes one"))
            record_delivery(store, run_id, results[-1])
            continue
        with stage(channel):
            results.append(_already(channel, earlier, say) if earlier
                           else _attempt(channel, send, say, actions[channel]))
        # At once: a run cancelled during the email must still know that Slack was posted.
        record_delivery(store, run_id, results[-1])
    return outputs, results


def deliver_empty_day(store: Store, run_id: int, day: EmptyDay, profile: Profile, *, send: bool,
                      say: Callable[[str], None]) -> list[DeliveryResult]:
    """The short message of a day with no digest (no announcement, stale), when the profile
    asks for it (`[deliver] send_empty`); each result is recorded with the day's run."""
    if not wanted(profile.settings.deliver, day.kind) or profile.settings.schedule.frequency == "weekly":
        return []
    profile = subscribed_profile(store, profile)
    sent_before = {channel: earlier for channel in ("slack", "email", "telegram")
                   if (earlier := _earlier_delivery(store, run_id, channel, f"{day.kind}:"))}
    results = _send_empty(day, profile, send, None, say, sent_before)
    for result in results:
        record_delivery(store, run_id, result)
    return results


def _send_empty(day: EmptyDay, profile: Profile, send: bool, stage: Stage | None,
                say: Callable[[str], None],
                sent_before: dict[str, str] | None = None) -> list[DeliveryResult]:
    deliver = profile.settings.deliver
    if not send:
        channels = [c for c, on in (("slack", deliver.slack.enabled), ("email", deliver.email.enabled),
                                    ("telegram", deliver.telegram.enabled)) if on]
        return [DeliveryResult(c, "skipped", "deliveries turned off for this run") for c in channels]
    with stage("empty_day") if stage else nullcontext():
        results = send_empty_day(day, deliver, sent_before)
    for result in results:
        say(f"{result.channel} ({day.kind}): {result.detail}")
    return results


def _attempt(channel: str, send: bool, say: Callable[[str], None],
             action: Callable[[], str]) -> DeliveryResult:
    if not send:
        return DeliveryResult(channel, "skipped", "deliveries turned off for this run")
    try:
        detail = action()
    except DeliveryError as err:
        say(f"{channel} failed: {err}")
        return DeliveryResult(channel, "failed", str(err))
    say(f"{channel}: {detail}")
    return DeliveryResult(channel, "ok", detail)


def _earlier_delivery(store: Store, run_id: int, channel: str, detail_prefix: str = "") -> str:
    """'run N at T' when an earlier run of this run's profile and day delivered to `channel`
    (a delivery whose detail starts with `detail_prefix`, when given: an empty day's kind)."""
    row = store.conn.execute(
        "SELECT d.run_id, d.created_at FROM deliveries d JOIN runs r ON r.id = d.run_id"
        " JOIN runs this ON this.id = ? WHERE r.profile = this.profile AND r.date = this.date"
        " AND d.channel = ? AND d.status = 'ok' AND d.run_id != this.id"
        " AND substr(d.detail, 1, length(?)) = ? ORDER BY d.id DESC LIMIT 1",
        (run_id, channel, detail_prefix, detail_prefix)).fetchone()
    return f"run {row['run_id']} at {row['created_at']}" if row else ""


def _already(channel: str, earlier: str, say: Callable[[str], None]) -> DeliveryResult:
    detail = f"already delivered by {earlier}; run --redeliver to send it again"
    say(f"{channel}: {detail}")
    return DeliveryResult(channel, "skipped", detail)


def _slack(store: Store, run_id: int, digest: Digest, profile: Profile, page: str) -> str:
    from papersieve.deliver.slack import send_slack

    slack = profile.settings.deliver.slack

    def posted(channel_id: str, ts: str, thread: str, paper_ids: tuple[str, ...]) -> None:
        # At once, message by message: a failure later in the day keeps what was posted.
        add_chat_message(store, profile.name, "slack", channel_id, ts, paper_ids, run_id=run_id,
                         date=digest.date, thread=thread)

    return send_slack(digest, slack.channel, page, on_posted=posted if slack.feedback else None)


def _telegram(store: Store, run_id: int, digest: Digest, profile: Profile, page: str) -> str:
    from papersieve.deliver.telegram import send_telegram

    telegram = profile.settings.deliver.telegram

    def sent(chat: str, message: str, paper_ids: tuple[str, ...]) -> None:
        add_chat_message(store, profile.name, "telegram", chat, message, paper_ids, run_id=run_id,
                         date=digest.date)

    return send_telegram(digest, telegram.chat_id, page, buttons=telegram.buttons, on_sent=sent)


def _email(store: Store, run_id: int, digest: Digest, profile: Profile, page: str,
           redeliver: bool = False) -> str:
    from papersieve.deliver.email import send_email

    def sent(address: str) -> None:
        # At once, address by address: a rerun after one refused address (or a cancel) sends
        # the day to the others no second time.
        record_delivery(store, run_id, DeliveryResult("email", RECIPIENT_SENT, f"to {address.lower()}"))

    return send_email(digest, _subscribed_settings(store, profile), page,
                      already=frozenset() if redeliver else _emailed_before(store, run_id), on_sent=sent)


RECIPIENT_SENT = "sent"
"""The status of a `deliveries` row for one address reached (per-recipient emails): the
channel's own outcome is the row with ok/failed/skipped."""


def _emailed_before(store: Store, run_id: int) -> frozenset[str]:
    """Addresses that an earlier run of this run's profile and day sent its email to."""
    rows = store.conn.execute(
        "SELECT d.detail FROM deliveries d JOIN runs r ON r.id = d.run_id"
        " JOIN runs this ON this.id = ? WHERE r.profile = this.profile AND r.date = this.date"
        " AND d.channel = 'email' AND d.status = ? AND d.run_id != this.id",
        (run_id, RECIPIENT_SENT)).fetchall()
    return frozenset(str(row["detail"]).removeprefix("to ") for row in rows)


def _subscribed_settings(store: Store, profile: Profile) -> EmailSettings:
    """The profile's email settings without the addresses that unsubscribed."""
    settings = profile.settings.deliver.email
    gone = unsubscribed(store, profile.name)
    if not gone:
        return settings
    return settings.model_copy(update={"to": tuple(a for a in settings.to if a.lower() not in gone)})


def subscribed_profile(store: Store, profile: Profile) -> Profile:
    """The profile with its unsubscribed addresses left out of `[deliver.email]` (its email
    turned off when none is left): for the short messages that do not go through `_email`."""
    if not profile.settings.deliver.email.enabled or _subscribed_settings(store, profile) == \
            profile.settings.deliver.email:
        return profile
    email = _subscribed_settings(store, profile)
    email = email.model_copy(update={"enabled": bool(email.to)})
    deliver = profile.settings.deliver.model_copy(update={"email": email})
    return dataclasses.replace(profile, settings=profile.settings.model_copy(update={"deliver": deliver}))


def _still_subscribed(store: Store, profile: Profile) -> bool:
    """Whether any of the profile's addresses still wants its emails."""
    return bool(_subscribed_settings(store, profile).to) or not profile.settings.deliver.email.to


def _page_url(site_url: str, digest: Digest) -> str:
    return f"{site_url.rstrip('/')}/{relative_day_link(digest.date)}" if site_url else ""
