"""What "today" is for arXiv, and the guard against days that cannot have been announced yet.

arXiv announces on the US Eastern calendar, and its feeds carry the date of the announcement
they serve, which may be a day ahead of a clock further west. A feed that announced 2100-07-02
was stored as that day, and `latest.*` and the web app's "Today" stayed on 2100 afterwards;
an offline run for a future date was recorded as "no announcement". Every date that reaches the
store as an announcement day passes `check_not_future` first.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from papersieve.errors import PapersieveError

EASTERN = ZoneInfo("America/New_York")
FUTURE_MARGIN = dt.timedelta(days=2)
"""How far past today's Eastern date a day may be: an evening announcement carries the next
day's date, and a clock elsewhere may be a day behind New York."""


ARXIV_FIRST_DAY = dt.date(1991, 8, 14)
"""arXiv's first announcement (hep-th): no listing, feed or backfill holds an earlier day."""


class FutureDateError(PapersieveError):
    """An announcement day later than any arXiv can have announced."""


def arxiv_today(now: dt.datetime | None = None) -> dt.date:
    """Today's date in New York (`now` defaults to the clock)."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(EASTERN).date()


def latest_possible_day(now: dt.datetime | None = None) -> dt.date:
    """The last day an announcement can carry now: today in New York plus `FUTURE_MARGIN`."""
    return arxiv_today(now) + FUTURE_MARGIN


def is_future(day: dt.date, now: dt.datetime | None = None) -> bool:
    """True for a day no announcement can carry yet."""
    return day > latest_possible_day(now)


def check_not_future(day: dt.date, *, what: str, now: dt.datetime | None = None) -> dt.date:
    """`day` itself, or a `FutureDateError` naming `what` (e.g. "the cs.AI feed's date")."""
    if is_future(day, now):
        raise FutureDateError(
            f"{what} is {day.isoformat()}, after today ({arxiv_today(now).isoformat()} in New"
            " York): no announcement can carry it yet; check the date (or the source)")
    return day
