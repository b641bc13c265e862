"""Today's digest, any past digest, the archive, and runs with their costs."""

from __future__ import annotations

import datetime as dt

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from papersieve.store.db import Store
from papersieve.today import latest_possible_day
from papersieve.validate import OutsideValueError, row_id
from papersieve.web import charts, queries
from papersieve.web.accounts import chosen_profile, group_mode, may_see, seen, visible_profiles
from papersieve.web.context import render, store_of


def today(request: Request) -> Response:
    """The latest finished run's digest (of one profile with `?profile=`)."""
    store = store_of(request)
    profile = chosen_profile(request)
    # A run dated in the future (a feed that announced 2100-07-02, before that was refused)
    # must not stay "Today" for ever.
    until = latest_possible_day()
    run = queries.latest_done_run(store, profile=profile, until=until)
    newest = queries.latest_done_run(store, profile=profile, status="", until=until)
    # A weekend, a stale feed or a failed run after the last digest: say so above that digest.
    later = newest if newest is not None and run is not None and newest.id != run.id and (
        newest.date >= run.date) else None
    return _digest_page(request, run, title="Today", later=later)


def day(request: Request) -> Response:
    """The digest of one announcement day (`?profile=` picks one profile's run)."""
    try:
        date = dt.date.fromisoformat(request.path_params["day"])
    except ValueError as err:
        raise HTTPException(404, "no such day") from err
    store = store_of(request)
    run = queries.latest_done_run(store, date, chosen_profile(request))
    if run is None:
        raise HTTPException(404, f"no finished run for {date.isoformat()}")
    return _digest_page(request, run, title=date.isoformat())


def run(request: Request) -> Response:
    """One run's digest; `?all=1` lists every candidate with its outcome."""
    store = store_of(request)
    try:
        run_id = row_id(request.path_params["run_id"], "run id")
    except OutsideValueError as err:  # /run/99999999999999999999 overflowed SQLite: a bare 500
        raise HTTPException(404, "no such run") from err
    found = queries.get_run(store, run_id)
    if found is None or not may_see(request, found.profile):
        raise HTTPException(404, "no such run")
    everything = bool(request.query_params.get("all"))
    return _digest_page(request, found, title=f"Run {found.id}", everything=everything)


def _digest_page(
    request: Request,
    run: queries.RunRow | None,
    *,
    title: str,
    everything: bool = False,
    later: queries.RunRow | None = None,
) -> Response:
    store = store_of(request)
    items = queries.digest_items(store, run.id, picked_only=not everything,
                                 profile=run.profile) if run else []
    code_only = bool(request.query_params.get("code"))
    if code_only:  # "with code only": the papers whose abstract or comments name a repository
        items = [item for item in items if item.code_links]
    usage = queries.digest_usage(store, run) if run else None
    names = seen(request, queries.profiles(store, visible_profiles(request)))
    return render(request, "digest.html", title=title, run=run, items=items, everything=everything,
                  profiles=names, usage=usage, later=later, code_only=code_only)


def archive(request: Request) -> Response:
    """Months and days with per-day counts; each day links to its digest."""
    store = store_of(request)
    rows = None if not group_mode(request) else queries.list_runs(
        store, limit=100_000, profiles=visible_profiles(request))
    return render(request, "archive.html", title="Archive", months=queries.archive(store, rows))


def runs(request: Request) -> Response:
    """Every run with status, counts, tokens and dollars, and per profile charts of dollars and
    picks per day."""
    store = store_of(request)
    rows = queries.list_runs(store, profiles=visible_profiles(request))
    names = queries.run_profiles(rows)
    profile_charts = [_charts(store, rows, name, len(names) > 1) for name in names]
    total = sum(r.cost or 0.0 for r in rows)
    return render(request, "runs.html", title="Runs and costs", runs=rows, charts=profile_charts,
                  total_cost=total, profile_costs=queries.profile_costs(rows),
                  unpriced_runs=sum(1 for r in rows if queries.unpriced(r)))


def _charts(store: Store, rows: list[queries.RunRow], profile: str, named: bool) -> dict[str, object]:
    series = queries.daily_series(store, rows, profile=profile)
    suffix = f" ({profile})" if named else ""
    return {
        "profile": profile,
        "dollars": charts.bar_chart([(p.date, p.dollars) for p in series],
                                    label="Dollars per day" + suffix, fmt=charts.dollars,
                                    css_class="dollars"),
        "picks": charts.bar_chart([(p.date, float(p.picks)) for p in series],
                                  label="Picks per day" + suffix, fmt=charts.count,
                                  css_class="picks"),
    }


_TITLES = {400: "Bad request", 404: "Not found", 405: "Method not allowed"}


async def http_error(request: Request, exc: Exception) -> Response:
    """A friendly error page in the site's layout (never a traceback)."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "internal error"
    headers = exc.headers if isinstance(exc, HTTPException) else None
    title = _TITLES.get(status, "Error")
    # htmx swaps the answer in place of the buttons: a one-line message, not a whole page.
    name = "_error.html" if request.headers.get("hx-request") else "error.html"
    return render(request, name, status_code=status, headers=headers, title=title, detail=detail)
