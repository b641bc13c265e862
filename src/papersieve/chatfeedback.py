"""Feedback from the chat: 👍/👎 button presses in Telegram and reactions in Slack, read back.

Neither needs a public server, so it works from a scheduled job:

- **Telegram.** Presses wait at Telegram as updates; `getUpdates` with the stored offset (last
  update id + 1) reads each once, and the next call confirms them. The offset is per bot, and one
  bot may serve several profiles: a press counts for the profile whose message it was pressed on
  (stored at delivery, `chat_messages`), or, for a message the store does not know, for this
  profile when it came from this profile's chat; any other press is ignored with a line saying
  why, as is a press on a paper the store does not hold. Within one read the last press on a
  paper wins. Each press is acknowledged (answerCallbackQuery); one older than Telegram keeps
  queries open is refused, which is harmless. Telegram keeps updates for 24 hours only.
- **Slack.** With `[deliver.slack] feedback`, each paper is its own reply in the day's thread and
  its channel id and ts are stored; the replies of each thread of the last `SLACK_DAYS` days are
  read with `conversations.replies` (one call per day's thread) and their 👍/👎 reactions
  (`+1`, `thumbsup`, `-1`, `thumbsdown`, any skin tone) give a label: the sign of likes minus
  dislikes. A reaction is a state: only a change since the last read is recorded, and a removed
  reaction withdraws the label (0).

`pull_feedback` runs at the start of `papersieve run` and as `papersieve feedback --pull`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from papersieve import outbound
from papersieve.deliver.slack import API_URL_ENV as SLACK_API_URL_ENV
from papersieve.deliver.slack import DEFAULT_API_URL as SLACK_DEFAULT_API_URL
from papersieve.deliver.telegram import DISLIKE, LIKE
from papersieve.deliver.telegram_bot import TelegramBot, TelegramError
from papersieve.errors import DeliveryError, PapersieveError
from papersieve.ids import ArxivIdError, parse_paper_id
from papersieve.outbound.policy import SLACK_READ
from papersieve.profile import Profile
from papersieve.redact import redact
from papersieve.store.chat import (
    ChatMessage,
    find_chat_message,
    get_cursor,
    recent_chat_messages,
    set_chat_label,
    set_cursor,
)
from papersieve.store.db import Store
from papersieve.store.feedback import add_feedback
from papersieve.store.papers import stored_ids

MAX_PAGES = 50
"""getUpdates pages (100 updates each) read in one pull at most."""
SLACK_DAYS = 14
"""Slack threads posted within this many days are read back."""
LIKES = frozenset({"+1", "thumbsup"})
DISLIKES = frozenset({"-1", "thumbsdown"})
Say = Callable[[str], None]


@dataclass
class PullReport:
    """What one channel's pull learnt, for which profiles, and what it left out (and why)."""

    channel: str
    read: int = 0
    labels: dict[tuple[str, str], int] = field(default_factory=dict)
    """(profile, paper id) -> the label recorded (+1, -1, 0 withdrawn)."""
    ignored: list[str] = field(default_factory=list)
    error: str = ""

    def count(self, label: int, profile: str | None = None) -> int:
        """How many papers got `label` (for `profile`, or for any)."""
        return sum(1 for (p, _), v in self.labels.items() if v == label and profile in (None, p))

    @property
    def summary(self) -> str:
        """One line: what was read, learnt and ignored."""
        if self.error:
            return f"{self.channel} feedback not read: {self.error}"
        unit = "presses" if self.channel == "telegram" else "messages"
        parts = [f"{self.count(1)} liked", f"{self.count(-1)} disliked"]
        if self.count(0):
            parts.append(f"{self.count(0)} withdrawn")
        others = sorted({p for p, _ in self.labels} - {""})
        tail = f" (profiles: {', '.join(others)})" if len(others) > 1 else ""
        ignored = f", {len(self.ignored)} ignored" if self.ignored else ""
        return f"{self.channel} feedback: {self.read} {unit} read, {', '.join(parts)}{tail}{ignored}"


def pull_feedback(store: Store, profile: Profile, say: Say = lambda _m: None, *,
                  http: outbound.Http | None = None) -> list[PullReport]:
    """Read the chats the profile delivers to with feedback on; record what they say and retrain
    the profile's local judge when it learnt something. A channel that cannot be read is a
    report with its error, never an exception: the run goes on."""
    deliver = profile.settings.deliver
    reports = []
    if deliver.telegram.enabled and deliver.telegram.buttons:
        reports.append(_guarded("telegram", lambda: pull_telegram(store, profile, say, http=http)))
    if deliver.slack.enabled and deliver.slack.feedback:
        reports.append(_guarded("slack", lambda: pull_slack(store, profile, say, http=http)))
    for report in reports:
        say(report.summary)
    if any(profile.name == p for r in reports for p, _ in r.labels):
        _retrain(store, profile, say)
    return reports


def _guarded(channel: str, pull: Callable[[], PullReport]) -> PullReport:
    try:
        return pull()
    except PapersieveError as err:
        return PullReport(channel, error=redact(str(err)))


def _retrain(store: Store, profile: Profile, say: Say) -> None:
    try:
        from papersieve.judges.local import retrain
    except ImportError:
        return
    try:
        report = retrain(store, profile)
    except Exception as err:  # the labels are recorded; a failed fit must not stop the run
        say(f"the local ranker was not retrained: {err}")
        return
    say(f"local judge: model v{report.version}, trained on {report.trained_on} labelled papers")


def record_chat_feedback(store: Store, profile: str, labels: dict[str, int], source: str) -> None:
    """The one place chat feedback is written (paper id -> +1, -1 or 0), for `profile`."""
    for label in (1, -1, 0):
        ids = [pid for pid, value in labels.items() if value == label]
        if ids:
            add_feedback(store, ids, label, source, profile=profile)


def _record_all(store: Store, report: PullReport, source: str) -> None:
    by_profile: dict[str, dict[str, int]] = {}
    for (owner, paper_id), label in report.labels.items():
        by_profile.setdefault(owner, {})[paper_id] = label
    for owner, labels in by_profile.items():
        record_chat_feedback(store, owner, labels, source)


# Telegram


@dataclass(frozen=True)
class _Press:
    query_id: str
    chat: str
    chat_name: str
    message: str
    data: str


def pull_telegram(store: Store, profile: Profile, say: Say = lambda _m: None, *,
                  http: outbound.Http | None = None) -> PullReport:
    """Read the bot's pending updates once (getUpdates with the stored offset), until a call
    returns none: that last call confirms the rest at Telegram."""
    report = PullReport("telegram")
    with TelegramBot(http=http) as bot:
        key = f"telegram:{bot.bot_id}:offset"
        offset = _int(get_cursor(store, key)) or 0
        for _ in range(MAX_PAGES):
            updates = bot.call("getUpdates", {"offset": offset, "limit": 100, "timeout": 0})
            if not isinstance(updates, list) or not updates:
                break
            batch = PullReport("telegram")
            for update in sorted((u for u in updates if isinstance(u, dict)),
                                 key=lambda u: _int(u.get("update_id")) or 0):
                offset = max(offset, (_int(update.get("update_id")) or 0) + 1)
                press = _press(update, batch, say)
                if press is not None:
                    batch.read += 1
                    _take(store, profile, press, batch, say)
                    _acknowledge(bot, press)
            # Recorded before the offset moves on: a crash in between reads the batch again
            # (the same labels, harmless) instead of losing it.
            _record_all(store, batch, "telegram")
            set_cursor(store, key, str(offset))
            report.read += batch.read
            report.ignored += batch.ignored
            for k, v in batch.labels.items():
                report.labels.pop(k, None)
                report.labels[k] = v
    return report


def _press(update: dict[str, Any], report: PullReport, say: Say) -> _Press | None:
    query = update.get("callback_query")
    if not isinstance(query, dict):
        message = update.get("message") or update.get("channel_post")
        chat = message.get("chat") if isinstance(message, dict) else None
        if isinstance(chat, dict):  # helps a user who looks for her chat id
            _ignore(report, say, f"a message in chat {chat.get('id')} ({_chat_name(chat)}): only button"
                                 " presses are read")
        return None
    message = query.get("message")
    chat = message.get("chat") if isinstance(message, dict) else None
    if not isinstance(message, dict) or not isinstance(chat, dict):
        _ignore(report, say, "a press on a message Telegram no longer shows (no chat)")
        return None
    return _Press(str(query.get("id", "")), str(chat.get("id", "")), str(chat.get("username") or ""),
                  str(message.get("message_id", "")), str(query.get("data") or ""))


def _chat_name(chat: dict[str, Any]) -> str:
    return str(chat.get("title") or chat.get("username") or chat.get("first_name") or chat.get("type") or "?")


def _take(store: Store, profile: Profile, press: _Press, report: PullReport, say: Say) -> None:
    """Turn one press into a label for its profile, or a line saying why it is ignored."""
    kind, _, ref = press.data.partition(":")
    if kind not in (LIKE, DISLIKE) or not ref:
        return _ignore(report, say, f"a press with unknown data {press.data[:64]!r} in chat {press.chat}")
    rows = find_chat_message(store, "telegram", press.chat, press.message)
    paper_id = _paper_of(ref, rows)
    if paper_id is None:
        return _ignore(report, say, f"a press on {ref[:64]!r} in chat {press.chat}: not a paper of"
                                    " that message")
    if rows:
        owner = next((r.profile for r in rows if r.paper_id == paper_id), "")
        if not owner:
            return _ignore(report, say, f"a press on {paper_id} in chat {press.chat}: that message"
                                        " does not hold it")
    elif _is_profiles_chat(profile, press):
        owner = profile.name
    else:
        configured = profile.settings.deliver.telegram.chat_id
        return _ignore(report, say, f"a press on {paper_id} in chat {press.chat}, which is not the"
                                    f" configured chat {configured} and got no digest from papersieve")
    if not stored_ids(store, [paper_id]):
        return _ignore(report, say, f"a press on {paper_id}: the paper is not in the store")
    key = (owner, paper_id)
    report.labels.pop(key, None)  # the last press on a paper wins
    report.labels[key] = 1 if kind == LIKE else -1
    return None


def _paper_of(ref: str, rows: list[ChatMessage]) -> str | None:
    if ref.startswith("#"):
        position = _int(ref[1:])
        return next((r.paper_id for r in rows if r.position == position), None)
    try:
        return parse_paper_id(ref)
    except ArxivIdError:
        return None


def _is_profiles_chat(profile: Profile, press: _Press) -> bool:
    chat = profile.settings.deliver.telegram.chat_id
    if chat.startswith("@"):
        return bool(press.chat_name) and chat[1:].lower() == press.chat_name.lower()
    return bool(chat) and chat == press.chat


def _ignore(report: PullReport, say: Say, line: str) -> None:
    report.ignored.append(line)
    say(f"telegram: ignored {line}")


def _acknowledge(bot: TelegramBot, press: _Press) -> None:
    """Stop the button's spinner; a query older than Telegram keeps open is refused (harmless)."""
    if not press.query_id:
        return
    text = f"papersieve got your {'👍' if press.data.startswith(LIKE + ':') else '👎'}"
    # Cosmetic only (it stops a spinner): a refusal must not keep the batch from being recorded.
    with contextlib.suppress(TelegramError):
        bot.call("answerCallbackQuery", {"callback_query_id": press.query_id, "text": text})


def _int(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


# Slack


def pull_slack(store: Store, profile: Profile, say: Say = lambda _m: None, *,
               http: outbound.Http | None = None, now: dt.datetime | None = None) -> PullReport:
    """Read the reactions on the profile's per-paper thread replies of the last SLACK_DAYS days."""
    token = os.environ.get("SLACK_BOT_TOKEN")
    if not token:
        raise DeliveryError("slack: reactions are read with the bot token; set SLACK_BOT_TOKEN")
    since = ((now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=SLACK_DAYS)).replace(microsecond=0)
    rows = recent_chat_messages(store, profile.name, "slack", since.isoformat())
    threads: dict[tuple[str, str], list[ChatMessage]] = {}
    for row in rows:
        threads.setdefault((row.chat, row.thread or row.message), []).append(row)
    report = PullReport("slack")
    changed: list[tuple[ChatMessage, int]] = []
    client = http or outbound.client(SLACK_READ.from_env())
    try:
        for (chat, thread), items in threads.items():
            reactions = _thread_reactions(client, token, chat, thread, report, say)
            for row in items:
                if row.message not in reactions:
                    continue
                report.read += 1
                label = _label(reactions[row.message])
                if label != (row.label or 0):
                    report.labels[(row.profile, row.paper_id)] = label
                    changed.append((row, label))
    finally:
        if http is None:
            client.close()
    _record_all(store, report, "slack")
    for row, label in changed:  # after the feedback: a crash in between records it again, harmlessly
        set_chat_label(store, row.row, label)
    return report


def _thread_reactions(client: outbound.Http, token: str, chat: str, thread: str, report: PullReport,
                      say: Say) -> dict[str, list[dict[str, Any]]]:
    """ts -> reactions of every message of one thread (conversations.replies, paginated)."""
    api = os.environ.get(SLACK_API_URL_ENV, SLACK_DEFAULT_API_URL).rstrip("/")
    found: dict[str, list[dict[str, Any]]] = {}
    cursor = ""
    for _ in range(MAX_PAGES):
        params = {"channel": chat, "ts": thread, "limit": "200", **({"cursor": cursor} if cursor else {})}
        data = _slack_get(client, token, f"{api}/conversations.replies", params)
        if data.get("error") in ("thread_not_found", "message_not_found"):
            line = f"the thread {thread} in {chat} is gone ({data['error']})"
            report.ignored.append(line)
            say(f"slack: ignored {line}")
            return found
        for message in data.get("messages") or []:
            if isinstance(message, dict) and isinstance(message.get("ts"), str):
                reactions = message.get("reactions")
                found[message["ts"]] = [r for r in reactions if isinstance(r, dict)] \
                    if isinstance(reactions, list) else []
        metadata = data.get("response_metadata")
        cursor = str(metadata.get("next_cursor") or "") if isinstance(metadata, dict) else ""
        if not data.get("has_more") or not cursor:
            break
    return found


def _slack_get(client: outbound.Http, token: str, url: str, params: dict[str, str]) -> dict[str, Any]:
    method = url.rsplit("/", 1)[-1]
    try:
        response = client.get(url, params=params, headers={"Authorization": f"Bearer {token}"})
    except (httpx.HTTPError, httpx.InvalidURL) as err:
        raise DeliveryError(f"slack {method}: cannot reach the Slack API: {redact(str(err))}") from err
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict) or (not data.get("ok") and data.get("error") not in
                                      ("thread_not_found", "message_not_found")):
        error = data.get("error") if isinstance(data, dict) else response.text[:200]
        needed = f" (needed: {data['needed']})" if isinstance(data, dict) and data.get("needed") else ""
        raise DeliveryError(redact(f"slack {method}: HTTP {response.status_code}: {error}{needed}"))
    return data


def _label(reactions: Iterable[dict[str, Any]]) -> int:
    """The sign of 👍 minus 👎 (skin tones count as their base emoji)."""
    score = 0
    for reaction in reactions:
        name = str(reaction.get("name", "")).split("::")[0]
        count = _int(reaction.get("count")) or 0
        score += count if name in LIKES else -count if name in DISLIKES else 0
    return (score > 0) - (score < 0)
