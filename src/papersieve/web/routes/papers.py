"""Search over every paper ever fetched, and one paper's page."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from urllib.parse import quote

from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from papersieve.errors import PapersieveError
from papersieve.ids import parse_paper_id
from papersieve.store.db import Store
from papersieve.validate import OutsideValueError, page_number
from papersieve.web import queries
from papersieve.web.accounts import visible_profiles
from papersieve.web.context import render, served_name, store_of
from papersieve.web.query_syntax import MAX_PREFIX_TERMS
from papersieve.web.search import SORTS, marked
from papersieve.web.search import search as run_search
from papersieve.web.similar import nearest

SEARCH_KEYS = ("q", "from", "to", "category", "judged", "picked", "liked", "code")


def search(request: Request) -> Response:
    """The search form and one page of results; an arXiv id or URL goes to the paper's page."""
    store = store_of(request)
    filters, problem = parse_filters(request.query_params, served_name(request))
    filters = replace(filters, only=visible_profiles(request))
    paper_id = id_in_search(filters.text)
    if paper_id is not None and queries.paper_exists(store, paper_id):
        return RedirectResponse(f"/paper/{quote(paper_id)}", status_code=303)
    asked = any(request.query_params.get(k) for k in SEARCH_KEYS)
    results = run_search(store, filters) if asked and not problem else None
    if results is not None:
        filters = results.filters  # the page shown: a page past the last is the last
    pages = _pages(results) if results else 0
    return render(
        request, "search.html", title="Search", filters=filters, results=results, problem=problem,
        categories=queries.categories(store), marked=marked, pages=pages, sorts=SORTS,
        missing_id=paper_id, max_prefix=MAX_PREFIX_TERMS,
        prev_url=_page_url(request, filters.page - 1) if filters.page > 1 else None,
        next_url=_page_url(request, filters.page + 1) if filters.page < pages else None,
    )


def id_in_search(text: str) -> str | None:
    """The paper id a search box holds when it holds nothing else (an arXiv id, an arXiv URL,
    `arXiv:ID`, a DOI), else None."""
    if not text or " " in text.strip():
        return None
    try:
        return parse_paper_id(text.strip())
    except PapersieveError:
        return None


def parse_filters(params: QueryParams,
                  profile: str = "default") -> tuple[queries.SearchFilters, str]:
    """Search filters from the query string, and a message when a value is not understood."""
    problem = ""
    dates: list[dt.date | None] = []
    for key in ("from", "to"):
        raw = params.get(key, "").strip()
        try:
            dates.append(dt.date.fromisoformat(raw) if raw else None)
        except ValueError:
            dates.append(None)
            problem = f"{key!r} is not a date (YYYY-MM-DD): {raw!r}"
    try:
        page = page_number(params.get("page", "1").strip() or "1")
    except OutsideValueError as err:
        raise HTTPException(400, str(err)) from err
    filters = queries.SearchFilters(
        text=params.get("q", "").strip()[:500], date_from=dates[0], date_to=dates[1],
        category=params.get("category", "").strip()[:50], judged=bool(params.get("judged")),
        picked=bool(params.get("picked")), liked=bool(params.get("liked")),
        code=bool(params.get("code")), page=page, sort=_sort(params.get("sort", "")),
        profile=profile,
    )
    return filters, problem


def _sort(value: str) -> str:
    """A known order, else the default (a link from an older page keeps working)."""
    return value if value in SORTS else "relevance"


def _pages(results: queries.SearchResults) -> int:
    per = results.filters.per_page
    return max(1, (results.total + per - 1) // per)


def _page_url(request: Request, page: int) -> str:
    url = request.url.include_query_params(page=page)
    return f"{url.path}?{url.query}"


SIMILAR_ON_PAGE = 8
SIMILAR_PAGE = 30


def paper(request: Request) -> Response:
    """A paper's versions, days, outcomes, judgements, feedback history and similar papers."""
    store = store_of(request)
    detail = queries.paper_detail(store, request.path_params["paper_id"], served_name(request),
                                  visible_profiles(request))
    if detail is None:
        raise HTTPException(404, "no such paper in the store")
    near = _similar(request, store, detail.item.paper_id, SIMILAR_ON_PAGE)
    return render(request, "paper.html", title=detail.item.title, detail=detail, item=detail.item,
                  similar=near)


def similar(request: Request) -> Response:
    """More like this: the stored papers nearest to one paper, as cards."""
    store = store_of(request)
    paper_id = request.path_params["paper_id"]
    found = queries.items(store, [paper_id], served_name(request))
    if not found:
        raise HTTPException(404, "no such paper in the store")
    item = found[0]
    near = _similar(request, store, paper_id, SIMILAR_PAGE)
    return render(request, "similar.html", title=f"More like {item.title}", item=item, similar=near)


def _similar(request: Request, store: Store, paper_id: str, k: int) -> list[tuple[queries.Item, float]]:
    read_only: bool = request.app.state.stores.read_only
    found = nearest(store, read_only, paper_id, k)
    score = dict(found)
    near = queries.items(store, [p for p, _ in found], served_name(request))
    return [(item, score[item.paper_id]) for item in near]
