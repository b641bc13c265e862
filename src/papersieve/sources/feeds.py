"""The daily listing feeds of rss.arxiv.org: RSS 2.0 and its Atom variant, parsed with feedparser.

Field meanings follow arXiv's own specifications (arxiv-docs `help/rss_specifications.md` and
`help/atom_specifications.md`): `arxiv:announce_type` is new / cross / replace / replace-cross,
`dc:creator` is one comma-separated string, the item description reads
"arXiv:ID vN Announce Type: T \\nAbstract: ...", and the channel `pubDate` is the announcement
date (US Eastern). Saturday, Sunday and holiday feeds have no items.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import feedparser

from papersieve import localfiles
from papersieve.authors import split_authors
from papersieve.errors import FeedError
from papersieve.ids import ArxivIdError, find_arxiv_id, parse_arxiv_id
from papersieve.models import AnnounceType, Listing, ListingEntry, ListingStatus, Paper
from papersieve.today import EASTERN

"""arXiv announces on US Eastern time; listing dates are Eastern dates."""

_DESCRIPTION = re.compile(
    r"^\s*arXiv:(?P<id>\S+?)\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:\s*)?(?P<abstract>.*)$",
    re.DOTALL,
)
_CHANNEL_CATEGORY = re.compile(r"^(?P<cat>\S+) updates on arXiv\.org", re.IGNORECASE)


@dataclass(frozen=True)
class FeedItem:
    """One parsed item: the paper and how it was announced."""

    paper: Paper
    announce_type: AnnounceType


def parse_feed(data: bytes | str, *, category: str | None = None, origin: str = "feed",
               source: str = "rss") -> Listing:
    """Parse one rss.arxiv.org feed (RSS or Atom) into a `Listing`.

    `category` overrides the one named by the channel; `origin` names the URL or file in errors.
    A feed with no items is a "no announcement" listing, not an error.
    """
    parsed = _parse_or_raise(data, origin)
    channel = parsed.feed
    cat = category or _channel_category(channel)
    if not cat:
        raise FeedError("cannot tell which category this feed lists", source=origin)
    date = channel_date(channel, parsed.entries)
    entries = tuple(
        ListingEntry(item.paper, cat, item.announce_type, position)
        for position, item in enumerate(_item(e, origin) for e in parsed.entries)
    )
    if not entries:
        shown = date.isoformat() if date else "this day"
        return Listing(cat, date, (), source, ListingStatus.NO_ANNOUNCEMENT,
                       note=f"no announcement for {shown}")
    return Listing(cat, date, entries, source)


def parse_feed_file(path: Path, *, category: str | None = None) -> Listing:
    """Parse a raw saved feed file (RSS or Atom)."""
    try:
        data = localfiles.read_bytes(path)
    except OSError as err:
        raise FeedError(f"cannot read feed file ({err.strerror})", source=str(path)) from err
    return parse_feed(data, category=category, origin=str(path), source="file")


def _parse_or_raise(data: bytes | str, origin: str) -> Any:
    # Abstracts are text that may contain "<" and "&" (math, "H&E"); feedparser's HTML
    # sanitiser would eat or re-escape them, so it is turned off and the text kept as given.
    parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    if parsed.get("bozo"):
        # feedparser recovers from broken XML and hands back whatever it read so far; a cut-off
        # download would then pass for a short day, so any XML error rejects the whole feed.
        err = parsed.get("bozo_exception")
        if not isinstance(err, feedparser.CharacterEncodingOverride):
            reason = str(err).splitlines()[0] if err else "unknown error"
            raise FeedError(f"broken feed XML ({reason})", source=origin)
    if not parsed.get("version"):
        raise FeedError("not an RSS or Atom feed (an HTML page or an error message?)",
                        source=origin)
    return parsed


def _channel_category(channel: Any) -> str | None:
    match = _CHANNEL_CATEGORY.match(str(channel.get("title", "")).strip())
    if match:
        return match.group("cat")
    link = str(channel.get("link", "")).rstrip("/")
    tail = link.rsplit("/", 1)[-1] if "/rss/" in link or "/atom/" in link else ""
    return tail or None


def channel_date(channel: Any, entries: list[Any] | None = None) -> dt.date | None:
    """The announcement date: RSS channel `pubDate`, else Atom entry `published`, else `updated`.

    Dates are converted to US Eastern, because that is the calendar arXiv announces on.
    """
    candidates = [channel.get("published")]
    if entries:
        candidates.append(entries[0].get("published"))
    candidates.append(channel.get("updated"))
    for raw in candidates:
        when = parse_datetime(raw) if raw else None
        if when is not None:
            return when.astimezone(EASTERN).date()
    return None


def parse_datetime(raw: str) -> dt.datetime | None:
    """An RFC 822 (RSS) or ISO 8601 (Atom) timestamp with its offset, or None."""
    text = raw.strip()
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _item(entry: Any, origin: str) -> FeedItem:
    description = str(entry.get("summary", ""))
    match = _DESCRIPTION.match(description)
    arxiv_id = _entry_id(entry, match.group("id") if match else None, origin)
    announce = str(entry.get("arxiv_announce_type") or (match.group("type") if match else "new"))
    try:
        announce_type = AnnounceType(announce.strip().lower())
    except ValueError as err:
        raise FeedError(f"unknown announce type {announce!r} for {arxiv_id}", source=origin) from err
    abstract = match.group("abstract") if match else description
    paper = Paper(
        id=arxiv_id.id,
        title=" ".join(str(entry.get("title", "")).split()),
        abstract=" ".join(abstract.split()),
        authors=_authors(entry),
        categories=tuple(t["term"] for t in entry.get("tags", []) if t.get("term")),
        version=arxiv_id.version,
    )
    return FeedItem(paper, announce_type)


def _entry_id(entry: Any, from_description: str | None, origin: str) -> Any:
    title = str(entry.get("title", ""))[:80]
    for raw in (from_description, entry.get("id"), entry.get("link")):
        if not raw:
            continue
        try:
            return parse_arxiv_id(str(raw))
        except ArxivIdError as err:
            if "version" in str(err):  # an id with a version no paper has: the item is broken
                raise FeedError(f"an item has a bad arXiv id ({err}; title {title!r})",
                                source=origin) from err
            found = find_arxiv_id(str(raw))
            if found:
                return found
    raise FeedError(f"an item has no arXiv id (title {title!r})", source=origin)


def _authors(entry: Any) -> tuple[str, ...]:
    # rss.arxiv.org puts every author into one dc:creator; feedparser may also see several
    # <author> elements (Atom), so join them before splitting on commas.
    names = [str(a.get("name", "")) for a in entry.get("authors", []) if a.get("name")]
    if not names and entry.get("author"):
        names = [str(entry["author"])]
    return split_authors(", ".join(names))
