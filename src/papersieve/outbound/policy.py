"""How papersieve treats each kind of server it calls, in one table.

Every outbound request goes through `papersieve.outbound.client(POLICY)`: pacing (per host, or per
what the policy's `pace_key` names: Slack's channel), which answers and errors are retried, how
long to wait (the server's `Retry-After` in either form, else capped exponential backoff with
jitter), how long one request may take in all, and how large its body may be. A caller picks its
policy here; nothing else in the package decides these things. The LLM judge resends failed calls
through its own queue (each try is a recorded call), and takes the tries and the waits from its
policy here too.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, replace

import httpx

from papersieve.validate import env_number

MIB = 1024 * 1024
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
RETRY_ERRORS: tuple[type[httpx.TransportError], ...] = (httpx.TimeoutException, httpx.NetworkError)
"""Failures retried by default: timeouts, and connections refused, reset or cut."""
INTERVAL_ENV = "PAPERSIEVE_HTTP_INTERVAL"
"""Overrides the arXiv and bioRxiv pacing (seconds); the test-suite's loopback servers set it to 0."""
MAX_INTERVAL = 3600.0
"""The longest pause between requests the environment may set (seconds)."""
SLACK_INTERVAL_ENV = "PAPERSIEVE_SLACK_INTERVAL"
"""Overrides the Slack pacing per channel (seconds); the test-suite sets it to 0."""
TELEGRAM_INTERVAL_ENV = "PAPERSIEVE_TELEGRAM_INTERVAL"
"""Overrides the Telegram pacing per chat (seconds); the test-suite sets it to 0."""


def by_host(request: httpx.Request) -> str:
    """Pace per host and port (two servers on one machine are two hosts)."""
    port = f":{request.url.port}" if request.url.port else ""
    return f"{request.url.host}{port}"


def by_channel(request: httpx.Request) -> str:
    """Pace per chat channel: the JSON body's `channel` (`chat_id` for Telegram), else the URL
    (an incoming webhook posts to one channel). Kept in memory only; never shown."""
    try:
        body = json.loads(request.content or b"null")
    except (ValueError, httpx.RequestNotRead):
        body = None
    if isinstance(body, dict):
        for field in ("channel", "chat_id"):
            if body.get(field) not in (None, ""):
                return f"{request.url.host}/{field}={body[field]}"
    return str(request.url)


@dataclass(frozen=True)
class Policy:
    """One kind of server: how often to call it, what to retry, and the bounds of one request."""

    name: str
    min_interval: float = 0.0
    """Seconds between the starts of two requests with the same pacing key (shared by the process)."""
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
    retry_errors: tuple[type[httpx.TransportError], ...] = RETRY_ERRORS
    """Transport failures retried; a POST that must not arrive twice retries only failures to connect."""
    refuse_long_waits: bool = False
    """A `Retry-After` above `max_wait` gives up at once (`WaitRefused`) instead of waiting `max_wait`."""
    wait_budget: float | None = None
    """Seconds of retry waits one client may spend over all its requests (a Slack delivery's)."""
    pace_key: Callable[[httpx.Request], str] = by_host
    """What pacing is per: the host by default, the channel for a chat."""
    connections: int = 1
    """Connections one client keeps to a host (the LLM judge's requests in flight)."""
    interval_env: str | None = None
    """The environment variable that may override `min_interval` (see `from_env`)."""
    retry_after_field: tuple[str, ...] = ()
    """Where a 429's JSON body says how long to wait when it sends no `Retry-After` header
    (Telegram: `parameters.retry_after`, in seconds)."""

    def backoff_for(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based) when the server said nothing."""
        base = self.backoff * 2.0 ** (attempt - 1)
        return min(self.max_wait, base / 2 + rand() * base / 2)

    def wait(self, attempt: int, advised: float | None) -> float:
        """Seconds to wait after failed attempt `attempt`: the server's advice (capped, unless the
        policy refuses long waits: then as asked, for the caller to refuse), else backoff."""
        if advised is None:
            return self.backoff_for(attempt)
        return advised if self.refuse_long_waits else min(self.max_wait, advised)

    def wait_after_refusal(self, attempt: int, advised: float | None) -> float:
        """Seconds to wait after a server turned a request away unread (429, 503): what it asks,
        but never less than the backoff. A gateway that answers `Retry-After: 0` while its
        engine is busy would otherwise have every try spent within a second."""
        return min(self.max_wait, max(advised or 0.0, self.backoff_for(attempt)))

    def wait_for(self, attempt: int, retry_after: str | None,
                 now: dt.datetime | None = None) -> float:
        """The server's `Retry-After` when it gave one, else backoff (see `wait`)."""
        return self.wait(attempt, parse_retry_after(retry_after, now) if retry_after else None)

    def advised(self, retry_after: str | None, now: dt.datetime | None = None) -> float | None:
        """What a `Retry-After` header asks, capped at `max_wait`; None when absent or unreadable."""
        seconds = parse_retry_after(retry_after, now) if retry_after else None
        return None if seconds is None else min(self.max_wait, seconds)

    def wait_after_timeout(self, latency: float) -> float:
        """Before resending a request that timed out: as long as it already ran, capped (the server
        may still be computing it, and one more request would only queue behind it)."""
        return min(max(latency, 1.0), self.max_wait)

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

    def from_env(self) -> Policy:
        """The policy with `interval_env`'s pacing when that is set to a number >= 0."""
        interval = env_number(self.interval_env, None, high=MAX_INTERVAL, zero=True) \
            if self.interval_env else None
        return self if interval is None else replace(self, min_interval=interval)


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


ARXIV = Policy("arxiv", min_interval=3.0, tries=5, backoff=2.0, max_wait=120.0, timeout=30.0,
               deadline=300.0, max_bytes=64 * MIB, interval_env=INTERVAL_ENV)
"""Feeds, the API and OAI-PMH: one request every three seconds on one connection (the arXiv API
terms of use, info.arxiv.org/help/api/tou.html); a daily feed is ~2 MB, an OAI page ~5 MB."""
BIORXIV = replace(ARXIV, name="biorxiv")
"""bioRxiv / medRxiv's details API publishes no limit: it is asked at arXiv's pace."""
SEMANTIC_SCHOLAR = Policy("semantic-scholar", min_interval=1.0, tries=4, backoff=2.0, max_wait=30.0,
                          deadline=300.0, max_bytes=32 * MIB)
"""One request a second, keyed or not (Semantic Scholar's documented limit)."""
SLACK = Policy("slack", min_interval=1.0, tries=4, backoff=1.0, max_wait=30.0, timeout=20.0,
               deadline=300.0, max_bytes=4 * MIB, retry_status=frozenset({429}),
               retry_errors=(httpx.ConnectError, httpx.ConnectTimeout), refuse_long_waits=True,
               wait_budget=120.0, pace_key=by_channel, interval_env=SLACK_INTERVAL_ENV,
               secret_path=True)
"""About one message a second per channel (Slack's limit); a 429 waits what Slack asks, at most
30 s at once and 120 s in a whole delivery, else the delivery fails. A message is sent again only
after a 429 or a failure to connect: one that may have arrived is not posted twice."""
LLM = Policy("llm", tries=6, backoff=1.0, max_wait=60.0, timeout=120.0, deadline=120.0,
             max_bytes=64 * MIB, retry_status=frozenset(), retry_errors=(), connections=64)
"""Chat calls to an OpenAI-compatible server (the profile's `judge.timeout` replaces timeout and
deadline). The transport sends each call once (it retries no status and no error): the judge
resends a failed call through its queue, `tries` in all, after `wait` (Retry-After capped at 60 s,
else backoff from `judge`'s base), a timed-out batch as halves after `wait_after_timeout`, so that
every try is a recorded call within the per-minute limit and the cost cap."""
LLM_PROBE = Policy("llm-probe", tries=1, timeout=60.0, deadline=90.0, max_bytes=4 * MIB)
"""The questions asked of an LLM server once per run (/v1/models, /props, /slots): one try each,
with time to wait: a one-slot server (llama-cpp-python's) answers them only after the generation
it is busy with, even one whose client gave up (20 s and more for a long batch). A server that is
not there fails at once (connection refused)."""
SMTP = Policy("smtp", tries=2, backoff=4.0, max_wait=4.0, timeout=30.0)
"""Email is not HTTP and does not go through the transport: deliver/email.py sends a message
again once after a transient failure (a 4xx reply, a dropped connection), after `wait(1)` (2-4 s)."""
TELEGRAM = Policy("telegram", min_interval=1.0, tries=4, backoff=0.5, max_wait=60.0, timeout=30.0,
                  deadline=180.0, max_bytes=4 * MIB, retry_status=frozenset({429}), secret_path=True,
                  retry_errors=(httpx.ConnectError, httpx.ConnectTimeout), pace_key=by_channel,
                  interval_env=TELEGRAM_INTERVAL_ENV, retry_after_field=("parameters", "retry_after"))
"""Telegram's Bot API, sending: one message a second per chat (core.telegram.org/bots/faq); a 429
says its wait in `parameters.retry_after`. Only 429 is retried (a 5xx may have posted the
message), and the bot token is in the path, so errors name the host only."""
TELEGRAM_GROUP = replace(TELEGRAM, name="telegram-group", min_interval=3.0)
"""The same, to a group or channel: Telegram allows a bot 20 messages a minute there."""
TELEGRAM_READ = replace(TELEGRAM, name="telegram-read", min_interval=0.0,
                        retry_status=RETRY_STATUS, retry_errors=RETRY_ERRORS)
"""getUpdates and answerCallbackQuery: reading twice is harmless, so server errors are retried."""
SLACK_READ = Policy("slack-read", min_interval=1.2, tries=4, backoff=2.0, max_wait=60.0, deadline=180.0,
                    max_bytes=16 * MIB, interval_env=SLACK_INTERVAL_ENV)
"""Slack's Web API, reading threads (conversations.replies is Tier 3: about 50 calls a minute)."""
ARXIV_LOOKUP = Policy("arxiv-lookup", min_interval=3.0, tries=4, backoff=3.0, max_wait=60.0,
                      deadline=300.0, max_bytes=16 * MIB)
"""The arXiv API's `id_list` look-ups of `import-likes`: one request every 3 seconds (the arXiv API
user manual's "Terms of Use": no more than one request every three seconds, one connection)."""
ZOTERO = Policy("zotero", min_interval=0.0, tries=4, backoff=2.0, max_wait=120.0,
                deadline=600.0, max_bytes=64 * MIB)
"""The Zotero web API v3; it asks for pauses itself (`Backoff`, `Retry-After` with a 429 or 503,
per its documentation's "Rate Limiting"), which the client obeys."""
POLICIES = {p.name: p for p in (ARXIV, ARXIV_LOOKUP, BIORXIV, SEMANTIC_SCHOLAR, SLACK, SLACK_READ, LLM,
                                 LLM_PROBE, SMTP, TELEGRAM, TELEGRAM_GROUP, TELEGRAM_READ, ZOTERO)}
"""Every policy by name."""
