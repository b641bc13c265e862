"""The polite HTTP client against the loopback feed server: retries, Retry-After, timeouts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from papersieve.endpoints import USER_AGENT
from papersieve.errors import ConfigError, FetchError
from papersieve.outbound import parse_retry_after
from papersieve.sources.http import HttpClient
from tests.fakeclock import Clock
from tests.servers.feed_server import FeedServer


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running


def client(clock: Clock, **kwargs: float) -> HttpClient:
    options: dict[str, float] = {"min_interval": 3.0, "timeout": 5.0, "retries": 3,
                                 "backoff": 1.0} | kwargs
    return HttpClient(sleep=clock.sleep, clock=clock, **options)  # type: ignore[arg-type]


def test_user_agent_and_one_request_every_three_seconds(server: FeedServer) -> None:
    clock = Clock(1000.0)
    with client(clock) as http:
        for category in ("cs.LG", "cs.AI", "cs.LG"):
            assert http.get(f"{server.url}/rss/{category}").status_code == 200
    assert [headers["user-agent"] for _, headers in server.requests] == [USER_AGENT] * 3
    assert "papersieve" in USER_AGENT
    # The second and third requests to the same host waited for the rest of the 3 s.
    assert len(clock.waits) == 2 and all(w == pytest.approx(3.0) for w in clock.waits)


def test_interval_is_per_host() -> None:
    clock = Clock(1000.0)
    with FeedServer() as one, FeedServer() as two, client(clock) as http:
        http.get(f"{one.url}/rss/cs.LG")
        http.get(f"{two.url}/rss/cs.LG")
        assert clock.waits == []
        http.get(f"{one.url}/rss/cs.AI")
        assert clock.waits == [pytest.approx(3.0)]


def test_500_is_retried_with_growing_backoff(server: FeedServer) -> None:
    server.misbehave("cs.LG", "500", "500")
    clock = Clock(1000.0)
    with client(clock, min_interval=0) as http:
        response = http.get(f"{server.url}/rss/cs.LG")
    assert response.status_code == 200 and len(server.requests) == 3
    first, second = clock.waits
    assert 0.5 <= first <= 1.0 and 1.0 <= second <= 2.0  # base 1 s, then 2 s, jittered


def test_429_honours_retry_after_seconds(server: FeedServer) -> None:
    server.retry_after = "7"
    server.misbehave("cs.LG", "429")
    clock = Clock(1000.0)
    with client(clock, min_interval=0) as http:
        assert http.get(f"{server.url}/rss/cs.LG").status_code == 200
    assert clock.waits == [7.0]


def test_retry_after_is_capped(server: FeedServer) -> None:
    server.retry_after = "86400"
    server.misbehave("cs.LG", "429")
    clock = Clock(1000.0)
    with client(clock, min_interval=0, max_wait=30.0) as http:
        http.get(f"{server.url}/rss/cs.LG")
    assert clock.waits == [30.0]


def test_retry_after_as_http_date() -> None:
    now = dt.datetime(2025, 7, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert parse_retry_after("Tue, 01 Jul 2025 12:00:42 GMT", now) == 42.0
    assert parse_retry_after("Tue, 01 Jul 2025 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("soon") is None


def test_last_try_raises_a_clear_fetch_error(server: FeedServer) -> None:
    server.misbehave("cs.LG", "500", "500", "500")
    clock = Clock(1000.0)
    with client(clock, min_interval=0, retries=2) as http, pytest.raises(FetchError) as info:
        http.get(f"{server.url}/rss/cs.LG")
    error = info.value
    assert (error.status, error.attempt) == (500, 3)
    assert error.url == f"{server.url}/rss/cs.LG"
    assert str(error) == (f"server still failing after 3 tries (HTTP 500): {server.url}/rss/cs.LG"
                          " [attempt 3]")
    assert len(server.requests) == 3


def test_timeout_is_retried_then_reported(server: FeedServer) -> None:
    server.slow_seconds = 1.0
    server.misbehave("cs.LG", "slow", "slow")
    clock = Clock(1000.0)
    http = client(clock, min_interval=0, retries=1, timeout=0.2)
    with http, pytest.raises(FetchError, match=r"^timed out: .*/rss/cs.LG \[attempt 2\]$"):
        http.get(f"{server.url}/rss/cs.LG")


def test_timeout_then_success(server: FeedServer) -> None:
    server.slow_seconds = 1.0
    server.misbehave("cs.LG", "slow")
    clock = Clock(1000.0)
    with client(clock, min_interval=0, retries=2, timeout=0.2) as http:
        assert b"<rss" in http.get_text(f"{server.url}/rss/cs.LG")


def test_client_errors_are_not_retried(server: FeedServer) -> None:
    clock = Clock(1000.0)
    with client(clock, min_interval=0) as http, pytest.raises(FetchError) as info:
        http.get(f"{server.url}/nowhere")
    assert info.value.status == 404 and len(server.requests) == 1 and clock.waits == []


def test_connection_refused_is_a_fetch_error() -> None:
    with FeedServer() as gone:
        url = f"{gone.url}/rss/cs.LG"
    clock = Clock(1000.0)
    with client(clock, min_interval=0, retries=1) as http, pytest.raises(FetchError) as info:
        http.get(url)
    assert "cannot connect" in str(info.value) and info.value.attempt == 2
    assert len(clock.waits) == 1


def test_from_env_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERSIEVE_HTTP_INTERVAL", "0")
    assert HttpClient.from_env().min_interval == 0.0
    monkeypatch.setenv("PAPERSIEVE_HTTP_INTERVAL", "fast")  # was silently the default
    with pytest.raises(ConfigError, match=r"^PAPERSIEVE_HTTP_INTERVAL must be a number from 0 up to 3600,"
                                          r" not 'fast'$"):
        HttpClient.from_env()
    monkeypatch.delenv("PAPERSIEVE_HTTP_INTERVAL")
    assert HttpClient.from_env().min_interval == 3.0
