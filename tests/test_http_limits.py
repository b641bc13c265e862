"""Every download has a size cap and a total deadline: an endless or trickling body ends with a
one-line error naming the address and the limit (it used to grow to 5.9 GB, or never end)."""

from __future__ import annotations

from collections.abc import Iterator

import click
import httpx
import pytest
from click.testing import CliRunner, Result

from papersieve.cli.main import main
from papersieve.errors import ConfigError
from papersieve.ingest import client_for
from papersieve.outbound import Policy, ResponseTooLarge
from papersieve.outbound.transport import read_bounded
from papersieve.profile import load_profile
from papersieve.sources.http import (
    MB,
    DownloadLimits,
    DownloadTooLarge,
    DownloadTooSlow,
    HttpClient,
)
from tests.fakeclock import Clock
from tests.servers.feed_server import FeedServer


class TickingClock(Clock):
    """A clock that moves one second each time it is read: a deadline becomes a count of reads."""

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running


def test_endless_body_stops_at_the_size_cap(server: FeedServer) -> None:
    server.misbehave("cs.LG", "endless")
    url = f"{server.url}/rss/cs.LG"
    limits = DownloadLimits(max_bytes=2 * MB, deadline=600.0)
    with HttpClient(min_interval=0, limits=limits) as http, pytest.raises(DownloadTooLarge) as info:
        http.get_text(url)
    assert str(info.value) == (f"response passed {2 * MB} bytes, over the 2 MB download cap"
                               f" (setting PAPERSIEVE_DOWNLOAD_MAX_MB): {url} [attempt 1]")
    assert len(server.requests) == 1  # a body too large is not fetched again


def test_declared_length_over_the_cap_is_refused_before_reading(server: FeedServer) -> None:
    url = f"{server.url}/rss/cs.LG"
    with HttpClient(min_interval=0, limits=DownloadLimits(max_bytes=1000)) as http, \
            pytest.raises(DownloadTooLarge, match=r"^response announces \d+ bytes, over the 1000"
                                                  r" bytes download cap .*/rss/cs.LG \[attempt 1\]$"):
        http.get_text(url)


def test_trickling_body_stops_at_the_deadline(server: FeedServer) -> None:
    server.misbehave("cs.LG", "trickle")
    url = f"{server.url}/rss/cs.LG"
    clock = TickingClock(1000.0)
    limits = DownloadLimits(max_bytes=64 * MB, deadline=40.0)
    http = HttpClient(min_interval=0, limits=limits, clock=clock, sleep=clock.sleep)
    with http, pytest.raises(DownloadTooSlow) as info:
        http.get_text(url)
    assert str(info.value) == ("download took longer than its 40 s deadline (setting"
                               f" PAPERSIEVE_DOWNLOAD_DEADLINE): {url} [attempt 1]")
    # One clock reading per byte or so: the read stopped after about 40 of them, not 40 s later.
    assert clock.now - 1000.0 <= 45.0
    assert len(server.requests) == 1


def test_deadline_counts_the_waits_between_retries(server: FeedServer) -> None:
    server.retry_after = "100"
    server.misbehave("cs.LG", "429")
    clock = Clock(1000.0)
    limits = DownloadLimits(deadline=60.0)
    http = HttpClient(min_interval=0, limits=limits, clock=clock, sleep=clock.sleep, max_wait=300)
    with http, pytest.raises(DownloadTooSlow, match="60 s deadline"):
        http.get_text(f"{server.url}/rss/cs.LG")
    assert clock.waits == []  # no use waiting 100 s when 60 s are left


def test_normal_download_is_whole_within_limits(server: FeedServer) -> None:
    with HttpClient(min_interval=0, limits=DownloadLimits(max_bytes=4 * MB)) as http:
        body = http.get_text(f"{server.url}/rss/cs.LG")
    assert body == server.feed("rss", "cs.LG", None)


def test_the_one_bounded_reader_takes_any_stream() -> None:
    request, policy = httpx.Request("GET", "http://x/"), Policy("t", max_bytes=6)
    got = read_bounded(iter([b"ab", b"cd", b"ef"]), request=request, policy=policy, expired=lambda: False)
    assert got == b"abcdef"
    with pytest.raises(ResponseTooLarge):
        read_bounded(iter([b"abc", b"defg"]), request=request, policy=policy, expired=lambda: False)


def test_limits_from_profile_values_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAPERSIEVE_DOWNLOAD_MAX_MB", raising=False)
    monkeypatch.delenv("PAPERSIEVE_DOWNLOAD_DEADLINE", raising=False)
    assert DownloadLimits.resolve() == DownloadLimits(64 * MB, 300.0)
    assert DownloadLimits.resolve(8, 20) == DownloadLimits(8 * MB, 20.0)
    monkeypatch.setenv("PAPERSIEVE_DOWNLOAD_MAX_MB", "0.5")
    monkeypatch.setenv("PAPERSIEVE_DOWNLOAD_DEADLINE", "9")
    assert DownloadLimits.resolve(8, 20) == DownloadLimits(MB // 2, 9.0)
    monkeypatch.setenv("PAPERSIEVE_DOWNLOAD_DEADLINE", "forever")
    with pytest.raises(ConfigError, match=r"^PAPERSIEVE_DOWNLOAD_DEADLINE must be a positive"
                                          r" number up to 1e\+06, not 'forever'$"):
        DownloadLimits.resolve()


def run(*args: str) -> Result:
    return CliRunner().invoke(click.Command("papersieve", callback=lambda: main(list(args))), [])


def test_fetch_of_an_endless_feed_is_a_one_line_error(server: FeedServer,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERSIEVE_ARXIV_RSS_URL", server.rss_template)
    monkeypatch.setenv("PAPERSIEVE_HTTP_INTERVAL", "0")
    monkeypatch.setenv("PAPERSIEVE_DOWNLOAD_MAX_MB", "1")
    server.misbehave("cs.LG", "endless")
    result = run("fetch")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (f"error: response passed {MB} bytes, over the 1 MB download cap"
                             f" (setting PAPERSIEVE_DOWNLOAD_MAX_MB): {server.url}/rss/cs.LG"
                                              " [attempt 1]")


def test_profile_network_section_sets_the_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAPERSIEVE_DOWNLOAD_MAX_MB", raising=False)
    monkeypatch.delenv("PAPERSIEVE_DOWNLOAD_DEADLINE", raising=False)
    profile = load_profile(overrides={"network.download_max_mb": 3, "network.download_deadline": 7})
    with client_for(profile) as http:
        assert http.limits == DownloadLimits(3 * MB, 7.0)
