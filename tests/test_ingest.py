"""The fetch service against the loopback arXiv: full real days, and every misbehaviour ending in
a stored, explained outcome or a one-line error with nothing half-written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from papersieve.candidates import select_candidates
from papersieve.errors import FeedError, FetchError
from papersieve.ingest import DayFetch, fetch_day
from papersieve.models import ListingStatus
from papersieve.profile import Profile, load_profile
from papersieve.sources.http import HttpClient
from papersieve.store import Store
from papersieve.store.listings import load_listings
from tests.fakeclock import Clock
from tests.servers import arxiv_feeds as af
from tests.servers.feed_server import FeedServer

CATS = ("cs.LG", "cs.AI")
SCANNED = {af.DAYS[0]: 490, af.DAYS[1]: 315, af.DAYS[2]: 272}
UNIQUE = {af.DAYS[0]: 413, af.DAYS[1]: 244, af.DAYS[2]: 215}




@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FeedServer]:
    with FeedServer() as running:
        monkeypatch.setenv("PAPERSIEVE_ARXIV_RSS_URL", running.rss_template)
        monkeypatch.setenv("PAPERSIEVE_ARXIV_ATOM_URL", running.atom_template)
        yield running


@pytest.fixture
def profile(server: FeedServer) -> Profile:
    return load_profile()



@pytest.fixture
def clock() -> Clock:
    return Clock()


def http(clock: Clock, timeout: float = 5.0, retries: int = 2) -> HttpClient:
    return HttpClient(min_interval=3.0, timeout=timeout, retries=retries, backoff=1.0,
                      sleep=clock.sleep, clock=clock)


def rows(store: Store, sql: str) -> list[tuple[object, ...]]:
    return [tuple(r) for r in store.conn.execute(sql).fetchall()]


def assert_store_empty(store: Store) -> None:
    for table in ("listings", "listing_entries", "papers", "paper_versions"):
        assert rows(store, f"SELECT COUNT(*) FROM {table}") == [(0,)], table


@pytest.mark.parametrize("source", ["rss", "atom"])
@pytest.mark.parametrize("day", af.DAYS)
def test_full_real_days_give_the_seed_counts(
    server: FeedServer, profile: Profile, store: Store, clock: Clock, day: dt.date, source: str
) -> None:
    server.day = day
    fetched = fetch_day(store, profile, source=source, client=http(clock))  # type: ignore[arg-type]
    assert fetched.date == day and fetched.status is ListingStatus.OK
    candidates = select_candidates(day, fetched.listings)
    assert candidates.counts.scanned == SCANNED[day]
    assert candidates.counts.unique == UNIQUE[day]
    replacements = 0 if day == af.DAYS[0] else 2 * af.REPLACEMENTS_PER_FEED
    assert candidates.counts.total == SCANNED[day] + replacements
    # What was stored is what was fetched, entry for entry.
    assert tuple(load_listings(store, day, list(CATS))) == fetched.listings
    assert all(listing.source == source for listing in fetched.listings)
    # Two categories, one host: the client waited 3 s between the two requests.
    assert clock.waits == [pytest.approx(3.0)]
    assert [p.split("/")[-1] for p in server.paths()] == list(CATS)


def test_the_recorded_real_feeds_are_served_and_stored(
    server: FeedServer, profile: Profile, store: Store, clock: Clock
) -> None:
    server.day = dt.date(2026, 4, 27)
    progress: list[str] = []
    fetched = fetch_day(store, profile, client=http(clock), progress=progress.append)
    assert fetched.date == dt.date(2026, 4, 27) and fetched.total == 6
    assert [e.paper.id for e in fetched.listings[0].entries] == [
        "2604.21952", "2604.21953", "2604.21956"]
    assert any(m.startswith("fetching cs.LG: http://127.0.0.1:") for m in progress)
    assert "cs.AI: 3 entries (2026-04-27)" in progress


def test_refetching_a_day_replaces_it(
    server: FeedServer, profile: Profile, store: Store, clock: Clock
) -> None:
    fetch_day(store, profile, client=http(clock))
    fetch_day(store, profile, client=http(clock))
    assert rows(store, "SELECT category, status, total_entries FROM listings ORDER BY id") == [
        ("cs.LG", "ok", 235), ("cs.AI", "ok", 255)]
    assert rows(store, "SELECT COUNT(*) FROM listing_entries") == [(490,)]
    assert rows(store, "SELECT COUNT(*) FROM papers") == [(413,)]


def test_500_then_success_is_stored(
    server: FeedServer, profile: Profile, store: Store, clock: Clock
) -> None:
    server.misbehave("cs.AI", "500", "500")
    fetched = fetch_day(store, profile, client=http(clock))
    assert fetched.status is ListingStatus.OK and fetched.total == 490
    assert server.paths().count("/rss/cs.AI") == 3
    assert rows(store, "SELECT COUNT(*) FROM listings WHERE status = 'ok'") == [(2,)]


def test_500_to_the_last_try_stores_nothing(
    server: FeedServer, profile: Profile, store: Store, clock: Clock
) -> None:
    server.misbehave("cs.AI", "500", "500", "500")
    with pytest.raises(FetchError) as info:
        fetch_day(store, profile, client=http(clock))
    assert str(info.value) == (f"server still failing after 3 tries (HTTP 500): {server.url}"
                               "/rss/cs.AI [attempt 3]")
    assert_store_empty(store)  # cs.LG was fetched fine, but a day is stored whole or not at all


def test_429_waits_as_told_and_stores_the_day(
    server: FeedServer, profile: Profile, store: Store, clock: Clock
) -> None:
    server.retry_after = "11"
    server.misbehave("cs.LG", "429")
    fetched = fetch_day(store, profile, client=http(clock))
    assert fetched.status is ListingStatus.OK
    assert 11.0 in clock.waits
    assert rows(store, "SELECT COUNT(*) FROM listing_entries") == [(490,)]


def test_429_forever_is_a_one_line_error(
    server: FeedServer, profile: Profile, store: Store, clock: Clock
) -> None:
    server.misbehave("cs.LG", "429", "429", "429")
    with pytest.raises(FetchError, match=r"\(HTTP 429\): .*/rss/cs\.LG \[attempt 3\]$"):
        fetch_day(store, profile, client=http(clock))
    assert_store_empty(store)


def test_timeout_beyond_the_client_limit(
    server: FeedServer, profile: Profile, store: Store, clock: Clock
) -> None:
    server.slow_seconds = 1.0
    server.misbehave("cs.AI", "slow", "slow")
    with pytest.raises(FetchError, match=r"^timed out: .*/rss/cs\.AI \[attempt 2\]$"):
        fetch_day(store, profile, client=http(clock, timeout=0.2, retries=1))
    assert_store_empty(store)


@pytest.mark.parametrize("fault, reason", [
    ("truncated", "broken feed XML"), ("html", "not an RSS or Atom feed")])
def test_broken_feed_is_a_one_line_error_and_nothing_is_written(
    server: FeedServer, profile: Profile, store: Store, clock: Clock, fault: str, reason: str
) -> None:
    fetch_day(store, profile, dt.date(2025, 7, 1), client=http(clock))  # an earlier good day
    server.day = af.DAYS[1]
    server.misbehave("cs.AI", fault)
    with pytest.raises(FeedError) as info:
        fetch_day(store, profile, client=http(clock))
    message = str(info.value)
    assert reason in message and "\n" not in message and message.endswith("/rss/cs.AI")
    # The earlier day is intact and nothing of the broken day was written.
    assert rows(store, "SELECT DISTINCT requested_date FROM listings") == [("2025-07-01",)]
    assert rows(store, "SELECT COUNT(*) FROM listing_entries") == [(490,)]


def test_weekend_feed_is_a_recorded_no_announcement(
    server: FeedServer, profile: Profile, store: Store, clock: Clock
) -> None:
    server.day = dt.date(2025, 7, 5)  # a Saturday
    server.misbehave("cs.LG", "weekend")
    server.misbehave("cs.AI", "weekend")
    fetched = fetch_day(store, profile, client=http(clock))
    assert fetched == DayFetch(fetched.date, fetched.listings, ListingStatus.NO_ANNOUNCEMENT,
                               "no announcement for 2025-07-05")
    assert fetched.date == dt.date(2025, 7, 5) and fetched.total == 0
    assert rows(store, "SELECT requested_date, category, status, total_entries, note"
                       " FROM listings ORDER BY id") == [
        ("2025-07-05", "cs.LG", "no_announcement", 0, "no announcement for 2025-07-05"),
        ("2025-07-05", "cs.AI", "no_announcement", 0, "no announcement for 2025-07-05"),
    ]


def test_stale_feed_is_recorded_without_its_old_entries(
    server: FeedServer, profile: Profile, store: Store, clock: Clock
) -> None:
    server.day = af.DAYS[2]
    server.misbehave("cs.LG", "stale")
    server.misbehave("cs.AI", "stale")
    fetched = fetch_day(store, profile, af.DAYS[2], client=http(clock))
    assert fetched.status is ListingStatus.STALE
    assert fetched.message == (
        "stale feed: cs.LG still serves 2025-07-02 (158 entries), expected 2025-07-03; "
        "stale feed: cs.AI still serves 2025-07-02 (169 entries), expected 2025-07-03")
    assert rows(store, "SELECT date, requested_date, category, status, total_entries"
                       " FROM listings ORDER BY id") == [
        ("2025-07-02", "2025-07-03", "cs.LG", "stale", 0),
        ("2025-07-02", "2025-07-03", "cs.AI", "stale", 0),
    ]
    assert rows(store, "SELECT COUNT(*) FROM papers") == [(0,)]


def test_one_category_a_day_behind(
    server: FeedServer, profile: Profile, store: Store, clock: Clock
) -> None:
    server.day = af.DAYS[2]
    server.lag["cs.AI"] = 1
    fetched = fetch_day(store, profile, client=http(clock))
    assert fetched.date == af.DAYS[2] and fetched.status is ListingStatus.STALE
    assert fetched.message == ("stale feed: cs.AI still serves 2025-07-02 (169 entries),"
                               " expected 2025-07-03")
    assert rows(store, "SELECT category, status, total_entries FROM listings ORDER BY id") == [
        ("cs.LG", "ok", 153), ("cs.AI", "stale", 0)]


def test_asking_for_a_past_day_from_the_daily_feed_is_refused(
    server: FeedServer, profile: Profile, store: Store, clock: Clock
) -> None:
    server.day = af.DAYS[2]
    with pytest.raises(FeedError, match=r"serves 2025-07-03, not 2025-07-01;.*backfill"):
        fetch_day(store, profile, af.DAYS[0], client=http(clock))
    assert_store_empty(store)


def test_categories_argument_and_user_agent(
    server: FeedServer, profile: Profile, store: Store, clock: Clock
) -> None:
    fetched = fetch_day(store, profile, categories=["cs.AI"], client=http(clock))
    assert [listing.category for listing in fetched.listings] == ["cs.AI"]
    assert server.paths() == ["/rss/cs.AI"]
    assert server.requests[0][1]["user-agent"].startswith("papersieve/")


@pytest.mark.parametrize("fault", ["stale", "weekend"])
def test_a_feed_that_goes_back_after_the_day_was_stored_does_not_erase_it(
    server: FeedServer, profile: Profile, store: Store, clock: Clock, fault: str
) -> None:
    """arXiv's feeds (behind caches) can serve the day before, or an empty page, again after
    serving the new day: a second run that day must not replace the stored listing with nothing."""
    server.day = af.DAYS[2]
    first = fetch_day(store, profile, client=http(clock))
    server.misbehave("cs.AI", fault)
    again = fetch_day(store, profile, client=http(clock))
    assert again.status is ListingStatus.OK and again.date == af.DAYS[2]
    assert again.listings == first.listings
    assert again.message == ("284 entries for 2025-07-03 (kept the listing stored before for cs.AI:"
                             " its feed no longer serves 2025-07-03)")
    assert tuple(load_listings(store, af.DAYS[2], list(CATS))) == first.listings
    assert rows(store, "SELECT category, status, total_entries FROM listings ORDER BY id") == [
        ("cs.AI", "ok", 131), ("cs.LG", "ok", 153)]


def test_a_feed_that_goes_back_keeps_the_day_stale_only_where_nothing_was_stored(
    server: FeedServer, profile: Profile, store: Store, clock: Clock
) -> None:
    server.day = af.DAYS[2]
    fetch_day(store, profile, categories=["cs.LG"], client=http(clock))
    server.misbehave("cs.LG", "stale")
    server.misbehave("cs.AI", "stale")
    fetched = fetch_day(store, profile, af.DAYS[2], client=http(clock))
    assert fetched.status is ListingStatus.STALE
    assert fetched.message == ("stale feed: cs.AI still serves 2025-07-02 (169 entries),"
                               " expected 2025-07-03")
    assert [(x.category, x.status, len(x.entries)) for x in fetched.listings] == [
        ("cs.LG", ListingStatus.OK, 153), ("cs.AI", ListingStatus.STALE, 0)]
