"""A loopback Slack: an incoming-webhook receiver and a fake Web API `chat.postMessage`.

Every POST is recorded (path, headers, JSON body). The Web API checks the bearer token, answers
`{"ok": true, "ts": ...}` with a new timestamp per message, and `{"ok": false, "error": ...}` for
a wrong token or a missing channel; `fail_next` queues HTTP statuses for the next requests
(a 429 with `retry_after` as its Retry-After header).

Threads are kept as Slack keeps them: `conversations.replies` (GET, `channel` and `ts`, paginated
by `limit` and `cursor`) returns a thread's parent and replies with their `reactions`, which a
test sets with `react`/`unreact`; `thread_not_found` for an unknown thread, `missing_scope` when
`scopes` lacks channels:history. `channel_ids` maps a channel name to the id Slack answers with.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "xoxb-test-token"


@dataclass(frozen=True)
class Received:
    """One request as the server saw it."""

    path: str
    authorization: str
    body: dict[str, Any]


class FakeSlack:
    """The server; use as a context manager."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.fail_next: deque[int] = deque()
        self.retry_after: str | None = None
        """The Retry-After header of a queued 429 (seconds or an HTTP date), if any."""
        self.echo_auth = False
        """Echo mode: a failure's body (and invalid_auth's) quotes the Authorization header."""
        self._lock = threading.Lock()
        self._ts = 1751500000
        self.channel_ids: dict[str, str] = {}
        self.threads: dict[tuple[str, str], list[dict[str, Any]]] = {}
        """(channel id, thread ts) -> the thread's messages, parent first."""
        self.scopes = {"chat:write", "channels:history"}
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Base address, e.g. http://127.0.0.1:5000."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def webhook_url(self) -> str:
        """A SLACK_WEBHOOK_URL value."""
        return self.url + "/services/T000/B000/XXXX"

    @property
    def api_url(self) -> str:
        """A PAPERSIEVE_SLACK_API_URL value."""
        return self.url + "/api"

    def __enter__(self) -> FakeSlack:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def answer(self, path: str, auth: str, body: dict[str, Any]) -> tuple[int, Any]:
        """Status and reply (JSON object, or text for the webhook)."""
        with self._lock:
            self.received.append(Received(path, auth, body))
            if self.fail_next:
                return self.fail_next.popleft(), f"error (Authorization: {auth})" if self.echo_auth \
                    else "error"
            if path.startswith("/services/"):
                return 200, "ok"
            if path != "/api/chat.postMessage":
                return 404, "no such method"
            if auth != f"Bearer {TOKEN}":
                return 200, {"ok": False, "error": f"invalid_auth: {auth}" if self.echo_auth
                             else "invalid_auth"}
            if not body.get("channel"):
                return 200, {"ok": False, "error": "channel_not_found"}
            self._ts += 1
            channel = self.channel_ids.get(body["channel"], body["channel"])
            ts = f"{self._ts}.000100"
            parent = body.get("thread_ts") or ts
            self.threads.setdefault((channel, parent), []).append(
                {"type": "message", "ts": ts, "text": body.get("text", ""), "thread_ts": parent})
            return 200, {"ok": True, "channel": channel, "ts": ts}

    def react(self, channel: str, ts: str, name: str, user: str = "U1") -> None:
        """A user adds a reaction to a message."""
        with self._lock:
            message = self._message(channel, ts)
            reactions = message.setdefault("reactions", [])
            found = next((r for r in reactions if r["name"] == name), None)
            if found is None:
                reactions.append({"name": name, "users": [user], "count": 1})
            elif user not in found["users"]:
                found["users"].append(user)
                found["count"] += 1

    def unreact(self, channel: str, ts: str, name: str, user: str = "U1") -> None:
        """A user removes a reaction."""
        with self._lock:
            message = self._message(channel, ts)
            for reaction in list(message.get("reactions", [])):
                if reaction["name"] == name and user in reaction["users"]:
                    reaction["users"].remove(user)
                    reaction["count"] -= 1
                    if not reaction["count"]:
                        message["reactions"].remove(reaction)
            if not message.get("reactions"):
                message.pop("reactions", None)

    def _message(self, channel: str, ts: str) -> dict[str, Any]:
        for (chan, _), messages in self.threads.items():
            for message in messages:
                if chan == channel and message["ts"] == ts:
                    return message
        raise KeyError(ts)

    def read(self, path: str, auth: str, query: dict[str, str]) -> tuple[int, Any]:
        """A GET of the Web API (conversations.replies)."""
        with self._lock:
            self.received.append(Received(path, auth, dict(query)))
            if self.fail_next:
                return self.fail_next.popleft(), "error"
            if path != "/api/conversations.replies":
                return 404, "no such method"
            if auth != f"Bearer {TOKEN}":
                return 200, {"ok": False, "error": "invalid_auth"}
            if "channels:history" not in self.scopes:
                return 200, {"ok": False, "error": "missing_scope", "needed": "channels:history"}
            thread = self.threads.get((query.get("channel", ""), query.get("ts", "")))
            if thread is None:
                return 200, {"ok": False, "error": "thread_not_found"}
            limit = int(query.get("limit") or 1000)
            start = int(query.get("cursor") or 0)
            page = [dict(m) for m in thread[start:start + limit]]
            more = start + limit < len(thread)
            return 200, {"ok": True, "messages": page, "has_more": more,
                         "response_metadata": {"next_cursor": str(start + limit) if more else ""}}


def _handler(server: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(parts.query))
            status, reply = server.read(parts.path, self.headers.get("Authorization", ""), query)
            data = (json.dumps(reply) if isinstance(reply, dict) else str(reply)).encode()
            self.send_response(status)
            if status == 429 and server.retry_after is not None:
                self.send_header("Retry-After", server.retry_after)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            status, reply = server.answer(self.path, self.headers.get("Authorization", ""), body)
            data = (json.dumps(reply) if isinstance(reply, dict) else str(reply)).encode()
            self.send_response(status)
            if status == 429 and server.retry_after is not None:
                self.send_header("Retry-After", server.retry_after)
            self.send_header("Content-Type", "application/json" if isinstance(reply, dict)
                             else "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
