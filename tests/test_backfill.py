"""Backfill through the arXiv query API and OAI-PMH, served from recorded real responses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from papersieve.errors import ConfigError, FeedError
from papersieve.ingest import backfill
from papersieve.models import AnnounceType, ListingStatus
from papersieve.profile import Profile, load_profile
from papersieve.sources.arxiv_api import ArxivApiSource
from papersieve.sources.http import HttpClient
from papersieve.store import Store
from tests.servers.feed_server import FeedServer

API_DAY = dt.date(2026, 4, 29)  # every entry of the recorded cs.LG OR cs.AI page was submitted then


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FeedServer]:
    with FeedServer() as running:
        monkeypatch.setenv("PAPERSIEVE_ARXIV_API_URL", running.url + "/api/query")
        monkeypatch.setenv("PAPERSIEVE_OAI_PMH_URL", running.url + "/oai")
        yield running


@pytest.fixture
def profile(server: FeedServer) -> Profile:
    return load_profile()



def client() -> HttpClient:
    return HttpClient(min_interval=0, timeout=5, retries=1, backoff=0.01)


def queries(server: FeedServer) -> list[dict[str, str]]:
    return [{k: v[0] for k, v in parse_qs(urlsplit(p).query).items()} for p in server.paths()]


def test_api_pages_through_a_day(server: FeedServer) -> None:
    api = ArxivApiSource(client(), server.url + "/api/query", page_size=7)
    listings = api.listings_for_day(["cs.LG", "cs.AI"], API_DAY)
    sent = queries(server)
    assert [q["start"] for q in sent] == ["0", "7", "14"]
    assert {q["max_results"] for q in sent} == {"7"}
    assert sent[0]["search_query"] == (
        "(cat:cs.LG OR cat:cs.AI) AND submittedDate:[202604290000 TO 202604292359]")
    lg, ai = listings
    assert all(x.approximate and x.source == "api" and x.date == API_DAY for x in listings)
    ids = {e.paper.id for e in lg.entries} | {e.paper.id for e in ai.entries}
    assert len(ids) == 20  # every recorded entry lists cs.LG or cs.AI
    tide = next(e for e in lg.entries if e.paper.id == "2604.26951")
    assert tide.announce_type is AnnounceType.CROSS  # its primary category is cs.CL
    for entry in lg.entries:
        expected = AnnounceType.NEW if entry.paper.primary_category == "cs.LG" else AnnounceType.CROSS
        assert entry.announce_type is expected


def test_backfill_via_api_stores_approximate_days(
    server: FeedServer, profile: Profile, store: Store
) -> None:
    progress: list[str] = []
    days = backfill(store, profile, API_DAY - dt.timedelta(days=1), API_DAY, client=client(),
                    progress=progress.append)
    assert [(d.date, d.status) for d in days] == [
        (API_DAY - dt.timedelta(days=1), ListingStatus.NO_ANNOUNCEMENT), (API_DAY, ListingStatus.OK)]
    assert days[0].message == "no announcement for 2026-04-28"
    stored = store.conn.execute(
        "SELECT requested_date, category, source, status, approximate, total_entries, note"
        " FROM listings ORDER BY requested_date, id").fetchall()
    assert [tuple(r)[:6] for r in stored] == [
        ("2026-04-28", "cs.LG", "api", "no_announcement", 1, 0),
        ("2026-04-28", "cs.AI", "api", "no_announcement", 1, 0),
        ("2026-04-29", "cs.LG", "api", "ok", 1, len(days[1].listings[0].entries)),
        ("2026-04-29", "cs.AI", "api", "ok", 1, len(days[1].listings[1].entries)),
    ]
    assert stored[2]["note"] == "approximate: submitted on 2026-04-29 (arXiv API)"
    assert store.conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0] == 20
    assert "arXiv API: submitted on 2026-04-29" in progress


def test_backfill_via_oai_follows_the_resumption_token(
    server: FeedServer, profile: Profile, store: Store
) -> None:
    days = backfill(store, profile, dt.date(2016, 10, 20), dt.date(2016, 10, 21), via="oai",
                    client=client())
    first, second = queries(server)
    assert first == {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "from": "2016-10-20",
                     "until": "2016-10-21", "set": "cs"}
    assert second == {"verb": "ListRecords", "resumptionToken": "1403493|1001"}
    assert [d.date for d in days] == [dt.date(2016, 10, 20), dt.date(2016, 10, 21)]
    entries = [e for d in days for listing in d.listings for e in listing.entries]
    assert entries and all(listing.approximate and listing.source == "oai-pmh"
                           for d in days for listing in d.listings)
    for entry in entries:
        assert entry.category in entry.paper.categories
        primary = entry.paper.primary_category == entry.category
        replaced = (entry.paper.version or 1) > 1
        expected = {(True, False): "new", (False, False): "cross",
                    (True, True): "replace", (False, True): "replace-cross"}[(primary, replaced)]
        assert entry.announce_type.value == expected
    rows = store.conn.execute("SELECT COUNT(*) FROM listings WHERE approximate = 1").fetchone()
    assert rows[0] == 4


def test_broken_api_reply_stores_nothing(
    server: FeedServer, profile: Profile, store: Store
) -> None:
    server.misbehave("api", "html")
    with pytest.raises(FeedError, match="not an Atom response of the arXiv API"):
        backfill(store, profile, API_DAY, API_DAY, client=client())
    assert store.conn.execute("SELECT COUNT(*) FROM listings").fetchone()[0] == 0


def test_backwards_range_is_a_config_error(profile: Profile, store: Store) -> None:
    with pytest.raises(ConfigError, match=r"ends \(2025-07-01\) before it starts \(2025-07-02\)"):
        backfill(store, profile, dt.date(2025, 7, 2), dt.date(2025, 7, 1), client=client())
