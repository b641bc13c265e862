"""One chat call through the official `openai` SDK, against any OpenAI-compatible server.

The SDK's own retries are off (`max_retries=0`): the judge decides what to retry (missing papers,
429, 500, timeouts), so only one layer retries. A call never raises: it returns a `ChatReply`
that says what happened.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import openai

from papersieve.endpoints import USER_AGENT
from papersieve.errors import ConfigError

DEFAULT_TIMEOUT = 120.0
MAX_RETRY_AFTER = 60.0


def resolve_api_key(explicit: str | None = None) -> str | None:
    """The key passed in, else OPENAI_API_KEY; None when there is none."""
    return explicit or os.environ.get("OPENAI_API_KEY") or None


def has_api_key() -> bool:
    """True when OPENAI_API_KEY is set (the LLM judge can run)."""
    return resolve_api_key() is not None


def resolve_base_url(explicit: str | None, profile_value: str) -> str | None:
    """The URL passed in, else the profile's judge.base_url, else OPENAI_BASE_URL, else OpenAI.
    Anything but an http(s) URL with a host is a ConfigError (it could never be reached)."""
    if explicit:
        url, source = explicit, "the base URL"
    elif profile_value:
        url, source = profile_value, "judge.base_url"
    else:
        url, source = os.environ.get("OPENAI_BASE_URL") or "", "OPENAI_BASE_URL"
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{source} must be an http(s) URL such as http://127.0.0.1:8000/v1,"
                          f" not {url.split('@')[-1]!r}")
    return url


@dataclass(frozen=True)
class ChatReply:
    """What one call gave: the reply and its usage, or why there is none."""

    ok: bool
    text: str = ""
    finish_reason: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    latency: float = 0.0
    status: int | None = None
    """HTTP status of a failed call (None for timeouts and connection errors)."""
    error: str = ""
    retry_after: float | None = None


class ChatClient:
    """A chat-completions client with our timeout, user agent and no SDK retries."""

    def __init__(
        self, api_key: str, base_url: str | None, model: str, *,
        temperature: float = 0.0, seed: int | None = None, timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.model = model
        self.temperature = temperature
        self.seed = seed
        self._sdk = openai.OpenAI(
            api_key=api_key, base_url=base_url, max_retries=0, timeout=timeout,
            default_headers={"User-Agent": USER_AGENT},
        )

    def complete(self, system: str, user: str) -> ChatReply:
        """Send system + user messages; never raises."""
        started = time.monotonic()
        try:
            reply = self._create(system, user)
        except openai.BadRequestError as err:
            if self.seed is not None and "seed" in str(err).lower():
                # Some compatible servers reject `seed`; it is only a hint, so drop it once.
                self.seed = None
                return self.complete(system, user)
            return _failure(err, started)
        except openai.OpenAIError as err:
            return _failure(err, started)
        return _success(reply, started)

    def _create(self, system: str, user: str) -> Any:
        extra: dict[str, Any] = {} if self.seed is None else {"seed": self.seed}
        return self._sdk.chat.completions.create(
            model=self.model, temperature=self.temperature,
            messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
            **extra,
        )

    def close(self) -> None:
        """Close the HTTP connections."""
        self._sdk.close()


def _success(reply: Any, started: float) -> ChatReply:
    choice = reply.choices[0] if reply.choices else None
    usage = reply.usage
    details = getattr(usage, "prompt_tokens_details", None) if usage else None
    return ChatReply(
        ok=True,
        text=(choice.message.content or "") if choice and choice.message else "",
        finish_reason=str(choice.finish_reason or "") if choice else "",
        prompt_tokens=int(usage.prompt_tokens or 0) if usage else 0,
        completion_tokens=int(usage.completion_tokens or 0) if usage else 0,
        cached_tokens=int(getattr(details, "cached_tokens", 0) or 0) if details else 0,
        latency=time.monotonic() - started,
    )


def _failure(err: Exception, started: float) -> ChatReply:
    latency = time.monotonic() - started
    if isinstance(err, openai.APIStatusError):
        return ChatReply(ok=False, latency=latency, status=err.status_code,
                         error=_one_line(err), retry_after=_retry_after(err.response))
    if isinstance(err, openai.APITimeoutError):
        return ChatReply(ok=False, latency=latency, error="timed out")
    return ChatReply(ok=False, latency=latency, error=_one_line(err))


def _one_line(err: Exception) -> str:
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text}"[:300]


def _retry_after(response: Any) -> float | None:
    """Seconds from a Retry-After header (seconds form), capped; None when absent."""
    headers = getattr(response, "headers", None)
    value = headers.get("retry-after") if headers is not None else None
    if value is None:
        return None
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        return None
