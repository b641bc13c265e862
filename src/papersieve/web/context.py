"""What every route needs: this thread's store, the templates, and a page renderer."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from papersieve.errors import StoreError
from papersieve.store import open_store
from papersieve.store.db import Store
from papersieve.web import filters
from papersieve.web.accounts import chosen_profile, group_mode, member_of
from papersieve.web.guard import DEFAULT_BUDGET, QueryGuard, client_gone, guarded_method

T = TypeVar("T")

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
KATEX = HERE.parent / "data" / "katex"
"""KaTeX, vendored (its README.md), served at /static/katex/."""


class Stores:
    """One store connection per worker thread: SQLite connections are not shared across threads.

    Each connection has a `QueryGuard`: every request gets `budget` steps (web/guard.py).
    """

    def __init__(self, path: Path, budget: int = DEFAULT_BUDGET) -> None:
        self.path = path
        self.read_only = False
        """True when the store could only be opened read-only (a read-only disk): pages work,
        likes answer with the store's one-line error."""
        self.budget = budget
        self._local = threading.local()
        self._all: list[Store] = []
        self.guards: list[QueryGuard] = []
        """Every connection's guard (what a bench or a test inspects)."""
        self._lock = threading.Lock()

    def get(self) -> Store:
        """This thread's store, opened (and migrated) on first use."""
        store: Store | None = getattr(self._local, "store", None)
        if store is None:
            store = self._open()
            self._local.store = store
            self._local.guard = QueryGuard(store.conn, self.budget)
            with self._lock:
                self._all.append(store)
                self.guards.append(self._local.guard)
        return store

    def _open(self) -> Store:
        if self.read_only:
            return open_store(self.path, read_only=True)
        try:
            return open_store(self.path)
        except StoreError as first:
            writable = os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK)
            if not self.path.exists() or writable:
                raise  # a locked or damaged store is not served read-only behind the user's back
            # The store cannot be written (a read-only disk, no write permission): serve it
            # read-only rather than not at all; if it cannot be read either, the first error
            # is the one to show.
            try:
                store = open_store(self.path, read_only=True)
            except StoreError:
                raise first from None
            self.read_only = True
            return store
    def guard(self) -> QueryGuard:
        """This thread's query guard (opening the store first if needed)."""
        self.get()
        guard: QueryGuard = self._local.guard
        return guard

    def close_all(self) -> None:
        """Close every connection opened so far."""
        with self._lock:
            for store in self._all:
                store.close()
            self._all.clear()
            self.guards.clear()
        self._local = threading.local()


def make_templates() -> Jinja2Templates:
    """Jinja2 with autoescaping always on (every piece of paper text is escaped)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # The templates ship with the package: a digest of 80 picks included _paper.html 80 times,
        # each include checking the file's time on disk.
        auto_reload=False,
    )
    env.filters.update(filters.FILTERS)
    return Jinja2Templates(env=env, context_processors=[_page_context])


def _page_context(request: Request) -> dict[str, Any]:
    query = f"?{request.url.query}" if request.url.query else ""
    return {"csrf_token": request.state.csrf_token, "here": request.url.path + query,
            "served_profile": served_name(request), "member": member_of(request),
            "group_app": group_mode(request)}


def served_name(request: Request) -> str:
    """The served profile's name: whose likes a page outside a digest shows and records (in the
    group app: the signed-in member's chosen profile, "" for a visitor)."""
    if group_mode(request):
        return chosen_profile(request, strict=False) or ""
    name: str = request.app.state.teacher.served().name
    return name


def store_of(request: Request) -> Store:
    """The store for this request's thread; a GET's statements have a budget and are abandoned if
    the client leaves (web/guard.py)."""
    stores: Stores = request.app.state.stores
    store = stores.get()
    stores.guard().serve(request.scope, client_gone(request),
                         limited=guarded_method(request.method))
    return store


async def in_worker(request: Request, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`func(store, *args, **kwargs)` in a worker thread, with that thread's own store.

    An async handler that passed `store_of(request)` to `run_in_threadpool` handed the event
    loop's connection to a worker thread while the event loop kept using it (the accounts
    middleware looks the member up there): two threads in one SQLite connection, and the group
    app hung for good when one held the connection's mutex waiting for the GIL (CI found it in the
    browser test that previews topics)."""
    return await run_in_threadpool(lambda: func(store_of(request), *args, **kwargs))


def render(
    request: Request,
    name: str,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> Response:
    """A server-rendered page."""
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context, status_code=status_code, headers=headers)
