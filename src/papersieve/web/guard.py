"""The web app's cost guard: the SQL of each request has a budget, and is abandoned when the
client has gone.

Why: one search GET with many one-letter prefix words cost 190 s of CPU on a 25k-paper store, kept
running after the browser left, and needs no token (any page can fire it at 127.0.0.1 with an
`<img>`). SQLite calls a progress handler every `STEP` virtual-machine instructions; the handler
stops the running statement (sqlite3 then raises "interrupted") once the request's statements have
used its budget together (steps, and CPU seconds of the thread: FTS5 does much of a search's work
inside one step), or the client has disconnected. Per request, not per statement: FTS5 runs
statements of its own inside a search, so statement starts cannot reset a count. `ClientWatch` is
the ASGI middleware that notices the disconnect.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from papersieve.errors import ConfigError

STEP = 1000
"""Virtual-machine instructions between two calls of the progress handler."""
DEFAULT_BUDGET = 50_000
"""Progress-handler calls (x STEP instructions) one request's SQL may use: 50 times the heaviest
ordinary page on a 25k-paper store (1,025, a search by category alone; bench/search_cost.py)."""
DEFAULT_CPU_SECONDS = 5.0
"""CPU seconds of its thread one request's SQL may use (ordinary pages: under 0.1 s on 25k papers)."""
COST_PER_STEP = 100.0
"""On PostgreSQL, which runs no callback inside a statement, the budget is of planned cost instead
(EXPLAIN's total cost of each read, added up per request, store/pgconn.py), 100 units a step. On
the tests' store (tests/webdata.py) the ordinary pages planned 145 to 16,146 units where SQLite ran
0 to 89 steps (bench/page_budget_pg.py, bench/RESULTS.md): the default budget is then 5,000,000
units, some 300 times the heaviest of them; a read planned past what is left is not run at all."""
_CLOCK_EVERY = 16
"""Progress-handler calls between two looks at the CPU clock (a look costs about a microsecond)."""
BUDGET_ENV = "PAPERSIEVE_WEB_QUERY_BUDGET"
"""Overrides the budget (in steps of 1000 instructions)."""
TOO_EXPENSIVE = ("this page needs more work than the server allows for one request"
                 " (a search with many short prefix* words?): narrow it down and try again")
CLIENT_GONE = "client_gone"
"""The key, in the request's state, of the event set when the client disconnects."""


def budget_from_env() -> int:
    """The budget in steps: `PAPERSIEVE_WEB_QUERY_BUDGET`, else `DEFAULT_BUDGET`."""
    raw = os.environ.get(BUDGET_ENV, "").strip()
    if not raw:
        return DEFAULT_BUDGET
    if not raw.isdigit() or int(raw) <= 0:
        raise ConfigError(f"{BUDGET_ENV} must be a positive whole number, not {raw!r}")
    return int(raw)


class QueryGuard:
    """A budget for the statements of one request on one connection; abandons them if the client
    leaves."""

    def __init__(self, conn: sqlite3.Connection, budget: int = DEFAULT_BUDGET,
                 cpu_seconds: float = DEFAULT_CPU_SECONDS) -> None:
        self.budget = budget
        self.cpu_seconds = cpu_seconds
        self.used = 0
        self._cpu_start = time.thread_time()
        self.stopped = ""
        """Why the last statement was stopped: "budget", "client gone" or ""."""
        self._gone: threading.Event | None = None
        self._request: object = None
        self._limited = True
        conn.set_progress_handler(self._tick, STEP)
        # PostgreSQL runs no Python callback inside a statement: its server stops a statement
        # past the same time instead, and a read whose planned cost would take the request past
        # its budget is refused (store/pgconn.py; the error is the same "interrupted").
        self._time_limit = getattr(conn, "limit_statements", None)

    def serve(self, request: object, gone: threading.Event | None, *, limited: bool = True) -> None:
        """Run the next statements for `request` (a new one gets a fresh budget); its client
        leaving sets `gone`. `limited` False runs them unguarded (see `guarded_method`)."""
        fresh = request is not self._request
        if fresh:
            self._request = request
            self.used = 0
            self.stopped = ""
            self._cpu_start = time.thread_time()
        self._gone = gone
        self._limited = limited
        if self._time_limit is not None:
            if limited:
                self._time_limit(self.cpu_seconds, self.budget * COST_PER_STEP, new_request=fresh)
            else:
                self._time_limit(0.0, 0.0, new_request=fresh)

    def _tick(self) -> int:
        self.used += 1
        if not self._limited:
            return 0
        if self._gone is not None and self._gone.is_set():
            self.stopped = "client gone"
            return 1
        if self.used > self.budget or (
                self.used % _CLOCK_EVERY == 0
                and time.thread_time() - self._cpu_start > self.cpu_seconds):
            self.stopped = "budget"
            return 1
        return 0


def guarded_method(method: str) -> bool:
    """True for the requests the guard limits: GET and HEAD, which any web page can make a browser
    send (an `<img>`). A POST needs the CSRF token, and a like's retraining of the local judge may
    rightly take seconds on a large store: stopping it halfway would help nobody."""
    return method in ("GET", "HEAD")


def is_interrupted(err: BaseException) -> bool:
    """True for the error sqlite3 raises when the progress handler stopped a statement."""
    return isinstance(err, sqlite3.OperationalError) and str(err) == "interrupted"


def too_expensive_handler(
    error_page: Callable[[Request, Exception], Awaitable[Response]],
) -> Callable[[Request, Exception], Awaitable[Response]]:
    """An exception handler: a stopped statement is a 503 error page with a clear message."""

    async def handle(request: Request, exc: Exception) -> Response:
        if not is_interrupted(exc):
            raise exc
        return await error_page(request, HTTPException(503, TOO_EXPENSIVE))

    return handle


def client_gone(request: Request) -> threading.Event | None:
    """The event `ClientWatch` sets when this request's client disconnects (None outside it)."""
    state: dict[str, Any] = request.scope.get("state", {})
    event = state.get(CLIENT_GONE)
    return event if isinstance(event, threading.Event) else None


class ClientWatch:
    """ASGI middleware: reads the client's messages while the app works, so that a disconnect
    is seen at once (a route running in a worker thread would not see it until it replies)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        gone = threading.Event()
        scope.setdefault("state", {})[CLIENT_GONE] = gone
        inbox: asyncio.Queue[Message] = asyncio.Queue()

        async def pump() -> None:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    gone.set()
                await inbox.put(message)
                if message["type"] == "http.disconnect":
                    return

        task = asyncio.create_task(pump())
        try:
            await self.app(scope, inbox.get, send)
        finally:
            task.cancel()
