"""How papersieve treats each kind of server it calls, in one table.

Every outbound request goes through `papersieve.outbound.client(POLICY)`: pacing per host, which
answers are retried, how long to wait (the server's `Retry-After` in either form, else capped
exponential backoff with jitter), how long one request may take in all, and how large its body
may be. A caller picks its policy here; nothing else in the package decides these things.
"""

from __future__ import annotations

import datetime as dt
import email.utils
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
ARXIV_LOOKUP = Policy("arxiv-lookup", min_interval=3.0, tries=4, backoff=3.0, max_wait=60.0,
                      deadline=300.0, max_bytes=16 * MIB)
"""The arXiv API's `id_list` look-ups of `import-likes`: one request every 3 seconds (the arXiv API
user manual's "Terms of Use": no more than one request every three seconds, one connection)."""
ZOTERO = Policy("zotero", min_interval=0.0, tries=4, backoff=2.0, max_wait=120.0,
                deadline=600.0, max_bytes=64 * MIB)
"""The Zotero web API v3; it asks for pauses itself (`Backoff`, `Retry-After` with a 429 or 503,
per its documentation's "Rate Limiting"), which the client obeys."""
POLICIES = {p.name: p for p in (SEMANTIC_SCHOLAR, ARXIV_LOOKUP, ZOTERO)}
"""Every policy by name; a caller moved onto `outbound` (issue 24: arXiv, Slack, the LLM) adds its own."""
