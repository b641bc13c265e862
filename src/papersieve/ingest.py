"""The fetch service: sources -> listings -> the store, with the day's explicit outcome.

Every fetch ends in one of three recorded outcomes: the day's listings (OK), "no announcement"
(a weekend or holiday feed with no items) or "stale" (a feed still serving an older day). A
broken feed or a failed request raises before anything is written: the listings of one day are
stored in one transaction or not at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from papersieve.errors import ConfigError, FeedError
from papersieve.models import Listing, ListingStatus
from papersieve.outbound import ARXIV, BIORXIV, Policy
from papersieve.profile import Profile
from papersieve.sources.arxiv_api import ArxivApiSource
from papersieve.sources.biorxiv import PreprintSource, is_preprint_category
from papersieve.sources.feeds import parse_feed, parse_feed_file
from papersieve.sources.http import DownloadLimits, HttpClient
from papersieve.sources.jsonl import listings_for_day
from papersieve.sources.oai_pmh import OaiPmhSource
from papersieve.store.db import Store
from papersieve.store.listings import load_listings, save_listing
from papersieve.today import EASTERN, arxiv_today, check_not_future

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DayFetch:
    """What fetching one announcement day gave, as stored."""

    date: dt.date
    listings: tuple[Listing, ...]
    status: ListingStatus
    message: str

    @property
    def total(self) -> int:
        """Entries of every listing ("Total arXiv papers")."""
        return sum(len(listing.entries) for listing in self.listings)


def _say(progress: Progress | None, message: str) -> None:
    if progress is not None:
        progress(message)


def client_for(profile: Profile, policy: Policy = ARXIV) -> HttpClient:
    """The HTTP client with the profile's download limits (the environment overrides them)."""
    network = profile.settings.network
    return HttpClient.from_env(DownloadLimits.resolve(network.download_max_mb,
                                                      network.download_deadline), policy)


def fetch_day(
    store: Store,
    profile: Profile,
    date: dt.date | None = None,
    *,
    source: Literal["rss", "atom"] = "rss",
    progress: Progress | None = None,
    categories: Sequence[str] | None = None,
    client: HttpClient | None = None,
) -> DayFetch:
    """Fetch every category's daily feed, store the listings, and return the day's outcome.

    `date` None means the feeds' own channel date. Raises `FetchError` or `FeedError` (with
    nothing stored) when a feed cannot be fetched or parsed.
    """
    cats = tuple(categories or profile.settings.categories)
    own_client = client is None
    http = client or client_for(profile)
    try:
        listings = []
        for category in (c for c in cats if not is_preprint_category(c)):
            url = (profile.endpoints.atom_url(category) if source == "atom"
                   else profile.endpoints.rss_url(category))
            _say(progress, f"fetching {category}: {url}")
            listing = parse_feed(http.get_text(url), category=category, origin=url, source=source)
            _say(progress, f"{category}: {len(listing.entries)} entries"
                           f" ({listing.date or 'no date'})")
            listings.append(listing)
        preprints = [c for c in cats if is_preprint_category(c)]
        if preprints:
            day = date or _newest_date(listings) or dt.datetime.now(EASTERN).date()
            preprint_http = client or client_for(profile, BIORXIV)
            try:
                listings += _preprint_listings(preprint_http, profile, preprints, day, progress)
            finally:
                if own_client:
                    preprint_http.close()
    finally:
        if own_client:
            http.close()
    return store_day(store, listings, date or (_newest_date(listings) if preprints else None))


def _preprint_listings(http: HttpClient, profile: Profile, categories: Sequence[str], day: dt.date,
                       progress: Progress | None) -> list[Listing]:
    """The bioRxiv / medRxiv posts of `day` for each subject, through the details API."""
    source = PreprintSource(http, profile.endpoints.biorxiv_api)
    listings = []
    for category in categories:
        _say(progress, f"fetching {category}: {source.url(category, day, 0)}")
        listing = source.listing(category, day)
        _say(progress, f"{category}: {len(listing.entries)} posts ({listing.note or day})")
        listings.append(listing)
    return listings


def load_feed_files(
    store: Store, paths: Iterable[Path], date: dt.date | None = None,
    *, progress: Progress | None = None,
) -> DayFetch:
    """Parse raw saved feed files (one per category) and store them like a fetched day."""
    listings = []
    for path in paths:
        listing = parse_feed_file(path)
        _say(progress, f"{listing.category}: {len(listing.entries)} entries from {path}")
        listings.append(listing)
    return store_day(store, listings, date)


def load_offline_day(
    store: Store, folder: Path, date: dt.date, categories: Sequence[str]
) -> DayFetch:
    """Load one day from a folder of JSON-lines candidate files (source "jsonl") and store it.

    A category with no file is missing data: it is named in the day's listings (status MISSING)
    but never stored, and a day with no file for any category is an error, not "no
    announcement" (a wrong date or folder looked like an arXiv holiday, and stayed in the archive).
    """
    if not folder.is_dir():
        raise ConfigError("offline folder does not exist", path=str(folder))
    check_not_future(date, what="the day asked for")
    listings = listings_for_day(folder, date, categories)
    known = [x for x in listings if x.status is not ListingStatus.MISSING]
    if not known:
        raise ConfigError(_no_data(folder, date, categories), path=str(folder))
    fetched = store_day(store, known, date)
    by_category = {x.category: x for x in (*listings, *fetched.listings)}
    return replace(fetched, listings=tuple(by_category[c] for c in categories))


def _no_data(folder: Path, date: dt.date, categories: Sequence[str]) -> str:
    day = date.isoformat()
    files = sorted(path.name for path in folder.glob(f"arxiv-{day}-*.jsonl"))
    held = (f"{', '.join(files)} holds no {', '.join(categories)}" if files
            else f"no arxiv-{day}-<category>.jsonl file")
    return f"{held}: no data for {day} (nothing recorded; check the date, folder or categories)"


def store_day(store: Store, listings: Sequence[Listing], date: dt.date | None) -> DayFetch:
    """Decide the day's outcome, then store every listing in one transaction.

    A day after today (asked for, or announced by a feed when none was asked for) is refused
    before anything is stored.
    """
    if date is not None:
        check_not_future(date, what="the day asked for")
    else:
        for listing in listings:
            if listing.date is not None:
                check_not_future(listing.date, what=f"the date the {listing.category} feed announces")
    requested = date or _newest_date(listings) or arxiv_today()
    ahead = [x for x in listings if x.date is not None and x.date > requested and x.entries]
    if ahead:
        # The daily feeds only ever serve the current day; storing it under a past date would
        # pass one day's papers off as another's.
        raise FeedError(f"the {ahead[0].source} feed serves {ahead[0].date}, not {requested};"
                        " past days need `papersieve backfill`", source=ahead[0].category)
    decided, status, message = judge_freshness(listings, requested)
    with store.transaction():
        kept = _kept_listings(store, decided, requested)
        for listing in decided:
            if listing.category not in kept:
                save_listing(store, listing, requested)
    if kept:
        decided = [kept.get(x.category, x) for x in decided]
        status, message = _after_keeping(decided, requested, kept)
    return DayFetch(requested, tuple(decided), status, message)


def _kept_listings(store: Store, decided: Sequence[Listing], requested: dt.date) -> dict[str, Listing]:
    """The stored listings of the day that an empty (stale or "no announcement") fetch must not
    replace: a feed that went back to the day before, or served an empty page, after the day was
    stored would otherwise erase the day's listing and the rerun's digest would lose its papers."""
    empty = [x.category for x in decided if x.status is not ListingStatus.OK and not x.entries]
    stored = load_listings(store, requested, empty) if empty else []
    return {x.category: x for x in stored if x.status is ListingStatus.OK and x.entries}


def _after_keeping(
    listings: Sequence[Listing], requested: dt.date, kept: dict[str, Listing]
) -> tuple[ListingStatus, str]:
    """The day's outcome once stored listings stand in for empty fetches."""
    stale = [x.note for x in listings if x.status is ListingStatus.STALE and x.note]
    if stale:
        return ListingStatus.STALE, "; ".join(stale)
    total = sum(len(x.entries) for x in listings)
    return ListingStatus.OK, (f"{total} entries for {requested} (kept the listing stored before"
                              f" for {', '.join(kept)}: its feed no longer serves {requested})")


def stored_day(store: Store, profile: Profile, date: dt.date) -> DayFetch | None:
    """The day as an earlier fetch or backfill stored it, if every category has a usable listing.

    A rerun or a resumed run then reads the store instead of asking arXiv again, and a day that
    only `backfill` could reach (the daily feeds serve the current day alone) can still be run.
    """
    categories = profile.settings.categories
    listings = load_listings(store, date, categories)
    if len(listings) != len(categories) or any(x.status is not ListingStatus.OK for x in listings):
        return None
    sources = sorted({x.source for x in listings})
    message = f"{date}: stored listing ({', '.join(sources)})"
    if any(x.approximate for x in listings):
        message += "; approximate: backfilled by submission date, not by announcement"
    return DayFetch(date, tuple(listings), ListingStatus.OK, message)


def _newest_date(listings: Sequence[Listing]) -> dt.date | None:
    dates = [listing.date for listing in listings if listing.date is not None]
    return max(dates) if dates else None


def judge_freshness(
    listings: Sequence[Listing], requested: dt.date
) -> tuple[list[Listing], ListingStatus, str]:
    """Mark stale listings and tell OK, "no announcement" and "stale" days apart.

    A listing is stale when its channel date is older than the requested date or than another
    category's; a stale listing is stored without its entries (they belong to an older day).
    """
    if not listings or all(not listing.entries for listing in listings):
        stale = [x.note for x in listings if x.status is ListingStatus.STALE]
        if stale:  # a source that marked its own listing stale (the bioRxiv API serving an older day)
            return list(listings), ListingStatus.STALE, "; ".join(stale)
        message = f"no announcement for {requested}"
        return ([_mark(lst, ListingStatus.NO_ANNOUNCEMENT, message, keep=True) for lst in listings],
                ListingStatus.NO_ANNOUNCEMENT, message)
    newest = max(requested, _newest_date(listings) or requested)
    decided, behind = [], []
    for listing in listings:
        if listing.status is ListingStatus.STALE:
            behind.append(listing.note)
            decided.append(listing)
        elif listing.entries and listing.date is not None and listing.date < newest:
            note = (f"stale feed: {listing.category} still serves {listing.date}"
                    f" ({len(listing.entries)} entries), expected {newest}")
            behind.append(note)
            decided.append(_mark(listing, ListingStatus.STALE, note, keep=False))
        else:
            decided.append(listing)
    if behind:
        return decided, ListingStatus.STALE, "; ".join(behind)
    return decided, ListingStatus.OK, f"{sum(len(x.entries) for x in listings)} entries for {requested}"


def _mark(listing: Listing, status: ListingStatus, note: str, *, keep: bool) -> Listing:
    entries = listing.entries if keep else ()
    return replace(listing, status=status, note=note, entries=entries)


def backfill(
    store: Store,
    profile: Profile,
    start: dt.date,
    end: dt.date,
    *,
    via: Literal["api", "oai"] = "api",
    progress: Progress | None = None,
    client: HttpClient | None = None,
) -> list[DayFetch]:
    """Fetch and store approximate listings for every day from `start` to `end` (inclusive)."""
    if end < start:
        raise ConfigError(f"backfill range ends ({end}) before it starts ({start})")
    check_not_future(end, what="the last day of the backfill")
    cats = [c for c in profile.settings.categories if not is_preprint_category(c)]
    preprints = [c for c in profile.settings.categories if is_preprint_category(c)]
    own_client = client is None
    http = client or client_for(profile)
    try:
        per_day: dict[dt.date, list[Listing]] = {day: [] for day in _days(start, end)}
        if cats and via == "oai":
            _say(progress, f"OAI-PMH ListRecords {start} to {end}")
            found = OaiPmhSource(http, profile.endpoints.oai_pmh).listings_for_range(cats, start, end)
            for day, day_listings in found.items():
                per_day.setdefault(day, []).extend(day_listings)
        elif cats:
            api = ArxivApiSource(http, profile.endpoints.arxiv_api)
            for day in _days(start, end):
                _say(progress, f"arXiv API: submitted on {day}")
                per_day[day] += api.listings_for_day(cats, day)
        if preprints:
            # bioRxiv and medRxiv list posts by their posting date: a past day's window is exact,
            # not approximate, and comes from the same details API as today's.
            for day in _days(start, end):
                per_day[day] += _preprint_listings(http, profile, preprints, day, progress)
        per_day = {day: x for day, x in per_day.items() if x}
    finally:
        if own_client:
            http.close()
    results = []
    for day, listings in sorted(per_day.items()):
        fetched = store_day(store, listings, day)
        _say(progress, f"{day}: {fetched.message}")
        results.append(fetched)
    return results


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
