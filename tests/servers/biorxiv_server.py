"""A loopback bioRxiv / medRxiv details API serving the fixtures of tests/fixtures/biorxiv,
misbehaving on request like the arXiv feed server does.

`with BiorxivServer() as server:` listens on 127.0.0.1; `server.url` is a
`PAPERSIEVE_BIORXIV_API_URL` value. It answers `GET /details/{server}/{from}/{to}/{cursor}` with
the `category` query parameter (underscores or %20 for spaces), as api.biorxiv.org/details/help
describes: at most 100 records per call, `messages[0]` with `status`, `interval`, `cursor`,
`count`, `count_new_papers` and `total`, and `status: "no posts found"` for an empty interval.
`server.extra_posts = N` adds N generated posts (bioRxiv neuroscience, posted 2025-07-02)
to make a day span several pages. `server.misbehave("biorxiv", "500", ...)` queues faults for
the next requests of a server, in order:

- "500": HTTP 500; "429": HTTP 429 with `Retry-After: <retry_after>`;
- "slow": the reply starts after `slow_seconds`; "html": an HTML error page;
- "truncated": the JSON cut in half; "empty": "no posts found" whatever was asked;
- "stale": the posts of the day before the interval asked for;
- "stuck": a page whose cursor never advances (the same first page, a huge total).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "biorxiv" / "posts.json"
FAULTS = ("500", "429", "slow", "html", "truncated", "empty", "stale", "stuck")
PAGE = 100
FIRST_DAY = dt.date(2025, 7, 2)


def fixture_posts() -> list[dict[str, Any]]:
    """The hand-written records (see tests/fixtures/biorxiv/README.md)."""
    posts: list[dict[str, Any]] = json.loads(FIXTURES.read_text("utf-8"))
    return posts


def generated_post(n: int) -> dict[str, Any]:
    """A plain neuroscience post of FIRST_DAY, numbered `n`."""
    doi = f"10.1101/2025.07.01.67{n:04d}"
    return {"doi": doi, "title": f"Generated neuroscience post {n}", "authors": "Doe, J.; Roe, R.",
            "author_corresponding": "Doe, J.", "author_corresponding_institution": "Example University",
            "date": FIRST_DAY.isoformat(), "version": "1", "type": "new results", "license": "cc_by",
            "category": "neuroscience", "jatsxml": "", "abstract": f"Abstract of post {n}.",
            "published": "NA", "server": "biorxiv"}


class BiorxivServer:
    """The server, its posts, fault queues and the log of requests it saw."""

    def __init__(self) -> None:
        self.posts = fixture_posts()
        self.extra_posts = 0
        self.retry_after = "1"
        self.slow_seconds = 1.5
        self.requests: list[str] = []
        self._faults: dict[str, deque[str]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        """The base address, e.g. http://127.0.0.1:54321."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def misbehave(self, server: str, *faults: str) -> None:
        """Queue faults for the next requests to `biorxiv` or `medrxiv`."""
        assert not [f for f in faults if f not in FAULTS], faults
        with self._lock:
            self._faults[server].extend(faults)

    def next_fault(self, server: str) -> str | None:
        """Pop the next queued fault of a server."""
        with self._lock:
            queue = self._faults[server]
            return queue.popleft() if queue else None

    def __enter__(self) -> BiorxivServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def matching(self, server: str, start: str, end: str, category: str) -> list[dict[str, Any]]:
        """The posts of a server, interval and subject, in posting order."""
        posts = self.posts + [generated_post(n) for n in range(self.extra_posts)]
        wanted = category.replace("_", " ").lower()
        return [p for p in posts if p["server"] == server and start <= p["date"] <= end
                and (not wanted or p["category"] == wanted)]

    def page(self, server: str, start: str, end: str, cursor: int, category: str,
             fault: str | None) -> bytes:
        """One reply of the details endpoint, shaped by `fault`."""
        if fault == "stale":
            before = (dt.date.fromisoformat(start) - dt.timedelta(days=1)).isoformat()
            start = end = before
        posts = [] if fault == "empty" else self.matching(server, start, end, category)
        if fault == "stuck":
            cursor, total = 0, 10**9
        else:
            total = len(posts)
        chunk = posts[cursor:cursor + PAGE]
        if not chunk:
            body: dict[str, Any] = {"messages": [{"status": "no posts found"}], "collection": []}
        else:
            body = {"messages": [{"status": "ok", "interval": f"{start}:{end}", "cursor": str(cursor),
                                  "count": len(chunk), "count_new_papers": str(len(chunk)),
                                  "total": str(total)}],
                    "collection": chunk}
        data = json.dumps(body).encode("utf-8")
        return data[: len(data) // 2] if fault == "truncated" else data


def _handler(server: BiorxivServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests assert on `server.requests`."""

        def do_GET(self) -> None:
            server.requests.append(self.path)
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            segments = [unquote(s) for s in parts.path.strip("/").split("/")]
            if len(segments) != 5 or segments[0] != "details":
                self._reply(404, b"not found", "text/plain")
                return
            _, name, start, end, cursor = segments
            fault = server.next_fault(name)
            if fault == "500":
                self._reply(500, b"Internal Server Error", "text/plain")
            elif fault == "429":
                self._reply(429, b"Too Many Requests", "text/plain", {"Retry-After": server.retry_after})
            elif fault == "html":
                self._reply(200, b"<html><body>Service unavailable</body></html>", "text/html")
            else:
                if fault == "slow":
                    time.sleep(server.slow_seconds)
                body = server.page(name, start, end, int(cursor), query.get("category", ""), fault)
                self._reply(200, body, "application/json")

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
                pass

    return Handler
