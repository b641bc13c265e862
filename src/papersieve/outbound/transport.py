"""`PoliteTransport`: an httpx transport that applies a `Policy` to every request sent through it.

It sits under an ordinary `httpx.Client`, so a caller writes `client.get(...)` or `client.post(...)`
and gets, without a loop of its own: the pause between two requests to one host, retries of the
policy's statuses and of connection failures and timeouts (tenacity does the counting), the
server's `Retry-After` honoured in both forms, a total deadline, and a body read to at most the
policy's size (after decompression, so a gzip bomb is cut too). An endless or trickling response
ends with `ResponseTooLarge` or `DeadlineExceeded`, one-line errors naming the address and the
limit, instead of filling the memory or never ending.

After the last try a retryable status is returned as it is (the caller says what it means); a
connection failure is raised as httpx raised it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
import tenacity

from papersieve.outbound.policy import Policy

_DROP_HEADERS = ("content-encoding", "content-length", "transfer-encoding")


class OutboundLimit(httpx.TransportError):
    """A response went past one of the policy's bounds; never retried."""


class ResponseTooLarge(OutboundLimit):
    """The body was larger than the policy's `max_bytes`."""


class DeadlineExceeded(OutboundLimit):
    """The request, its retries and its body took longer than the policy's `deadline`."""


def shown_url(url: httpx.URL | str, policy: Policy) -> str:
    """The address as an error may show it: without its query, and host only for a secret path."""
    parts = urlsplit(str(url))
    if policy.secret_path:
        return f"{parts.scheme}://{parts.hostname or '?'}/…"
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


class _Pacer:
    """The time of the last request start per (policy, host), shared by the whole process."""

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


class _Retry(Exception):
    """A retryable status, carried to tenacity with its response."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class PoliteTransport(httpx.BaseTransport):
    """Applies `policy` to every request; `sleep` and `clock` are injectable for tests."""

    def __init__(self, policy: Policy, *, inner: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] | None = None,
                 clock: Callable[[], float] | None = None, pacer: _Pacer = PACER) -> None:
        self.policy = policy
        self.inner = inner or httpx.HTTPTransport()
        self.sleep = sleep or time.sleep
        self.clock = clock or time.monotonic
        self.pacer = pacer

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started = self.clock()
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(max(1, self.policy.tries)),
            retry=tenacity.retry_if_exception_type((_Retry, httpx.TimeoutException, httpx.NetworkError))
            & tenacity.retry_if_not_exception_type(OutboundLimit),
            wait=self._wait,
            sleep=lambda seconds: self._sleep_within(seconds, started, request),
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

    def _sleep_within(self, seconds: float, started: float, request: httpx.Request) -> None:
        if self.clock() + seconds - started > self.policy.deadline:
            raise DeadlineExceeded(
                f"{shown_url(request.url, self.policy)}: no answer within the {self.policy.deadline:g} s"
                f" allowed ({self.policy.name} policy)", request=request)
        self.sleep(seconds)

    def _attempt(self, request: httpx.Request, started: float) -> httpx.Response:
        host = request.url.host
        pause = self.pacer.reserve((self.policy.name, host), self.policy.min_interval, self.clock)
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
        if done.status_code in self.policy.retry_status:
            raise _Retry(done)
        return done

    def _read(self, response: httpx.Response, request: httpx.Request, started: float) -> bytes:
        """The decoded body, stopped at the size or time bound."""
        reader = httpx.Response(response.status_code, headers=response.headers, stream=response.stream,
                                request=request)
        chunks: list[bytes] = []
        size = 0
        for chunk in reader.iter_bytes():
            size += len(chunk)
            if size > self.policy.max_bytes:
                raise ResponseTooLarge(
                    f"{shown_url(request.url, self.policy)}: response larger than the"
                    f" {self.policy.max_bytes:,} bytes allowed ({self.policy.name} policy)", request=request)
            if self.clock() - started > self.policy.deadline:
                raise DeadlineExceeded(
                    f"{shown_url(request.url, self.policy)}: response not complete within the"
                    f" {self.policy.deadline:g} s allowed ({self.policy.name} policy)", request=request)
            chunks.append(chunk)
        return b"".join(chunks)
