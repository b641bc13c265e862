"""`PoliteTransport`: an httpx transport that applies a `Policy` to every request sent through it.

It sits under an ordinary `httpx.Client`, so a caller writes `client.get(...)` or `client.post(...)`
and gets, without a loop of its own: the pause between two requests with one pacing key, retries
of the policy's statuses and transport failures (tenacity does the counting), the server's
`Retry-After` honoured in both forms, a total deadline, and a body read to at most the policy's
size (after decompression, so a gzip bomb is cut too). An endless or trickling response ends with
`ResponseTooLarge` or `DeadlineExceeded`, one-line errors naming the address and the limit,
instead of filling the memory or never ending; every error text passes through the redactor.

After the last try a retryable status is returned as it is (the caller says what it means); a
transport failure is raised as httpx raised it. `attempts(request)` says how many tries were made.
"""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import httpx
import tenacity

from papersieve.outbound.policy import Policy
from papersieve.redact import redact

_DROP_HEADERS = ("content-encoding", "content-length", "transfer-encoding")
_ATTEMPTS = "papersieve.attempts"
_STATUS = "papersieve.status"


class OutboundLimit(httpx.TransportError):
    """A request went past one of the policy's bounds; never retried."""

    def __init__(self, message: str, *, request: httpx.Request) -> None:
        super().__init__(redact(message), request=request)


class ResponseTooLarge(OutboundLimit):
    """The body was (or its Content-Length announced it would be) larger than `max_bytes`."""

    def __init__(self, message: str, *, request: httpx.Request, declared: int | None = None) -> None:
        super().__init__(message, request=request)
        self.declared = declared
        """The Content-Length that announced too much (None: the body passed the cap as read)."""


class DeadlineExceeded(OutboundLimit, httpx.TimeoutException):
    """The request, its retries and its body took longer than the policy's `deadline` (a timeout
    to the caller: the openai SDK reports it as one)."""


class WaitRefused(OutboundLimit):
    """The server asked for a longer wait than the policy allows (`refuse_long_waits`, `wait_budget`)."""

    def __init__(self, message: str, *, request: httpx.Request, status: int, seconds: float,
                 waited: float) -> None:
        super().__init__(message, request=request)
        self.status, self.seconds, self.waited = status, seconds, waited


def shown_url(url: httpx.URL | str, policy: Policy) -> str:
    """The address as an error may show it: without its query, and host only for a secret path."""
    parts = urlsplit(str(url))
    if policy.secret_path:
        return f"{parts.scheme}://{parts.hostname or '?'}/…"
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def attempts(request: httpx.Request) -> int:
    """How many tries the transport made of `request` (from a response's or an error's request)."""
    value = request.extensions.get(_ATTEMPTS, 1)
    return value if isinstance(value, int) else 1


def last_status(request: httpx.Request) -> int:
    """The status of the last answer to `request` (0 before any)."""
    value = request.extensions.get(_STATUS, 0)
    return value if isinstance(value, int) else 0


def error_text(err: BaseException, limit: int = 300) -> str:
    """One line naming a failure, redacted: `ConnectError: [Errno 111] Connection refused`."""
    text = " ".join(str(err).split())
    return redact(f"{type(err).__name__}: {text}" if text else type(err).__name__)[:limit]


class _Pacer:
    """The time of the last request start per (policy, pacing key), shared by its users."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[tuple[str, str], float] = {}

    def reserve(self, key: tuple[str, str], interval: float, clock: Callable[[], float]) -> float:
        """Seconds to wait before the caller may start; its start is booked at once."""
        with self._lock:
            now = clock()
            last = self._last.get(key)
            start = now if last is None else max(now, last + interval)
            self._last[key] = start
            return start - now


PACER = _Pacer()
"""The process's pacer (on the real clock; a transport given another clock gets its own)."""


class EnvProxies(httpx.BaseTransport):
    """Connections as httpx opens them when given no transport: through the proxy the environment
    names (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY; not for a host in NO_PROXY), else direct. (httpx
    reads the environment only for a client without a transport of its own.)"""

    def __init__(self, limits: httpx.Limits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._inner: dict[str | None, httpx.HTTPTransport] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._transport(proxy_for(request.url)).handle_request(request)

    def close(self) -> None:
        with self._lock:
            for inner in self._inner.values():
                inner.close()
            self._inner.clear()

    def _transport(self, proxy: str | None) -> httpx.HTTPTransport:
        with self._lock:
            if proxy not in self._inner:
                self._inner[proxy] = httpx.HTTPTransport(limits=self.limits, proxy=proxy)
            return self._inner[proxy]


def proxy_for(url: httpx.URL) -> str | None:
    """The proxy the environment names for `url`, or None (direct)."""
    proxies = urllib.request.getproxies_environment()
    if not proxies or urllib.request.proxy_bypass(url.host):
        return None
    return proxies.get(url.scheme) or proxies.get("all") or None


class _Retry(Exception):
    """A retryable status, carried to tenacity with its response."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class PoliteTransport(httpx.BaseTransport):
    """Applies `policy` to every request; `sleep` and `clock` are injectable for tests."""

    def __init__(self, policy: Policy, *, inner: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] | None = None,
                 clock: Callable[[], float] | None = None, pacer: _Pacer | None = None) -> None:
        self.policy = policy
        self.inner = inner or httpx.HTTPTransport()
        self.sleep = sleep or time.sleep
        self.clock = clock or time.monotonic
        # Times read on another clock (a test's) mean nothing on the process's one.
        self.pacer = pacer or (PACER if clock is None else _Pacer())
        self.waited = 0.0
        """Seconds this transport has waited before retries (counted against `wait_budget`)."""
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started = self.clock()
        request.extensions[_ATTEMPTS] = 0
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(max(1, self.policy.tries)),
            retry=tenacity.retry_if_exception_type((_Retry, *self.policy.retry_errors))
            & tenacity.retry_if_not_exception_type(OutboundLimit),
            wait=self._wait,
            sleep=lambda seconds: self._before_retry(seconds, started, request),
            reraise=True,
        )
        try:
            return retrying(self._attempt, request, started)
        except _Retry as last:
            return last.response

    def close(self) -> None:
        self.inner.close()

    def _wait(self, state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        header = None
        if isinstance(error, _Retry):
            header = error.response.headers.get("retry-after") \
                or self.policy.body_retry_after(error.response.content)
        return self.policy.wait_for(state.attempt_number, header)

    def _before_retry(self, seconds: float, started: float, request: httpx.Request) -> None:
        policy = self.policy
        with self._lock:
            over_budget = policy.wait_budget is not None and self.waited + seconds > policy.wait_budget
            if (policy.refuse_long_waits and seconds > policy.max_wait) or over_budget:
                status = last_status(request)
                raise WaitRefused(
                    f"{shown_url(request.url, policy)}: {f'HTTP {status}' if status else 'a failure'}"
                    f" asked to wait {seconds:.0f} s after"
                    f" {self.waited:.0f} s of waiting ({policy.name} policy)", request=request,
                    status=status, seconds=seconds, waited=self.waited)
            self.waited += seconds
        self._sleep_within(seconds, started, request)

    def _sleep_within(self, seconds: float, started: float, request: httpx.Request) -> None:
        if self.clock() + seconds - started > self.policy.deadline:
            raise DeadlineExceeded(
                f"{shown_url(request.url, self.policy)}: no answer within the {self.policy.deadline:g} s"
                f" allowed ({self.policy.name} policy)", request=request)
        self.sleep(seconds)

    def _attempt(self, request: httpx.Request, started: float) -> httpx.Response:
        request.extensions[_ATTEMPTS] = attempts(request) + 1
        key = (self.policy.name, self.policy.pace_key(request))
        pause = self.pacer.reserve(key, self.policy.min_interval, self.clock)
        if pause > 0:
            self._sleep_within(pause, started, request)
        remaining = self.policy.deadline - (self.clock() - started)
        limit = max(0.001, min(self.policy.timeout, remaining))
        request.extensions["timeout"] = {"connect": min(limit, 10.0), "read": limit,
                                         "write": limit, "pool": limit}
        response = self.inner.handle_request(request)
        try:
            body = self._read(response, request, started)
        finally:
            response.close()
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _DROP_HEADERS]
        done = httpx.Response(response.status_code, headers=headers, content=body,
                              request=request, extensions=response.extensions)
        request.extensions[_STATUS] = done.status_code
        if done.status_code in self.policy.retry_status:
            raise _Retry(done)
        return done

    def _read(self, response: httpx.Response, request: httpx.Request, started: float) -> bytes:
        """The decoded body through the one bounded reader."""
        declared = response.headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > self.policy.max_bytes:
            raise ResponseTooLarge(
                f"{shown_url(request.url, self.policy)}: response announces {int(declared):,} bytes,"
                f" over the {self.policy.max_bytes:,} bytes allowed ({self.policy.name} policy)",
                request=request, declared=int(declared))
        reader = httpx.Response(response.status_code, headers=response.headers, stream=response.stream,
                                request=request)
        return read_bounded(reader.iter_bytes(), request=request, policy=self.policy,
                            expired=lambda: self.clock() - started > self.policy.deadline)


def read_bounded(chunks: Iterator[bytes], *, request: httpx.Request, policy: Policy,
                 expired: Callable[[], bool]) -> bytes:
    """Join a streamed (decoded) body, stopping past the policy's size or when `expired()`."""
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > policy.max_bytes:
            raise ResponseTooLarge(
                f"{shown_url(request.url, policy)}: response larger than the"
                f" {policy.max_bytes:,} bytes allowed ({policy.name} policy)", request=request)
        if expired():
            raise DeadlineExceeded(
                f"{shown_url(request.url, policy)}: response not complete within the"
                f" {policy.deadline:g} s allowed ({policy.name} policy)", request=request)
        parts.append(chunk)
    return b"".join(parts)
