"""A loopback Slack: an incoming-webhook receiver and a fake Web API `chat.postMessage`.

Every POST is recorded (path, headers, JSON body). The Web API checks the bearer token, answers
`{"ok": true, "ts": ...}` with a new timestamp per message, and `{"ok": false, "error": ...}` for
a wrong token or a missing channel; `fail_next` queues HTTP statuses for the next requests
(a 429 with `retry_after` as its Retry-After header).
"""

from __future__ import annotations

import json
import threading
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
            return 200, {"ok": True, "channel": body["channel"], "ts": f"{self._ts}.000100"}


def _handler(server: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
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
