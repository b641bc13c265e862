"""Like / dislike: the one state-changing route; it goes through the same library call as the CLI."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from papersieve.errors import PapersieveError
from papersieve.web import queries
from papersieve.web.accounts import require_profile
from papersieve.web.context import render, served_name, store_of
from papersieve.web.teach import Teacher, check_profile_name

LABELS = {"like": 1, "dislike": -1, "withdraw": 0}


async def post(request: Request) -> Response:
    """Record a like or dislike for the page's profile (the form's `profile`, else the served
    one); htmx gets the updated buttons, a plain form post a redirect."""
    form = await request.form()
    paper_id = str(form.get("paper_id", ""))
    profile = str(form.get("profile", "")) or served_name(request)
    require_profile(request, profile)
    label = LABELS.get(str(form.get("label", "")))
    if label is None:
        raise HTTPException(400, "label must be like, dislike or withdraw")
    new_label = await run_in_threadpool(_record, request, paper_id, label, profile)
    back = safe_next(str(form.get("next", "")), paper_id)
    if request.headers.get("hx-request"):
        return render(request, "_feedback.html", fb_id=paper_id, fb_label=new_label,
                      fb_profile=profile, fb_next=back)
    return RedirectResponse(back, status_code=303)


def _record(request: Request, paper_id: str, label: int, profile: str) -> int | None:
    """In a worker thread (retraining takes a moment): record, then read the paper's new label."""
    store = store_of(request)
    if not queries.labels(store, [paper_id], profile):
        raise HTTPException(404, "no such paper in the store")
    teacher: Teacher = request.app.state.teacher
    try:
        known = {*queries.profiles(store), served_name(request)}
        teacher.record(store, paper_id, label, check_profile_name(profile, known))
    except PapersieveError as err:  # e.g. a stored id that is not an arXiv id, an unknown profile
        raise HTTPException(400, str(err)) from err
    return queries.labels(store, [paper_id], profile)[paper_id]


def safe_next(target: str, paper_id: str) -> str:
    """Only a path on this site: never an open redirect to another host."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return f"/paper/{paper_id}"
