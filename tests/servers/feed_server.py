"""A loopback arXiv: daily RSS/Atom feeds, the query API and OAI-PMH, misbehaving on request.

Start it with `with FeedServer() as server:`; it listens on 127.0.0.1 with a free port.
`server.rss_template` is a `PAPERSIEVE_ARXIV_RSS_URL` value. `server.misbehave(category,
"500", "429", ...)` queues faults that the next requests for that category get, in order:

- "500": HTTP 500; "429": HTTP 429 with `Retry-After: <retry_after>`;
- "slow": the reply starts after `slow_seconds` (beyond the client's timeout);
- "truncated": the feed cut in the middle of an item; "html": an HTML error page;
- "weekend": a valid feed with no items; "stale": the feed of the day before;
- "endless": a 200 whose body never ends (RSS items, as fast as the client reads);
- "trickle": a 200 whose body never ends, one byte every `trickle_seconds`.

`server.sent` counts the body bytes of "endless" and "trickle" replies written so far.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.servers import arxiv_feeds as af

FAULTS = ("500", "429", "slow", "truncated", "html", "weekend", "stale", "endless", "trickle")


class FeedServer:
    """The server, its day, its fault queues and the log of requests it saw."""

    def __init__(self, day: dt.date = af.DAYS[0], *, replacements: bool = True) -> None:
        self.day = day
        self.replacements = replacements
        self.retry_after = "1"
        self.slow_seconds = 1.5
        self.trickle_seconds = 0.005
        self.sent = 0
        self.lag: dict[str, int] = {}
        """Days a category's feed is behind (a per-category stale feed that never catches up)."""
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._faults: dict[str, deque[str]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False  # a "slow" reply must not hold up shutdown
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def url(self) -> str:
        """The base address, e.g. http://127.0.0.1:54321."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def rss_template(self) -> str:
        """A `PAPERSIEVE_ARXIV_RSS_URL` value."""
        return self.url + "/rss/{category}"

    @property
    def atom_template(self) -> str:
        """A `PAPERSIEVE_ARXIV_ATOM_URL` value."""
        return self.url + "/atom/{category}"

    def misbehave(self, key: str, *faults: str) -> None:
        """Queue faults for the next requests of a category (or "api" / "oai")."""
        unknown = [f for f in faults if f not in FAULTS]
        assert not unknown, f"unknown fault {unknown}"
        with self._lock:
            self._faults[key].extend(faults)

    def next_fault(self, key: str) -> str | None:
        """Pop the next queued fault of a key."""
        with self._lock:
            queue = self._faults[key]
            return queue.popleft() if queue else None

    def paths(self) -> list[str]:
        """The paths requested so far, in order."""
        return [path for path, _ in self.requests]

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def feed(self, kind: str, category: str, fault: str | None) -> bytes:
        """The body of a daily feed for the server's day, shaped by `fault`."""
        if self.day == RECORDED_DAY:
            recorded = af.recorded_rss(category) if kind == "rss" else None
            if recorded is not None and fault is None:
                return recorded
        day = self.day - dt.timedelta(days=self.lag.get(category, 0) + (fault == "stale"))
        items = [] if fault == "weekend" else af.day_items(day, category, self.replacements)
        build = af.rss_feed if kind == "rss" else af.atom_feed
        body = build(category, day, items)
        if fault == "truncated":
            cut = body.find(b"<item>" if kind == "rss" else b"<entry>", len(body) // 2)
            return body[: cut + 40]
        return body


RECORDED_DAY = dt.date(2026, 4, 27)
"""The day of the recorded feeds in data/realworld/feeds/rss; that day serves them verbatim."""


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests assert on `server.requests` instead."""

        def do_GET(self) -> None:
            server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            segments = parts.path.strip("/").split("/")
            if segments[0] in ("rss", "atom") and len(segments) == 2:
                self._serve(segments[1], lambda f: server.feed(segments[0], segments[1], f),
                            "application/rss+xml" if segments[0] == "rss" else "application/atom+xml")
            elif segments[0] == "api":
                self._serve("api", lambda f: af.api_response(
                    query.get("search_query", ""), int(query.get("start", 0)),
                    int(query.get("max_results", 10))), "application/atom+xml")
            elif segments[0] == "oai":
                first, second = af.oai_pages()
                page = second if query.get("resumptionToken") == af.OAI_TOKEN else first
                self._serve("oai", lambda f: page, "text/xml")
            else:
                self._reply(404, b"not found", "text/plain")

        def _serve(self, key: str, body: Any, content_type: str) -> None:
            fault = server.next_fault(key)
            if fault == "500":
                self._reply(500, b"Internal Server Error", "text/plain")
            elif fault == "429":
                self._reply(429, b"Rate exceeded.", "text/plain",
                            {"Retry-After": server.retry_after})
            elif fault in ("endless", "trickle"):
                self._stream_forever(fault, content_type)
            elif fault == "html":
                self._reply(200, b"<html><body><h1>Service unavailable</h1></body></html>",
                            "text/html")
            else:
                if fault == "slow":
                    time.sleep(server.slow_seconds)
                self._reply(200, body(fault), content_type)

        def _stream_forever(self, fault: str, content_type: str) -> None:
            # No Content-Length: the body ends when the connection does, that is never.
            item = b"<item><title>again</title></item>\n" * 100
            try:
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(b"<rss><channel>")
                while True:
                    chunk = item if fault == "endless" else b" "
                    self.wfile.write(chunk)
                    self.wfile.flush()
                    server.sent += len(chunk)
                    if fault == "trickle":
                        time.sleep(server.trickle_seconds)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client stopped reading: the point of the test

        def _reply(self, status: int, body: bytes, content_type: str,
                   headers: dict[str, str] | None = None) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (its timeout); that is the point of "slow"

    return Handler
