"""Search over every paper ever fetched, and one paper's page."""

from __future__ import annotations

import datetime as dt

from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from papersieve.validate import OutsideValueError, page_number
from papersieve.web import queries
from papersieve.web.context import render, served_name, store_of
from papersieve.web.search import marked
from papersieve.web.search import search as run_search

SEARCH_KEYS = ("q", "from", "to", "category", "judged", "picked", "liked", "code")


def search(request: Request) -> Response:
    """The search form and one page of results."""
    store = store_of(request)
    filters, problem = parse_filters(request.query_params, served_name(request))
    asked = any(request.query_params.get(k) for k in SEARCH_KEYS)
    results = run_search(store, filters) if asked and not problem else None
    pages = _pages(results) if results else 0
    return render(
        request, "search.html", title="Search", filters=filters, results=results, problem=problem,
        categories=queries.categories(store), marked=marked, pages=pages,
        prev_url=_page_url(request, filters.page - 1) if filters.page > 1 else None,
        next_url=_page_url(request, filters.page + 1) if filters.page < pages else None,
    )


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
        code=bool(params.get("code")), page=page, profile=profile,
    )
    return filters, problem


def _pages(results: queries.SearchResults) -> int:
    per = results.filters.per_page
    return max(1, (results.total + per - 1) // per)


def _page_url(request: Request, page: int) -> str:
    url = request.url.include_query_params(page=page)
    return f"{url.path}?{url.query}"


def paper(request: Request) -> Response:
    """A paper's versions, days, outcomes, judgements and feedback history."""
    detail = queries.paper_detail(store_of(request), request.path_params["paper_id"],
                                  served_name(request))
    if detail is None:
        raise HTTPException(404, "no such paper in the store")
    return render(request, "paper.html", title=detail.item.title, detail=detail, item=detail.item)
