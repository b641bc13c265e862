"""The one polite HTTP client every source uses.

arXiv's terms of use (info.arxiv.org/help/api/tou.html) ask for at most one request every three
seconds on a single connection and a descriptive User-Agent. This client owns that, the
timeouts, and the retries: no other layer retries.

Every body is read through `read_bounded`, with a size cap and a total deadline
(`DownloadLimits`): httpx's timeout is per read, so a server sending one byte every few seconds,
or an endless body, would otherwise hold a run forever or fill the memory (both seen in review).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from papersieve.endpoints import USER_AGENT
from papersieve.errors import ConfigError, FetchError
from papersieve.outbound.policy import parse_retry_after

ARXIV_INTERVAL = 3.0
"""Seconds between two requests to the same host (arXiv API terms of use)."""
INTERVAL_ENV = "PAPERSIEVE_HTTP_INTERVAL"
"""Overrides the interval (seconds); the test-suite's loopback servers set it to 0."""

_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})

MAX_BYTES_ENV = "PAPERSIEVE_DOWNLOAD_MAX_MB"
"""Overrides the download size cap (megabytes)."""
DEADLINE_ENV = "PAPERSIEVE_DOWNLOAD_DEADLINE"
"""Overrides the download deadline (seconds)."""
MB = 1024 * 1024


@dataclass(frozen=True)
class DownloadLimits:
    """How much one download may bring back and how long it may take, retries included."""

    max_bytes: int = 64 * MB
    """Largest body accepted (after decompression); a daily feed is ~2 MB, an OAI page ~5 MB."""
    deadline: float = 300.0
    """Seconds from the first request of one `get` to its last byte, waits and retries included
    (checked after every read; one read of an attempt waits at most the per-read timeout or the
    time left when the attempt began, whichever is less, so a stalled server overshoots it by at
    most that wait)."""

    def __post_init__(self) -> None:
        if self.max_bytes <= 0 or not self.deadline > 0:
            raise ConfigError("download limits must be positive"
                              f" (max {self.max_bytes} bytes, deadline {self.deadline} s)")

    @classmethod
    def resolve(cls, max_mb: float | None = None, deadline: float | None = None) -> DownloadLimits:
        """Defaults, overridden by the profile's values, overridden by the environment."""
        mb = _env_number(MAX_BYTES_ENV, max_mb)
        seconds = _env_number(DEADLINE_ENV, deadline)
        default = cls()
        return cls(max_bytes=int(mb * MB) if mb is not None else default.max_bytes,
                   deadline=seconds if seconds is not None else default.deadline)

    def describe_size(self) -> str:
        """The cap as a person reads it."""
        if self.max_bytes % MB == 0:
            return f"{self.max_bytes // MB} MB"
        return f"{self.max_bytes} bytes"


def _env_number(name: str, fallback: float | None) -> float | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return fallback
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise ConfigError(f"{name} must be a positive number, not {raw!r}")
    return value


class Deadline:
    """A point in time on `clock`; `left()` is the time that remains (never below zero)."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self.ends = clock() + seconds

    def left(self) -> float:
        """Seconds left."""
        return max(0.0, self.ends - self.clock())

    def passed(self) -> bool:
        """True once the deadline is reached."""
        return self.left() <= 0.0


class DownloadTooLarge(FetchError):
    """The body passed the size cap."""


class DownloadTooSlow(FetchError):
    """The download passed its total deadline."""


def too_slow(url: str, deadline: Deadline, attempt: int = 1) -> DownloadTooSlow:
    """The one-line error for a download that passed its deadline."""
    return DownloadTooSlow(f"download took longer than its {deadline.seconds:g} s deadline"
                           f" (setting {DEADLINE_ENV})", url=url, attempt=attempt)


def read_bounded(chunks: Iterator[bytes], *, url: str, limits: DownloadLimits,
                 deadline: Deadline, declared: str | None = None, attempt: int = 1) -> bytes:
    """Join a streamed body, stopping with a one-line `FetchError` past the size cap or deadline.

    `chunks` is any stream of byte blocks (httpx's `iter_bytes()`, decompressed); `declared` is the
    Content-Length header, refused up front when it already announces too much.
    """
    if declared is not None and declared.strip().isdigit() and int(declared) > limits.max_bytes:
        raise _too_large(url, limits, attempt, f"announces {int(declared)} bytes")
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > limits.max_bytes:
            raise _too_large(url, limits, attempt, f"passed {limits.max_bytes} bytes")
        parts.append(chunk)
        if deadline.passed():
            raise too_slow(url, deadline, attempt)
    return b"".join(parts)


def _too_large(url: str, limits: DownloadLimits, attempt: int, what: str) -> DownloadTooLarge:
    return DownloadTooLarge(f"response {what}, over the {limits.describe_size()} download cap"
                            f" (setting {MAX_BYTES_ENV})", url=url, attempt=attempt)


class HttpClient:
    """GET with timeouts, one connection, a per-host request interval, bounded retries, and a
    size cap and total deadline on every download (`limits`).

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
        limits: DownloadLimits | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.min_interval = min_interval
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.limits = limits or DownloadLimits()
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
    def from_env(cls, limits: DownloadLimits | None = None) -> HttpClient:
        """The default client; `PAPERSIEVE_HTTP_INTERVAL` may lower the interval (tests: 0)."""
        raw = os.environ.get(INTERVAL_ENV, "").strip()
        try:
            interval = max(0.0, float(raw)) if raw else ARXIV_INTERVAL
        except ValueError:
            interval = ARXIV_INTERVAL
        return cls(min_interval=interval, limits=limits or DownloadLimits.resolve())

    def get(self, url: str, params: Mapping[str, str | int] | None = None) -> httpx.Response:
        """GET `url`; retry 5xx, 429, timeouts and connection errors; raise `FetchError` at last.

        The returned response holds the whole body, read within the size cap and the deadline.
        """
        deadline = Deadline(self.limits.deadline, self.clock)
        attempts = self.retries + 1
        for attempt in range(1, attempts + 1):
            self._wait_turn(url, deadline, attempt)
            try:
                response = self._fetch(url, params, deadline, attempt)
            except httpx.TimeoutException as err:
                if deadline.passed():
                    raise too_slow(url, deadline, attempt) from err
                if attempt == attempts:
                    raise FetchError("timed out", url=url, attempt=attempt) from err
                self._pause(self._backoff(attempt), url, deadline, attempt)
                continue
            except httpx.TransportError as err:
                if attempt == attempts:
                    raise FetchError(f"cannot connect ({type(err).__name__})",
                                     url=url, attempt=attempt) from err
                self._pause(self._backoff(attempt), url, deadline, attempt)
                continue
            if response.status_code < 400:
                return response
            if response.status_code not in _RETRY_STATUS:
                raise FetchError("request refused", url=url, attempt=attempt,
                                 status=response.status_code)
            if attempt == attempts:
                raise FetchError(f"server still failing after {attempts} tries",
                                 url=url, attempt=attempt, status=response.status_code)
            self._pause(self._retry_wait(response, attempt), url, deadline, attempt)
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

    def _fetch(self, url: str, params: Mapping[str, str | int] | None, deadline: Deadline,
               attempt: int) -> httpx.Response:
        """One request, its body read (successes only) within the limits; the connection closed."""
        # No single read may wait past the deadline; `read_bounded` checks it between reads.
        wait = max(0.001, min(self.timeout, deadline.left()))
        request = self._client.build_request(
            "GET", url, params=params, timeout=httpx.Timeout(wait, connect=min(wait, 10.0)))
        response = self._client.send(request, stream=True)
        try:
            body = b""
            if response.status_code < 400:
                body = read_bounded(response.iter_bytes(), url=url, limits=self.limits,
                                    deadline=deadline, attempt=attempt,
                                    declared=response.headers.get("content-length"))
        finally:
            response.close()
        # The body is decoded already: drop the headers that describe its encoding on the wire.
        headers = [(k, v) for k, v in response.headers.multi_items()
                   if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
        return httpx.Response(response.status_code, headers=headers, content=body,
                              request=response.request)

    def _pause(self, seconds: float, url: str, deadline: Deadline, attempt: int) -> None:
        if seconds >= deadline.left():
            raise too_slow(url, deadline, attempt)
        self.sleep(seconds)

    def _wait_turn(self, url: str, deadline: Deadline, attempt: int) -> None:
        host = urlsplit(url).netloc
        last = self._last.get(host)
        if last is not None and self.min_interval > 0:
            remaining = self.min_interval - (self.clock() - last)
            if remaining > 0:
                self._pause(remaining, url, deadline, attempt)
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
