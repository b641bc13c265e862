"""Slack's manners in one place: pacing, Retry-After, bounded retries.

Slack asks for about one message a second per channel and answers a burst with 429 and a
`Retry-After` (seconds, or an HTTP date behind some proxies). A day's digest is 14-38 messages:
sent back to back they drew 429s, a date-form Retry-After raised an uncaught ValueError, and one
retry was all there was. Here every message waits for its channel's interval, a 429 waits what
Slack asks (parsed by `papersieve.outbound.parse_retry_after`, both forms), at most `MAX_TRIES`
times per message, never more than `MAX_WAIT` at once nor `TOTAL_WAIT` in all: a longer ask is
a DeliveryError, not a job that hangs. Everything sent passes through the redactor.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any

import httpx

from papersieve.endpoints import USER_AGENT
from papersieve.errors import DeliveryError
from papersieve.outbound.policy import parse_retry_after
from papersieve.redact import redact

INTERVAL_ENV = "PAPERSIEVE_SLACK_INTERVAL"
INTERVAL = 1.0
"""Seconds between two messages to one channel (Slack: about one per second)."""
MAX_TRIES = 4
MAX_WAIT = 30.0
TOTAL_WAIT = 120.0
TIMEOUT = 20.0


def interval_from_env() -> float:
    """PAPERSIEVE_SLACK_INTERVAL (seconds, tests set 0) or one second."""
    raw = os.environ.get(INTERVAL_ENV, "").strip()
    try:
        return max(float(raw), 0.0) if raw else INTERVAL
    except ValueError:
        return INTERVAL


class PacedSender:
    """POSTs JSON to Slack, one message per interval per channel, honouring 429's Retry-After."""

    def __init__(self, interval: float | None = None, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic,
                 client: httpx.Client | None = None) -> None:
        self.interval = interval_from_env() if interval is None else interval
        self.sleep, self.clock = sleep, clock
        self.client = client or httpx.Client(timeout=TIMEOUT, headers={"User-Agent": USER_AGENT})
        self.waited = 0.0
        self._last: dict[str, float] = {}

    def __enter__(self) -> PacedSender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def post(self, channel: str, url: str, body: dict[str, Any],
             headers: dict[str, str] | None = None) -> httpx.Response:
        """Send one message to `channel` (a channel name, or the webhook for a webhook)."""
        payload = json.loads(redact(json.dumps(body)))
        attempt = 1
        while True:
            self._pace(channel)
            response = self._send(url, payload, headers or {})
            if response.status_code != 429 or attempt >= MAX_TRIES:
                return response
            self._wait(_asked(response, attempt))
            attempt += 1

    def _pace(self, channel: str) -> None:
        last = self._last.get(channel)
        if last is not None:
            gap = last + self.interval - self.clock()
            if gap > 0:
                self.sleep(gap)
        self._last[channel] = self.clock()

    def _send(self, url: str, payload: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        try:
            return self.client.post(url, json=payload, headers=headers)
        except (httpx.HTTPError, httpx.InvalidURL) as err:
            # InvalidURL is no HTTPError: a webhook secret pasted with a stray character was a
            # traceback after the day's files were written.
            raise DeliveryError(f"slack: cannot reach {_host(url)}: {err}") from err

    def _wait(self, seconds: float) -> None:
        if seconds > MAX_WAIT or self.waited + seconds > TOTAL_WAIT:
            raise DeliveryError(f"slack: rate limited (HTTP 429), asked to wait {seconds:.0f} s"
                                f" after {self.waited:.0f} s of waiting; giving up")
        self.waited += seconds
        self.sleep(seconds)


def _asked(response: httpx.Response, attempt: int) -> float:
    """What a 429 asks: its Retry-After (seconds or an HTTP date), else 1, 2, 4... seconds."""
    header = response.headers.get("Retry-After")
    advised = parse_retry_after(header) if header else None
    return advised if advised is not None else float(2 ** (attempt - 1))


def _host(url: str) -> str:
    """The host of `url` alone: the rest of a webhook URL is its secret, so a URL without a
    readable host (no scheme, a stray space or newline) is never shown."""
    try:
        host = httpx.URL(url).host
    except httpx.InvalidURL:
        host = ""
    return host or "the Slack address (not a valid http(s) URL)"
