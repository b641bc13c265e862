"""bioRxiv and medRxiv through the details API, served by the loopback server from fixtures
written from the API's documentation: paging, outcomes, faults, backfill, ids, and a profile
that mixes arXiv categories with bioRxiv and medRxiv subjects."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from papersieve.cli.main import main
from papersieve.errors import ConfigError, FeedError, FetchError
from papersieve.ids import ArxivIdError, is_doi, parse_paper_id
from papersieve.ingest import backfill, fetch_day
from papersieve.models import AnnounceType, ListingStatus, abs_url, pdf_url
from papersieve.profile import load_profile
from papersieve.sources.biorxiv import MAX_PAGES, PreprintSource, posting_window
from papersieve.sources.http import HttpClient
from papersieve.store import Store
from tests.servers.biorxiv_server import BiorxivServer
from tests.servers.feed_server import FeedServer

DAY = dt.date(2025, 7, 3)


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[BiorxivServer]:
    with BiorxivServer() as server:
        monkeypatch.setenv("PAPERSIEVE_BIORXIV_API_URL", server.url)
        monkeypatch.setenv("PAPERSIEVE_HTTP_INTERVAL", "0")
        yield server


def profile_folder(folder: Path, categories: str, extra: str = "") -> Path:
    """An initialised profile whose categories line is `categories` (TOML)."""
    from papersieve.profile import init_profile

    folder.mkdir()
    init_profile(folder, force=True)
    lines = (folder / "profile.toml").read_text("utf-8").splitlines()
    kept = [{"relevance = 8": "relevance = 0", "novelty = 7": "novelty = 0"}.get(line, line)
            for line in lines if not line.startswith(("categories", "name "))]
    (folder / "profile.toml").write_text(f"categories = {categories}\n" + "\n".join(kept) + extra, "utf-8")
    return folder


def source(api: BiorxivServer, retries: int = 1) -> PreprintSource:
    return PreprintSource(HttpClient(min_interval=0, timeout=1, retries=retries, backoff=0.01), api.url)


def test_a_subject_day_is_one_entry_per_doi_with_its_newest_version(api: BiorxivServer) -> None:
    listing = source(api).listing("biorxiv:neuroscience", DAY)
    assert api.requests == ["/details/biorxiv/2025-07-02/2025-07-02/0?category=neuroscience"]
    assert listing.status is ListingStatus.OK and listing.date == DAY and listing.source == "biorxiv"
    got = [(e.paper.id, e.paper.version, e.announce_type) for e in listing.entries]
    assert got == [("10.1101/2025.07.01.662001", 1, AnnounceType.NEW),
                   ("10.1101/2025.07.01.662002", 2, AnnounceType.NEW),  # v1 and v2 posted that day
                   ("10.1101/2025.06.20.660500", 2, AnnounceType.REPLACE)]
    first = listing.entries[0].paper
    assert first.authors == ("Okafor, N.", "Lindqvist, E.", "Tanaka, H.")
    assert first.categories == ("biorxiv:neuroscience",)
    assert first.abs_url == "https://www.biorxiv.org/content/10.1101/2025.07.01.662001"


def test_a_multi_word_subject_and_medrxiv(api: BiorxivServer) -> None:
    cell = source(api).listing("biorxiv:cell_biology", DAY)
    assert [e.paper.id for e in cell.entries] == ["10.1101/2025.07.01.662010"]
    epi = source(api).listing("medrxiv:epidemiology", DAY)
    assert len(epi.entries) == 2
    assert epi.entries[0].paper.abs_url == "https://www.medrxiv.org/content/10.1101/2025.07.01.25330001"
    assert api.requests[-1] == "/details/medrxiv/2025-07-02/2025-07-02/0?category=epidemiology"


def test_a_big_day_is_read_page_by_page_with_the_cursor(api: BiorxivServer) -> None:
    api.extra_posts = 230
    listing = source(api).listing("biorxiv:neuroscience", DAY)
    assert [p.split("?")[0].rsplit("/", 1)[1] for p in api.requests] == ["0", "100", "200"]
    assert len(listing.entries) == 233


def test_no_posts_is_an_empty_day_not_an_error(api: BiorxivServer) -> None:
    listing = source(api).listing("biorxiv:neuroscience", dt.date(2025, 7, 8))
    assert api.requests == ["/details/biorxiv/2025-07-07/2025-07-07/0?category=neuroscience"]
    assert listing.status is ListingStatus.NO_ANNOUNCEMENT
    assert listing.note == "no posts on 2025-07-07" and listing.entries == ()


def test_a_monday_reads_the_posts_of_friday_to_sunday(api: BiorxivServer) -> None:
    assert posting_window(dt.date(2025, 7, 7)) == (dt.date(2025, 7, 4), dt.date(2025, 7, 6))
    assert posting_window(dt.date(2025, 7, 3)) == (dt.date(2025, 7, 2), dt.date(2025, 7, 2))
    listing = source(api).listing("biorxiv:neuroscience", dt.date(2025, 7, 7))
    assert api.requests == ["/details/biorxiv/2025-07-04/2025-07-06/0?category=neuroscience"]
    assert listing.note == "no posts on 2025-07-04 to 2025-07-06"


def test_an_api_still_serving_the_day_before_is_stale(api: BiorxivServer) -> None:
    api.misbehave("biorxiv", "stale")
    listing = source(api).listing("biorxiv:neuroscience", DAY)
    assert listing.status is ListingStatus.STALE and listing.entries == ()
    assert listing.note == ("stale feed: biorxiv:neuroscience still serves 2025-07-01 (1 posts),"
                            " expected 2025-07-02")


@pytest.mark.parametrize("fault", ["truncated", "html"])
def test_a_broken_reply_fails_the_fetch(api: BiorxivServer, fault: str) -> None:
    api.misbehave("biorxiv", fault)
    with pytest.raises(FeedError, match="bioRxiv API"):
        source(api).listing("biorxiv:neuroscience", DAY)


def test_server_errors_are_retried_then_fail_with_the_url(api: BiorxivServer) -> None:
    api.misbehave("biorxiv", "429", "500")
    api.retry_after = "0"
    assert len(source(api, retries=2).listing("biorxiv:neuroscience", DAY).entries) == 3
    api.misbehave("biorxiv", "500", "500")
    with pytest.raises(FetchError, match="/details/biorxiv/2025-07-02/2025-07-02/0"):
        source(api, retries=1).listing("biorxiv:neuroscience", DAY)


def test_a_cursor_that_never_advances_stops_within_the_page_budget(api: BiorxivServer) -> None:
    api.misbehave("biorxiv", *["stuck"] * (MAX_PAGES + 5))
    with pytest.raises(FeedError, match="cursor does not advance"):
        source(api).listing("biorxiv:neuroscience", DAY)
    assert len(api.requests) == MAX_PAGES


def test_profiles_name_subjects_next_to_arxiv_categories(tmp_path: Path) -> None:
    folder = profile_folder(tmp_path / "p",
                            '["cs.LG", "biorxiv:Neuroscience", "medrxiv:cardiovascular_medicine"]')
    assert load_profile(folder).settings.categories == (
        "cs.LG", "biorxiv:neuroscience", "medrxiv:cardiovascular_medicine")
    profile_folder(tmp_path / "q", '["biorxiv:astrology"]')
    with pytest.raises(ConfigError, match="unknown bioRxiv/medRxiv subject 'biorxiv:astrology'"):
        load_profile(tmp_path / "q")


def test_doi_ids_pass_without_weakening_arxiv_ids() -> None:
    assert parse_paper_id("10.1101/2025.07.01.662001") == "10.1101/2025.07.01.662001"
    assert parse_paper_id("https://doi.org/10.1101/2025.07.01.662001") == "10.1101/2025.07.01.662001"
    assert parse_paper_id("doi:10.1101/339747") == "10.1101/339747"
    assert parse_paper_id("10.48550/arXiv.2507.01335") == "2507.01335"  # arXiv's own DOI
    assert parse_paper_id("arXiv:2507.01335v2") == "2507.01335"
    for bad in ("25071335", "10.1101", "10.11/abc", "2513.01335", "doi:", "hello world"):
        with pytest.raises(ArxivIdError):
            parse_paper_id(bad)
    assert abs_url("2507.01335") == "https://arxiv.org/abs/2507.01335"
    assert abs_url("10.1101/339747") == "https://doi.org/10.1101/339747"  # server unknown
    assert pdf_url("10.1101/339747", ("medrxiv:epidemiology",)) == (
        "https://www.medrxiv.org/content/10.1101/339747.full.pdf")


@given(st.integers(7, 30), st.integers(1, 12), st.integers(1, 99999))
def test_every_new_style_arxiv_id_stays_an_arxiv_id(year: int, month: int, number: int) -> None:
    text = f"{year:02d}{month:02d}.{number:05d}"
    assert parse_paper_id(text) == text and not is_doi(text)


def test_backfill_reads_past_posting_days_exactly(api: BiorxivServer, tmp_path: Path,
                                                  store: Store) -> None:
    folder = profile_folder(tmp_path / "p", '["biorxiv:neuroscience"]')
    days = backfill(store, load_profile(folder), dt.date(2025, 7, 2), DAY,
                    client=HttpClient(min_interval=0, retries=0))
    assert [(d.date, d.status, d.total) for d in days] == [
        (dt.date(2025, 7, 2), ListingStatus.OK, 1), (DAY, ListingStatus.OK, 3)]
    assert not any(x.approximate for d in days for x in d.listings)


def run(*args: str) -> Result:
    return CliRunner().invoke(click.Command("papersieve", callback=lambda: main(list(args))), [])


@pytest.fixture
def mixed_profile(tmp_path: Path, api: BiorxivServer) -> Iterator[tuple[Path, FeedServer]]:
    folder = profile_folder(tmp_path / "mixed",
                            '["cs.LG", "cs.AI", "biorxiv:neuroscience", "medrxiv:epidemiology"]')
    with FeedServer(DAY) as feeds, pytest.MonkeyPatch.context() as mp:
        mp.setenv("PAPERSIEVE_ARXIV_RSS_URL", feeds.rss_template)
        yield folder, feeds


def test_an_arxiv_day_and_a_biorxiv_day_make_one_digest(mixed_profile: tuple[Path, FeedServer],
                                                         tmp_path: Path) -> None:
    folder, _ = mixed_profile
    out = tmp_path / "out"
    result = run("run", "--profile", str(folder), "--date", "2025-07-03", "--out", str(out))
    assert result.exit_code == 0, result.output
    day = json.loads((out / "2025-07" / "2025-07-03.json").read_text("utf-8"))
    ids = [c["id"] for c in day["candidates"]]
    assert len(ids) == len(set(ids))  # deduplicated: the paper posted as v1 and v2 is judged once
    dois = {c["id"]: c["url"] for c in day["candidates"] if is_doi(c["id"])}
    assert dois == {
        "10.1101/2025.07.01.662001": "https://www.biorxiv.org/content/10.1101/2025.07.01.662001",
        "10.1101/2025.07.01.662002": "https://www.biorxiv.org/content/10.1101/2025.07.01.662002",
        "10.1101/2025.07.01.25330001": "https://www.medrxiv.org/content/10.1101/2025.07.01.25330001",
        "10.1101/2025.07.01.25330002": "https://www.medrxiv.org/content/10.1101/2025.07.01.25330002",
    }  # the revision (v2 only) is not "new", as for arXiv replacements
    assert len(ids) - len(dois) > 100  # and the arXiv day's papers
    markdown = (out / "2025-07" / "2025-07-03.md").read_text("utf-8")
    assert "**DOI:** 10.1101/2025.07.01.662001" in markdown
    assert "](https://www.medrxiv.org/content/10.1101/2025.07.01.25330001)" in markdown
    html = (out / "2025-07" / "2025-07-03.html").read_text("utf-8")
    atom = (out / "feed.atom").read_text("utf-8")
    for url in dois.values():
        assert f'href="{url}"' in html and f'href="{url}"' in atom
    again = run("run", "--profile", str(folder), "--date", "2025-07-03", "--out", str(out))
    assert again.exit_code == 0 and (out / "2025-07" / "2025-07-03.md").read_text("utf-8") == markdown


def test_a_doi_can_be_liked(mixed_profile: tuple[Path, FeedServer]) -> None:
    folder, _ = mixed_profile
    result = run("like", "--profile", str(folder), "https://doi.org/10.1101/2025.07.01.662001")
    assert result.exit_code == 0, result.output
    assert "10.1101/2025.07.01.662001" in run("feedback").output


def test_fetch_day_of_a_biorxiv_only_profile(api: BiorxivServer, tmp_path: Path, store: Store) -> None:
    folder = profile_folder(tmp_path / "p", '["medrxiv:epidemiology"]')
    fetched = fetch_day(store, load_profile(folder), DAY)
    assert fetched.status is ListingStatus.OK and fetched.total == 2
    nothing = fetch_day(store, load_profile(folder), dt.date(2025, 7, 5))  # Friday 07-04: none
    assert nothing.status is ListingStatus.NO_ANNOUNCEMENT


def test_the_web_app_shows_a_preprint_with_its_server_link(mixed_profile: tuple[Path, FeedServer],
                                                           tmp_path: Path, papersieve_home: Path) -> None:
    from starlette.testclient import TestClient

    from papersieve.home import database_path
    from papersieve.web.app import create_app

    folder, _ = mixed_profile
    done = run("run", "--profile", str(folder), "--date", "2025-07-03", "--out", str(tmp_path / "o"))
    assert done.exit_code == 0
    with TestClient(create_app(database_path(), token=""), base_url="http://127.0.0.1:8000") as client:
        page = client.get("/paper/10.1101/2025.07.01.25330001")
        day = client.get("/day/2025-07-03")
    assert page.status_code == 200
    assert 'href="https://www.medrxiv.org/content/10.1101/2025.07.01.25330001"' in page.text
    assert "doi:10.1101/2025.07.01.25330001" in page.text
    assert 'href="https://www.biorxiv.org/content/10.1101/2025.07.01.662001"' in day.text


def test_a_reply_slower_than_the_timeout_fails_with_the_url(api: BiorxivServer) -> None:
    api.slow_seconds = 1.5
    api.misbehave("biorxiv", "slow", "slow")
    with pytest.raises(FetchError, match="timed out"):
        source(api, retries=1).listing("biorxiv:neuroscience", DAY)


def test_a_broken_api_is_one_line_and_exit_two(mixed_profile: tuple[Path, FeedServer], api: BiorxivServer,
                                               tmp_path: Path) -> None:
    folder, _ = mixed_profile
    api.misbehave("medrxiv", "truncated")
    result = run("run", "--profile", str(folder), "--date", "2025-07-03", "--out", str(tmp_path / "o"))
    assert result.exit_code == 2
    assert "broken JSON from the bioRxiv API" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_a_stale_biorxiv_only_day_is_exit_three(api: BiorxivServer, tmp_path: Path) -> None:
    folder = profile_folder(tmp_path / "p", '["biorxiv:neuroscience"]')
    api.misbehave("biorxiv", "stale")
    result = run("run", "--profile", str(folder), "--date", "2025-07-03", "--out", str(tmp_path / "o"))
    assert result.exit_code == 3, result.output
    assert result.stdout.startswith("Stale feed: biorxiv:neuroscience still serves 2025-07-01")
