"""The one polite HTTP client every source uses.

arXiv's terms of use (info.arxiv.org/help/api/tou.html) ask for at most one request every three
seconds on a single connection and a descriptive User-Agent. This client owns that, the
timeouts, and the retries: no other layer retries.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import os
import random
import time
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

import httpx

from papersieve.endpoints import USER_AGENT
from papersieve.errors import FetchError

ARXIV_INTERVAL = 3.0
"""Seconds between two requests to the same host (arXiv API terms of use)."""
INTERVAL_ENV = "PAPERSIEVE_HTTP_INTERVAL"
"""Overrides the interval (seconds); the test-suite's loopback servers set it to 0."""

_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class HttpClient:
    """GET with timeouts, one connection, a per-host request interval and bounded retries.

    `sleep` and `clock` are injectable so that a test can see the waits without waiting.
    """

    def __init__(
        self,
        *,
        min_interval: float = ARXIV_INTERVAL,
        timeout: float = 30.0,
        retries: int = 4,
        backoff: float = 2.0,
        max_wait: float = 120.0,
        user_agent: str = USER_AGENT,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.min_interval = min_interval
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.sleep = sleep
        self.clock = clock
        self._last: dict[str, float] = {}
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            headers={"User-Agent": user_agent},
            follow_redirects=True,
        )

    @classmethod
    def from_env(cls) -> HttpClient:
        """The default client; `PAPERSIEVE_HTTP_INTERVAL` may lower the interval (tests: 0)."""
        raw = os.environ.get(INTERVAL_ENV, "").strip()
        try:
            interval = max(0.0, float(raw)) if raw else ARXIV_INTERVAL
        except ValueError:
            interval = ARXIV_INTERVAL
        return cls(min_interval=interval)

    def get(self, url: str, params: Mapping[str, str | int] | None = None) -> httpx.Response:
        """GET `url`; retry 5xx, 429, timeouts and connection errors; raise `FetchError` at last."""
        attempts = self.retries + 1
        for attempt in range(1, attempts + 1):
            self._wait_turn(url)
            try:
                response = self._client.get(url, params=params)
            except httpx.TimeoutException as err:
                if attempt == attempts:
                    raise FetchError("timed out", url=url, attempt=attempt) from err
                self.sleep(self._backoff(attempt))
                continue
            except httpx.TransportError as err:
                if attempt == attempts:
                    raise FetchError(f"cannot connect ({type(err).__name__})",
                                     url=url, attempt=attempt) from err
                self.sleep(self._backoff(attempt))
                continue
            if response.status_code < 400:
                return response
            if response.status_code not in _RETRY_STATUS:
                raise FetchError("request refused", url=url, attempt=attempt,
                                 status=response.status_code)
            if attempt == attempts:
                raise FetchError(f"server still failing after {attempts} tries",
                                 url=url, attempt=attempt, status=response.status_code)
            self.sleep(self._retry_wait(response, attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def get_text(self, url: str, params: Mapping[str, str | int] | None = None) -> bytes:
        """The body of a successful GET, as bytes (feed parsers sniff the encoding themselves)."""
        return self.get(url, params).content

    def close(self) -> None:
        """Close the connection."""
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _wait_turn(self, url: str) -> None:
        host = urlsplit(url).netloc
        last = self._last.get(host)
        if last is not None and self.min_interval > 0:
            remaining = self.min_interval - (self.clock() - last)
            if remaining > 0:
                self.sleep(remaining)
        self._last[host] = self.clock()

    def _backoff(self, attempt: int) -> float:
        # Exponential backoff, jittered over its upper half so that clients do not align.
        base = self.backoff * 2.0 ** (attempt - 1)
        return min(self.max_wait, base / 2 + random.uniform(0, base / 2))

    def _retry_wait(self, response: httpx.Response, attempt: int) -> float:
        # A 429 or 503 from arXiv often says how long to wait; honour it (capped) over our guess.
        header = response.headers.get("Retry-After")
        advised = parse_retry_after(header) if header else None
        if advised is not None:
            return min(self.max_wait, max(advised, 0.0))
        return self._backoff(attempt)


def parse_retry_after(value: str, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date), or None."""
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    current = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - current).total_seconds())
