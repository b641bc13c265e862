"""A loopback HTTP server that answers each request from a queue of scripted replies.

`server.script(Reply(...), ...)` queues replies; once the queue is empty every request gets 200
"ok". A reply may be endless (`endless=True`: chunks until the client goes away), trickle
(`trickle=seconds` between one-byte chunks), or gzip-encoded. `server.requests` logs
(method, path, headers, arrival time).
"""

from __future__ import annotations

import gzip
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    """One scripted answer."""

    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    endless: bool = False
    trickle: float = 0.0
    gzip: bool = False


class ScriptedServer:
    """Start with `with ScriptedServer() as server:`; listens on 127.0.0.1 with a free port."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str], float]] = []
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._replies.extend(replies)

    def next_reply(self) -> Reply:
        with self._lock:
            return self._replies.popleft() if self._replies else Reply()

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _handler(server: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length:
                self.rfile.read(length)
            server.requests.append((self.command, self.path, dict(self.headers), time.monotonic()))
            reply = server.next_reply()
            try:
                if reply.endless or reply.trickle:
                    self._stream(reply)
                else:
                    body = gzip.compress(reply.body) if reply.gzip else reply.body
                    self.send_response(reply.status)
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    if reply.gzip:
                        self.send_header("Content-Encoding", "gzip")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _stream(self, reply: Reply) -> None:
            self.send_response(reply.status)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"x" * 65536 if reply.endless else b"x"
            deadline = time.monotonic() + 60  # a test server stops by itself
            while time.monotonic() < deadline:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
                if reply.trickle:
                    time.sleep(reply.trickle)
            self.wfile.write(b"0\r\n\r\n")

        do_GET = _answer
        do_POST = _answer

    return Handler
