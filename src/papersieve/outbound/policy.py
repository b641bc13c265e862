"""How papersieve treats each kind of server it calls, in one table.

Every outbound request goes through `papersieve.outbound.client(POLICY)`: pacing per host, which
answers are retried, how long to wait (the server's `Retry-After` in either form, else capped
exponential backoff with jitter), how long one request may take in all, and how large its body
may be. A caller picks its policy here; nothing else in the package decides these things.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, replace

MIB = 1024 * 1024
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Policy:
    """One kind of server: how often to call it, what to retry, and the bounds of one request."""

    name: str
    min_interval: float = 0.0
    """Seconds between the starts of two requests to the same host (shared by the process)."""
    tries: int = 5
    """Attempts in all, the first included."""
    backoff: float = 2.0
    """The first backoff in seconds; it doubles with each attempt, jittered over its upper half."""
    max_wait: float = 120.0
    """Cap on one wait, whether from backoff or from the server's `Retry-After`."""
    timeout: float = 30.0
    """Seconds one read (or the connection) may take."""
    deadline: float = 600.0
    """Seconds one request may take in all: its retries, waits and body included."""
    max_bytes: int = 64 * MIB
    """Largest body (after decompression) read from one response."""
    retry_status: frozenset[int] = RETRY_STATUS
    secret_path: bool = False
    """The URL's path and query are a secret (a Slack webhook): errors name the host only."""
    retry_after_field: tuple[str, ...] = ()
    """Where a 429's JSON body says how long to wait when it sends no `Retry-After` header
    (Telegram: `parameters.retry_after`, in seconds)."""

    def backoff_for(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based) when the server said nothing."""
        base = self.backoff * 2.0 ** (attempt - 1)
        return min(self.max_wait, base / 2 + rand() * base / 2)

    def wait_for(self, attempt: int, retry_after: str | None,
                 now: dt.datetime | None = None) -> float:
        """The server's `Retry-After` when it gave one (capped), else backoff."""
        advised = parse_retry_after(retry_after, now) if retry_after else None
        if advised is not None:
            return min(self.max_wait, advised)
        return self.backoff_for(attempt)

    def body_retry_after(self, body: bytes) -> str | None:
        """The wait a JSON body asks for at `retry_after_field`, as a header would say it."""
        if not self.retry_after_field:
            return None
        try:
            value: object = json.loads(body)
        except ValueError:
            return None
        for key in self.retry_after_field:
            value = value.get(key) if isinstance(value, dict) else None
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else None

    def with_limits(self, *, max_bytes: int | None = None, deadline: float | None = None) -> Policy:
        """The same policy with other bounds (settings of the profile or the environment)."""
        return replace(self, max_bytes=max_bytes if max_bytes is not None else self.max_bytes,
                       deadline=deadline if deadline is not None else self.deadline)


def parse_retry_after(value: str, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date), or None.

    RFC 9110 10.2.3 allows both forms; a date in the past means now (0), garbage means None.
    """
    text = value.strip()
    if text.isdigit():
        return float(min(int(text), 10**9))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    current = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - current).total_seconds())


SEMANTIC_SCHOLAR = Policy("semantic-scholar", min_interval=1.0, tries=4, backoff=2.0, max_wait=30.0,
                          deadline=300.0, max_bytes=32 * MIB)
"""One request a second, keyed or not (Semantic Scholar's documented limit)."""
TELEGRAM = Policy("telegram", min_interval=1.0, tries=4, backoff=0.5, max_wait=60.0, timeout=30.0,
                  deadline=180.0, max_bytes=4 * MIB, retry_status=frozenset({429}), secret_path=True,
                  retry_after_field=("parameters", "retry_after"))
"""Telegram's Bot API, sending: one message a second per chat (core.telegram.org/bots/faq); a 429
says its wait in `parameters.retry_after`. Only 429 is retried (a 5xx may have posted the
message), and the bot token is in the path, so errors name the host only."""
TELEGRAM_GROUP = replace(TELEGRAM, name="telegram-group", min_interval=3.0)
"""The same, to a group or channel: Telegram allows a bot 20 messages a minute there."""
TELEGRAM_READ = replace(TELEGRAM, name="telegram-read", min_interval=0.0,
                        retry_status=frozenset({429, 500, 502, 503, 504}))
"""getUpdates and answerCallbackQuery: reading twice is harmless, so server errors are retried."""
SLACK_READ = Policy("slack-read", min_interval=1.2, tries=4, backoff=2.0, max_wait=60.0, deadline=180.0,
                    max_bytes=16 * MIB)
"""Slack's Web API, reading threads (conversations.replies is Tier 3: about 50 calls a minute)."""
POLICIES = {p.name: p for p in (SEMANTIC_SCHOLAR, TELEGRAM, TELEGRAM_GROUP, TELEGRAM_READ, SLACK_READ)}
"""Every policy by name; a caller moved onto `outbound` (issue 24: arXiv, Slack, the LLM) adds its own."""
