"""Collections: file a paper under one of a profile's named collections, a collection's page (its
papers and the latest day ranked by it), and exports of a collection or the likes as BibTeX and
CSL-JSON. Collections belong to a profile as likes do: the page's profile (`?profile=`, a form's
`profile`), else the served one."""

from __future__ import annotations

from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from papersieve.errors import ConfigError
from papersieve.store.db import Store
from papersieve.web import collection_rank, collections, queries
from papersieve.web.accounts import may_see, require_profile
from papersieve.web.context import in_worker, render, served_name, store_of
from papersieve.web.routes.feedback import safe_next
from papersieve.web.teach import check_profile_name

RANKED = 30
"""Papers of the latest day shown ranked by a collection."""
EXPORTS = {"bibtex": ("application/x-bibtex", "bib"),
           "csl-json": ("application/vnd.citationstyles.csl+json", "json")}


def _profile(request: Request, store: Store, given: str) -> str:
    """The profile a request is about: `given`, else the served one; a profile this store and app
    do not know is a one-line 400."""
    name = given or served_name(request)
    known = {*queries.profiles(store), *collections.profiles_with_collections(store),
             served_name(request)}
    try:
        checked = check_profile_name(name, known)
    except ConfigError as err:
        raise HTTPException(400, str(err)) from err
    require_profile(request, checked)  # the group app: her own profiles only (another's: 404)
    return checked


async def file(request: Request) -> Response:
    """File a paper under a collection (`remove=1`: take it out); htmx gets a one-line answer."""
    form = await request.form()
    paper_id, name = str(form.get("paper_id", "")), str(form.get("collection", ""))
    remove = bool(form.get("remove"))
    store = store_of(request)
    profile = _profile(request, store, str(form.get("profile", "")))
    try:
        found = await in_worker(request, collections.file_paper, name, paper_id, profile,
                                remove=remove)
    except collections.CollectionError as err:
        raise HTTPException(400, str(err)) from err
    if request.headers.get("hx-request"):
        verb = "Taken out of" if remove else "Filed under"
        return render(request, "_filed.html", collection=found, verb=verb)
    return RedirectResponse(safe_next(str(form.get("next", "")), paper_id), status_code=303)


def index(request: Request) -> Response:
    """The profile's collections and likes with their exports, and the other profiles' collections."""
    store = store_of(request)
    profile = _profile(request, store, request.query_params.get("profile", ""))
    likes = collections.liked(store, profile)
    others = {p: n for p, n in collections.profiles_with_collections(store).items()
              if p != profile and may_see(request, p)}
    return render(request, "collections.html", title="Collections", profile=profile,
                  collections=collections.all_collections(store, profile), likes=len(likes),
                  others=others)


def _collection(request: Request, store: Store) -> collections.Collection:
    profile = _profile(request, store, request.query_params.get("profile", ""))
    found = collections.find(store, request.path_params["name"], profile)
    if found is None:
        raise HTTPException(404, "no such collection")
    return found


def page(request: Request) -> Response:
    """A collection's papers and the latest day's candidates ranked by the collection's model."""
    store = store_of(request)
    found = _collection(request, store)
    members = collections.papers_in(store, found)
    # The day of the collection's own profile; a profile that has not run yet reads the newest day.
    run = queries.latest_done_run(store, profile=found.profile) or queries.latest_done_run(store)
    day = (queries.digest_items(store, run.id, picked_only=False, profile=run.profile)
           if run is not None and members else [])
    read_only: bool = request.app.state.stores.read_only
    ranked = (collection_rank.rank(store, read_only, found, [i.paper_id for i in members], day, RANKED)
              if day else [])
    return render(request, "collection.html", title=f"Collection {found.name}", collection=found,
                  items=members, ranked=ranked, run=run, quote=quote)


def export(request: Request) -> Response:
    """A collection (or `likes`) as BibTeX or CSL-JSON, as a download."""
    store = store_of(request)
    kind = request.path_params["kind"]
    if kind not in EXPORTS:
        raise HTTPException(404, "exports are bibtex or csl-json")
    if request.path_params.get("name") is None:
        profile = _profile(request, store, request.query_params.get("profile", ""))
        items, stem = collections.liked(store, profile), "likes"
    else:
        items, stem = collections.papers_in(store, _collection(request, store)), "collection"
    dates = collections.first_listed(store, items)
    text = collections.bibtex(items, dates) if kind == "bibtex" else collections.csl_json(items, dates)
    media, ext = EXPORTS[kind]
    return PlainTextResponse(text, media_type=media, headers={
        "content-disposition": f'attachment; filename="papersieve-{stem}.{ext}"'})
