"""Slack's requests, through the `SLACK` policy of `papersieve.outbound`.

Slack asks for about one message a second per channel and answers a burst with 429 and a
`Retry-After` (seconds, or an HTTP date behind some proxies). A day's digest is 14-38 messages:
sent back to back they drew 429s, a date-form Retry-After raised an uncaught ValueError, and one
retry was all there was. The policy paces every message per channel, waits what a 429 asks (both
forms), at most `SLACK.tries` times per message, never more than `SLACK.max_wait` at once nor
`SLACK.wait_budget` in a whole delivery: a longer ask is a DeliveryError, not a job that hangs.
Everything sent passes through the redactor; no error shows the webhook's path (its secret).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx

from papersieve import outbound
from papersieve.errors import DeliveryError
from papersieve.outbound import SLACK
from papersieve.redact import redact


class PacedSender:
    """POSTs JSON to Slack through one client of the `SLACK` policy (one delivery's wait budget).

    `interval` overrides the pacing (default: `SLACK`'s, or PAPERSIEVE_SLACK_INTERVAL; tests
    set 0); `sleep` and `clock` are injectable so that a test sees the waits without waiting."""

    def __init__(self, interval: float | None = None, *, sleep: Callable[[float], None] | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        policy = SLACK.from_env() if interval is None else replace(SLACK, min_interval=interval)
        self.client = outbound.client(policy, sleep=sleep, clock=clock)

    def __enter__(self) -> PacedSender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def post(self, url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
        """Send one message (paced per channel: the body's `channel`, else the webhook)."""
        payload = json.loads(redact(json.dumps(body)))
        try:
            return self.client.post(url, json=payload, headers=headers or {})
        except outbound.WaitRefused as err:
            raise DeliveryError(f"slack: rate limited (HTTP {err.status}), asked to wait {err.seconds:.0f} s"
                                f" after {err.waited:.0f} s of waiting; giving up") from err
        except (httpx.HTTPError, httpx.InvalidURL) as err:
            # InvalidURL is no HTTPError: a webhook secret pasted with a stray character was a
            # traceback after the day's files were written.
            raise DeliveryError(f"slack: cannot reach {_host(url)}: {outbound.error_text(err)}") from err


def _host(url: str) -> str:
    """The host of `url` alone: the rest of a webhook URL is its secret, so a URL without a
    readable host (no scheme, a stray space or newline) is never shown."""
    try:
        host = httpx.URL(url).host
    except httpx.InvalidURL:
        host = ""
    return host or "the Slack address (not a valid http(s) URL)"
