"""The "teach me" page: about ten papers chosen to teach the page's profile most (onboarding)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from papersieve.models import Paper
from papersieve.onboarding import questions
from papersieve.web import queries
from papersieve.web.accounts import require_profile
from papersieve.web.context import render, served_name, store_of
from papersieve.web.teach import Teacher


async def page(request: Request) -> Response:
    """The chosen papers of `?profile=` (the served profile by default), each with its buttons."""
    name = request.query_params.get("profile") or served_name(request)
    require_profile(request, name)
    papers, labels = await run_in_threadpool(_choose, request, name)
    return render(request, "teach.html", title="Teach me", profile=name, papers=papers,
                  labels=labels)


def _choose(request: Request, name: str) -> tuple[list[Paper], dict[str, int | None]]:
    """In a worker thread (scoring the recent days takes a moment)."""
    teacher: Teacher = request.app.state.teacher
    profile = teacher.profile_named(name, store_of(request))
    if profile is None:
        raise HTTPException(404, f"this app cannot teach profile {name[:60]!r}")
    store = store_of(request)
    chosen = questions(store, profile)
    return chosen, queries.labels(store, [p.id for p in chosen], name) if chosen else {}
