"""Slack: a header message with the top titles, then the full entries in its thread.

Two ways in, both from the environment only: an incoming webhook (SLACK_WEBHOOK_URL), which
cannot start threads, so the entries follow as plain messages; or a bot token (SLACK_BOT_TOKEN)
and the profile's channel, through chat.postMessage, with the entries as replies (thread_ts).
Messages respect Slack's limits: at most 50 blocks, a section's text at most 3,000 characters,
and we keep each message's text under 4,000 characters (Slack's advice for readable messages).
Text is cut before it is escaped, and only plain text is cut: never an entity, never a link.
Sending (pacing, Retry-After, retries) is the `SLACK` policy of `papersieve.outbound`, through
deliver/slack_sender.py.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from papersieve.deliver.slack_sender import PacedSender
from papersieve.errors import DeliveryError
from papersieve.models import Digest, Pick
from papersieve.render.text import dollars, fit_escaped, novelty_text, score, title_line
from papersieve.tldr import label as tldr_label

API_URL_ENV = "PAPERSIEVE_SLACK_API_URL"
DEFAULT_API_URL = "https://slack.com/api"
MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_TEXT = 4000
TOP_TITLES = 10
MAX_LABEL = 300
MAX_AUTHORS = 500
MAX_COMMENT = 500


@dataclass(frozen=True)
class SlackMessage:
    """One message: fallback text and its blocks."""

    text: str
    blocks: tuple[dict[str, Any], ...]

    def payload(self) -> dict[str, Any]:
        """The JSON body Slack takes."""
        return {"text": self.text, "blocks": list(self.blocks), "unfurl_links": False}


def escape(text: str) -> str:
    """Slack mrkdwn escaping: only &, < and > are special."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit(text: str, limit: int) -> str:
    """`text` escaped, in at most `limit` characters, cut before escaping."""
    return fit_escaped(text, limit, escape)


def link(url: str, label: str) -> str:
    """`<url|label>` with a label that cannot end the link early (cut before escaping)."""
    return f"<{url}|{fit(label, MAX_LABEL).replace('|', '¦')}>"


def header_message(digest: Digest, page_url: str = "") -> SlackMessage:
    """The day's headline: counts, cost and the top titles, each line whole (never cut)."""
    usage = digest.usage
    lines = [f"*{escape(title_line(digest))}*",
             f"{len(digest.picks)} {'pick' if len(digest.picks) == 1 else 'picks'} of"
             f" {digest.counts.scanned} scanned papers"
             f" · {digest.judge} judge ({fit(digest.model, 100)})"
             f" · {usage.total_tokens} tokens, {dollars(usage.cost)}"]
    tail = [link(page_url, "The digest page")] if page_url else []
    shown = 0
    for i, pick in enumerate(digest.picks[:TOP_TITLES], 1):
        line = f"{i}. {link(pick.paper.abs_url, pick.paper.title)}"
        if _length([*lines, line, *tail]) + len(_more(len(digest.picks), i)) + 1 > MAX_SECTION:
            break
        lines.append(line)
        shown = i
    if len(digest.picks) > shown:
        lines.append(_more(len(digest.picks), shown))
    text = "\n".join([*lines, *tail])
    return SlackMessage(text, ({"type": "section", "text": {"type": "mrkdwn", "text": text}},))


def _more(total: int, shown: int) -> str:
    return f"…and {total - shown} more in the thread"


def _length(lines: Sequence[str]) -> int:
    return sum(map(len, lines)) + max(len(lines) - 1, 0)


def entry_text(i: int, pick: Pick) -> str:
    """One paper's full entry, within a section's limit (the abstract is cut first, before
    escaping; the title, authors and comment have bounds of their own)."""
    paper, j = pick.paper, pick.judgement
    head = (f"*{i}. {link(paper.abs_url, paper.title)}*" + (" (pinned author)" if pick.pinned else "")
            + f"\n{fit(', '.join(paper.authors), MAX_AUTHORS)}"
            + f"\nRelevance {score(j.relevance)} · Novelty {escape(novelty_text(j))}")
    if j.tldr:
        head += f"\n*{tldr_label(j.tldr_kind)}:* {fit(j.tldr, MAX_COMMENT)}"
    if j.comment:
        head += f"\n_{fit(j.comment, MAX_COMMENT)}_"
    room = MAX_SECTION - len(head) - 3
    return head if room < 20 else head + "\n> " + fit(paper.abstract, room)


def thread_messages(digest: Digest, one_per_paper: bool = False) -> list[SlackMessage]:
    """The full entries, packed into as few messages as the limits allow (or one message per
    paper, so that a reaction on a message is about one paper: `[deliver.slack] feedback`)."""
    messages: list[SlackMessage] = []
    texts: list[str] = []
    for i, pick in enumerate(digest.picks, 1):
        text = entry_text(i, pick)
        if texts and (one_per_paper or len(texts) >= MAX_BLOCKS
                      or _joined(texts) + 2 + len(text) > MAX_TEXT):
            messages.append(_message(texts))
            texts = []
        texts.append(text)
    if texts:
        messages.append(_message(texts))
    return messages


def _joined(texts: Sequence[str]) -> int:
    return sum(map(len, texts)) + 2 * max(len(texts) - 1, 0)


def _message(texts: Sequence[str]) -> SlackMessage:
    blocks = tuple({"type": "section", "text": {"type": "mrkdwn", "text": t}} for t in texts)
    return SlackMessage("\n\n".join(texts), blocks)


Posted = Callable[[str, str, str, tuple[str, ...]], None]
"""Told of each thread reply that holds one paper: (channel id, ts, thread ts, (paper id,))."""


def send_slack(digest: Digest, channel: str = "", page_url: str = "",
               sender: PacedSender | None = None, on_posted: Posted | None = None) -> str:
    """Post the digest through one paced sender; returns a one-line summary. Raises
    DeliveryError naming the endpoint. With `on_posted` and a bot token each paper is its own
    thread reply, and its channel id and ts are told to `on_posted`."""
    webhook = os.environ.get("SLACK_WEBHOOK_URL")
    token = os.environ.get("SLACK_BOT_TOKEN")
    # A webhook tells no ts: one message per paper would only make the day longer there.
    messages = [header_message(digest, page_url), *thread_messages(digest, bool(token and on_posted))]
    if token and not channel:
        raise DeliveryError("slack: SLACK_BOT_TOKEN is set but [deliver.slack] channel is empty")
    if not token and not webhook:
        raise DeliveryError("slack: set SLACK_WEBHOOK_URL, or SLACK_BOT_TOKEN and [deliver.slack] channel")
    with sender or PacedSender() as paced:
        if token:
            told = None if on_posted is None else _per_paper(digest, on_posted)
            return _post_thread(paced, token, channel, messages, told)
        for message in messages:
            _post_webhook(paced, str(webhook), message)
        return f"{len(messages)} messages to the incoming webhook"


def _post_webhook(sender: PacedSender, url: str, message: SlackMessage) -> None:
    response = sender.post(url, message.payload())
    if response.status_code != 200:
        raise DeliveryError(f"slack webhook: HTTP {response.status_code}: {clip(response.text, 200)}")


def _per_paper(digest: Digest, on_posted: Posted) -> Callable[[int, str, str, str], None]:
    """Message n (1: the first reply) holds pick n."""
    def told(index: int, channel_id: str, ts: str, thread_ts: str) -> None:
        if 1 <= index <= len(digest.picks):
            on_posted(channel_id, ts, thread_ts, (digest.picks[index - 1].paper.id,))
    return told


def _post_thread(sender: PacedSender, token: str, channel: str, messages: list[SlackMessage],
                 on_posted: Callable[[int, str, str, str], None] | None = None) -> str:
    api = os.environ.get(API_URL_ENV, DEFAULT_API_URL).rstrip("/")
    headers = {"Authorization": f"Bearer {token}"}
    thread_ts = None
    for index, message in enumerate(messages):
        body = {**message.payload(), "channel": channel}
        if thread_ts:
            body["thread_ts"] = thread_ts
        reply = sender.post(f"{api}/chat.postMessage", body, headers)
        data = reply.json() if reply.headers.get("content-type", "").startswith("application/json") else {}
        if reply.status_code != 200 or not data.get("ok"):
            raise DeliveryError(f"slack chat.postMessage at {api}: HTTP {reply.status_code}:"
                                f" {data.get('error') or clip(reply.text, 200)}")
        thread_ts = thread_ts or data.get("ts")
        if on_posted is not None and thread_ts:
            on_posted(index, str(data.get("channel") or channel), str(data.get("ts") or ""), thread_ts)
    return f"{len(messages)} messages to {channel} (thread {thread_ts})"


def clip(text: str, limit: int) -> str:
    """At most `limit` characters of a reply quoted in an error, ending with … when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
