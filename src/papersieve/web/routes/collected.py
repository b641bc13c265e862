"""Collections: file a paper under a named collection, a collection's page (its papers and the
latest day ranked by it), and exports of a collection or the likes as BibTeX and CSL-JSON."""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from papersieve.web import collections, queries
from papersieve.web.context import render, served_name, store_of
from papersieve.web.routes.feedback import safe_next
from papersieve.web.similar import vectors_of

RANKED = 30
"""Papers of the latest day shown ranked by a collection."""
EXPORTS = {"bibtex": ("application/x-bibtex", "bib"),
           "csl-json": ("application/vnd.citationstyles.csl+json", "json")}


async def file(request: Request) -> Response:
    """File a paper under a collection (`remove=1`: take it out); htmx gets a one-line answer."""
    form = await request.form()
    paper_id, name = str(form.get("paper_id", "")), str(form.get("collection", ""))
    remove = bool(form.get("remove"))
    try:
        found = await run_in_threadpool(collections.file_paper, store_of(request), name, paper_id,
                                        remove=remove)
    except collections.CollectionError as err:
        raise HTTPException(400, str(err)) from err
    if request.headers.get("hx-request"):
        verb = "Taken out of" if remove else "Filed under"
        return render(request, "_filed.html", collection=found, verb=verb)
    return RedirectResponse(safe_next(str(form.get("next", "")), paper_id), status_code=303)


def index(request: Request) -> Response:
    """Every collection, and the likes, with their exports."""
    store = store_of(request)
    likes = collections.liked(store, served_name(request))
    return render(request, "collections.html", title="Collections",
                  collections=collections.all_collections(store), likes=len(likes))


def page(request: Request) -> Response:
    """A collection's papers and the latest day's candidates ranked by closeness to them."""
    store = store_of(request)
    found = collections.find(store, request.path_params["name"])
    if found is None:
        raise HTTPException(404, "no such collection")
    members = collections.papers_in(store, found.id, served_name(request))
    run = queries.latest_done_run(store)
    day = (queries.digest_items(store, run.id, picked_only=False, profile=run.profile)
           if run is not None else [])
    read_only: bool = request.app.state.stores.read_only
    vectors = vectors_of(store, read_only, [i.paper_id for i in members + day]) if members else {}
    ranked = collections.rank_by(vectors, [i.paper_id for i in members], day)[:RANKED]
    return render(request, "collection.html", title=f"Collection {found.name}", collection=found,
                  items=members, ranked=ranked, run=run, quote=quote)


def export(request: Request) -> Response:
    """A collection (or `likes`) as BibTeX or CSL-JSON, as a download."""
    store = store_of(request)
    kind = request.path_params["kind"]
    if kind not in EXPORTS:
        raise HTTPException(404, "exports are bibtex or csl-json")
    name = request.path_params.get("name")
    if name is None:
        items, stem = collections.liked(store, served_name(request)), "likes"
    else:
        found = collections.find(store, name)
        if found is None:
            raise HTTPException(404, "no such collection")
        items, stem = collections.papers_in(store, found.id, served_name(request)), "collection"
    dates = collections.first_listed(store, items)
    text = collections.bibtex(items, dates) if kind == "bibtex" else collections.csl_json(items, dates)
    media, ext = EXPORTS[kind]
    return PlainTextResponse(text, media_type=media, headers={
        "content-disposition": f'attachment; filename="papersieve-{stem}.{ext}"'})
