"""Like / dislike: the one state-changing route. It goes through the same library call as the CLI."""

from __future__ import annotations

import importlib

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from papersieve.store.db import Store
from papersieve.store.feedback import add_feedback
from papersieve.web import queries
from papersieve.web.context import render, store_of

LABELS = {"like": 1, "dislike": -1}


async def post(request: Request) -> Response:
    """Record a like or dislike; htmx gets the updated buttons, a plain form post a redirect."""
    form = await request.form()
    paper_id = str(form.get("paper_id", ""))
    label = LABELS.get(str(form.get("label", "")))
    if label is None:
        raise HTTPException(400, "label must be like or dislike")
    store = store_of(request)
    if not queries.labels(store, [paper_id]):
        raise HTTPException(404, "no such paper in the store")
    record(store, paper_id, label)
    new_label = queries.labels(store, [paper_id])[paper_id]
    if request.headers.get("hx-request"):
        return render(request, "_feedback.html", fb_id=paper_id, fb_label=new_label)
    return RedirectResponse(_safe_next(str(form.get("next", "")), paper_id), status_code=303)


def record(store: Store, paper_id: str, label: int) -> None:
    """Record one label (and retrain the local judge) through `papersieve.feedback`."""
    try:
        module = importlib.import_module("papersieve.feedback")
    except ImportError:
        module = None
    if module is not None:
        module.record_feedback(store, [paper_id], label, source="web")
        return
    add_feedback(store, [paper_id], label, "web")


def _safe_next(target: str, paper_id: str) -> str:
    """Only a path on this site: never an open redirect to another host."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return f"/paper/{paper_id}"
