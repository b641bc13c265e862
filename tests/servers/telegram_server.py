"""A loopback Telegram Bot API (core.telegram.org/bots/api), for the methods papersieve calls.

`POST /bot<TOKEN>/<method>` with a JSON body; every answer is `{"ok": true, "result": ...}` or
`{"ok": false, "error_code": N, "description": "..."}` as the documentation gives them:

- a token other than `TOKEN`: 401 "Unauthorized" (with `echo_token`, the description quotes the
  path, token included, as a careless proxy would);
- `sendMessage`: a chat not in `chats` is 400 "Bad Request: chat not found"; the text is parsed
  as the HTML parse mode demands (only the documented tags, `&`/`<`/`>` escaped, tags balanced:
  else 400 "Bad Request: can't parse entities: ..."), and its length after parsing is at most
  4,096 UTF-16 units (else 400 "Bad Request: message is too long"); a button's `callback_data`
  must be 1-64 bytes (400 "Bad Request: BUTTON_DATA_INVALID"). Two messages to one chat less
  than `flood_gap` seconds apart: 429 "Too Many Requests: retry after N" with
  `parameters.retry_after` (the body only, no Retry-After header, as Telegram documents it);
- `getUpdates`: the queued updates from `offset` on (`limit` of them); an offset confirms every
  update below it, which is then gone for good; a negative offset keeps the last ones; with
  `webhook` set, 409 "Conflict: can't use getUpdates method while webhook is active";
- `answerCallbackQuery`: a query marked too old is 400 "Bad Request: query is too old ...".

`fail_next` queues (status, description, retry_after) answers for the next calls of any method.
"""

from __future__ import annotations

import html
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "123456789:AAHfakeTelegramTokenForLoopbackTests_x"
TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
        "blockquote", "tg-spoiler", "span", "tg-emoji"}
ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
TAG = re.compile(r"<(/?)([a-z-]+)((?:\s+[a-z-]+(?:=\"[^\"<>]*\")?)*)\s*>")


@dataclass
class Sent:
    """One message the bot sent."""

    chat_id: int | str
    message_id: int
    text: str
    keyboard: list[list[dict[str, str]]]
    at: float


@dataclass
class FakeTelegram:
    """The server; use as a context manager. `chats` are the chat ids that exist."""

    chats: set[str] = field(default_factory=lambda: {"4242", "-1001234"})
    flood_gap: float = 0.0
    retry_after: int = 1
    echo_token: bool = False
    webhook: bool = False
    sent: list[Sent] = field(default_factory=list)
    answered: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    fail_next: deque[tuple[int, str, int | None]] = field(default_factory=deque)
    too_old: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._updates: list[dict[str, Any]] = []
        self._update_id = 500_000
        self._message_id = 100
        self._last: dict[str, float] = {}
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        """A PAPERSIEVE_TELEGRAM_API_URL value."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> FakeTelegram:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def press(self, message: Sent, data: str, *, chat: str | None = None, username: str = "",
              too_old: bool = False) -> str:
        """A user taps a button: queue a callback_query update (returns its query id)."""
        with self._lock:
            self._update_id += 1
            query_id = f"q{self._update_id}"
            chat_id = chat if chat is not None else str(message.chat_id)
            self._updates.append({"update_id": self._update_id, "callback_query": {
                "id": query_id, "from": {"id": 7, "is_bot": False, "first_name": "Ada"},
                "chat_instance": "-55",
                "message": {"message_id": message.message_id, "date": int(time.time()),
                            "chat": {"id": int(chat_id), "type": "private", "username": username},
                            "text": "..."},
                "data": data}})
            if too_old:
                self.too_old.add(query_id)
            return query_id

    def post(self, chat: str, text: str) -> None:
        """Someone writes to the bot: queue a message update."""
        with self._lock:
            self._update_id += 1
            self._updates.append({"update_id": self._update_id, "message": {
                "message_id": 1, "date": int(time.time()), "text": text,
                "chat": {"id": int(chat), "type": "group", "title": "Reading group"}}})

    @property
    def pending(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed."""
        with self._lock:
            return list(self._updates)

    def answer(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Status and JSON reply for one call."""
        match = re.fullmatch(r"/bot([^/]*)/(\w+)", path)
        if match is None:
            return 404, _error(404, "Not Found")
        token, method = match.groups()
        with self._lock:
            self.calls.append((method, body))
            if token != TOKEN:
                return 401, _error(401, f"Unauthorized: {path}" if self.echo_token else "Unauthorized")
            if self.fail_next:
                status, description, wait = self.fail_next.popleft()
                if self.echo_token:
                    description += f" (at {path})"
                return status, _error(status, description, wait)
            handler = {"sendMessage": self._send, "getUpdates": self._get_updates,
                       "answerCallbackQuery": self._answer_query}.get(method)
            if handler is None:
                return 404, _error(404, "Not Found: method not found")
            return handler(body)

    def _send(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat = str(body.get("chat_id", ""))
        if chat not in self.chats:
            return 400, _error(400, "Bad Request: chat not found")
        text = str(body.get("text", ""))
        problem = parse_html(text) if body.get("parse_mode") == "HTML" else ""
        if problem:
            return 400, _error(400, f"Bad Request: can't parse entities: {problem}")
        visible = visible_text(text) if body.get("parse_mode") == "HTML" else text
        if not visible.strip():
            return 400, _error(400, "Bad Request: message text is empty")
        if len(visible.encode("utf-16-le")) // 2 > 4096:
            return 400, _error(400, "Bad Request: message is too long")
        keyboard = (body.get("reply_markup") or {}).get("inline_keyboard") or []
        for row in keyboard:
            for button in row:
                if not 1 <= len(str(button.get("callback_data", "")).encode()) <= 64:
                    return 400, _error(400, "Bad Request: BUTTON_DATA_INVALID")
        now = time.monotonic()
        last = self._last.get(chat)
        if self.flood_gap and last is not None and now - last < self.flood_gap:
            return 429, _error(429, f"Too Many Requests: retry after {self.retry_after}", self.retry_after)
        self._last[chat] = now
        self._message_id += 1
        self.sent.append(Sent(body["chat_id"], self._message_id, text, keyboard, now))
        return 200, {"ok": True, "result": {"message_id": self._message_id, "date": int(time.time()),
                                            "chat": {"id": int(chat), "type": "private"}, "text": visible}}

    def _get_updates(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.webhook:
            return 409, _error(409, "Conflict: can't use getUpdates method while webhook is active;"
                                    " use deleteWebhook to delete the webhook first")
        offset = int(body.get("offset") or 0)
        limit = max(1, min(int(body.get("limit") or 100), 100))
        if offset < 0:
            self._updates = self._updates[offset:]
        elif offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        return 200, {"ok": True, "result": self._updates[:limit]}

    def _answer_query(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        query = str(body.get("callback_query_id", ""))
        if query in self.too_old:
            return 400, _error(400, "Bad Request: query is too old and response timeout expired or"
                                    " query ID is invalid")
        self.answered.append(body)
        return 200, {"ok": True, "result": True}


def _error(code: int, description: str, retry_after: int | None = None) -> dict[str, Any]:
    reply: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        reply["parameters"] = {"retry_after": retry_after}
    return reply


def parse_html(text: str) -> str:
    """'' when `text` is valid for Telegram's HTML parse mode, else the problem."""
    stack: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "<":
            match = TAG.match(text, i)
            if match is None or match.group(2) not in TAGS:
                return f"unsupported start tag at byte offset {i}"
            closing, name = match.group(1), match.group(2)
            if closing:
                if not stack or stack.pop() != name:
                    return f"unexpected end tag at byte offset {i}"
            else:
                if name == "a" and 'href="' not in match.group(3):
                    return f"a tag without href at byte offset {i}"
                stack.append(name)
            i = match.end()
        elif char == "&":
            match = ENTITY.match(text, i)
            if match is None:
                return f"character '&' is reserved at byte offset {i}"
            i = match.end()
        elif char == ">":
            return f"character '>' is reserved at byte offset {i}"
        else:
            i += 1
    return f"can't find end tag corresponding to start tag {stack[-1]}" if stack else ""


def visible_text(text: str) -> str:
    """The text as Telegram shows it: tags removed, entities decoded."""
    return html.unescape(TAG.sub("", text))


def _handler(server: FakeTelegram) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                body = {}
            status, reply = server.answer(self.path, body if isinstance(body, dict) else {})
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
