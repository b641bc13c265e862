"""Telegram: the day as a few HTML messages in one chat, with 👍/👎 buttons under each paper.

The bot's token is TELEGRAM_BOT_TOKEN (environment only), the chat is `[deliver.telegram]
chat_id`. A header message says the day and its counts; the papers follow, packed into messages
of at most 4,096 characters (Telegram's limit for a message's text; counted here in UTF-16 units
of the HTML as sent, which is never less than what Telegram counts) and `MAX_PER_MESSAGE`
papers. Each paper gets a row of two inline buttons whose `callback_data` is `l:<id>` or
`d:<id>` (at most 64 bytes, the Bot API's limit; an id too long for it is sent as `l:#<n>`, its
place in the message). The next run reads the presses back (papersieve.chatfeedback).

Text is escaped for Telegram's HTML parse mode (`&`, `<`, `>`; quotes too inside `href`) and cut
before it is escaped, so an entity or a tag is never split. Pacing, Retry-After and retries are
the outbound policy's (deliver/telegram_bot.py).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from papersieve import outbound
from papersieve.deliver.telegram_bot import TelegramBot, TelegramError, send_policy
from papersieve.errors import DeliveryError
from papersieve.models import Digest, Pick
from papersieve.redact import redact
from papersieve.render.text import fit_escaped, novelty_text, score, title_line

MAX_MESSAGE = 4096
MAX_PER_MESSAGE = 8
MAX_CALLBACK = 64
MAX_TITLE = 300
MAX_AUTHORS = 300
MAX_COMMENT = 500
MAX_ABSTRACT = 700
LIKE, DISLIKE = "l", "d"

Sent = Callable[[str, str, tuple[str, ...]], None]
"""Told of each sent message that holds papers: (chat id, message id, paper ids in order)."""


@dataclass(frozen=True)
class TelegramMessage:
    """One message: its HTML text, the papers it holds and its inline keyboard."""

    text: str
    paper_ids: tuple[str, ...] = ()
    keyboard: tuple[tuple[dict[str, str], ...], ...] = ()

    def payload(self, chat: str) -> dict[str, Any]:
        """The sendMessage parameters."""
        body: dict[str, Any] = {"chat_id": int(chat) if chat.lstrip("-").isdigit() else chat,
                                "text": self.text, "parse_mode": "HTML",
                                "link_preview_options": {"is_disabled": True}}
        if self.keyboard:
            body["reply_markup"] = {"inline_keyboard": [list(row) for row in self.keyboard]}
        return body


def units(text: str) -> int:
    """Length in UTF-16 code units (how Telegram measures text; an emoji counts two)."""
    return len(text.encode("utf-16-le")) // 2


def escape(text: str) -> str:
    """Telegram HTML: `&`, `<` and `>` as entities."""
    return html.escape(text, quote=False)


def fit(text: str, limit: int) -> str:
    """`text` escaped, at most `limit` UTF-16 units, cut before escaping."""
    return fit_escaped(text, limit, escape, units)


def link(url: str, label: str) -> str:
    """`<a href="url">label</a>`, the address escaped for an attribute."""
    return f'<a href="{html.escape(url, quote=True)}">{label}</a>'


def header_text(digest: Digest, page_url: str = "", buttons: bool = True) -> str:
    """The day's first message: title, counts and how to teach the judge."""
    n = len(digest.picks)
    lines = [f"<b>{escape(title_line(digest))}</b>",
             f"{n} paper{'s' if n != 1 else ''} picked of {digest.counts.scanned} scanned"
             f" · {escape(digest.judge)} judge"]
    if page_url:
        lines.append(link(page_url, "The digest page"))
    if buttons and n:
        lines.append("Tap 👍 or 👎 under a paper: the next run learns from it.")
    return "\n".join(lines)


def entry_text(i: int, pick: Pick) -> str:
    """One paper: title (linked), authors, scores, the judge's comment, the abstract's start."""
    paper, j = pick.paper, pick.judgement
    text = (f"<b>{i}. {link(paper.abs_url, fit(paper.title, MAX_TITLE))}</b>"
            + (" (pinned author)" if pick.pinned else "")
            + f"\n{fit(', '.join(paper.authors), MAX_AUTHORS)}"
            + f"\nRelevance {score(j.relevance)} · Novelty {escape(novelty_text(j))}")
    if j.comment:
        text += f"\n<i>{fit(j.comment, MAX_COMMENT)}</i>"
    if paper.abstract:
        text += f"\n<blockquote expandable>{fit(paper.abstract, MAX_ABSTRACT)}</blockquote>"
    return text


def callback_data(kind: str, paper_id: str, position: int) -> str:
    """`l:<id>` / `d:<id>`, or `l:#<position>` when the id would pass 64 bytes."""
    data = f"{kind}:{paper_id}"
    return data if len(data.encode("utf-8")) <= MAX_CALLBACK else f"{kind}:#{position}"


def buttons_row(i: int, paper_id: str, position: int) -> tuple[dict[str, str], ...]:
    """👍 and 👎 for the paper numbered `i` in the day, at `position` in its message."""
    return ({"text": f"{i} 👍", "callback_data": callback_data(LIKE, paper_id, position)},
            {"text": f"{i} 👎", "callback_data": callback_data(DISLIKE, paper_id, position)})


def telegram_messages(digest: Digest, page_url: str = "", buttons: bool = True) -> list[TelegramMessage]:
    """The header, then the papers packed under the limits, each message with its buttons."""
    messages = [TelegramMessage(header_text(digest, page_url, buttons))]
    texts: list[str] = []
    ids: list[str] = []
    numbers: list[int] = []
    for i, pick in enumerate(digest.picks, 1):
        text = entry_text(i, pick)
        if texts and (len(texts) >= MAX_PER_MESSAGE or units("\n\n".join([*texts, text])) > MAX_MESSAGE):
            messages.append(_message(texts, ids, numbers, buttons))
            texts, ids, numbers = [], [], []
        texts.append(text)
        ids.append(pick.paper.id)
        numbers.append(i)
    if texts:
        messages.append(_message(texts, ids, numbers, buttons))
    return messages


def _message(texts: Sequence[str], ids: Sequence[str], numbers: Sequence[int],
             buttons: bool) -> TelegramMessage:
    pairs = enumerate(zip(numbers, ids, strict=True), 1)
    keyboard = tuple(buttons_row(n, pid, pos) for pos, (n, pid) in pairs) if buttons else ()
    return TelegramMessage("\n\n".join(texts), tuple(ids), keyboard)


def send_telegram(digest: Digest, chat: str, page_url: str = "", *, buttons: bool = True,
                  on_sent: Sent | None = None, http: outbound.Http | None = None) -> str:
    """Send the day to `chat`; returns a one-line summary, or raises DeliveryError saying how
    many messages went out before the failure."""
    return send_messages(telegram_messages(digest, page_url, buttons), chat, on_sent=on_sent, http=http)


def send_messages(messages: Sequence[TelegramMessage], chat: str, *, on_sent: Sent | None = None,
                  http: outbound.Http | None = None) -> str:
    """Send `messages` in order through one paced bot client."""
    if not chat:
        raise DeliveryError("telegram: set [deliver.telegram] chat_id (see the README: getUpdates)")
    sent = 0
    with TelegramBot(send_policy(chat), http=http) as bot:
        for message in messages:
            try:
                result = bot.call("sendMessage", _redacted(message.payload(chat)))
            except TelegramError as err:
                raise DeliveryError(f"{err} (chat {chat}; {sent} of {len(messages)} messages sent)") from err
            sent += 1
            if on_sent is not None and message.paper_ids:
                on_sent(*_where(result, chat), message.paper_ids)
    return f"{sent} message{'s' if sent != 1 else ''} to Telegram chat {chat}"


def send_text_telegram(texts: Sequence[str], chat: str) -> str:
    """Plain text messages (an empty day's word), escaped and cut to the limit."""
    return send_messages([TelegramMessage(fit(t, MAX_MESSAGE)) for t in texts], chat)


def _redacted(payload: dict[str, Any]) -> dict[str, Any]:
    payload["text"] = redact(payload["text"])
    return payload


def _where(result: Any, chat: str) -> tuple[str, str]:
    """(chat id, message id) of a sent message as Telegram reports them."""
    result = result if isinstance(result, dict) else {}
    reported = result.get("chat")
    chat_id = reported.get("id") if isinstance(reported, dict) else None
    return str(chat_id if chat_id is not None else chat), str(result.get("message_id", ""))
