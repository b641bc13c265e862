"""Slack: a header message with the top titles, then the full entries in its thread.

Two ways in, both from the environment only: an incoming webhook (SLACK_WEBHOOK_URL), which
cannot start threads, so the entries follow as plain messages; or a bot token (SLACK_BOT_TOKEN)
and the profile's channel, through chat.postMessage, with the entries as replies (thread_ts).
Messages respect Slack's limits: at most 50 blocks, a section's text at most 3,000 characters,
and we keep each message's text under 4,000 characters (Slack's advice for readable messages).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from papersieve.endpoints import USER_AGENT
from papersieve.errors import DeliveryError
from papersieve.models import Digest, Pick
from papersieve.render.text import dollars, novelty_text, score, title_line

API_URL_ENV = "PAPERSIEVE_SLACK_API_URL"
DEFAULT_API_URL = "https://slack.com/api"
MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_TEXT = 4000
TOP_TITLES = 10
TIMEOUT = 20.0


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


def link(url: str, label: str) -> str:
    """`<url|label>` with a label that cannot end the link early."""
    return f"<{url}|{escape(label).replace('|', '¦')}>"


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, ending with … when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def header_message(digest: Digest, page_url: str = "") -> SlackMessage:
    """The day's headline: counts, cost and the top titles."""
    usage = digest.usage
    lines = [f"*{escape(title_line(digest))}*",
             f"{len(digest.picks)} picks of {digest.counts.scanned} scanned papers"
             f" · {digest.judge} judge ({escape(digest.model)})"
             f" · {usage.total_tokens} tokens, {dollars(usage.cost)}"]
    for i, pick in enumerate(digest.picks[:TOP_TITLES], 1):
        lines.append(f"{i}. {link(pick.paper.abs_url, pick.paper.title)}")
    if len(digest.picks) > TOP_TITLES:
        lines.append(f"…and {len(digest.picks) - TOP_TITLES} more in the thread")
    if page_url:
        lines.append(link(page_url, "The digest page"))
    text = clip("\n".join(lines), MAX_SECTION)
    return SlackMessage(text, ({"type": "section", "text": {"type": "mrkdwn", "text": text}},))


def entry_text(i: int, pick: Pick) -> str:
    """One paper's full entry, within a section's limit (the abstract is cut first)."""
    paper, j = pick.paper, pick.judgement
    head = (f"*{i}. {link(paper.abs_url, paper.title)}*" + (" (pinned author)" if pick.pinned else "")
            + f"\n{escape(', '.join(paper.authors))}"
            + f"\nRelevance {score(j.relevance)} · Novelty {escape(novelty_text(j))}")
    if j.comment:
        head += f"\n_{escape(j.comment)}_"
    room = MAX_SECTION - len(head) - 3
    return clip(head, MAX_SECTION) if room < 20 else head + "\n> " + clip(escape(paper.abstract), room)


def thread_messages(digest: Digest) -> list[SlackMessage]:
    """The full entries, packed into as few messages as the limits allow."""
    messages: list[SlackMessage] = []
    texts: list[str] = []
    for i, pick in enumerate(digest.picks, 1):
        text = entry_text(i, pick)
        if texts and (len(texts) >= MAX_BLOCKS or sum(map(len, texts)) + len(text) > MAX_TEXT):
            messages.append(_message(texts))
            texts = []
        texts.append(text)
    if texts:
        messages.append(_message(texts))
    return messages


def _message(texts: Sequence[str]) -> SlackMessage:
    blocks = tuple({"type": "section", "text": {"type": "mrkdwn", "text": t}} for t in texts)
    return SlackMessage(clip("\n\n".join(texts), MAX_TEXT), blocks)


def send_slack(digest: Digest, channel: str = "", page_url: str = "") -> str:
    """Post the digest; returns a one-line summary. Raises DeliveryError naming the endpoint."""
    messages = [header_message(digest, page_url), *thread_messages(digest)]
    webhook = os.environ.get("SLACK_WEBHOOK_URL")
    token = os.environ.get("SLACK_BOT_TOKEN")
    with httpx.Client(timeout=TIMEOUT, headers={"User-Agent": USER_AGENT}) as client:
        if token:
            if not channel:
                raise DeliveryError("slack: SLACK_BOT_TOKEN is set but [deliver.slack] channel is empty")
            return _post_thread(client, token, channel, messages)
        if webhook:
            for message in messages:
                _post_webhook(client, webhook, message)
            return f"{len(messages)} messages to the incoming webhook"
    raise DeliveryError("slack: set SLACK_WEBHOOK_URL, or SLACK_BOT_TOKEN and [deliver.slack] channel")


def _post_webhook(client: httpx.Client, url: str, message: SlackMessage) -> None:
    response = _post(client, url, message.payload(), {})
    if response.status_code != 200:
        raise DeliveryError(f"slack webhook: HTTP {response.status_code}: {clip(response.text, 200)}")


def _post_thread(client: httpx.Client, token: str, channel: str, messages: list[SlackMessage]) -> str:
    api = os.environ.get(API_URL_ENV, DEFAULT_API_URL).rstrip("/")
    headers = {"Authorization": f"Bearer {token}"}
    thread_ts = None
    for message in messages:
        body = {**message.payload(), "channel": channel}
        if thread_ts:
            body["thread_ts"] = thread_ts
        reply = _post(client, f"{api}/chat.postMessage", body, headers)
        data = reply.json() if reply.headers.get("content-type", "").startswith("application/json") else {}
        if reply.status_code != 200 or not data.get("ok"):
            raise DeliveryError(f"slack chat.postMessage at {api}: HTTP {reply.status_code}:"
                                f" {data.get('error') or clip(reply.text, 200)}")
        thread_ts = thread_ts or data.get("ts")
    return f"{len(messages)} messages to {channel} (thread {thread_ts})"


def _post(client: httpx.Client, url: str, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    """POST once, and once more after a 429's Retry-After (capped at 30 s)."""
    try:
        response = client.post(url, json=body, headers=headers)
        if response.status_code == 429:
            time.sleep(min(float(response.headers.get("Retry-After", "1")), 30.0))
            response = client.post(url, json=body, headers=headers)
    except (httpx.HTTPError, httpx.InvalidURL) as err:
        # InvalidURL is no HTTPError: a webhook secret pasted with a trailing newline was a
        # traceback after the day's files were written.
        raise DeliveryError(f"slack: cannot reach {_host(url)}: {err}") from err
    return response


def _host(url: str) -> str:
    """The host of `url` alone: the rest of a webhook URL is its secret, so a URL without a
    readable host (no scheme, a stray space or newline) is never shown."""
    try:
        host = httpx.URL(url).host
    except httpx.InvalidURL:
        host = ""
    return host or "the Slack address (not a valid http(s) URL)"
