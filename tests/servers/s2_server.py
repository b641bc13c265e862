"""A Semantic Scholar Graph API stand-in on loopback: the paper and author batch endpoints."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


class FakeS2:
    """Answers `POST /graph/v1/paper/batch` and `/author/batch` from dictionaries.

    `papers`: arXiv id -> [(author id, name)]; `authors`: author id -> h-index (None: unknown).
    `statuses`: HTTP statuses to answer first, one per request, before answering normally.
    """

    def __init__(
        self, papers: Mapping[str, Sequence[tuple[str, str]]], authors: Mapping[str, int | None],
        statuses: Sequence[int] = (),
    ) -> None:
        self.papers = papers
        self.authors = authors
        self.statuses = list(statuses)
        self.requests: list[tuple[str, dict[str, list[str]], list[str], str | None]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The Graph API base URL."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/graph/v1"

    def __enter__(self) -> FakeS2:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, path: str, ids: list[str]) -> list[Any]:
        """The JSON list a batch endpoint returns (null for unknown ids)."""
        if path.endswith("/paper/batch"):
            out: list[Any] = []
            for raw in ids:
                authors = self.papers.get(raw.removeprefix("ARXIV:"))
                out.append(None if authors is None else {
                    "paperId": "p" + raw, "authors": [{"authorId": a, "name": n} for a, n in authors]})
            return out
        names = {a: n for authors in self.papers.values() for a, n in authors}
        return [{"authorId": a, "name": names.get(a, ""), "hIndex": self.authors.get(a)}
                if a in self.authors else None for a in ids]


def _handler(server: FakeS2) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            url = urlparse(self.path)
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            server.requests.append((url.path, parse_qs(url.query), body.get("ids", []),
                                    self.headers.get("x-api-key")))
            if server.statuses:
                status = server.statuses.pop(0)
                self._send(status, {"error": "busy"}, {"Retry-After": "0"})
            elif url.path.endswith(("/paper/batch", "/author/batch")):
                self._send(200, server.answer(url.path, body.get("ids", [])))
            else:
                self._send(404, {"error": "not found"})

        def _send(self, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
