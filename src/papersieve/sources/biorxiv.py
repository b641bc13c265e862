"""bioRxiv and medRxiv through their public details API, one subject per profile category.

The API (api.biorxiv.org/details/help): `GET /details/{server}/{from}/{to}/{cursor}` with the
subject as the `category` query parameter (spaces written as underscores) returns JSON with a
`messages` list (`status` "ok", `cursor`, `count`, `total`) and a `collection` of at most 100
records per call; the cursor is the offset of the first record, so the next page starts at
cursor + count. A record has `doi`, `title`, `authors` ("Last, F.; Other, A."), `date` (posted,
YYYY-MM-DD), `version`, `type`, `category` (lower case, with spaces), `abstract`, `server`, and
one record per version: a paper posted and revised on the same day appears twice. An interval
without posts answers `status: "no posts found"` and no collection.

The listing of a run day D holds the posts of whole days before it: from the weekday before D
up to D - 1 (Tuesday to Friday: the day before; Monday: Friday to Sunday), so that a run on every
announcement day reads every day's posts once they are complete, weekends included (a post seen
on an earlier run day is "seen before", as on arXiv). "No posts" in that window is the day's
explicit empty outcome, an answer whose posts are all older than the window is stale, and a
broken answer fails the fetch. Requests go through the one polite `HttpClient` (interval per
host, bounded retries).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from papersieve.errors import FeedError
from papersieve.ids import ArxivIdError, parse_doi
from papersieve.models import AnnounceType, Listing, ListingEntry, ListingStatus, Paper
from papersieve.sources.http import HttpClient

PAGE_SIZE = 100
"""Records per call, fixed by the API."""
MAX_PAGES = 100
"""At most 10,000 records for one subject and day (bioRxiv posts a few hundred a day in all)."""
NO_POSTS = "no posts found"


def posting_window(day: dt.date) -> tuple[dt.date, dt.date]:
    """The posting days read for run day `day`: the weekday before it up to the day before it."""
    start = day - dt.timedelta(days=1)
    while start.weekday() >= 5:  # Saturday, Sunday
        start -= dt.timedelta(days=1)
    return start, day - dt.timedelta(days=1)


def is_preprint_category(category: str) -> bool:
    """True for `biorxiv:subject` and `medrxiv:subject` categories."""
    return category.split(":", 1)[0] in ("biorxiv", "medrxiv") and ":" in category


def split_category(category: str) -> tuple[str, str]:
    """`biorxiv:cell_biology` -> (`biorxiv`, `cell biology`)."""
    server, _, subject = category.partition(":")
    return server, subject.replace("_", " ")


class PreprintSource:
    """Listings of bioRxiv / medRxiv subjects for one posting day."""

    def __init__(self, client: HttpClient, base_url: str) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")

    def url(self, category: str, day: dt.date, cursor: int) -> str:
        """The details address of one page of run day `day` (the subject goes in `params`)."""
        server, _ = split_category(category)
        start, end = posting_window(day)
        return f"{self.base_url}/details/{server}/{start.isoformat()}/{end.isoformat()}/{cursor}"

    def listing(self, category: str, day: dt.date) -> Listing:
        """The posts of run day `day`'s window in the subject, one entry per DOI."""
        records = self._records(category, day)
        _, subject = split_category(category)
        mine = [r for r in records if _text(r, "category").lower() == subject]
        return listing_from_records(category, day, mine)

    def listings_for_day(self, categories: list[str] | tuple[str, ...], day: dt.date) -> list[Listing]:
        """One listing per preprint category."""
        return [self.listing(c, day) for c in categories]

    def _records(self, category: str, day: dt.date) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        cursor = 0
        for _ in range(MAX_PAGES):
            url = self.url(category, day, cursor)
            message, page = _page(self.client.get_text(url, {"category": category.split(":", 1)[1]}), url)
            if message.get("status") == NO_POSTS or not page:
                return records
            records += page
            total = _int(message.get("total"), url, "total")
            cursor += len(page)
            if cursor >= total:
                return records
        raise FeedError(f"more than {MAX_PAGES * PAGE_SIZE} records for one day: the API's"
                        " cursor does not advance", source=category)


def _page(body: bytes, url: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The first message and the collection of one reply; a broken reply raises FeedError."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as err:
        raise FeedError(f"broken JSON from the bioRxiv API ({err})", source=url) from err
    messages = data.get("messages") if isinstance(data, dict) else None
    if not isinstance(messages, list) or not messages or not isinstance(messages[0], dict):
        raise FeedError("not a bioRxiv API reply (no messages)", source=url)
    message = messages[0]
    status = str(message.get("status", ""))
    if status not in ("ok", NO_POSTS):
        raise FeedError(f"the bioRxiv API says {status!r}", source=url)
    collection = data.get("collection") or []
    if not isinstance(collection, list) or not all(isinstance(r, dict) for r in collection):
        raise FeedError("the bioRxiv API's collection is not a list of records", source=url)
    return message, collection


def listing_from_records(category: str, day: dt.date, records: list[dict[str, Any]]) -> Listing:
    """Run day `day`'s listing: posts of its window, one entry per DOI (its newest version; "new"
    when version 1 was posted in the window, else a replacement). Only older posts: stale."""
    server, _ = split_category(category)
    start, end = (d.isoformat() for d in posting_window(day))
    today = [r for r in records if start <= _text(r, "date") <= end]
    span = start if start == end else f"{start} to {end}"
    if not today:
        older = sorted({_text(r, "date") for r in records if _text(r, "date") < start})
        if older:
            note = (f"stale feed: {category} still serves {older[-1]} ({len(records)} posts),"
                    f" expected {span}")
            return Listing(category, _date(older[-1]), (), server, ListingStatus.STALE, note=note)
        return Listing(category, day, (), server, ListingStatus.NO_ANNOUNCEMENT,
                       note=f"no posts on {span}")
    by_doi: dict[str, list[dict[str, Any]]] = {}
    for record in today:
        by_doi.setdefault(_doi(record, category), []).append(record)
    entries = []
    for position, (doi, versions) in enumerate(by_doi.items()):
        newest = max(versions, key=lambda r: _version(r))
        first = min(_version(r) for r in versions)
        kind = AnnounceType.NEW if first <= 1 else AnnounceType.REPLACE
        entries.append(ListingEntry(_paper(doi, newest, category), category, kind, position))
    return Listing(category, day, tuple(entries), server)


def _paper(doi: str, record: dict[str, Any], category: str) -> Paper:
    # bioRxiv lists authors as "Last, F.; Other, A. B.": the semicolon separates people.
    authors = tuple(a.strip() for a in _text(record, "authors").split(";") if a.strip())
    return Paper(id=doi, title=" ".join(_text(record, "title").split()),
                 abstract=" ".join(_text(record, "abstract").split()), authors=authors,
                 categories=(category,), version=_version(record))


def _doi(record: dict[str, Any], category: str) -> str:
    try:
        return parse_doi(_text(record, "doi"))
    except ArxivIdError as err:
        raise FeedError(f"a record has no DOI (title {_text(record, 'title')!r})", source=category) from err


def _text(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    return "" if value is None else str(value)


def _version(record: dict[str, Any]) -> int:
    text = _text(record, "version")
    return int(text) if text.isdigit() else 1


def _int(value: Any, url: str, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as err:
        raise FeedError(f"the bioRxiv API's {name} is not a number: {value!r}", source=url) from err


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None
