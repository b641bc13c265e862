"""The sources' HTTP client: GETs through the `ARXIV` (or `BIORXIV`) policy of `papersieve.outbound`.

The policy owns the manners (arXiv's terms of use ask for one request every three seconds on one
connection and a descriptive User-Agent), the retries, the size cap and the total deadline: no
other layer retries. This module only sets the bounds a profile or the environment asks for
(`DownloadLimits`) and turns the transport's answers into one-line `FetchError`s that name the
address, the try and the setting to change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import httpx

from papersieve import outbound
from papersieve.errors import ConfigError, FetchError
from papersieve.outbound import ARXIV, Policy
from papersieve.validate import env_number

MAX_BYTES_ENV = "PAPERSIEVE_DOWNLOAD_MAX_MB"
"""Overrides the download size cap (megabytes)."""
DEADLINE_ENV = "PAPERSIEVE_DOWNLOAD_DEADLINE"
"""Overrides the download deadline (seconds)."""
MB = 1024 * 1024
MAX_SETTING = 1e6
"""The largest download cap (MB) or deadline (s) read from the environment."""


@dataclass(frozen=True)
class DownloadLimits:
    """How much one download may bring back and how long it may take, retries included."""

    max_bytes: int = ARXIV.max_bytes
    """Largest body accepted (after decompression); a daily feed is ~2 MB, an OAI page ~5 MB."""
    deadline: float = ARXIV.deadline
    """Seconds from the first request of one `get` to its last byte, waits and retries included."""

    def __post_init__(self) -> None:
        if self.max_bytes <= 0 or not self.deadline > 0:
            raise ConfigError("download limits must be positive"
                              f" (max {self.max_bytes} bytes, deadline {self.deadline} s)")

    @classmethod
    def resolve(cls, max_mb: float | None = None, deadline: float | None = None) -> DownloadLimits:
        """Defaults, overridden by the profile's values, overridden by the environment."""
        mb = env_number(MAX_BYTES_ENV, max_mb, high=MAX_SETTING)
        seconds = env_number(DEADLINE_ENV, deadline, high=MAX_SETTING)
        default = cls()
        return cls(max_bytes=int(mb * MB) if mb is not None else default.max_bytes,
                   deadline=seconds if seconds is not None else default.deadline)

    def describe_size(self) -> str:
        """The cap as a person reads it."""
        if self.max_bytes % MB == 0:
            return f"{self.max_bytes // MB} MB"
        return f"{self.max_bytes} bytes"



class DownloadTooLarge(FetchError):
    """The body passed the size cap."""


class DownloadTooSlow(FetchError):
    """The download passed its total deadline."""


class HttpClient:
    """GET through a policy of `papersieve.outbound`, bounded by `limits`; answers a failure with a
    `FetchError`. The keyword arguments override the policy's values (tests use them);
    `sleep` and `clock` are injectable so that a test can see the waits without waiting."""

    def __init__(
        self,
        *,
        policy: Policy = ARXIV,
        min_interval: float | None = None,
        timeout: float | None = None,
        retries: int | None = None,
        backoff: float | None = None,
        max_wait: float | None = None,
        limits: DownloadLimits | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.limits = limits or DownloadLimits(policy.max_bytes, policy.deadline)
        self.policy = replace(
            policy.with_limits(max_bytes=self.limits.max_bytes, deadline=self.limits.deadline),
            min_interval=policy.min_interval if min_interval is None else min_interval,
            timeout=policy.timeout if timeout is None else timeout,
            tries=policy.tries if retries is None else retries + 1,
            backoff=policy.backoff if backoff is None else backoff,
            max_wait=policy.max_wait if max_wait is None else max_wait,
        )
        self._client = outbound.client(self.policy, sleep=sleep, clock=clock)

    @classmethod
    def from_env(cls, limits: DownloadLimits | None = None, policy: Policy = ARXIV) -> HttpClient:
        """The default client; `PAPERSIEVE_HTTP_INTERVAL` may lower the interval (tests: 0)."""
        return cls(policy=policy.from_env(), limits=limits or DownloadLimits.resolve())

    @property
    def min_interval(self) -> float:
        """Seconds between two requests to one host."""
        return self.policy.min_interval

    def get(self, url: str, params: Mapping[str, str | int] | None = None) -> httpx.Response:
        """GET `url` (the policy retries 5xx, 429, timeouts and connection errors); raise
        `FetchError` at last. The returned response holds the whole body, within the limits."""
        try:
            response = self._client.get(url, params=params)
        except outbound.ResponseTooLarge as err:
            what = (f"announces {err.declared} bytes" if err.declared is not None
                    else f"passed {self.limits.max_bytes} bytes")
            raise DownloadTooLarge(f"response {what}, over the {self.limits.describe_size()} download"
                                   f" cap (setting {MAX_BYTES_ENV})", url=url,
                                   attempt=outbound.attempts(err.request)) from err
        except outbound.DeadlineExceeded as err:
            raise DownloadTooSlow(f"download took longer than its {self.limits.deadline:g} s deadline"
                                  f" (setting {DEADLINE_ENV})", url=url,
                                  attempt=outbound.attempts(err.request)) from err
        except httpx.TimeoutException as err:
            raise FetchError("timed out", url=url, attempt=outbound.attempts(err.request)) from err
        except httpx.TransportError as err:
            raise FetchError(f"cannot connect ({type(err).__name__})", url=url,
                             attempt=outbound.attempts(err.request)) from err
        attempt = outbound.attempts(response.request)
        if response.status_code < 400:
            return response
        if response.status_code in self.policy.retry_status:
            raise FetchError(f"server still failing after {attempt} tries", url=url, attempt=attempt,
                             status=response.status_code)
        raise FetchError("request refused", url=url, attempt=attempt, status=response.status_code)

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
