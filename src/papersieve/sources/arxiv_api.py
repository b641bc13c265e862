"""Backfill through the arXiv query API (Atom): papers by category and submission-date window.

The API answers `search_query=cat:cs.LG AND submittedDate:[202507010000 TO 202507012359]` with
pages of `max_results` entries from `start` (arXiv API user manual, "Query interface").
Submission dates are not announcement dates, so every listing made here is marked approximate.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import feedparser

from papersieve.errors import FeedError
from papersieve.ids import ArxivIdError, parse_arxiv_id
from papersieve.models import AnnounceType, Listing, ListingEntry, ListingStatus, Paper
from papersieve.sources.feeds import parse_datetime
from papersieve.sources.http import HttpClient
from papersieve.validate import OutsideValueError, bounded_int

PAGE_SIZE = 200
"""Entries per API page; the manual allows up to 2000, smaller pages fail less often."""
MAX_PAGES = 100
"""A safety stop: a day of one category never needs more pages than this."""


@dataclass(frozen=True)
class ApiRecord:
    """One API entry: the paper and its dates."""

    paper: Paper
    published: dt.datetime | None
    """Submission time of version 1 (`<published>`)."""
    updated: dt.datetime | None
    """Submission time of this version (`<updated>`)."""
    journal_ref: str | None = None
    doi: str | None = None


@dataclass(frozen=True)
class ApiPage:
    """One page of API results."""

    records: tuple[ApiRecord, ...]
    total: int | None
    """`opensearch:totalResults`: how many results the whole query has."""
    start: int
    per_page: int | None


def unwrap_recording(data: bytes | str) -> bytes | str:
    """The Atom body of a JSON-wrapped recording ({"url", "status_code", "body"}), else `data`."""
    head = data.lstrip()[:1]
    if head in (b"{", "{"):
        try:
            record = json.loads(data)
        except ValueError:
            return data
        if isinstance(record, dict) and isinstance(record.get("body"), str):
            return str(record["body"])
    return data


def parse_api_page(data: bytes | str, origin: str = "arXiv API") -> ApiPage:
    """Parse one Atom page of the query API; an API error entry becomes a `FeedError`."""
    parsed = feedparser.parse(unwrap_recording(data), sanitize_html=False,
                              resolve_relative_uris=False)
    if parsed.get("bozo") and not isinstance(parsed.get("bozo_exception"),
                                             feedparser.CharacterEncodingOverride):
        reason = str(parsed.get("bozo_exception")).splitlines()[0]
        raise FeedError(f"broken API response ({reason})", source=origin)
    if parsed.get("version") != "atom10":
        raise FeedError("not an Atom response of the arXiv API", source=origin)
    records = []
    for entry in parsed.entries:
        if "/api/errors" in str(entry.get("id", "")):
            # The API reports a bad query as a feed with a single entry titled "Error".
            raise FeedError(f"arXiv API error: {' '.join(str(entry.get('summary')).split())}",
                            source=origin)
        records.append(_record(entry, origin))
    channel = parsed.feed
    return ApiPage(tuple(records), _int(channel.get("opensearch_totalresults")),
                   _int(channel.get("opensearch_startindex")) or 0,
                   _int(channel.get("opensearch_itemsperpage")))


def _int(value: Any) -> int | None:
    """A count of the OpenSearch header, or None when it is missing or not a sane number."""
    try:
        return bounded_int(str(value).strip(), what="count")
    except OutsideValueError:
        return None


def _record(entry: Any, origin: str) -> ApiRecord:
    try:
        arxiv_id = parse_arxiv_id(str(entry.get("id", "")))
    except ArxivIdError as err:
        raise FeedError(f"an entry has no arXiv id ({entry.get('id')!r})", source=origin) from err
    primary = (entry.get("arxiv_primary_category") or {}).get("term")
    terms = [t["term"] for t in entry.get("tags", []) if t.get("term")]
    categories = ([primary] if primary else []) + [t for t in terms if t != primary]
    paper = Paper(
        id=arxiv_id.id,
        title=" ".join(str(entry.get("title", "")).split()),
        abstract=" ".join(str(entry.get("summary", "")).split()),
        authors=tuple(" ".join(str(a.get("name", "")).split())
                      for a in entry.get("authors", []) if a.get("name")),
        categories=tuple(categories),
        version=arxiv_id.version,
        comment=" ".join(str(entry["arxiv_comment"]).split()) if entry.get("arxiv_comment") else None,
    )
    return ApiRecord(
        paper,
        parse_datetime(str(entry["published"])) if entry.get("published") else None,
        parse_datetime(str(entry["updated"])) if entry.get("updated") else None,
        entry.get("arxiv_journal_ref"),
        entry.get("arxiv_doi"),
    )


def submitted_query(categories: Sequence[str], day: dt.date) -> str:
    """`(cat:A OR cat:B) AND submittedDate:[YYYYMMDD0000 TO YYYYMMDD2359]`."""
    cats = " OR ".join(f"cat:{c}" for c in categories)
    stamp = day.strftime("%Y%m%d")
    return f"({cats}) AND submittedDate:[{stamp}0000 TO {stamp}2359]"


class ArxivApiSource:
    """Date-range listings from the query API, one submission-date window per day."""

    def __init__(self, client: HttpClient, endpoint: str, page_size: int = PAGE_SIZE) -> None:
        self.client = client
        self.endpoint = endpoint
        self.page_size = page_size

    def search(self, query: str) -> Iterator[ApiRecord]:
        """Every record of a query, page by page."""
        start = 0
        for _ in range(MAX_PAGES):
            params: dict[str, str | int] = {
                "search_query": query, "start": start, "max_results": self.page_size,
                "sortBy": "submittedDate", "sortOrder": "ascending",
            }
            page = parse_api_page(self.client.get_text(self.endpoint, params), self.endpoint)
            yield from page.records
            start += len(page.records)
            # An empty page before the announced total is a known API hiccup; stop rather than
            # loop, the listing stays marked approximate.
            if not page.records or page.total is None or start >= page.total:
                return

    def listings_for_day(self, categories: Sequence[str], day: dt.date) -> list[Listing]:
        """One approximate listing per category of the papers submitted on `day`."""
        records = list(self.search(submitted_query(categories, day)))
        return listings_from_records([r.paper for r in records], categories, day, "api",
                                     f"approximate: submitted on {day} (arXiv API)")


def listings_from_records(
    papers: Sequence[Paper], categories: Sequence[str], day: dt.date, source: str, note: str
) -> list[Listing]:
    """Split papers into per-category listings: `new` in the primary category, else `cross`."""
    listings = []
    unique = list({p.id: p for p in papers}.values())
    for category in categories:
        entries: list[ListingEntry] = []
        for paper in unique:
            if not in_category(paper.categories, category):
                continue
            primary = in_category(paper.categories[:1], category)
            kind = AnnounceType.NEW if primary else AnnounceType.CROSS
            entries.append(ListingEntry(paper, category, kind, len(entries)))
        status = ListingStatus.OK if entries else ListingStatus.NO_ANNOUNCEMENT
        text = note if entries else f"no announcement for {day} ({note})"
        listings.append(Listing(category, day, tuple(entries), source, status,
                                approximate=True, note=text))
    return listings


def in_category(categories: Sequence[str], category: str) -> bool:
    """True when `category` (or, for an archive like `astro-ph`, one of its subjects) is listed."""
    return any(c == category or c.startswith(category + ".") for c in categories)
