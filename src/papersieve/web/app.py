"""The local web app: `create_app()` builds it, `papersieve serve` runs it with uvicorn."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from papersieve.home import database_path
from papersieve.profile.loader import Profile
from papersieve.web.context import KATEX, STATIC, Stores, make_templates
from papersieve.web.guard import ClientWatch, budget_from_env, too_expensive_handler
from papersieve.web.routes import collected, feedback, pages, papers, teach, unsubscribe
from papersieve.web.security import SecurityMiddleware, token_from_env
from papersieve.web.teach import Teacher


def create_app(
    store_path: Path | str | None = None,
    *,
    token: str | None = None,
    secret: bytes | None = None,
    profile: Profile | None = None,
    query_budget: int | None = None,
) -> Starlette:
    """The app over the store at `store_path` (default: the user's store).

    `token` is the access token every request must carry; None reads `PAPERSIEVE_WEB_TOKEN` (unset
    means no token: the app then answers only to loopback host names). `secret` signs the CSRF
    cookie (default: random per process). `profile` is the one likes retrain (default: the
    user's profile). `query_budget` bounds each SQL statement (web/guard.py; None reads
    `PAPERSIEVE_WEB_QUERY_BUDGET`, else the default).
    """
    budget = query_budget if query_budget is not None else budget_from_env()
    stores = Stores(Path(store_path) if store_path is not None else database_path(), budget)
    stores.get()  # open (and migrate) now, so a broken store fails at start, not on a page
    access_token = token if token is not None else token_from_env()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        stores.close_all()

    app = Starlette(
        routes=[
            Route("/", pages.today, name="today"),
            Route("/day/{day}", pages.day, name="day"),
            Route("/run/{run_id}", pages.run, name="run"),
            Route("/archive", pages.archive, name="archive"),
            Route("/runs", pages.runs, name="runs"),
            Route("/search", papers.search, name="search"),
            Route("/paper/{paper_id:path}", papers.paper, name="paper"),
            Route("/similar/{paper_id:path}", papers.similar, name="similar"),
            Route("/collections", collected.index, name="collections"),
            Route("/collections/file", collected.file, methods=["POST"], name="file"),
            Route("/collection/{name}/{kind}", collected.export, name="collection_export"),
            Route("/collection/{name}", collected.page, name="collection"),
            Route("/likes/{kind}", collected.export, name="likes_export"),
            Route("/feedback", feedback.post, methods=["POST"], name="feedback"),
            Route("/unsubscribe/{token}", unsubscribe.page, name="unsubscribe"),
            Route("/unsubscribe/{token}", unsubscribe.confirm, methods=["POST"]),
            # KaTeX (vendored in papersieve/data/katex) before the app's own static files.
            Mount("/static/katex", app=StaticFiles(directory=KATEX), name="katex"),
            Route("/teach", teach.page, name="teach"),
            Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
        ],
        # ClientWatch first (outermost): it must read the client's own messages, not a replay.
        middleware=[Middleware(ClientWatch),
                    Middleware(SecurityMiddleware, token=access_token, secret=secret)],
        exception_handlers={HTTPException: pages.http_error,
                            sqlite3.OperationalError: too_expensive_handler(pages.http_error)},
        lifespan=lifespan,
    )
    app.state.stores = stores
    app.state.templates = make_templates()
    app.state.teacher = Teacher(profile)
    return app
